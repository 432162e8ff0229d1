//! The publishing form (`/publish`): `RecordForm`, the record file it
//! writes, the page with its preview and novelty check, and its submit.
//! Every write goes through `publish::Publisher`.

use axum::extract::{FromRequest, OriginalUri, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::pages::Chrome;
use super::records_api::novelty_hits;
use super::session::Current;
use super::{AppError, AppState};
use std::collections::BTreeMap;

use crate::content::spec::{Choice, RECORD_FIELDS, Shape};
use crate::content::{Kind, Record};
use crate::publish::PublishError;

/// The form's fields; everything is text, checked by the content rules.
/// The record's fields are those of `content::spec::RECORD_FIELDS`, by
/// name (awards: `名称 | 级别 | 年份` a line; applied_in: `项目 | 年份 | 备注`).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RecordForm {
    pub id: String,
    pub slug: String,
    pub body: String,
    pub etag: String,
    pub csrf: String,
    pub action: String,
    /// The draft holding files added in this form (`publish::drafts`).
    pub draft: String,
    #[serde(flatten)]
    pub values: BTreeMap<String, String>,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', '\n', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Largest publishing form accepted: a body and, sent without script,
/// up to four files of the largest size.
pub const MAX_FORM_BYTES: usize = 4 * crate::publish::MAX_ATTACHMENT_BYTES + 1024 * 1024;

/// Most rows of awards or places of adoption the form offers.
const MAX_ROWS: usize = 30;
/// Blank rows offered after the filled ones.
const BLANK_ROWS: usize = 2;

/// The award and adoption rows: (the form field's prefix, its cells).
const AWARD_CELLS: [&str; 3] = ["award_name", "award_level", "award_year"];
const APPLIED_CELLS: [&str; 3] = ["applied_project", "applied_year", "applied_note"];

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(['|', '｜']).map(|c| c.trim().to_string()).collect::<Vec<_>>())
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .collect()
}

