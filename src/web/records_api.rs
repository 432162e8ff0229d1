//! The JSON write routes of the spec on `/api/records/{id}` (PUT, DELETE,
//! and the POST that approves or returns), the preview and the novelty
//! check. Every write goes through `publish::Publisher`; this module only
//! translates.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::session::{Current, csrf_header};
use super::{AppError, AppState};
use crate::publish::{Outcome, PublishError};

/// Largest record file accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// A Markdown file sent as a request body (`what` names it: 记录文件,
/// 成果展文件), at most `MAX_RECORD_BYTES`, in UTF-8.
pub(super) async fn read_text(body: Body, what: &str) -> Result<String, AppError> {
    let bytes = to_bytes(body, MAX_RECORD_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge(format!("{what}过大：最多 {} KB", MAX_RECORD_BYTES / 1024)))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest(format!("{what}必须是 UTF-8 编码的文本")))
}

fn outcome_response(outcome: &Outcome, status: StatusCode) -> Response {
    let mut value = serde_json::to_value(&outcome.record).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("pending".into(), Value::Bool(outcome.pending));
        map.insert("etag".into(), Value::String(outcome.etag.clone()));
        map.insert("url".into(), Value::String(format!("/records/{}", outcome.id)));
    }
    let mut response = (status, Json(value)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", outcome.etag)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A write's conditions: `If-Match` (the version it replaces) and
/// `If-None-Match: *` ("only create, never replace").
pub(super) fn write_conditions(headers: &HeaderMap) -> (Option<String>, bool) {
    let create_only = header_text(headers, header::IF_NONE_MATCH).is_some_and(|v| v.trim() == "*");
    (header_text(headers, header::IF_MATCH), create_only)
}

/// `PUT /api/records/{id}`: the whole Markdown file as the body.
pub async fn put_record(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let text = read_text(body, "记录文件").await?;
    let publisher = state.publisher.clone();
    let (if_match, create_only) = write_conditions(&headers);
    let result = crate::web::unblock(move || {
        if create_only && let Some((_, current)) = publisher.current(&current.viewer, &id)? {
            return Err(PublishError::Conflict { current });
        }
        publisher.put(&current.viewer, &id, &text, if_match.as_deref())
    })
    .await?;
    let outcome = result?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(outcome_response(&outcome, status))
}

/// `DELETE /api/records/{id}`.
pub async fn delete_record(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let publisher = state.publisher.clone();
    let if_match = header_text(&headers, header::IF_MATCH);
    crate::web::unblock(move || publisher.delete(&current.viewer, &id, if_match.as_deref())).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
pub struct ReviewBody {
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/records/{id}/approve` and `POST /api/records/{id}/return`;
/// the problem board's steps (`…/help`, `…/accept`, …) go to `problems`.
pub async fn review_action(
    State(state): State<AppState>,
    current: Current,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if let Some((id, action)) = super::problems::api_action(&path) {
        let (id, action) = (id.to_string(), action.to_string());
        return super::problems::api_step(state, current, id, action, headers, body).await;
    }
    current.check_csrf(csrf_header(&headers))?;
    let text = read_text(body, "记录文件").await?;
    let comment = serde_json::from_str::<ReviewBody>(&text).unwrap_or_default().comment;
    let publisher = state.publisher.clone();
    let result = crate::web::unblock(move || {
        if let Some(id) = path.strip_suffix("/approve") {
            publisher.approve(&current.viewer, id, &comment)
        } else if let Some(id) = path.strip_suffix("/return") {
            publisher.send_back(&current.viewer, id, &comment)
        } else {
            Err(PublishError::NotFound(path))
        }
    })
    .await?;
    Ok(outcome_response(&result?, StatusCode::OK))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PreviewQuery {
    /// Where relative links resolve (the form's draft folder).
    pub base: String,
}

/// The folder relative links resolve against: a path on this site under
/// `/drafts/` or `/records/` ending in `/`, with nothing that could end
/// an attribute or start a scheme; anything else is `/records/`.
fn preview_base(base: &str) -> String {
    let safe = (base.starts_with("/drafts/") || base.starts_with("/records/"))
        && base.ends_with('/')
        && !base.contains("//")
        && !base.contains("..")
        && !base.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | ':' | '?' | '#' | '`')
        });
    if safe { base.to_string() } else { "/records/".into() }
}

/// `POST /api/preview`: Markdown in, the record page's HTML out. Only for
/// signed-in accounts, since rendering is the costliest thing a request
/// can ask for; it waits for a render slot off the async workers.
pub async fn preview(
    current: Current,
    axum::extract::Query(query): axum::extract::Query<PreviewQuery>,
    body: Body,
) -> Result<Json<Value>, AppError> {
    if current.viewer.name.is_none() {
        return Err(AppError::Unauthorized("请先登录后再使用预览".into()));
    }
    let text = read_text(body, "记录文件").await?;
    let rendered = crate::web::pages::render_markdown(text, preview_base(&query.base)).await?;
    Ok(Json(json!({ "html": rendered.html })))
}

#[derive(Deserialize)]
pub struct NoveltyRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// `POST /api/novelty`: the existing records most like a draft.
pub async fn novelty(
    State(state): State<AppState>,
    current: Current,
    Json(draft): Json<NoveltyRequest>,
) -> Result<Json<Value>, AppError> {
    let hits =
        crate::web::unblock(move || novelty_hits(&state, &current, &draft.title, &draft.body, draft.id.as_deref()))
            .await??;
    Ok(Json(
        json!({ "hits": hits.iter().map(|(title, url, pct)| json!({"title": title, "url": url, "similarity": pct})).collect::<Vec<_>>() }),
    ))
}

/// (title, url, similarity in percent) of the closest visible records.
pub(super) fn novelty_hits(
    state: &AppState,
    current: &Current,
    title: &str,
    body: &str,
    exclude: Option<&str>,
) -> Result<Vec<(String, String, u32)>, AppError> {
    // The title says most about what a record is: count it three times.
    let text = format!("{title} {title} {title} {body}");
    Ok(state
        .engine
        .like_text(&text, exclude, &current.viewer, 5)?
        .into_iter()
        .map(|(hit, share)| (hit.card.title, hit.url, (share * 100.0).round() as u32))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::preview_base;

    #[test]
    fn preview_bases_stay_on_the_site() {
        for ok in [
            "/drafts/0123/_/",
            "/drafts/ab/tunnel-zhang/管片修复经验/",
            "/records/a/b/",
        ] {
            assert_eq!(preview_base(ok), ok);
        }
        for bad in [
            "javascript:alert(1)//",
            "//evil/",
            "/drafts/a\"onload=x/",
            "/other/",
            "/drafts/../x/",
            "/drafts/a",
            "https://x/",
        ] {
            assert_eq!(preview_base(bad), "/records/", "{bad}");
        }
    }
}
