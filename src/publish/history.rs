//! Every accepted version of every record, with its author and time, and
//! the audit log of who did what. Kept under the data folder, outside
//! `content/`, as plain files: `history/<id>/<n>.md` plus one JSON line per
//! version in `history/<id>/versions.jsonl`, and `audit.log`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Version {
    pub n: usize,
    /// Seconds since 1970 (UTC).
    pub time: u64,
    pub author: String,
    /// create, update, submit, approve, return, delete
    pub action: String,
    pub etag: String,
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

/// Appends one line and makes it durable.
fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_all()
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

    /// Keeps `text` as the next version of `id` and logs the action.
    pub fn record(&self, id: &str, author: &str, action: &str, text: &str) -> std::io::Result<Version> {
        let versions = self.versions(id);
        let n = versions.last().map_or(1, |v| v.n + 1);
        let version = Version {
            n,
            time: now(),
            author: author.to_string(),
            action: action.to_string(),
            etag: super::etag(text),
        };
        let folder = self.folder(id);
        crate::atomic::write(&folder.join(format!("{n}.md")), text.as_bytes())?;
        let line = serde_json::to_string(&version).map_err(std::io::Error::other)?;
        append_line(&folder.join("versions.jsonl"), &line)?;
        let audit = serde_json::json!({"time": version.time, "actor": author, "action": action, "id": id, "version": n, "etag": version.etag});
        append_line(&self.audit, &audit.to_string())?;
        Ok(version)
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
        history.record("a/b", "张三", "create", "one").unwrap();
        history.record("a/b", "李四", "update", "two").unwrap();
        let versions = history.versions("a/b");
        assert_eq!(versions.iter().map(|v| v.n).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(versions[1].author, "李四");
        assert_eq!(history.text("a/b", 1).as_deref(), Some("one"));
        assert_eq!(history.audit(10)[0]["actor"], "李四");
    }

    #[test]
    fn diff_marks_lines() {
        let d = diff("a\nb\n", "a\nc\n");
        assert_eq!(d, vec![(' ', "a".into()), ('-', "b".into()), ('+', "c".into())]);
    }
}