impl RecordForm {
    /// The value typed for a field ("" when none).
    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.insert(field.to_string(), value.into());
    }

    /// The rows typed into a group of cells (`award_name_0`, …), blank
    /// rows left out, then any written as `a | b | c` lines in the
    /// group's text field (the form before it had rows, and scripts).
    fn cell_rows(&self, cells: &[&str; 3], text_field: &str) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = (0..MAX_ROWS)
            .map(|i| {
                cells
                    .iter()
                    .map(|c| self.v(&format!("{c}_{i}")).trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .collect();
        out.extend(rows(self.v(text_field)));
        out
    }

    pub fn award_rows(&self) -> Vec<Vec<String>> {
        self.cell_rows(&AWARD_CELLS, "awards")
    }

    pub fn applied_rows(&self) -> Vec<Vec<String>> {
        self.cell_rows(&APPLIED_CELLS, "applied_in")
    }

    /// The rows the form shows for a group: those filled, then blanks.
    fn shown_rows(&self, cells: &[&str; 3], text_field: &str) -> Vec<[String; 3]> {
        let filled = self.cell_rows(cells, text_field);
        let n = (filled.len() + BLANK_ROWS).min(MAX_ROWS);
        (0..n)
            .map(|i| {
                let row = filled.get(i);
                let cell = |j: usize| row.and_then(|r| r.get(j)).cloned().unwrap_or_default();
                [cell(0), cell(1), cell(2)]
            })
            .collect()
    }

    /// What a person is likely to get wrong that the content rules
    /// cannot see in the file written: a year that is not a year (the
    /// file would drop it), an award without its level, a row without
    /// its name. Each as (field, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let year_problem = |what: &str, n: usize, year: &str| -> Option<String> {
            let ok = year.len() == 4 && year.parse::<i64>().is_ok_and(|y| (1949..=2100).contains(&y));
            (!year.is_empty() && !ok).then(|| format!("第 {n} 项{what}：年份应为四位数字，如 2023（填写的是“{year}”）"))
        };
        for (i, row) in self.award_rows().iter().enumerate() {
            let n = i + 1;
            let cell = |j: usize| row.get(j).map_or("", String::as_str);
            if cell(0).is_empty() {
                out.push(("awards".into(), format!("第 {n} 项获奖：请填写奖项名称")));
            }
            if cell(1).is_empty() {
                out.push(("awards".into(), format!("第 {n} 项获奖：请选择获奖级别")));
            } else if !crate::content::spec::is_choice(crate::content::spec::AWARD_LEVELS, cell(1)) {
                let levels: Vec<&str> = crate::content::spec::AWARD_LEVELS.iter().map(|c| c.zh).collect();
                out.push((
                    "awards".into(),
                    format!("第 {n} 项获奖：级别“{}”无效，可选：{}", cell(1), levels.join("、")),
                ));
            }
            out.extend(year_problem("获奖", n, cell(2)).map(|m| ("awards".to_string(), m)));
        }
        for (i, row) in self.applied_rows().iter().enumerate() {
            let n = i + 1;
            let cell = |j: usize| row.get(j).map_or("", String::as_str);
            if cell(0).is_empty() {
                out.push(("applied_in".into(), format!("第 {n} 项应用推广：请填写项目名称")));
            }
            out.extend(year_problem("应用推广", n, cell(1)).map(|m| ("applied_in".to_string(), m)));
        }
        out
    }

    /// The record file this form describes (front matter + body): every
    /// described field of the chosen kind that was filled in, written as
    /// its shape says.
    pub fn to_markdown(&self) -> String {
        let kind = Kind::parse(self.v("kind").trim());
        let mut map = Mapping::new();
        let text = |s: &str| Yaml::String(s.trim().to_string());
        let seq = |items: Vec<String>| Yaml::Sequence(items.into_iter().map(Yaml::String).collect());
        let fields = RECORD_FIELDS
            .iter()
            .filter(|f| kind.map_or(f.kinds.is_empty(), |k| f.applies_to(k)))
            .filter(|f| !matches!(f.name, "review" | "review_comment"));
        for field in fields {
            let raw = self.v(field.name);
            let value = match field.shape {
                Shape::List | Shape::Records => Some(seq(list(raw))).filter(|_| !list(raw).is_empty()),
                Shape::Awards => Some(Yaml::Sequence(self.award_rows().iter().map(|r| award(r)).collect())),
                Shape::Applications => Some(Yaml::Sequence(
                    self.applied_rows().iter().map(|r| application(r)).collect(),
                )),
                Shape::Helpers => Some(Yaml::Sequence(rows(raw).iter().map(|r| helper(r)).collect())),
                _ if field.required || !raw.trim().is_empty() => Some(text(raw)),
                _ => None,
            };
            match value {
                Some(Yaml::Sequence(items)) if items.is_empty() => {}
                Some(value) => {
                    map.insert(Yaml::String(field.name.into()), value);
                }
                None => {}
            }
        }
        let yaml = serde_yaml_ng::to_string(&map).unwrap_or_default();
        format!("---\n{yaml}---\n\n{}\n", self.body.trim_end())
    }

    pub fn from_record(record: &Record, etag: &str) -> RecordForm {
        let mut form = RecordForm {
            id: record.id.clone(),
            body: record.body.trim_start_matches('\n').to_string(),
            etag: etag.to_string(),
            ..RecordForm::default()
        };
        for field in RECORD_FIELDS.iter().filter(|f| f.applies_to(record.kind)) {
            if let Some(value) = record.field_text(field.name) {
                form.set(field.name, value);
            }
        }
        // Helpers are rows `工作室编号 | 说明 | 日期`, `| 待接受` for an offer
        // not yet accepted, so that editing a problem keeps them whole.
        let helpers: Vec<String> = record
            .helpers
            .iter()
            .map(|h| {
                let mut cells = vec![
                    h.studio.clone(),
                    h.comment.clone().unwrap_or_default(),
                    h.date.map(|d| d.to_string()).unwrap_or_default(),
                ];
                if !h.accepted {
                    cells.push(OFFERED.to_string());
                }
                cells.join(" | ")
            })
            .collect();
        form.set("helpers", helpers.join("\n"));
        let year = |y: Option<i64>| y.map(|y| y.to_string()).unwrap_or_default();
        for (i, a) in record.awards.iter().take(MAX_ROWS).enumerate() {
            form.set(&format!("award_name_{i}"), a.name.clone());
            form.set(&format!("award_level_{i}"), a.level.clone());
            form.set(&format!("award_year_{i}"), year(a.year));
        }
        for (i, a) in record.applied_in.iter().take(MAX_ROWS).enumerate() {
            form.set(&format!("applied_project_{i}"), a.project.clone());
            form.set(&format!("applied_year_{i}"), year(a.year));
            form.set(&format!("applied_note_{i}"), a.note.clone().unwrap_or_default());
        }
        form
    }

    /// The record's id: kept when editing, `studio/slug` when new.
    fn target_id(&self) -> Result<String, String> {
        if !self.id.is_empty() {
            return Ok(self.id.clone());
        }
        let slug = self.slug.trim().trim_matches('/');
        if slug.is_empty() || slug.contains('/') {
            return Err("请填写记录编号（英文、数字、连字符或中文，不含 /）".into());
        }
        Ok(format!("{}/{}", self.v("studio").trim(), slug))
    }
}

