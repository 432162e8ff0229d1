//! JSON routes: search, record, suggestions, similar records, health.
//! Index lookups and rendering run off the async workers (`unblock`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::i18n::{Lang, Tr};
use super::session::Current;
use super::{AppError, AppState, params};
use crate::search::{Hit, SearchResults};

#[derive(Serialize)]
struct SearchBody<'a> {
    total: usize,
    took_ms: f64,
    page: usize,
    per_page: usize,
    hits: &'a [Hit],
    facets: BTreeMap<&'static str, BTreeMap<&'a str, u64>>,
    /// How many distinct values each facet has among the matches; `facets`
    /// holds only the most frequent (`facet_limit=`) and the selected ones.
    facet_totals: BTreeMap<&'static str, usize>,
    notices: Vec<String>,
}

fn search_body<'a>(results: &'a SearchResults, tr: Tr) -> SearchBody<'a> {
    SearchBody {
        total: results.total,
        took_ms: (results.took_ms * 100.0).round() / 100.0,
        page: results.page,
        per_page: results.per_page,
        hits: &results.hits,
        facets: results
            .facets
            .iter()
            .map(|f| (f.field.name(), f.values.iter().map(|(k, n)| (k.as_str(), *n)).collect()))
            .collect(),
        facet_totals: results.facets.iter().map(|f| (f.field.name(), f.distinct)).collect(),
        notices: results.notices.iter().map(|n| tr.notice(n)).collect(),
    }
}

pub async fn search(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let request = params::search_request(query.as_deref());
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let results = super::unblock(move || engine.search(&request, &viewer)).await??;
    Ok(Json(search_body(&results, Tr::new(lang))).into_response())
}

pub async fn record(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let (record, located) = super::unblock(move || engine.read_record(&id, &viewer))
        .await??
        .ok_or(AppError::NotFound)?;
    let base = super::pages::record::files_base(&record.id, &located.rel);
    let rendered = super::pages::render_markdown(record.body.clone(), base).await?;
    let mut value = serde_json::to_value(&record).map_err(anyhow::Error::from)?;
    if let Value::Object(map) = &mut value {
        map.insert("html".into(), Value::String(rendered.html.clone()));
        map.insert("url".into(), Value::String(format!("/records/{}", record.id)));
        map.insert("studio_name".into(), Value::String(located.card.studio_name.clone()));
    }
    Ok(Json(value))
}

pub async fn suggest(
    State(state): State<AppState>,
    current: Current,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AppError> {
    let q = params::search_request(query.as_deref()).q;
    let suggestions = {
        let (engine, q) = (state.engine.clone(), q.clone());
        super::unblock(move || engine.suggest(&q, &current.viewer, 8)).await??
    };
    let items: Vec<Value> = suggestions
        .into_iter()
        .map(|c| json!({"id": c.id, "title": c.title, "kind": c.kind, "url": format!("/records/{}", c.id)}))
        .collect();
    Ok(Json(json!({ "q": q, "suggestions": items })))
}

pub async fn similar(
    State(state): State<AppState>,
    current: Current,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AppError> {
    let id = query
        .as_deref()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "id")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| AppError::BadRequest("缺少参数 id（记录编号）".into()))?;
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let wanted = id.clone();
    let hits = super::unblock(move || -> Result<_, AppError> {
        if engine.locate(&wanted, &viewer)?.is_none() {
            return Err(AppError::NotFound);
        }
        Ok(engine.similar(&wanted, &viewer, 5)?)
    })
    .await??;
    Ok(Json(json!({ "id": id, "hits": hits })))
}

/// 200 when the index is open and can take writes; 503 with the reason
/// when its folder was deleted or damaged under the running server (it is
/// then being rebuilt from the files, see `Engine::ensure_writable`).
pub async fn health(State(state): State<AppState>) -> Response {
    let engine = state.engine.clone();
    let checked = super::unblock(move || engine.ensure_writable().map(|()| engine.num_docs())).await;
    match checked {
        Ok(Ok(records)) => (StatusCode::OK, Json(json!({"status": "ok", "records": records}))).into_response(),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "error": e.to_string()})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
