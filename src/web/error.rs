//! The one error type of the web layer, and how errors reach people.
//!
//! Policy:
//! - Every handler returns `Result<_, AppError>`; domain errors
//!   (`SearchError`, `PublishError`, `AuthError`) convert with `From`, so a
//!   handler says `?` and nothing else. One domain error maps to one
//!   status, wherever it happens.
//! - What a person can act on (a bad id, a refused write, a disk that is
//!   full, too many sign-ins) is said in Chinese with the cause and what to
//!   do. What they cannot (a bug, an index error) is logged with its whole
//!   cause chain and shown as "internal error", never with paths or
//!   internals.
//! - A record the viewer may not see is `NotFound`, exactly like a missing
//!   one, so no error tells that it exists.
//! - The same error renders as JSON `{"error": "…"}` under `/api/` and as a
//!   page elsewhere, the page with the request's viewer and language
//!   (`error_responses`), so a signed-in user on a 404 still sees their name.
//! - Field-by-field validation failures of writes are 422 with every
//!   problem (`{"errors":[{field, line, message}]}`), from the API and the
//!   form alike.

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::i18n::Lang;
use super::session::Current;
use crate::auth::AuthError;
use crate::search::SearchError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("找不到这个页面或记录")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// A write that breaks the content rules: every problem, by field.
    #[error("记录不符合内容规范：{}", .0.iter().filter(|p| p.is_error()).map(|p| format!("{}：{}", p.field, p.message)).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<crate::content::Problem>),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("登录尝试过多，请 {0} 秒后再试")]
    TooManyRequests(u64),
    /// The server cannot do it now for a cause outside the request (a
    /// disk that refuses writes, an index being rebuilt); the message
    /// names the cause: 503.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<SearchError> for AppError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Unavailable(message) => AppError::Unavailable(message),
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<crate::publish::PublishError> for AppError {
    fn from(e: crate::publish::PublishError) -> Self {
        use crate::publish::PublishError as P;
        match e {
            P::Unauthorized => AppError::Unauthorized(e.to_string()),
            P::Forbidden(m) => AppError::Forbidden(m),
            P::NotFound(_) => AppError::NotFound,
            P::Conflict { .. } => AppError::Conflict(e.to_string()),
            P::Invalid(problems) => AppError::Invalid(problems),
            P::BadId(_) => AppError::BadRequest(e.to_string()),
            P::TooLarge(_) => AppError::PayloadTooLarge(e.to_string()),
            P::UnsupportedFile => AppError::UnsupportedMedia(e.to_string()),
            P::Io(io) => match storage_problem(&io) {
                Some(cause) => AppError::Unavailable(format!("无法保存，未作任何更改：{cause}")),
                None => AppError::Internal(P::Io(io).into()),
            },
            P::Search(SearchError::Unavailable(message)) => AppError::Unavailable(message),
            P::Search(_) => AppError::Internal(e.into()),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        use AuthError as A;
        match e {
            A::InvalidCredentials | A::AnonymousSession => AppError::Unauthorized(e.to_string()),
            A::TooManyAttempts { retry_after_secs } => AppError::TooManyRequests(retry_after_secs),
            A::Corrupt { .. } | A::Io { .. } | A::Random(_) | A::Hash(_) => AppError::Internal(e.into()),
            A::NoSuchAccount(_) | A::NoSuchToken { .. } => AppError::NotFound,
            A::AccountExists(_) | A::TokenLabelExists { .. } => AppError::Conflict(e.to_string()),
            _ => AppError::BadRequest(e.to_string()),
        }
    }
}

/// What a person can do something about when the disk refuses a write.
fn storage_problem(e: &std::io::Error) -> Option<String> {
    use std::io::ErrorKind as K;
    let cause = match e.kind() {
        K::ReadOnlyFilesystem => "内容所在的磁盘是只读的，请管理员检查挂载方式",
        K::PermissionDenied => "服务器没有写入内容文件夹的权限，请管理员检查文件夹权限",
        K::StorageFull | K::QuotaExceeded => "磁盘空间已满，请管理员清理磁盘",
        K::FileTooLarge => "文件超过了文件系统允许的大小",
        K::InvalidFilename => "文件名不被文件系统接受（可能过长）",
        _ => return None,
    };
    // The OS's words name server paths: they go to the log only.
    tracing::warn!(error = %e, "a write was refused by the disk");
    Some(cause.to_string())
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Carried on error responses so the API layer can answer in JSON.
#[derive(Clone, Debug)]
struct ErrorInfo {
    message: String,
    problems: Option<Vec<crate::content::Problem>>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a person is told: internal details go to the log, not the page.
    fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "服务器内部错误，请稍后再试（Internal error, please try again later）".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!("{e:#}");
        }
        let status = self.status();
        let message = self.public_message();
        let page = super::pages::errors::error_page(
            status,
            &message,
            Lang::Zh,
            &axum::http::Uri::from_static("/"),
            &Current::anonymous(),
        );
        let mut response = (status, Html(page)).into_response();
        if let AppError::TooManyRequests(secs) = &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        let problems = match self {
            AppError::Invalid(problems) => Some(problems),
            _ => None,
        };
        response.extensions_mut().insert(ErrorInfo { message, problems });
        response
    }
}

