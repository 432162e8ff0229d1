//! The review queue (`/review`) and a submission's page (`/review/{id}`):
//! the diff against the published version, preview, novelty check, and
//! approve or return with a comment.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::changes::{FieldChange, Hunk, body_hunks, field_changes};
use super::form::refuse_non_writer;
use super::i18n::Tr;
use super::pages::Chrome;
use super::records_api::novelty_hits;
use super::session::Current;
use super::{AppError, AppState};
use crate::publish::Submission;

#[derive(askama::Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub items: Vec<ReviewItem>,
    /// What was just done, said in a banner (`?done=`).
    pub banner: Option<Banner>,
}

/// A confirmation after a review action: its words and the record it was
/// about, when the viewer may still open it.
pub struct Banner {
    pub text: &'static str,
    pub link: Option<(String, String)>,
}

/// The words of a `?done=` banner; anything else says nothing, so no
/// link can make the page say what did not happen.
pub fn banner_text(tr: Tr, done: &str) -> Option<&'static str> {
    let key = match done {
        "approved" => "done_approved",
        "returned" => "done_returned",
        "submitted" => "done_submitted",
        "submitted_change" => "done_submitted_change",
        "published" => "done_published",
        _ => return None,
    };
    Some(tr.t(key))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    pub done: String,
    pub id: String,
}

pub struct ReviewItem {
    pub id: String,
    pub title: String,
    /// The studio's name (its id when it has no profile).
    pub studio: String,
    pub studio_id: String,
    /// When it was submitted, Beijing time.
    pub submitted: String,
    pub kind_label: String,
    pub state_label: String,
    pub comment: String,
    pub is_change: bool,
}

fn review_item(state: &AppState, tr: Tr, s: &Submission) -> ReviewItem {
    let submitted = state
        .publisher
        .history()
        .versions(&s.id)
        .iter()
        .rev()
        .find(|v| v.etag == s.etag)
        .map(|v| state.clock.format(v.time))
        .unwrap_or_default();
    ReviewItem {
        id: s.id.clone(),
        title: s.record.title.clone(),
        studio: studio_name(state, &s.record.studio),
        studio_id: s.record.studio.clone(),
        submitted,
        kind_label: tr.label("kind", s.record.kind.as_str()).into_owned(),
        state_label: tr
            .label("review", s.record.review.as_deref().unwrap_or("pending"))
            .into_owned(),
        comment: s.record.review_comment.clone().unwrap_or_default(),
        is_change: s.published.is_some(),
    }
}

/// A studio's name from its profile, else its id.
pub(super) fn studio_name(state: &AppState, id: &str) -> String {
    state
        .engine
        .snapshot()
        .profiles
        .studios
        .get(id)
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// `GET /review`: staff see every submission, publishers their own.
pub async fn review_list(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, "/review") {
        return Ok(response);
    }
    let tr = chrome.tr;
    let done_text = banner_text(tr, &done.done);
    let (state2, viewer) = (state.clone(), current.viewer.clone());
    let (items, link) = crate::web::unblock(move || -> Result<_, AppError> {
        let items: Vec<ReviewItem> = state2
            .publisher
            .queue(&viewer)?
            .iter()
            .map(|s| review_item(&state2, tr, s))
            .collect();
        // The record the banner is about, if the viewer may open it.
        let link = match done_text {
            None => None,
            Some(_) => state2
                .engine
                .locate(&done.id, &viewer)?
                .map(|l| (l.card.title, format!("/records/{}", done.id))),
        };
        Ok((items, link))
    })
    .await??;
    let banner = done_text.map(|text| Banner { text, link });
    let page = ReviewPage { chrome, items, banner };
    crate::web::pages::render_page(&page)
}

#[derive(askama::Template)]
#[template(path = "review_item.html")]
pub struct ReviewItemPage {
    pub chrome: Chrome,
    pub item: ReviewItem,
    /// Changed fields (every given field for a new record).
    pub fields: Vec<FieldChange>,
    /// The body's changed lines, by hunk.
    pub hunks: Vec<Hunk>,
    /// A change to a published record (else a new record).
    pub is_change: bool,
    pub html: String,
    pub similar: Vec<(String, String, u32)>,
    /// Attachments that wait for approval with this submission.
    pub attachments: Vec<String>,
}

pub async fn review_show(
    State(state): State<AppState>,
    current: Current,
    OriginalUri(uri): OriginalUri,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, &uri.to_string()) {
        return Ok(response);
    }
    let tr = chrome.tr;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    let submission = crate::web::unblock(move || publisher.submission(&viewer, &key))
        .await??
        .ok_or(AppError::NotFound)?;
    let similar = {
        let (state, current, key) = (state.clone(), current.clone(), id.clone());
        let (title, body) = (submission.record.title.clone(), submission.record.body.clone());
        crate::web::unblock(move || novelty_hits(&state, &current, &title, &body, Some(&key))).await??
    };
    // Relative images resolve to the record's own files, those waiting
    // with the submission included (`files::review_file`).
    let html = crate::web::pages::render_markdown(submission.record.body.clone(), format!("/review-files/{id}/"))
        .await?
        .html
        .clone();
    let known = state.engine.snapshot().profiles.known_ids(None);
    let published = submission
        .published
        .as_deref()
        .and_then(|text| crate::content::parse_document(&id, text, &known).ok())
        .and_then(|(doc, _)| match doc {
            crate::content::Document::Record(r) => Some(*r),
            _ => None,
        });
    let name = |studio: &str| studio_name(&state, studio);
    let fields = field_changes(tr, published.as_ref(), &submission.record, &name, false);
    // A new record's body is the preview below, not a diff.
    let hunks = published
        .as_ref()
        .map(|p| body_hunks(&p.body, &submission.record.body))
        .unwrap_or_default();
    let attachments = submission.attachments.clone();
    let item = crate::web::unblock({
        let state = state.clone();
        move || review_item(&state, tr, &submission)
    })
    .await?;
    let page = ReviewItemPage {
        chrome,
        is_change: item.is_change,
        fields,
        hunks,
        html,
        similar,
        attachments,
        item,
    };
    crate::web::pages::render_page(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    pub action: String,
    pub comment: String,
    pub csrf: String,
}

pub async fn review_submit(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let target = id.clone();
    let approve = form.action == "approve";
    crate::web::unblock(move || {
        if approve {
            publisher.approve(&viewer, &target, &form.comment)
        } else {
            publisher.send_back(&viewer, &target, &form.comment)
        }
    })
    .await??;
    let done = if approve { "approved" } else { "returned" };
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Ok(Redirect::to(&format!("/review?done={done}&id={id}")).into_response())
}
