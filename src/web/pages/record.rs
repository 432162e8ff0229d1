//! A record's page (`/records/{id}`): its metadata by kind, awards, body,
//! attachments, links, similar records and the studio's other records. The
//! same route serves the files of a page bundle (`web::files`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::auth::Role;
use crate::content::Record;
use crate::content::render::Rendered;
use crate::content::spec::{RECORD_FIELDS, Shape};
use crate::search::{Card, FacetField, SearchRequest, Sort};
use crate::web::session::Current;
use crate::web::{AppError, AppState};

use super::{CardView, Chrome, LinkItem, card_views, render_markdown, render_page};

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
    chrome: Chrome,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let wanted = path.clone();
    if let Some((record, located)) = crate::web::unblock(move || engine.read_record(&wanted, &viewer)).await?? {
        let rendered = render_markdown(record.body.clone(), files_base(&record.id, &located.rel)).await?;
        let state = state.clone();
        return crate::web::unblock(move || {
            record_page(&state, chrome, &current, record, &located.rel, &located.card, &rendered)
        })
        .await?;
    }
    let state = state.clone();
    crate::web::unblock(move || crate::web::files::bundle_file(&state, &current.viewer, &path)).await?
}

#[allow(clippy::too_many_arguments)]
fn record_page(
    state: &AppState,
    chrome: Chrome,
    current: &Current,
    record: Record,
    rel: &str,
    card: &Card,
    rendered: &Rendered,
) -> Result<Response, AppError> {
    let tr = chrome.tr;
    let viewer = &current.viewer;
    let base = files_base(&record.id, rel);
    // The facts of its kind, as the field table describes them; what the
    // page shows in a place of its own (title, kind, studio, tags,
    // summary, awards, adoptions, links, review) is left out here.
    let en = tr.is_en();
    let mut meta: Vec<MetaRow> = RECORD_FIELDS
        .iter()
        .filter(|f| f.applies_to(record.kind))
        .filter(|f| {
            !matches!(
                f.name,
                "title"
                    | "kind"
                    | "studio"
                    | "tags"
                    | "summary"
                    | "related"
                    | "solved_by"
                    | "review"
                    | "review_comment"
            )
        })
        .filter_map(|f| {
            let raw = record.field_text(f.name)?;
            let value = match f.shape {
                Shape::Choice(_) => tr.label(f.name, &raw).into_owned(),
                Shape::Number if f.name == "benefit" => format!("{raw} {}", tr.t("wan_yuan")),
                Shape::List => raw
                    .split('，')
                    .collect::<Vec<_>>()
                    .join(if f.name == "ipc" { "；" } else { "、" }),
                _ => raw,
            };
            Some(MetaRow {
                label: f.label(en),
                value,
            })
        })
        .collect();

    // A granted patent's term end and next annual fee, as the patent watch
    // counts them (an application has neither yet, a lapsed one no more).
    if record.kind == crate::content::Kind::Patent && record.status.as_deref() == Some("granted") {
        let (term_end, next_fee) = crate::patents::term_and_fee(
            record.patent_type.as_deref(),
            record.filing_date.and_then(crate::patents::to_date),
            record.status.as_deref(),
            crate::patents::today_in_beijing(),
        );
        for (key, date) in [("term_end", term_end), ("next_fee", next_fee)] {
            if let Some(date) = date {
                meta.push(MetaRow {
                    label: tr.t(key),
                    value: date.to_string(),
                });
            }
        }
    }
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
        .map(|dir| crate::web::files::list_files(&dir))
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
        chrome,
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
