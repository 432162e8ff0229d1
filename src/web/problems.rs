//! The 劳模帮帮团 problem board: `/problems` (the page, with filters and
//! each problem's actions and suggested solutions), `/api/problems` (the
//! same as JSON), `/problems/print` (the A4 list gone through item by item
//! at the alliance meeting, 逐项过堂), the board's forms (`POST
//! /problems/{id}`) and the JSON steps on `/api/records/{id}/help`,
//! `…/accept`, `…/lead`, `…/state` and `…/solve`. The board and its rules
//! are `crate::problems`; every write is `Publisher::problem_step`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::i18n::Tr;
use super::pages::{Chrome, render_page};
use super::session::{Current, csrf_header};
use super::{AppError, AppState};
use crate::auth::{Role, Viewer};
use crate::content::spec::{PRIORITIES, PROBLEM_STATUSES};
use crate::problems::{self, ACTIVE, Board, BoardFilter, BoardItem, StudioRef, Suggestion};
use crate::publish::Step;

/// Problems on the board that get suggested solutions, from the top: each
/// is a similarity search (12 ms in a debug build over the demo), and a
/// problem's own page always shows its suggestions.
const SUGGESTED_ITEMS: usize = 10;
/// Suggested solutions per problem.
const SUGGESTIONS: usize = 3;

