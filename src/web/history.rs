//! A record's version history (`/history/{id}`), each version shown only
//! to those who could see it when it was written, with its diff.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::pages::Chrome;
use super::session::Current;
use super::{AppError, AppState};

#[derive(askama::Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub versions: Vec<(usize, String, String, String)>,
    pub shown: Option<usize>,
    pub diff: Vec<(char, String)>,
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
                    .and_then(|v| history.text(&key, v.n))
                    .unwrap_or_default();
                crate::publish::diff(&before, &history.text(&key, n).unwrap_or_default())
            }
            None => Vec::new(),
        };
        Ok((record, versions, shown, diff))
    })
    .await??;
    let tr = chrome.tr;
    let page = HistoryPage {
        chrome,
        id: id.clone(),
        title: record.title,
        versions: versions
            .iter()
            .rev()
            .map(|v| {
                (
                    v.n,
                    format_time(v.time),
                    v.author.clone(),
                    tr.label("action", &v.action).into_owned(),
                )
            })
            .collect(),
        shown,
        diff,
    };
    crate::web::pages::render_page(&page)
}

/// UTC time as `YYYY-MM-DD HH:MM UTC`.
fn format_time(secs: u64) -> String {
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_readable() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13 UTC");
    }
}
