//! HTML pages: search, record (and its bundle files), studios, alliances,
//! exhibits, errors. Each handler gathers what the page shows into a view
//! struct; the askama template under `templates/` lays it out. Searches,
//! file reads and Markdown rendering run off the async workers (`unblock`),
//! rendering at most `render_slots()` at once, so that a slow body never
//! holds up the server.

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::{Lang, Tr};
use super::params::{self, Links};
use super::session::Current;
use super::{AppError, AppState};
use crate::auth::{Role, Viewer};
use crate::content::Record;
use crate::content::render::{self, Rendered};
use crate::search::{Card, FacetField, Hit, SearchRequest, SearchResults, Sort};

/// What every page's frame needs.
pub struct Chrome {
    pub tr: Tr,
    /// The current URL with the other language chosen.
    pub switch_url: String,
    /// The query, kept in the header's search box.
    pub q: String,
    /// The signed-in account, if any.
    pub user: Option<String>,
    pub can_publish: bool,
    pub is_staff: bool,
    /// The session's CSRF token for forms that change something.
    pub csrf: String,
    /// Where to come back after signing in.
    pub here: String,
}

impl Chrome {
    pub fn new(lang: Lang, uri: &axum::http::Uri, q: &str, current: &Current) -> Chrome {
        let other = if lang == Lang::En { "zh" } else { "en" };
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(existing) = uri.query() {
            for (k, v) in form_urlencoded::parse(existing.as_bytes()).filter(|(k, _)| k != "lang") {
                query.append_pair(&k, &v);
            }
        }
        query.append_pair("lang", other);
        let role = &current.viewer.role;
        Chrome {
            tr: Tr::new(lang),
            switch_url: format!("{}?{}", uri.path(), query.finish()),
            q: q.to_string(),
            user: current.viewer.name.clone(),
            can_publish: matches!(role, Role::Publisher { .. } | Role::Staff),
            is_staff: matches!(role, Role::Staff),
            csrf: current.csrf().to_string(),
            here: uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
        }
    }
}

pub(super) fn render_page(template: &impl Template) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// How many bodies render at once: half the cores, so that the other half
/// keeps answering whatever bodies are sent to the preview.
fn render_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

static RENDER_SLOTS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| tokio::sync::Semaphore::new(render_slots()));

/// Renders a Markdown body off the async workers, waiting for a render
/// slot; a large body is rendered once and then served from the cache.
pub(super) async fn render_markdown(body: String, base: String) -> Result<Arc<Rendered>, AppError> {
    let _slot = RENDER_SLOTS.acquire().await.map_err(|e| AppError::Internal(e.into()))?;
    super::unblock(move || render::render_cached(&body, &base)).await
}

