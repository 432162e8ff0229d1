//! Browser sessions, kept in `<data_dir>/sessions.json`.
//!
//! A session lasts a fixed time from sign-in (12 hours unless configured);
//! it is not extended by use. The file stores only a BLAKE3 hash of each
//! session id, so a copy of it does not let anyone in.
//!
//! A session is bound to an [`AccountKey`] (the account's id and a stamp
//! of its password, role and studio), never to a name alone: the web layer
//! resolves it with `Accounts::viewer_for` on every request, so a password,
//! role or studio change, or removing the account, ends its sessions at
//! once, even in a server that was running when the CLI made the change.
//!
//! The file is shared like the accounts file: `zhihui user` ends sessions
//! in it while the server runs. Every change takes the lock
//! `<data_dir>/.sessions.lock`, re-reads the file, applies the change and
//! writes it back atomically, so neither process writes back sessions the
//! other ended; lookups re-read the file when it was replaced.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{
    AccountKey, AuthError, SignIn, Stamp, lock_folder, random_hex, restrict_permissions, secret_hash, stamp_of,
    unix_now,
};

/// The sessions file inside the data folder.
pub const FILE_NAME: &str = "sessions.json";
const LOCK_NAME: &str = ".sessions.lock";
/// How long a session lasts unless [`Sessions::open_with_ttl`] says otherwise.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Version 2 binds sessions to account ids; version 1 files (sessions bound
/// to names) are read as empty: everyone signs in once more.
const FORMAT_VERSION: u32 = 2;
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
    /// The name signed in with, for display; rights come from `account`.
    pub name: String,
    /// The account; resolve it with `Accounts::viewer_for` on each request.
    pub account: AccountKey,
    pub expires: SystemTime,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &"…")
            .field("csrf", &"…")
            .field("name", &self.name)
            .field("account", &self.account.id)
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
    account: AccountKey,
    /// Seconds since the Unix epoch.
    created: u64,
    expires: u64,
}

type Map = HashMap<String, StoredSession>;

#[derive(Default)]
struct State {
    map: Map,
    /// The file the map was read from or written to; `None`: there was none.
    stamp: Option<Stamp>,
}

