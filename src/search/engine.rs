//! The index under `index/`: keeping it in step with `content/` (only what
//! changed, tracked by a manifest of content hashes), and answering
//! searches, lookups, similar records and suggestions for a viewer.
//!
//! The index is derived data: if it is missing, from an older version or
//! unreadable, it is rebuilt from the files.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, DocSetCollector, TopDocs};
use tantivy::postings::Postings;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocId, DocSet, Executor, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, Term,
};

use super::analysis::{Analyzer, INDEX_ANALYSIS, QueryPiece, SharedWords, Synonyms, WholeWords, ZhTokenizer};
use super::facets::{FacetCache, FacetCounts};
use super::query::{self, Clause, Compiler, Notice};
use super::schema::{self, FacetField, Fields};
use super::snippet::{self, Finder, Needle, Span};
use super::store::{self, JOURNAL_FILE, MANIFEST_FILE, VERSION_FILE};
use super::visible::{Rule, Visible, VisibleCache};
use super::{Card, FacetValues, Hit, SearchError, SearchRequest, SearchResults, Sort};
use crate::auth::Viewer;
use crate::content::load::{self, DICTIONARY_FILE, Profiles, SYNONYMS_FILE, SourceFile};
use crate::content::{Document, FileProblem, KnownIds, Problem, Record, Section, Visibility, parse_document, render};

/// Journal lines beyond which the next commit rewrites the manifest.
/// The journal (`store::JOURNAL_FILE`) holds the changes to the manifest
/// since `manifest.json` was written, one JSON line per file: a publish
/// appends a line instead of rewriting the whole manifest (225 MiB at a
/// million records).
const JOURNAL_LIMIT: usize = 10_000;
/// How many best hits are re-ranked by proximity.
const RERANK_DEPTH: usize = 50;
const SNIPPET_CHARS: usize = 120;
const WRITER_MEMORY: usize = 200_000_000;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Manifest {
    analyzer: String,
    files: HashMap<String, FileEntry>,
    /// Studio id → signature of what records take from its profile.
    studios: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    id: String,
    size: u64,
    mtime_ns: u128,
    hash: String,
    studio: String,
    indexed: bool,
}

/// What one sync did.
#[derive(Debug, Default, Clone)]
pub struct SyncReport {
    pub indexed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Record files left out because of errors (all of them, not only new).
    pub skipped: usize,
    /// Problems of the files read in this sync, and of every profile.
    pub problems: Vec<FileProblem>,
    pub rebuilt: bool,
    pub elapsed: Duration,
}

/// What searches read: replaced whole when profiles or staff files change.
pub struct Snapshot {
    pub analyzer: Arc<Analyzer>,
    pub synonyms: Synonyms,
    pub profiles: Profiles,
}

struct Writer {
    /// `None` only after rebuilding the index in place failed: every
    /// write then answers that the index is unavailable.
    writer: Option<IndexWriter>,
    /// The reader a commit reloads: the one searches use, except while
    /// the index is rebuilt in place (`Engine::repair`).
    reader: IndexReader,
    manifest: Manifest,
    /// Lines in the journal since the manifest was last written whole.
    journal: usize,
}

/// One line of the journal: a file's entry now, or `None` once removed.
#[derive(Debug, Serialize, Deserialize)]
struct JournalLine {
    rel: String,
    entry: Option<FileEntry>,
}

