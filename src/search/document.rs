//! Record → index document, and back: which of a record's fields go into
//! which indexed field (with the terms the visibility filter matches and
//! the record's statistics facts), and
//! loading a stored document back into the card and text a hit shows.

use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::analysis::Analyzer;
use super::engine::Engine;
use super::schema::FacetField;
use super::snippet::{self, Finder};
use super::{Card, Hit, SearchError};
use crate::content::load::Profiles;
use crate::content::{Record, Visibility, render};

const SNIPPET_CHARS: usize = 120;

impl Engine {
    pub(super) fn document(&self, record: &Record, rel: &str, profiles: &Profiles) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, &record.id);
        doc.add_text(f.rel, rel);
        doc.add_text(f.title, &record.title);
        for code in record.codes() {
            doc.add_text(f.labels, code);
        }
        for tag in &record.tags {
            doc.add_text(f.labels, tag);
            doc.add_text(f.facet(FacetField::Tag), tag);
        }
        let studio = profiles.studios.get(&record.studio);
        let mut people: Vec<&str> = record.authors.iter().map(String::as_str).collect();
        if let Some(s) = studio {
            people.extend([s.name.as_str(), s.leader.as_str(), s.unit.as_str()]);
        }
        people.extend(record.assignee.as_deref());
        for p in people.into_iter().filter(|p| !p.is_empty()) {
            doc.add_text(f.labels, p);
        }
        let mut body = render::to_plain_text(&record.body);
        if let Some(scope) = &record.scope {
            body.push('\n');
            body.push_str(scope);
        }
        for a in &record.applied_in {
            body.push('\n');
            body.push_str(&a.project);
        }
        for a in &record.awards {
            body.push('\n');
            body.push_str(&a.name);
        }
        // The title also counts in the prose, as in BM25F: a title word adds
        // to the word's frequency in the record instead of outweighing, by
        // a separate score, a paragraph that holds every query word.
        // Each ends its own paragraph (`analysis::PARAGRAPH`): a query word
        // in the title and another in the text do not stand in one passage.
        doc.add_text(f.body, format!("{}\n", record.title));
        if !record.summary.is_empty() {
            doc.add_text(f.body, format!("{}\n", record.summary));
        }
        doc.add_text(f.body, &body);
        doc.add_text(f.text, body);
        doc.add_i64(f.date, record.date.ordinal());
        doc.add_f64(f.benefit, record.benefit.unwrap_or(0.0));
        doc.add_i64(
            f.adoption,
            super::schema::adoption_key(record.applied_in.len(), record.date.ordinal()),
        );
        for audience in Audience::of(record.effective_visibility()) {
            doc.add_text(f.audience, audience.as_str());
        }
        // The owner studio's own term: the `studio` facet also holds a
        // joint record's partners, who gain no access by it.
        doc.add_text(f.audience, Audience::owner(&record.studio));
        for solution in &record.solved_by {
            doc.add_text(f.solves, solution);
        }
        let mut facet = |which: FacetField, value: &str| doc.add_text(f.facet(which), value);
        facet(FacetField::Kind, record.kind.as_str());
        facet(FacetField::Studio, &record.studio);
        // A joint record is found under every studio that did it, and
        // under each of their alliances once.
        for p in &record.partners {
            facet(FacetField::Studio, p);
        }
        facet(FacetField::Year, &record.date.year.to_string());
        facet(FacetField::Visibility, record.effective_visibility().as_str());
        if let Some(review) = &record.review {
            facet(FacetField::Review, review);
        }
        // Each year once: the facet counts records adopted in a year.
        let mut adoption_years: Vec<i64> = record.applied_in.iter().filter_map(|a| a.year).collect();
        adoption_years.sort_unstable();
        adoption_years.dedup();
        for year in adoption_years {
            facet(FacetField::AdoptionYear, &year.to_string());
        }
        let mut alliances: Vec<&str> = Vec::new();
        for s in std::iter::once(&record.studio).chain(&record.partners) {
            for a in profiles.alliances_of(s) {
                if !alliances.contains(&a.id.as_str()) {
                    alliances.push(&a.id);
                }
            }
        }
        for a in alliances {
            facet(FacetField::Alliance, a);
        }
        for level in record.award_levels() {
            facet(FacetField::AwardLevel, level);
        }
        let optional = [
            (FacetField::Category, &record.category),
            (FacetField::PatentType, &record.patent_type),
            (FacetField::Status, &record.status),
            (FacetField::Level, &record.level),
        ];
        for (which, value) in optional {
            if let Some(v) = value {
                facet(which, v);
            }
        }
        let facts = crate::stats::Facts::of(record, profiles);
        doc.add_bytes(f.facts, &serde_json::to_vec(&facts).unwrap_or_default());
        let mut card = Card::of(record, studio.map(|s| s.name.as_str()));
        for p in &mut card.partners {
            if let Some(s) = profiles.studios.get(&p.id) {
                p.name = s.name.clone();
            }
        }
        doc.add_text(f.card, serde_json::to_string(&card).unwrap_or_default());
        doc
    }

    pub(super) fn load(&self, searcher: &Searcher, address: DocAddress) -> Result<Loaded, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let card: Card =
            serde_json::from_str(&text(self.fields.card)).map_err(|e| SearchError::Internal(e.to_string()))?;
        Ok(Loaded {
            card,
            rel: text(self.fields.rel),
            body: text(self.fields.text),
        })
    }
}