pub struct FacetItem {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetView {
    pub name: &'static str,
    pub items: Vec<FacetItem>,
}

pub struct Chip {
    pub label: String,
    pub url: String,
}

pub struct SortOption {
    pub label: &'static str,
    pub url: String,
    pub active: bool,
}

pub struct PageLink {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

/// A result card with its labels resolved.
pub struct CardView {
    pub hit: Hit,
    pub kind_label: String,
    pub badges: Vec<String>,
}

fn card_view(tr: Tr, hit: Hit) -> CardView {
    let c = &hit.card;
    let mut badges = Vec::new();
    if let Some(v) = &c.category {
        badges.push(tr.label("category", v).into_owned());
    }
    if let Some(v) = &c.patent_type {
        badges.push(tr.label("patent_type", v).into_owned());
    }
    if let Some(v) = &c.status {
        badges.push(tr.label("status", v).into_owned());
    }
    if let Some(v) = &c.level {
        badges.push(tr.label("level", v).into_owned());
    }
    if c.visibility != "public" {
        badges.push(tr.label("visibility", &c.visibility).into_owned());
    }
    CardView {
        kind_label: tr.label("kind", &c.kind).into_owned(),
        badges,
        hit,
    }
}

fn card_views(tr: Tr, hits: Vec<Hit>) -> Vec<CardView> {
    hits.into_iter().map(|h| card_view(tr, h)).collect()
}

/// How a facet value is shown: enum labels, studio and alliance names.
fn value_label(state: &AppState, tr: Tr, field: FacetField, value: &str) -> String {
    let snapshot = state.engine.snapshot();
    match field {
        FacetField::Studio => snapshot.profiles.studios.get(value).map(|s| s.name.clone()),
        FacetField::Alliance => snapshot.profiles.alliances.get(value).map(|a| a.name.clone()),
        _ => None,
    }
    .unwrap_or_else(|| tr.label(field.name(), value).into_owned())
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub home: bool,
    pub total: usize,
    pub took_ms: String,
    pub cards: Vec<CardView>,
    pub facets: Vec<FacetView>,
    pub chips: Vec<Chip>,
    pub clear_url: String,
    pub sorts: Vec<SortOption>,
    pub notices: Vec<String>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub pages: Vec<PageLink>,
}

/// Facets shown in the sidebar, in this order; the rest are API-only.
const SIDEBAR: [FacetField; 10] = [
    FacetField::Kind,
    FacetField::Alliance,
    FacetField::Studio,
    FacetField::Year,
    FacetField::Category,
    FacetField::PatentType,
    FacetField::Status,
    FacetField::Level,
    FacetField::AwardLevel,
    FacetField::Tag,
];

pub async fn search(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let mut request = params::search_request(query.as_deref());
    let home = uri.path() == "/" && request.q.is_empty() && request.filters.is_empty();
    if request.q.trim().is_empty() && query.as_deref().is_none_or(|q| !q.contains("sort=")) {
        request.sort = Sort::Newest;
    }
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let for_search = request.clone();
    let results = super::unblock(move || engine.search(&for_search, &viewer)).await??;
    let page = search_page(&state, lang, &uri, &request, results, home, &current);
    render_page(&page)
}

fn search_page(
    state: &AppState,
    lang: Lang,
    uri: &axum::http::Uri,
    request: &SearchRequest,
    results: SearchResults,
    home: bool,
    current: &Current,
) -> SearchPage {
    let tr = Tr::new(lang);
    // Filters typed as field:value count as active too.
    let effective = SearchRequest {
        filters: results.filters.clone(),
        ..request.clone()
    };
    let links = Links { request: &effective };
    let facets = SIDEBAR
        .iter()
        .filter_map(|&field| {
            let values = results.facet(field);
            if values.is_empty() {
                return None;
            }
            let limit = if field == FacetField::Tag { 20 } else { 12 };
            let items = values
                .iter()
                .take(limit)
                .map(|(value, count)| FacetItem {
                    label: value_label(state, tr, field, value),
                    count: *count,
                    url: links.toggle(&field, value),
                    active: links.is_active(&field, value),
                })
                .collect();
            Some(FacetView {
                name: tr.facet_name(field),
                items,
            })
        })
        .collect();
    let chips = effective
        .filters
        .iter()
        .flat_map(|(field, values)| values.iter().map(move |v| (*field, v)))
        .map(|(field, value)| Chip {
            label: format!("{}：{}", tr.facet_name(field), value_label(state, tr, field, value)),
            url: links.toggle(&field, value),
        })
        .collect();
    let sorts = [
        ("relevance", "sort_relevance"),
        ("newest", "sort_newest"),
        ("benefit", "sort_benefit"),
    ]
    .into_iter()
    .map(|(key, label)| SortOption {
        label: tr.t(label),
        url: links.sort(key),
        active: request.sort.as_str() == key,
    })
    .collect();
    let last = results.pages();
    let this_page = results.page;
    let pages = (this_page.saturating_sub(3).max(1)..=(this_page + 3).min(last))
        .map(|n| PageLink {
            number: n,
            url: links.page(&n),
            current: n == this_page,
        })
        .collect();
    SearchPage {
        chrome: Chrome::new(lang, uri, &request.q, current),
        home,
        total: results.total,
        took_ms: format!("{:.1}", results.took_ms),
        facets,
        chips,
        clear_url: links.clear(),
        sorts,
        notices: results.notices.iter().map(|n| tr.notice(n)).collect(),
        prev_url: (this_page > 1).then(|| links.page(&(this_page - 1))),
        next_url: (this_page < last).then(|| links.page(&(this_page + 1))),
        pages,
        cards: card_views(tr, results.hits),
    }
}

/// The URL folder a record's relative links resolve against: its bundle
/// folder, or the folder it sits in.
pub fn files_base(id: &str, rel: &str) -> String {
    if rel.ends_with("/index.md") {
        format!("/records/{id}/")
    } else {
        match id.rsplit_once('/') {
            Some((parent, _)) => format!("/records/{parent}/"),
            None => "/records/".into(),
        }
    }
}

pub struct MetaRow {
    pub label: &'static str,
    pub value: String,
}

pub struct LinkItem {
    pub title: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "record.html")]
pub struct RecordPage {
    pub chrome: Chrome,
    pub record: Record,
    pub kind_label: String,
    pub studio_name: String,
    pub meta: Vec<MetaRow>,
    pub html: String,
    pub toc: Vec<(u8, String, String)>,
    pub awards: Vec<(String, String, String)>,
    pub attachments: Vec<LinkItem>,
    pub related: Vec<LinkItem>,
    pub solved_by: Vec<LinkItem>,
    pub similar: Vec<CardView>,
    pub more: Vec<CardView>,
    pub can_edit: bool,
}

pub async fn record_or_file(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let wanted = path.clone();
    if let Some((record, located)) = super::unblock(move || engine.read_record(&wanted, &viewer)).await?? {
        let rendered = render_markdown(record.body.clone(), files_base(&record.id, &located.rel)).await?;
        let state = state.clone();
        return super::unblock(move || {
            record_page(
                &state,
                lang,
                &uri,
                &current,
                record,
                &located.rel,
                &located.card,
                &rendered,
            )
        })
        .await?;
    }
    let state = state.clone();
    super::unblock(move || bundle_file(&state, &current.viewer, &path)).await?
}

#[allow(clippy::too_many_arguments)]
fn record_page(
    state: &AppState,
    lang: Lang,
    uri: &axum::http::Uri,
    current: &Current,
    record: Record,
    rel: &str,
    card: &Card,
    rendered: &Rendered,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let viewer = &current.viewer;
    let base = files_base(&record.id, rel);
    let mut meta = vec![MetaRow {
        label: tr.t("date"),
        value: record.date.to_string(),
    }];
    let push = |meta: &mut Vec<MetaRow>, label: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            meta.push(MetaRow {
                label: tr.t(label),
                value,
            });
        }
    };
    push(&mut meta, "authors", Some(record.authors.join("、")));
    if let Some(c) = &record.category {
        meta.push(MetaRow {
            label: tr.facet_name(FacetField::Category),
            value: tr.label("category", c).into_owned(),
        });
    }
    if let Some(t) = &record.patent_type {
        meta.push(MetaRow {
            label: tr.facet_name(FacetField::PatentType),
            value: tr.label("patent_type", t).into_owned(),
        });
    }
    push(&mut meta, "application_no", record.application_no.clone());
    push(&mut meta, "publication_no", record.publication_no.clone());
    push(&mut meta, "filing_date", record.filing_date.map(|d| d.to_string()));
    push(&mut meta, "grant_date", record.grant_date.map(|d| d.to_string()));
    if let Some(s) = &record.status {
        meta.push(MetaRow {
            label: tr.facet_name(FacetField::Status),
            value: tr.label("status", s).into_owned(),
        });
    }
    push(&mut meta, "assignee", record.assignee.clone());
    push(&mut meta, "ipc", Some(record.ipc.join("；")));
    push(&mut meta, "method_code", record.method_code.clone());
    if let Some(l) = &record.level {
        meta.push(MetaRow {
            label: tr.facet_name(FacetField::Level),
            value: tr.label("level", l).into_owned(),
        });
    }
    push(&mut meta, "scope", record.scope.clone());
    push(
        &mut meta,
        "benefit",
        record.benefit.map(|b| format!("{b} {}", tr.t("wan_yuan"))),
    );
    meta.push(MetaRow {
        label: tr.t("visibility"),
        value: tr.label("visibility", record.visibility.as_str()).into_owned(),
    });

    let engine = &state.engine;
    // Links to records the viewer may see; the others are left out.
    let links = |ids: &[String]| -> Result<Vec<LinkItem>, AppError> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(l) = engine.locate(id, viewer)? {
                out.push(LinkItem {
                    title: l.card.title,
                    url: format!("/records/{id}"),
                });
            }
        }
        Ok(out)
    };
    let related = links(&record.related)?;
    let solved_by = links(&record.solved_by)?;
    let attachments = crate::content::load::bundle_dir(engine.content_root(), rel)
        .map(|dir| list_files(&dir))
        .unwrap_or_default()
        .into_iter()
        .map(|name| LinkItem {
            url: format!("{base}{name}"),
            title: name,
        })
        .collect();
    let similar = card_views(tr, engine.similar(&record.id, viewer, 5)?);
    let mut more_request = SearchRequest::filtered(FacetField::Studio, &record.studio);
    more_request.sort = Sort::Newest;
    more_request.per_page = 6;
    let more_hits = engine
        .search(&more_request, viewer)?
        .hits
        .into_iter()
        .filter(|h| h.card.id != record.id)
        .take(5)
        .collect();
    let awards = record
        .awards
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                tr.label("award_level", &a.level).into_owned(),
                a.year.map(|y| y.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let page = RecordPage {
        chrome: Chrome::new(lang, uri, "", current),
        kind_label: tr.label("kind", record.kind.as_str()).into_owned(),
        studio_name: card.studio_name.clone(),
        meta,
        html: rendered.html.clone(),
        toc: rendered
            .toc
            .iter()
            .filter(|(depth, _, _)| *depth <= 3)
            .cloned()
            .collect(),
        awards,
        attachments,
        related,
        solved_by,
        similar,
        more: card_views(tr, more_hits),
        can_edit: match &viewer.role {
            Role::Staff => true,
            Role::Publisher { studio } => *studio == record.studio,
            _ => false,
        },
        record,
    };
    render_page(&page)
}

