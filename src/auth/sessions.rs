//! Browser sessions, kept in `<data_dir>/sessions.json`.
//!
//! A session lasts a fixed time from sign-in (12 hours unless configured);
//! it is not extended by use. The file stores only a BLAKE3 hash of each
//! session id, so a copy of it does not let anyone in. Sessions belong to
//! one server process: unlike accounts, the file is not shared with others.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{AuthError, Viewer, random_hex, restrict_permissions, secret_hash, unix_now};

/// The sessions file inside the data folder.
pub const FILE_NAME: &str = "sessions.json";
/// How long a session lasts unless [`Sessions::open_with_ttl`] says otherwise.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
const FORMAT_VERSION: u32 = 1;
const CORRUPT_HINT: &str = "可以删除该文件（所有人需要重新登录）";
const SECRET_BYTES: usize = 32;
/// Signing in again beyond this many live sessions ends the oldest one.
const MAX_SESSIONS_PER_ACCOUNT: usize = 20;

/// A signed-in browser. `id` goes into the session cookie, `csrf` into
/// forms and the `X-CSRF-Token` header of state-changing requests.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    /// The account; resolve it with `Accounts::viewer` on each request.
    pub name: String,
    pub expires: SystemTime,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &"…")
            .field("csrf", &"…")
            .field("name", &self.name)
            .field("expires", &self.expires)
            .finish()
    }
}

/// Whether `token` is the session's CSRF token, compared in constant time.
pub fn verify_csrf(session: &Session, token: &str) -> bool {
    // `blake3::Hash` equality is constant-time, and hashing first hides
    // the lengths too.
    !token.is_empty() && blake3::hash(session.csrf.as_bytes()) == blake3::hash(token.as_bytes())
}

#[derive(Serialize, Deserialize)]
struct SessionsFile {
    version: u32,
    sessions: Vec<StoredSession>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredSession {
    /// Hex BLAKE3 hash of the session id.
    id_hash: String,
    csrf: String,
    name: String,
    /// Seconds since the Unix epoch.
    created: u64,
    expires: u64,
}

type Map = HashMap<String, StoredSession>;

/// The sessions of one data folder. Share behind an `Arc`; all methods
/// take `&self`.
pub struct Sessions {
    path: PathBuf,
    ttl: Duration,
    state: RwLock<Map>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("path", &self.path)
            .field("ttl", &self.ttl)
            .field("sessions", &self.read().len())
            .finish()
    }
}

impl Sessions {
    /// Reads `<data_dir>/sessions.json` (missing: no sessions) and drops
    /// the expired ones; sessions last [`DEFAULT_SESSION_TTL`].
    pub fn open(data_dir: &Path) -> Result<Sessions, AuthError> {
        Self::open_with_ttl(data_dir, DEFAULT_SESSION_TTL)
    }

    /// Like [`Sessions::open`], with new sessions lasting `ttl` (whole
    /// seconds, at least one).
    pub fn open_with_ttl(data_dir: &Path, ttl: Duration) -> Result<Sessions, AuthError> {
        let path = data_dir.join(FILE_NAME);
        let (map, expired) = load(&path, unix_now())?;
        let sessions = Sessions {
            path,
            ttl,
            state: RwLock::new(map),
        };
        if expired > 0 {
            sessions.change(unix_now(), |_| ())?;
        }
        Ok(sessions)
    }

    /// How long new sessions last.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for a signed-in viewer.
    pub fn create(&self, viewer: &Viewer) -> Result<Session, AuthError> {
        self.create_at(viewer, unix_now())
    }

    /// The live session with this id; `None` for an unknown or expired one
    /// (an expired one is removed).
    pub fn get(&self, id: &str) -> Option<Session> {
        self.get_at(id, unix_now())
    }

    /// Ends a session (signing out). Returns whether there was one.
    pub fn remove(&self, id: &str) -> Result<bool, AuthError> {
        let hash = secret_hash(id);
        if !self.read().contains_key(&hash) {
            return Ok(false);
        }
        self.change(unix_now(), |map| map.remove(&hash).is_some())
    }

    /// Ends every session of an account (after a password change or when
    /// the account is removed). Returns how many there were.
    pub fn remove_account(&self, name: &str) -> Result<usize, AuthError> {
        if !self.read().values().any(|s| s.name == name) {
            return Ok(0);
        }
        self.change(unix_now(), |map| {
            let before = map.len();
            map.retain(|_, s| s.name != name);
            before - map.len()
        })
    }

