//! Who is looking, and how they prove it.
//!
//! This module owns:
//! - the [`Viewer`] every search and page takes, and what each [`Role`] may
//!   see. The rule lives here once; the search module turns it into a query
//!   clause so hidden records never reach hits, counts or facets;
//! - accounts, password hashes (argon2id) and API tokens, kept in
//!   `<data_dir>/accounts.json` ([`Accounts`]);
//! - browser sessions and their CSRF tokens, kept in
//!   `<data_dir>/sessions.json` ([`Sessions`]);
//! - throttling of failed sign-ins ([`SignInThrottle`], per name and
//!   address pair and per address, built on [`SignInLimiter`]);
//! - the errors of all of the above ([`AuthError`]), worded for people.
//!
//! It does not own, and knows nothing of: HTTP (cookies, headers, routes,
//! status codes: `web`), commands and reading passwords from a terminal
//! (`cli`), or whether a studio id exists in the content (the caller checks
//! that against the content before creating a publisher account). Who may
//! *write* which record is decided where records are written, from the
//! [`Viewer`] this module hands out.

mod accounts;
mod error;
mod limits;
mod sessions;

pub use accounts::{AccountKey, AccountSummary, Accounts, NewRole, RoleChange, SignIn, TokenSummary};
pub use error::AuthError;
pub use limits::{SignInLimiter, SignInThrottle};
pub use sessions::{DEFAULT_SESSION_TTL, Session, Sessions, verify_csrf};

use crate::content::Visibility;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Anonymous,
    /// Reads `public` and `members` records.
    Member,
    /// Also reads and writes its own studio's records.
    Publisher {
        studio: String,
    },
    /// Union staff: reads everything.
    Staff,
}

impl Role {
    /// The name used in files and on the command line: `anonymous`,
    /// `member`, `publisher` or `staff`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Anonymous => "anonymous",
            Role::Member => "member",
            Role::Publisher { .. } => "publisher",
            Role::Staff => "staff",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub name: Option<String>,
    pub role: Role,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Viewer {
            name: None,
            role: Role::Anonymous,
        }
    }

    pub fn staff(name: &str) -> Self {
        Viewer {
            name: Some(name.to_string()),
            role: Role::Staff,
        }
    }

    /// The visibilities this viewer sees for every studio's records.
    pub fn open_visibilities(&self) -> &'static [Visibility] {
        match self.role {
            Role::Anonymous => &[Visibility::Public],
            Role::Member | Role::Publisher { .. } => &[Visibility::Public, Visibility::Members],
            Role::Staff => &[Visibility::Public, Visibility::Members, Visibility::Studio],
        }
    }

    /// The studio whose `studio`-visibility records this viewer also sees.
    pub fn own_studio(&self) -> Option<&str> {
        match &self.role {
            Role::Publisher { studio } => Some(studio),
            _ => None,
        }
    }

    pub fn may_see(&self, visibility: Visibility, studio: &str) -> bool {
        self.open_visibilities().contains(&visibility) || self.own_studio() == Some(studio)
    }
}

/// `bytes` random bytes from the operating system, hex-encoded.
fn random_hex(bytes: usize) -> Result<String, AuthError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The hex BLAKE3 hash under which a high-entropy secret (API token,
/// session id) is stored instead of the secret itself.
fn secret_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Identifies one version of a file on disk, so that a process notices
/// when another one (the CLI beside the server, or an editor) replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Inode and status-change time: a rename over the file changes them
    /// even when size and modification time happen to match.
    inode: u64,
    changed: (i64, i64),
}

/// Re-reads a file's state when another process replaced the file (its
/// stamp changed), for accounts and sessions alike. A file that cannot be
/// checked or read is reported and the state last read stays in force;
/// `kept` says what that state is, for the log.
fn refresh<S>(
    path: &std::path::Path,
    state: &std::sync::RwLock<S>,
    stamp: impl Fn(&S) -> Option<Stamp>,
    load: impl FnOnce() -> Result<S, AuthError>,
    kept: &str,
) {
    let on_disk = match stamp_of(path) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!("无法检查 {}：{e}", path.display());
            return;
        }
    };
    // State is only replaced whole, so a panic elsewhere never leaves it
    // half-changed: a poisoned lock is still good to use.
    if stamp(&state.read().unwrap_or_else(|e| e.into_inner())) == on_disk {
        return;
    }
    let mut current = state.write().unwrap_or_else(|e| e.into_inner());
    if stamp(&current) == on_disk {
        return;
    }
    match load() {
        Ok(fresh) => *current = fresh,
        Err(e) => tracing::warn!("{e}（继续使用上次读到的{kept}）"),
    }
}

/// The stamp of the file at `path`; `None` when there is no file.
fn stamp_of(path: &std::path::Path) -> std::io::Result<Option<Stamp>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt;
        (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, (0, 0));
    Ok(Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
        changed,
    }))
}

/// An exclusive lock on `<dir>/<name>`, shared with every process using
/// this data folder, released when the returned file is dropped. Changes
/// to a shared file re-read it under this lock, so that no process writes
/// back a stale copy over another's change.
fn lock_folder(dir: &std::path::Path, name: &str) -> Result<std::fs::File, AuthError> {
    let path = dir.join(name);
    std::fs::create_dir_all(dir).map_err(|e| AuthError::io(dir, e))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AuthError::io(&path, e))?;
    file.lock().map_err(|e| AuthError::io(&path, e))?;
    Ok(file)
}

/// Restricts a file holding secrets' hashes to its owner. `atomic::write`
/// creates files with the process umask, so this runs right after it.
fn restrict_permissions(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_see_what_the_spec_says() {
        let publisher = Viewer {
            name: Some("p".into()),
            role: Role::Publisher { studio: "a".into() },
        };
        let member = Viewer {
            name: Some("m".into()),
            role: Role::Member,
        };
        assert!(Viewer::anonymous().may_see(Visibility::Public, "a"));
        assert!(!Viewer::anonymous().may_see(Visibility::Members, "a"));
        assert!(member.may_see(Visibility::Members, "a"));
        assert!(!member.may_see(Visibility::Studio, "a"));
        assert!(publisher.may_see(Visibility::Studio, "a"));
        assert!(!publisher.may_see(Visibility::Studio, "b"));
        assert!(Viewer::staff("s").may_see(Visibility::Studio, "b"));
    }

    #[test]
    fn random_hex_is_hex_of_the_right_length_and_varies() {
        let a = random_hex(32).unwrap();
        let b = random_hex(32).unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
    }

    #[test]
    fn role_names() {
        assert_eq!(Role::Publisher { studio: "a".into() }.as_str(), "publisher");
        assert_eq!(Role::Staff.as_str(), "staff");
        assert_eq!(Role::Member.as_str(), "member");
        assert_eq!(Role::Anonymous.as_str(), "anonymous");
    }
}
