//! HTML pages, one file per area: `search` (the search page), `record`
//! (a record's page), `profiles` (alliances), `studios` (the
//! studio directory, a studio's page, `/api/studios`), `patents` (the
//! patent watch, `/api/patents`, the calendar feed), `login`,
//! `errors` (error pages and the fallback) and `static_files`. This module
//! holds what they share: the page frame (`Chrome`, an extractor),
//! `render_page`, the bounded Markdown renderer and result cards. Each
//! handler gathers what its page shows into a view struct; the askama
//! template under `templates/` lays it out. Searches, file reads and
//! Markdown rendering run off the async workers (`unblock`), rendering at
//! most `render_slots()` at once, so that a slow body never holds up the
//! server.

pub mod errors;
pub mod login;
pub mod patents;
pub mod profiles;
pub mod record;
pub mod search;
pub mod static_files;
pub mod studios;

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

use super::i18n::{Lang, Tr};
use super::{AppError, AppState};
use crate::auth::Role;
use crate::content::render::{self, Rendered};
use crate::search::Hit;
use crate::web::session::Current;

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
    /// The frame for pages that need more than the extractor gives: the
    /// search page (its query stays in the header's box) and the error and
    /// sign-in pages, built outside a handler's extractors.
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

/// The frame of a page whose header search box starts empty: what almost
/// every handler needs, so it is taken like `Lang` or `Current`. The viewer
/// is the request's `Current` (recognised once per request, see
/// `session::Current`).
impl FromRequestParts<AppState> for Chrome {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_parts(parts);
        let OriginalUri(uri) = match OriginalUri::from_request_parts(parts, state).await {
            Ok(uri) => uri,
            Err(never) => match never {},
        };
        let current = Current::from_request_parts(parts, state).await?;
        Ok(Chrome::new(lang, &uri, "", &current))
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
    crate::web::unblock(move || render::render_cached(&body, &base)).await
}

/// A titled link (attachments, related records, studios, exhibits).
pub struct LinkItem {
    pub title: String,
    pub url: String,
}

/// A result card with its labels resolved.
pub struct CardView {
    pub hit: Hit,
    pub kind_label: String,
    pub badges: Vec<String>,
    /// 待审核 / 已退回: only those who may see a submission get one.
    pub review: Option<String>,
    /// 应用推广 N 项, when the record was adopted anywhere.
    pub adoptions: Option<String>,
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
        review: c.review.as_deref().map(|r| tr.label("review", r).into_owned()),
        adoptions: (c.adoptions > 0).then(|| match tr.is_en() {
            true => format!("Adopted in {} projects", c.adoptions),
            false => format!("应用推广 {} 项", c.adoptions),
        }),
        hit,
    }
}

fn card_views(tr: Tr, hits: Vec<Hit>) -> Vec<CardView> {
    hits.into_iter().map(|h| card_view(tr, h)).collect()
}