/// Who may see a record, indexed as terms so that the visibility filter
/// of anonymous visitors and members is a single term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    /// Anyone, signed in or not: public records.
    Anyone,
    /// Signed-in members: public and members' records.
    Members,
}

impl Audience {
    /// The term a publisher's studio-only records are matched by.
    pub(super) fn owner(studio: &str) -> String {
        format!("owner:{studio}")
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Audience::Anyone => "anyone",
            Audience::Members => "members",
        }
    }

    /// The audiences a record of this visibility is shown to (studio
    /// records: none; their studio and staff are matched otherwise).
    pub(super) fn of(visibility: Visibility) -> &'static [Audience] {
        match visibility {
            Visibility::Public => &[Audience::Anyone, Audience::Members],
            Visibility::Members => &[Audience::Members],
            Visibility::Studio => &[],
        }
    }

    /// The audience whose records are exactly those of these visibilities.
    pub(super) fn widest_within(open: &[Visibility]) -> Option<Audience> {
        [Audience::Members, Audience::Anyone].into_iter().find(|a| {
            Visibility::ALL
                .iter()
                .all(|v| open.contains(v) == Audience::of(*v).contains(a))
        })
    }
}

pub(super) struct Loaded {
    pub(super) card: Card,
    pub(super) rel: String,
    pub(super) body: String,
}

impl Loaded {
    pub(super) fn into_hit(self, score: f32, finder: &Finder, analyzer: &Analyzer) -> Hit {
        let stem = |w: &str| analyzer.stem_latin(w);
        let spans = finder.spans(&self.body, &stem);
        let snippet = if !spans.is_empty() || self.card.summary.is_empty() {
            snippet::snippet(&self.body, &spans, SNIPPET_CHARS)
        } else {
            let spans = finder.spans(&self.card.summary, &stem);
            snippet::snippet(&self.card.summary, &spans, SNIPPET_CHARS)
        };
        let title_spans = finder.spans(&self.card.title, &stem);
        let title_html = snippet::snippet(&self.card.title, &title_spans, 500);
        Hit {
            url: format!("/records/{}", self.card.id),
            card: self.card,
            score,
            snippet,
            title_html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_viewer_gets_the_audience_of_exactly_what_they_may_see() {
        use Visibility::*;
        assert_eq!(Audience::widest_within(&[Public]), Some(Audience::Anyone));
        assert_eq!(Audience::widest_within(&[Public, Members]), Some(Audience::Members));
        // No audience holds studio records, nor members' without public ones.
        assert_eq!(Audience::widest_within(&[]), None);
        assert_eq!(Audience::widest_within(&[Members]), None);
        for visibility in Visibility::ALL {
            let anyone = Audience::of(visibility).contains(&Audience::Anyone);
            assert_eq!(anyone, visibility == Public);
        }
    }
}
