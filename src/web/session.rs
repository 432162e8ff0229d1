//! Who is asking, for every request: a bearer token, a session cookie, or
//! nobody. Also signing in and out (JSON and form), and the CSRF check
//! every cookie-authenticated write must pass.
//!
//! A session cookie is honoured only while the account it was made for is
//! unchanged (`Accounts::viewer_for`), and tokens are looked up in the
//! accounts file as it is now, so changes made with `zhihui user` and
//! `zhihui token` while the server runs apply to the next request.
//! Passwords are checked off the async workers, a few at a time
//! ([`password_check_slots`]), after the throttle: a throttled attempt
//! costs no hashing at all.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AppError, AppState, unblock};
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

/// The value of the request's cookie `name`, as the `cookie` crate reads
/// a `Cookie` header (quoted values, several headers).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

impl FromRequestParts<AppState> for Current {
    type Rejection = AppError;

    /// Recognised once per request and kept in its extensions, since a
    /// handler may take both `Current` and a `Chrome` built from it.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(current) = parts.extensions.get::<Current>() {
            return Ok(current.clone());
        }
        let current = recognise(parts, state)?;
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// Who is asking: a bearer token (which must be valid), else a live
/// session cookie, else an anonymous visitor.
fn recognise(parts: &Parts, state: &AppState) -> Result<Current, AppError> {
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
        && let Some(session) = state.sessions.get(&id)
        && let Some(viewer) = state.accounts.viewer_for(&session.account)
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

fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let cookie = cookie::Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age).unwrap_or(i64::MAX),
        ))
        .secure(state.secure_cookies)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static("zh_session=; Path=/"))
}

/// How many password checks may run at once: all cores but one (at least
/// one), so that a burst of sign-ins leaves a core to everything else.
pub fn password_check_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1)
}

/// A throttled sign-in: the wait rounded up to whole seconds, as
/// `Retry-After` gives it.
fn too_many(wait: std::time::Duration) -> AppError {
    AppError::TooManyRequests((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

/// Checks the password within the limits (per name and address, and per
/// address) and starts a session.
async fn sign_in(
    state: &AppState,
    addr: SocketAddr,
    username: &str,
    password: &str,
) -> Result<(Session, Viewer), AppError> {
    let ip = addr.ip();
    state.sign_in_limits.check(username, ip).map_err(too_many)?;
    let _slot = state
        .password_checks
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    // Again: failures of the attempts queued ahead of this one count too.
    state.sign_in_limits.check(username, ip).map_err(too_many)?;
    let accounts = state.accounts.clone();
    let sessions = state.sessions.clone();
    let limits = state.sign_in_limits.clone();
    let (username, password) = (username.to_string(), password.to_string());
    unblock(move || match accounts.check_password(&username, &password) {
        Ok(signed_in) => {
            limits.record_success(&username, ip);
            let session = sessions.create(&signed_in)?;
            Ok((session, signed_in.viewer))
        }
        Err(e) => {
            limits.record_failure(&username, ip);
            Err(e.into())
        }
    })
    .await?
}

/// Where to send a browser after signing in: `next` when it is a path on
/// this site, `/` otherwise, ready for a `Location` header.
///
/// Browsers are lenient in ways that turn innocent-looking paths into
/// other sites: `//evil`, `/\evil` (a backslash counts as a slash), tabs
/// and newlines dropped from the middle (`/\t/evil`), and percent-encoded
/// forms of all of these if anything on the way decodes them once more.
/// So a path must begin with one `/` not followed by `/` or `\`, hold no
/// backslash, blank or control character, and stay so however many times
/// it is percent-decoded. Anything else, a scheme included, gives `/`.
pub fn safe_next(next: &str) -> String {
    fn on_site(path: &str) -> bool {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !path.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    }
    let mut layer = next.to_string();
    let mut settled = false;
    for _ in 0..4 {
        if !on_site(&layer) {
            return "/".into();
        }
        let decoded = percent_decode(&layer);
        if decoded == layer {
            settled = true;
            break;
        }
        layer = decoded;
    }
    if !settled {
        return "/".into();
    }
    // Non-ASCII (a Chinese record id) is sent percent-encoded: a header
    // value holds ASCII.
    let mut out = String::with_capacity(next.len());
    for c in next.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// `%XX` sequences decoded (others left as they are); bytes that are not
/// UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A 303 to a path [`safe_next`] approved.
fn see_other(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
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
    let (session, viewer) = sign_in(&state, addr, &credentials.username, &credentials.password).await?;
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
    end_session(&state, &current).await?;
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
    match sign_in(&state, addr, form.username.trim(), &form.password).await {
        Ok((session, _)) => {
            let mut response = see_other(&safe_next(&form.next));
            let max_age = state.sessions.ttl().as_secs();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&state, &session.id, max_age));
            Ok(response)
        }
        Err(e @ (AppError::Unauthorized(_) | AppError::TooManyRequests(_))) => {
            let next = safe_next(&form.next);
            let mut page = super::pages::login::login_page(lang, &next, &form.username, &e.to_string(), e.status())?;
            if let AppError::TooManyRequests(secs) = e {
                page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            Ok(page)
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
    end_session(&state, &current).await?;
    let mut response = see_other("/");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

/// Ends the request's session, if it has one, off the async workers (the
/// sessions file is written and synced).
async fn end_session(state: &AppState, current: &Current) -> Result<(), AppError> {
    if let Some(session) = &current.session {
        let sessions = state.sessions.clone();
        let id = session.id.clone();
        unblock(move || sessions.remove(&id)).await??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        for bad in [
            "",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%252F/evil.example",
            "/%25252F%25252Fevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/%09/evil.example",
            "/%0D%0ALocation:%20https://evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/\u{0}x",
            "/a\\b",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
        for (good, location) in [
            ("/", "/"),
            ("/publish?kind=method", "/publish?kind=method"),
            ("/records/tunnel-zhang/管片", "/records/tunnel-zhang/%E7%AE%A1%E7%89%87"),
            (
                "/records/tunnel-zhang/%E7%AE%A1%E7%89%87",
                "/records/tunnel-zhang/%E7%AE%A1%E7%89%87",
            ),
            ("/search?q=a%2Fb#top", "/search?q=a%2Fb#top"),
            ("/@evil.example", "/@evil.example"),
        ] {
            assert_eq!(safe_next(good), location, "{good:?}");
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%2Fb%e7%ae%a1%"), "/a/b管%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn retry_after_rounds_up() {
        use std::time::Duration;
        for (wait, secs) in [
            (Duration::from_millis(1), 1),
            (Duration::from_millis(1500), 2),
            (Duration::from_secs(290), 290),
        ] {
            assert!(
                matches!(too_many(wait), AppError::TooManyRequests(s) if s == secs),
                "{wait:?}"
            );
        }
    }
}
