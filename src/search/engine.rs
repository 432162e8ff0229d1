//! The index under `index/`: keeping it in step with `content/` (only what
//! changed, tracked by a manifest of content hashes), and answering
//! searches, lookups, similar records and suggestions for a viewer.
//!
//! The index is derived data: if it is missing, from an older version or
//! unreadable, it is rebuilt from the files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::postings::Postings;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{
    DocAddress, DocId, DocSet, Executor, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, Term,
};

use super::analysis::{Analyzer, QueryPiece, SharedWords, Synonyms, WholeWords, ZhTokenizer};
use super::document::Audience;
use super::facets::{FacetCache, FacetCounts};
use super::query::{self, Clause, Compiler, Notice};
use super::schema::{self, FacetField, Fields};
use super::snippet::{self, Finder, Needle, Span};
use super::store::{self, VERSION_FILE};
use super::sync::{CommitPayload, Manifest};
use super::visible::{Rule, Visible, VisibleCache};
use super::{Card, FacetValues, Hit, SearchError, SearchRequest, SearchResults, Sort};
use crate::auth::Viewer;
use crate::content::load::{DICTIONARY_FILE, Profiles, SYNONYMS_FILE};
use crate::content::{Document, Record, Visibility, parse_document, render};

/// How many best hits are re-ranked by proximity.
const RERANK_DEPTH: usize = 50;

pub(super) const WRITER_MEMORY: usize = 200_000_000;

/// What searches read: replaced whole when profiles or staff files change.
pub struct Snapshot {
    pub analyzer: Arc<Analyzer>,
    pub synonyms: Synonyms,
    pub profiles: Profiles,
}

pub(super) struct Writer {
    /// `None` only after rebuilding the index in place failed: every
    /// write then answers that the index is unavailable.
    pub(super) writer: Option<IndexWriter>,
    /// The reader a commit reloads: the one searches use, except while
    /// the index is rebuilt in place (`Engine::repair`).
    pub(super) reader: IndexReader,
    pub(super) manifest: Manifest,
    /// Lines in the journal since the manifest was last written whole.
    pub(super) journal: usize,
}

/// Why an index found on disk is not used as it is.
enum Unusable {
    /// Outdated, damaged or unreadable: it is rebuilt from the files.
    Damaged(String),
    /// It cannot be judged or replaced now (another process holds it).
    Error(SearchError),
}

pub struct Engine {
    pub(super) content_root: PathBuf,
    pub(super) index_dir: PathBuf,
    /// What searches read; replaced only when the index is rebuilt in place.
    pub(super) reader: RwLock<IndexReader>,
    /// The files `reader`'s searcher reads, with their sizes when opened,
    /// which `ensure_writable` checks are still there.
    pub(super) searched_files: RwLock<Vec<(PathBuf, u64)>>,
    /// Set while the index is rebuilt in place (`ensure_writable`).
    pub(super) repairing: AtomicBool,
    pub(super) fields: Fields,
    pub(super) writer: Mutex<Writer>,
    pub(super) snapshot: RwLock<Arc<Snapshot>>,
    pub(super) facets: FacetCache,
    pub(super) visible: VisibleCache,
    /// The words the tokenizer indexes whole: the staff files' as the
    /// last sync read them.
    pub(super) indexing_words: SharedWords,
    /// The words every committed document holds whole, which queries may
    /// ask for as one term: the same set, except while a dictionary change
    /// is being indexed, when it is what the old and new sets share.
    pub(super) query_words: SharedWords,
}

/// A record found by id, with where its file is.
#[derive(Debug, Clone)]
pub struct Located {
    pub rel: String,
    pub card: Card,
}

