//! Accounts: names, roles, password hashes and API tokens, kept in
//! `<data_dir>/accounts.json`.
//!
//! The file is the truth. Every change takes an exclusive lock on
//! `<data_dir>/.accounts.lock`, re-reads the file, applies the change and
//! writes it back with [`crate::atomic::write`], so a `zhihui user add` run
//! while the server is up neither loses nor is lost by the server's own
//! changes. Lookups notice when the file was replaced (size, time, inode)
//! and re-read it, so the running server sees new accounts and tokens, and
//! stops honouring removed ones, without a restart.
//!
//! Passwords are stored as argon2id PHC strings; API tokens only as their
//! BLAKE3 hash plus a short prefix to tell them apart.
//!
//! Each account has a random id, made when it is created and never reused,
//! and what a session is bound to is that id plus a stamp of the account's
//! password hash, role and studio ([`AccountKey`]). So a session ends when
//! the password, role or studio changes, or when the account is removed,
//! even if an account of the same name is created again, whichever
//! process made the change, and even if it was made by editing the file.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};

use super::{
    AuthError, Role, Stamp, Viewer, lock_folder, random_hex, restrict_permissions, secret_hash, stamp_of, unix_now,
};

/// The accounts file inside the data folder.
pub const FILE_NAME: &str = "accounts.json";
const LOCK_NAME: &str = ".accounts.lock";
const FORMAT_VERSION: u32 = 1;
const CORRUPT_HINT: &str = "请从备份恢复或手工修正该文件；在此之前程序不会改写它";

const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_NAME_CHARS: usize = 64;
const MAX_STUDIO_CHARS: usize = 128;
const MAX_LABEL_CHARS: usize = 64;

/// Random bytes of an account id (hex in the file).
const ACCOUNT_ID_BYTES: usize = 16;

const TOKEN_PREFIX: &str = "zh_";
const TOKEN_BYTES: usize = 32;
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 2 * TOKEN_BYTES;
/// How much of a token is kept in clear to tell tokens apart: `zh_` and 8
/// hex digits (the remaining 224 bits stay secret).
const TOKEN_SHOWN_LEN: usize = TOKEN_PREFIX.len() + 8;

/// An argon2id hash (default parameters) of a random password nobody knows.
/// Unknown names are checked against it, so a sign-in for a name that does
/// not exist costs as much time as one with a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$HJQvz9jpHDLBEeWqeTAFTw$6vHfr9YOeHU3mGGcSyWjwtdVKzW8pnqU+fF1vfWg93g";

/// The role of an account being created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewRole {
    Member,
    Publisher { studio: String },
    Staff,
}

impl NewRole {
    /// Reads a role as given on the command line: `member`, `publisher`
    /// (which needs `studio`) or `staff` (and `member`, which take none).
    pub fn parse(role: &str, studio: Option<&str>) -> Result<NewRole, AuthError> {
        let studio = studio.map(str::trim).filter(|s| !s.is_empty());
        let role = role.trim().to_ascii_lowercase();
        match (role.as_str(), studio) {
            ("member", None) => Ok(NewRole::Member),
            ("staff", None) => Ok(NewRole::Staff),
            ("publisher", Some(studio)) => {
                check_studio(studio)?;
                Ok(NewRole::Publisher {
                    studio: studio.to_string(),
                })
            }
            ("publisher", None) => Err(AuthError::StudioRequired),
            ("member" | "staff", Some(_)) => Err(AuthError::StudioNotAllowed(role)),
            _ => Err(AuthError::UnknownRole(role)),
        }
    }

    fn stored(&self) -> (StoredRole, Option<String>) {
        match self {
            NewRole::Member => (StoredRole::Member, None),
            NewRole::Publisher { studio } => (StoredRole::Publisher, Some(studio.clone())),
            NewRole::Staff => (StoredRole::Staff, None),
        }
    }
}

/// What a session is bound to: one account, as it was when it signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountKey {
    /// The account's id: random, made with the account. An account removed
    /// and created again under the same name has another id.
    pub id: String,
    /// A hash of the account's password hash, role and studio at sign-in:
    /// any change to them (a new password always has a new salt) changes it.
    pub stamp: String,
}

/// A successful sign-in: who, and the key to bind their session to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub viewer: Viewer,
    pub key: AccountKey,
}

/// What [`Accounts::set_role`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    /// The account's id, to end its sessions with.
    pub id: String,
    /// Whether role or studio actually changed (nothing is done otherwise).
    pub changed: bool,
    /// How many API tokens were revoked with the change.
    pub revoked_tokens: usize,
}

/// What may be shown about an account: never a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    pub name: String,
    /// `member`, `publisher` or `staff`.
    pub role: String,
    /// The studio of a publisher.
    pub studio: Option<String>,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// How many API tokens the account has.
    pub tokens: usize,
}

/// What may be shown about an API token: its label and the first
/// characters, never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenSummary {
    pub label: String,
    /// `zh_` and the token's first 8 hex digits.
    pub prefix: String,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// A calendar feed token: read-only, for `/patents.ics?token=` alone.
    pub feed: bool,
}

