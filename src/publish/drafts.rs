//! Files added in the publishing form before the record exists: each form
//! gets a random draft id, and the files chosen in it wait under
//! `data/drafts/<account>/<draft>/` (outside `content/`), seen only by the
//! account that added them, so the preview can show them. On submit they
//! are attached to the record through `Publisher::attach`, which applies
//! the review rules, and the draft is removed. Drafts left for a week are
//! removed at start.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::{MAX_ATTACHMENT_BYTES, PublishError, attachment_name, attachment_type};

/// Most files one draft holds: a form is not a file store.
pub const MAX_DRAFT_FILES: usize = 20;
/// Drafts untouched for this long are removed at start.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Drafts {
    dir: PathBuf,
}

/// A fresh draft id: 16 random bytes, hex.
pub fn new_id() -> String {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        // Without randomness a draft id would be guessable; the folder is
        // per account anyway, so a time-based id only risks two forms of
        // one account sharing files.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        buf.copy_from_slice(&nanos.to_le_bytes());
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A draft id as `new_id` makes them: nothing else reaches a path.
pub fn valid_id(draft: &str) -> bool {
    draft.len() == 32 && draft.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Drafts {
    pub fn new(data_dir: &std::path::Path) -> Drafts {
        let drafts = Drafts {
            dir: data_dir.join("drafts"),
        };
        drafts.remove_old();
        drafts
    }

    /// The folder of one account's draft; account names are hashed, so
    /// no name can reach outside `drafts/`.
    fn folder(&self, owner: &str, draft: &str) -> Result<PathBuf, PublishError> {
        if !valid_id(draft) || owner.is_empty() {
            return Err(PublishError::BadId("草稿编号无效：请重新打开发布表单".into()));
        }
        let account = &blake3::hash(owner.as_bytes()).to_hex()[..16];
        Ok(self.dir.join(account).join(draft))
    }

    /// Keeps a file for the draft; answers the name it is kept (and will
    /// be attached) under. Judged as attachments are: by content, ≤ 10 MB.
    pub fn add(&self, owner: &str, draft: &str, requested_name: &str, bytes: &[u8]) -> Result<String, PublishError> {
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(PublishError::TooLarge(MAX_ATTACHMENT_BYTES / 1024 / 1024));
        }
        let kind = attachment_type(bytes).ok_or(PublishError::UnsupportedFile)?;
        let name = attachment_name(requested_name, kind)?;
        let folder = self.folder(owner, draft)?;
        let names = self.list(owner, draft);
        if !names.contains(&name) && names.len() >= MAX_DRAFT_FILES {
            return Err(PublishError::Forbidden(format!(
                "一次最多添加 {MAX_DRAFT_FILES} 个附件：请先提交，再在记录页上传其余附件"
            )));
        }
        std::fs::create_dir_all(&folder)?;
        crate::atomic::write(&folder.join(&name), bytes)?;
        Ok(name)
    }

    /// The draft's file names, sorted.
    pub fn list(&self, owner: &str, draft: &str) -> Vec<String> {
        let Ok(folder) = self.folder(owner, draft) else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// A file of the owner's draft.
    pub fn read(&self, owner: &str, draft: &str, name: &str) -> Option<Vec<u8>> {
        let folder = self.folder(owner, draft).ok()?;
        if !self.list(owner, draft).iter().any(|n| n == name) {
            return None;
        }
        std::fs::read(folder.join(name)).ok()
    }

    pub fn remove(&self, owner: &str, draft: &str) {
        if let Ok(folder) = self.folder(owner, draft) {
            let _ = std::fs::remove_dir_all(folder);
        }
    }

    fn remove_old(&self) {
        let Ok(accounts) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for account in accounts.flatten() {
            for draft in std::fs::read_dir(account.path()).into_iter().flatten().flatten() {
                let old = draft
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > KEEP);
                if old {
                    let _ = std::fs::remove_dir_all(draft.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest";

    #[test]
    fn drafts_keep_files_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        let id = new_id();
        assert!(valid_id(&id));
        assert_ne!(id, new_id());
        assert_eq!(
            drafts.add("张三", &id, "吊弦 示意图.PNG", PNG).unwrap(),
            "吊弦-示意图.png"
        );
        assert_eq!(drafts.list("张三", &id), vec!["吊弦-示意图.png"]);
        assert_eq!(drafts.read("张三", &id, "吊弦-示意图.png").as_deref(), Some(PNG));
        // Another account, a made-up id, a path: nothing.
        assert!(drafts.read("李四", &id, "吊弦-示意图.png").is_none());
        assert!(drafts.list("李四", &id).is_empty());
        for bad in ["../x", "", "ABCDEF0123456789ABCDEF0123456789", &id[..31]] {
            assert!(drafts.add("张三", bad, "a.png", PNG).is_err(), "{bad}");
            assert!(drafts.read("张三", bad, "吊弦-示意图.png").is_none());
        }
        assert!(drafts.read("张三", &id, "../../accounts.json").is_none());
        // Only images and PDF.
        assert!(matches!(
            drafts.add("张三", &id, "x.png", b"<svg onload=alert(1)>"),
            Err(PublishError::UnsupportedFile)
        ));
        drafts.remove("张三", &id);
        assert!(drafts.list("张三", &id).is_empty());
    }

    #[test]
    fn a_draft_holds_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        let id = new_id();
        for i in 0..MAX_DRAFT_FILES {
            drafts.add("a", &id, &format!("f{i}.png"), PNG).unwrap();
        }
        assert!(drafts.add("a", &id, "one-more.png", PNG).is_err());
        // Replacing a file already there is fine.
        assert!(drafts.add("a", &id, "f0.png", PNG).is_ok());
    }
}
