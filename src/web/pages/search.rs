//! The search page (`/` and `/search`): facet sidebar, filter chips,
//! sort, pagination and result cards.

use askama::Template;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::Response;

use crate::search::{FacetField, SearchRequest, SearchResults, Sort};
use crate::web::i18n::{Lang, Tr};
use crate::web::params::{self, Links};
use crate::web::session::Current;
use crate::web::{AppError, AppState};

use super::{CardView, Chrome, card_views, render_page};

pub struct FacetItem {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetView {
    pub name: &'static str,
    pub items: Vec<FacetItem>,
    /// The page of all its values, when the sidebar shows only some.
    pub more_url: Option<String>,
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
    /// This search as an Atom feed (`/search.atom?…`).
    pub feed_url: String,
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
    /// A page past the last one was asked for: the last page's number and
    /// link, said instead of "no results" (there are results, elsewhere).
    pub beyond_last: Option<(usize, String)>,
    /// Nothing found: each word of the query searched alone (word, count,
    /// link), and for those who may publish, a link to ask it as a problem.
    pub alone: Vec<WordAlone>,
    pub ask_url: Option<String>,
}

pub struct WordAlone {
    pub word: String,
    pub count: usize,
    pub url: String,
}

/// Facets shown in the sidebar, in this order; the rest are API-only.
/// Tags listed in the sidebar (other facets show 12).
const SIDEBAR_TAGS: usize = 20;

const SIDEBAR: [FacetField; 11] = [
    FacetField::Kind,
    FacetField::Alliance,
    FacetField::Studio,
    FacetField::Year,
    FacetField::Category,
    FacetField::PatentType,
    FacetField::Status,
    FacetField::Level,
    FacetField::AwardLevel,
    FacetField::AdoptionYear,
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
    // The sidebar's longest list; the rest are behind its "更多" link.
    request.facet_limit = SIDEBAR_TAGS;
    let home = uri.path() == "/" && request.q.is_empty() && request.filters.is_empty();
    if request.q.trim().is_empty() && query.as_deref().is_none_or(|q| !q.contains("sort=")) {
        request.sort = Sort::Newest;
    }
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let for_search = request.clone();
    let (results, alone) = crate::web::unblock(move || {
        let results = engine.search(&for_search, &viewer)?;
        let alone = match results.total == 0 && !for_search.q.trim().is_empty() {
            true => engine.words_alone(&for_search.q, &viewer)?,
            false => Vec::new(),
        };
        Ok::<_, crate::search::SearchError>((results, alone))
    })
    .await??;
    let mut page = search_page(&state, lang, &uri, &request, results, home, &current);
    if page.cards.is_empty() && page.beyond_last.is_none() && !request.q.trim().is_empty() {
        page.alone = alone
            .into_iter()
            .map(|(word, count)| WordAlone {
                url: format!("/search?q={}", enc(&word)),
                word,
                count,
            })
            .collect();
        let may_publish = matches!(
            current.viewer.role,
            crate::auth::Role::Publisher { .. } | crate::auth::Role::Staff
        );
        let title: String = request.q.trim().chars().take(100).collect();
        page.ask_url = may_publish.then(|| format!("/publish?kind=problem&title={}", enc(&title)));
    }
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
            let limit = if field == FacetField::Tag { SIDEBAR_TAGS } else { 12 };
            let distinct = results
                .facets
                .iter()
                .find(|f| f.field == field)
                .map_or(0, |f| f.distinct);
            let items: Vec<FacetItem> = values
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
                more_url: (distinct > items.len()).then(|| links.more(field)),
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
        ("adoption", "sort_adoption"),
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
        prev_url: (this_page > 1).then(|| links.page(&(this_page - 1).min(last))),
        next_url: (this_page < last).then(|| links.page(&(this_page + 1))),
        pages,
        beyond_last: (results.total > 0 && results.hits.is_empty() && this_page > last)
            .then(|| (last, links.page(&last))),
        cards: card_views(tr, results.hits),
        alone: Vec::new(),
        ask_url: None,
        feed_url: crate::web::feeds::search_feed_url(request),
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
