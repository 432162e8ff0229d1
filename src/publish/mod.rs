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

mod history;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use history::{History, Version, diff};

use crate::auth::{Role, Viewer};
use crate::content::load;
use crate::content::{Document, Problem, Record, Section, parse_document};
use crate::search::{Engine, SearchError};

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
    #[error("写入失败：{0}")]
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
}

pub fn etag(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

pub struct Publisher {
    engine: Arc<Engine>,
    history: History,
    /// One write at a time: checks and writes must not interleave.
    lock: Mutex<()>,
}

/// Where a record's files are.
struct Paths {
    /// Relative path of the published file.
    rel: String,
    main: PathBuf,
    pending: PathBuf,
}

impl Publisher {
    /// Also removes temp files a crash left behind mid-write: their
    /// writes were never acknowledged, and the files they were replacing
    /// are intact.
    pub fn new(engine: Arc<Engine>, data_dir: &Path) -> Publisher {
        let stale = walkdir::WalkDir::new(engine.content_root())
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git")
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name().to_string_lossy();
                e.file_type().is_file() && name.starts_with('.') && name.ends_with(".tmp")
            });
        for entry in stale {
            tracing::info!(path = %entry.path().display(), "removing an unfinished write left by a crash");
            let _ = std::fs::remove_file(entry.path());
        }
        Publisher {
            engine,
            history: History::new(data_dir),
            lock: Mutex::new(()),
        }
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    fn paths(&self, id: &str) -> Result<Paths, PublishError> {
        let root = self.engine.content_root();
        let id = load::id_for(&format!("{id}.md")).map_err(PublishError::BadId)?;
        if Section::of_id(&id) != Section::Records {
            return Err(PublishError::BadId("工作室、联盟和成果展的资料请直接编辑文件".into()));
        }
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

    fn parse(&self, id: &str, text: &str) -> Result<Record, PublishError> {
        let known = self.engine.snapshot().profiles.known_ids(None);
        match parse_document(id, text, &known) {
            Ok((Document::Record(record), _)) => Ok(*record),
            Ok(_) => Err(PublishError::BadId("不是记录".into())),
            Err(problems) => Err(PublishError::Invalid(problems)),
        }
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
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let paths = self.paths(id)?;
        if matches!(viewer.role, Role::Anonymous) {
            return Err(PublishError::Unauthorized);
        }
        let staff = matches!(viewer.role, Role::Staff);
        let existing = std::fs::read_to_string(&paths.main).ok();
        let pending = std::fs::read_to_string(&paths.pending).ok();
        if let Some(old) = &existing {
            // A record changes hands only through staff: check the owner on disk.
            if let Ok(old_record) = self.parse(id, old) {
                Self::may_write(viewer, &old_record.studio)?;
            } else if !staff {
                return Err(PublishError::Forbidden("现有文件有错误，只能由工会工作人员修改".into()));
            }
        }
        let clean = set_review(text, None);
        let record = self.parse(id, &clean)?;
        Self::may_write(viewer, &record.studio)?;
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
        let author = viewer.name.clone().unwrap_or_default();
        let published_approved = existing
            .as_ref()
            .is_some_and(|t| self.parse(id, t).is_ok_and(|r| r.review.is_none()));
        let (target, written, is_pending) = if staff {
            (&paths.main, clean, false)
        } else if published_approved {
            (&paths.pending, set_review(&clean, Some(("pending", None))), true)
        } else {
            (&paths.main, set_review(&clean, Some(("pending", None))), true)
        };
        crate::atomic::write(target, written.as_bytes())?;
        if target == &paths.main {
            self.engine.sync_paths(std::slice::from_ref(&paths.rel), true)?;
        }
        let action = if is_pending {
            "submit"
        } else if existing.is_some() {
            "update"
        } else {
            "create"
        };
        self.history.record(id, &author, action, &written)?;
        let record = self.parse(id, &written)?;
        Ok(Outcome {
            id: id.to_string(),
            created: existing.is_none(),
            pending: is_pending,
            etag: etag(&written),
            record,
        })
    }

    /// Removes a record (and any pending change of it).
    pub fn delete(&self, viewer: &Viewer, id: &str, if_match: Option<&str>) -> Result<(), PublishError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
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
        std::fs::remove_file(&paths.main)?;
        let _ = std::fs::remove_file(&paths.pending);
        if let Some(dir) = paths.main.parent() {
            crate::atomic::sync_dir(dir)?;
        }
        self.engine.sync_paths(std::slice::from_ref(&paths.rel), true)?;
        self.history
            .record(id, viewer.name.as_deref().unwrap_or_default(), "delete", "")?;
        Ok(())
    }

    /// Staff: publishes a submission (its own `visibility` then applies).
    pub fn approve(&self, viewer: &Viewer, id: &str) -> Result<Outcome, PublishError> {
        self.review(viewer, id, None)
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
        self.review(viewer, id, Some(comment.trim()))
    }

    fn review(&self, viewer: &Viewer, id: &str, returned: Option<&str>) -> Result<Outcome, PublishError> {
        if !matches!(viewer.role, Role::Staff) {
            return Err(if matches!(viewer.role, Role::Anonymous) {
                PublishError::Unauthorized
            } else {
                PublishError::Forbidden("只有工会工作人员可以审核".into())
            });
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
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
        let outcome = match returned {
            None => {
                let approved = set_review(&text, None);
                crate::atomic::write(&paths.main, approved.as_bytes())?;
                if source == &paths.pending {
                    std::fs::remove_file(&paths.pending)?;
                }
                self.history.record(id, &author, "approve", &approved)?;
                (approved, false)
            }
            Some(comment) => {
                let back = set_review(&text, Some(("returned", Some(comment))));
                crate::atomic::write(source, back.as_bytes())?;
                self.history.record(id, &author, "return", &back)?;
                (back, true)
            }
        };
        self.engine.sync_paths(std::slice::from_ref(&paths.rel), true)?;
        let record = self.parse(id, &outcome.0)?;
        Ok(Outcome {
            id: id.to_string(),
            created: false,
            pending: outcome.1,
            etag: etag(&outcome.0),
            record,
        })
    }

    /// Submissions the viewer may review (staff) or follow (publisher).
    pub fn queue(&self, viewer: &Viewer) -> Result<Vec<Submission>, PublishError> {
        let root = self.engine.content_root();
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy();
            let Some(rel) = entry.path().strip_prefix(root).ok().and_then(|p| p.to_str()) else {
                continue;
            };
            if rel.split('/').any(|part| part == ".git") {
                continue;
            }
            let id = if name.ends_with(".pending.md") && name.starts_with('.') {
                let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
                let slug = &name[1..name.len() - ".pending.md".len()];
                if slug == "index" {
                    dir.to_string()
                } else if dir.is_empty() {
                    slug.to_string()
                } else {
                    format!("{dir}/{slug}")
                }
            } else if name.ends_with(".md") && !name.starts_with('.') {
                match load::id_for(&rel.replace('\\', "/")) {
                    Ok(id) if Section::of_id(&id) == Section::Records => id,
                    _ => continue,
                }
            } else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Ok(record) = self.parse(&id, &text) else { continue };
            if record.review.is_none() || (Self::may_write(viewer, &record.studio).is_err()) {
                continue;
            }
            let published = if name.starts_with('.') {
                std::fs::read_to_string(self.paths(&id)?.main).ok()
            } else {
                None
            };
            out.push(Submission {
                id,
                etag: etag(&text),
                record,
                text,
                published,
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    pub fn submission(&self, viewer: &Viewer, id: &str) -> Result<Option<Submission>, PublishError> {
        Ok(self.queue(viewer)?.into_iter().find(|s| s.id == id))
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
        .take(80)
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
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut paths = self.paths(id)?;
        let text = std::fs::read_to_string(&paths.main).map_err(|_| PublishError::NotFound(id.to_string()))?;
        let record = self.parse(id, &text)?;
        if !viewer.may_see(record.effective_visibility(), &record.studio) {
            return Err(PublishError::NotFound(id.to_string()));
        }
        Self::may_write(viewer, &record.studio)?;
        let root = self.engine.content_root().to_path_buf();
        if !paths.rel.ends_with("/index.md") {
            let dir = root.join(id);
            std::fs::create_dir_all(&dir)?;
            crate::atomic::write(&dir.join("index.md"), text.as_bytes())?;
            if let Ok(pending) = std::fs::read(&paths.pending) {
                crate::atomic::write(&dir.join(".index.pending.md"), &pending)?;
                std::fs::remove_file(&paths.pending)?;
            }
            std::fs::remove_file(&paths.main)?;
            crate::atomic::sync_dir(paths.main.parent().unwrap_or(&root))?;
            let old_rel = paths.rel.clone();
            paths = self.paths(id)?;
            self.engine.sync_paths(&[old_rel, paths.rel.clone()], true)?;
        }
        let folder = paths.main.parent().unwrap_or(&root).to_path_buf();
        crate::atomic::write(&folder.join(&name), bytes)?;
        self.history.record(
            id,
            viewer.name.as_deref().unwrap_or_default(),
            "attach",
            &format!("{name}\n"),
        )?;
        Ok(name)
    }
}

/// Sets (or with `None` removes) the review fields in a file's front
/// matter, leaving every other line as written.
pub fn set_review(text: &str, review: Option<(&str, Option<&str>)>) -> String {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return text.to_string();
    };
    let Some(end) = rest.find("\n---").map(|i| i + 1) else {
        return text.to_string();
    };
    let (front, body) = rest.split_at(end);
    let mut lines: Vec<&str> = Vec::new();
    let mut skipping = false;
    for line in front.lines() {
        if line.starts_with("review:") || line.starts_with("review_comment:") {
            skipping = true;
            continue;
        }
        if skipping && (line.starts_with(' ') || line.starts_with('\t')) {
            continue;
        }
        skipping = false;
        lines.push(line);
    }
    let mut out = String::from("---\n");
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    if let Some((state, comment)) = review {
        out.push_str(&format!("review: {state}\n"));
        if let Some(c) = comment {
            out.push_str(&format!(
                "review_comment: {}\n",
                serde_json::to_string(c).unwrap_or_default()
            ));
        }
    }
    out.push_str(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_fields_are_set_and_removed() {
        let text = "---\ntitle: t\nreview: pending\nreview_comment: |\n  old\n  lines\nkind: method\n---\n正文\n";
        let clean = set_review(text, None);
        assert_eq!(clean, "---\ntitle: t\nkind: method\n---\n正文\n");
        let back = set_review(&clean, Some(("returned", Some("请补充\"数据\"：效益"))));
        assert!(back.contains("review: returned\nreview_comment: \"请补充\\\"数据\\\"：效益\"\n---\n正文"));
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
        assert!(attachment_name("...", "pdf").is_err());
    }

    #[test]
    fn etags_follow_content() {
        assert_eq!(etag("a"), etag("a"));
        assert_ne!(etag("a"), etag("b"));
    }
}
