//! Finding records other than by a search: one record by id (and its file
//! as it is now), records like a record or a text (首创预检), and titles for
//! search-as-you-type, each only among what the viewer may see.

use std::fs;

use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};

use super::analysis::{QueryPiece, Synonyms};
use super::engine::{Engine, Located};
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
        let snapshot = self.snapshot();
        let whole_words = self.query_words.get();
        let searcher = self.searcher();
        let total = searcher.num_docs().max(1) as f32;
        let mut words: Vec<QueryPiece> = Vec::new();
        for piece in snapshot.analyzer.query_pieces(&render::truncate_chars(text, 4000)) {
            if piece.surface().chars().count() >= 2 && !words.contains(&piece) {
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
        let mut weighted: Vec<(f32, String)> = words
            .into_iter()
            .filter_map(|piece| {
                let df = doc_freq(&piece);
                (df > 0.0).then(|| ((1.0 + total / df).ln(), piece.surface()))
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
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let all: f32 = weighted.iter().map(|(w, _)| w).sum();
        top.into_iter()
            .map(|(score, address)| {
                let doc = self.load(&searcher, address)?;
                let haystack =
                    super::analysis::normalize(&format!("{} {} {}", doc.card.title, doc.card.summary, doc.body));
                let held: f32 = weighted
                    .iter()
                    .filter(|(_, w)| haystack.contains(w.as_str()))
                    .map(|(w, _)| w)
                    .sum();
                Ok((
                    doc.into_hit(score, &Finder::new(&[]), &snapshot.analyzer),
                    held / all.max(f32::EPSILON),
                ))
            })
            .collect()
    }

    /// Titles for search-as-you-type: every word of `prefix` in the title,
    /// the last one possibly unfinished (its characters still match).
    pub fn suggest(&self, prefix: &str, viewer: &Viewer, limit: usize) -> Result<Vec<Card>, SearchError> {
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