#[derive(Serialize, Deserialize)]
struct AccountsFile {
    version: u32,
    accounts: Vec<StoredAccount>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredAccount {
    /// Hex; files written before ids existed get one derived from the
    /// account (see [`legacy_id`]), written out at the next change.
    #[serde(default)]
    id: String,
    name: String,
    role: StoredRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    studio: Option<String>,
    /// argon2id PHC string.
    password_hash: String,
    created: u64,
    #[serde(default)]
    tokens: Vec<StoredToken>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredRole {
    Member,
    Publisher,
    Staff,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredToken {
    label: String,
    prefix: String,
    /// Hex BLAKE3 hash of the whole token.
    hash: String,
    created: u64,
    /// Only opens the calendar feed: such a token sits in a calendar app's
    /// subscription URL (and so in logs along the way), so it must not
    /// also be a key to write with.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    feed: bool,
}

impl StoredAccount {
    fn viewer(&self) -> Viewer {
        let role = match (self.role, &self.studio) {
            (StoredRole::Member, _) => Role::Member,
            (StoredRole::Staff, _) => Role::Staff,
            (StoredRole::Publisher, Some(studio)) => Role::Publisher { studio: studio.clone() },
            // Ruled out when the file is read.
            (StoredRole::Publisher, None) => Role::Member,
        };
        Viewer {
            name: Some(self.name.clone()),
            role,
        }
    }

    fn key(&self) -> AccountKey {
        let role = self.role_name();
        let studio = self.studio.as_deref().unwrap_or("");
        let mut hasher = blake3::Hasher::new();
        for part in [self.id.as_str(), self.password_hash.as_str(), role, studio] {
            // Length-prefixed, so that no two different tuples hash alike.
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        AccountKey {
            id: self.id.clone(),
            stamp: hasher.finalize().to_hex()[..32].to_string(),
        }
    }

    fn role_name(&self) -> &'static str {
        match self.role {
            StoredRole::Member => "member",
            StoredRole::Publisher => "publisher",
            StoredRole::Staff => "staff",
        }
    }

    fn summary(&self) -> AccountSummary {
        AccountSummary {
            name: self.name.clone(),
            role: self.viewer().role.as_str().to_string(),
            studio: self.studio.clone(),
            created: self.created,
            tokens: self.tokens.len(),
        }
    }
}

impl StoredToken {
    fn summary(&self) -> TokenSummary {
        TokenSummary {
            label: self.label.clone(),
            prefix: self.prefix.clone(),
            created: self.created,
            feed: self.feed,
        }
    }
}

#[derive(Clone, Default)]
struct State {
    accounts: BTreeMap<String, StoredAccount>,
    /// The file these accounts were read from; `None`: there was none.
    stamp: Option<Stamp>,
}

/// The accounts of one data folder. Cheap to share behind an `Arc`; all
/// methods take `&self`.
pub struct Accounts {
    dir: PathBuf,
    path: PathBuf,
    state: RwLock<State>,
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accounts")
            .field("path", &self.path)
            .field("accounts", &self.read().accounts.len())
            .finish()
    }
}

impl Accounts {
    /// Reads `<data_dir>/accounts.json`. A missing file means no accounts
    /// yet (it is created by the first change); a file that cannot be read
    /// or understood is an error, never treated as empty.
    pub fn open(data_dir: &Path) -> Result<Accounts, AuthError> {
        let path = data_dir.join(FILE_NAME);
        let state = load(&path)?;
        Ok(Accounts {
            dir: data_dir.to_path_buf(),
            path,
            state: RwLock::new(state),
        })
    }

    /// The accounts file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates an account. The name must be new (names differing only in
    /// letter case count as the same), the password at least 8 characters.
    pub fn add(&self, name: &str, role: NewRole, password: &str) -> Result<(), AuthError> {
        check_name(name)?;
        if let NewRole::Publisher { studio } = &role {
            check_studio(studio)?;
        }
        check_new_password(password)?;
        self.refresh();
        // Fail fast, before the (deliberately slow) hashing.
        if let Some(existing) = clash(&self.read().accounts, name) {
            return Err(AuthError::AccountExists(existing));
        }
        let password_hash = hash_password(password)?;
        let (stored_role, studio) = role.stored();
        let id = random_hex(ACCOUNT_ID_BYTES)?;
        self.change(|accounts| {
            if let Some(existing) = clash(accounts, name) {
                return Err(AuthError::AccountExists(existing));
            }
            accounts.insert(
                name.to_string(),
                StoredAccount {
                    id,
                    name: name.to_string(),
                    role: stored_role,
                    studio,
                    password_hash,
                    created: unix_now(),
                    tokens: Vec::new(),
                },
            );
            Ok(())
        })
    }

    /// Deletes an account and with it all its API tokens, and returns its
    /// id. Its browser sessions stop working at once (their key names an
    /// account that is gone); `Sessions::remove_account` with the id also
    /// deletes them from the sessions file.
    pub fn remove(&self, name: &str) -> Result<String, AuthError> {
        self.change(|accounts| {
            accounts
                .remove(name)
                .map(|a| a.id)
                .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))
        })
    }

    /// Replaces an account's password and returns the account's id. Its
    /// sessions stop working at once (the key's stamp changes); API tokens
    /// stay valid: they are separate credentials, revoked one by one.
    pub fn set_password(&self, name: &str, password: &str) -> Result<String, AuthError> {
        check_new_password(password)?;
        self.refresh();
        if !self.read().accounts.contains_key(name) {
            return Err(AuthError::NoSuchAccount(name.to_string()));
        }
        let password_hash = hash_password(password)?;
        self.change(|accounts| {
            let account = accounts
                .get_mut(name)
                .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
            account.password_hash = password_hash;
            Ok(account.id.clone())
        })
    }

