//! The review queue (`/review`) and a submission's page (`/review/{id}`):
//! the diff against the published version, preview, novelty check, and
//! approve or return with a comment.

use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::refuse_non_writer;
use super::i18n::Tr;
use super::pages::Chrome;
use super::pages::record::files_base;
use super::records_api::novelty_hits;
use super::session::Current;
use super::{AppError, AppState};
use crate::publish::{Submission, diff};

#[derive(askama::Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub items: Vec<ReviewItem>,
}

pub struct ReviewItem {
    pub id: String,
    pub title: String,
    pub studio: String,
    pub kind_label: String,
    pub state_label: String,
    pub comment: String,
    pub is_change: bool,
}

fn review_item(tr: Tr, s: &Submission) -> ReviewItem {
    ReviewItem {
        id: s.id.clone(),
        title: s.record.title.clone(),
        studio: s.record.studio.clone(),
        kind_label: tr.label("kind", s.record.kind.as_str()).into_owned(),
        state_label: tr
            .label("review", s.record.review.as_deref().unwrap_or("pending"))
            .into_owned(),
        comment: s.record.review_comment.clone().unwrap_or_default(),
        is_change: s.published.is_some(),
    }
}

/// `GET /review`: staff see every submission, publishers their own.
pub async fn review_list(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, "/review") {
        return Ok(response);
    }
    let tr = chrome.tr;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let items = crate::web::unblock(move || publisher.queue(&viewer))
        .await??
        .iter()
        .map(|s| review_item(tr, s))
        .collect();
    let page = ReviewPage { chrome, items };
    crate::web::pages::render_page(&page)
}

#[derive(askama::Template)]
#[template(path = "review_item.html")]
pub struct ReviewItemPage {
    pub chrome: Chrome,
    pub item: ReviewItem,
    pub diff: Vec<(char, String)>,
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
    let old = submission.published.clone().unwrap_or_default();
    let similar = {
        let (state, current, key) = (state.clone(), current.clone(), id.clone());
        let (title, body) = (submission.record.title.clone(), submission.record.body.clone());
        crate::web::unblock(move || novelty_hits(&state, &current, &title, &body, Some(&key))).await??
    };
    let html = crate::web::pages::render_markdown(submission.record.body.clone(), files_base(&id, ""))
        .await?
        .html
        .clone();
    let page = ReviewItemPage {
        chrome,
        diff: diff(&old, &submission.text),
        html,
        similar,
        attachments: submission.attachments.clone(),
        item: review_item(tr, &submission),
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
    crate::web::unblock(move || match form.action.as_str() {
        "approve" => publisher.approve(&viewer, &target),
        _ => publisher.send_back(&viewer, &target, &form.comment),
    })
    .await??;
    Ok(Redirect::to("/review").into_response())
}
