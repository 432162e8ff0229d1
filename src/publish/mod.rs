//! Publishing: writing, replacing and deleting record files on behalf of a
//! viewer, the review workflow, and the history of every accepted version.
//!
//! Owns who may write what, where a submission waits, and the durable
//! write (temp file, fsync, rename, fsync of the folder) followed by an
//! index update, so a write is searchable before it is acknowledged. It
//! knows nothing of HTTP; the index itself belongs to `search`.
//!
//! Review state lives in the files, so it survives a rebuild: a publisher's
//! new record is written with `review: pending` (seen only by its studio
//! and staff); a publisher's change to an approved record waits in a
//! hidden sibling (`.slug.pending.md`) while the approved version stays
//! published. Staff's own writes publish at once.

pub mod drafts;
mod exhibits;
mod history;
pub mod problems;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use exhibits::ExhibitSaved;
pub use history::{Audience, History, Version, diff};
pub use problems::Step;

use crate::auth::{Role, Viewer};
use crate::content::{Document, Problem, REVIEW_STATES, Record, parse_document};
use crate::content::{front_matter, load};
use crate::search::{Engine, FacetField, SearchError, SearchRequest};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("请先登录")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("找不到记录“{0}”")]
    NotFound(String),
    #[error("记录已被他人修改（当前版本 {current}）：请重新打开，合并修改后再保存")]
    Conflict { current: String },
    #[error("记录不符合内容规范")]
    Invalid(Vec<Problem>),
    #[error("记录编号无效：{0}")]
    BadId(String),
    #[error("附件过大：最多 {0} MB")]
    TooLarge(usize),
    #[error("只接受图片（PNG、JPEG、GIF、WebP）和 PDF 附件：文件内容不是这些格式")]
    UnsupportedFile,
    #[error("写入失败")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What a write did.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub created: bool,
    /// Waiting for staff review.
    pub pending: bool,
    /// Version tag of the file written (for `If-Match`).
    pub etag: String,
    pub record: Record,
}

/// A submission waiting for review, with the version it would replace.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: String,
    pub record: Record,
    pub text: String,
    pub published: Option<String>,
    pub etag: String,
    /// Attachments waiting with the change, to be published on approval.
    pub attachments: Vec<String>,
}

pub fn etag(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

pub struct Publisher {
    engine: Arc<Engine>,
    history: History,
    /// One write at a time: checks and writes must not interleave.
    lock: Mutex<()>,
    /// Ids whose change to a published record waits in a hidden sibling
    /// file. The index holds published files only; this set, found by the
    /// walk at start and kept by every write, lets the review queue come
    /// from the index without walking `content/` on every view.
    waiting: Mutex<BTreeSet<String>>,
    drafts: drafts::Drafts,
}

/// Where a record's files are.
struct Paths {
    /// Relative path of the published file.
    rel: String,
    main: PathBuf,
    pending: PathBuf,
}

/// Hidden folder of a page bundle where a publisher's attachments to a
/// published record wait for review (never served: hidden paths are not).
pub const PENDING_FILES: &str = ".pending-files";

/// The files a write has changed so far, with what they held before, so
/// that a write failing half-way leaves everything as it was.
#[derive(Default)]
struct Undo {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    dirs: Vec<PathBuf>,
    history: Option<history::Entry>,
}

impl Undo {
    fn remember(&mut self, path: &Path) {
        if !self.files.iter().any(|(p, _)| p == path) {
            self.files.push((path.to_path_buf(), std::fs::read(path).ok()));
        }
    }

    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            self.create_dir(dir)?;
        }
        self.remember(path);
        crate::atomic::write(path, bytes)
    }

    fn remove(&mut self, path: &Path) -> std::io::Result<()> {
        self.remember(path);
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => path.parent().map_or(Ok(()), crate::atomic::sync_dir),
        }
    }

    fn create_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir)?;
        self.dirs.extend(missing);
        Ok(())
    }

    fn rollback(self) {
        for (path, before) in self.files.into_iter().rev() {
            let _ = match before {
                Some(bytes) => crate::atomic::write(&path, &bytes),
                None => std::fs::remove_file(&path),
            };
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir(dir);
        }
        if let Some(entry) = self.history {
            entry.undo();
        }
    }
}

