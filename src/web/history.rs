//! A record's version history (`/history/{id}`), each version shown only
//! to those who could see it when it was written, with its diff.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::changes::{FieldChange, Hunk, body_hunks, field_changes};
use super::pages::Chrome;
use super::session::Current;
use super::{AppError, AppState};

#[derive(askama::Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub versions: Vec<VersionRow>,
    pub shown: Option<usize>,
    /// The shown version's changes against the viewer's previous one.
    pub fields: Vec<FieldChange>,
    pub hunks: Vec<Hunk>,
    pub is_change: bool,
    /// The zone the times are in (北京时间).
    pub zone: String,
}

pub struct VersionRow {
    pub n: usize,
    pub time: String,
    pub author: String,
    pub action: String,
    /// The reviewer's comment on an approval or a return.
    pub comment: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    pub v: Option<usize>,
}

/// `GET /history/{id}`: every version, and a version's diff with the one before.
pub async fn history(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let publisher = state.publisher.clone();
    let engine = state.engine.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    // Only versions the viewer could see when they were written, of a
    // record the viewer may see now; a diff is taken against the
    // viewer's previous version, so it shows nothing of the hidden ones.
    let tr = chrome.tr;
    let names = state.clone();
    let (record, versions, shown, diff) = crate::web::unblock(move || -> Result<_, AppError> {
        let (record, _) = engine.read_record(&key, &viewer)?.ok_or(AppError::NotFound)?;
        let versions = publisher.versions(&viewer, &key);
        let history = publisher.history();
        let shown = query.v.filter(|n| versions.iter().any(|v| v.n == *n));
        let diff = match shown {
            Some(n) => {
                let before = versions
                    .iter()
                    .rev()
                    .find(|v| v.n < n)
                    .and_then(|v| history.text(&key, v.n));
                let after = history.text(&key, n).unwrap_or_default();
                let known = engine.snapshot().profiles.known_ids(None);
                let parse = |text: &str| match crate::content::parse_document(&key, text, &known) {
                    Ok((crate::content::Document::Record(r), _)) => Some(*r),
                    _ => None,
                };
                let name = |studio: &str| super::review::studio_name(&names, studio);
                match (before.as_deref().map(parse), parse(&after)) {
                    // A record's version: its fields and body, as on the review page.
                    (old, Some(new)) => {
                        let old = old.flatten();
                        let fields = field_changes(tr, old.as_ref(), &new, &name, true);
                        let hunks = body_hunks(old.as_ref().map_or("", |r| r.body.as_str()), &new.body);
                        (fields, hunks, before.is_some())
                    }
                    // An attachment's or a deletion's line: the text itself.
                    _ => (Vec::new(), body_hunks(before.as_deref().unwrap_or(""), &after), true),
                }
            }
            None => (Vec::new(), Vec::new(), false),
        };
        Ok((record, versions, shown, diff))
    })
    .await??;
    let (fields, hunks, is_change) = diff;
    let page = HistoryPage {
        chrome,
        id: id.clone(),
        title: record.title,
        versions: versions
            .iter()
            .rev()
            .map(|v| VersionRow {
                n: v.n,
                time: state.clock.format(v.time),
                author: v.author.clone(),
                action: tr.label("action", &v.action).into_owned(),
                comment: v.comment.clone().unwrap_or_default(),
            })
            .collect(),
        shown,
        fields,
        hunks,
        is_change,
        zone: state.clock.label(),
    };
    crate::web::pages::render_page(&page)
}