#[derive(askama::Template)]
#[template(path = "publish.html")]
pub struct PublishPage {
    pub chrome: Chrome,
    pub form: RecordForm,
    pub studios: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
    pub message: String,
    pub preview: String,
    pub similar: Vec<(String, String, u32)>,
    pub editing: bool,
    /// Files added to this form's draft, shown and attached on submit.
    pub files: Vec<String>,
    /// Where the preview finds the record's files: the draft's, then the
    /// record's own (`/drafts/{draft}/{id}/`).
    pub files_base: String,
}

/// The error messages of a form's field, joined ("" when none), from
/// (field, message) pairs.
pub(super) fn error_for(errors: &[(String, String)], field: &str) -> String {
    errors
        .iter()
        .filter(|(f, _)| f == field)
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

/// `aria-invalid` and `aria-describedby` for a field with an error.
pub(super) fn aria(errors: &[(String, String)], field: &str) -> String {
    if errors.iter().any(|(f, _)| f == field) {
        format!(" aria-invalid=\"true\" aria-describedby=\"err-{field}\"")
    } else {
        String::new()
    }
}

impl PublishPage {
    pub fn aria(&self, field: &str) -> String {
        aria(&self.errors, field)
    }

    /// Award levels, offered by their labels.
    pub fn award_levels(&self) -> &'static [Choice] {
        crate::content::spec::AWARD_LEVELS
    }

    pub fn award_rows(&self) -> Vec<[String; 3]> {
        self.form.shown_rows(&AWARD_CELLS, "awards")
    }

    pub fn applied_rows(&self) -> Vec<[String; 3]> {
        self.form.shown_rows(&APPLIED_CELLS, "applied_in")
    }
    pub fn error_for(&self, field: &str) -> String {
        error_for(&self.errors, field)
    }

    /// Errors not tied to a field of the form.
    pub fn other_errors(&self) -> Vec<&(String, String)> {
        self.errors
            .iter()
            .filter(|(f, _)| f != "slug" && f != "files" && !RECORD_FIELDS.iter().any(|d| d.name == f))
            .collect()
    }

    /// A field's label from the field table, in the page's language.
    pub fn field_label(&self, field: &str) -> &'static str {
        RECORD_FIELDS
            .iter()
            .find(|d| d.name == field)
            .map_or("", |d| d.label(self.chrome.tr.is_en()))
    }

    pub fn is(&self, field: &str, value: &str) -> bool {
        self.form.v(field) == value
    }

    /// The values a field of the form offers (`status`: a patent's and a
    /// problem's, which the fieldset shown for the kind tells apart).
    pub fn choices(&self, field: &str) -> Vec<&'static Choice> {
        RECORD_FIELDS
            .iter()
            .filter(|d| d.name == field)
            .flat_map(|d| d.choices().iter())
            .collect()
    }
}

