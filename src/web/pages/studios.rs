//! The studio directory (`/studios`: facets with counts, sorts, a table
//! view that prints), a studio's page (`/studios/{id}`: its figures, star
//! history, alliances and latest work) and `/api/studios` (the directory
//! as JSON). A studio's contact is shown to signed-in viewers only; the
//! figures count only what the viewer may see (`crate::studios`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use crate::auth::{Role, Viewer};
use crate::content::Studio;
use crate::content::load::Profiles;
use crate::content::spec;
use crate::studios::{self, DirField, DirFigures, DirSort, DirectoryRequest, StudioFigures};
use crate::web::i18n::Tr;
use crate::web::session::Current;
use crate::web::{AppError, AppState};

use super::profiles::{StudioItem, records_of, studio_item};
use super::{CardView, Chrome, LinkItem, render_markdown, render_page};
use crate::search::FacetField;

/// The directory's URL parameters: a facet field's values, `sort`, and
/// `view=table`.
struct DirParams {
    request: DirectoryRequest,
    table: bool,
}

fn dir_params(query: Option<&str>) -> Result<DirParams, AppError> {
    let mut request = DirectoryRequest::default();
    let mut table = false;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim().to_string();
        if let Some(field) = DirField::parse(&key) {
            if !value.is_empty() {
                request.filters.entry(field).or_default().push(value);
            }
        } else if key == "sort" {
            request.sort = DirSort::parse(&value).ok_or_else(|| {
                let all: Vec<&str> = DirSort::ALL.iter().map(|s| s.as_str()).collect();
                AppError::BadRequest(format!("排序方式“{value}”无效，应为 {} 之一", all.join(" | ")))
            })?;
        } else if key == "view" {
            table = match value.as_str() {
                "table" => true,
                "" | "cards" => false,
                other => return Err(AppError::BadRequest(format!("视图“{other}”无效，应为 cards 或 table"))),
            };
        }
    }
    Ok(DirParams { request, table })
}

/// The directory's URL with `change` applied to its parameters.
fn dir_url(
    params: &DirParams,
    change: impl FnOnce(&mut BTreeMap<DirField, Vec<String>>, &mut DirSort, &mut bool),
) -> String {
    let mut filters = params.request.filters.clone();
    let mut sort = params.request.sort;
    let mut table = params.table;
    change(&mut filters, &mut sort, &mut table);
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (field, values) in &filters {
        for v in values {
            query.append_pair(field.name(), v);
        }
    }
    if sort != DirSort::Name {
        query.append_pair("sort", sort.as_str());
    }
    if table {
        query.append_pair("view", "table");
    }
    let query = query.finish();
    if query.is_empty() {
        "/studios".into()
    } else {
        format!("/studios?{query}")
    }
}

/// How a facet value reads: labels from the spec's choice lists, an
/// alliance by its name, stars as stars.
fn value_label(tr: Tr, profiles: &Profiles, field: DirField, value: &str) -> String {
    match field {
        DirField::Stars => format!("{value}{}", tr.t("star_suffix")),
        DirField::StudioType | DirField::NamingLevel => tr.label(field.name(), value).into_owned(),
        DirField::Alliance => profiles
            .alliances
            .get(value)
            .map_or_else(|| value.to_string(), |a| a.name.clone()),
        DirField::Unit => value.to_string(),
    }
}

fn field_label(tr: Tr, field: DirField) -> &'static str {
    match field {
        DirField::Alliance => tr.t("alliances"),
        _ => spec::studio_field(field.name()).map_or("", |f| f.label(tr.is_en())),
    }
}

pub struct FacetItem {
    pub label: String,
    pub count: usize,
    pub url: String,
    pub active: bool,
}

pub struct FacetView {
    pub name: &'static str,
    pub items: Vec<FacetItem>,
}

pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    pub active: bool,
}

/// One row of the directory (a card or a table row).
pub struct DirRow {
    pub item: StudioItem,
    pub founded: String,
    pub naming: String,
    pub alliances: String,
    pub records: u64,
    pub patents: u64,
    /// 万元, exact.
    pub benefit: String,
}

#[derive(Template)]
#[template(path = "studios.html")]
pub struct StudiosPage {
    pub chrome: Chrome,
    pub facets: Vec<FacetView>,
    pub sorts: Vec<SortLink>,
    pub rows: Vec<DirRow>,
    pub total: usize,
    pub table: bool,
    /// Records and granted patents were counted (table, or sorted by them).
    pub figures_shown: bool,
    pub cards_url: String,
    pub table_url: String,
    pub clear_url: String,
    pub filtered: bool,
}

