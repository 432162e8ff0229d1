//! The baseline: the bare engine — tantivy with the same analysis
//! (`ZhTokenizer` with the dictionary's long words held whole, and the same
//! `Analyzer` and dictionary for queries), the same
//! number of indexing threads and writer memory, documents fed from
//! memory with the front matter stripped crudely. No Markdown, no
//! validation, no manifest, no facets, no visibility, no snippets, no
//! re-ranking: the limit of our stack for the same corpus and queries.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use zhihui::search::analysis::{Analyzer, QueryPiece, SharedWords, WholeWords, ZhTokenizer};

use crate::generator;
use crate::jieba::JiebaTokenizer;
use crate::queries::QuerySpec;

/// Same as the engine's `WRITER_MEMORY` and thread count.
const WRITER_MEMORY: usize = 200_000_000;
const THREADS: usize = 2;

pub struct BareDoc {
    pub title: String,
    pub body: String,
    codes: String,
    kind: String,
    studio: String,
    status: String,
    tags: Vec<String>,
    date: i64,
}

fn unquote(v: &str) -> String {
    v.trim().trim_matches('"').to_string()
}

/// Front matter lines read as `key: value`, the rest is the body.
pub fn crude(text: &str) -> BareDoc {
    let mut doc = BareDoc {
        title: String::new(),
        body: String::new(),
        codes: String::new(),
        kind: String::new(),
        studio: String::new(),
        status: String::new(),
        tags: Vec::new(),
        date: 0,
    };
    let (front, body) = match text.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")) {
        Some((front, body)) => (front, body),
        None => ("", text),
    };
    doc.body = body.to_string();
    for line in front.lines() {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        match key {
            "title" => doc.title = unquote(value),
            "kind" => doc.kind = value.trim().to_string(),
            "studio" => doc.studio = value.trim().to_string(),
            "status" => doc.status = value.trim().to_string(),
            "date" => doc.date = value.trim().replace('-', "").parse().unwrap_or(0),
            "application_no" | "publication_no" | "method_code" | "ipc" => {
                doc.codes.push_str(value.trim().trim_matches(['[', ']']));
                doc.codes.push('\n');
            }
            "tags" => {
                doc.tags = value
                    .trim()
                    .trim_matches(['[', ']'])
                    .split(", ")
                    .map(unquote)
                    .filter(|t| !t.is_empty())
                    .collect()
            }
            _ => {}
        }
    }
    doc
}

/// Every record file of the content folder, read and stripped (untimed).
pub fn load(content: &Path) -> (Vec<BareDoc>, u64) {
    let mut docs = Vec::new();
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(content).sort_by_file_name().into_iter().flatten() {
        let rel = entry.path().strip_prefix(content).unwrap_or(entry.path());
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        if !entry.file_type().is_file()
            || entry.path().extension().is_none_or(|e| e != "md")
            || matches!(top.as_deref(), Some("studios" | "alliances" | "exhibits"))
        {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            bytes += text.len() as u64;
            docs.push(crude(&text));
        }
    }
    (docs, bytes)
}

struct Fields {
    title: Field,
    body: Field,
    codes: Field,
    kind: Field,
    studio: Field,
    status: Field,
    tag: Field,
    year: Field,
    date: Field,
}

pub struct Bare {
    _writer: IndexWriter,
    reader: IndexReader,
    f: Fields,
    analyzer: Arc<Analyzer>,
    whole_words: Arc<WholeWords>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("zh")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let f = Fields {
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        codes: b.add_text_field("codes", text(false)),
        kind: b.add_text_field("kind", STRING | FAST),
        studio: b.add_text_field("studio", STRING | FAST),
        status: b.add_text_field("status", STRING | FAST),
        tag: b.add_text_field("tag", STRING | FAST),
        year: b.add_text_field("year", STRING | FAST),
        date: b.add_i64_field("date", INDEXED | FAST),
    };
    (b.build(), f)
}