    /// Gives an account another role (or a publisher another studio). Its
    /// sessions stop working at once, and its API tokens are revoked: a
    /// token was handed out for the rights the account had then, and must
    /// not silently carry different ones. Setting the role it already has
    /// changes nothing.
    pub fn set_role(&self, name: &str, role: NewRole) -> Result<RoleChange, AuthError> {
        if let NewRole::Publisher { studio } = &role {
            check_studio(studio)?;
        }
        let (stored_role, studio) = role.stored();
        self.change(|accounts| {
            let account = accounts
                .get_mut(name)
                .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
            if account.role == stored_role && account.studio == studio {
                return Ok(RoleChange {
                    id: account.id.clone(),
                    changed: false,
                    revoked_tokens: 0,
                });
            }
            account.role = stored_role;
            account.studio = studio;
            let revoked_tokens = std::mem::take(&mut account.tokens).len();
            Ok(RoleChange {
                id: account.id.clone(),
                changed: true,
                revoked_tokens,
            })
        })
    }

    /// All accounts, by name.
    pub fn list(&self) -> Vec<AccountSummary> {
        self.refresh();
        self.read().accounts.values().map(StoredAccount::summary).collect()
    }

    /// The viewer an existing account signs in as, with its current role;
    /// `None` once the account is gone. Sessions are resolved with
    /// [`Accounts::viewer_for`] instead: a name may since belong to
    /// another account.
    pub fn viewer(&self, name: &str) -> Option<Viewer> {
        self.refresh();
        self.read().accounts.get(name).map(StoredAccount::viewer)
    }

    /// The viewer a session bound to `key` acts as now: `None` once the
    /// account is gone, re-created, or its password, role or studio
    /// changed. Call it on every request: it notices changes to the file.
    pub fn viewer_for(&self, key: &AccountKey) -> Option<Viewer> {
        if key.id.is_empty() {
            return None;
        }
        self.refresh();
        let state = self.read();
        let account = state.accounts.values().find(|a| a.id == key.id)?;
        // Both are hex digests of fixed length; compared through BLAKE3's
        // constant-time equality all the same.
        let current = account.key();
        (blake3::hash(current.stamp.as_bytes()) == blake3::hash(key.stamp.as_bytes())).then(|| account.viewer())
    }

    /// Checks a password; on success, who signed in and the key to bind a
    /// session to. An unknown name and a wrong password give the same
    /// error, [`AuthError::InvalidCredentials`], after about the same time
    /// (an unknown name is checked against a dummy hash). Slow on purpose
    /// (argon2): servers run it off their async workers.
    pub fn check_password(&self, name: &str, password: &str) -> Result<SignIn, AuthError> {
        self.refresh();
        let found = self.read().accounts.get(name).map(|a| {
            (
                a.password_hash.clone(),
                SignIn {
                    viewer: a.viewer(),
                    key: a.key(),
                },
            )
        });
        // Too long to be a password we accepted: still spend the time.
        let too_long = password.chars().count() > MAX_PASSWORD_CHARS;
        let candidate = if too_long { "" } else { password };
        let (hash, viewer) = match found {
            Some((hash, viewer)) => (hash, Some(viewer)),
            None => (DUMMY_HASH.to_string(), None),
        };
        let matches = verify_hash(candidate, &hash);
        match viewer {
            Some(signed_in) if matches && !too_long => Ok(signed_in),
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// [`Accounts::check_password`], for callers that need only the viewer.
    pub fn verify_password(&self, name: &str, password: &str) -> Result<Viewer, AuthError> {
        self.check_password(name, password).map(|s| s.viewer)
    }

    /// Creates an API token for an account and returns it; this is the only
    /// time it can be seen, only its hash is kept. An empty `label` gets
    /// `token-1`, `token-2`, …; a label must be unique within the account.
    pub fn new_token(&self, name: &str, label: &str) -> Result<String, AuthError> {
        self.make_token(name, label, false)
    }

    /// Creates a calendar feed token (see [`Accounts::verify_feed_token`]):
    /// labelled like any token, listed and revoked like any token.
    pub fn new_feed_token(&self, name: &str, label: &str) -> Result<String, AuthError> {
        self.make_token(name, label, true)
    }

    fn make_token(&self, name: &str, label: &str, feed: bool) -> Result<String, AuthError> {
        let label = label.trim();
        if !label.is_empty() {
            check_label(label)?;
        }
        let token = format!("{TOKEN_PREFIX}{}", random_hex(TOKEN_BYTES)?);
        let mut stored = StoredToken {
            label: label.to_string(),
            prefix: token[..TOKEN_SHOWN_LEN].to_string(),
            hash: secret_hash(&token),
            created: unix_now(),
            feed,
        };
        self.change(|accounts| {
            let account = accounts
                .get_mut(name)
                .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
            let taken = |l: &str| account.tokens.iter().any(|t| t.label == l);
            if stored.label.is_empty() {
                stored.label = (1..)
                    .map(|n| format!("token-{n}"))
                    .find(|l| !taken(l))
                    .unwrap_or_default();
            } else if taken(&stored.label) {
                return Err(AuthError::TokenLabelExists {
                    name: name.to_string(),
                    label: stored.label.clone(),
                });
            }
            account.tokens.push(stored);
            Ok(())
        })?;
        Ok(token)
    }

    /// An account's API tokens, oldest first.
    pub fn list_tokens(&self, name: &str) -> Result<Vec<TokenSummary>, AuthError> {
        self.refresh();
        let state = self.read();
        let account = state
            .accounts
            .get(name)
            .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
        Ok(account.tokens.iter().map(StoredToken::summary).collect())
    }

    /// Revokes one of an account's tokens, named by its label, its shown
    /// prefix (`zh_` + 8 hex digits) or the whole token. Returns what it
    /// revoked.
    pub fn revoke_token(&self, name: &str, label_or_prefix: &str) -> Result<TokenSummary, AuthError> {
        let key = label_or_prefix.trim();
        let whole = looks_like_token(key).then(|| secret_hash(key));
        self.change(|accounts| {
            let account = accounts
                .get_mut(name)
                .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
            let found: Vec<usize> = account
                .tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| t.label == key || t.prefix == key || whole.as_deref() == Some(t.hash.as_str()))
                .map(|(i, _)| i)
                .collect();
            match found[..] {
                [i] => Ok(account.tokens.remove(i).summary()),
                [] => Err(AuthError::NoSuchToken {
                    name: name.to_string(),
                    token: shown(key),
                }),
                _ => Err(AuthError::AmbiguousToken {
                    name: name.to_string(),
                    token: shown(key),
                }),
            }
        })
    }

    /// The account an API token belongs to, as a viewer; `None` for an
    /// unknown, revoked or malformed token, and for a feed token.
    pub fn verify_token(&self, token: &str) -> Option<Viewer> {
        self.find_token(token, false)
    }

    /// The account a calendar feed token belongs to; `None` for any other
    /// token, so that an API token never works in a URL.
    pub fn verify_feed_token(&self, token: &str) -> Option<Viewer> {
        self.find_token(token, true)
    }

    fn find_token(&self, token: &str, feed: bool) -> Option<Viewer> {
        if !looks_like_token(token) {
            return None;
        }
        let hash = blake3::hash(token.as_bytes());
        self.refresh();
        let state = self.read();
        state
            .accounts
            .values()
            .find(|a| {
                // `blake3::Hash` compares in constant time.
                a.tokens
                    .iter()
                    .any(|t| t.feed == feed && blake3::Hash::from_hex(&t.hash).is_ok_and(|h| h == hash))
            })
            .map(StoredAccount::viewer)
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // State is only replaced whole after a successful write, so a panic
        // elsewhere never leaves it half-changed.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the file if another process (or an editor) replaced it. A
    /// file that has become unreadable is reported and the accounts last
    /// read stay in force.
    fn refresh(&self) {
        super::refresh(&self.path, &self.state, |s| s.stamp, || load(&self.path), "账号");
    }

    /// Applies `change` to the accounts as they are on disk, under the
    /// cross-process lock, and writes the result atomically. Nothing is
    /// written when `change` fails.
    fn change<T>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, StoredAccount>) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let mut state = self.write();
        let _lock = lock_folder(&self.dir, LOCK_NAME)?;
        let mut fresh = load(&self.path)?;
        let result = change(&mut fresh.accounts);
        if result.is_ok() {
            let file = AccountsFile {
                version: FORMAT_VERSION,
                accounts: fresh.accounts.values().cloned().collect(),
            };
            let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| AuthError::io(&self.path, e.into()))?;
            bytes.push(b'\n');
            crate::atomic::write(&self.path, &bytes).map_err(|e| AuthError::io(&self.path, e))?;
            restrict_permissions(&self.path).map_err(|e| AuthError::io(&self.path, e))?;
            fresh.stamp = stamp_of(&self.path).unwrap_or(None);
        }
        // Either way what was just read is the latest truth.
        *state = fresh;
        result
    }
}

