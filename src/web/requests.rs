//! Adoption requests (申请对接) over HTTP: the form a member fills in from
//! a record's page, the list at `/requests` where the record's studio and
//! staff move requests on, and the same as JSON under `/api/requests`.
//! The rules live in `crate::requests`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::i18n::Tr;
use super::pages::Chrome;
use super::review::studio_name;
use super::session::{Current, csrf_header};
use super::{AppError, AppState, unblock};
use crate::auth::Role;
use crate::requests::{AdoptionRequest, NewRequest, RequestError, Requests, State as RequestState, Transition};

impl From<RequestError> for AppError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Unauthorized => AppError::Unauthorized(e.to_string()),
            RequestError::Forbidden(m) => AppError::Forbidden(m),
            RequestError::NotFound => AppError::NotFound,
            RequestError::Conflict(m) => AppError::Conflict(m),
            RequestError::Invalid(problems) => AppError::Invalid(problems),
            RequestError::Io(io) => crate::publish::PublishError::Io(io).into(),
            RequestError::Search(s) => s.into(),
            RequestError::Publish(p) => p.into(),
        }
    }
}

/// Signed-in viewers only; a visitor is sent to sign in and back.
fn sign_in_first(current: &Current, here: &str) -> Option<Response> {
    matches!(current.viewer.role, Role::Anonymous).then(|| {
        let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    })
}

/// A request as the list shows it.
pub struct RequestView {
    pub id: String,
    pub record: String,
    pub record_title: String,
    pub studio: String,
    pub studio_name: String,
    pub requester: String,
    pub unit: String,
    pub contact: String,
    pub purpose: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub created: String,
    /// Each step: time, who, from → to, note.
    pub steps: Vec<(String, String, &'static str, &'static str, String)>,
    /// The `applied_in` entry proposed, and whether it waits for review.
    pub adoption: Option<(String, i64, bool)>,
    /// The states the viewer may move it to (value, label).
    pub next: Vec<(&'static str, &'static str)>,
    pub can_adopt: bool,
}

/// A request state's name in the interface's language (the Chinese is
/// `State::label`).
fn state_label(tr: Tr, s: RequestState) -> &'static str {
    s.label_in(tr.is_en())
}

fn view(state: &AppState, tr: Tr, viewer: &crate::auth::Viewer, r: &AdoptionRequest) -> RequestView {
    let manage = Requests::may_manage(viewer, r);
    let next: Vec<(&'static str, &'static str)> = match manage {
        true => r
            .state
            .next()
            .iter()
            .map(|s| (s.as_str(), state_label(tr, *s)))
            .collect(),
        false => Vec::new(),
    };
    RequestView {
        id: r.id.clone(),
        record: r.record.clone(),
        record_title: r.record_title.clone(),
        studio: r.studio.clone(),
        studio_name: studio_name(state, &r.studio),
        requester: r.requester.clone(),
        unit: r.unit.clone(),
        contact: r.contact.clone(),
        purpose: r.purpose.clone(),
        state: r.state.as_str(),
        state_label: state_label(tr, r.state),
        created: state.clock.format(r.created),
        steps: r
            .steps
            .iter()
            .map(|s| {
                (
                    state.clock.format(s.time),
                    s.by.clone(),
                    state_label(tr, s.from),
                    state_label(tr, s.to),
                    s.note.clone(),
                )
            })
            .collect(),
        adoption: r.adoption.as_ref().map(|a| (a.project.clone(), a.year, a.pending)),
        can_adopt: next.iter().any(|(s, _)| *s == "adopted"),
        next,
    }
}

#[derive(askama::Template)]
#[template(path = "requests.html")]
pub struct RequestsPage {
    pub chrome: Chrome,
    pub items: Vec<RequestView>,
    /// The state filter (`?state=`), empty for all.
    pub filter: String,
    pub filters: Vec<(&'static str, &'static str, usize)>,
    pub banner: Option<&'static str>,
    pub manages: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub state: String,
    pub done: String,
}

/// `GET /requests`: the requests the viewer may see, by state.
pub async fn list_page(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    if let Some(response) = sign_in_first(&current, &uri.to_string()) {
        return Ok(response);
    }
    let filter = RequestState::parse(&query.state);
    let all = state.requests.list(&current.viewer);
    let filters = RequestState::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                state_label(chrome.tr, *s),
                all.iter().filter(|r| r.state == *s).count(),
            )
        })
        .collect();
    let items = all
        .iter()
        .filter(|r| filter.is_none_or(|f| r.state == f))
        .map(|r| view(&state, chrome.tr, &current.viewer, r))
        .collect();
    let banner = match query.done.as_str() {
        "created" => Some(chrome.tr.t("request_done_created")),
        "state" => Some(chrome.tr.t("request_done_state")),
        "adopted" => Some(chrome.tr.t("request_done_adopted")),
        _ => None,
    };
    let page = RequestsPage {
        chrome,
        items,
        filter: filter.map(|f| f.as_str().to_string()).unwrap_or_default(),
        filters,
        banner,
        manages: matches!(current.viewer.role, Role::Staff | Role::Publisher { .. }),
    };
    super::pages::render_page(&page)
}

