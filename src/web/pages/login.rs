//! The sign-in page (`GET /login`); the form posts to `session::login_form`,
//! which shows the page again with its message on a failure.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::web::AppError;
use crate::web::i18n::Lang;
use crate::web::session::Current;

use super::Chrome;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub chrome: Chrome,
    pub next: &'a str,
    pub username: &'a str,
    pub message: &'a str,
}

pub fn login_page(
    lang: Lang,
    next: &str,
    username: &str,
    message: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let chrome = Chrome::new(lang, &axum::http::Uri::from_static("/login"), "", &Current::anonymous());
    let html = LoginPage {
        chrome,
        next,
        username,
        message,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    pub next: String,
}

pub async fn login(
    lang: Lang,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, AppError> {
    // The form carries `next` back: only a path on this site goes in it.
    login_page(
        lang,
        &crate::web::session::safe_next(&query.next),
        "",
        "",
        StatusCode::OK,
    )
}