    fn create_at(&self, viewer: &Viewer, now: u64) -> Result<Session, AuthError> {
        let name = viewer.name.clone().ok_or(AuthError::AnonymousSession)?;
        let id = random_hex(SECRET_BYTES)?;
        let csrf = random_hex(SECRET_BYTES)?;
        let ttl = self.ttl.as_secs() + u64::from(self.ttl.subsec_nanos() > 0);
        let expires = now.saturating_add(ttl.max(1));
        let stored = StoredSession {
            id_hash: secret_hash(&id),
            csrf: csrf.clone(),
            name: name.clone(),
            created: now,
            expires,
        };
        self.change(now, |map| {
            let mut own: Vec<(u64, String)> = map
                .iter()
                .filter(|(_, s)| s.name == name)
                .map(|(hash, s)| (s.created, hash.clone()))
                .collect();
            if own.len() >= MAX_SESSIONS_PER_ACCOUNT {
                own.sort();
                for (_, hash) in &own[..=own.len() - MAX_SESSIONS_PER_ACCOUNT] {
                    map.remove(hash);
                }
            }
            map.insert(stored.id_hash.clone(), stored);
        })?;
        Ok(Session {
            id,
            csrf,
            name,
            expires: UNIX_EPOCH + Duration::from_secs(expires),
        })
    }

    fn get_at(&self, id: &str, now: u64) -> Option<Session> {
        let hash = secret_hash(id);
        let expires = {
            let map = self.read();
            let stored = map.get(&hash)?;
            if now < stored.expires {
                return Some(Session {
                    id: id.to_string(),
                    csrf: stored.csrf.clone(),
                    name: stored.name.clone(),
                    expires: UNIX_EPOCH + Duration::from_secs(stored.expires),
                });
            }
            stored.expires
        };
        // Expired: forget it (and any others that are), best effort.
        if let Err(e) = self.change(now, |_| ()) {
            tracing::warn!("无法移除过期的会话：{e}");
            let mut map = self.write();
            if map.get(&hash).is_some_and(|s| s.expires == expires) {
                map.remove(&hash);
            }
        }
        None
    }

    fn read(&self) -> RwLockReadGuard<'_, Map> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `change` to a copy, drops expired sessions, writes the file
    /// atomically and only then makes the copy current.
    fn change<T>(&self, now: u64, change: impl FnOnce(&mut Map) -> T) -> Result<T, AuthError> {
        let mut state = self.write();
        let mut map = state.clone();
        let out = change(&mut map);
        map.retain(|_, s| now < s.expires);
        let mut sessions: Vec<StoredSession> = map.values().cloned().collect();
        sessions.sort_by(|a, b| (a.created, &a.id_hash).cmp(&(b.created, &b.id_hash)));
        let file = SessionsFile {
            version: FORMAT_VERSION,
            sessions,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| AuthError::io(&self.path, e.into()))?;
        bytes.push(b'\n');
        crate::atomic::write(&self.path, &bytes).map_err(|e| AuthError::io(&self.path, e))?;
        restrict_permissions(&self.path).map_err(|e| AuthError::io(&self.path, e))?;
        *state = map;
        Ok(out)
    }
}

