//! Every accepted version of every record, with its author and time, and
//! the audit log of who did what. Kept under the data folder, outside
//! `content/`, as plain files: `history/<id>/<n>.md` plus one JSON line per
//! version in `history/<id>/versions.jsonl`, and `audit.log`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::content::Visibility;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Version {
    pub n: usize,
    /// Seconds since 1970 (UTC).
    pub time: u64,
    pub author: String,
    /// create, update, submit, approve, return, delete, attach
    pub action: String,
    pub etag: String,
    /// Who could see this version when it was written: its effective
    /// visibility (`studio` while it awaited review) and its studio.
    /// Absent in lines written before it was kept; the version's text
    /// says it then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub studio: Option<String>,
    /// The reviewer's comment on an approval or a return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Who could see a version when it was written.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub visibility: Option<Visibility>,
    pub studio: Option<String>,
}

impl Audience {
    pub fn of(visibility: Visibility, studio: &str) -> Audience {
        Audience {
            visibility: Some(visibility),
            studio: Some(studio.to_string()),
        }
    }
}

impl Version {
    /// Whether `viewer` could see this version when it was written. A
    /// version whose audience is unknown is shown to staff only.
    pub fn visible_to(&self, viewer: &Viewer) -> bool {
        match (self.visibility.as_deref().and_then(Visibility::parse), &self.studio) {
            (Some(visibility), Some(studio)) => viewer.may_see(visibility, studio),
            _ => viewer.may_see(Visibility::Studio, ""),
        }
    }
}

pub struct History {
    dir: PathBuf,
    audit: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A version written to the history, until the write it records has
/// succeeded: `undo` takes it out again, leaving the files as they were.
#[must_use]
pub struct Entry {
    pub version: Version,
    text_file: PathBuf,
    /// Each appended file with its length before.
    appended: Vec<(PathBuf, u64)>,
}

impl Entry {
    pub fn undo(self) {
        let _ = std::fs::remove_file(&self.text_file);
        for (path, len) in self.appended.iter().rev() {
            if let Ok(file) = OpenOptions::new().write(true).open(path) {
                let _ = file.set_len(*len).and_then(|_| file.sync_all());
            }
        }
    }
}

/// Appends one line and makes it durable; answers the length before, so
/// the line can be taken back.
fn append_line(path: &Path, line: &str) -> std::io::Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let before = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    let written = file
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|_| file.sync_all());
    if let Err(e) = written {
        let _ = file.set_len(before);
        return Err(e);
    }
    Ok(before)
}

impl History {
    pub fn new(data_dir: &Path) -> History {
        History {
            dir: data_dir.join("history"),
            audit: data_dir.join("audit.log"),
        }
    }

