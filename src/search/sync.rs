//! Keeping the index in step with `content/`: the manifest of each record
//! file's size, time and hash, so that a sync reads only what changed; the
//! journal that publishes append to instead of rewriting the manifest;
//! commits; and rebuilding the index in place when it was deleted or
//! damaged under a running server (`Engine::ensure_writable`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::collector::DocSetCollector;
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::SearchError;
use super::analysis::{Analyzer, INDEX_ANALYSIS, Synonyms, WholeWords};
use super::engine::{Engine, Snapshot, WRITER_MEMORY, Writer, read_optional};
use super::query::{self, Clause, Compiler};
use super::schema;
use super::store::{self, JOURNAL_FILE, MANIFEST_FILE};
use crate::content::load::{self, DICTIONARY_FILE, Profiles, SYNONYMS_FILE, SourceFile};
use crate::content::{Document, FileProblem, KnownIds, Problem, Section, parse_document};

/// Journal lines beyond which the next commit rewrites the manifest.
/// The journal (`store::JOURNAL_FILE`) holds the changes to the manifest
/// since `manifest.json` was written, one JSON line per file: a publish
/// appends a line instead of rewriting the whole manifest (225 MiB at a
/// million records).
const JOURNAL_LIMIT: usize = 10_000;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct Manifest {
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
    pub(super) fn load(index_dir: &Path, has_documents: bool) -> Result<(Manifest, usize), String> {
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

/// What a commit records besides the documents, in tantivy's meta.json so
/// that it changes atomically with them.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct CommitPayload {
    pub(super) whole_words: Vec<String>,
}

fn unavailable() -> SearchError {
    SearchError::Unavailable("索引不可用：从内容文件重建它没有成功，请联系管理员查看服务器日志".into())
}

impl Engine {
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

    /// The ids of the records in the index (of every visibility): what an
    /// exhibit written through the site may name.
    pub fn record_ids(&self) -> crate::content::RecordIds {
        let guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .manifest
            .files
            .values()
            .filter(|e| e.indexed)
            .map(|e| e.id.clone())
            .collect()
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
        self.stats_facts.refresh(searcher.segment_readers());
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
            relaxed: false,
            skip_fillers: false,
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