/// How the form marks a helper's offer that is not accepted yet.
const OFFERED: &str = "待接受";

/// One helper from a form row `工作室编号 | 说明 | 日期 | 待接受`: a bare id
/// when it says nothing more and is accepted.
fn helper(row: &[String]) -> Yaml {
    let cell = |i: usize| row.get(i).map_or("", |c| c.trim());
    let accepted = !matches!(cell(3), OFFERED | "offered" | "false" | "否");
    if cell(1).is_empty() && cell(2).is_empty() && accepted {
        return Yaml::String(cell(0).to_string());
    }
    let mut m = Mapping::new();
    m.insert("studio".into(), Yaml::String(cell(0).to_string()));
    if !cell(1).is_empty() {
        m.insert("comment".into(), Yaml::String(cell(1).to_string()));
    }
    if !cell(2).is_empty() {
        m.insert("date".into(), Yaml::String(cell(2).to_string()));
    }
    m.insert("accepted".into(), Yaml::Bool(accepted));
    Yaml::Mapping(m)
}

/// One award from a form row `名称 | 级别 | 年份`.
fn award(row: &[String]) -> Yaml {
    let cell = |i: usize| row.get(i).map_or("", String::as_str).trim();
    let mut m = Mapping::new();
    m.insert("name".into(), Yaml::String(cell(0).into()));
    m.insert("level".into(), Yaml::String(cell(1).into()));
    if let Ok(year) = cell(2).parse::<i64>() {
        m.insert("year".into(), Yaml::Number(year.into()));
    }
    Yaml::Mapping(m)
}

/// One place of adoption from a form row `项目 | 年份 | 备注`.
fn application(row: &[String]) -> Yaml {
    let cell = |i: usize| row.get(i).map_or("", String::as_str).trim();
    let mut m = Mapping::new();
    m.insert("project".into(), Yaml::String(cell(0).into()));
    if let Ok(year) = cell(1).parse::<i64>() {
        m.insert("year".into(), Yaml::Number(year.into()));
    }
    if !cell(2).is_empty() {
        m.insert("note".into(), Yaml::String(cell(2).into()));
    }
    Yaml::Mapping(m)
}

fn studio_choices(state: &AppState, current: &Current) -> Vec<(String, String)> {
    let snapshot = state.engine.snapshot();
    snapshot
        .profiles
        .studios
        .values()
        .filter(|s| current.viewer.own_studio().is_none_or(|own| own == s.id))
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect()
}

