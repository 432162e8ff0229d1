//! A record's page (`/records/{id}`): its metadata by kind, awards, body,
//! attachments, links, similar records and the studio's other records. The
//! same route serves the files of a page bundle (`web::files`).

use askama::Template;
use axum::extract::{Path, Query, State};
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

/// The headings as lists nested the way the headings nest: a heading
/// deeper than the one before opens a list inside it, a shallower one
/// closes lists back to its level. A body that skips a level (## then
/// ####) nests one step only, so numbering never shows an empty level.
pub fn toc_html(toc: &[(u8, String, String)]) -> String {
    let mut html = String::from("<ol>");
    // Depth of the heading that opened each list still open.
    let mut open: Vec<u8> = Vec::new();
    for (i, (depth, text, anchor)) in toc.iter().enumerate() {
        if i > 0 {
            let top = *open.last().unwrap_or(depth);
            if *depth > top {
                html.push_str("<ol>");
                open.push(*depth);
            } else {
                while open.len() > 1 && open.last().is_some_and(|d| d > depth) {
                    open.pop();
                    html.push_str("</li></ol>");
                }
                html.push_str("</li>");
                if let Some(last) = open.last_mut() {
                    *last = (*last).min(*depth);
                }
            }
        } else {
            open.push(*depth);
        }
        html.push_str("<li><a href=\"#");
        html.push_str(&escape(anchor));
        html.push_str("\">");
        html.push_str(&escape(text));
        html.push_str("</a>");
    }
    if !toc.is_empty() {
        html.push_str("</li>");
    }
    for _ in 1..open.len() {
        html.push_str("</ol></li>");
    }
    html.push_str("</ol>");
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::content::render::escape_into(&mut out, text);
    out
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
    /// Partner studios of a joint record (联合攻关), linked in the header.
    pub partners: Vec<crate::search::Partner>,
    pub meta: Vec<MetaRow>,
    pub html: String,
    pub toc: Vec<(u8, String, String)>,
    /// The contents as nested lists, numbered by CSS counters (5, 5.1, 5.2).
    pub toc_html: String,
    pub awards: Vec<(String, String, String)>,
    pub attachments: Vec<LinkItem>,
    pub related: Vec<LinkItem>,
    pub solved_by: Vec<LinkItem>,
    pub similar: Vec<CardView>,
    pub more: Vec<CardView>,
    pub can_edit: bool,
    /// 申请对接 is offered (visitors are asked to sign in first): a
    /// published result of another studio than the viewer's.
    pub can_request: bool,
    /// What was just done (`?done=`), in a banner.
    pub banner: Option<&'static str>,
    /// The files chosen in the form could not all be attached.
    pub files_failed: bool,
    /// For its studio and staff: a change waiting beside the published
    /// version (its review state label and comment).
    pub waiting: Option<(String, String)>,
    /// For its studio and staff: the reviewer's comment when it was last
    /// approved, with the time.
    pub approval: Option<(String, String)>,
    /// A problem's place on the board (劳模帮帮团): state, lead, helpers,
    /// the viewer's actions and suggested solutions.
    pub problem: Option<crate::web::problems::ItemView>,
    /// The visible problems this record solved (解决了难题).
    pub solves: Vec<LinkItem>,
    /// Where the board's forms come back to.
    pub back: String,
    pub loop_n: usize,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    pub done: String,
    pub files: String,
}

