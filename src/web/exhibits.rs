//! Exhibits (成果展) over HTTP: the list, an exhibit's page, its print
//! layout of A4 boards (`/exhibits/{id}/print`), the staff's builder
//! (`/exhibits/{id}/edit`, plain forms that work without JavaScript), the
//! "加入成果展" page reached from search cards and record pages, the ZIP
//! of the offline copy, and `PUT /api/exhibits/{id}` for scripts. The
//! exhibit logic is `crate::exhibit`; saving is `publish::Publisher`.

use askama::Template;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::form::refuse_non_writer;
use super::pages::record::files_base;
use super::pages::{Chrome, LinkItem, render_markdown, render_page};
use super::session::{Current, csrf_header};
use super::{AppError, AppState};
use crate::auth::{Role, Viewer};
use crate::content::{Exhibit, Visibility};
use crate::exhibit::{self, Board, Edit, export};
use crate::publish::ExhibitSaved;

/// One board as a page shows it.
pub struct BoardView {
    pub number: usize,
    pub board: Board,
    pub url: String,
    pub image_url: Option<String>,
    /// Inline SVG of the record's public address.
    pub qr: Option<String>,
}

pub struct SectionView {
    pub title: String,
    pub boards: Vec<BoardView>,
}

/// An exhibit's items the viewer may see, by section.
struct Gathered {
    sections: Vec<SectionView>,
    shown: usize,
    left_out: usize,
}

/// Reads the records the viewer may see (the others are counted, never
/// named); `public_url` adds each board's QR code.
fn gather(state: &AppState, viewer: &Viewer, exhibit: &Exhibit, en: bool, qr: bool) -> Result<Gathered, AppError> {
    let engine = &state.engine;
    let snapshot = engine.snapshot();
    let base = state.public_url.as_deref().filter(|_| qr);
    let mut gathered = Gathered {
        sections: Vec::new(),
        shown: 0,
        left_out: 0,
    };
    for section in &exhibit.sections {
        let mut boards = Vec::new();
        for item in &section.items {
            let Some((record, located)) = engine.read_record(&item.id, viewer)? else {
                gathered.left_out += 1;
                continue;
            };
            gathered.shown += 1;
            let images = exhibit::images_of(engine.content_root(), &located.rel);
            let board = exhibit::board(&record, item, &snapshot.profiles, &images, en);
            let files = files_base(&record.id, &located.rel);
            boards.push(BoardView {
                number: gathered.shown,
                image_url: board.image.as_ref().map(|name| format!("{files}{name}")),
                url: format!("/records/{}", record.id),
                qr: base.and_then(|b| exhibit::qr_svg(&exhibit::public_address(b, &record.id))),
                board,
            });
        }
        if !boards.is_empty() || !section.title.is_empty() {
            gathered.sections.push(SectionView {
                title: section.title.clone(),
                boards,
            });
        }
    }
    Ok(gathered)
}

/// The exhibit if the viewer may see it; 404 otherwise, like a missing one.
fn visible_exhibit(state: &AppState, viewer: &Viewer, id: &str) -> Result<Exhibit, AppError> {
    state
        .engine
        .snapshot()
        .profiles
        .exhibits
        .get(id)
        .filter(|e| viewer.may_see(e.visibility, ""))
        .cloned()
        .ok_or(AppError::NotFound)
}

fn is_staff(current: &Current) -> bool {
    matches!(current.viewer.role, Role::Staff)
}

