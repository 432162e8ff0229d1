//! Finding records other than by a search: one record by id (and its file
//! as it is now), records like a record or a text (首创预检), and titles for
//! search-as-you-type, each only among what the viewer may see.

use std::fs;

use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};

use super::analysis::{QueryPiece, Synonyms};
use super::engine::{Engine, Located};
use super::pinyin;
use super::query::{self, Clause, Compiler};
use super::rank::exact;
use super::schema;
use super::snippet::Finder;
use super::{Card, Hit, SearchError};
use crate::auth::Viewer;
use crate::content::{Document, Record, parse_document, render};

impl Engine {
    /// The record with this id, if it exists and the viewer may see it.
    pub fn locate(&self, id: &str, viewer: &Viewer) -> Result<Option<Located>, SearchError> {
        let searcher = self.searcher();
        let mut clauses = vec![(Occur::Must, exact(self.fields.id, id))];
        clauses.extend(self.visibility_filter(viewer).map(|q| (Occur::Must, q)));
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => {
                let doc = self.load(&searcher, *address)?;
                Ok(Some(Located {
                    rel: doc.rel,
                    card: doc.card,
                }))
            }
            None => Ok(None),
        }
    }

    /// The visible records naming `id` among their solutions (a problem's
    /// `solved_by`), as cards, at most `limit`.
    pub fn solved_with(&self, id: &str, viewer: &Viewer, limit: usize) -> Result<Vec<Card>, SearchError> {
        let searcher = self.searcher();
        let mut clauses = vec![(Occur::Must, exact(self.fields.solves, id))];
        clauses.extend(self.visibility_filter(viewer).map(|q| (Occur::Must, q)));
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| Ok(self.load(&searcher, address)?.card))
            .collect()
    }

    /// Reads, checks and returns a visible record's file as it is now.
    pub fn read_record(&self, id: &str, viewer: &Viewer) -> Result<Option<(Record, Located)>, SearchError> {
        let Some(located) = self.locate(id, viewer)? else {
            return Ok(None);
        };
        let path = self.content_root.join(&located.rel);
        let Ok(text) = fs::read_to_string(&path) else {
            return Ok(None);
        };
        let snapshot = self.snapshot();
        let known = snapshot.profiles.known_ids(None);
        match parse_document(id, &text, &known) {
            Ok((Document::Record(record), _)) if viewer.may_see(record.effective_visibility(), &record.studio) => {
                Ok(Some((*record, located)))
            }
            _ => Ok(None),
        }
    }

    /// Records like this one, among those the viewer may see.
    pub fn similar(&self, id: &str, viewer: &Viewer, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let Some(located) = self.locate(id, viewer)? else {
            return Ok(Vec::new());
        };
        let card = &located.card;
        let source = format!("{} {} {}", card.title, card.tags.join(" "), card.summary);
        Ok(self
            .like_text(&source, Some(id), viewer, limit)?
            .into_iter()
            .map(|(hit, _)| hit)
            .collect())
    }

    /// Records resembling a text (首创预检: a draft against what exists),
    /// each with the share (0–1) of the text's distinctive words it holds.
    pub fn like_text(
        &self,
        text: &str,
        exclude: Option<&str>,
        viewer: &Viewer,
        limit: usize,
    ) -> Result<Vec<(Hit, f32)>, SearchError> {
        Ok(self
            .like_text_explained(text, exclude, None, viewer, limit)?
            .into_iter()
            .map(|(hit, share, _)| (hit, share))
            .collect())
    }

    /// `like_text`, leaving out records of `skip_kind` (a problem's
    /// suggested solutions are never other problems), with the text's
    /// distinctive words each record holds: why it was suggested.
    pub fn like_text_explained(
        &self,
        text: &str,
        exclude: Option<&str>,
        skip_kind: Option<&str>,
        viewer: &Viewer,
        limit: usize,
    ) -> Result<Vec<(Hit, f32, Vec<String>)>, SearchError> {
        let snapshot = self.snapshot();
        let whole_words = self.query_words.get();
        let searcher = self.searcher();
        let total = searcher.num_docs().max(1) as f32;
        let mut words: Vec<QueryPiece> = Vec::new();
        for piece in snapshot.analyzer.query_pieces(&render::truncate_chars(text, 4000)) {
            // A bare number (a ring count, a length) names no topic.
            let surface = piece.surface();
            let topical = surface.chars().count() >= 2 && !surface.chars().all(|c| c.is_ascii_digit() || c == '.');
            if topical && !words.contains(&piece) {
                words.push(piece);
            }
        }
        // Rare words say more about a record than common ones; words no
        // record has cannot make two records alike. A word's frequency is
        // bounded by its rarest term's.
        let doc_freq = |piece: &QueryPiece| {
            let in_field = |field| {
                piece
                    .terms(&whole_words)
                    .iter()
                    .map(|(_, t)| searcher.doc_freq(&Term::from_field_text(field, t)).unwrap_or(0))
                    .min()
                    .unwrap_or(0)
            };
            (in_field(self.fields.body) + in_field(self.fields.title)) as f32
        };
        // The terms staff keep (dictionary, synonyms) name the domain's
        // topics: a record sharing them is on the same subject.
        let domain: std::collections::HashSet<&str> = snapshot
            .analyzer
            .dictionary_words()
            .chain(snapshot.synonyms.terms())
            .collect();
        let mut weighted: Vec<(f32, String)> = words
            .into_iter()
            .filter_map(|piece| {
                let df = doc_freq(&piece);
                let word = piece.surface();
                let weight = (1.0 + total / df).ln() * if domain.contains(word.as_str()) { 2.0 } else { 1.0 };
                (df > 0.0).then_some((weight, word))
            })
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
        weighted.truncate(16);
        let searched = self.fields.searched();
        let compiler = Compiler {
            analyzer: &snapshot.analyzer,
            synonyms: &snapshot.synonyms,
            indexed: &whole_words,
            fields: &searched,
            relaxed: false,
            skip_fillers: false,
        };
        let any: Vec<(Occur, Box<dyn Query>)> = weighted
            .iter()
            .filter_map(|(_, w)| compiler.clause(&Clause::Word(w.clone())))
            .map(|q| (Occur::Should, q))
            .collect();
        if any.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses = vec![(Occur::Must, Box::new(BooleanQuery::new(any)) as Box<dyn Query>)];
        clauses.extend(self.visibility_filter(viewer).map(|q| (Occur::Must, q)));
        if let Some(id) = exclude {
            clauses.push((Occur::MustNot, exact(self.fields.id, id)));
        }
        if let Some(kind) = skip_kind {
            clauses.push((Occur::MustNot, exact(self.fields.facet(super::FacetField::Kind), kind)));
        }
        // More candidates than asked for: the best by similarity need not
        // be the best by score.
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit.saturating_mul(4)).order_by_score(),
        )?;
        let all: f32 = weighted.iter().map(|(w, _)| w).sum();
        let mut found = top
            .into_iter()
            .map(|(score, address)| {
                let doc = self.load(&searcher, address)?;
                let title = super::analysis::normalize(&doc.card.title);
                let haystack = super::analysis::normalize(&format!("{} {} {}", title, doc.card.summary, doc.body));
                let held = |text: &str| -> f32 {
                    weighted
                        .iter()
                        .filter(|(_, w)| text.contains(w.as_str()))
                        .map(|(w, _)| w)
                        .sum()
                };
                // A shared word in the title counts half again.
                let share = (held(&haystack) + 0.5 * held(&title)) / (1.5 * all.max(f32::EPSILON));
                let shared = weighted
                    .iter()
                    .filter(|(_, w)| haystack.contains(w.as_str()))
                    .map(|(_, w)| w.clone())
                    .collect();
                Ok((
                    doc.into_hit(score, &Finder::new(&[]), &snapshot.analyzer),
                    share.min(1.0),
                    shared,
                ))
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.score.total_cmp(&a.0.score)));
        found.truncate(limit);
        Ok(found)
    }

    /// Titles for search-as-you-type: every word of `prefix` in the title,
    /// the last one possibly unfinished (its characters still match); for
    /// Latin letters also the titles holding the domain words they spell
    /// in pinyin (`dungou` → 盾构), after those holding the letters.
    pub fn suggest(&self, prefix: &str, viewer: &Viewer, limit: usize) -> Result<Vec<Card>, SearchError> {
        let mut cards = self.suggest_titles(prefix, viewer, limit)?;
        if cards.len() < limit && pinyin::looks_like_pinyin(prefix) {
            let snapshot = self.snapshot();
            let terms = snapshot.analyzer.dictionary_words().chain(snapshot.synonyms.terms());
            for word in pinyin::words_for(prefix, terms) {
                for card in self.suggest_titles(&word, viewer, limit)? {
                    if cards.len() < limit && !cards.iter().any(|c| c.id == card.id) {
                        cards.push(card);
                    }
                }
            }
        }
        Ok(cards)
    }

    fn suggest_titles(&self, prefix: &str, viewer: &Viewer, limit: usize) -> Result<Vec<Card>, SearchError> {
        let snapshot = self.snapshot();
        let parsed = query::parse(prefix);
        let title = [schema::Weighted {
            field: self.fields.title,
            boost: 1.0,
        }];
        let whole_words = self.query_words.get();
        let compiler = Compiler {
            analyzer: &snapshot.analyzer,
            synonyms: &Synonyms::default(),
            indexed: &whole_words,
            fields: &title,
            relaxed: false,
            skip_fillers: false,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = parsed
            .required
            .iter()
            .flatten()
            .filter_map(|c| compiler.clause(c))
            .map(|q| (Occur::Must, q))
            .collect();
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        clauses.extend(self.visibility_filter(viewer).map(|q| (Occur::Must, q)));
        let searcher = self.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| Ok(self.load(&searcher, address)?.card))
            .collect()
    }
}
