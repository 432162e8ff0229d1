//! Atom feeds over HTTP: `/feeds/records.atom` (filters as query
//! parameters), `/feeds/alliances/{id}.atom`, `/feeds/studios/{id}.atom`,
//! `/feeds/kinds/{kind}.atom`, a saved search as `/search.atom?q=…`, and
//! open problems as `/feeds/problems.atom?alliance=` or
//! `/feeds/alliances/{id}/problems.atom`. What they hold, always as a
//! visitor sees it, is `crate::feeds`'s; this file names them and finds
//! the site's address for their links.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::params;
use super::{AppError, AppState, unblock};
use crate::feeds::{self, Item, Meta};
use crate::search::{FacetField, SearchRequest};

/// The site's address for links: `--public-url` when set, else the
/// address the reader used (https when served with secure cookies).
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The query string of a search's words and filters, in a fixed order
/// (the feed's id must not change with the order of parameters).
fn search_query(request: &SearchRequest) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !request.q.trim().is_empty() {
        out.append_pair("q", request.q.trim());
    }
    for (field, values) in &request.filters {
        let mut values = values.clone();
        values.sort();
        for v in values {
            out.append_pair(field.name(), &v);
        }
    }
    out.finish()
}

/// The feed of a search page: its words and filters, not its page or sort.
pub fn search_feed_url(request: &SearchRequest) -> String {
    match search_query(request) {
        q if q.is_empty() => "/search.atom".to_string(),
        q => format!("/search.atom?{q}"),
    }
}

fn with_query(path: &str, query: &str) -> String {
    match query.is_empty() {
        true => path.to_string(),
        false => format!("{path}?{query}"),
    }
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    title: String,
    path: String,
    page: String,
    items: Vec<Item>,
) -> Result<Response, AppError> {
    let base = base_url(state, headers);
    let meta = Meta {
        id: format!("urn:zhihui:feed:{path}"),
        title,
        self_url: format!("{base}{path}"),
        page_url: format!("{base}{page}"),
    };
    let label = |field: &str, value: &str| {
        crate::content::spec::choice_label(field, value, false)
            .unwrap_or(value)
            .to_string()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let xml = feeds::write(&meta, &items, &base, &label, now);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

async fn records(state: &AppState, request: SearchRequest) -> Result<Vec<Item>, AppError> {
    let st = state.clone();
    Ok(unblock(move || feeds::recent_records(&st.engine, st.publisher.history(), &request)).await??)
}

/// `GET /search.atom?q=…&…filters`: a saved search.
pub async fn search_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let request = params::search_request(query.as_deref());
    let q = search_query(&request);
    let title = match request.q.trim() {
        "" => "智汇 · 搜索 · 最新结果".to_string(),
        words => format!("智汇 · 搜索“{words}” · 最新结果"),
    };
    let path = with_query("/search.atom", &q);
    let page = with_query("/search", &q);
    let items = records(&state, request).await?;
    answer(&state, &headers, title, path, page, items).await
}

/// `GET /feeds/records.atom?alliance=&studio=&kind=`: new and changed
/// records, all or filtered.
pub async fn records_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let mut request = params::search_request(query.as_deref());
    request.q.clear();
    // As under /feeds/{area}/{id}.atom: an unknown name is no feed, not an
    // empty one a reader would follow in vain.
    {
        let snapshot = state.engine.snapshot();
        let known = |field: &FacetField, value: &String| match field {
            FacetField::Alliance => snapshot.profiles.alliances.contains_key(value),
            FacetField::Studio => snapshot.profiles.studios.contains_key(value),
            FacetField::Kind => crate::content::Kind::parse(value).is_some(),
            _ => true,
        };
        if request
            .filters
            .iter()
            .any(|(field, values)| values.iter().any(|v| !known(field, v)))
        {
            return Err(AppError::NotFound);
        }
    }
    let names = filter_names(&state, &request);
    let title = match names.is_empty() {
        true => "智汇 · 最新记录".to_string(),
        false => format!("智汇 · {} · 最新记录", names.join(" · ")),
    };
    let q = search_query(&request);
    let path = with_query("/feeds/records.atom", &q);
    let page = with_query("/search", &q);
    let items = records(&state, request).await?;
    answer(&state, &headers, title, path, page, items).await
}