fn load(path: &Path) -> Result<State, AuthError> {
    // Stamp first: if the file changes in between, the next lookup reads it
    // again rather than missing the change.
    let stamp = stamp_of(path).map_err(|e| AuthError::io(path, e))?;
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(AuthError::io(path, e)),
    };
    let corrupt = |detail: String| AuthError::corrupt(path, detail, CORRUPT_HINT);
    let file: AccountsFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "格式版本 {} 不受支持（应为 {FORMAT_VERSION}），可能由更新版本的程序写入",
            file.version
        )));
    }
    let mut accounts = BTreeMap::new();
    for account in file.accounts {
        let name = account.name.clone();
        let problem = |detail: String| corrupt(format!("账号“{name}”：{detail}"));
        check_name(&name).map_err(|e| problem(e.to_string()))?;
        match (account.role, &account.studio) {
            (StoredRole::Publisher, None) => return Err(problem("发布者账号缺少 studio".into())),
            (StoredRole::Publisher, Some(studio)) => check_studio(studio).map_err(|e| problem(e.to_string()))?,
            (_, Some(_)) => return Err(problem("只有发布者账号可以有 studio".into())),
            (_, None) => {}
        }
        PasswordHash::new(&account.password_hash)
            .map_err(|e| problem(format!("password_hash 不是有效的 PHC 字符串（{e}）")))?;
        for token in &account.tokens {
            if blake3::Hash::from_hex(&token.hash).is_err() {
                return Err(problem(format!("令牌“{}”的 hash 不是 64 位十六进制", token.label)));
            }
        }
        if let Some(existing) = clash(&accounts, &name) {
            return Err(problem(format!("与账号“{existing}”重名")));
        }
        let mut account = account;
        if account.id.is_empty() {
            account.id = legacy_id(&account);
        } else if account.id.len() < 16 || !account.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(problem("id 应为至少 16 位十六进制".into()));
        }
        if let Some(other) = accounts.values().find(|a: &&StoredAccount| a.id == account.id) {
            return Err(problem(format!("id 与账号“{}”相同", other.name)));
        }
        accounts.insert(name, account);
    }
    Ok(State { accounts, stamp })
}