#[derive(askama::Template)]
#[template(path = "request_form.html")]
pub struct RequestFormPage {
    pub chrome: Chrome,
    pub record: String,
    pub record_title: String,
    pub studio_name: String,
    pub unit: String,
    pub contact: String,
    pub purpose: String,
    pub errors: Vec<(String, String)>,
}

impl RequestFormPage {
    pub fn error_for(&self, field: &str) -> String {
        super::form::error_for(&self.errors, field)
    }

    pub fn aria(&self, field: &str) -> String {
        super::form::aria(&self.errors, field)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    pub record: String,
}

/// `GET /requests/new?record=ID`: the 申请对接 form.
pub async fn form_page(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    if let Some(response) = sign_in_first(&current, &uri.to_string()) {
        return Ok(response);
    }
    let new = NewRequest {
        record: query.record,
        ..NewRequest::default()
    };
    form_response(&state, &current, chrome, new, Vec::new(), StatusCode::OK).await
}

async fn form_response(
    state: &AppState,
    current: &Current,
    chrome: Chrome,
    new: NewRequest,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (engine, viewer, id) = (state.engine.clone(), current.viewer.clone(), new.record.clone());
    let card = unblock(move || engine.locate(&id, &viewer))
        .await??
        .ok_or(AppError::NotFound)?
        .card;
    let page = RequestFormPage {
        chrome,
        record: card.id,
        record_title: card.title,
        studio_name: studio_name(state, &card.studio),
        unit: new.unit,
        contact: new.contact,
        purpose: new.purpose,
        errors,
    };
    let mut response = super::pages::render_page(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewForm {
    pub record: String,
    pub unit: String,
    pub contact: String,
    pub purpose: String,
    pub csrf: String,
}

/// `POST /requests`: the form's submit; its errors come back beside the
/// fields with 422.
pub async fn form_submit(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    axum::Form(form): axum::Form<NewForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let new = NewRequest {
        record: form.record,
        unit: form.unit,
        contact: form.contact,
        purpose: form.purpose,
    };
    let (st, viewer, asked) = (state.clone(), current.viewer.clone(), new.clone());
    match unblock(move || st.requests.create(&st.engine, &viewer, &asked)).await? {
        Ok(_) => Ok(Redirect::to("/requests?done=created").into_response()),
        Err(RequestError::Invalid(problems)) => {
            let errors = problems.into_iter().map(|p| (p.field, p.message)).collect();
            form_response(&state, &current, chrome, new, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StateForm {
    pub state: String,
    pub note: String,
    pub project: String,
    pub year: String,
    pub applied_note: String,
    pub csrf: String,
}

/// `POST /requests/{id}/state`: the list's buttons.
pub async fn state_submit(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StateForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let change = Transition {
        state: form.state,
        note: form.note,
        project: form.project,
        year: form.year,
        applied_note: form.applied_note,
    };
    let done = move_on(&state, &current, id, change).await?;
    let done = match done.adoption.as_ref().is_some_and(|a| a.pending) && done.state == RequestState::Adopted {
        true => "adopted",
        false => "state",
    };
    Ok(Redirect::to(&format!("/requests?done={done}")).into_response())
}

async fn move_on(
    state: &AppState,
    current: &Current,
    id: String,
    change: Transition,
) -> Result<AdoptionRequest, AppError> {
    let (st, viewer) = (state.clone(), current.viewer.clone());
    Ok(unblock(move || st.requests.transition(&st.publisher, &viewer, &id, &change)).await??)
}

/// A JSON body, or a 400 that says what is wrong with it.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("请求内容不是有效的 JSON 对象：{e}")))
}

/// `GET /api/requests`: `{"requests": […]}`, what the viewer may see.
pub async fn api_list(State(state): State<AppState>, current: Current) -> Result<Response, AppError> {
    if matches!(current.viewer.role, Role::Anonymous) {
        return Err(RequestError::Unauthorized.into());
    }
    let items = state.requests.list(&current.viewer);
    Ok(Json(serde_json::json!({ "total": items.len(), "requests": items })).into_response())
}

/// `POST /api/requests` `{"record","unit","contact","purpose"}`: 201 with
/// the request.
pub async fn api_create(
    State(state): State<AppState>,
    current: Current,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let new: NewRequest = json_body(&body)?;
    let (st, viewer) = (state.clone(), current.viewer.clone());
    let created = unblock(move || st.requests.create(&st.engine, &viewer, &new)).await??;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/requests/{id}` and `POST /api/requests/{id}/state`
/// (`{"state","note","project","year","applied_note"}`) share the
/// route's tail.
pub async fn api_get(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(state.requests.get(&current.viewer, &id)?).into_response())
}

pub async fn api_state(
    State(state): State<AppState>,
    current: Current,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let change: Transition = json_body(&body)?;
    let done = move_on(&state, &current, id, change).await?;
    Ok(Json(done).into_response())
}