/// The Chinese names of a request's filters, for a feed's title.
fn filter_names(state: &AppState, request: &SearchRequest) -> Vec<String> {
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    request
        .filters
        .iter()
        .flat_map(|(field, values)| values.iter().map(move |v| (*field, v)))
        .map(|(field, value)| match field {
            FacetField::Alliance => profiles.alliances.get(value).map_or(value.clone(), |a| a.name.clone()),
            FacetField::Studio => profiles.studios.get(value).map_or(value.clone(), |s| s.name.clone()),
            other => crate::content::spec::choice_label(other.name(), value, false)
                .unwrap_or(value)
                .to_string(),
        })
        .collect()
}

/// `GET /feeds/{alliances|studios|kinds}/{id}.atom`.
pub async fn area_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((area, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = file.strip_suffix(".atom").ok_or(AppError::NotFound)?.to_string();
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let (field, name, page) = match area.as_str() {
        "alliances" => {
            let a = profiles.alliances.get(&id).ok_or(AppError::NotFound)?;
            (
                FacetField::Alliance,
                a.name.clone(),
                format!("/alliances/{}", feeds::encode_path(&id)),
            )
        }
        "studios" => {
            let s = profiles.studios.get(&id).ok_or(AppError::NotFound)?;
            (
                FacetField::Studio,
                s.name.clone(),
                format!("/studios/{}", feeds::encode_path(&id)),
            )
        }
        "kinds" => {
            crate::content::Kind::parse(&id).ok_or(AppError::NotFound)?;
            let label = crate::content::spec::choice_label("kind", &id, false)
                .unwrap_or(&id)
                .to_string();
            (
                FacetField::Kind,
                label,
                format!("/search?kind={}", feeds::encode_path(&id)),
            )
        }
        _ => return Err(AppError::NotFound),
    };
    let request = SearchRequest::filtered(field, &id);
    let path = format!("/feeds/{area}/{}.atom", feeds::encode_path(&id));
    let items = records(&state, request).await?;
    answer(&state, &headers, format!("智汇 · {name} · 最新记录"), path, page, items).await
}

/// `GET /feeds/problems.atom?alliance=`: open problems, all or of one
/// alliance.
pub async fn problems_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let alliance = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, v)| k == "alliance" && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    });
    problems(state, headers, alliance).await
}

/// `GET /feeds/alliances/{id}/problems.atom`.
pub async fn area_problems_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((area, id, file)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    if area != "alliances" || file != "problems.atom" {
        return Err(AppError::NotFound);
    }
    problems(state, headers, Some(id)).await
}

async fn problems(state: AppState, headers: HeaderMap, alliance: Option<String>) -> Result<Response, AppError> {
    let name = match &alliance {
        Some(id) => Some(
            state
                .engine
                .snapshot()
                .profiles
                .alliances
                .get(id)
                .map(|a| a.name.clone())
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let (title, path, page) = match (&alliance, name) {
        (Some(id), Some(name)) => (
            format!("智汇 · {name} · 待解决难题"),
            format!("/feeds/alliances/{}/problems.atom", feeds::encode_path(id)),
            format!("/search?kind=problem&alliance={}", feeds::encode_path(id)),
        ),
        _ => (
            "智汇 · 待解决难题".to_string(),
            "/feeds/problems.atom".to_string(),
            "/search?kind=problem".to_string(),
        ),
    };
    let st = state.clone();
    let items =
        unblock(move || feeds::open_problems(&st.engine, st.publisher.history(), alliance.as_deref())).await??;
    answer(&state, &headers, title, path, page, items).await
}