/// The live sessions in the file, and how many expired ones were dropped.
fn load(path: &Path, now: u64) -> Result<(Map, usize), AuthError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Map::new(), 0)),
        Err(e) => return Err(AuthError::io(path, e)),
    };
    let corrupt = |detail: String| AuthError::corrupt(path, detail, CORRUPT_HINT);
    let file: SessionsFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "格式版本 {} 不受支持（应为 {FORMAT_VERSION}）",
            file.version
        )));
    }
    let total = file.sessions.len();
    let map: Map = file
        .sessions
        .into_iter()
        .filter(|s| now < s.expires)
        .map(|s| (s.id_hash.clone(), s))
        .collect();
    let dropped = total - map.len();
    Ok((map, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str) -> Viewer {
        Viewer {
            name: Some(name.into()),
            role: super::super::Role::Member,
        }
    }

    #[test]
    fn create_get_remove() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        assert_eq!(sessions.ttl(), DEFAULT_SESSION_TTL);
        let session = sessions.create(&member("zhang")).unwrap();
        assert_eq!(session.id.len(), 64);
        assert_eq!(session.csrf.len(), 64);
        assert_ne!(session.id, session.csrf);
        assert_eq!(session.name, "zhang");
        let left = session.expires.duration_since(SystemTime::now()).unwrap();
        assert!(left > DEFAULT_SESSION_TTL - Duration::from_secs(5) && left <= DEFAULT_SESSION_TTL);

        assert_eq!(sessions.get(&session.id), Some(session.clone()));
        assert!(sessions.get(&session.csrf).is_none());
        assert!(sessions.get("").is_none());

        let other = sessions.create(&member("zhang")).unwrap();
        assert_ne!(other.id, session.id);
        assert!(sessions.remove(&session.id).unwrap());
        assert!(!sessions.remove(&session.id).unwrap());
        assert!(sessions.get(&session.id).is_none());
        assert!(sessions.get(&other.id).is_some());
    }

    #[test]
    fn anonymous_viewers_get_no_session() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        assert!(matches!(
            sessions.create(&Viewer::anonymous()),
            Err(AuthError::AnonymousSession)
        ));
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn sessions_expire_and_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open_with_ttl(dir.path(), Duration::from_secs(60)).unwrap();
        let now = unix_now();
        let session = sessions.create_at(&member("li"), now).unwrap();
        assert_eq!(session.expires, UNIX_EPOCH + Duration::from_secs(now + 60));
        assert!(sessions.get_at(&session.id, now + 59).is_some());
        assert!(sessions.get_at(&session.id, now + 60).is_none());
        // Gone for good, in memory and on disk.
        assert!(sessions.get_at(&session.id, now).is_none());
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains(&secret_hash(&session.id)));
    }

    #[test]
    fn sessions_survive_reopening_and_expired_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        let live = sessions.create(&member("wang")).unwrap();
        // Signed in long ago: already expired by the time of the reopen.
        let old = sessions
            .create_at(&member("wang"), unix_now() - DEFAULT_SESSION_TTL.as_secs() - 10)
            .unwrap();
        drop(sessions);

        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains(&live.id), "the file must not hold session ids");
        assert!(!text.contains(&old.id), "the file must not hold session ids");
        assert!(text.contains(&secret_hash(&live.id)));
        assert!(text.contains(&secret_hash(&old.id)));

        let reopened = Sessions::open(dir.path()).unwrap();
        assert_eq!(reopened.get(&live.id), Some(live.clone()));
        assert!(reopened.get(&old.id).is_none());
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(
            !text.contains(&secret_hash(&old.id)),
            "expired sessions are dropped on open"
        );
        assert!(text.contains(&secret_hash(&live.id)));
    }

    #[test]
    fn remove_account_ends_all_its_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        let a = sessions.create(&member("a")).unwrap();
        let a2 = sessions.create(&member("a")).unwrap();
        let b = sessions.create(&member("b")).unwrap();
        assert_eq!(sessions.remove_account("a").unwrap(), 2);
        assert_eq!(sessions.remove_account("a").unwrap(), 0);
        assert!(sessions.get(&a.id).is_none() && sessions.get(&a2.id).is_none());
        assert!(sessions.get(&b.id).is_some());
    }

    #[test]
    fn an_account_keeps_a_bounded_number_of_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        let now = unix_now();
        let first = sessions.create_at(&member("c"), now).unwrap();
        let mut last = None;
        for i in 1..=MAX_SESSIONS_PER_ACCOUNT as u64 {
            last = Some(sessions.create_at(&member("c"), now + i).unwrap());
        }
        assert!(sessions.get(&first.id).is_none(), "the oldest session ends");
        assert!(sessions.get(&last.unwrap().id).is_some());
        assert_eq!(sessions.read().len(), MAX_SESSIONS_PER_ACCOUNT);
    }

    #[test]
    fn csrf_tokens_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        let session = sessions.create(&member("d")).unwrap();
        let other = sessions.create(&member("d")).unwrap();
        assert!(verify_csrf(&session, &session.csrf));
        assert!(!verify_csrf(&session, &other.csrf));
        assert!(!verify_csrf(&session, ""));
        assert!(!verify_csrf(&session, &session.csrf[..63]));
        let empty = Session {
            csrf: String::new(),
            ..session
        };
        assert!(!verify_csrf(&empty, ""));
    }

    #[test]
    fn corrupt_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[").unwrap();
        let err = Sessions::open(dir.path()).unwrap_err();
        assert!(matches!(err, AuthError::Corrupt { .. }));
        assert!(err.to_string().contains("重新登录"), "{err}");
    }
}
