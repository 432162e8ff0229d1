//! The one error type of the web layer. It renders a friendly HTML page;
//! under `/api/` the `json_errors` layer turns the same error into JSON.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

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
            P::BadId(_) | P::Invalid(_) => AppError::BadRequest(e.to_string()),
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
    Some(format!("{cause}（{e}）"))
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
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
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
        let page = super::pages::error_page(status, &message);
        let mut response = (status, Html(page)).into_response();
        if let AppError::TooManyRequests(secs) = &self
            && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response.extensions_mut().insert(ErrorInfo { message });
        response
    }
}

/// Rewrites error pages under `/api/` as `{"error": "…"}`.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api {
        return response;
    }
    match response.extensions().get::<ErrorInfo>().cloned() {
        Some(info) => {
            let (parts, _) = response.into_parts();
            let mut json = (parts.status, Json(serde_json::json!({ "error": info.message }))).into_response();
            // Keep what the error said besides its body (Retry-After, ETag…).
            for (name, value) in &parts.headers {
                if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
                    json.headers_mut().insert(name.clone(), value.clone());
                }
            }
            json
        }
        None => response,
    }
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