/// Answers errors as people and programs expect them: under `/api/` as
/// `{"error": "…"}` (422s with every problem as `{"errors": […]}`),
/// elsewhere as a page in the request's language with the viewer's header.
pub async fn error_responses(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    // What the page needs to know of the request (who asks, in which
    // language), kept for the rare error: the address and the headers
    // that name the viewer, not every header of every page.
    let asked = (!api).then(|| {
        let mut kept = axum::http::HeaderMap::new();
        for name in [axum::http::header::COOKIE, axum::http::header::AUTHORIZATION] {
            for value in request.headers().get_all(&name) {
                kept.append(name.clone(), value.clone());
            }
        }
        (request.uri().clone(), kept)
    });
    let response = next.run(request).await;
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    let (parts, _) = response.into_parts();
    let mut answer = match asked {
        None => {
            let body = match &info.problems {
                Some(problems) => problems_json(problems),
                None => serde_json::json!({ "error": info.message }),
            };
            (parts.status, Json(body)).into_response()
        }
        Some((uri, headers)) => {
            let mut request = Request::new(());
            *request.uri_mut() = uri.clone();
            *request.headers_mut() = headers;
            let (mut asked, ()) = request.into_parts();
            let current = Current::from_request_parts(&mut asked, &state)
                .await
                .unwrap_or_else(|_| Current::anonymous());
            let lang = Lang::from_parts(&asked);
            let page = super::pages::errors::error_page(parts.status, &info.message, lang, &uri, &current);
            (parts.status, Html(page)).into_response()
        }
    };
    // Keep what the error said besides its body (Retry-After, ETag…).
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// Every error of a refused write, with its field and line.
pub fn problems_json(problems: &[crate::content::Problem]) -> serde_json::Value {
    serde_json::json!({
        "errors": problems
            .iter()
            .filter(|p| p.is_error())
            .map(|p| serde_json::json!({"field": p.field, "line": p.line, "message": p.message}))
            .collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::PublishError;
    use std::io::{Error, ErrorKind};

    #[test]
    fn a_disk_that_refuses_a_write_is_named() {
        for (kind, words) in [
            (ErrorKind::ReadOnlyFilesystem, "只读"),
            (ErrorKind::PermissionDenied, "权限"),
            (ErrorKind::StorageFull, "磁盘空间已满"),
        ] {
            let e = AppError::from(PublishError::Io(Error::from(kind)));
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{kind:?}");
            let message = e.public_message();
            assert!(message.contains(words) && message.contains("未作任何更改"), "{message}");
        }
        let other = AppError::from(PublishError::Io(Error::from(ErrorKind::Other)));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
