//! Who is asking, for every request: a bearer token, a session cookie, or
//! nobody. Also signing in and out (JSON and form), and the CSRF check
//! every cookie-authenticated write must pass.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppError, AppState};
use crate::auth::Viewer;
use crate::auth::{Session, verify_csrf};

pub const SESSION_COOKIE: &str = "zh_session";

/// The viewer of a request and how they were recognised.
#[derive(Clone)]
pub struct Current {
    pub viewer: Viewer,
    pub session: Option<Session>,
}

impl Current {
    pub fn anonymous() -> Current {
        Current {
            viewer: Viewer::anonymous(),
            session: None,
        }
    }

    pub fn csrf(&self) -> &str {
        self.session.as_ref().map(|s| s.csrf.as_str()).unwrap_or("")
    }

    /// Cookie-authenticated writes must echo the session's CSRF token;
    /// token-authenticated ones cannot be forged by another site.
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), AppError> {
        match &self.session {
            Some(session) if !verify_csrf(session, token.unwrap_or("")) => {
                Err(AppError::Forbidden("安全校验失败（CSRF）：请刷新页面后重试".into()))
            }
            _ => Ok(()),
        }
    }
}

pub fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
}

impl FromRequestParts<AppState> for Current {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(token) = bearer {
            return match state.accounts.verify_token(token.trim()) {
                Some(viewer) => Ok(Current { viewer, session: None }),
                None => Err(AppError::Unauthorized("API 令牌无效或已撤销".into())),
            };
        }
        if let Some(id) = cookie(&parts.headers, SESSION_COOKIE)
            && let Some(session) = state.sessions.get(id)
            && let Some(viewer) = state.accounts.viewer(&session.name)
        {
            return Ok(Current {
                viewer,
                session: Some(session),
            });
        }
        Ok(Current {
            viewer: Viewer::anonymous(),
            session: None,
        })
    }
}

fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("zh_session=; Path=/"))
}

/// Checks the password with the rate limits (per name and per address).
fn sign_in(state: &AppState, addr: SocketAddr, username: &str, password: &str) -> Result<Session, AppError> {
    let address = addr.ip().to_string();
    let limits = [
        (&state.name_limiter, username),
        (&state.address_limiter, address.as_str()),
    ];
    for (limiter, key) in limits {
        if let Err(retry) = limiter.check(key) {
            return Err(AppError::TooManyRequests(retry.as_secs().max(1)));
        }
    }
    match state.accounts.verify_password(username, password) {
        Ok(viewer) => {
            limits.iter().for_each(|(limiter, key)| limiter.record_success(key));
            state.sessions.create(&viewer).map_err(|e| AppError::Internal(e.into()))
        }
        Err(e) => {
            limits.iter().for_each(|(limiter, key)| limiter.record_failure(key));
            Err(AppError::Unauthorized(e.to_string()))
        }
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// `POST /api/session` with `{"username","password"}`.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<Response, AppError> {
    let session = sign_in(&state, addr, &credentials.username, &credentials.password)?;
    let viewer = state.accounts.viewer(&session.name).unwrap_or_else(Viewer::anonymous);
    let body = serde_json::json!({
        "name": session.name,
        "role": viewer.role.as_str(),
        "studio": viewer.own_studio(),
        "csrf": session.csrf,
    });
    let mut response = (StatusCode::OK, Json(body)).into_response();
    let max_age = state.sessions.ttl().as_secs();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &session.id, max_age));
    Ok(response)
}

/// `DELETE /api/session`.
pub async fn delete(State(state): State<AppState>, current: Current, headers: HeaderMap) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    if let Some(session) = &current.session {
        state
            .sessions
            .remove(&session.id)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// Form sign-in: redirects on success, shows the form with the error otherwise.
pub async fn login_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    lang: super::i18n::Lang,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, AppError> {
    match sign_in(&state, addr, form.username.trim(), &form.password) {
        Ok(session) => {
            let next = if form.next.starts_with('/') && !form.next.starts_with("//") {
                form.next.as_str()
            } else {
                "/"
            };
            let mut response = Redirect::to(next).into_response();
            let max_age = state.sessions.ttl().as_secs();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&state, &session.id, max_age));
            Ok(response)
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests(_))) => {
            super::pages::login_page(lang, &form.next, &form.username, &e.to_string(), e.status())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout_form(
    State(state): State<AppState>,
    current: Current,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    if let Some(session) = &current.session {
        state
            .sessions
            .remove(&session.id)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}