pub async fn record_or_file(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(path): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let viewer = current.viewer.clone();
    let engine = state.engine.clone();
    let wanted = path.clone();
    if let Some((record, located)) = crate::web::unblock(move || engine.read_record(&wanted, &viewer)).await?? {
        let rendered = render_markdown(record.body.clone(), files_base(&record.id, &located.rel)).await?;
        let state = state.clone();
        return crate::web::unblock(move || {
            record_page(
                &state,
                chrome,
                &current,
                record,
                &located.rel,
                &located.card,
                &rendered,
                &done,
            )
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
    done: &DoneQuery,
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
                    | "partners"
                    | "tags"
                    | "summary"
                    | "related"
                    | "solved_by"
                    | "lead"
                    | "helpers"
                    | "priority"
                    | "due"
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
    let toc: Vec<(u8, String, String)> = rendered
        .toc
        .iter()
        .filter(|(depth, _, _)| *depth <= 3)
        .cloned()
        .collect();
    let can_edit = match &viewer.role {
        Role::Staff => true,
        Role::Publisher { studio } => *studio == record.studio,
        _ => false,
    };
    let can_request = record.kind != crate::content::Kind::Problem
        && record.review.is_none()
        && viewer.own_studio() != Some(record.studio.as_str());
    let (waiting, approval) = if can_edit {
        let waiting = state
            .publisher
            .submission(viewer, &record.id)?
            .filter(|s| s.published.is_some())
            .map(|s| {
                let label = tr
                    .label("review", s.record.review.as_deref().unwrap_or("pending"))
                    .into_owned();
                (label, s.record.review_comment.unwrap_or_default())
            });
        let approval = state
            .publisher
            .versions(viewer, &record.id)
            .into_iter()
            .rev()
            .find(|v| v.action == "approve")
            .and_then(|v| Some((state.clock.format(v.time), v.comment?)));
        (waiting, approval)
    } else {
        (None, None)
    };
    let problem = if record.kind == crate::content::Kind::Problem {
        Some(crate::web::problems::record_item(
            state,
            tr,
            viewer,
            card,
            &record.body,
        )?)
    } else {
        None
    };
    let solves = if record.kind == crate::content::Kind::Problem {
        Vec::new()
    } else {
        crate::problems::solved_by_record(engine, viewer, &record.id)?
            .into_iter()
            .map(|(id, title)| LinkItem {
                title,
                url: format!("/records/{id}"),
            })
            .collect()
    };
    let page = RecordPage {
        problem,
        solves,
        back: format!("/records/{}", record.id),
        loop_n: 1,
        banner: crate::web::review::banner_text(tr, &done.done)
            .or_else(|| crate::web::problems::record_banner(tr, &done.done)),
        chrome,
        files_failed: done.files == "failed",
        waiting,
        approval,
        toc_html: toc_html(&toc),
        kind_label: tr.label("kind", record.kind.as_str()).into_owned(),
        studio_name: card.studio_name.clone(),
        partners: card.partners.clone(),
        meta,
        html: rendered.html.clone(),
        toc,
        awards,
        attachments,
        related,
        solved_by,
        similar,
        more: card_views(tr, more_hits),
        can_edit,
        can_request,
        record,
    };
    render_page(&page)
}

#[cfg(test)]
mod tests {
    use super::toc_html;

    fn h(depth: u8, text: &str) -> (u8, String, String) {
        (depth, text.to_string(), text.to_string())
    }

    #[test]
    fn contents_nest_as_the_headings_do() {
        let toc = [
            h(2, "概述"),
            h(2, "工艺"),
            h(3, "流程"),
            h(3, "要点"),
            h(2, "质量<控制>"),
        ];
        assert_eq!(
            toc_html(&toc),
            "<ol><li><a href=\"#概述\">概述</a></li><li><a href=\"#工艺\">工艺</a><ol><li><a href=\"#流程\">流程</a></li><li><a href=\"#要点\">要点</a></li></ol></li><li><a href=\"#质量&lt;控制&gt;\">质量&lt;控制&gt;</a></li></ol>"
        );
        // Ends inside a nested list; starts deeper than it goes on.
        let ends_deep = toc_html(&[h(2, "a"), h(3, "b")]);
        assert_eq!(
            ends_deep,
            "<ol><li><a href=\"#a\">a</a><ol><li><a href=\"#b\">b</a></li></ol></li></ol>"
        );
        let starts_deep = toc_html(&[h(3, "a"), h(2, "b"), h(3, "c")]);
        assert_eq!(
            starts_deep,
            "<ol><li><a href=\"#a\">a</a></li><li><a href=\"#b\">b</a><ol><li><a href=\"#c\">c</a></li></ol></li></ol>"
        );
        // Every list opened is closed.
        for toc in [&toc[..], &[h(1, "x"), h(2, "y"), h(3, "z"), h(1, "w")]] {
            let html = toc_html(toc);
            assert_eq!(html.matches("<ol>").count(), html.matches("</ol>").count(), "{html}");
            assert_eq!(html.matches("<li>").count(), html.matches("</li>").count(), "{html}");
        }
    }
}