/// The response for someone who may not write (sign in, or refused).
pub(super) fn refuse_non_writer(current: &Current, here: &str) -> Option<Response> {
    match current.viewer.role {
        crate::auth::Role::Publisher { .. } | crate::auth::Role::Staff => None,
        crate::auth::Role::Anonymous => {
            let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Some(Redirect::to(&format!("/login?next={next}")).into_response())
        }
        crate::auth::Role::Member => Some(AppError::Forbidden("成员账号只能查看，不能发布".into()).into_response()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    pub id: String,
    pub kind: String,
    /// A title to start from (a search that found nothing, asked as a problem).
    pub title: String,
}

/// `GET /publish?kind=…` (new) or `/publish?id=…` (edit).
pub async fn form_page(
    State(state): State<AppState>,
    current: Current,
    OriginalUri(uri): OriginalUri,
    chrome: Chrome,
    Query(query): Query<FormQuery>,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, &uri.to_string()) {
        return Ok(response);
    }
    let mut form = if query.id.is_empty() {
        let kind = if crate::content::spec::is_choice(crate::content::KINDS, &query.kind) {
            query.kind.clone()
        } else {
            "achievement".into()
        };
        let mut form = RecordForm::default();
        form.set("kind", kind);
        form.set("visibility", "members");
        form.set("studio", current.viewer.own_studio().unwrap_or_default());
        if !query.title.trim().is_empty() {
            form.set("title", query.title.trim().chars().take(100).collect::<String>());
        }
        form
    } else {
        let (text, tag) = state
            .publisher
            .current(&current.viewer, &query.id)?
            .ok_or(AppError::NotFound)?;
        let known = state.engine.snapshot().profiles.known_ids(None);
        match crate::content::parse_document(&query.id, &text, &known) {
            Ok((crate::content::Document::Record(record), _)) => RecordForm::from_record(&record, &tag),
            _ => {
                return Err(AppError::BadRequest(
                    "这个文件有错误，无法在表单中编辑：请直接修改文件，或用 zhihui check 查看问题".into(),
                ));
            }
        }
    };
    form.csrf = current.csrf().to_string();
    form.draft = crate::publish::drafts::new_id();
    let page = PublishPage {
        chrome,
        editing: !form.id.is_empty(),
        studios: studio_choices(&state, &current),
        files: Vec::new(),
        files_base: draft_base(&form.draft, form.target_id().ok().as_deref()),
        form,
        errors: Vec::new(),
        message: String::new(),
        preview: String::new(),
        similar: Vec::new(),
    };
    crate::web::pages::render_page(&page)
}

/// The URL folder the preview resolves relative links against: the
/// draft's files first, then the record's (`drafts::serve_draft_file`).
pub(super) fn draft_base(draft: &str, id: Option<&str>) -> String {
    match id.filter(|id| !id.is_empty()) {
        Some(id) => format!("/drafts/{draft}/{id}/"),
        None => format!("/drafts/{draft}/_/"),
    }
}

/// A submitted form: its fields, and the files chosen in it when sent as
/// `multipart/form-data` (the form with files; without script).
async fn read_form(state: &AppState, request: Request) -> Result<(RecordForm, Vec<(String, Vec<u8>)>), AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(form) = axum::Form::<RecordForm>::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("表单无法读取：{e}")))?;
        return Ok((form, Vec::new()));
    }
    let too_large = || {
        AppError::from(PublishError::TooLarge(
            crate::publish::MAX_ATTACHMENT_BYTES / 1024 / 1024,
        ))
    };
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(format!("表单无法读取：{e}")))?;
    let mut form = RecordForm::default();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("file").to_string();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if !bytes.is_empty() {
                files.push((file_name, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.map_err(|_| too_large())?;
        match name.as_str() {
            "id" => form.id = value,
            "slug" => form.slug = value,
            "body" => form.body = value,
            "etag" => form.etag = value,
            "csrf" => form.csrf = value,
            "action" => form.action = value,
            "draft" => form.draft = value,
            _ => form.set(&name, value),
        }
    }
    Ok((form, files))
}

/// Related records and solutions the viewer cannot find: a link that
/// would never show.
fn missing_links(state: &AppState, current: &Current, form: &RecordForm) -> Result<Vec<(String, String)>, AppError> {
    let mut out = Vec::new();
    let mut fields = vec!["related"];
    if form.v("kind") == "problem" {
        fields.push("solved_by");
    }
    for field in fields {
        for id in list(form.v(field)) {
            if state.engine.locate(&id, &current.viewer)?.is_none() {
                out.push((
                    field.to_string(),
                    format!("找不到记录“{id}”：请填写已有记录的编号（记录网址 /records/ 之后的部分，如 tunnel-zhang/segment-repair）"),
                ));
            }
        }
    }
    Ok(out)
}

/// `POST /publish`: preview and check (with the novelty check), or
/// submit. Both report every problem found; only submit writes, and the
/// files chosen in the form are attached once the record is written.
pub async fn form_submit(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
    request: Request,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, "/publish") {
        return Ok(response);
    }
    let (mut form, files) = read_form(&state, request).await?;
    current.check_csrf(Some(&form.csrf))?;
    if let Some(own) = current.viewer.own_studio() {
        form.set("studio", own);
    }
    if !crate::publish::drafts::valid_id(&form.draft) {
        form.draft = crate::publish::drafts::new_id();
    }
    let owner = current.viewer.name.clone().unwrap_or_default();
    let mut errors = Vec::new();
    let mut message = String::new();
    // Files chosen in the form wait in its draft, for the preview and
    // until the record is written.
    for (name, bytes) in files {
        let (publisher, owner, draft) = (state.publisher.clone(), owner.clone(), form.draft.clone());
        if let Err(e) = crate::web::unblock(move || publisher.drafts().add(&owner, &draft, &name, &bytes)).await? {
            errors.push(("files".to_string(), e.to_string()));
        }
    }
    let id = form.target_id();
    if let Err(e) = &id {
        errors.push(("slug".to_string(), e.clone()));
    }
    errors.extend(form.problems());
    {
        let (state, current, form2) = (state.clone(), current.clone(), form.clone());
        errors.extend(crate::web::unblock(move || missing_links(&state, &current, &form2)).await??);
    }
    if let Ok(id) = &id {
        // The content rules, as publishing will apply them.
        let known = state.engine.snapshot().profiles.known_ids(None);
        if let Err(problems) = crate::content::parse_document(id, &form.to_markdown(), &known) {
            errors.extend(
                problems
                    .into_iter()
                    .filter(|p| p.is_error())
                    .map(|p| (p.field, p.message)),
            );
        }
    }
    errors.dedup();
    if form.action == "submit"
        && errors.is_empty()
        && let Ok(id) = &id
    {
        let markdown = form.to_markdown();
        let publisher = state.publisher.clone();
        let viewer = current.viewer.clone();
        let (id2, etag, draft) = (
            id.clone(),
            (!form.etag.is_empty()).then(|| form.etag.clone()),
            form.draft.clone(),
        );
        let result = crate::web::unblock(move || -> Result<_, PublishError> {
            let outcome = publisher.put(&viewer, &id2, &markdown, etag.as_deref())?;
            let waits_beside = outcome.pending
                && publisher
                    .submission(&viewer, &id2)?
                    .is_some_and(|s| s.published.is_some());
            let attached = publisher.attach_draft(&viewer, &id2, &draft);
            Ok((outcome, waits_beside, attached))
        })
        .await?;
        match result {
            Ok((outcome, waits_beside, attached)) => {
                let done = match (outcome.pending, waits_beside) {
                    (false, _) => "published",
                    (true, true) => "submitted_change",
                    (true, false) => "submitted",
                };
                let done = match attached {
                    Ok(_) => done.to_string(),
                    // The record is written; a file that could not be is said.
                    Err(e) => {
                        tracing::warn!(%id, error = %e, "attaching the form's files failed");
                        format!("{done}&files=failed")
                    }
                };
                return Ok(Redirect::to(&format!("/records/{id}?done={done}")).into_response());
            }
            Err(PublishError::Invalid(problems)) => {
                errors = problems
                    .into_iter()
                    .filter(|p| p.is_error())
                    .map(|p| (p.field, p.message))
                    .collect()
            }
            Err(e @ PublishError::Conflict { .. }) => message = e.to_string(),
            Err(e @ (PublishError::Forbidden(_) | PublishError::BadId(_))) => message = e.to_string(),
            Err(e) => return Err(e.into()),
        }
    }
    let base = draft_base(&form.draft, id.as_deref().ok());
    let preview = crate::web::pages::render_markdown(form.body.clone(), base.clone())
        .await?
        .html
        .clone();
    let similar = {
        let (state, current) = (state.clone(), current.clone());
        let (title, body) = (form.v("title").to_string(), form.body.clone());
        let exclude = id.clone().ok().filter(|_| !form.id.is_empty());
        crate::web::unblock(move || novelty_hits(&state, &current, &title, &body, exclude.as_deref())).await??
    };
    form.csrf = current.csrf().to_string();
    let files = state.publisher.drafts().list(&owner, &form.draft);
    let page = PublishPage {
        chrome,
        editing: !form.id.is_empty(),
        studios: studio_choices(&state, &current),
        form,
        errors,
        message,
        preview,
        similar,
        files,
        files_base: base,
    };
    let status = if page.errors.is_empty() && page.message.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(askama::Template::render(&page)?)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_what_people_get_wrong_is_said() {
        let mut form = RecordForm::default();
        for (k, v) in [
            ("award_name_0", "中国中铁科技进步奖"),
            ("award_level_0", "enterprise"),
            ("award_year_0", "2023"),
            // A blank row between is skipped.
            ("award_name_2", "省工法"),
            ("award_level_2", ""),
            ("award_year_2", "明年"),
            ("applied_project_0", "深圳地铁14号线"),
            ("applied_year_0", "明年"),
            ("applied_year_1", "2023"),
            ("applied_project_3", "广州地铁"),
            ("applied_year_3", "23"),
        ] {
            form.set(k, v);
        }
        assert_eq!(form.award_rows().len(), 2);
        assert_eq!(form.applied_rows().len(), 3);
        let problems = form.problems();
        let said = |field: &str, text: &str| problems.iter().any(|(f, m)| f == field && m.contains(text));
        assert!(said("awards", "第 2 项获奖：请选择获奖级别"), "{problems:?}");
        assert!(
            said("awards", "第 2 项获奖：年份应为四位数字，如 2023（填写的是“明年”）"),
            "{problems:?}"
        );
        assert!(said("applied_in", "第 1 项应用推广：年份应为四位数字"), "{problems:?}");
        assert!(said("applied_in", "第 2 项应用推广：请填写项目名称"), "{problems:?}");
        assert!(said("applied_in", "（填写的是“23”）"), "{problems:?}");
        assert_eq!(problems.len(), 5, "{problems:?}");
        // A level that is no choice is named with the choices.
        let mut odd = RecordForm::default();
        odd.set("awards", "奖 | 国家级 | 2020");
        assert!(
            odd.problems()[0].1.contains("可选：国家级、省部级、行业级、企业级"),
            "{:?}",
            odd.problems()
        );
        // Shown again: the filled rows, then two blanks.
        let page_rows = form.shown_rows(&AWARD_CELLS, "awards");
        assert_eq!(page_rows.len(), 4);
        assert_eq!(page_rows[1][2], "明年");
        assert!(page_rows[3].iter().all(String::is_empty));
    }
    #[test]
    fn form_builds_a_valid_record_file() {
        let mut form = RecordForm {
            body: "正文".into(),
            ..RecordForm::default()
        };
        for (field, value) in [
            ("kind", "patent"),
            ("title", "一种装置: 改进"),
            ("studio", "s"),
            ("date", "2024-01-02"),
            ("tags", "盾构，管片"),
            ("patent_type", "utility"),
            ("application_no", "CN202110345678.9"),
            ("ipc", "E21D 11/08, E21D 9/06"),
            ("awards", "科技奖 | provincial | 2024\n"),
            ("applied_in", "深圳地铁 | 2023 | 备注\n"),
            // A field of another kind is not written.
            ("method_code", "QB-1"),
        ] {
            form.set(field, value);
        }
        let md = form.to_markdown();
        assert!(!md.contains("method_code"), "{md}");
        let known = crate::content::KnownIds {
            studios: ["s".to_string()].into(),
            ..Default::default()
        };
        let (doc, _) = crate::content::parse_document("s/x", &md, &known).unwrap();
        let crate::content::Document::Record(r) = doc else {
            panic!()
        };
        assert_eq!(r.title, "一种装置: 改进");
        assert_eq!(r.tags, vec!["盾构", "管片"]);
        assert_eq!(r.ipc.len(), 2);
        assert_eq!(r.awards[0].year, Some(2024));
        assert_eq!(r.applied_in[0].note.as_deref(), Some("备注"));
        // Written back from the record, the form writes the same file.
        let back = RecordForm::from_record(&r, "");
        assert_eq!(back.v("application_no"), "CN202110345678.9");
        let (again, _) = crate::content::parse_document("s/x", &back.to_markdown(), &known).unwrap();
        let crate::content::Document::Record(again) = again else {
            panic!()
        };
        assert_eq!(
            (
                &again.title,
                &again.tags,
                &again.ipc,
                &again.awards,
                &again.applied_in,
                &again.application_no
            ),
            (&r.title, &r.tags, &r.ipc, &r.awards, &r.applied_in, &r.application_no)
        );
    }
}