    fn folder(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Keeps `text` as the next version of `id` and logs the action. All
    /// of it or none is written.
    pub fn record(
        &self,
        id: &str,
        author: &str,
        action: &str,
        text: &str,
        audience: &Audience,
    ) -> std::io::Result<Entry> {
        self.record_commented(id, author, action, text, audience, None)
    }

    /// `record`, with the reviewer's comment kept in the version line and
    /// the audit log.
    pub fn record_commented(
        &self,
        id: &str,
        author: &str,
        action: &str,
        text: &str,
        audience: &Audience,
        comment: Option<&str>,
    ) -> std::io::Result<Entry> {
        let versions = self.versions(id);
        let n = versions.last().map_or(1, |v| v.n + 1);
        let version = Version {
            n,
            time: now(),
            author: author.to_string(),
            action: action.to_string(),
            etag: super::etag(text),
            visibility: audience.visibility.map(|v| v.as_str().to_string()),
            studio: audience.studio.clone(),
            comment: comment.map(str::to_string),
        };
        let folder = self.folder(id);
        let mut entry = Entry {
            version: version.clone(),
            text_file: folder.join(format!("{n}.md")),
            appended: Vec::new(),
        };
        let result = (|| {
            crate::atomic::write(&entry.text_file, text.as_bytes())?;
            let line = serde_json::to_string(&version).map_err(std::io::Error::other)?;
            let versions_file = folder.join("versions.jsonl");
            entry
                .appended
                .push((versions_file.clone(), append_line(&versions_file, &line)?));
            let mut audit = serde_json::json!({"time": version.time, "actor": author, "action": action, "id": id, "version": n, "etag": version.etag});
            if let Some(comment) = comment {
                audit["comment"] = comment.into();
            }
            entry
                .appended
                .push((self.audit.clone(), append_line(&self.audit, &audit.to_string())?));
            Ok(())
        })();
        match result {
            Ok(()) => Ok(entry),
            Err(e) => {
                entry.undo();
                Err(e)
            }
        }
    }

    /// Sets a deleted record's history aside, so that a new record under
    /// the same id starts its own and shows nothing of the old one. Kept
    /// under `history/.deleted/` (no id starts with a dot) for staff.
    pub fn retire(&self, id: &str) -> std::io::Result<()> {
        let folder = self.folder(id);
        if !folder.is_dir() {
            return Ok(());
        }
        let target = self.dir.join(".deleted").join(id).join(format!("{}", now()));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let target = (0..)
            .map(|i| target.with_extension(i.to_string()))
            .find(|t| !t.exists())
            .unwrap_or(target);
        std::fs::rename(&folder, &target)?;
        crate::atomic::sync_dir(&self.dir)
    }

    /// Oldest first.
    pub fn versions(&self, id: &str) -> Vec<Version> {
        std::fs::read_to_string(self.folder(id).join("versions.jsonl"))
            .map(|text| text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
            .unwrap_or_default()
    }

    pub fn text(&self, id: &str, n: usize) -> Option<String> {
        std::fs::read_to_string(self.folder(id).join(format!("{n}.md"))).ok()
    }

    /// The audit log, newest first, at most `limit` entries.
    pub fn audit(&self, limit: usize) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
        text.lines()
            .rev()
            .take(limit)
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// A line diff as (kind, line) pairs: kind is ' ', '-' or '+'.
pub fn diff(old: &str, new: &str) -> Vec<(char, String)> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let kind = match c.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            (kind, c.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_kept_in_order_with_author() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::new(dir.path());
        let public = Audience::of(Visibility::Public, "s");
        let _ = history.record("a/b", "张三", "create", "one", &public).unwrap();
        let _ = history.record("a/b", "李四", "update", "two", &public).unwrap();
        let versions = history.versions("a/b");
        assert_eq!(versions.iter().map(|v| v.n).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(versions[1].author, "李四");
        assert_eq!(history.text("a/b", 1).as_deref(), Some("one"));
        assert_eq!(history.audit(10)[0]["actor"], "李四");

        // A version taken back leaves the files as they were.
        let audit_before = std::fs::read(dir.path().join("audit.log")).unwrap();
        history
            .record("a/b", "王五", "update", "three", &public)
            .unwrap()
            .undo();
        assert_eq!(history.versions("a/b").len(), 2);
        assert!(history.text("a/b", 3).is_none());
        assert_eq!(std::fs::read(dir.path().join("audit.log")).unwrap(), audit_before);

        // A reviewer's comment is kept with the version and in the audit log.
        let _ = history
            .record_commented("a/b", "王五", "approve", "two", &public, Some("数据翔实"))
            .unwrap();
        assert_eq!(history.versions("a/b")[2].comment.as_deref(), Some("数据翔实"));
        assert_eq!(history.audit(1)[0]["comment"], "数据翔实");
        assert!(history.audit(2)[1].get("comment").is_none());

        // A deleted record's history is set aside; the id starts afresh.
        history.retire("a/b").unwrap();
        assert!(history.versions("a/b").is_empty());
        let _ = history.record("a/b", "赵六", "create", "new", &public).unwrap();
        assert_eq!(history.versions("a/b")[0].n, 1);
    }

    #[test]
    fn versions_are_shown_to_whom_could_see_them() {
        let v = |visibility: Option<&str>| Version {
            n: 1,
            time: 0,
            author: String::new(),
            action: "submit".into(),
            etag: String::new(),
            visibility: visibility.map(str::to_string),
            studio: Some("s".into()),
            comment: None,
        };
        let anonymous = Viewer::anonymous();
        let staff = Viewer::staff("w");
        assert!(v(Some("public")).visible_to(&anonymous));
        assert!(!v(Some("studio")).visible_to(&anonymous));
        assert!(!v(None).visible_to(&anonymous));
        assert!(v(None).visible_to(&staff));
    }

    #[test]
    fn diff_marks_lines() {
        let d = diff("a\nb\n", "a\nc\n");
        assert_eq!(d, vec![(' ', "a".into()), ('-', "b".into()), ('+', "c".into())]);
    }
}