impl Manifest {
    /// The manifest as last committed: `manifest.json` with the journal's
    /// changes applied, and the journal's length. A journal line cut short
    /// by a crash, or garbled, is ignored: its file no longer matches what
    /// is recorded, so it is indexed again. An unreadable `manifest.json`
    /// is an error (the index cannot be trusted without it), except for an
    /// index with no documents yet.
    fn load(index_dir: &Path, has_documents: bool) -> Result<(Manifest, usize), String> {
        let mut manifest: Manifest = match fs::read(index_dir.join(MANIFEST_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{MANIFEST_FILE} 已损坏：{e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !has_documents => Manifest::default(),
            Err(e) => return Err(format!("无法读取 {MANIFEST_FILE}：{e}")),
        };
        let journal = fs::read(index_dir.join(JOURNAL_FILE)).unwrap_or_default();
        let mut lines = 0;
        let mut garbled = 0;
        let mut rest: &[u8] = &journal;
        while !rest.is_empty() {
            let (line, next) = match rest.iter().position(|b| *b == b'\n') {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, &[][..]),
            };
            rest = next;
            match serde_json::from_slice::<JournalLine>(line) {
                Ok(JournalLine { rel, entry }) => {
                    match entry {
                        Some(entry) => manifest.files.insert(rel, entry),
                        None => manifest.files.remove(&rel),
                    };
                    lines += 1;
                }
                Err(_) if rest.is_empty() && !journal.ends_with(b"\n") => {}
                Err(_) => garbled += 1,
            }
        }
        if garbled > 0 {
            tracing::warn!(
                file = %index_dir.join(JOURNAL_FILE).display(),
                garbled,
                "manifest journal has unreadable lines: ignored, their files are read again"
            );
        }
        // A line cut short would swallow the next one appended, and garbled
        // ones would stay: write the manifest whole at the next commit.
        if garbled > 0 || (!journal.is_empty() && !journal.ends_with(b"\n")) {
            lines = JOURNAL_LIMIT + 1;
        }
        Ok((manifest, lines))
    }
}

/// Why an index found on disk is not used as it is.
enum Unusable {
    /// Outdated, damaged or unreadable: it is rebuilt from the files.
    Damaged(String),
    /// It cannot be judged or replaced now (another process holds it).
    Error(SearchError),
}

pub struct Engine {
    content_root: PathBuf,
    index_dir: PathBuf,
    /// What searches read; replaced only when the index is rebuilt in place.
    reader: RwLock<IndexReader>,
    /// The files `reader`'s searcher reads, with their sizes when opened,
    /// which `ensure_writable` checks are still there.
    searched_files: RwLock<Vec<(PathBuf, u64)>>,
    /// Set while the index is rebuilt in place (`ensure_writable`).
    repairing: AtomicBool,
    fields: Fields,
    writer: Mutex<Writer>,
    snapshot: RwLock<Arc<Snapshot>>,
    facets: FacetCache,
    visible: VisibleCache,
    /// The words the tokenizer indexes whole: the staff files' as the
    /// last sync read them.
    indexing_words: SharedWords,
    /// The words every committed document holds whole, which queries may
    /// ask for as one term: the same set, except while a dictionary change
    /// is being indexed, when it is what the old and new sets share.
    query_words: SharedWords,
}

/// What a commit records besides the documents, in tantivy's meta.json so
/// that it changes atomically with them.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CommitPayload {
    whole_words: Vec<String>,
}

/// A record found by id, with where its file is.
#[derive(Debug, Clone)]
pub struct Located {
    pub rel: String,
    pub card: Card,
}

fn unavailable() -> SearchError {
    SearchError::Unavailable("索引不可用：从内容文件重建它没有成功，请查看服务器日志".into())
}

