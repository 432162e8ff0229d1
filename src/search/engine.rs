//! The search engine over the index under `index/`: `Engine`, the one type
//! the rest of the program uses, what it holds, and how it is opened. An
//! index found on disk is checked whole before it is used; one that is
//! missing, from an older version or unreadable is rebuilt from the files
//! (the index is derived data).
//!
//! Its work lives beside it, each part an `impl Engine` block of its own
//! file: `sync` keeps the index in step with `content/` (the manifest, its
//! journal, repair under a running server), `document` turns a record into
//! an index document and a stored one back into a card, `rank` answers
//! searches (the query, re-ranking by proximity, the page's hits) and
//! `lookup` finds records by id, similar records and suggestions.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher};

use super::analysis::{Analyzer, SharedWords, Synonyms, WholeWords, ZhTokenizer};
use super::facets::FacetCache;
use super::schema::{self, Fields};
use super::store::{self, VERSION_FILE};
use super::sync::{CommitPayload, Manifest};
use super::visible::VisibleCache;
use super::{Card, SearchError};
use crate::content::load::{DICTIONARY_FILE, Profiles, SYNONYMS_FILE};

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
    /// Each segment's decoded statistics facts (`crate::stats`).
    pub(super) stats_facts: crate::stats::FactsCache,
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
            stats_facts: crate::stats::FactsCache::default(),
            indexing_words,
            query_words,
        })
    }

    pub(super) fn searcher(&self) -> Searcher {
        self.reader.read().unwrap_or_else(|e| e.into_inner()).searcher()
    }

    /// The decoded statistics facts of the segments in use.
    pub(crate) fn stats_cache(&self) -> &crate::stats::FactsCache {
        &self.stats_facts
    }

    pub fn content_root(&self) -> &Path {
        &self.content_root
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts an exhibit written through the site into what pages read (or
    /// takes it out), without reading the whole folder again: the next
    /// page shows it.
    pub fn set_exhibit(&self, id: &str, exhibit: Option<crate::content::Exhibit>) {
        let mut guard = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let mut profiles = guard.profiles.clone();
        match exhibit {
            Some(e) => profiles.exhibits.insert(id.to_string(), e),
            None => profiles.exhibits.remove(id),
        };
        *guard = Arc::new(Snapshot {
            analyzer: guard.analyzer.clone(),
            synonyms: guard.synonyms.clone(),
            profiles,
        });
    }

    /// Reads one exhibit's file again (an edit by hand, seen by the
    /// watcher) and shows it, or takes it out when it is gone or invalid:
    /// an exhibit is in no index, so no walk of the folder is needed.
    pub fn reload_exhibit(&self, id: &str) {
        let path = self.content_root.join("exhibits").join(format!("{id}.md"));
        let exhibit = fs::read_to_string(&path).ok().and_then(|text| {
            let known = self.snapshot().profiles.known_ids(Some(self.record_ids()));
            match crate::content::parse_document(&format!("exhibits/{id}"), &text, &known) {
                Ok((crate::content::Document::Exhibit(e), _)) => Some(e),
                Ok(_) => None,
                Err(problems) => {
                    for p in problems.iter().filter(|p| p.is_error()) {
                        tracing::warn!(file = %path.display(), line = p.line, field = %p.field, "{}", p.message);
                    }
                    None
                }
            }
        });
        self.set_exhibit(id, exhibit);
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }
}