pub(super) fn read_optional(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

impl Engine {
    /// Opens the index, or creates it, or starts it anew when what is
    /// there is from another version or damaged (every segment file is
    /// read and checked against its checksum: tantivy would otherwise open
    /// a damaged index and fail only when a search or merge reads the
    /// damaged part). Call `sync` afterwards to bring it up to date.
    pub fn open(content_root: &Path, index_dir: &Path) -> Result<Engine, SearchError> {
        Self::open_with(content_root, index_dir, false)
    }

    /// Opens an empty index in place of whatever `index_dir` holds,
    /// without reading it (`zhihui index --rebuild`: it may be unreadable).
    /// Call `sync` afterwards to fill it.
    pub fn open_empty(content_root: &Path, index_dir: &Path) -> Result<Engine, SearchError> {
        Self::open_with(content_root, index_dir, true)
    }

    fn open_with(content_root: &Path, index_dir: &Path, empty: bool) -> Result<Engine, SearchError> {
        if !content_root.is_dir() {
            return Err(SearchError::NoContent(content_root.to_path_buf()));
        }
        let found = match empty {
            true => Err(Unusable::Damaged("a rebuild was asked for".into())),
            false => Self::open_existing(content_root, index_dir),
        };
        match found {
            Ok(Some(engine)) => return Ok(engine),
            Ok(None) => {}
            Err(Unusable::Error(e)) => return Err(e),
            Err(Unusable::Damaged(reason)) if empty => {
                tracing::info!(dir = %index_dir.display(), %reason, "starting the index anew");
            }
            Err(Unusable::Damaged(reason)) => {
                tracing::warn!(dir = %index_dir.display(), %reason, "index unusable: rebuilding it from the files");
            }
        }
        let index = Self::create(index_dir)?;
        Self::assemble(content_root, index_dir, index, (Manifest::default(), 0))
    }

    /// The index already in `index_dir`, checked whole; `None` when there
    /// is none yet.
    fn open_existing(content_root: &Path, index_dir: &Path) -> Result<Option<Engine>, Unusable> {
        let Some(lock) = store::lock(index_dir).map_err(Unusable::Error)? else {
            return Ok(None);
        };
        let only_locks = fs::read_dir(index_dir).is_ok_and(|mut entries| {
            entries.all(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".tantivy-")))
        });
        if only_locks {
            return Ok(None);
        }
        let version = read_optional(&index_dir.join(VERSION_FILE));
        if version.trim() != schema::SCHEMA_VERSION {
            return Err(Unusable::Damaged(format!(
                "built by schema version {:?}, this program's is {}",
                version.trim(),
                schema::SCHEMA_VERSION
            )));
        }
        let index = Index::open_in_dir(index_dir).map_err(|e| Unusable::Damaged(e.to_string()))?;
        let has_documents = index
            .load_metas()
            .map_err(|e| Unusable::Damaged(e.to_string()))?
            .segments
            .iter()
            .any(|s| s.max_doc() > 0);
        // The manifest (22 MiB of JSON at 100k records) is read while the
        // segments are checked.
        let manifest = {
            let dir = index_dir.to_path_buf();
            std::thread::spawn(move || Manifest::load(&dir, has_documents))
        };
        let checking = Instant::now();
        let damage = store::damage(&index);
        tracing::debug!(
            ms = checking.elapsed().as_secs_f64() * 1000.0,
            "segment files checked against their checksums"
        );
        let manifest = manifest
            .join()
            .unwrap_or_else(|_| Err("reading the manifest failed".into()));
        if let Some(damage) = damage {
            return Err(Unusable::Damaged(damage));
        }
        let manifest = manifest.map_err(Unusable::Damaged)?;
        drop(lock);
        match Self::assemble(content_root, index_dir, index, manifest) {
            Ok(engine) => Ok(Some(engine)),
            Err(e @ (SearchError::Index(tantivy::TantivyError::LockFailure(..)) | SearchError::Busy(_))) => {
                Err(Unusable::Error(e))
            }
            Err(e) => Err(Unusable::Damaged(e.to_string())),
        }
    }

    /// An empty index in `index_dir`, in place of the index files there.
    pub(super) fn create(index_dir: &Path) -> Result<Index, SearchError> {
        let lock = store::lock(index_dir)?;
        store::clear(index_dir)?;
        fs::create_dir_all(index_dir).map_err(|e| SearchError::io(index_dir, e))?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(index_dir, schema)?;
        crate::atomic::write(&index_dir.join(VERSION_FILE), schema::SCHEMA_VERSION.as_bytes())
            .map_err(|e| SearchError::io(index_dir, e))?;
        drop(lock);
        Ok(index)
    }

    /// Readies an index for searching and writing with the words its
    /// documents hold whole.
    pub(super) fn prepare_index(index: &mut Index, indexing_words: &SharedWords) -> Result<(), SearchError> {
        index
            .tokenizers()
            .register(schema::TOKENIZER, ZhTokenizer::new(indexing_words.clone()));
        // A query's segments are searched on every core: one person's
        // search should not wait on one core while the other idles.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores > 1 {
            index.set_multithread_executor(cores)?;
        }
        Ok(())
    }

    fn assemble(
        content_root: &Path,
        index_dir: &Path,
        mut index: Index,
        (manifest, journal): (Manifest, usize),
    ) -> Result<Engine, SearchError> {
        let analyzer = Arc::new(Analyzer::new(&read_optional(&content_root.join(DICTIONARY_FILE))));
        let synonyms = Synonyms::parse(&read_optional(&content_root.join(SYNONYMS_FILE)));
        let (_, fields) = schema::build();
        let payload: CommitPayload = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default();
        let whole_words = Arc::new(WholeWords::from_words(payload.whole_words));
        let indexing_words = SharedWords::new(whole_words.clone());
        let query_words = SharedWords::new(whole_words);
        Self::prepare_index(&mut index, &indexing_words)?;
        let writer = index.writer_with_num_threads(2, WRITER_MEMORY)?;
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let facets = FacetCache::default();
        let searcher = reader.searcher();
        facets.refresh(searcher.segment_readers())?;
        let searched_files = store::searched_files(index_dir, &searcher);
        Ok(Engine {
            content_root: content_root.to_path_buf(),
            index_dir: index_dir.to_path_buf(),
            reader: RwLock::new(reader.clone()),
            searched_files: RwLock::new(searched_files),
            repairing: AtomicBool::new(false),
            fields,
            writer: Mutex::new(Writer {
                writer: Some(writer),
                reader,
                manifest,
                journal,
            }),
            snapshot: RwLock::new(Arc::new(Snapshot {
                analyzer,
                synonyms,
                profiles: Profiles::default(),
            })),
            facets,
            visible: VisibleCache::default(),
            indexing_words,
            query_words,
        })
    }

    pub(super) fn searcher(&self) -> Searcher {
        self.reader.read().unwrap_or_else(|e| e.into_inner()).searcher()
    }

    pub fn content_root(&self) -> &Path {
        &self.content_root
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// The clause every query carries: only what the viewer may see
    /// (none for staff, who see everything). One term for everyone but a
    /// publisher: a union over most of the index is not free.
    fn visibility_filter(&self, viewer: &Viewer) -> Option<Box<dyn Query>> {
        let open = viewer.open_visibilities();
        if Visibility::ALL.iter().all(|v| open.contains(v)) {
            return None;
        }
        // Fails closed: a viewer no audience fits sees only their studio's.
        let mut allowed: Vec<Box<dyn Query>> = Audience::widest_within(open)
            .map(|a| exact(self.fields.audience, a.as_str()))
            .into_iter()
            .collect();
        if let Some(studio) = viewer.own_studio() {
            let own = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    exact(self.fields.facet(FacetField::Visibility), Visibility::Studio.as_str()),
                ),
                (Occur::Must, exact(self.fields.facet(FacetField::Studio), studio)),
            ]);
            allowed.push(Box::new(own));
        }
        if allowed.is_empty() {
            return Some(Box::new(EmptyQuery));
        }
        Some(Box::new(ConstScoreQuery::new(query::any_of(allowed), 0.0)))
    }

    /// `visibility_filter` as a rule for `Visible`, named by the kind of
    /// viewer it is for.
    fn visibility_rule(&self, viewer: &Viewer) -> Option<Rule> {
        let query = self.visibility_filter(viewer)?;
        let key = format!(
            "{:?}/{}",
            Audience::widest_within(viewer.open_visibilities()),
            viewer.own_studio().unwrap_or("")
        );
        Some(Rule { key, query })
    }

    fn filter(&self, filters: &BTreeMap<FacetField, Vec<String>>) -> Vec<Box<dyn Query>> {
        filters
            .iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(which, values)| {
                let field = self.fields.facet(*which);
                let any = BooleanQuery::new(values.iter().map(|v| (Occur::Should, exact(field, v))).collect());
                Box::new(ConstScoreQuery::new(Box::new(any), 0.0)) as Box<dyn Query>
            })
            .collect()
    }

    pub fn search(&self, request: &SearchRequest, viewer: &Viewer) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        // The whole search runs on a search thread, which then works on its
        // own segments and hits alongside the others. Called from outside
        // the pool, every parallel step would hand the work over and sleep
        // until it is done, and waking a sleeping thread costs tens of
        // microseconds on a virtual machine.
        let searcher = self.searcher();
        match searcher.index().search_executor() {
            Executor::ThreadPool(pool) if pool.current_thread_index().is_none() => {
                pool.install(|| self.search_here(&searcher, request, viewer, started))
            }
            _ => self.search_here(&searcher, request, viewer, started),
        }
    }

    fn search_here(
        &self,
        searcher: &Searcher,
        request: &SearchRequest,
        viewer: &Viewer,
        started: Instant,
    ) -> Result<SearchResults, SearchError> {
        let snapshot = self.snapshot();
        let parsed = query::parse(&request.q);
        let mut notices = parsed.notices.clone();
        let mut filters = request.filters.clone();
        for (which, value) in &parsed.filters {
            filters.entry(*which).or_default().push(value.clone());
        }
        let searched = self.fields.searched();
        let whole_words = self.query_words.get();
        let compiler = Compiler {
            analyzer: &snapshot.analyzer,
            synonyms: &snapshot.synonyms,
            indexed: &whole_words,
            fields: &searched,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = false;
        for group in &parsed.required {
            let alternatives: Vec<Box<dyn Query>> = group.iter().filter_map(|c| compiler.clause(c)).collect();
            if !alternatives.is_empty() {
                positive = true;
                let any = BooleanQuery::new(alternatives.into_iter().map(|q| (Occur::Should, q)).collect());
                clauses.push((Occur::Must, Box::new(any)));
            }
        }
        if !parsed.required.is_empty() && !positive {
            notices.push(Notice::NothingSearchable);
        }
        if !positive {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        for clause in &parsed.excluded {
            if let Some(q) = compiler.clause(clause) {
                clauses.push((Occur::MustNot, q));
            }
        }
        clauses.extend(self.filter(&filters).into_iter().map(|q| (Occur::Must, q)));
        let query = BooleanQuery::new(clauses);
        let rule = self.visibility_rule(viewer);

        let per_page = request.per_page.clamp(1, 100);
        let page = request.page.max(1);
        let offset = (page - 1) * per_page;
        let facets = FacetCounts { cache: &self.facets };
        let needles = compiler.needles(&parsed);
        let (mut ranked, total, counts): (Vec<(f32, DocAddress)>, usize, _) = match request.sort {
            Sort::Relevance => {
                let depth = if positive {
                    (offset + per_page).max(RERANK_DEPTH)
                } else {
                    offset + per_page
                };
                let top = TopDocs::with_limit(depth).order_by_score();
                let (top, total, counts) =
                    self.collect_visible(searcher, &query, rule.as_ref(), (top, Count, facets))?;
                (top, total, counts)
            }
            Sort::Newest => {
                let top = TopDocs::with_limit(per_page)
                    .and_offset(offset)
                    .order_by_fast_field::<i64>("date", Order::Desc);
                let (top, total, counts) =
                    self.collect_visible(searcher, &query, rule.as_ref(), (top, Count, facets))?;
                (
                    top.into_iter().map(|(d, a)| (d.unwrap_or(0) as f32, a)).collect(),
                    total,
                    counts,
                )
            }
            Sort::Benefit => {
                let top = TopDocs::with_limit(per_page)
                    .and_offset(offset)
                    .order_by_fast_field::<f64>("benefit", Order::Desc);
                let (top, total, counts) =
                    self.collect_visible(searcher, &query, rule.as_ref(), (top, Count, facets))?;
                (
                    top.into_iter().map(|(b, a)| (b.unwrap_or(0.0) as f32, a)).collect(),
                    total,
                    counts,
                )
            }
        };
        let finder = Finder::new(&needles);
        let show = |address: DocAddress, score: f32| -> Result<Hit, SearchError> {
            Ok(self
                .load(searcher, address)?
                .into_hit(score, &finder, &snapshot.analyzer))
        };
        let mut shown_early: Vec<(DocAddress, Hit)> = Vec::new();
        if request.sort == Sort::Relevance && positive {
            let terms: Vec<Vec<(usize, String)>> = needles
                .iter()
                .map(|needle| match needle {
                    Needle::Text(text) => snapshot.analyzer.phrase_terms(text, &whole_words),
                    Needle::Latin(stem) => vec![(0, stem.clone())],
                })
                .collect();
            let addresses: Vec<DocAddress> = ranked.iter().map(|(_, a)| *a).collect();
            // Re-ranking reads positions on one thread. Meanwhile another
            // loads and snippets the hits the page would show without it,
            // most of which it still shows, until re-ranking is done.
            let reranked = AtomicBool::new(false);
            let early = Mutex::new(Vec::new());
            let likely: Vec<DocAddress> = addresses.iter().skip(offset).take(per_page).copied().collect();
            let executor = searcher.index().search_executor();
            // The thread that asks runs the last step first. A single thread
            // would show the likely hits before re-ranking, not beside it,
            // some of them for nothing.
            let steps = match executor {
                Executor::ThreadPool(_) => vec![Step::ShowLikely, Step::Rerank],
                Executor::SingleThread => vec![Step::Rerank],
            };
            let mut steps = executor.map(
                |step: Step| match step {
                    Step::ShowLikely => {
                        for &address in &likely {
                            if reranked.load(Ordering::Acquire) {
                                break;
                            }
                            // An error shows again when the hit is loaded below.
                            if let Ok(hit) = show(address, 0.0) {
                                early.lock().unwrap_or_else(|e| e.into_inner()).push((address, hit));
                            }
                        }
                        Ok(None)
                    }
                    Step::Rerank => {
                        let result = self.proximity_boosts(searcher, &terms, &addresses);
                        reranked.store(true, Ordering::Release);
                        Ok(Some(result))
                    }
                },
                steps.into_iter(),
            )?;
            let boosts = steps
                .pop()
                .flatten()
                .ok_or_else(|| SearchError::Internal("re-ranking did not run".into()))??;
            for ((score, _), boost) in ranked.iter_mut().zip(boosts) {
                *score *= boost;
            }
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            shown_early = early.into_inner().unwrap_or_else(|e| e.into_inner());
        }
        let page_hits: Vec<(f32, DocAddress)> = match request.sort {
            Sort::Relevance => ranked.into_iter().skip(offset).take(per_page).collect(),
            _ => ranked,
        };
        // Loading and snippeting the page's hits is a third of a query's
        // time: it runs on the search threads too.
        let hits = searcher.index().search_executor().map(
            |(score, address)| match shown_early.iter().any(|(a, _)| *a == address) {
                true => Ok(None),
                false => Ok(Some(show(address, score))),
            },
            page_hits.iter().copied(),
        )?;
        let hits = in_page_order(&page_hits, hits, shown_early, |hit, score| hit.score = score)?;
        let facets = FacetField::ALL
            .iter()
            .zip(counts)
            .map(|(which, counts)| {
                let mut values: Vec<(String, u64)> = counts.into_iter().collect();
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                FacetValues { field: *which, values }
            })
            .collect();
        Ok(SearchResults {
            total,
            hits,
            facets,
            notices,
            filters,
            page,
            per_page,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// `searcher.search`, with only the matches `rule` lets the viewer see
    /// reaching `collector`.
    fn collect_visible<C: Collector>(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        rule: Option<&Rule>,
        collector: C,
    ) -> tantivy::Result<C::Fruit> {
        let visible = Visible {
            inner: collector,
            rule,
            cache: &self.visible,
        };
        searcher.search(query, &visible)
    }

    /// Each document's re-ranking boost (`proximity_boost`), from where the
    /// needles' terms stand in its title and body.
    fn proximity_boosts(
        &self,
        searcher: &Searcher,
        terms: &[Vec<(usize, String)>],
        docs: &[DocAddress],
    ) -> Result<Vec<f32>, SearchError> {
        let title = self.occurrences(searcher, self.fields.title, terms, docs)?;
        // Proximity in the body needs two words or more.
        let body = if terms.iter().filter(|t| !t.is_empty()).count() >= 2 {
            self.occurrences(searcher, self.fields.body, terms, docs)?
        } else {
            vec![Vec::new(); docs.len()]
        };
        Ok(title
            .iter()
            .zip(&body)
            .map(|(t, b)| proximity_boost(t, b, terms))
            .collect())
    }

    /// Where each needle (its terms at their offsets) starts in `field` of
    /// each document, in unit positions, read from the index's positions
    /// rather than from stored text: re-ranking needs no document loaded.
    fn occurrences(
        &self,
        searcher: &Searcher,
        field: Field,
        needles: &[Vec<(usize, String)>],
        docs: &[DocAddress],
    ) -> Result<Vec<Vec<Span>>, SearchError> {
        let mut out = vec![Vec::new(); docs.len()];
        let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
        for (i, address) in docs.iter().enumerate() {
            by_segment
                .entry(address.segment_ord)
                .or_default()
                .push((address.doc_id, i));
        }
        for (segment, mut wanted) in by_segment {
            // Postings only move forward.
            wanted.sort_unstable();
            let inverted = searcher.segment_reader(segment).inverted_index(field)?;
            for (n, terms) in needles.iter().enumerate() {
                let Some(length) = units(terms) else {
                    continue;
                };
                // Per term, its positions in each wanted document.
                let mut positions: Vec<Vec<Vec<u32>>> = Vec::with_capacity(terms.len());
                for (_, text) in terms {
                    let mut lists = vec![Vec::new(); wanted.len()];
                    let term = Term::from_field_text(field, text);
                    if let Some(mut postings) = inverted
                        .read_postings(&term, IndexRecordOption::WithFreqsAndPositions)
                        .map_err(tantivy::TantivyError::from)?
                    {
                        for (list, (doc, _)) in lists.iter_mut().zip(&wanted) {
                            if postings.doc() <= *doc && postings.seek(*doc) == *doc {
                                postings.positions(list);
                            }
                        }
                    }
                    positions.push(lists);
                }
                for (k, (_, i)) in wanted.iter().enumerate() {
                    let (first_offset, _) = terms[0];
                    for &p in &positions[0][k] {
                        let Some(start) = (p as usize).checked_sub(first_offset) else {
                            continue;
                        };
                        let all_there = terms
                            .iter()
                            .zip(&positions)
                            .skip(1)
                            .all(|((offset, _), lists)| lists[k].binary_search(&((start + offset) as u32)).is_ok());
                        if all_there {
                            out[*i].push(Span {
                                start,
                                end: start + length,
                                needle: n,
                            });
                        }
                    }
                }
            }
        }
        for spans in &mut out {
            spans.sort_by_key(|s| (s.start, s.end));
        }
        Ok(out)
    }

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

fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A page's hits in its order: each either loaded (`Some`) or shown early,
/// before re-ranking, and given its final score now.
fn in_page_order<T>(
    page: &[(f32, DocAddress)],
    loaded: Vec<Option<Result<T, SearchError>>>,
    mut early: Vec<(DocAddress, T)>,
    set_score: impl Fn(&mut T, f32),
) -> Result<Vec<T>, SearchError> {
    loaded
        .into_iter()
        .zip(page)
        .map(|(loaded, (score, address))| match loaded {
            Some(hit) => hit,
            None => {
                let at = early
                    .iter()
                    .position(|(a, _)| a == address)
                    .ok_or_else(|| SearchError::Internal("a hit shown early went missing".into()))?;
                let (_, mut hit) = early.swap_remove(at);
                set_score(&mut hit, *score);
                Ok(hit)
            }
        })
        .collect()
}

/// The two things done at once after the matches are collected.
enum Step {
    ShowLikely,
    Rerank,
}

/// How many units (positions) a needle's terms cover: a Chinese term one
/// per character, a Latin word or code one.
fn units(terms: &[(usize, String)]) -> Option<usize> {
    let (offset, last) = terms.last()?;
    let chars = last.chars().count();
    Some(
        offset
            + if last.chars().all(super::analysis::is_cjk) {
                chars
            } else {
                1
            },
    )
}

/// Rewards records whose body holds the query words close together, and
/// whose title holds them all: a short precise record should not lose to a
/// long one that merely repeats the words far apart. Spans are in unit
/// positions (`occurrences`).
fn proximity_boost(title: &[Span], body: &[Span], needles: &[Vec<(usize, String)>]) -> f32 {
    let searchable = needles.iter().filter(|terms| !terms.is_empty()).count();
    if searchable == 0 {
        return 1.0;
    }
    let mut boost = 1.0;
    if let Some((_, distinct)) = snippet::tightest_window(title, needles.len())
        && distinct == searchable
    {
        boost += 0.3;
    }
    if searchable >= 2
        && let Some((window, distinct)) = snippet::tightest_window(body, needles.len())
    {
        let needed: usize = needles.iter().filter_map(|terms| units(terms)).sum();
        let coverage = distinct as f32 / searchable as f32;
        let tightness = (needed as f32 / window.max(1) as f32).min(1.0);
        boost += 0.6 * coverage * coverage * tightness.sqrt();
    }
    boost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_shown_early_take_their_place_and_final_score() {
        let at = |doc| DocAddress::new(0, doc);
        let page = [(3.0, at(7)), (2.0, at(5)), (1.0, at(9))];
        let loaded = vec![None, Some(Ok((5, 2.0))), None];
        // Shown early in the order before re-ranking, with a placeholder
        // score, and one the page no longer shows.
        let early = vec![(at(9), (9, 0.0)), (at(4), (4, 0.0)), (at(7), (7, 0.0))];
        let hits = in_page_order(&page, loaded, early, |hit, score| hit.1 = score).unwrap();
        assert_eq!(hits, vec![(7, 3.0), (5, 2.0), (9, 1.0)]);
        let missing = in_page_order(
            &page[..1],
            vec![None::<Result<(u32, f32), SearchError>>],
            Vec::new(),
            |_, _| {},
        );
        assert!(missing.is_err());
    }

    #[test]
    fn proximity_rewards_words_close_together_and_all_in_the_title() {
        let needles = vec![vec![(0, "盾构".to_string())], vec![(0, "管片".to_string())]];
        let span = |start, needle| Span {
            start,
            end: start + 2,
            needle,
        };
        let close = proximity_boost(&[], &[span(10, 0), span(12, 1)], &needles);
        let far = proximity_boost(&[], &[span(10, 0), span(400, 1)], &needles);
        let titled = proximity_boost(&[span(0, 0), span(3, 1)], &[span(10, 0), span(400, 1)], &needles);
        assert!(close > far, "{close} {far}");
        assert!(titled > far, "{titled} {far}");
        assert_eq!(proximity_boost(&[], &[], &needles), 1.0);
    }
}