/// Names of a bundle's files (not its index.md, nothing hidden).
fn list_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n != "index.md" && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A file of a visible page bundle, e.g. `/records/t/b/diagram.png`.
fn bundle_file(state: &AppState, viewer: &Viewer, path: &str) -> Result<Response, AppError> {
    let (id, name) = path.rsplit_once('/').ok_or(AppError::NotFound)?;
    // Markdown beside a bundle's index is source (a record, a draft), never a file to serve.
    if name.is_empty() || name.starts_with('.') || name.to_ascii_lowercase().ends_with(".md") || name.contains('\\') {
        return Err(AppError::NotFound);
    }
    let located = state.engine.locate(id, viewer)?.ok_or(AppError::NotFound)?;
    let dir = crate::content::load::bundle_dir(state.engine.content_root(), &located.rel).ok_or(AppError::NotFound)?;
    if !list_files(&dir).iter().any(|n| n == name) {
        return Err(AppError::NotFound);
    }
    let bytes = std::fs::read(dir.join(name)).map_err(|_| AppError::NotFound)?;
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (content_type, inline) = match extension.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "pdf" => ("application/pdf", true),
        "txt" | "csv" => ("text/plain; charset=utf-8", true),
        // SVG and everything else could carry script: download only.
        _ => ("application/octet-stream", false),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    if !inline {
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(response)
}

pub struct StudioItem {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub leader: String,
    pub stars: String,
    pub type_label: String,
}

#[derive(Template)]
#[template(path = "studios.html")]
pub struct StudiosPage {
    pub chrome: Chrome,
    pub studios: Vec<StudioItem>,
}

fn studio_item(tr: Tr, s: &crate::content::Studio) -> StudioItem {
    StudioItem {
        id: s.id.clone(),
        name: s.name.clone(),
        unit: s.unit.clone(),
        leader: s.leader.clone(),
        stars: "★".repeat(s.stars as usize),
        type_label: tr.label("studio_type", &s.studio_type).into_owned(),
    }
}

pub async fn studios(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let snapshot = state.engine.snapshot();
    let studios = snapshot.profiles.studios.values().map(|s| studio_item(tr, s)).collect();
    render_page(&StudiosPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        studios,
    })
}