/// Builds the index in `dir` from `docs`; returns the engine and the time
/// from the first document to the committed, searchable index.
pub fn build(
    dir: &Path,
    docs: &[BareDoc],
    analyzer: Arc<Analyzer>,
    whole_words: WholeWords,
    jieba: Option<JiebaTokenizer>,
) -> tantivy::Result<(Bare, Duration)> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let (schema, f) = schema();
    let index = Index::create_in_dir(dir, schema)?;
    let whole_words = SharedWords::new(Arc::new(whole_words));
    match jieba {
        // The same fields and documents, indexed as jieba's words.
        Some(jieba) => index.tokenizers().register("zh", jieba),
        None => index.tokenizers().register("zh", ZhTokenizer::new(whole_words.clone())),
    }
    let started = Instant::now();
    let mut writer = index.writer_with_num_threads(THREADS, WRITER_MEMORY)?;
    for d in docs {
        let mut doc = TantivyDocument::new();
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.codes, &d.codes);
        doc.add_text(f.kind, &d.kind);
        doc.add_text(f.studio, &d.studio);
        doc.add_text(f.status, &d.status);
        for t in &d.tags {
            doc.add_text(f.tag, t);
        }
        doc.add_text(f.year, (d.date / 10000).to_string());
        doc.add_i64(f.date, d.date);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    let elapsed = started.elapsed();
    // Kept open, like the engine's writer: merges finish in the background.
    Ok((
        Bare {
            _writer: writer,
            reader,
            f,
            analyzer,
            whole_words: whole_words.get(),
        },
        elapsed,
    ))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqsAndPositions,
    ))
}

fn any(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

impl Bare {
    fn filter(&self, name: &str, value: &str) -> Option<Box<dyn Query>> {
        let f = &self.f;
        let field = match name {
            "kind" => f.kind,
            "studio" => f.studio,
            "status" => f.status,
            "tag" => f.tag,
            "year" => f.year,
            "alliance" => {
                let studios = generator::studios_of(value);
                return Some(any(studios.iter().map(|s| term(f.studio, s)).collect()));
            }
            _ => return None,
        };
        Some(term(field, value))
    }

    /// The same query, read the simplest way: every word required (its
    /// jieba words as terms or bigram phrases of title, body or codes), `"…"` a phrase of
    /// title or body, `field:value` and the parameters as filters.
    fn compile(&self, spec: &QuerySpec) -> Box<dyn Query> {
        let f = &self.f;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for token in spec.q.split_whitespace() {
            if let Some(inner) = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                let terms = self.analyzer.phrase_terms(inner, &self.whole_words);
                let per_field = [f.title, f.body]
                    .iter()
                    .map(|&field| {
                        if terms.len() == 1 {
                            return term(field, &terms[0].1);
                        }
                        let terms = terms
                            .iter()
                            .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                            .collect();
                        Box::new(PhraseQuery::new_with_offset(terms)) as Box<dyn Query>
                    })
                    .collect();
                clauses.push((Occur::Must, any(per_field)));
                continue;
            }
            if let Some((name, value)) = token.split_once(':')
                && let Some(q) = self.filter(name, value)
            {
                clauses.push((Occur::Must, q));
                continue;
            }
            for piece in self.analyzer.query_pieces(token) {
                let fields = match &piece {
                    QueryPiece::Word(_) | QueryPiece::Char(_) => vec![f.title, f.body],
                    QueryPiece::Latin(_) | QueryPiece::Code(_) => vec![f.title, f.body, f.codes],
                };
                let terms = piece.terms(&self.whole_words);
                let per_field = fields
                    .into_iter()
                    .map(|field| match terms.as_slice() {
                        [(_, one)] => term(field, one),
                        _ => Box::new(PhraseQuery::new_with_offset(
                            terms
                                .iter()
                                .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                                .collect(),
                        )) as Box<dyn Query>,
                    })
                    .collect();
                clauses.push((Occur::Must, any(per_field)));
            }
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        for (name, value) in &spec.filters {
            if let Some(q) = self.filter(name, value) {
                clauses.push((Occur::Must, q));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Runs the query: the first 10 hits (by score, or by date) with their
    /// stored title loaded, and the total. Returns the total.
    pub fn search(&self, spec: &QuerySpec) -> tantivy::Result<usize> {
        let searcher = self.reader.searcher();
        let query = self.compile(spec);
        let (addresses, count): (Vec<_>, usize) = if spec.sort == "newest" {
            let top = TopDocs::with_limit(10).order_by_fast_field::<i64>("date", Order::Desc);
            let (top, total) = searcher.search(&query, &(top, Count))?;
            (top.into_iter().map(|(_, a)| a).collect(), total)
        } else {
            let (top, total) = searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
            (top.into_iter().map(|(_, a)| a).collect(), total)
        };
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let _title = doc.get_first(self.f.title).and_then(|v| v.as_str()).map(str::len);
        }
        Ok(count)
    }
}