impl Publisher {
    /// Also removes temp files a crash left behind mid-write: their
    /// writes were never acknowledged, and the files they were replacing
    /// are intact.
    pub fn new(engine: Arc<Engine>, data_dir: &Path) -> Publisher {
        let root = engine.content_root().to_path_buf();
        let mut waiting = BTreeSet::new();
        let hidden = walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && e.file_name().to_string_lossy().starts_with('.'));
        for entry in hidden {
            let name = entry.file_name().to_string_lossy();
            if name.ends_with(".tmp") {
                tracing::info!(path = %entry.path().display(), "removing an unfinished write left by a crash");
                let _ = std::fs::remove_file(entry.path());
            } else if let Some(id) = entry.path().strip_prefix(&root).ok().and_then(waiting_id) {
                waiting.insert(id);
            }
        }
        Publisher {
            engine,
            history: History::new(data_dir),
            drafts: drafts::Drafts::new(data_dir),
            lock: Mutex::new(()),
            waiting: Mutex::new(waiting),
        }
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn drafts(&self) -> &drafts::Drafts {
        &self.drafts
    }

    /// Attaches the files of the viewer's form draft to the record, as
    /// uploads of their own would be (`attach`: the review rules apply),
    /// then removes the draft. Answers the names attached.
    pub fn attach_draft(&self, viewer: &Viewer, id: &str, draft: &str) -> Result<Vec<String>, PublishError> {
        let owner = viewer.name.clone().unwrap_or_default();
        let mut attached = Vec::new();
        for name in self.drafts.list(&owner, draft) {
            if let Some(bytes) = self.drafts.read(&owner, draft, &name) {
                attached.push(self.attach(viewer, id, &name, &bytes)?);
            }
        }
        self.drafts.remove(&owner, draft);
        Ok(attached)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_waiting(&self, id: &str, waiting: bool) {
        let mut set = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting {
            set.insert(id.to_string());
        } else {
            set.remove(id);
        }
    }

    fn paths(&self, id: &str) -> Result<Paths, PublishError> {
        let root = self.engine.content_root();
        let id = load::new_record_id(id).map_err(PublishError::BadId)?;
        check_place(root, &id)?;
        let bundle = root.join(&id).join("index.md");
        let (rel, main, pending) = if bundle.is_file() {
            (
                format!("{id}/index.md"),
                bundle,
                root.join(&id).join(".index.pending.md"),
            )
        } else {
            let main = root.join(format!("{id}.md"));
            let (dir, slug) = id.rsplit_once('/').map_or(("", id.as_str()), |(d, s)| (d, s));
            (
                format!("{id}.md"),
                main,
                root.join(dir).join(format!(".{slug}.pending.md")),
            )
        };
        Ok(Paths { rel, main, pending })
    }

    /// The published file of `id`, its text and record, when `viewer` may
    /// see it; else NotFound, so that nobody learns what exists beyond
    /// what they may see. The caller holds the lock.
    fn read_seen(&self, viewer: &Viewer, id: &str) -> Result<(Paths, String, Record), PublishError> {
        let paths = self.paths(id)?;
        let text = std::fs::read_to_string(&paths.main).map_err(|_| PublishError::NotFound(id.to_string()))?;
        let record = self.parse(id, &text)?;
        if !viewer.may_see(record.effective_visibility(), &record.studio) {
            return Err(PublishError::NotFound(id.to_string()));
        }
        Ok((paths, text, record))
    }

    fn parse(&self, id: &str, text: &str) -> Result<Record, PublishError> {
        let known = self.engine.snapshot().profiles.known_ids(None);
        match parse_document(id, text, &known) {
            Ok((Document::Record(record), _)) => Ok(*record),
            Ok(_) => Err(PublishError::BadId("不是记录".into())),
            Err(problems) => Err(PublishError::Invalid(problems)),
        }
    }

    /// Reads a file about to be written as the index will, and refuses it
    /// unless it holds exactly the review state intended: review is
    /// decided on the parsed document, never on how the file looks.
    fn read_back(&self, id: &str, text: &str, intended: Option<&str>) -> Result<Record, PublishError> {
        let record = self.parse(id, text)?;
        if record.review.as_deref() != intended {
            return Err(PublishError::Invalid(vec![Problem::error(
                1,
                "review",
                "无法为这份文件写入审核状态：请检查元数据的写法",
            )]));
        }
        Ok(record)
    }

    fn may_write(viewer: &Viewer, studio: &str) -> Result<(), PublishError> {
        match &viewer.role {
            Role::Anonymous => Err(PublishError::Unauthorized),
            Role::Member => Err(PublishError::Forbidden("成员账号只能查看，不能发布".into())),
            Role::Publisher { studio: own } if own != studio => Err(PublishError::Forbidden(format!(
                "只能发布或修改本工作室（{own}）的记录"
            ))),
            _ => Ok(()),
        }
    }

    /// The text a viewer edits now: their pending version if any, else the
    /// published one; `None` when absent or not theirs to see.
    pub fn current(&self, viewer: &Viewer, id: &str) -> Result<Option<(String, String)>, PublishError> {
        let paths = self.paths(id)?;
        for path in [&paths.pending, &paths.main] {
            if let Ok(text) = std::fs::read_to_string(path) {
                let record = self.parse(id, &text).ok();
                let visible = record
                    .as_ref()
                    .is_none_or(|r| viewer.may_see(r.effective_visibility(), &r.studio));
                let own = record
                    .as_ref()
                    .is_some_and(|r| Self::may_write(viewer, &r.studio).is_ok());
                if (path == &paths.pending && own) || (path == &paths.main && visible) {
                    let tag = etag(&text);
                    return Ok(Some((text, tag)));
                }
            }
        }
        Ok(None)
    }

    /// Creates or replaces a record from its whole Markdown file.
    pub fn put(&self, viewer: &Viewer, id: &str, text: &str, if_match: Option<&str>) -> Result<Outcome, PublishError> {
        if matches!(viewer.role, Role::Anonymous) {
            return Err(PublishError::Unauthorized);
        }
        let _guard = self.lock();
        let paths = self.paths(id)?;
        let staff = matches!(viewer.role, Role::Staff);
        let existing = std::fs::read_to_string(&paths.main).ok();
        let pending = std::fs::read_to_string(&paths.pending).ok();
        let old_record = existing.as_deref().map(|old| self.parse(id, old));
        if let Role::Publisher { studio } = &viewer.role {
            // A publisher creates only in the studio's own folder, and an id
            // elsewhere answers the same whether or not a record the
            // publisher may not see holds it: no answer tells it exists.
            let theirs = matches!(&old_record, Some(Ok(r)) if viewer.may_see(r.effective_visibility(), &r.studio) && &r.studio == studio);
            if !theirs && !id.starts_with(&format!("{studio}/")) {
                return Err(PublishError::Forbidden(format!(
                    "只能在本工作室的文件夹（{studio}/）下新建记录，或修改本工作室已有的记录"
                )));
            }
        }
        match &old_record {
            // A record changes hands only through staff: check the owner on disk.
            Some(Ok(old)) => Self::may_write(viewer, &old.studio)?,
            Some(Err(_)) if !staff => {
                return Err(PublishError::Forbidden("现有文件有错误，只能由工会工作人员修改".into()));
            }
            _ => {}
        }
        let clean = set_review(text, None)?;
        let record = self.parse(id, &clean)?;
        Self::may_write(viewer, &record.studio)?;
        self.check_solutions(viewer, &record)?;
        let current = match (&pending, &existing) {
            (Some(p), _) if !staff => Some(p),
            (_, e) => e.as_ref(),
        };
        if let Some(wanted) = if_match {
            let wanted = wanted.trim().trim_matches('"');
            let now = current.map(|t| etag(t)).unwrap_or_default();
            if wanted == "*" && current.is_none() || wanted != "*" && wanted != now {
                return Err(PublishError::Conflict { current: now });
            }
        }
        let published_approved = matches!(&old_record, Some(Ok(r)) if r.review.is_none());
        let (target, written, is_pending) = if staff {
            (&paths.main, clean, false)
        } else if published_approved {
            (&paths.pending, set_review(&clean, Some(("pending", None)))?, true)
        } else {
            (&paths.main, set_review(&clean, Some(("pending", None)))?, true)
        };
        // What is written is judged as the index will read it: the review
        // state must be the one intended, or nothing is written.
        let record = self.read_back(id, &written, is_pending.then_some("pending"))?;
        let action = if is_pending {
            "submit"
        } else if existing.is_some() {
            "update"
        } else {
            "create"
        };
        let audience = Audience::of(record.effective_visibility(), &record.studio);
        let author = viewer.name.clone().unwrap_or_default();
        let synced: Vec<String> = (target == &paths.main).then(|| paths.rel.clone()).into_iter().collect();
        self.apply(&synced, |undo| {
            undo.history = Some(self.history.record(id, &author, action, &written, &audience)?);
            undo.write(target, written.as_bytes())?;
            Ok(())
        })?;
        if target == &paths.pending {
            self.set_waiting(id, true);
        }
        Ok(Outcome {
            id: id.to_string(),
            created: existing.is_none(),
            pending: is_pending,
            etag: etag(&written),
            record,
        })
    }

    /// Runs a write's steps, then brings the index up to date with the
    /// files it changed (`synced`, relative paths); if any step fails,
    /// every file is put back as it was and the index follows it.
    fn apply(
        &self,
        rels: &[String],
        steps: impl FnOnce(&mut Undo) -> Result<(), PublishError>,
    ) -> Result<(), PublishError> {
        // Nothing is written while the index cannot take the change.
        self.engine.ensure_writable()?;
        let mut undo = Undo::default();
        let result = steps(&mut undo).and_then(|()| {
            if rels.is_empty() {
                Ok(())
            } else {
                self.engine.sync_paths(rels, true).map(drop).map_err(PublishError::from)
            }
        });
        if let Err(e) = result {
            undo.rollback();
            if !rels.is_empty() {
                let _ = self.engine.sync_paths(rels, true);
            }
            return Err(e);
        }
        Ok(())
    }

    /// A problem's solutions must be records of another kind: a problem
    /// named in `solved_by` is refused. Judged among what the writer may
    /// see, so the answer tells nothing of a hidden record (an id that
    /// names nothing visible is the form's and `check`'s warning).
    fn check_solutions(&self, viewer: &Viewer, record: &Record) -> Result<(), PublishError> {
        for id in &record.solved_by {
            if let Some(found) = self.engine.locate(id, viewer)?
                && found.card.kind == crate::content::Kind::Problem.as_str()
            {
                return Err(PublishError::Invalid(vec![Problem::error(
                    1,
                    "solved_by",
                    format!("“{id}”是另一个难题，不是解决方案：请写解决它的成果、专利或工法的编号"),
                )]));
            }
        }
        Ok(())
    }

    /// Removes a record (and any pending change of it).
    pub fn delete(&self, viewer: &Viewer, id: &str, if_match: Option<&str>) -> Result<(), PublishError> {
        let _guard = self.lock();
        let paths = self.paths(id)?;
        let text = std::fs::read_to_string(&paths.main).map_err(|_| PublishError::NotFound(id.to_string()))?;
        let record = self.parse(id, &text);
        match &record {
            // Someone who may not even see it is told it does not exist.
            Ok(r) if !viewer.may_see(r.effective_visibility(), &r.studio) => {
                return Err(PublishError::NotFound(id.to_string()));
            }
            Ok(r) => Self::may_write(viewer, &r.studio)?,
            Err(_) if matches!(viewer.role, Role::Staff) => {}
            Err(_) => return Err(PublishError::Forbidden("现有文件有错误，只能由工会工作人员删除".into())),
        }
        if let Some(wanted) = if_match
            && wanted.trim().trim_matches('"') != etag(&text)
        {
            return Err(PublishError::Conflict { current: etag(&text) });
        }
        let audience = match &record {
            Ok(r) => Audience::of(r.effective_visibility(), &r.studio),
            Err(_) => Audience::default(),
        };
        let author = viewer.name.clone().unwrap_or_default();
        self.apply(std::slice::from_ref(&paths.rel), |undo| {
            undo.history = Some(self.history.record(id, &author, "delete", "", &audience)?);
            undo.remove(&paths.main)?;
            undo.remove(&paths.pending)?;
            Ok(())
        })?;
        self.set_waiting(id, false);
        // The record is gone: whoever creates the id again starts a new
        // history. A failure here leaves the old history readable by staff
        // only, as a deleted record's is.
        if let Err(e) = self.history.retire(id) {
            tracing::warn!(%id, error = %e, "could not set a deleted record's history aside");
        }
        Ok(())
    }

    /// Staff: publishes a submission (its own `visibility` then applies);
    /// a comment is kept in the history and the audit log, for the studio.
    pub fn approve(&self, viewer: &Viewer, id: &str, comment: &str) -> Result<Outcome, PublishError> {
        let comment = comment.trim();
        self.review(viewer, id, None, (!comment.is_empty()).then_some(comment))
    }

    /// Staff: sends a submission back to its studio with a comment.
    pub fn send_back(&self, viewer: &Viewer, id: &str, comment: &str) -> Result<Outcome, PublishError> {
        if comment.trim().is_empty() {
            return Err(PublishError::Invalid(vec![Problem::error(
                1,
                "comment",
                "退回时请写明原因",
            )]));
        }
        self.review(viewer, id, Some(comment.trim()), Some(comment.trim()))
    }

    fn review(
        &self,
        viewer: &Viewer,
        id: &str,
        returned: Option<&str>,
        comment: Option<&str>,
    ) -> Result<Outcome, PublishError> {
        if !matches!(viewer.role, Role::Staff) {
            return Err(if matches!(viewer.role, Role::Anonymous) {
                PublishError::Unauthorized
            } else {
                PublishError::Forbidden("只有工会工作人员可以审核".into())
            });
        }
        let _guard = self.lock();
        let paths = self.paths(id)?;
        let (source, text) = match std::fs::read_to_string(&paths.pending) {
            Ok(text) => (&paths.pending, text),
            Err(_) => {
                let text = std::fs::read_to_string(&paths.main).map_err(|_| PublishError::NotFound(id.to_string()))?;
                if self.parse(id, &text)?.review.is_none() {
                    return Err(PublishError::NotFound(format!("{id}（没有待审核的提交）")));
                }
                (&paths.main, text)
            }
        };
        let author = viewer.name.clone().unwrap_or_default();
        let (written, action) = match returned {
            None => (set_review(&text, None)?, "approve"),
            Some(comment) => (set_review(&text, Some(("returned", Some(comment))))?, "return"),
        };
        let record = self.read_back(id, &written, returned.map(|_| "returned"))?;
        let audience = Audience::of(record.effective_visibility(), &record.studio);
        let waiting_files = paths.main.parent().map(|d| d.join(PENDING_FILES));
        self.apply(std::slice::from_ref(&paths.rel), |undo| {
            undo.history = Some(
                self.history
                    .record_commented(id, &author, action, &written, &audience, comment)?,
            );
            if returned.is_some() {
                return Ok(undo.write(source, written.as_bytes())?);
            }
            undo.write(&paths.main, written.as_bytes())?;
            undo.remove(&paths.pending)?;
            // Attachments that waited with the change are published with it.
            if paths.rel.ends_with("/index.md")
                && let Some(waiting) = &waiting_files
                && let Ok(entries) = std::fs::read_dir(waiting)
            {
                let bundle = paths.main.parent().unwrap_or(waiting);
                for entry in entries.flatten() {
                    let bytes = std::fs::read(entry.path())?;
                    undo.write(&bundle.join(entry.file_name()), &bytes)?;
                    undo.remove(&entry.path())?;
                }
            }
            Ok(())
        })?;
        if let Some(waiting) = &waiting_files {
            let _ = std::fs::remove_dir(waiting);
        }
        if returned.is_none() {
            self.set_waiting(id, false);
        }
        Ok(Outcome {
            id: id.to_string(),
            created: false,
            pending: returned.is_some(),
            etag: etag(&written),
            record,
        })
    }

    /// Submissions the viewer may review (staff) or follow (publisher):
    /// the index's records awaiting review, and changes waiting beside
    /// published ones.
    pub fn queue(&self, viewer: &Viewer) -> Result<Vec<Submission>, PublishError> {
        if !matches!(viewer.role, Role::Staff | Role::Publisher { .. }) {
            return Ok(Vec::new());
        }
        let mut ids: BTreeSet<String> = self.waiting.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut request = SearchRequest::default();
        request.filters.insert(
            FacetField::Review,
            REVIEW_STATES.iter().map(|s| s.value.to_string()).collect(),
        );
        request.per_page = 100;
        loop {
            let results = self.engine.search(&request, viewer)?;
            let got = results.hits.len();
            ids.extend(results.hits.into_iter().map(|h| h.card.id));
            if got == 0 || request.page * request.per_page >= results.total {
                break;
            }
            request.page += 1;
        }
        let mut out = Vec::new();
        for id in ids {
            if let Some(submission) = self.submission(viewer, &id)? {
                out.push(submission);
            }
        }
        Ok(out)
    }

    /// The submission waiting under `id`, if the viewer may follow it.
    pub fn submission(&self, viewer: &Viewer, id: &str) -> Result<Option<Submission>, PublishError> {
        let Ok(paths) = self.paths(id) else {
            return Ok(None);
        };
        let (text, published) = match std::fs::read_to_string(&paths.pending) {
            Ok(text) => (text, std::fs::read_to_string(&paths.main).ok()),
            Err(_) => match std::fs::read_to_string(&paths.main) {
                Ok(text) => (text, None),
                Err(_) => return Ok(None),
            },
        };
        let Ok(record) = self.parse(id, &text) else {
            return Ok(None);
        };
        if record.review.is_none() || Self::may_write(viewer, &record.studio).is_err() {
            return Ok(None);
        }
        let attachments = paths
            .main
            .parent()
            .and_then(|d| std::fs::read_dir(d.join(PENDING_FILES)).ok())
            .map(|entries| {
                let mut names: Vec<String> = entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            })
            .unwrap_or_default();
        Ok(Some(Submission {
            id: id.to_string(),
            etag: etag(&text),
            record,
            text,
            published,
            attachments,
        }))
    }

    /// The versions of `id` the viewer may see: each as it could be seen
    /// when it was written (a submission or a returned version only by
    /// its studio and staff), and none of a record the viewer may not see
    /// now.
    pub fn versions(&self, viewer: &Viewer, id: &str) -> Vec<Version> {
        self.history
            .versions(id)
            .into_iter()
            .map(|mut v| {
                if v.visibility.is_none() {
                    // Written before audiences were kept: the text says.
                    let parsed = self.history.text(id, v.n).and_then(|t| self.parse(id, &t).ok());
                    if let Some(r) = parsed {
                        v.visibility = Some(r.effective_visibility().as_str().to_string());
                        v.studio = Some(r.studio);
                    }
                }
                v
            })
            .filter(|v| v.visible_to(viewer))
            .collect()
    }
}

/// The id of the submission a hidden sibling file holds
/// (`dir/.slug.pending.md` or `dir/slug/.index.pending.md`).
fn waiting_id(rel: &Path) -> Option<String> {
    let rel = rel.to_str()?.replace('\\', "/");
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", &rel));
    let slug = name.strip_prefix('.')?.strip_suffix(".pending.md")?;
    let id = match (slug, dir) {
        ("index", dir) => dir.to_string(),
        (slug, "") => slug.to_string(),
        (slug, dir) => format!("{dir}/{slug}"),
    };
    load::new_record_id(&id).ok()
}

/// Refuses an id whose files would land where they change something
/// else: inside another record's page bundle, beside a file named like a
/// folder on the way, through a link, or over a folder (which a bundle
/// made of the record would turn into its attachments: a studio's
/// folder, `studios/`, ...) or a staff file.
fn check_place(root: &Path, id: &str) -> Result<(), PublishError> {
    let refuse = |message: String| Err(PublishError::BadId(message));
    let mut prefix = String::new();
    let segments: Vec<&str> = id.split('/').collect();
    for segment in &segments[..segments.len() - 1] {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(segment);
        let dir = root.join(&prefix);
        if root.join(format!("{prefix}.md")).is_file() {
            return refuse(format!("“{prefix}”已是一条记录，不能在它下面再建记录"));
        }
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => return refuse(format!("“{prefix}”是符号链接，不能经它写入")),
            Ok(m) if !m.is_dir() => return refuse(format!("“{prefix}”是文件而不是文件夹")),
            Ok(_) if dir.join("index.md").is_file() => {
                return refuse(format!("“{prefix}”是一条记录的附件文件夹，不能在其中新建记录"));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let own = root.join(id);
    match std::fs::symlink_metadata(&own) {
        Ok(m) if m.is_dir() && !m.file_type().is_symlink() && own.join("index.md").is_file() => {}
        Ok(_) => return refuse(format!("编号“{id}”与已有的文件夹或文件同名，不能用作记录编号")),
        Err(_) => {}
    }
    match std::fs::symlink_metadata(root.join(format!("{id}.md"))) {
        Ok(m) if !m.is_file() => refuse(format!("“{id}.md”不是普通文件")),
        _ => Ok(()),
    }
}

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// What an uploaded file really is, judged by its first bytes (never by its
/// name): the extension it must carry. Only images and PDF are accepted.
pub fn attachment_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("jpg"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("webp"),
        [b'%', b'P', b'D', b'F', b'-', ..] => Some("pdf"),
        _ => None,
    }
}

/// A safe file name for an attachment: letters (any script), digits, `-`,
/// `_`, `.`; the extension set to what the content is.
pub fn attachment_name(requested: &str, kind: &str) -> Result<String, PublishError> {
    let base = requested.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .scan(0, |bytes, c| {
            // File names are limited in bytes (255, less what a write in
            // progress adds), not characters: 120 is 40 Chinese characters.
            *bytes += c.len_utf8();
            (*bytes <= 120).then_some(c)
        })
        .collect();
    if clean.is_empty() {
        return Err(PublishError::BadId("附件文件名无效：请使用字母、数字或中文".into()));
    }
    let ext = match kind {
        "jpg" if base.to_ascii_lowercase().ends_with(".jpeg") => "jpeg",
        other => other,
    };
    Ok(format!("{clean}.{ext}"))
}

impl Publisher {
    /// Stores a file in the record's page bundle (turning a single-file
    /// record into a bundle first). Returns the file's URL name.
    ///
    /// Attachments follow the record's review path: a publisher's file
    /// for a published record waits, hidden, with a submission of the
    /// record until staff approve it; staff's files, and files of a
    /// record that is itself awaiting review, go into the bundle at once.
    pub fn attach(
        &self,
        viewer: &Viewer,
        id: &str,
        requested_name: &str,
        bytes: &[u8],
    ) -> Result<String, PublishError> {
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(PublishError::TooLarge(MAX_ATTACHMENT_BYTES / 1024 / 1024));
        }
        let kind = attachment_type(bytes).ok_or(PublishError::UnsupportedFile)?;
        let name = attachment_name(requested_name, kind)?;
        let _guard = self.lock();
        let (paths, text, record) = self.read_seen(viewer, id)?;
        Self::may_write(viewer, &record.studio)?;
        let reviewed = !matches!(viewer.role, Role::Staff) && record.review.is_none();
        let root = self.engine.content_root().to_path_buf();
        let bundle = root.join(id);
        let author = viewer.name.clone().unwrap_or_default();
        let pending_text = std::fs::read_to_string(&paths.pending).ok();
        // A submission carries the file to review: the waiting change, or
        // the published text itself when nothing waits yet.
        let submission = match (&pending_text, reviewed) {
            (None, true) => Some(set_review(&text, Some(("pending", None)))?),
            _ => None,
        };
        let audience = if reviewed {
            Audience::of(crate::content::Visibility::Studio, &record.studio)
        } else {
            Audience::of(record.effective_visibility(), &record.studio)
        };
        let single = !paths.rel.ends_with("/index.md");
        let mut synced = vec![paths.rel.clone()];
        if single {
            synced.push(format!("{id}/index.md"));
        }
        self.apply(&synced, |undo| {
            undo.history = Some(
                self.history
                    .record(id, &author, "attach", &format!("{name}\n"), &audience)?,
            );
            if single {
                undo.write(&bundle.join("index.md"), text.as_bytes())?;
                if let Some(pending) = &pending_text {
                    undo.write(&bundle.join(".index.pending.md"), pending.as_bytes())?;
                    undo.remove(&paths.pending)?;
                }
                undo.remove(&paths.main)?;
            }
            if reviewed {
                if let Some(submission) = &submission {
                    undo.write(&bundle.join(".index.pending.md"), submission.as_bytes())?;
                }
                undo.write(&bundle.join(PENDING_FILES).join(&name), bytes)?;
            } else {
                undo.write(&bundle.join(&name), bytes)?;
            }
            Ok(())
        })?;
        if reviewed {
            self.set_waiting(id, true);
        }
        Ok(name)
    }
}

/// Sets (or with `None` removes) the review fields in a file's front
/// matter, leaving every other line as written. Decided on the parsed
/// document, through the one front-matter reader, so no way of writing
/// the file (a BOM, blanks after a fence, a quoted key) escapes it.
pub fn set_review(text: &str, review: Option<(&str, Option<&str>)>) -> Result<String, PublishError> {
    use serde_yaml_ng::Value;
    let mut add = Vec::new();
    if let Some((state, comment)) = review {
        add.push(("review", Value::String(state.into())));
        if let Some(c) = comment {
            add.push(("review_comment", Value::String(c.into())));
        }
    }
    front_matter::with_fields(text, &["review", "review_comment"], &add)
        .map_err(|e| PublishError::Invalid(vec![Problem::error(e.line, "front_matter", e.message)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_fields_are_set_and_removed() {
        let text = "---\ntitle: t\nreview: pending\nreview_comment: |\n  old\n  lines\nkind: method\n---\n正文\n";
        let clean = set_review(text, None).unwrap();
        assert_eq!(clean, "---\ntitle: t\nkind: method\n---\n正文\n");
        let back = set_review(&clean, Some(("returned", Some("请补充\"数据\"：效益")))).unwrap();
        assert!(back.starts_with("---\ntitle: t\nkind: method\nreview: returned\nreview_comment: "));
        let (fm, _) = crate::content::front_matter::split(&back).unwrap();
        assert_eq!(
            fm.get("review_comment").and_then(|(v, _)| v.as_str()),
            Some("请补充\"数据\"：效益")
        );
    }

    #[test]
    fn attachments_are_judged_by_content() {
        assert_eq!(attachment_type(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(attachment_type(b"%PDF-1.7"), Some("pdf"));
        assert_eq!(attachment_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(attachment_type(b"MZ\x90\x00"), None);
        assert_eq!(attachment_name("../../示意图 v2.exe", "png").unwrap(), "示意图-v2.png");
        assert_eq!(attachment_name("photo.JPEG", "jpg").unwrap(), "photo.jpeg");
        let long = attachment_name(&format!("{}.png", "图".repeat(200)), "png").unwrap();
        assert_eq!(long, format!("{}.png", "图".repeat(40)));
        assert!(attachment_name("...", "pdf").is_err());
    }

    #[test]
    fn etags_follow_content() {
        assert_eq!(etag("a"), etag("a"));
        assert_ne!(etag("a"), etag("b"));
    }
}