/// The id of an account from a file written before accounts had ids:
/// derived from what was fixed when it was created (name, time, first
/// password hash with its random salt), so every process derives the same
/// one, and one re-created under the same name gets another. It is written
/// to the file at the next change, so a later password change keeps it.
fn legacy_id(account: &StoredAccount) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [
        account.name.as_bytes(),
        &account.created.to_le_bytes(),
        account.password_hash.as_bytes(),
    ] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().to_hex()[..2 * ACCOUNT_ID_BYTES].to_string()
}

/// The existing account whose name equals `name` ignoring letter case.
fn clash(accounts: &BTreeMap<String, StoredAccount>, name: &str) -> Option<String> {
    accounts
        .keys()
        .find(|k| k.to_lowercase() == name.to_lowercase())
        .cloned()
}

fn hash_password(password: &str) -> Result<String, AuthError> {
    let mut salt = [0u8; argon2::RECOMMENDED_SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Random(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Constant-time check (inside the library) of a password against a PHC
/// string, with the parameters recorded in that string.
fn verify_hash(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_LEN
        && s.starts_with(TOKEN_PREFIX)
        && s[TOKEN_PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// What of a token-like string may appear in a message: never a whole token.
fn shown(key: &str) -> String {
    match key.get(..TOKEN_SHOWN_LEN) {
        Some(start) if key.starts_with(TOKEN_PREFIX) && key.len() > TOKEN_SHOWN_LEN => format!("{start}…"),
        _ => key.to_string(),
    }
}

fn check_new_password(password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(AuthError::PasswordTooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(AuthError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// Han ideographs: the unified blocks, extension A and the supplementary
/// planes' extensions B–H, and the compatibility ideographs.
fn is_han(c: char) -> bool {
    matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x323AF)
}

/// 1–64 characters: ASCII letters and digits, `-_.@`, Han characters and
/// the middle dot `·` of transliterated names (买买提·艾力).
fn check_name(name: &str) -> Result<(), AuthError> {
    let invalid = |reason: String| AuthError::InvalidName {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("不能为空".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!("最多 {MAX_NAME_CHARS} 个字符")));
    }
    for c in name.chars() {
        let allowed = c.is_ascii_alphanumeric() || "-_.@·".contains(c) || is_han(c);
        if c.is_whitespace() {
            return Err(invalid("不能含空格".into()));
        }
        if !allowed {
            return Err(invalid(format!(
                "不能含字符“{}”：只能使用英文字母、数字、汉字和 - _ . @ ·",
                c.escape_default()
            )));
        }
    }
    Ok(())
}

/// A studio id names `content/studios/<id>.md`; whether that file exists is
/// the caller's to check.
fn check_studio(studio: &str) -> Result<(), AuthError> {
    let invalid = |reason: &str| AuthError::InvalidStudio {
        id: studio.to_string(),
        reason: reason.to_string(),
    };
    if studio.is_empty() {
        Err(invalid("不能为空"))
    } else if studio.chars().count() > MAX_STUDIO_CHARS {
        Err(invalid("太长"))
    } else if studio.starts_with('.') || studio.contains(['/', '\\']) {
        Err(invalid("不能以 . 开头，也不能含 / 或 \\"))
    } else if studio.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(invalid("不能含空格或控制字符"))
    } else {
        Ok(())
    }
}

fn check_label(label: &str) -> Result<(), AuthError> {
    let invalid = |reason: &str| AuthError::InvalidTokenLabel {
        label: label.to_string(),
        reason: reason.to_string(),
    };
    if label.chars().count() > MAX_LABEL_CHARS {
        Err(invalid("最多 64 个字符"))
    } else if label.chars().any(char::is_control) {
        Err(invalid("不能含控制字符"))
    } else if label.starts_with(TOKEN_PREFIX) {
        Err(invalid("不能以 zh_ 开头（那是令牌前缀的写法）"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "正确的马电池订书钉";

    fn open() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        (dir, accounts)
    }

    fn file_text(accounts: &Accounts) -> String {
        std::fs::read_to_string(accounts.path()).unwrap()
    }

    #[test]
    fn missing_file_means_no_accounts_and_is_created_by_the_first_change() {
        let (dir, accounts) = open();
        assert!(accounts.list().is_empty());
        assert!(!dir.path().join(FILE_NAME).exists());
        accounts.add("zhang", NewRole::Member, PASSWORD).unwrap();
        assert!(dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn add_list_set_password_remove() {
        let (dir, accounts) = open();
        accounts
            .add(
                "张伟",
                NewRole::parse("publisher", Some("tunnel-zhang")).unwrap(),
                PASSWORD,
            )
            .unwrap();
        accounts
            .add("li.qiang@example.cn", NewRole::Staff, "another password")
            .unwrap();
        let list = accounts.list();
        assert_eq!(list.len(), 2);
        let zhang = list.iter().find(|a| a.name == "张伟").unwrap();
        assert_eq!(zhang.role, "publisher");
        assert_eq!(zhang.studio.as_deref(), Some("tunnel-zhang"));
        assert_eq!(zhang.tokens, 0);
        assert!(zhang.created > 1_600_000_000);
        let li = list.iter().find(|a| a.name == "li.qiang@example.cn").unwrap();
        assert_eq!((li.role.as_str(), li.studio.as_deref()), ("staff", None));

        let viewer = accounts.verify_password("张伟", PASSWORD).unwrap();
        assert_eq!(viewer.name.as_deref(), Some("张伟"));
        assert_eq!(
            viewer.role,
            Role::Publisher {
                studio: "tunnel-zhang".into()
            }
        );

        accounts.set_password("张伟", "a new password").unwrap();
        assert!(matches!(
            accounts.verify_password("张伟", PASSWORD),
            Err(AuthError::InvalidCredentials)
        ));
        assert_eq!(
            accounts
                .verify_password("张伟", "a new password")
                .unwrap()
                .name
                .as_deref(),
            Some("张伟")
        );

        accounts.remove("张伟").unwrap();
        assert_eq!(accounts.list().len(), 1);
        assert!(accounts.viewer("张伟").is_none());
        assert!(matches!(accounts.remove("张伟"), Err(AuthError::NoSuchAccount(n)) if n == "张伟"));
        assert!(matches!(
            accounts.set_password("张伟", "long enough"),
            Err(AuthError::NoSuchAccount(_))
        ));

        // What was written is what a new process reads.
        let reopened = Accounts::open(dir.path()).unwrap();
        assert_eq!(reopened.list(), accounts.list());
        assert_eq!(
            reopened.viewer("li.qiang@example.cn"),
            Some(Viewer::staff("li.qiang@example.cn"))
        );
    }

    #[test]
    fn duplicate_names_are_refused_also_in_other_letter_case() {
        let (_dir, accounts) = open();
        accounts.add("Wang", NewRole::Member, PASSWORD).unwrap();
        let err = accounts.add("Wang", NewRole::Staff, PASSWORD).unwrap_err();
        assert!(matches!(&err, AuthError::AccountExists(n) if n == "Wang"));
        assert_eq!(err.to_string(), "账号“Wang”已存在");
        assert!(matches!(
            accounts.add("wang", NewRole::Member, PASSWORD),
            Err(AuthError::AccountExists(n)) if n == "Wang"
        ));
        assert_eq!(accounts.list().len(), 1);
        assert_eq!(accounts.list()[0].role, "member");
    }

    #[test]
    fn roles_and_studios_are_parsed_with_clear_errors() {
        assert_eq!(NewRole::parse("member", None).unwrap(), NewRole::Member);
        assert_eq!(NewRole::parse("Staff", Some("")).unwrap(), NewRole::Staff);
        assert_eq!(
            NewRole::parse("publisher", Some(" bridge-li ")).unwrap(),
            NewRole::Publisher {
                studio: "bridge-li".into()
            }
        );
        let err = NewRole::parse("publisher", None).unwrap_err();
        assert!(matches!(err, AuthError::StudioRequired));
        assert_eq!(err.to_string(), "发布者账号必须指定工作室：--studio ID");
        let err = NewRole::parse("admin", None).unwrap_err();
        assert!(matches!(&err, AuthError::UnknownRole(r) if r == "admin"));
        assert!(err.to_string().contains("member、publisher 或 staff"));
        assert!(matches!(
            NewRole::parse("member", Some("bridge-li")),
            Err(AuthError::StudioNotAllowed(r)) if r == "member"
        ));
        assert!(matches!(
            NewRole::parse("publisher", Some("../etc")),
            Err(AuthError::InvalidStudio { .. })
        ));
        assert!(matches!(
            NewRole::parse("publisher", Some("a b")),
            Err(AuthError::InvalidStudio { .. })
        ));
        // A publisher built by hand is checked too, and nothing is written.
        let (dir, accounts) = open();
        let bad = NewRole::Publisher { studio: "".into() };
        assert!(matches!(
            accounts.add("x", bad, PASSWORD),
            Err(AuthError::InvalidStudio { .. })
        ));
        assert!(!dir.path().join(FILE_NAME).exists());
    }

    #[test]
    fn names_and_passwords_are_checked_before_anything_is_stored() {
        let (_dir, accounts) = open();
        for bad in ["", "has space", "tab\there", "semi;colon", "slash/x", &"a".repeat(65)] {
            let err = accounts.add(bad, NewRole::Member, PASSWORD).unwrap_err();
            assert!(matches!(err, AuthError::InvalidName { .. }), "{bad:?} gave {err}");
        }
        let err = accounts.add("has space", NewRole::Member, PASSWORD).unwrap_err();
        assert!(err.to_string().contains("不能含空格"), "{err}");
        for good in ["a", "zhang_wei-2.0@crec", "买买提·艾力", "𠀀", &"字".repeat(64)] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
        let err = accounts.add("short", NewRole::Member, "1234567").unwrap_err();
        assert!(matches!(err, AuthError::PasswordTooShort));
        assert_eq!(err.to_string(), "密码至少 8 个字符");
        // Eight Chinese characters are eight characters.
        assert!(check_new_password("八个汉字的密码啊").is_ok());
        assert!(matches!(
            check_new_password(&"x".repeat(1025)),
            Err(AuthError::PasswordTooLong)
        ));
        assert!(accounts.list().is_empty());
    }

    #[test]
    fn unknown_user_and_wrong_password_give_the_same_error() {
        let (_dir, accounts) = open();
        accounts.add("zhao", NewRole::Member, PASSWORD).unwrap();
        let wrong = accounts.verify_password("zhao", "not the password").unwrap_err();
        let unknown = accounts.verify_password("nobody", PASSWORD).unwrap_err();
        assert!(matches!(wrong, AuthError::InvalidCredentials));
        assert!(matches!(unknown, AuthError::InvalidCredentials));
        assert_eq!(wrong.to_string(), unknown.to_string());
        assert_eq!(wrong.to_string(), "用户名或密码错误");
    }

    #[test]
    fn dummy_hash_uses_the_default_parameters() {
        let hash = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&hash).unwrap();
        let default = argon2::Params::default();
        assert_eq!(hash.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }

    #[test]
    fn file_holds_hashes_not_passwords_or_tokens() {
        let (_dir, accounts) = open();
        accounts.add("qian", NewRole::Member, PASSWORD).unwrap();
        let token = accounts.new_token("qian", "ci").unwrap();
        let text = file_text(&accounts);
        assert!(!text.contains(PASSWORD));
        assert!(!text.contains(&token));
        assert!(!text.contains(&token[TOKEN_PREFIX.len()..]));
        assert!(text.contains("$argon2id$"));
        assert!(text.contains(&secret_hash(&token)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(accounts.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn tokens_verify_list_and_revoke() {
        let (_dir, accounts) = open();
        accounts
            .add("sun", NewRole::parse("publisher", Some("bridge-li")).unwrap(), PASSWORD)
            .unwrap();
        let first = accounts.new_token("sun", "").unwrap();
        let second = accounts.new_token("sun", "deploy").unwrap();
        let third = accounts.new_token("sun", "").unwrap();
        assert_eq!(first.len(), TOKEN_LEN);
        assert!(first.starts_with("zh_"));
        assert!(looks_like_token(&first));
        assert_ne!(first, second);

        let viewer = accounts.verify_token(&second).unwrap();
        assert_eq!(viewer.name.as_deref(), Some("sun"));
        assert_eq!(viewer.own_studio(), Some("bridge-li"));
        assert!(accounts.verify_token("zh_").is_none());
        let last = if first.ends_with('0') { '1' } else { '0' };
        assert!(
            accounts
                .verify_token(&format!("{}{last}", &first[..TOKEN_LEN - 1]))
                .is_none()
        );
        assert!(accounts.verify_token(&first.to_uppercase()).is_none());

        let tokens = accounts.list_tokens("sun").unwrap();
        let labels: Vec<_> = tokens.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["token-1", "deploy", "token-2"]);
        assert_eq!(tokens[1].prefix, second[..TOKEN_SHOWN_LEN]);
        assert_eq!(accounts.list()[0].tokens, 3);

        assert!(matches!(
            accounts.new_token("sun", "deploy"),
            Err(AuthError::TokenLabelExists { .. })
        ));
        assert!(matches!(
            accounts.new_token("nobody", "x"),
            Err(AuthError::NoSuchAccount(_))
        ));

        // By label, by shown prefix, by the whole token.
        assert_eq!(accounts.revoke_token("sun", "deploy").unwrap().label, "deploy");
        assert!(accounts.verify_token(&second).is_none());
        assert!(accounts.verify_token(&first).is_some());
        assert_eq!(
            accounts.revoke_token("sun", &first[..TOKEN_SHOWN_LEN]).unwrap().label,
            "token-1"
        );
        assert!(accounts.verify_token(&first).is_none());
        assert_eq!(accounts.revoke_token("sun", &third).unwrap().label, "token-2");
        assert!(accounts.verify_token(&third).is_none());

        let err = accounts.revoke_token("sun", &third).unwrap_err();
        assert!(matches!(err, AuthError::NoSuchToken { .. }));
        assert!(!err.to_string().contains(&third), "a whole token must not be echoed");
        assert!(accounts.list_tokens("sun").unwrap().is_empty());

        // Removing the account ends its tokens.
        let token = accounts.new_token("sun", "").unwrap();
        accounts.remove("sun").unwrap();
        assert!(accounts.verify_token(&token).is_none());
    }

    #[test]
    fn changes_by_another_process_are_seen_and_not_lost() {
        let (dir, server) = open();
        server.add("zhou", NewRole::Member, PASSWORD).unwrap();
        // Another process (say `zhihui token new`) with its own view.
        let cli = Accounts::open(dir.path()).unwrap();
        let token = cli.new_token("zhou", "").unwrap();
        assert_eq!(server.verify_token(&token).unwrap().name.as_deref(), Some("zhou"));
        // The server's next change keeps the token the CLI made.
        server.new_token("zhou", "web").unwrap();
        let labels: Vec<_> = cli.list_tokens("zhou").unwrap().into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["token-1", "web"]);
        cli.remove("zhou").unwrap();
        assert!(server.verify_token(&token).is_none());
        assert!(server.viewer("zhou").is_none());
    }

    #[test]
    fn sessions_keys_end_with_any_change_to_password_role_or_studio() {
        let (dir, accounts) = open();
        let tunnel = NewRole::parse("publisher", Some("tunnel-zhang")).unwrap();
        accounts.add("zheng", tunnel.clone(), PASSWORD).unwrap();
        let first = accounts.check_password("zheng", PASSWORD).unwrap();
        assert_eq!(first.key.id.len(), 2 * ACCOUNT_ID_BYTES);
        assert_eq!(accounts.viewer_for(&first.key), Some(first.viewer.clone()));
        // Signing in again gives the same key; tokens do not change it.
        accounts.new_token("zheng", "ci").unwrap();
        assert_eq!(accounts.check_password("zheng", PASSWORD).unwrap().key, first.key);

        // A new password, even the same one (new salt), ends the key.
        accounts.set_password("zheng", PASSWORD).unwrap();
        assert!(accounts.viewer_for(&first.key).is_none());
        let second = accounts.check_password("zheng", PASSWORD).unwrap();
        assert_eq!(second.key.id, first.key.id, "the id stays");
        assert!(accounts.viewer_for(&second.key).is_some());

        // The same role changes nothing and keeps the tokens.
        let same = accounts.set_role("zheng", tunnel).unwrap();
        assert!(!same.changed && same.revoked_tokens == 0);
        assert!(accounts.viewer_for(&second.key).is_some());
        assert_eq!(accounts.list_tokens("zheng").unwrap().len(), 1);

        // Another studio ends the key and revokes the tokens.
        let token = accounts.new_token("zheng", "").unwrap();
        let moved = accounts
            .set_role("zheng", NewRole::parse("publisher", Some("bridge-li")).unwrap())
            .unwrap();
        assert_eq!(
            (moved.changed, moved.revoked_tokens, moved.id.as_str()),
            (true, 2, first.key.id.as_str())
        );
        assert!(accounts.viewer_for(&second.key).is_none());
        assert!(accounts.verify_token(&token).is_none());
        let third = accounts.check_password("zheng", PASSWORD).unwrap();
        assert_eq!(third.viewer.own_studio(), Some("bridge-li"));

        // Another role ends it too.
        accounts.set_role("zheng", NewRole::Staff).unwrap();
        assert!(accounts.viewer_for(&third.key).is_none());
        let fourth = accounts.check_password("zheng", PASSWORD).unwrap();
        assert_eq!(accounts.viewer_for(&fourth.key), Some(Viewer::staff("zheng")));
        assert!(matches!(
            accounts.set_role("nobody", NewRole::Member),
            Err(AuthError::NoSuchAccount(_))
        ));

        // An edit of the file by hand (role member -> staff) is a change too.
        accounts.add("feng", NewRole::Member, PASSWORD).unwrap();
        let feng = accounts.check_password("feng", PASSWORD).unwrap();
        let text = file_text(&accounts);
        let edited = text.replacen("\"role\": \"member\"", "\"role\": \"staff\"", 1);
        assert_ne!(text, edited);
        std::fs::write(dir.path().join(FILE_NAME), edited).unwrap();
        assert!(accounts.viewer_for(&feng.key).is_none());
    }

    #[test]
    fn an_account_created_again_under_the_same_name_is_another_account() {
        let (dir, accounts) = open();
        accounts.add("chu", NewRole::Member, PASSWORD).unwrap();
        let old = accounts.check_password("chu", PASSWORD).unwrap();
        let removed_id = accounts.remove("chu").unwrap();
        assert_eq!(removed_id, old.key.id);
        assert!(accounts.viewer_for(&old.key).is_none());
        // Same name, same password, now staff, made by another process.
        let cli = Accounts::open(dir.path()).unwrap();
        cli.add("chu", NewRole::Staff, PASSWORD).unwrap();
        assert!(accounts.viewer_for(&old.key).is_none(), "the old session stays ended");
        let new = accounts.check_password("chu", PASSWORD).unwrap();
        assert_ne!(new.key.id, old.key.id);
        // A key from nowhere, or one with the right id and a wrong stamp.
        let forged = AccountKey {
            id: new.key.id.clone(),
            stamp: old.key.stamp.clone(),
        };
        assert!(accounts.viewer_for(&forged).is_none());
        let empty = AccountKey {
            id: String::new(),
            stamp: String::new(),
        };
        assert!(accounts.viewer_for(&empty).is_none());
    }

    #[test]
    fn files_without_ids_get_stable_ones_written_at_the_next_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let account = |name: &str| {
            format!(r#"{{"name":"{name}","role":"member","password_hash":"{DUMMY_HASH}","created":1700000000}}"#)
        };
        std::fs::write(
            &path,
            format!(r#"{{"version":1,"accounts":[{},{}]}}"#, account("a"), account("b")),
        )
        .unwrap();
        let one = Accounts::open(dir.path()).unwrap();
        let two = Accounts::open(dir.path()).unwrap();
        let id = |accounts: &Accounts, name: &str| accounts.read().accounts[name].id.clone();
        assert_eq!(id(&one, "a"), id(&two, "a"), "every process derives the same id");
        assert_ne!(id(&one, "a"), id(&one, "b"));
        let before = id(&one, "a");
        one.set_password("a", "a new password").unwrap();
        assert!(file_text(&one).contains(&before), "written out");
        assert_eq!(id(&Accounts::open(dir.path()).unwrap(), "a"), before, "and kept");

        // Ids that are malformed or shared are refused, not guessed at.
        for bad in [r#""id":"xyz","#.to_string(), format!(r#""id":"{}","#, "0".repeat(32))] {
            let with_id = |name: &str| account(name).replacen('{', &format!("{{{bad}"), 1);
            std::fs::write(
                &path,
                format!(r#"{{"version":1,"accounts":[{},{}]}}"#, with_id("a"), with_id("b")),
            )
            .unwrap();
            assert!(
                matches!(Accounts::open(dir.path()), Err(AuthError::Corrupt { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn corrupt_file_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "{\"version\": 1, \"accounts\": [").unwrap();
        let err = Accounts::open(dir.path()).unwrap_err();
        assert!(matches!(err, AuthError::Corrupt { .. }));
        assert!(err.to_string().contains("已损坏"), "{err}");

        let publisher_without_studio = format!(
            r#"{{"version":1,"accounts":[{{"name":"a","role":"publisher","password_hash":"{DUMMY_HASH}","created":0}}]}}"#
        );
        std::fs::write(&path, publisher_without_studio).unwrap();
        let err = Accounts::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("缺少 studio"), "{err}");

        // Broken while running: lookups keep the last good accounts, changes
        // refuse to write over the broken file.
        std::fs::remove_file(&path).unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        accounts.add("wu", NewRole::Member, PASSWORD).unwrap();
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(accounts.list().len(), 1);
        assert!(matches!(accounts.new_token("wu", ""), Err(AuthError::Corrupt { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not json");
    }
}
