//! The index schema: which record parts are searched (with what weight),
//! which are filters and facets, and what is stored for result cards.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bump when the schema or the stored card changes; an older index is rebuilt.
pub const SCHEMA_VERSION: &str = "zhihui-schema-16";

pub const TOKENIZER: &str = "zh";

/// The fast field `sort=adoption` orders by.
pub const ADOPTION_FIELD: &str = "adoption";

/// Most adoptions first and, among records adopted as often, the newest:
/// one number, so that the index sorts by it in one pass. A date ordinal
/// (`20230618`) is below 10^8.
pub fn adoption_key(adoptions: usize, date_ordinal: i64) -> i64 {
    (adoptions.min(1_000_000) as i64) * 100_000_000 + date_ordinal.clamp(0, 99_999_999)
}

/// The fields that can filter a search and be counted as facets, by the
/// name they have in URLs, JSON and the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacetField {
    Kind,
    Category,
    Studio,
    Alliance,
    Year,
    Tag,
    AwardLevel,
    PatentType,
    Status,
    Level,
    Visibility,
    /// Review state of submissions (`pending`, `returned`); approved records have none.
    Review,
    /// Years of the record's adoptions (`applied_in` entries with a year).
    AdoptionYear,
}

impl FacetField {
    pub const ALL: [FacetField; 13] = [
        FacetField::Kind,
        FacetField::Category,
        FacetField::Studio,
        FacetField::Alliance,
        FacetField::Year,
        FacetField::Tag,
        FacetField::AwardLevel,
        FacetField::PatentType,
        FacetField::Status,
        FacetField::Level,
        FacetField::Visibility,
        FacetField::Review,
        FacetField::AdoptionYear,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FacetField::Kind => "kind",
            FacetField::Category => "category",
            FacetField::Studio => "studio",
            FacetField::Alliance => "alliance",
            FacetField::Year => "year",
            FacetField::Tag => "tag",
            FacetField::AwardLevel => "award_level",
            FacetField::PatentType => "patent_type",
            FacetField::Status => "status",
            FacetField::Level => "level",
            FacetField::Visibility => "visibility",
            FacetField::Review => "review",
            FacetField::AdoptionYear => "adoption_year",
        }
    }

    pub fn parse(name: &str) -> Option<FacetField> {
        let name = match name {
            "type" => "patent_type",
            "award" => "award_level",
            "tags" => "tag",
            other => other,
        };
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A searched text field and its weight. The body holds the title as well
/// (BM25F-style: a title word adds to its frequency in the record), so the
/// title's own field is a small bonus on top; labels (codes, tags, people)
/// likewise. Weights measured with `cargo bench --bench quality`: ×5 and ×3
/// let a title holding one query word outrank the record whose paragraph
/// holds them all.
#[derive(Debug, Clone, Copy)]
pub struct Weighted {
    pub field: Field,
    pub boost: f32,
}

#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub rel: Field,
    pub title: Field,
    /// What names a record in a word or two: its codes, tags, authors,
    /// studio (name, leader, unit) and assignee.
    pub labels: Field,
    /// Its prose, searched: summary, body, scope, projects, awards.
    pub body: Field,
    /// The body as shown in snippets (stored, not searched).
    pub text: Field,
    pub card: Field,
    /// Who may see the record, as filter terms (`Audience`).
    pub audience: Field,
    /// A problem's solutions (`solved_by` ids), so a solution's page finds
    /// the problems it solved by one term instead of reading every problem.
    pub solves: Field,
    pub date: Field,
    pub benefit: Field,
    /// `sort=adoption`'s key: adoptions, then the record's date
    /// (`adoption_key`).
    pub adoption: Field,
    /// What statistics count of the record (`stats::Facts`, JSON), as a
    /// fast field decoded per segment and stored for the 成果清单 export.
    pub facts: Field,
    pub facets: Vec<(FacetField, Field)>,
}

impl Fields {
    pub fn facet(&self, which: FacetField) -> Field {
        self.facets
            .iter()
            .find(|(f, _)| *f == which)
            .map(|(_, field)| *field)
            .expect("every facet has a field")
    }

    /// Every searched field with its weight. Few fields, because every
    /// word of a query is looked up in each, and the union of a word's
    /// fields is most of a search's time: with six fields (codes, tags,
    /// people and summary apart) a search took 9 % more CPU at 100k.
    pub fn searched(&self) -> [Weighted; 3] {
        [
            Weighted {
                field: self.title,
                boost: 0.3,
            },
            Weighted {
                field: self.labels,
                boost: 0.5,
            },
            Weighted {
                field: self.body,
                boost: 1.0,
            },
        ]
    }
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let id = b.add_text_field("id", STRING | STORED);
    let rel = b.add_text_field("rel", STRING | STORED);
    // Title and summary are shown from the stored card.
    let title = b.add_text_field("title", text(false));
    let labels = b.add_text_field("labels", text(false));
    let body = b.add_text_field("body", text(false));
    let body_text = b.add_text_field("text", STORED);
    let card = b.add_text_field("card", STORED);
    let audience = b.add_text_field("audience", STRING);
    let solves = b.add_text_field("solves", STRING);
    let date = b.add_i64_field("date", INDEXED | FAST);
    let benefit = b.add_f64_field("benefit", FAST);
    let adoption = b.add_i64_field(ADOPTION_FIELD, FAST);
    let facts = b.add_bytes_field(crate::stats::FACTS_FIELD, STORED | FAST);
    let facets = FacetField::ALL
        .iter()
        .map(|&f| (f, b.add_text_field(f.name(), STRING | FAST)))
        .collect();
    let fields = Fields {
        id,
        rel,
        title,
        labels,
        body,
        text: body_text,
        card,
        audience,
        solves,
        date,
        benefit,
        adoption,
        facts,
        facets,
    };
    (b.build(), fields)
}
