//! Error pages, in the request's language with the viewer's own header
//! (`web::error` decides the status and message), and the fallback route.

use askama::Template;
use axum::http::StatusCode;

use crate::web::AppError;
use crate::web::i18n::Lang;
use crate::web::session::Current;

use super::Chrome;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub chrome: Chrome,
    pub status: u16,
    pub message: &'a str,
}

/// The body of every error page (404, 400, 500…), in the request's
/// language and with the viewer's own header.
pub fn error_page(status: StatusCode, message: &str, lang: Lang, uri: &axum::http::Uri, current: &Current) -> String {
    let chrome = Chrome::new(lang, uri, "", current);
    ErrorPage {
        chrome,
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| format!("<!doctype html><title>{status}</title><p>{status}</p>"))
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