#[derive(Template)]
#[template(path = "studio.html")]
pub struct StudioPage {
    pub chrome: Chrome,
    pub studio: StudioItem,
    pub founded: String,
    pub alliances: Vec<LinkItem>,
    pub html: String,
    pub total: usize,
    pub all_url: String,
    pub cards: Vec<CardView>,
}

/// The newest records matching a filter, with the link to all of them.
fn records_of(
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

pub async fn studio(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let snapshot = state.engine.snapshot();
    let studio = snapshot.profiles.studios.get(&id).ok_or(AppError::NotFound)?;
    let rendered = render_markdown(studio.body.clone(), "/studios/".into()).await?;
    let (total, all_url, cards) = {
        let (state, viewer, id) = (state.clone(), current.viewer.clone(), id.clone());
        super::unblock(move || records_of(&state, &viewer, tr, FacetField::Studio, &id)).await??
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
        chrome: Chrome::new(lang, &uri, "", &current),
        studio: studio_item(tr, studio),
        founded: studio.founded.map(|y| y.to_string()).unwrap_or_default(),
        alliances,
        html: rendered.html.clone(),
        total,
        all_url,
        cards,
    })
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

pub async fn alliances(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
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
    render_page(&AlliancesPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        alliances,
    })
}

#[derive(Template)]
#[template(path = "alliance.html")]
pub struct AlliancePage {
    pub chrome: Chrome,
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
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let snapshot = state.engine.snapshot();
    let profiles = &snapshot.profiles;
    let alliance = profiles.alliances.get(&id).ok_or(AppError::NotFound)?;
    let rendered = render_markdown(alliance.body.clone(), "/alliances/".into()).await?;
    let (total, all_url, cards) = {
        let (state, viewer, id) = (state.clone(), current.viewer.clone(), id.clone());
        super::unblock(move || records_of(&state, &viewer, tr, FacetField::Alliance, &id)).await??
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
        chrome: Chrome::new(lang, &uri, "", &current),
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

#[derive(Template)]
#[template(path = "exhibits.html")]
pub struct ExhibitsPage {
    pub chrome: Chrome,
    pub exhibits: Vec<LinkItem>,
}

pub async fn exhibits(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    let viewer = current.viewer.clone();
    let snapshot = state.engine.snapshot();
    let exhibits = snapshot
        .profiles
        .exhibits
        .values()
        .filter(|e| viewer.may_see(e.visibility, ""))
        .map(|e| LinkItem {
            title: e.title.clone(),
            url: format!("/exhibits/{}", e.id),
        })
        .collect();
    render_page(&ExhibitsPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        exhibits,
    })
}

pub struct ExhibitItemView {
    pub card: CardView,
    pub caption: String,
}

#[derive(Template)]
#[template(path = "exhibit.html")]
pub struct ExhibitPage {
    pub chrome: Chrome,
    pub title: String,
    pub html: String,
    pub items: Vec<ExhibitItemView>,
}

pub async fn exhibit(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let tr = Tr::new(lang);
    let viewer = current.viewer.clone();
    let snapshot = state.engine.snapshot();
    let exhibit = snapshot
        .profiles
        .exhibits
        .get(&id)
        .filter(|e| viewer.may_see(e.visibility, ""))
        .ok_or(AppError::NotFound)?;
    let rendered = render_markdown(exhibit.body.clone(), "/exhibits/".into()).await?;
    let engine = state.engine.clone();
    let wanted = exhibit.items.clone();
    let items = super::unblock(move || -> Result<Vec<ExhibitItemView>, AppError> {
        let mut items = Vec::new();
        // Items the viewer may not see are left out, not shown as gaps.
        for item in &wanted {
            if let Some(located) = engine.locate(&item.id, &viewer)? {
                let hit = Hit {
                    url: format!("/records/{}", located.card.id),
                    snippet: String::new(),
                    title_html: String::new(),
                    score: 0.0,
                    card: located.card,
                };
                items.push(ExhibitItemView {
                    card: card_view(tr, hit),
                    caption: item.caption.clone().unwrap_or_default(),
                });
            }
        }
        Ok(items)
    })
    .await??;
    render_page(&ExhibitPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        title: exhibit.title.clone(),
        html: rendered.html.clone(),
        items,
    })
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub chrome: Chrome,
    pub next: &'a str,
    pub username: &'a str,
    pub message: &'a str,
}