/// Staff pages: anonymous visitors are sent to sign in, others refused.
fn refuse_non_staff(current: &Current, here: &str) -> Option<Response> {
    match current.viewer.role {
        Role::Staff => None,
        // Sent to sign in, as the publishing pages do.
        Role::Anonymous => refuse_non_writer(current, here),
        Role::Member | Role::Publisher { .. } => {
            Some(AppError::Forbidden("成果展由工会工作人员维护：只有工作人员可以编辑".into()).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "exhibits.html")]
pub struct ExhibitsPage {
    pub chrome: Chrome,
    pub exhibits: Vec<LinkItem>,
}

/// `GET /exhibits`: the exhibits the viewer may see; staff also get the
/// form that starts a new one.
pub async fn list(State(state): State<AppState>, current: Current, chrome: Chrome) -> Result<Response, AppError> {
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
    render_page(&ExhibitsPage { chrome, exhibits })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    pub csrf: String,
    pub id: String,
    pub title: String,
}

/// `POST /exhibits`: a new, empty exhibit (staff), then its builder.
pub async fn create(
    State(state): State<AppState>,
    current: Current,
    axum::Form(form): axum::Form<CreateForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let id = form.id.trim().to_string();
    let new = Exhibit {
        id: id.clone(),
        title: form.title.trim().to_string(),
        cover: None,
        sections: Vec::new(),
        visibility: Visibility::Members,
        body: String::new(),
    };
    if new.title.is_empty() {
        return Err(AppError::Invalid(vec![crate::content::Problem::error(
            1,
            "title",
            "请填写成果展标题",
        )]));
    }
    let text = exhibit::to_markdown(&new);
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let target = id.clone();
    crate::web::unblock(move || publisher.save_exhibit(&viewer, &target, &text, None, true)).await??;
    Ok(Redirect::to(&format!("/exhibits/{}/edit", path_part(&id))).into_response())
}

/// An exhibit id as one segment of a URL.
fn path_part(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The exhibit page's own words in the interface's language (the print
/// and the builder are in Chinese: boards hang in Chinese workplaces, and
/// the builder is for union staff).
pub struct Words {
    pub print: &'static str,
    pub landscape: &'static str,
    pub edit: &'static str,
    pub download: &'static str,
    pub authors: &'static str,
    pub scan: &'static str,
    pub left_out: String,
}

impl Words {
    fn new(en: bool, left_out: usize) -> Words {
        let pick = |zh: &'static str, en_text: &'static str| if en { en_text } else { zh };
        Words {
            print: pick("打印 A4 展板", "Print A4 boards"),
            landscape: pick("横向", "landscape"),
            edit: pick("编辑成果展", "Edit the exhibit"),
            download: pick("下载离线版（ZIP）", "Download the offline copy (ZIP)"),
            authors: crate::content::spec::record_field("authors", crate::content::Kind::Achievement)
                .map_or("", |f| f.label(en)),
            scan: pick("扫码查看", "Scan to open"),
            left_out: if en {
                format!("{left_out} more item(s) you may not see are not shown.")
            } else {
                format!("另有 {left_out} 项您无权查看，未显示。")
            },
        }
    }
}

#[derive(Template)]
#[template(path = "exhibit.html")]
pub struct ExhibitPage {
    pub chrome: Chrome,
    pub w: Words,
    pub id: String,
    pub title: String,
    pub cover: String,
    pub html: String,
    pub sections: Vec<SectionView>,
    pub left_out: usize,
}

/// `GET /exhibits/{id}`: the sections and, per item, what a visitor
/// wants to read, among what the viewer may see.
pub async fn show(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let exhibit = visible_exhibit(&state, &current.viewer, &id)?;
    let rendered = render_markdown(exhibit.body.clone(), "/exhibits/".into()).await?;
    let en = chrome.tr.is_en();
    let gathered = {
        let (state, viewer, exhibit) = (state.clone(), current.viewer.clone(), exhibit.clone());
        crate::web::unblock(move || gather(&state, &viewer, &exhibit, en, false)).await??
    };
    render_page(&ExhibitPage {
        w: Words::new(en, gathered.left_out),
        chrome,
        id: exhibit.id.clone(),
        title: exhibit.title.clone(),
        cover: exhibit.cover.clone().unwrap_or_default(),
        html: rendered.html.clone(),
        sections: gathered.sections,
        left_out: gathered.left_out,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrintQuery {
    pub orientation: String,
}

#[derive(Template)]
#[template(path = "exhibit_print.html")]
pub struct PrintPage {
    pub id: String,
    pub title: String,
    pub cover: String,
    pub landscape: bool,
    pub sections: Vec<SectionView>,
    pub shown: usize,
    pub left_out: usize,
    pub public_url_missing: bool,
    pub printed: String,
}

/// `GET /exhibits/{id}/print[?orientation=landscape]`: a cover board, a
/// contents board, then one A4 board per item, each with its QR code.
pub async fn print(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(query): Query<PrintQuery>,
) -> Result<Response, AppError> {
    let landscape = match query.orientation.as_str() {
        "" | "portrait" => false,
        "landscape" => true,
        other => {
            return Err(AppError::BadRequest(format!(
                "版面方向“{other}”无效：应为 portrait（纵向，默认）或 landscape（横向）"
            )));
        }
    };
    let exhibit = visible_exhibit(&state, &current.viewer, &id)?;
    let en = chrome.tr.is_en();
    let gathered = {
        let (state, viewer, exhibit) = (state.clone(), current.viewer.clone(), exhibit.clone());
        crate::web::unblock(move || gather(&state, &viewer, &exhibit, en, true)).await??
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    render_page(&PrintPage {
        id: exhibit.id.clone(),
        title: exhibit.title.clone(),
        cover: exhibit.cover.clone().unwrap_or_default(),
        landscape,
        sections: gathered.sections,
        shown: gathered.shown,
        left_out: gathered.left_out,
        public_url_missing: state.public_url.is_none(),
        printed: export::beijing_time(now),
    })
}

/// One item in the builder.
pub struct EditItem {
    pub index: usize,
    pub id: String,
    pub title: String,
    pub caption: String,
    pub image: String,
    pub images: Vec<String>,
    /// The record is gone (or unreadable): it can only be removed.
    pub missing: bool,
}

pub struct EditSection {
    pub index: usize,
    pub title: String,
    pub items: Vec<EditItem>,
}

#[derive(Template)]
#[template(path = "exhibit_edit.html")]
pub struct EditPage {
    pub chrome: Chrome,
    pub id: String,
    pub etag: String,
    pub title: String,
    pub cover: String,
    pub visibility: String,
    pub visibilities: Vec<(&'static str, &'static str)>,
    pub body: String,
    pub sections: Vec<EditSection>,
    /// (index, title) of every section, for "move to".
    pub targets: Vec<(usize, String)>,
    /// The latest saves, newest first: (Beijing time, author, action).
    pub saves: Vec<(String, String, &'static str)>,
}

/// `GET /exhibits/{id}/edit`: the builder (staff).
pub async fn edit_page(
    State(state): State<AppState>,
    current: Current,
    OriginalUri(uri): OriginalUri,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if let Some(refused) = refuse_non_staff(&current, &uri.to_string()) {
        return Ok(refused);
    }
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    let (text, etag) = crate::web::unblock(move || publisher.exhibit_text(&viewer, &key))
        .await??
        .ok_or(AppError::NotFound)?;
    let exhibit =
        match crate::content::parse_document(&format!("exhibits/{id}"), &text, &crate::content::KnownIds::default()) {
            Ok((crate::content::Document::Exhibit(e), _)) => e,
            Ok(_) => return Err(AppError::NotFound),
            Err(problems) => return Err(AppError::Invalid(problems)),
        };
    let tr = chrome.tr;
    let sections = {
        let (state, viewer, exhibit) = (state.clone(), current.viewer.clone(), exhibit.clone());
        crate::web::unblock(move || -> Result<Vec<EditSection>, AppError> {
            let mut out = Vec::new();
            for (s, section) in exhibit.sections.iter().enumerate() {
                let mut items = Vec::new();
                for (i, item) in section.items.iter().enumerate() {
                    let found = state.engine.locate(&item.id, &viewer)?;
                    items.push(EditItem {
                        index: i,
                        id: item.id.clone(),
                        title: found.as_ref().map(|l| l.card.title.clone()).unwrap_or_default(),
                        caption: item.caption.clone().unwrap_or_default(),
                        image: item.image.clone().unwrap_or_default(),
                        images: found
                            .as_ref()
                            .map(|l| exhibit::images_of(state.engine.content_root(), &l.rel))
                            .unwrap_or_default(),
                        missing: found.is_none(),
                    });
                }
                out.push(EditSection {
                    index: s,
                    title: section.title.clone(),
                    items,
                });
            }
            Ok(out)
        })
        .await??
    };
    let targets = sections
        .iter()
        .map(|s| {
            let title = if s.title.is_empty() {
                "（不分板块）".to_string()
            } else {
                s.title.clone()
            };
            (s.index, title)
        })
        .collect();
    let saves = state
        .publisher
        .history()
        .versions(&format!("exhibits/{id}"))
        .into_iter()
        .rev()
        .take(5)
        .map(|v| {
            let action = if v.action == "create" { "新建" } else { "修改" };
            (export::beijing_time(v.time as i64), v.author, action)
        })
        .collect();
    render_page(&EditPage {
        saves,
        visibilities: crate::content::VISIBILITIES
            .iter()
            .map(|c| (c.value, if tr.is_en() { c.en } else { c.zh }))
            .collect(),
        chrome,
        id: exhibit.id.clone(),
        etag,
        title: exhibit.title.clone(),
        cover: exhibit.cover.clone().unwrap_or_default(),
        visibility: exhibit.visibility.as_str().to_string(),
        body: exhibit.body.clone(),
        sections,
        targets,
    })
}

/// Everything a builder form may send; `op` says which edit.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    pub csrf: String,
    pub etag: String,
    pub op: String,
    pub section: usize,
    pub item: usize,
    pub target: usize,
    /// Where in the target section (dragging); the end when absent.
    pub position: Option<usize>,
    pub record: String,
    pub caption: String,
    pub image: String,
    pub title: String,
    pub cover: String,
    pub visibility: String,
    pub body: String,
}

impl EditForm {
    fn edit(self) -> Result<Edit, AppError> {
        let (section, item) = (self.section, self.item);
        Ok(match self.op.as_str() {
            "add" => Edit::Add {
                record: self.record,
                section: self.title,
                caption: self.caption,
            },
            "remove" => Edit::Remove { section, item },
            "up" | "down" => Edit::Move {
                section,
                item,
                up: self.op == "up",
            },
            "move_to" => Edit::MoveTo {
                section,
                item,
                target: self.target,
                position: self.position,
            },
            "caption" => Edit::Caption {
                section,
                item,
                caption: self.caption,
                image: self.image,
            },
            "add_section" => Edit::AddSection { title: self.title },
            "rename_section" => Edit::RenameSection {
                section,
                title: self.title,
            },
            "remove_section" => Edit::RemoveSection { section },
            "section_up" | "section_down" => Edit::MoveSection {
                section,
                up: self.op == "section_up",
            },
            "details" => Edit::Details {
                title: self.title,
                cover: self.cover,
                visibility: self.visibility,
                body: self.body,
            },
            other => return Err(AppError::BadRequest(format!("未知的编辑操作“{other}”"))),
        })
    }
}

/// `POST /exhibits/{id}/edit`: one edit, then back to the builder.
pub async fn edit_submit(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<EditForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let shown = form.etag.clone();
    let edit = form.edit()?;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    crate::web::unblock(move || publisher.edit_exhibit(&viewer, &key, Some(&shown), edit)).await??;
    Ok(Redirect::to(&format!("/exhibits/{}/edit", path_part(&id))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddQuery {
    pub record: String,
}

#[derive(Template)]
#[template(path = "exhibit_add.html")]
pub struct AddPage {
    pub chrome: Chrome,
    pub record: String,
    pub record_title: String,
    /// (id, title, its section titles) of every exhibit.
    pub exhibits: Vec<(String, String, Vec<String>)>,
}

/// `GET /add-to-exhibit?record=ID`: asks which exhibit and section.
pub async fn add_page(
    State(state): State<AppState>,
    current: Current,
    OriginalUri(uri): OriginalUri,
    chrome: Chrome,
    Query(query): Query<AddQuery>,
) -> Result<Response, AppError> {
    if let Some(refused) = refuse_non_staff(&current, &uri.to_string()) {
        return Ok(refused);
    }
    let located = {
        let (state, viewer, id) = (state.clone(), current.viewer.clone(), query.record.clone());
        crate::web::unblock(move || state.engine.locate(&id, &viewer)).await??
    }
    .ok_or(AppError::NotFound)?;
    let snapshot = state.engine.snapshot();
    let exhibits = snapshot
        .profiles
        .exhibits
        .values()
        .map(|e| {
            let sections = e
                .sections
                .iter()
                .filter(|s| !s.title.is_empty())
                .map(|s| s.title.clone())
                .collect();
            (e.id.clone(), e.title.clone(), sections)
        })
        .collect();
    render_page(&AddPage {
        chrome,
        record: query.record,
        record_title: located.card.title,
        exhibits,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    pub csrf: String,
    pub record: String,
    pub exhibit: String,
    pub section: String,
    pub caption: String,
}

/// `POST /add-to-exhibit`: adds the record, then opens the builder.
pub async fn add_submit(
    State(state): State<AppState>,
    current: Current,
    axum::Form(form): axum::Form<AddForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let id = form.exhibit.clone();
    let edit = Edit::Add {
        record: form.record,
        section: form.section,
        caption: form.caption,
    };
    crate::web::unblock(move || publisher.edit_exhibit(&viewer, &form.exhibit, None, edit)).await??;
    Ok(Redirect::to(&format!("/exhibits/{}/edit", path_part(&id))).into_response())
}

/// `GET /exhibits/{id}/export.zip`: the offline copy (staff), the same
/// files as `zhihui export exhibit`.
pub async fn export_zip(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if !is_staff(&current) {
        return Err(match current.viewer.role {
            Role::Anonymous => AppError::Unauthorized("请先登录".into()),
            _ => AppError::Forbidden("只有工会工作人员可以下载离线版".into()),
        });
    }
    let exhibit = visible_exhibit(&state, &current.viewer, &id)?;
    let bytes = crate::web::unblock(move || -> Result<Vec<u8>, AppError> {
        let snapshot = state.engine.snapshot();
        let visitor = Viewer::anonymous();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let source = export::Source {
            exhibit: &exhibit,
            profiles: &snapshot.profiles,
            content_root: state.engine.content_root(),
            public_url: state.public_url.as_deref(),
            now,
        };
        // Read as a visitor would: only public records reach the copy.
        let built = export::build(&source, |id| {
            let (record, located) = state.engine.read_record(id, &visitor).ok()??;
            Some(export::Found {
                record,
                rel: located.rel,
            })
        });
        export::zip(&built, &exhibit.id).map_err(|e| AppError::Internal(e.into()))
    })
    .await??;
    let disposition = format!(
        "attachment; filename=\"exhibit.zip\"; filename*=UTF-8''{}.zip",
        path_part(&id)
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn saved_response(saved: &ExhibitSaved) -> Response {
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({
        "id": saved.id,
        "title": saved.exhibit.title,
        "visibility": saved.exhibit.visibility.as_str(),
        "sections": saved.exhibit.sections,
        "etag": saved.etag,
        "url": format!("/exhibits/{}", saved.id),
    });
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", saved.etag)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// `GET /api/exhibits/{id}`: the exhibit's file as it is, with its
/// `ETag` for a later `PUT … If-Match` (staff, like the writes).
pub async fn get_api(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let (text, etag) = crate::web::unblock(move || publisher.exhibit_text(&viewer, &id))
        .await??
        .ok_or(AppError::NotFound)?;
    let mut response = (StatusCode::OK, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(header::ETAG, tag);
    }
    Ok(response)
}

/// `PUT /api/exhibits/{id}` with the whole Markdown file: 201 created,
/// 200 replaced; `If-Match` / `If-None-Match: *` as for records.
pub async fn put_api(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let text = super::records_api::read_text(body, "成果展文件").await?;
    let (if_match, create_only) = super::records_api::write_conditions(&headers);
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let saved =
        crate::web::unblock(move || publisher.save_exhibit(&viewer, &id, &text, if_match.as_deref(), create_only))
            .await??;
    Ok(saved_response(&saved))
}
