//! The patent watch (`/patents`), its JSON (`/api/patents`) and its
//! calendar feed (`/patents.ics`): annual fees due, terms ending and
//! applications pending long (`crate::patents`). Staff watch every
//! studio, a publisher their own; members and visitors have no watch
//! (403 / 401). A calendar app cannot sign in, so the feed also takes a
//! read-only feed token in its URL (`?token=`, made with `zhihui token new
//! NAME --feed`); an API token is refused there, so a token that can write
//! never ends up in a calendar's settings.

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Viewer;
use crate::patents::{self, MAX_DAYS, Watch, WatchOptions, Watched};
use crate::web::i18n::Tr;
use crate::web::session::Current;
use crate::web::{AppError, AppState};

use super::{Chrome, render_page};

/// The watch's URL parameters.
struct WatchParams {
    options: WatchOptions,
    token: Option<String>,
}

fn watch_params(query: Option<&str>, state: &AppState) -> Result<WatchParams, AppError> {
    let mut options = WatchOptions::new(patents::today_in_beijing());
    let mut token = None;
    let days = |name: &str, value: &str| -> Result<i64, AppError> {
        value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=MAX_DAYS).contains(d))
            .ok_or_else(|| AppError::BadRequest(format!("{name} 应为 0 到 {MAX_DAYS} 之间的天数，而不是“{value}”")))
    };
    let snapshot = state.engine.snapshot();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim();
        match key.as_ref() {
            "within" => options.within = days("within", value)?,
            "lapse_within" => options.lapse_within = days("lapse_within", value)?,
            "pending_over" => options.pending_over = days("pending_over", value)?,
            "studio" if !value.is_empty() => {
                if !snapshot.profiles.studios.contains_key(value) {
                    return Err(AppError::BadRequest(format!("找不到工作室“{value}”")));
                }
                options.studio = Some(value.to_string());
            }
            "alliance" if !value.is_empty() => {
                if !snapshot.profiles.alliances.contains_key(value) {
                    return Err(AppError::BadRequest(format!("找不到联盟“{value}”")));
                }
                options.alliance = Some(value.to_string());
            }
            "token" => token = Some(value.to_string()),
            _ => {}
        }
    }
    Ok(WatchParams { options, token })
}

/// Refuses a viewer without a watch: a visitor is asked to sign in.
fn check_scope(viewer: &Viewer) -> Result<(), AppError> {
    match patents::scope(viewer) {
        Some(_) => Ok(()),
        None if viewer.name.is_none() => Err(AppError::Unauthorized(
            "请先登录：专利提醒供工会工作人员和各工作室的发布人使用".into(),
        )),
        None => Err(AppError::Forbidden(
            "专利提醒仅供工会工作人员和各工作室的发布人使用".into(),
        )),
    }
}

async fn compute(state: &AppState, viewer: &Viewer, options: WatchOptions) -> Result<Watch, AppError> {
    check_scope(viewer)?;
    let (state, viewer) = (state.clone(), viewer.clone());
    crate::web::unblock(move || -> Result<Watch, AppError> {
        let facts = patents::from_index(&state.engine, &viewer)?;
        let snapshot = state.engine.snapshot();
        Ok(patents::watch(&facts, &snapshot.profiles, &options))
    })
    .await?
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub type_label: String,
    pub status_label: String,
    pub application_no: String,
    pub studio: String,
    pub studio_name: String,
    pub alliances: String,
    pub date: String,
    pub days: i64,
}

/// One of the watch's lists, with the words of its columns.
pub struct Section {
    pub key: &'static str,
    pub date_key: &'static str,
    pub days_key: &'static str,
    pub rows: Vec<Row>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "patents.html")]
pub struct PatentsPage {
    pub chrome: Chrome,
    pub today: String,
    pub within: i64,
    pub lapse_within: i64,
    pub pending_over: i64,
    pub sections: Vec<Section>,
    pub studios: Vec<Choice>,
    pub alliances: Vec<Choice>,
    pub ics_url: String,
}