fn read_optional(path: &Path) -> String {
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
    fn create(index_dir: &Path) -> Result<Index, SearchError> {
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
    fn prepare_index(index: &mut Index, indexing_words: &SharedWords) -> Result<(), SearchError> {
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

    /// Whether a write can be committed now: the index folder, its
    /// `meta.json` and version, and every file searches read are still
    /// there as they were opened. A few `stat`s and one small read: the
    /// publisher calls it before changing any file, so that a write to a
    /// server whose index is gone fails before anything changes, and
    /// `/healthz` reports it.
    ///
    /// When the index was deleted or damaged under the running server, it
    /// is rebuilt in place from the files on another thread, searches
    /// answering from the old files (still mapped) until it is done; this
    /// answers `SearchError::Unavailable` until then.
    pub fn ensure_writable(self: &Arc<Self>) -> Result<(), SearchError> {
        if self.repairing.load(Ordering::Acquire) {
            return Err(SearchError::Unavailable("索引正在从内容文件重建，请稍后再试".into()));
        }
        let check = || {
            let searched = self.searched_files.read().unwrap_or_else(|e| e.into_inner()).clone();
            let problem = store::problem(&self.index_dir, schema::SCHEMA_VERSION, &searched);
            (searched, problem)
        };
        let (seen, mut problem) = check();
        // A commit may have moved searches to new segments (and old files
        // may go) between reading the list and checking it: what counts is
        // the list as it is now.
        if problem.is_some() {
            let (now, again) = check();
            if now != seen {
                problem = again;
            }
        }
        let Some(problem) = problem else {
            return Ok(());
        };
        if !self.repairing.swap(true, Ordering::AcqRel) {
            tracing::warn!(dir = %self.index_dir.display(), %problem, "index damaged under the running server: rebuilding it from the files");
            let engine = self.clone();
            std::thread::spawn(move || {
                match engine.repair() {
                    Ok(report) => tracing::info!(
                        indexed = report.indexed,
                        ms = report.elapsed.as_millis() as u64,
                        "index rebuilt"
                    ),
                    Err(e) => tracing::error!("rebuilding the index failed: {e}"),
                }
                engine.repairing.store(false, Ordering::Release);
            });
        }
        Err(SearchError::Unavailable(format!(
            "{problem}，正在从内容文件重建索引，请稍后再试"
        )))
    }

    /// Rebuilds the index in place from the files, writes waiting until it
    /// is done and searches reading the old index until then.
    fn repair(&self) -> Result<SyncReport, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        // The old writer lets go of the folder's lock first.
        drop(guard.writer.take());
        let mut index = Self::create(&self.index_dir)?;
        Self::prepare_index(&mut index, &self.indexing_words)?;
        let writer = index.writer_with_num_threads(2, WRITER_MEMORY)?;
        guard.reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        guard.writer = Some(writer);
        guard.manifest = Manifest::default();
        guard.journal = 0;
        let report = self.sync_locked(&mut guard, true, &|_, _| {})?;
        let searcher = guard.reader.searcher();
        *self.searched_files.write().unwrap_or_else(|e| e.into_inner()) =
            store::searched_files(&self.index_dir, &searcher);
        *self.reader.write().unwrap_or_else(|e| e.into_inner()) = guard.reader.clone();
        Ok(report)
    }

    fn searcher(&self) -> Searcher {
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

    /// Brings the index in step with the files: re-reads only files whose
    /// size, time or hash changed, plus records whose studio profile
    /// changed; `rebuild` starts from nothing. `progress(done, total)`.
    pub fn sync(&self, rebuild: bool, progress: &dyn Fn(usize, usize)) -> Result<SyncReport, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.sync_locked(&mut guard, rebuild, progress)
    }

    fn sync_locked(
        &self,
        guard: &mut Writer,
        rebuild: bool,
        progress: &dyn Fn(usize, usize),
    ) -> Result<SyncReport, SearchError> {
        let started = Instant::now();
        let Writer {
            writer,
            reader,
            manifest,
            journal,
        } = guard;
        let writer = writer.as_mut().ok_or_else(unavailable)?;
        let mut report = SyncReport::default();

        let old = self.snapshot();
        let dictionary = read_optional(&self.content_root.join(DICTIONARY_FILE));
        // The dictionary cuts queries: a change needs a new analyzer. A
        // long word added to or removed from it or the synonyms re-indexes
        // only the records that hold it (`WholeWords`).
        let mut analyzer = old.analyzer.clone();
        if Analyzer::fingerprint_of(&dictionary) != analyzer.fingerprint() {
            analyzer = Arc::new(Analyzer::new(&dictionary));
        }
        let rebuild = rebuild || manifest.analyzer != INDEX_ANALYSIS;
        let synonyms = Synonyms::parse(&read_optional(&self.content_root.join(SYNONYMS_FILE)));
        let wanted = Arc::new(WholeWords::from_staff_files(&dictionary, &synonyms));
        let current = self.query_words.get();
        let mut affected: HashSet<String> = HashSet::new();
        let words_changed = *current != *wanted;
        if words_changed {
            // Whatever the writer still holds was analysed with the words
            // before: committed first, so that the search below sees it.
            self.commit_documents(writer, reader, &current)?;
            if !rebuild {
                affected = self.holding(&old.analyzer, current.differing(&wanted))?;
            }
            // Until the records are indexed again, queries ask whole only
            // for words that both the old and the new documents hold.
            self.query_words.set(Arc::new(current.common(&wanted)));
            self.indexing_words.set(wanted.clone());
        }
        if rebuild {
            writer.delete_all_documents()?;
            *manifest = Manifest {
                analyzer: INDEX_ANALYSIS.to_string(),
                ..Manifest::default()
            };
            report.rebuilt = true;
        }

        let scan = load::scan(&self.content_root).map_err(|e| SearchError::io(&self.content_root, e))?;
        let profiles = load::load_profiles(&self.content_root, &scan);
        report.problems.extend(scan.problems.iter().cloned());
        report.problems.extend(profiles.problems.iter().cloned());
        let signatures = studio_signatures(&profiles);
        let changed_studios: HashSet<String> = signatures
            .iter()
            .filter(|(id, sig)| manifest.studios.get(*id) != Some(sig))
            .map(|(id, _)| id)
            .chain(manifest.studios.keys().filter(|id| !signatures.contains_key(*id)))
            .cloned()
            .collect();
        let profiles_changed = !changed_studios.is_empty();
        let known = profiles.known_ids(Some(scan.record_ids()));

        let records: Vec<&SourceFile> = scan
            .documents
            .iter()
            .filter(|d| d.section == Section::Records)
            .collect();
        let input = IndexInput {
            known: &known,
            profiles: &profiles,
        };
        let force = |entry: &FileEntry| {
            changed_studios.contains(&entry.studio)
                || (!entry.indexed && profiles_changed)
                || affected.contains(&entry.id)
        };
        // The manifest is read by the workers while files are prepared, and
        // changed once they are done: on an error it stays as it was, and
        // the next sync redoes whatever it does not record.
        let mut updates = Vec::new();
        self.prepare_all(&records, &manifest.files, &input, &force, progress, |prepared| {
            updates.extend(self.apply(writer, prepared, &mut report)?);
            Ok(())
        })?;
        let mut changed = !updates.is_empty();
        manifest.files.extend(updates);
        let present: HashSet<&str> = records.iter().map(|f| String::as_str(&f.rel)).collect();
        let gone: Vec<String> = manifest
            .files
            .keys()
            .filter(|rel| !present.contains(String::as_str(rel)))
            .cloned()
            .collect();
        for rel in gone {
            if let Some(entry) = manifest.files.remove(&rel) {
                writer.delete_term(Term::from_field_text(self.fields.id, &entry.id));
                report.removed += 1;
                changed = true;
            }
        }
        if profiles_changed {
            manifest.studios = signatures;
            changed = true;
        }
        // A journal too long or with unreadable lines is rewritten whole.
        if changed || rebuild || words_changed || *journal > JOURNAL_LIMIT {
            self.commit(writer, reader, manifest, journal, None, wanted)?;
        }
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Snapshot {
            analyzer,
            synonyms,
            profiles,
        });
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Reads every record file on all cores (what changed is parsed and
    /// made into a document there) and hands the results to `apply` on
    /// this thread, which owns the writer.
    fn prepare_all(
        &self,
        records: &[&SourceFile],
        recorded: &HashMap<String, FileEntry>,
        input: &IndexInput,
        force: &(dyn Fn(&FileEntry) -> bool + Sync),
        progress: &dyn Fn(usize, usize),
        mut apply: impl FnMut(Prepared) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        const BATCH: usize = 64;
        let total = records.len();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
        let claimed = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(workers * 4);
            for _ in 0..workers {
                let sender = sender.clone();
                let claimed = &claimed;
                scope.spawn(move || {
                    loop {
                        let start = claimed.fetch_add(BATCH, Ordering::Relaxed);
                        if start >= total {
                            break;
                        }
                        let batch = records[start..(start + BATCH).min(total)]
                            .iter()
                            .map(|file| {
                                let entry = recorded.get(&file.rel);
                                self.prepare(file, entry, input, entry.is_some_and(force))
                            })
                            .collect();
                        // The receiver is gone when applying failed.
                        if sender.send(batch).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let mut done = 0;
            progress(0, total);
            for batch in batches {
                for prepared in batch {
                    apply(prepared)?;
                    done += 1;
                    if done % 1000 == 0 {
                        progress(done, total);
                    }
                }
            }
            progress(total, total);
            Ok(())
        })
    }

    /// Reads one record file and, if it changed since `previous` (always
    /// when `force`), parses it into a document or its problems.
    fn prepare(&self, file: &SourceFile, previous: Option<&FileEntry>, input: &IndexInput, force: bool) -> Prepared {
        let path = self.content_root.join(&file.rel);
        let Ok(meta) = fs::metadata(&path) else {
            return Prepared::Unreadable { problem: None };
        };
        let modified = meta.modified().ok();
        let mtime_ns = modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        // File times are coarser than writes: a file changed moments ago
        // may keep its size and time, so its bytes are compared.
        let settled = modified
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(2));
        if let Some(e) = previous
            && e.size == meta.len()
            && e.mtime_ns == mtime_ns
            && settled
            && !force
        {
            return Prepared::Unchanged { indexed: e.indexed };
        }
        let Ok(text) = fs::read_to_string(&path) else {
            let problem = Problem::error(1, "file", "无法读取，或不是 UTF-8 文本");
            return Prepared::Unreadable {
                problem: Some(FileProblem {
                    path: path.display().to_string(),
                    problem,
                }),
            };
        };
        let hash = blake3::hash(text.as_bytes()).to_hex().to_string();
        if let Some(e) = previous
            && e.hash == hash
            && !force
        {
            if e.size == meta.len() && e.mtime_ns == mtime_ns {
                return Prepared::Unchanged { indexed: e.indexed };
            }
            let entry = FileEntry {
                size: meta.len(),
                mtime_ns,
                ..e.clone()
            };
            return Prepared::Touched {
                rel: file.rel.clone(),
                entry,
            };
        }
        let shown = path.display().to_string();
        let located = |problems: Vec<Problem>| -> Vec<FileProblem> {
            problems
                .into_iter()
                .map(|problem| FileProblem {
                    path: shown.clone(),
                    problem,
                })
                .collect()
        };
        let (doc, studio, problems, invalid) = match parse_document(&file.id, &text, input.known) {
            Ok((Document::Record(record), warnings)) => (
                Some(self.document(&record, &file.rel, input.profiles)),
                record.studio.clone(),
                located(warnings),
                false,
            ),
            Ok(_) => (None, String::new(), Vec::new(), false),
            Err(problems) => (None, String::new(), located(problems), true),
        };
        let entry = FileEntry {
            id: file.id.clone(),
            size: meta.len(),
            mtime_ns,
            hash,
            studio,
            indexed: doc.is_some(),
        };
        Prepared::Changed {
            rel: file.rel.clone(),
            entry,
            doc,
            problems,
            invalid,
        }
    }

    /// Puts what `prepare` found into the index and the report. Returns
    /// the file's new manifest entry, if it has one.
    fn apply(
        &self,
        writer: &IndexWriter,
        prepared: Prepared,
        report: &mut SyncReport,
    ) -> Result<Option<(String, FileEntry)>, SearchError> {
        match prepared {
            Prepared::Unchanged { indexed } => {
                report.unchanged += 1;
                report.skipped += usize::from(!indexed);
                Ok(None)
            }
            Prepared::Touched { rel, entry } => {
                report.unchanged += 1;
                report.skipped += usize::from(!entry.indexed);
                Ok(Some((rel, entry)))
            }
            Prepared::Changed {
                rel,
                entry,
                doc,
                problems,
                invalid,
            } => {
                writer.delete_term(Term::from_field_text(self.fields.id, &entry.id));
                if let Some(doc) = doc {
                    writer.add_document(doc)?;
                    report.indexed += 1;
                }
                report.skipped += usize::from(invalid);
                report.problems.extend(problems);
                Ok(Some((rel, entry)))
            }
            Prepared::Unreadable { problem } => {
                report.problems.extend(problem);
                Ok(None)
            }
        }
    }

    /// Applies a known set of changed record files (relative paths) at
    /// once, without walking the folder: what a publish needs to be
    /// searchable before it is acknowledged, and what the watcher sees.
    /// `force` re-reads files whose size and time look unchanged (a writer
    /// that knows it changed them: timestamps are coarser than writes).
    pub fn sync_paths(&self, rels: &[String], force: bool) -> Result<SyncReport, SearchError> {
        let started = Instant::now();
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let Writer {
            writer,
            reader,
            manifest,
            journal,
        } = &mut *guard;
        let writer = writer.as_mut().ok_or_else(unavailable)?;
        let mut report = SyncReport::default();
        let snapshot = self.snapshot();
        let known = snapshot.profiles.known_ids(None);
        let input = IndexInput {
            known: &known,
            profiles: &snapshot.profiles,
        };
        let mut changed = false;
        for rel in rels {
            if self.content_root.join(rel).is_file() {
                let id = load::id_for(rel).map_err(SearchError::Internal)?;
                let file = SourceFile {
                    rel: rel.clone(),
                    section: Section::of_id(&id),
                    id,
                };
                let prepared = self.prepare(&file, manifest.files.get(rel), &input, force);
                if let Some((rel, entry)) = self.apply(writer, prepared, &mut report)? {
                    manifest.files.insert(rel, entry);
                    changed = true;
                }
            } else if let Some(entry) = manifest.files.remove(rel) {
                writer.delete_term(Term::from_field_text(self.fields.id, &entry.id));
                report.removed += 1;
                changed = true;
            }
        }
        if changed {
            self.commit(writer, reader, manifest, journal, Some(rels), self.query_words.get())?;
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Makes the writes visible and durable, then records them in the
    /// manifest (after the commit, so a crash in between only means the
    /// next start indexes those files again): only the entries of
    /// `changed` as journal lines when the caller knows them, else (or
    /// when the journal is long) the whole manifest. `whole_words` are
    /// the words every document holds whole once this commit is done.
    fn commit(
        &self,
        writer: &mut IndexWriter,
        reader: &IndexReader,
        manifest: &Manifest,
        journal: &mut usize,
        changed: Option<&[String]>,
        whole_words: Arc<WholeWords>,
    ) -> Result<(), SearchError> {
        self.commit_documents(writer, reader, &whole_words)?;
        self.query_words.set(whole_words);
        let io = |e| SearchError::io(&self.index_dir, e);
        let json = |e: serde_json::Error| SearchError::Internal(e.to_string());
        if let Some(rels) = changed
            && *journal + rels.len() <= JOURNAL_LIMIT
        {
            let mut lines = Vec::new();
            for rel in rels {
                let line = JournalLine {
                    rel: rel.clone(),
                    entry: manifest.files.get(rel).cloned(),
                };
                serde_json::to_writer(&mut lines, &line).map_err(json)?;
                lines.push(b'\n');
            }
            crate::atomic::append(&self.index_dir.join(JOURNAL_FILE), &lines).map_err(io)?;
            *journal += rels.len();
            return Ok(());
        }
        let bytes = serde_json::to_vec(manifest).map_err(json)?;
        crate::atomic::write(&self.index_dir.join(MANIFEST_FILE), &bytes).map_err(io)?;
        // The manifest now holds every journalled change.
        match fs::remove_file(self.index_dir.join(JOURNAL_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        *journal = 0;
        Ok(())
    }

    /// Commits the writer's documents with the words they all hold whole,
    /// and shows them to searches.
    fn commit_documents(
        &self,
        writer: &mut IndexWriter,
        reader: &IndexReader,
        whole_words: &WholeWords,
    ) -> Result<(), SearchError> {
        let payload = CommitPayload {
            whole_words: whole_words.words().to_vec(),
        };
        let payload = serde_json::to_string(&payload).map_err(|e| SearchError::Internal(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        reader.reload()?;
        let searcher = reader.searcher();
        self.facets.refresh(searcher.segment_readers())?;
        self.visible.refresh(searcher.segment_readers());
        *self.searched_files.write().unwrap_or_else(|e| e.into_inner()) =
            store::searched_files(&self.index_dir, &searcher);
        Ok(())
    }

    /// Ids of the records whose searched text holds any of `words`,
    /// found by their triples (which every index has, whatever it holds
    /// whole).
    fn holding<'w>(
        &self,
        analyzer: &Analyzer,
        words: impl Iterator<Item = &'w String>,
    ) -> Result<HashSet<String>, SearchError> {
        let searched = self.fields.searched();
        let none = WholeWords::default();
        let compiler = Compiler {
            analyzer,
            synonyms: &Synonyms::default(),
            indexed: &none,
            fields: &searched,
        };
        let any: Vec<Box<dyn Query>> = words
            .filter_map(|w| compiler.clause(&Clause::Phrase(w.clone())))
            .collect();
        if any.is_empty() {
            return Ok(HashSet::new());
        }
        let searcher = self.searcher();
        let found = searcher.search(&*query::any_of(any), &DocSetCollector)?;
        let mut ids = HashSet::with_capacity(found.len());
        for address in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.insert(id.to_string());
            }
        }
        Ok(ids)
    }

    fn document(&self, record: &Record, rel: &str, profiles: &Profiles) -> TantivyDocument {
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
        if !record.summary.is_empty() {
            doc.add_text(f.body, &record.summary);
        }
        doc.add_text(f.body, &body);
        doc.add_text(f.text, body);
        doc.add_i64(f.date, record.date.ordinal());
        doc.add_f64(f.benefit, record.benefit.unwrap_or(0.0));
        for audience in Audience::of(record.effective_visibility()) {
            doc.add_text(f.audience, audience.as_str());
        }
        let mut facet = |which: FacetField, value: &str| doc.add_text(f.facet(which), value);
        facet(FacetField::Kind, record.kind.as_str());
        facet(FacetField::Studio, &record.studio);
        facet(FacetField::Year, &record.date.year.to_string());
        facet(FacetField::Visibility, record.effective_visibility().as_str());
        if let Some(review) = &record.review {
            facet(FacetField::Review, review);
        }
        for a in profiles.alliances_of(&record.studio) {
            facet(FacetField::Alliance, &a.id);
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
        let card = Card::of(record, studio.map(|s| s.name.as_str()));
        doc.add_text(f.card, serde_json::to_string(&card).unwrap_or_default());
        doc
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

    fn load(&self, searcher: &Searcher, address: DocAddress) -> Result<Loaded, SearchError> {
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

/// Who may see a record, indexed as terms so that the visibility filter
/// of anonymous visitors and members is a single term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Anyone, signed in or not: public records.
    Anyone,
    /// Signed-in members: public and members' records.
    Members,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Audience::Anyone => "anyone",
            Audience::Members => "members",
        }
    }

    /// The audiences a record of this visibility is shown to (studio
    /// records: none; their studio and staff are matched otherwise).
    fn of(visibility: Visibility) -> &'static [Audience] {
        match visibility {
            Visibility::Public => &[Audience::Anyone, Audience::Members],
            Visibility::Members => &[Audience::Members],
            Visibility::Studio => &[],
        }
    }

    /// The audience whose records are exactly those of these visibilities.
    fn widest_within(open: &[Visibility]) -> Option<Audience> {
        [Audience::Members, Audience::Anyone].into_iter().find(|a| {
            Visibility::ALL
                .iter()
                .all(|v| open.contains(v) == Audience::of(*v).contains(a))
        })
    }
}

fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// What a record takes from its studio's profile (name, alliances): when it
/// changes, the studio's records are indexed again.
fn studio_signatures(profiles: &Profiles) -> BTreeMap<String, String> {
    profiles
        .studios
        .values()
        .map(|s| {
            let alliances: Vec<&str> = profiles.alliances_of(&s.id).iter().map(|a| a.id.as_str()).collect();
            let sig = format!(
                "{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
                s.name,
                s.leader,
                s.unit,
                alliances.join(","),
                s.stars
            );
            (s.id.clone(), blake3::hash(sig.as_bytes()).to_hex()[..16].to_string())
        })
        .collect()
}

/// What reading one record file found (`Engine::prepare`).
enum Prepared {
    /// As recorded: nothing to do.
    Unchanged { indexed: bool },
    /// Touched, same bytes: only the recorded size and time change.
    Touched { rel: String, entry: FileEntry },
    /// New or changed: its document when valid, its problems.
    Changed {
        rel: String,
        entry: FileEntry,
        doc: Option<TantivyDocument>,
        problems: Vec<FileProblem>,
        invalid: bool,
    },
    /// Vanished or unreadable since the folder was listed: what was
    /// recorded stays.
    Unreadable { problem: Option<FileProblem> },
}

/// What record files are checked against while indexing.
struct IndexInput<'a> {
    known: &'a KnownIds,
    profiles: &'a Profiles,
}

struct Loaded {
    card: Card,
    rel: String,
    body: String,
}

impl Loaded {
    fn into_hit(self, score: f32, finder: &Finder, analyzer: &Analyzer) -> Hit {
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
