//! The index schema: which record parts are searched (with what weight),
//! which are filters and facets, and what is stored for result cards.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bump when the schema or the stored card changes; an older index is rebuilt.
pub const SCHEMA_VERSION: &str = "zhihui-schema-8";

pub const TOKENIZER: &str = "zh";

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
}

impl FacetField {
    pub const ALL: [FacetField; 12] = [
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

/// A searched text field and its weight: title above codes and tags above
/// summary above body.
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
    pub codes: Field,
    pub tags: Field,
    pub people: Field,
    pub summary: Field,
    pub body: Field,
    pub card: Field,
    /// Who may see the record, as filter terms (`Audience`).
    pub audience: Field,
    pub date: Field,
    pub benefit: Field,
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

    /// Every searched field with its weight.
    pub fn searched(&self) -> [Weighted; 6] {
        [
            Weighted {
                field: self.title,
                boost: 5.0,
            },
            Weighted {
                field: self.codes,
                boost: 4.0,
            },
            Weighted {
                field: self.tags,
                boost: 3.0,
            },
            Weighted {
                field: self.people,
                boost: 2.0,
            },
            Weighted {
                field: self.summary,
                boost: 2.0,
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
    let codes = b.add_text_field("codes", text(false));
    let tags = b.add_text_field("tags", text(false));
    let people = b.add_text_field("people", text(false));
    let summary = b.add_text_field("summary", text(false));
    let body = b.add_text_field("body", text(true));
    let card = b.add_text_field("card", STORED);
    let audience = b.add_text_field("audience", STRING);
    let date = b.add_i64_field("date", INDEXED | FAST);
    let benefit = b.add_f64_field("benefit", FAST);
    let facets = FacetField::ALL
        .iter()
        .map(|&f| (f, b.add_text_field(f.name(), STRING | FAST)))
        .collect();
    let fields = Fields {
        id,
        rel,
        title,
        codes,
        tags,
        people,
        summary,
        body,
        card,
        audience,
        date,
        benefit,
        facets,
    };
    (b.build(), fields)
}