fn rows(tr: Tr, state: &AppState, list: &[Watched], date: impl Fn(&Watched) -> Option<time::Date>) -> Vec<Row> {
    let snapshot = state.engine.snapshot();
    list.iter()
        .map(|w| Row {
            id: w.id.clone(),
            title: w.title.clone(),
            type_label: tr.label("patent_type", &w.patent_type).into_owned(),
            status_label: tr.label("status", &w.status).into_owned(),
            application_no: w.application_no.clone().unwrap_or_default(),
            studio: w.studio.clone(),
            studio_name: w.studio_name.clone(),
            alliances: w
                .alliances
                .iter()
                .map(|a| {
                    snapshot
                        .profiles
                        .alliances
                        .get(a)
                        .map_or(a.as_str(), |a| a.name.as_str())
                })
                .collect::<Vec<_>>()
                .join("、"),
            date: date(w).map(|d| d.to_string()).unwrap_or_default(),
            days: w.days_left.or(w.days_pending).unwrap_or_default(),
        })
        .collect()
}

pub async fn patents_page(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let tr = chrome.tr;
    let params = watch_params(query.as_deref(), &state)?;
    let options = params.options.clone();
    let watch = compute(&state, &current.viewer, params.options).await?;
    let snapshot = state.engine.snapshot();
    let own = patents::scope(&current.viewer).flatten().map(String::from);
    let studios = snapshot
        .profiles
        .studios
        .values()
        .filter(|s| own.as_ref().is_none_or(|o| *o == s.id))
        .map(|s| Choice {
            value: s.id.clone(),
            label: s.name.clone(),
            selected: options.studio.as_deref() == Some(s.id.as_str()),
        })
        .collect();
    let alliances = snapshot
        .profiles
        .alliances
        .values()
        .map(|a| Choice {
            value: a.id.clone(),
            label: a.name.clone(),
            selected: options.alliance.as_deref() == Some(a.id.as_str()),
        })
        .collect();
    let mut ics = form_urlencoded::Serializer::new(String::new());
    if let Some(s) = &options.studio {
        ics.append_pair("studio", s);
    }
    if let Some(a) = &options.alliance {
        ics.append_pair("alliance", a);
    }
    let ics = ics.finish();
    render_page(&PatentsPage {
        today: watch.today.to_string(),
        within: watch.within,
        lapse_within: watch.lapse_within,
        pending_over: watch.pending_over,
        sections: vec![
            Section {
                key: "fees_due",
                date_key: "fee_date",
                days_key: "days_left",
                rows: rows(tr, &state, &watch.fees_due, |w| w.next_fee),
            },
            Section {
                key: "lapsing",
                date_key: "term_end",
                days_key: "days_left",
                rows: rows(tr, &state, &watch.lapsing, |w| w.term_end),
            },
            Section {
                key: "long_pending",
                date_key: "filing_date",
                days_key: "days_pending",
                rows: rows(tr, &state, &watch.long_pending, |w| w.filing_date),
            },
        ],
        studios,
        alliances,
        ics_url: if ics.is_empty() {
            "/patents.ics".into()
        } else {
            format!("/patents.ics?{ics}")
        },
        chrome,
    })
}

/// `/api/patents?within=&lapse_within=&pending_over=&studio=&alliance=`.
pub async fn api_patents(
    State(state): State<AppState>,
    current: Current,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params = watch_params(query.as_deref(), &state)?;
    let watch = compute(&state, &current.viewer, params.options).await?;
    Ok(Json(watch).into_response())
}

/// `/patents.ics`: the viewer is the feed token's account when `token` is
/// given (anything but a valid feed token is 401), else whoever signed
/// in or sent a bearer token.
pub async fn patents_ics(
    State(state): State<AppState>,
    current: Current,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params = watch_params(query.as_deref(), &state)?;
    let viewer = match &params.token {
        Some(token) => state.accounts.verify_feed_token(token).ok_or_else(|| {
            AppError::Unauthorized("订阅令牌无效或已撤销（需用 zhihui token new … --feed 生成）".into())
        })?,
        None => current.viewer.clone(),
    };
    let watch = compute(&state, &viewer, params.options).await?;
    // Events link back to this server as the calendar app reached it.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies { "https" } else { "http" };
    let label = |field: &str, value: &str| {
        crate::content::spec::choice_label(field, value, false)
            .unwrap_or(value)
            .to_string()
    };
    let body = patents::calendar(&watch, &format!("{scheme}://{host}"), &label);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"zhihui-patents.ics\""),
        ],
        body,
    )
        .into_response())
}