fn sort_label(tr: Tr, sort: DirSort) -> &'static str {
    tr.t(match sort {
        DirSort::Name => "sort_name",
        DirSort::Stars => "stars",
        DirSort::Founded => "sort_founded",
        DirSort::Records => "sort_records",
        DirSort::Patents => "sort_patents",
        DirSort::Benefit => "sort_benefit",
    })
}

/// The figures a directory request needs: none when it is ordered by
/// name, stars or founding year in card view (profiles alone answer it).
fn needed_figures(
    state: &AppState,
    viewer: &Viewer,
    params: &DirParams,
) -> Result<BTreeMap<String, DirFigures>, AppError> {
    if params.table || params.request.sort.needs_figures() {
        Ok(studios::all_figures(&state.engine, viewer)?)
    } else {
        Ok(BTreeMap::new())
    }
}

pub async fn studios(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let tr = chrome.tr;
    let params = dir_params(query.as_deref())?;
    let (figures, params) = {
        let (state, viewer) = (state.clone(), current.viewer.clone());
        crate::web::unblock(move || needed_figures(&state, &viewer, &params).map(|figures| (figures, params))).await??
    };
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let directory = studios::directory(profiles, &params.request, &figures);
    let facets = directory
        .facets
        .iter()
        .map(|facet| FacetView {
            name: field_label(tr, facet.field),
            items: facet
                .values
                .iter()
                .map(|(value, count)| {
                    let active = params
                        .request
                        .filters
                        .get(&facet.field)
                        .is_some_and(|v| v.contains(value));
                    FacetItem {
                        label: value_label(tr, profiles, facet.field, value),
                        count: *count,
                        url: dir_url(&params, |filters, _, _| {
                            let values = filters.entry(facet.field).or_default();
                            if active {
                                values.retain(|v| v != value);
                            } else {
                                values.push(value.clone());
                            }
                        }),
                        active,
                    }
                })
                .collect(),
        })
        .collect();
    let sorts = DirSort::ALL
        .into_iter()
        .map(|sort| SortLink {
            label: sort_label(tr, sort),
            url: dir_url(&params, |_, s, _| *s = sort),
            active: sort == params.request.sort,
        })
        .collect();
    let zero = DirFigures::default();
    let rows: Vec<DirRow> = directory
        .studios
        .iter()
        .map(|s| {
            let f = figures.get(&s.id).unwrap_or(&zero);
            DirRow {
                item: studio_item(tr, s),
                founded: s.founded.map(|y| y.to_string()).unwrap_or_default(),
                naming: naming_text(tr, s),
                alliances: s
                    .alliances
                    .iter()
                    .map(|a| profiles.alliances.get(a).map_or(a.as_str(), |a| a.name.as_str()))
                    .collect::<Vec<_>>()
                    .join("、"),
                records: f.records,
                patents: f.patents_granted,
                benefit: f.benefit.to_string(),
            }
        })
        .collect();
    let page = StudiosPage {
        total: rows.len(),
        facets,
        sorts,
        rows,
        table: params.table,
        figures_shown: params.table || params.request.sort.needs_figures(),
        cards_url: dir_url(&params, |_, _, t| *t = false),
        table_url: dir_url(&params, |_, _, t| *t = true),
        clear_url: dir_url(&params, |f, _, _| f.clear()),
        filtered: params.request.filters.values().any(|v| !v.is_empty()),
        chrome,
    };
    render_page(&page)
}

fn naming_text(tr: Tr, s: &Studio) -> String {
    match (&s.naming_level, s.naming_year) {
        (Some(level), Some(year)) => format!("{}（{year}）", tr.label("naming_level", level)),
        (Some(level), None) => tr.label("naming_level", level).into_owned(),
        (None, Some(year)) => year.to_string(),
        (None, None) => String::new(),
    }
}

/// A signed-in viewer (any role) sees contacts.
fn signed_in(viewer: &Viewer) -> bool {
    !matches!(viewer.role, Role::Anonymous)
}

pub struct LabelCount {
    pub label: String,
    pub count: u64,
}

pub struct StarYear {
    pub year: i64,
    pub stars: String,
}

#[derive(Template)]
#[template(path = "studio.html")]
pub struct StudioPage {
    pub chrome: Chrome,
    pub studio: StudioItem,
    pub founded: String,
    pub naming: String,
    pub members: String,
    pub contact: Option<String>,
    /// The studio has a contact, which signing in would show.
    pub contact_hidden: bool,
    pub alliances: Vec<LinkItem>,
    pub star_history: Vec<StarYear>,
    pub figures: StudioFigures,
    pub by_kind: Vec<LabelCount>,
    pub methods_by_level: Vec<LabelCount>,
    pub awards_by_level: Vec<LabelCount>,
    pub benefit: String,
    pub html: String,
    pub total: usize,
    pub all_url: String,
    pub cards: Vec<CardView>,
}

