//! Profiles: the alliance directory and pages, each listing only the
//! records the viewer may see (studios have `studios.rs`, exhibits are
//! `web::exhibits`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::auth::Viewer;
use crate::search::{FacetField, SearchRequest, Sort};
use crate::web::i18n::Tr;
use crate::web::params::Links;
use crate::web::session::Current;
use crate::web::{AppError, AppState};

use super::{CardView, Chrome, LinkItem, card_views, render_markdown, render_page};

pub struct StudioItem {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub leader: String,
    pub stars: String,
    pub type_label: String,
}

pub(super) fn studio_item(tr: Tr, s: &crate::content::Studio) -> StudioItem {
    StudioItem {
        id: s.id.clone(),
        name: s.name.clone(),
        unit: s.unit.clone(),
        leader: s.leader.clone(),
        stars: "★".repeat(s.stars as usize),
        type_label: tr.label("studio_type", &s.studio_type).into_owned(),
    }
}

/// The newest records matching a filter, with the link to all of them.
pub(super) fn records_of(
    state: &AppState,
    viewer: &Viewer,
    tr: Tr,
    field: FacetField,
    value: &str,
) -> Result<(usize, String, Vec<CardView>), AppError> {
    let mut request = SearchRequest::filtered(field, value);
    request.sort = Sort::Newest;
    request.per_page = 20;
    let results = state.engine.search(&request, viewer)?;
    let url = Links { request: &request }.page(&1);
    Ok((results.total, url, card_views(tr, results.hits)))
}

pub struct AllianceItem {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub members: usize,
}

#[derive(Template)]
#[template(path = "alliances.html")]
pub struct AlliancesPage {
    pub chrome: Chrome,
    pub alliances: Vec<AllianceItem>,
}

pub async fn alliances(State(state): State<AppState>, _current: Current, chrome: Chrome) -> Result<Response, AppError> {
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let alliances = profiles
        .alliances
        .values()
        .map(|a| AllianceItem {
            id: a.id.clone(),
            name: a.name.clone(),
            domain: a.domain.clone(),
            members: profiles
                .studios
                .values()
                .filter(|s| s.alliances.contains(&a.id))
                .count(),
        })
        .collect();
    render_page(&AlliancesPage { chrome, alliances })
}

#[derive(Template)]
#[template(path = "alliance.html")]
pub struct AlliancePage {
    pub chrome: Chrome,
    /// For its feeds' links.
    pub id: String,
    pub name: String,
    pub domain: String,
    pub founded: String,
    pub lead: Option<LinkItem>,
    pub lead_since: String,
    pub studios: Vec<StudioItem>,
    pub html: String,
    pub total: usize,
    pub all_url: String,
    pub cards: Vec<CardView>,
}

pub async fn alliance(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tr = chrome.tr;
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let alliance = profiles.alliances.get(&id).ok_or(AppError::NotFound)?;
    let rendered = render_markdown(alliance.body.clone(), "/alliances/".into()).await?;
    let (total, all_url, cards) = {
        let (state, viewer, id) = (state.clone(), current.viewer.clone(), id.clone());
        crate::web::unblock(move || records_of(&state, &viewer, tr, FacetField::Alliance, &id)).await??
    };
    let lead = alliance
        .lead_studio
        .as_ref()
        .and_then(|s| profiles.studios.get(s))
        .map(|s| LinkItem {
            title: s.name.clone(),
            url: format!("/studios/{}", s.id),
        });
    render_page(&AlliancePage {
        chrome,
        id: id.clone(),
        name: alliance.name.clone(),
        domain: alliance.domain.clone(),
        founded: alliance.founded.map(|y| y.to_string()).unwrap_or_default(),
        lead,
        lead_since: alliance.lead_since.map(|y| y.to_string()).unwrap_or_default(),
        studios: profiles
            .studios
            .values()
            .filter(|s| s.alliances.contains(&id))
            .map(|s| studio_item(tr, s))
            .collect(),
        html: rendered.html.clone(),
        total,
        all_url,
        cards,
    })
}