/// Reads the board's parameters; an unknown alliance, studio, state or
/// priority is a 400 that says which values there are.
fn board_filter(query: Option<&str>, state: &AppState) -> Result<BoardFilter, AppError> {
    let mut filter = BoardFilter::default();
    let snapshot = state.engine.snapshot();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        let choice = |choices: &[crate::content::Choice], what: &str| -> Result<(), AppError> {
            if crate::content::spec::is_choice(choices, &value) {
                Ok(())
            } else {
                let known: Vec<String> = choices.iter().map(|c| format!("{}（{}）", c.value, c.zh)).collect();
                Err(AppError::BadRequest(format!(
                    "{what}“{value}”无效，可选：{}",
                    known.join("、")
                )))
            }
        };
        match key.as_ref() {
            "alliance" => {
                if !snapshot.profiles.alliances.contains_key(&value) {
                    return Err(AppError::BadRequest(format!("找不到联盟“{value}”")));
                }
                filter.alliances.push(value);
            }
            "state" | "status" if value == "all" => {
                filter.states = PROBLEM_STATUSES.iter().map(|c| c.value.to_string()).collect();
            }
            "state" | "status" => {
                choice(PROBLEM_STATUSES, "状态")?;
                if !filter.states.contains(&value) {
                    filter.states.push(value);
                }
            }
            "priority" => {
                choice(PRIORITIES, "优先级")?;
                filter.priorities.push(value);
            }
            "studio" => {
                if !snapshot.profiles.studios.contains_key(&value) {
                    let suggestion = crate::content::closest(&value, snapshot.profiles.studios.keys())
                        .map(|s| format!("，是否应为“{s}”？"))
                        .unwrap_or_default();
                    return Err(AppError::BadRequest(format!("找不到工作室“{value}”{suggestion}")));
                }
                filter.studio = Some(value);
            }
            "overdue" => {
                filter.overdue = match value.as_str() {
                    "1" | "true" | "on" | "yes" => true,
                    "" | "0" | "false" | "off" | "no" => false,
                    _ => {
                        return Err(AppError::BadRequest(format!(
                            "“只看已逾期”的取值“{value}”无效，应为 1 或 0"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// A problem with what the viewer may do with it and its suggestions.
pub struct ItemView {
    pub item: BoardItem,
    pub state_label: String,
    pub priority_label: String,
    /// A publisher of another studio may offer help.
    pub can_help: bool,
    /// The problem's studio's publisher or staff.
    pub can_manage: bool,
    /// States it may move to now (solved has its own form).
    pub next_states: Vec<(String, String)>,
    /// Studios that may lead: its own and those that offered help.
    pub lead_choices: Vec<StudioRef>,
    /// Offers not yet accepted.
    pub offers: Vec<StudioRef>,
    pub may_solve: bool,
    pub suggestions: Vec<Suggestion>,
}

pub fn item_view(tr: Tr, viewer: &Viewer, item: BoardItem, suggestions: Vec<Suggestion>) -> ItemView {
    let active = ACTIVE.contains(&item.status.as_str());
    let own = viewer.own_studio();
    let can_help = active
        && matches!(viewer.role, Role::Publisher { .. })
        && own.is_some_and(|s| s != item.studio.id && !item.helpers.iter().any(|h| h.studio.id == s));
    let can_manage = match &viewer.role {
        Role::Staff => true,
        Role::Publisher { studio } => *studio == item.studio.id,
        _ => false,
    };
    let has_lead = item.lead.is_some();
    let next_states = PROBLEM_STATUSES
        .iter()
        .filter(|c| c.value != "solved")
        .filter(|c| problems::transition(&item.status, c.value, has_lead).is_ok())
        .map(|c| (c.value.to_string(), tr.label("status", c.value).into_owned()))
        .collect();
    let mut lead_choices = vec![item.studio.clone()];
    lead_choices.extend(item.helpers.iter().map(|h| h.studio.clone()));
    lead_choices.retain(|s| item.lead.as_ref() != Some(s));
    let offers = item
        .helpers
        .iter()
        .filter(|h| !h.accepted)
        .map(|h| h.studio.clone())
        .collect();
    ItemView {
        state_label: tr.label("status", &item.status).into_owned(),
        priority_label: item
            .priority
            .as_deref()
            .map(|p| tr.label("priority", p).into_owned())
            .unwrap_or_default(),
        can_help,
        can_manage: can_manage && (active || item.status == "closed"),
        may_solve: can_manage && problems::transition(&item.status, "solved", has_lead).is_ok(),
        next_states,
        lead_choices,
        offers,
        suggestions,
        item,
    }
}

/// The suggested solutions of an active problem (none for the others).
fn suggest(state: &AppState, viewer: &Viewer, item: &BoardItem, body: &str) -> Result<Vec<Suggestion>, AppError> {
    if !ACTIVE.contains(&item.status.as_str()) {
        return Ok(Vec::new());
    }
    let text = format!("{} {body}", item.summary);
    Ok(problems::suggestions(
        &state.engine,
        viewer,
        &item.id,
        &item.title,
        &text,
        SUGGESTIONS,
    )?)
}

fn compute(state: &AppState, viewer: &Viewer, filter: &BoardFilter) -> Result<(Board, Vec<Vec<Suggestion>>), AppError> {
    let board = problems::board(&state.engine, viewer, filter, problems::today())?;
    let mut suggestions = Vec::new();
    for (n, item) in board.items.iter().enumerate() {
        suggestions.push(if n < SUGGESTED_ITEMS {
            suggest(state, viewer, item, "")?
        } else {
            Vec::new()
        });
    }
    Ok((board, suggestions))
}

#[derive(askama::Template)]
#[template(path = "problems.html")]
pub struct BoardPage {
    pub chrome: Chrome,
    pub overdue: usize,
    pub items: Vec<ItemView>,
    /// (state, label, count, chosen)
    pub states: Vec<(String, String, usize, bool)>,
    /// (id, name, chosen)
    pub alliances: Vec<(String, String, bool)>,
    /// Problems shown per alliance, each a link that filters by it.
    pub by_alliance: Vec<problems::AllianceCount>,
    pub studios: Vec<(String, String, bool)>,
    /// (value, label, chosen)
    pub priorities: Vec<(String, String, bool)>,
    pub overdue_only: bool,
    /// The state chosen in the filter: one state, `all`, or "" (the default).
    pub state_choice: String,
    /// The query, for the print and JSON links.
    pub query: String,
    /// Where the board's forms come back to.
    pub back: String,
    pub banner: Option<&'static str>,
    /// "共 3 项" / "3 problems".
    pub total_text: String,
    /// "（截至 …，北京时间）".
    pub as_of_text: String,
    /// "2 项已逾期" / "2 overdue".
    pub overdue_text: String,
}

/// The words of a `?done=` banner after a step.
fn done_text(tr: Tr, done: &str) -> Option<&'static str> {
    let key = match done {
        "help" => "board_done_help",
        "accept_helper" => "board_done_accept",
        "set_lead" => "board_done_lead",
        "state" => "board_done_state",
        "solve" => "board_done_solve",
        _ => return None,
    };
    Some(tr.t(key))
}

/// "共 3 项" / "3 problems".
fn total_text(tr: Tr, total: usize) -> String {
    match (tr.is_en(), total) {
        (true, 1) => "1 problem".to_string(),
        (true, n) => format!("{n} problems"),
        (false, n) => format!("共 {n} 项"),
    }
}

/// "2 项已逾期" / "2 overdue".
fn overdue_text(tr: Tr, overdue: usize) -> String {
    if tr.is_en() {
        format!("{overdue} overdue")
    } else {
        format!("{overdue} 项已逾期")
    }
}

fn query_value(query: Option<&str>, key: &str) -> String {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `GET /problems`.
pub async fn board_page(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filter = board_filter(query.as_deref(), &state)?;
    let tr = chrome.tr;
    let viewer = current.viewer.clone();
    let (state2, filter2) = (state.clone(), filter.clone());
    let (board, suggestions) = crate::web::unblock(move || compute(&state2, &viewer, &filter2)).await??;
    let snapshot = state.engine.snapshot();
    let chosen_states: Vec<&str> = if filter.states.is_empty() {
        ACTIVE.to_vec()
    } else {
        filter.states.iter().map(String::as_str).collect()
    };
    let states = PROBLEM_STATUSES
        .iter()
        .map(|c| {
            (
                c.value.to_string(),
                tr.label("status", c.value).into_owned(),
                board.by_state.get(c.value).copied().unwrap_or(0),
                chosen_states.contains(&c.value),
            )
        })
        .collect();
    let alliances = snapshot
        .profiles
        .alliances
        .values()
        .map(|a| (a.id.clone(), a.name.clone(), filter.alliances.contains(&a.id)))
        .collect();
    let studios = snapshot
        .profiles
        .studios
        .values()
        .map(|s| {
            (
                s.id.clone(),
                s.name.clone(),
                filter.studio.as_deref() == Some(s.id.as_str()),
            )
        })
        .collect();
    let priorities = PRIORITIES
        .iter()
        .map(|c| {
            (
                c.value.to_string(),
                tr.label("priority", c.value).into_owned(),
                filter.priorities.iter().any(|p| p == c.value),
            )
        })
        .collect();
    let q = query.clone().unwrap_or_default();
    let kept: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(q.as_bytes()).filter(|(k, _)| k != "done" && k != "lang"))
        .finish();
    let items = board
        .items
        .into_iter()
        .zip(suggestions)
        .map(|(item, s)| item_view(tr, &current.viewer, item, s))
        .collect();
    let state_choice = match filter.states.len() {
        1 => filter.states[0].clone(),
        n if n == PROBLEM_STATUSES.len() => "all".to_string(),
        _ => String::new(),
    };
    let page = BoardPage {
        by_alliance: board.by_alliance.clone(),
        state_choice,
        banner: done_text(tr, &query_value(query.as_deref(), "done")),
        total_text: total_text(tr, board.total),
        as_of_text: if tr.is_en() {
            format!("(as of {}, Beijing time)", board.today)
        } else {
            format!("（截至 {}，北京时间）", board.today)
        },
        overdue_text: overdue_text(tr, board.overdue),
        back: if kept.is_empty() {
            "/problems".into()
        } else {
            format!("/problems?{kept}")
        },
        query: kept,
        chrome,
        overdue: board.overdue,
        items,
        states,
        alliances,
        studios,
        priorities,
        overdue_only: filter.overdue,
    };
    render_page(&page)
}

#[derive(Serialize)]
struct ApiItem {
    #[serde(flatten)]
    item: BoardItem,
    status_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority_label: Option<String>,
    suggestions: Vec<Suggestion>,
}

/// `GET /api/problems`: the board as JSON.
pub async fn board_api(
    State(state): State<AppState>,
    current: Current,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, AppError> {
    let filter = board_filter(query.as_deref(), &state)?;
    let viewer = current.viewer.clone();
    let (board, suggestions) = crate::web::unblock(move || compute(&state, &viewer, &filter)).await??;
    let tr = Tr::new(super::i18n::Lang::Zh);
    let items: Vec<ApiItem> = board
        .items
        .into_iter()
        .zip(suggestions)
        .map(|(item, suggestions)| ApiItem {
            status_label: tr.label("status", &item.status).into_owned(),
            priority_label: item.priority.as_deref().map(|p| tr.label("priority", p).into_owned()),
            item,
            suggestions,
        })
        .collect();
    Ok(Json(serde_json::json!({
        "today": board.today,
        "total": board.total,
        "overdue": board.overdue,
        "by_state": board.by_state,
        "by_alliance": board.by_alliance,
        "items": items,
    })))
}

#[derive(askama::Template)]
#[template(path = "problems_print.html")]
pub struct PrintPage {
    pub tr: Tr,
    pub today: String,
    pub items: Vec<ItemView>,
    /// What the list holds, in words (the filters).
    pub scope: String,
    /// "共 3 项，1 项已逾期" / "3 problems, 1 overdue".
    pub counts: String,
    pub query: String,
}

/// `GET /problems/print`: the list for the alliance meeting, on A4.
pub async fn board_print(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filter = board_filter(query.as_deref(), &state)?;
    let tr = chrome.tr;
    let viewer = current.viewer.clone();
    let (state2, filter2) = (state.clone(), filter.clone());
    let board =
        crate::web::unblock(move || problems::board(&state2.engine, &viewer, &filter2, problems::today())).await??;
    let snapshot = state.engine.snapshot();
    let mut scope: Vec<String> = filter
        .alliances
        .iter()
        .map(|a| snapshot.profiles.alliances.get(a).map_or(a.clone(), |x| x.name.clone()))
        .collect();
    if let Some(s) = &filter.studio {
        scope.push(snapshot.profiles.studios.get(s).map_or(s.clone(), |x| x.name.clone()));
    }
    let states: Vec<String> = if filter.states.is_empty() {
        vec![tr.t("board_unsolved").to_string()]
    } else {
        filter
            .states
            .iter()
            .map(|s| tr.label("status", s).into_owned())
            .collect()
    };
    scope.push(states.join(tr.t("board_list_sep")));
    scope.extend(filter.priorities.iter().map(|p| {
        if tr.is_en() {
            format!("priority {}", tr.label("priority", p))
        } else {
            format!("优先级{}", tr.label("priority", p))
        }
    }));
    if filter.overdue {
        scope.push(tr.t("board_overdue").into());
    }
    let mut counts = total_text(tr, board.total);
    if board.overdue > 0 {
        counts.push_str(if tr.is_en() { ", " } else { "，" });
        counts.push_str(&overdue_text(tr, board.overdue));
    }
    let page = PrintPage {
        tr,
        counts,
        today: board.today,
        items: board
            .items
            .into_iter()
            .map(|item| item_view(tr, &current.viewer, item, Vec::new()))
            .collect(),
        scope: scope.join(" · "),
        query: query.unwrap_or_default(),
    };
    render_page(&page)
}

/// A step as the JSON API and the forms send it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepBody {
    pub comment: String,
    pub studio: String,
    pub state: String,
    /// Ids, as a list or comma-separated.
    pub solved_by: serde_json::Value,
    pub solved_date: String,
}

fn step_of(action: &str, body: StepBody) -> Option<Step> {
    let list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
            serde_json::Value::String(s) => s
                .split([',', '，', '、', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    Some(match action {
        "help" => Step::Help { comment: body.comment },
        "accept" | "accept_helper" => Step::Accept {
            studio: body.studio.trim().to_string(),
        },
        "lead" | "set_lead" => Step::Lead {
            studio: body.studio.trim().to_string(),
        },
        "state" => Step::State {
            to: body.state.trim().to_string(),
        },
        "solve" => Step::Solve {
            solved_by: list(&body.solved_by),
            solved_date: Some(body.solved_date).filter(|d| !d.trim().is_empty()),
        },
        _ => return None,
    })
}

/// The problem steps on `/api/records/{id}/…`, when `path` ends in one.
pub fn api_action(path: &str) -> Option<(&str, &str)> {
    ["help", "accept", "lead", "state", "solve"]
        .into_iter()
        .find_map(|a| path.strip_suffix(&format!("/{a}")).map(|id| (id, a)))
        .filter(|(id, _)| !id.is_empty())
}

/// `POST /api/records/{id}/help` (and `accept`, `lead`, `state`,
/// `solve`): a JSON body, or a form's fields; answers the record's JSON.
pub async fn api_step(
    state: AppState,
    current: Current,
    id: String,
    action: String,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let text = super::records_api::read_text(body, "请求").await?;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let parsed: StepBody = if form {
        let mut b = StepBody::default();
        for (k, v) in form_urlencoded::parse(text.as_bytes()) {
            match k.as_ref() {
                "comment" => b.comment = v.into_owned(),
                "studio" => b.studio = v.into_owned(),
                "state" => b.state = v.into_owned(),
                "solved_by" => b.solved_by = serde_json::Value::String(v.into_owned()),
                "solved_date" => b.solved_date = v.into_owned(),
                _ => {}
            }
        }
        b
    } else if text.trim().is_empty() {
        StepBody::default()
    } else {
        serde_json::from_str(&text).map_err(|e| AppError::BadRequest(format!("请求应为 JSON：{e}")))?
    };
    let step = step_of(&action, parsed).ok_or(AppError::NotFound)?;
    let publisher = state.publisher.clone();
    let outcome =
        crate::web::unblock(move || publisher.problem_step(&current.viewer, &id, step, problems::today())).await??;
    let mut value = serde_json::to_value(&outcome.record).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("etag".into(), outcome.etag.clone().into());
        map.insert("url".into(), format!("/records/{}", outcome.id).into());
    }
    Ok((StatusCode::OK, Json(value)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    pub action: String,
    pub csrf: String,
    pub back: String,
    pub comment: String,
    pub studio: String,
    pub state: String,
    pub solved_by: String,
    pub solved_date: String,
}

/// Where a form comes back to: the board or the record's page, never
/// another site.
fn safe_back(back: &str, id: &str) -> String {
    let ok = (back == "/problems" || back.starts_with("/problems?") || back.starts_with("/records/"))
        && !back.contains("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if ok { back.to_string() } else { format!("/records/{id}") }
}

/// `POST /problems/{id}`: the board's and the record page's forms (a
/// plain form with the CSRF token); back to where it was sent from.
pub async fn step_form(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let body = StepBody {
        comment: form.comment,
        studio: form.studio,
        state: form.state,
        solved_by: serde_json::Value::String(form.solved_by),
        solved_date: form.solved_date,
    };
    let step =
        step_of(&form.action, body).ok_or_else(|| AppError::BadRequest(format!("未知的操作“{}”", form.action)))?;
    let action = step.action();
    let publisher = state.publisher.clone();
    let target = id.clone();
    crate::web::unblock(move || publisher.problem_step(&current.viewer, &target, step, problems::today())).await??;
    let back = safe_back(&form.back, &id);
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&location(&format!("{back}{sep}done={action}"))).into_response())
}

/// A path as a `Location` header carries it: bytes outside printable
/// ASCII (an id's Chinese characters) percent-encoded.
fn location(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_graphic() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a problem's page shows of the board: the item with its actions and
/// suggestions (`record.html` includes the board's partial).
pub fn record_item(
    state: &AppState,
    tr: Tr,
    viewer: &Viewer,
    card: &crate::search::Card,
    body: &str,
) -> Result<ItemView, AppError> {
    let item = problems::board_item(card.clone(), &state.engine.snapshot().profiles, problems::today());
    let suggestions = suggest(state, viewer, &item, body)?;
    Ok(item_view(tr, viewer, item, suggestions))
}

/// The banner of a step done on a record's page.
pub fn record_banner(tr: Tr, done: &str) -> Option<&'static str> {
    done_text(tr, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_from_the_path_and_forms_come_back_home() {
        assert_eq!(
            location("/records/a/管片 x?done=help"),
            "/records/a/%E7%AE%A1%E7%89%87%20x?done=help"
        );
        assert_eq!(api_action("a/b/help"), Some(("a/b", "help")));
        assert_eq!(api_action("a/solve"), Some(("a", "solve")));
        assert_eq!(api_action("a/b/approve"), None);
        assert_eq!(api_action("/help"), None);
        assert_eq!(safe_back("/problems?state=open", "a/b"), "/problems?state=open");
        assert_eq!(safe_back("/records/a/b", "a/b"), "/records/a/b");
        for bad in ["https://evil/", "//evil", "/problems?x=\\", "/other", "/records//evil"] {
            assert_eq!(safe_back(bad, "a/b"), "/records/a/b", "{bad}");
        }
        let Some(Step::Solve { solved_by, .. }) = step_of(
            "solve",
            StepBody {
                solved_by: serde_json::json!("a/b，c/d"),
                ..StepBody::default()
            },
        ) else {
            panic!("a solve step");
        };
        assert_eq!(solved_by, vec!["a/b", "c/d"]);
        assert!(step_of("frobnicate", StepBody::default()).is_none());
    }
}