/// The sessions of one data folder. Share behind an `Arc`; all methods
/// take `&self`.
pub struct Sessions {
    dir: PathBuf,
    path: PathBuf,
    ttl: Duration,
    state: RwLock<State>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("path", &self.path)
            .field("ttl", &self.ttl)
            .field("sessions", &self.read().map.len())
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
        let (state, dropped) = load(&path, unix_now())?;
        let sessions = Sessions {
            dir: data_dir.to_path_buf(),
            path,
            ttl,
            state: RwLock::new(state),
        };
        if dropped > 0 {
            sessions.change(unix_now(), |_| ())?;
        }
        Ok(sessions)
    }

    /// How long new sessions last.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Starts a session for a signed-in account.
    pub fn create(&self, signed_in: &SignIn) -> Result<Session, AuthError> {
        self.create_at(signed_in, unix_now())
    }

    /// The live session with this id; `None` for an unknown or expired
    /// one. Cheap (a look at the file's metadata, and a re-read only when
    /// another process replaced it) and never writes: expired sessions
    /// leave the file with the next change.
    pub fn get(&self, id: &str) -> Option<Session> {
        self.get_at(id, unix_now())
    }

    /// Ends a session (signing out). Returns whether there was one.
    pub fn remove(&self, id: &str) -> Result<bool, AuthError> {
        let hash = secret_hash(id);
        self.refresh(unix_now());
        if !self.read().map.contains_key(&hash) {
            return Ok(false);
        }
        self.change(unix_now(), |map| map.remove(&hash).is_some())
    }

    /// Ends every session of the account with this id (when it is removed,
    /// or its password, role or studio changed: those sessions already
    /// stopped working, this deletes them). Returns how many there were.
    pub fn remove_account(&self, account_id: &str) -> Result<usize, AuthError> {
        self.refresh(unix_now());
        if !self.read().map.values().any(|s| s.account.id == account_id) {
            return Ok(0);
        }
        self.change(unix_now(), |map| {
            let before = map.len();
            map.retain(|_, s| s.account.id != account_id);
            before - map.len()
        })
    }

    fn create_at(&self, signed_in: &SignIn, now: u64) -> Result<Session, AuthError> {
        let name = signed_in.viewer.name.clone().ok_or(AuthError::AnonymousSession)?;
        if signed_in.key.id.is_empty() {
            return Err(AuthError::AnonymousSession);
        }
        let id = random_hex(SECRET_BYTES)?;
        let csrf = random_hex(SECRET_BYTES)?;
        let ttl = self.ttl.as_secs() + u64::from(self.ttl.subsec_nanos() > 0);
        let expires = now.saturating_add(ttl.max(1));
        let account = signed_in.key.clone();
        let stored = StoredSession {
            id_hash: secret_hash(&id),
            csrf: csrf.clone(),
            name: name.clone(),
            account: account.clone(),
            created: now,
            expires,
        };
        self.change(now, |map| {
            let mut own: Vec<(u64, String)> = map
                .iter()
                .filter(|(_, s)| s.account.id == account.id)
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
            account,
            expires: UNIX_EPOCH + Duration::from_secs(expires),
        })
    }

    fn get_at(&self, id: &str, now: u64) -> Option<Session> {
        if id.is_empty() {
            return None;
        }
        self.refresh(now);
        let hash = secret_hash(id);
        let state = self.read();
        let stored = state.map.get(&hash)?;
        (now < stored.expires).then(|| Session {
            id: id.to_string(),
            csrf: stored.csrf.clone(),
            name: stored.name.clone(),
            account: stored.account.clone(),
            expires: UNIX_EPOCH + Duration::from_secs(stored.expires),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // State is only replaced whole, so a panic elsewhere never leaves
        // it half-changed.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the file if another process replaced it. A file that has
    /// become unreadable is reported and the sessions last read stay (they
    /// are still checked against the accounts on every request).
    fn refresh(&self, now: u64) {
        super::refresh(
            &self.path,
            &self.state,
            |s| s.stamp,
            || load(&self.path, now).map(|(fresh, _)| fresh),
            "会话",
        );
    }

    /// Applies `change` to the sessions as they are on disk, under the
    /// cross-process lock, drops expired ones and writes the file
    /// atomically; only then does the result become current.
    fn change<T>(&self, now: u64, change: impl FnOnce(&mut Map) -> T) -> Result<T, AuthError> {
        let mut state = self.write();
        let _lock = lock_folder(&self.dir, LOCK_NAME)?;
        let (mut fresh, _) = load(&self.path, now)?;
        let out = change(&mut fresh.map);
        fresh.map.retain(|_, s| now < s.expires);
        let mut sessions: Vec<StoredSession> = fresh.map.values().cloned().collect();
        sessions.sort_by(|a, b| (a.created, &a.id_hash).cmp(&(b.created, &b.id_hash)));
        let file = SessionsFile {
            version: FORMAT_VERSION,
            sessions,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| AuthError::io(&self.path, e.into()))?;
        bytes.push(b'\n');
        crate::atomic::write(&self.path, &bytes).map_err(|e| AuthError::io(&self.path, e))?;
        restrict_permissions(&self.path).map_err(|e| AuthError::io(&self.path, e))?;
        fresh.stamp = stamp_of(&self.path).unwrap_or(None);
        *state = fresh;
        Ok(out)
    }
}

/// The live sessions in the file, and how many were dropped (expired, or
/// from a file of the older format).
fn load(path: &Path, now: u64) -> Result<(State, usize), AuthError> {
    // Stamp first: if the file changes in between, the next lookup reads it
    // again rather than missing the change.
    let stamp = stamp_of(path).map_err(|e| AuthError::io(path, e))?;
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((State::default(), 0)),
        Err(e) => return Err(AuthError::io(path, e)),
    };
    let corrupt = |detail: String| AuthError::corrupt(path, detail, CORRUPT_HINT);
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let version: Version = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if version.version == 1 {
        // Sessions bound to names only: not to be trusted any more.
        return Ok((State { map: Map::new(), stamp }, 1));
    }
    if version.version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "格式版本 {} 不受支持（应为 {FORMAT_VERSION}）",
            version.version
        )));
    }
    let file: SessionsFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let total = file.sessions.len();
    let map: Map = file
        .sessions
        .into_iter()
        .filter(|s| now < s.expires)
        .map(|s| (s.id_hash.clone(), s))
        .collect();
    let dropped = total - map.len();
    Ok((State { map, stamp }, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::auth::{Role, Viewer};

    /// A signed-in member whose account id is derived from the name.
    fn member(name: &str) -> SignIn {
        SignIn {
            viewer: Viewer {
                name: Some(name.into()),
                role: Role::Member,
            },
            key: AccountKey {
                id: format!("id-of-{name}"),
                stamp: "s1".into(),
            },
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
        let anonymous = SignIn {
            viewer: Viewer::anonymous(),
            key: member("x").key,
        };
        assert!(matches!(sessions.create(&anonymous), Err(AuthError::AnonymousSession)));
        let no_account = SignIn {
            key: AccountKey {
                id: String::new(),
                stamp: String::new(),
            },
            ..member("x")
        };
        assert!(matches!(sessions.create(&no_account), Err(AuthError::AnonymousSession)));
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
        // Lookups never write; the next change drops it from the file.
        let other = sessions.create_at(&member("li"), now + 61).unwrap();
        assert!(sessions.get_at(&session.id, now).is_none());
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains(&secret_hash(&session.id)));
        assert!(text.contains(&secret_hash(&other.id)));
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
        assert_eq!(sessions.remove_account("id-of-a").unwrap(), 2);
        assert_eq!(sessions.remove_account("id-of-a").unwrap(), 0);
        // By id, not by name.
        assert_eq!(sessions.remove_account("b").unwrap(), 0);
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
        assert_eq!(sessions.read().map.len(), MAX_SESSIONS_PER_ACCOUNT);
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
    fn changes_by_another_process_are_seen_and_not_undone() {
        let dir = tempfile::tempdir().unwrap();
        let server = Sessions::open(dir.path()).unwrap();
        let a = server.create(&member("a")).unwrap();
        let b = server.create(&member("b")).unwrap();
        // `zhihui user passwd a` in another process.
        let cli = Sessions::open(dir.path()).unwrap();
        assert_eq!(cli.remove_account("id-of-a").unwrap(), 1);
        assert!(server.get(&a.id).is_none(), "the server sees the CLI's change");
        // The server's next change does not write the ended session back.
        let c = server.create(&member("c")).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains(&secret_hash(&a.id)));
        assert!(text.contains(&secret_hash(&b.id)) && text.contains(&secret_hash(&c.id)));
        // And the CLI sees the server's sessions.
        assert!(cli.get(&c.id).is_some());
        assert_eq!(cli.get(&b.id).unwrap().account.id, "id-of-b");
    }

    #[test]
    fn files_of_the_name_bound_format_end_all_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let old = format!(
            r#"{{"version":1,"sessions":[{{"id_hash":"{}","csrf":"c","name":"a","created":1,"expires":{}}}]}}"#,
            secret_hash("old"),
            unix_now() + 3600
        );
        std::fs::write(&path, old).unwrap();
        let sessions = Sessions::open(dir.path()).unwrap();
        assert!(sessions.get("old").is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"version\": 2") && !text.contains(&secret_hash("old")),
            "{text}"
        );
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
