//! One facet's values beyond the sidebar's few: `GET /api/facets/{field}`
//! (JSON) and `GET /search/facets/{field}` (the page the sidebar's "更多"
//! link opens, a plain form that works without script). Both take the
//! search's own parameters (`q`, filters), so the values are counted under
//! the same words, filters and visibility, plus `prefix=` (the start of a
//! value or of its shown label, e.g. a studio's name) and `limit=`.

use askama::Template;
use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::i18n::{Lang, Tr};
use super::pages::{Chrome, render_page};
use super::params::{self, Links};
use super::session::Current;
use super::{AppError, AppState};
use crate::search::{FacetField, MAX_FACET_LIMIT, SearchRequest};

/// Values a lookup answers with when no `limit=` is given.
const DEFAULT_LIMIT: usize = 50;

/// What both routes answer.
#[derive(Serialize)]
struct Lookup {
    field: &'static str,
    name: &'static str,
    prefix: String,
    /// Records matching the search.
    total: usize,
    /// Distinct values among them that match the prefix.
    distinct: usize,
    values: Vec<Value>,
}

#[derive(Serialize)]
struct Value {
    value: String,
    label: String,
    count: u64,
}

/// The lookup's own parameters, strictly read: a wrong one is a 400 with
/// a message, not a silent default.
fn lookup_params(query: Option<&str>) -> Result<(String, usize), AppError> {
    let mut prefix = String::new();
    let mut limit = DEFAULT_LIMIT;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "prefix" => prefix = value.trim().to_string(),
            "limit" => {
                limit = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_FACET_LIMIT).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "参数 limit 须为 1 到 {MAX_FACET_LIMIT} 之间的整数，收到“{value}”"
                        ))
                    })?
            }
            _ => {}
        }
    }
    Ok((prefix, limit))
}

fn facet_field(name: &str) -> Result<FacetField, AppError> {
    FacetField::parse(name).ok_or_else(|| {
        let known: Vec<&str> = FacetField::ALL.iter().map(|f| f.name()).collect();
        AppError::BadRequest(format!("未知的分面字段“{name}”，可用的有：{}", known.join("、")))
    })
}

async fn lookup(
    state: &AppState,
    current: &Current,
    tr: Tr,
    field: &str,
    query: Option<&str>,
) -> Result<(SearchRequest, Lookup), AppError> {
    let field = facet_field(field)?;
    let (prefix, limit) = lookup_params(query)?;
    let request = params::search_request(query);
    let (engine, viewer, for_search) = (state.engine.clone(), current.viewer.clone(), request.clone());
    let wanted = prefix.to_lowercase();
    let (total, found, labels) = super::unblock(move || {
        let snapshot = engine.snapshot();
        let label = |value: &str| -> String {
            match field {
                FacetField::Studio => snapshot.profiles.studios.get(value).map(|s| s.name.clone()),
                FacetField::Alliance => snapshot.profiles.alliances.get(value).map(|a| a.name.clone()),
                _ => None,
            }
            .unwrap_or_else(|| tr.label(field.name(), value).into_owned())
        };
        let keep = |value: &str| {
            wanted.is_empty()
                || value.to_lowercase().starts_with(&wanted)
                || label(value).to_lowercase().starts_with(&wanted)
        };
        let (total, found) = engine.facet_values(&for_search, &viewer, field, limit, keep)?;
        let labels: Vec<String> = found.values.iter().map(|(v, _)| label(v)).collect();
        Ok::<_, AppError>((total, found, labels))
    })
    .await??;
    let values = found
        .values
        .into_iter()
        .zip(labels)
        .map(|((value, count), label)| Value { value, label, count })
        .collect();
    let lookup = Lookup {
        field: field.name(),
        name: tr.facet_name(field),
        prefix,
        total,
        distinct: found.distinct,
        values,
    };
    Ok((request, lookup))
}

pub async fn api(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    Path(field): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let (_, found) = lookup(&state, &current, Tr::new(lang), &field, query.as_deref()).await?;
    Ok(Json(found).into_response())
}

pub struct Row {
    label: String,
    count: u64,
    url: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "facets.html")]
pub struct FacetPage {
    chrome: Chrome,
    field: &'static str,
    name: &'static str,
    prefix: String,
    total: usize,
    distinct: usize,
    rows: Vec<Row>,
    /// The search's parameters, kept through the prefix form.
    hidden: Vec<(String, String)>,
    back_url: String,
}

pub async fn page(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(field): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let (request, found) = lookup(&state, &current, tr, &field, query.as_deref()).await?;
    let links = Links { request: &request };
    let field = facet_field(&field)?;
    let rows = found
        .values
        .into_iter()
        .map(|v| Row {
            url: links.toggle(&field, &v.value),
            active: links.is_active(&field, &v.value),
            label: v.label,
            count: v.count,
        })
        .collect();
    let hidden = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "prefix" && k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    render_page(&FacetPage {
        chrome: Chrome::new(lang, &uri, &request.q, &current),
        field: found.field,
        name: found.name,
        prefix: found.prefix,
        total: found.total,
        distinct: found.distinct,
        rows,
        hidden,
        back_url: links.page(&1),
    })
}