pub fn login_page(
    lang: Lang,
    next: &str,
    username: &str,
    message: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let chrome = Chrome::new(lang, &axum::http::Uri::from_static("/login"), "", &Current::anonymous());
    let html = LoginPage {
        chrome,
        next,
        username,
        message,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    pub next: String,
}

pub async fn login(
    lang: Lang,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, AppError> {
    // The form carries `next` back: only a path on this site goes in it.
    login_page(lang, &super::session::safe_next(&query.next), "", "", StatusCode::OK)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub chrome: Chrome,
    pub status: u16,
    pub message: &'a str,
}

/// The body of every error page (404, 400, 500). Bilingual, since the
/// error path does not know the visitor's language choice.
/// An error page with the request's language and viewer.
pub fn error_page(status: StatusCode, message: &str, lang: Lang, uri: &axum::http::Uri, current: &Current) -> String {
    let chrome = Chrome::new(lang, uri, "", current);
    ErrorPage {
        chrome,
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| format!("<!doctype html><title>{status}</title><p>{status}</p>"))
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

const STYLE: &str = include_str!("../../templates/static/style.css");
const SCRIPT: &str = include_str!("../../templates/static/app.js");

pub async fn static_file(Path(file): Path<String>) -> Result<Response, AppError> {
    let (body, content_type) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}