fn labelled(tr: Tr, field: &str, counts: &[(String, u64)]) -> Vec<LabelCount> {
    counts
        .iter()
        .map(|(value, count)| LabelCount {
            label: tr.label(field, value).into_owned(),
            count: *count,
        })
        .collect()
}

pub async fn studio(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tr = chrome.tr;
    let snapshot = state.engine.snapshot();
    let studio = snapshot.profiles.studios.get(&id).ok_or(AppError::NotFound)?;
    let rendered = render_markdown(studio.body.clone(), "/studios/".into()).await?;
    let ((total, all_url, cards), figures) = {
        let (state, viewer, id) = (state.clone(), current.viewer.clone(), id.clone());
        crate::web::unblock(move || -> Result<_, AppError> {
            let latest = records_of(&state, &viewer, tr, FacetField::Studio, &id)?;
            let figures = studios::figures(&state.engine, &viewer, &id)?;
            Ok((latest, figures))
        })
        .await??
    };
    let alliances = snapshot
        .profiles
        .alliances_of(&id)
        .into_iter()
        .map(|a| LinkItem {
            title: a.name.clone(),
            url: format!("/alliances/{}", a.id),
        })
        .collect();
    render_page(&StudioPage {
        studio: studio_item(tr, studio),
        founded: studio.founded.map(|y| y.to_string()).unwrap_or_default(),
        naming: naming_text(tr, studio),
        members: studio.members.map(|n| n.to_string()).unwrap_or_default(),
        contact: studio.contact.clone().filter(|_| signed_in(&current.viewer)),
        contact_hidden: studio.contact.is_some() && !signed_in(&current.viewer),
        alliances,
        star_history: studio
            .star_history
            .iter()
            .rev()
            .map(|(year, stars)| StarYear {
                year: *year,
                stars: "★".repeat(usize::from(*stars)),
            })
            .collect(),
        by_kind: labelled(tr, "kind", &figures.by_kind),
        methods_by_level: labelled(tr, "level", &figures.methods_by_level),
        awards_by_level: labelled(tr, "award_level", &figures.awards_by_level),
        benefit: figures.benefit.to_string(),
        figures,
        html: rendered.html.clone(),
        total,
        all_url,
        cards,
        chrome,
    })
}

/// One studio in `/api/studios`.
#[derive(Serialize)]
struct StudioJson<'a> {
    #[serde(flatten)]
    studio: &'a Studio,
    url: String,
    /// Signed-in viewers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<&'a str>,
    records: u64,
    patents_granted: u64,
    /// 万元.
    benefit: f64,
}

#[derive(Serialize)]
struct DirectoryJson<'a> {
    total: usize,
    sort: DirSort,
    studios: Vec<StudioJson<'a>>,
    facets: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

/// `/api/studios?stars=&studio_type=&naming_level=&alliance=&unit=&sort=`:
/// the directory as JSON; `records` and `patents_granted` count what the
/// viewer may see.
pub async fn api_studios(
    State(state): State<AppState>,
    current: Current,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params = dir_params(query.as_deref())?;
    let viewer = current.viewer.clone();
    let figures = {
        let (state, viewer) = (state.clone(), viewer.clone());
        crate::web::unblock(move || studios::all_figures(&state.engine, &viewer)).await??
    };
    let snapshot = state.engine.snapshot();
    let directory = studios::directory(&snapshot.profiles, &params.request, &figures);
    let contact = signed_in(&viewer);
    let zero = DirFigures::default();
    let body = DirectoryJson {
        total: directory.studios.len(),
        sort: params.request.sort,
        studios: directory
            .studios
            .iter()
            .map(|s| {
                let f = figures.get(&s.id).unwrap_or(&zero);
                StudioJson {
                    studio: s,
                    url: format!("/studios/{}", s.id),
                    contact: s.contact.as_deref().filter(|_| contact),
                    records: f.records,
                    patents_granted: f.patents_granted,
                    benefit: f.benefit.as_f64(),
                }
            })
            .collect(),
        facets: directory
            .facets
            .iter()
            .map(|f| (f.field.name(), f.values.iter().cloned().collect()))
            .collect(),
    };
    Ok(axum::response::IntoResponse::into_response(Json(body)))
}
