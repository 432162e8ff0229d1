//! Files of page bundles: serving a visible bundle's files beside the
//! record (`/records/{id}/{name}`, reached through the record route) and
//! attaching files, by the API (`PUT /api/files/…`) or the record page's
//! upload form (`POST /upload/{id}`), and the files of a publishing
//! form's draft (`/drafts/…`, `publish::drafts`). Writes go through
//! `publish::Publisher`.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::session::{Current, csrf_header};
use super::{AppError, AppState};
use crate::auth::Viewer;
use crate::publish::PublishError;

pub(super) use crate::content::load::bundle_files as list_files;

/// A file of a visible page bundle, e.g. `/records/t/b/diagram.png`.
pub(super) fn bundle_file(state: &AppState, viewer: &Viewer, path: &str) -> Result<Response, AppError> {
    let (id, name) = path.rsplit_once('/').ok_or(AppError::NotFound)?;
    let located = state.engine.locate(id, viewer)?.ok_or(AppError::NotFound)?;
    let dir = crate::content::load::bundle_dir(state.engine.content_root(), &located.rel).ok_or(AppError::NotFound)?;
    if !list_files(&dir).iter().any(|n| n == name) {
        return Err(AppError::NotFound);
    }
    file_response(name, std::fs::read(dir.join(name)).map_err(|_| AppError::NotFound)?)
}

/// `GET /review-files/{id}/{name}`: a file of a record as its reviewers
/// see it: the bundle's, or one waiting for review with a submission.
/// Only for staff and the record's studio (who may follow the
/// submission); the review page's images resolve here, so they show
/// before approval, while `/records/…` serves only published files.
pub async fn review_file(
    State(state): State<AppState>,
    current: Current,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    crate::web::unblock(move || reviewer_file(&state, &current.viewer, &path)).await?
}

/// A published or waiting file of a record, for its studio and staff.
fn reviewer_file(state: &AppState, viewer: &Viewer, path: &str) -> Result<Response, AppError> {
    let (id, name) = path.rsplit_once('/').ok_or(AppError::NotFound)?;
    let located = state.engine.locate(id, viewer)?.ok_or(AppError::NotFound)?;
    let may_follow = match &viewer.role {
        crate::auth::Role::Staff => true,
        crate::auth::Role::Publisher { studio } => *studio == located.card.studio,
        _ => false,
    };
    if !may_follow {
        return Err(AppError::NotFound);
    }
    let dir = crate::content::load::bundle_dir(state.engine.content_root(), &located.rel).ok_or(AppError::NotFound)?;
    let waiting = dir.join(crate::publish::PENDING_FILES);
    let found = [dir, waiting]
        .into_iter()
        .find(|d| list_files(d).iter().any(|n| n == name))
        .ok_or(AppError::NotFound)?;
    file_response(name, std::fs::read(found.join(name)).map_err(|_| AppError::NotFound)?)
}

/// A file's bytes served by its extension: images, PDF and text shown,
/// anything else sent as a download, never able to run script.
pub(super) fn file_response(name: &str, bytes: Vec<u8>) -> Result<Response, AppError> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (content_type, inline) = match extension.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "pdf" => ("application/pdf", true),
        "txt" | "csv" => ("text/plain; charset=utf-8", true),
        // SVG and everything else could carry script: download only.
        _ => ("application/octet-stream", false),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    if !inline {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(response)
}

/// `PUT /api/files/{id}/{name}`: a file for the record's page bundle.
pub async fn put_file(
    State(state): State<AppState>,
    current: Current,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let (id, name) = path
        .rsplit_once('/')
        .ok_or_else(|| AppError::BadRequest("路径应为 /api/files/记录编号/文件名".into()))?;
    let bytes = to_bytes(body, crate::publish::MAX_ATTACHMENT_BYTES)
        .await
        .map_err(|_| PublishError::TooLarge(crate::publish::MAX_ATTACHMENT_BYTES / 1024 / 1024))?;
    let (publisher, viewer, id2, name) = (
        state.publisher.clone(),
        current.viewer.clone(),
        id.to_string(),
        name.to_string(),
    );
    let stored = crate::web::unblock(move || publisher.attach(&viewer, &id2, &name, &bytes)).await??;
    let url = format!("/records/{id}/{stored}");
    Ok((StatusCode::CREATED, Json(json!({ "name": stored, "url": url }))).into_response())
}

/// `POST /upload/{id}`: the record page's upload form (multipart).
pub async fn upload_form(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (csrf, file) = read_upload(multipart).await?;
    current.check_csrf(Some(&csrf))?;
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest("请选择要上传的文件".into()))?;
    let (publisher, viewer, target) = (state.publisher.clone(), current.viewer.clone(), id.clone());
    crate::web::unblock(move || publisher.attach(&viewer, &target, &name, &bytes)).await??;
    Ok(Redirect::to(&format!("/records/{id}")).into_response())
}

/// `POST /api/drafts/{draft}` (multipart: `file`, `csrf`): a file chosen in
/// the publishing form, kept in the form's draft until it is submitted.
/// Answers its name and the URL the preview finds it at.
pub async fn upload_draft(
    State(state): State<AppState>,
    current: Current,
    Path(draft): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (csrf, file) = read_upload(multipart).await?;
    current.check_csrf(Some(&csrf))?;
    let owner = current
        .viewer
        .name
        .clone()
        .ok_or_else(|| AppError::Unauthorized("请先登录".into()))?;
    if !matches!(
        current.viewer.role,
        crate::auth::Role::Publisher { .. } | crate::auth::Role::Staff
    ) {
        return Err(PublishError::Forbidden("成员账号只能查看，不能发布".into()).into());
    }
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest("请选择要上传的文件".into()))?;
    let (publisher, draft2) = (state.publisher.clone(), draft.clone());
    let stored = crate::web::unblock(move || publisher.drafts().add(&owner, &draft2, &name, &bytes)).await??;
    let url = format!("/drafts/{draft}/_/{stored}");
    Ok((StatusCode::CREATED, Json(json!({ "name": stored, "url": url }))).into_response())
}

/// `GET /drafts/{draft}/{id}/{name}`: a file of the viewer's own form
/// draft, else the record's own file of that name (as its reviewers see
/// it), so a preview shows files added and files kept alike.
pub async fn draft_file(
    State(state): State<AppState>,
    current: Current,
    Path((draft, path)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let owner = current.viewer.name.clone().ok_or(AppError::NotFound)?;
    let (id, name) = path.rsplit_once('/').ok_or(AppError::NotFound)?;
    let (id, name) = (id.to_string(), name.to_string());
    crate::web::unblock(move || {
        if let Some(bytes) = state.publisher.drafts().read(&owner, &draft, &name) {
            return file_response(&name, bytes);
        }
        if id == "_" {
            return Err(AppError::NotFound);
        }
        reviewer_file(&state, &current.viewer, &format!("{id}/{name}"))
    })
    .await?
}

/// The `csrf` and `file` parts of an upload form.
async fn read_upload(mut multipart: axum::extract::Multipart) -> Result<(String, Option<(String, Vec<u8>)>), AppError> {
    let too_large = || {
        AppError::from(PublishError::TooLarge(
            crate::publish::MAX_ATTACHMENT_BYTES / 1024 / 1024,
        ))
    };
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| too_large())?,
            Some("file") => {
                let name = field.file_name().unwrap_or("file").to_string();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}
