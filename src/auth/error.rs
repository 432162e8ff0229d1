//! The one error type of the `auth` module. Messages are Simplified Chinese
//! and say what to do next; `web` and `cli` show them as they are.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user and wrong password alike, so a caller cannot tell which
    /// names exist.
    #[error("用户名或密码错误")]
    InvalidCredentials,

    #[error("账号“{0}”已存在")]
    AccountExists(String),

    #[error("账号“{0}”不存在")]
    NoSuchAccount(String),

    #[error("用户名“{name}”无效：{reason}")]
    InvalidName { name: String, reason: String },

    #[error("未知角色“{0}”：应为 member、publisher 或 staff")]
    UnknownRole(String),

    #[error("发布者账号必须指定工作室：--studio ID")]
    StudioRequired,

    #[error("只有发布者（publisher）账号属于某个工作室，{0} 账号不能指定 --studio")]
    StudioNotAllowed(String),

    #[error("工作室 ID“{id}”无效：{reason}")]
    InvalidStudio { id: String, reason: String },

    #[error("密码至少 8 个字符")]
    PasswordTooShort,

    #[error("密码最多 1024 个字符")]
    PasswordTooLong,

    #[error("令牌名称“{label}”无效：{reason}")]
    InvalidTokenLabel { label: String, reason: String },

    #[error("账号“{name}”已有名为“{label}”的令牌，请换一个名称")]
    TokenLabelExists { name: String, label: String },

    #[error("账号“{name}”没有名称或前缀为“{token}”的令牌（可先列出该账号的令牌查看名称和前缀）")]
    NoSuchToken { name: String, token: String },

    #[error("“{token}”同时匹配账号“{name}”的多个令牌，请改用令牌前缀")]
    AmbiguousToken { name: String, token: String },

    #[error("未登录的访问者不能创建会话")]
    AnonymousSession,

    /// For the web layer to answer a throttled sign-in with (see
    /// [`SignInLimiter`](super::SignInLimiter)).
    #[error("登录失败次数过多，请 {retry_after_secs} 秒后再试")]
    TooManyAttempts { retry_after_secs: u64 },

    /// `hint` says what to do about it, which depends on the file.
    #[error("文件 {path} 已损坏，无法读取：{detail}。{hint}")]
    Corrupt {
        path: PathBuf,
        detail: String,
        hint: &'static str,
    },

    #[error("无法读写 {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("系统随机数生成器不可用：{0}")]
    Random(String),

    #[error("密码哈希计算失败：{0}")]
    Hash(String),
}

impl AuthError {
    pub(super) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        AuthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(super) fn corrupt(path: &std::path::Path, detail: impl Into<String>, hint: &'static str) -> Self {
        AuthError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
            hint,
        }
    }
}
