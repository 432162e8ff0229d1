//! Writing through the web: the JSON write routes of the spec (PUT, DELETE,
//! approve, return), preview and novelty check, the publishing form, the
//! review queue and record history. Every write goes through
//! `publish::Publisher`; this module only translates.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::i18n::{Lang, Tr};
use super::pages::{Chrome, files_base};
use super::session::{Current, csrf_header};
use super::{AppError, AppState};
use crate::content::Record;
use crate::publish::{Outcome, PublishError, Submission, diff};

/// Largest record file accepted, in bytes.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

async fn read_text(body: Body) -> Result<String, AppError> {
    let bytes = to_bytes(body, MAX_RECORD_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge(format!("记录文件过大：最多 {} KB", MAX_RECORD_BYTES / 1024)))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest("记录文件必须是 UTF-8 编码的文本".into()))
}

fn outcome_response(outcome: &Outcome, status: StatusCode) -> Response {
    let mut value = serde_json::to_value(&outcome.record).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("pending".into(), Value::Bool(outcome.pending));
        map.insert("etag".into(), Value::String(outcome.etag.clone()));
        map.insert("url".into(), Value::String(format!("/records/{}", outcome.id)));
    }
    let mut response = (status, Json(value)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", outcome.etag)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// `PUT /api/records/{id}`: the whole Markdown file as the body.
pub async fn put_record(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let text = read_text(body).await?;
    let publisher = state.publisher.clone();
    let if_match = header_text(&headers, header::IF_MATCH);
    // `If-None-Match: *` means "only create, never replace".
    let create_only = header_text(&headers, header::IF_NONE_MATCH).is_some_and(|v| v.trim() == "*");
    let result = super::unblock(move || {
        if create_only && let Some((_, current)) = publisher.current(&current.viewer, &id)? {
            return Err(PublishError::Conflict { current });
        }
        publisher.put(&current.viewer, &id, &text, if_match.as_deref())
    })
    .await?;
    let outcome = result?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(outcome_response(&outcome, status))
}

/// `DELETE /api/records/{id}`.
pub async fn delete_record(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let publisher = state.publisher.clone();
    let if_match = header_text(&headers, header::IF_MATCH);
    super::unblock(move || publisher.delete(&current.viewer, &id, if_match.as_deref())).await??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
pub struct ReviewBody {
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/records/{id}/approve` and `POST /api/records/{id}/return`.
pub async fn review_action(
    State(state): State<AppState>,
    current: Current,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let text = read_text(body).await?;
    let comment = serde_json::from_str::<ReviewBody>(&text).unwrap_or_default().comment;
    let publisher = state.publisher.clone();
    let result = super::unblock(move || {
        if let Some(id) = path.strip_suffix("/approve") {
            publisher.approve(&current.viewer, id)
        } else if let Some(id) = path.strip_suffix("/return") {
            publisher.send_back(&current.viewer, id, &comment)
        } else {
            Err(PublishError::NotFound(path))
        }
    })
    .await?;
    Ok(outcome_response(&result?, StatusCode::OK))
}

/// `POST /api/preview`: Markdown in, the record page's HTML out. Only for
/// signed-in accounts, since rendering is the costliest thing a request
/// can ask for; it waits for a render slot off the async workers.
pub async fn preview(current: Current, body: Body) -> Result<Json<Value>, AppError> {
    if current.viewer.name.is_none() {
        return Err(AppError::Unauthorized("请先登录后再使用预览".into()));
    }
    let text = read_text(body).await?;
    let rendered = super::pages::render_markdown(text, "/records/".into()).await?;
    Ok(Json(json!({ "html": rendered.html })))
}

#[derive(Deserialize)]
pub struct NoveltyRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// `POST /api/novelty`: the existing records most like a draft.
pub async fn novelty(
    State(state): State<AppState>,
    current: Current,
    Json(draft): Json<NoveltyRequest>,
) -> Result<Json<Value>, AppError> {
    let hits = super::unblock(move || novelty_hits(&state, &current, &draft.title, &draft.body, draft.id.as_deref()))
        .await??;
    Ok(Json(
        json!({ "hits": hits.iter().map(|(title, url, pct)| json!({"title": title, "url": url, "similarity": pct})).collect::<Vec<_>>() }),
    ))
}

/// (title, url, similarity in percent) of the closest visible records.
fn novelty_hits(
    state: &AppState,
    current: &Current,
    title: &str,
    body: &str,
    exclude: Option<&str>,
) -> Result<Vec<(String, String, u32)>, AppError> {
    // The title says most about what a record is: count it three times.
    let text = format!("{title} {title} {title} {body}");
    Ok(state
        .engine
        .like_text(&text, exclude, &current.viewer, 5)?
        .into_iter()
        .map(|(hit, share)| (hit.card.title, hit.url, (share * 100.0).round() as u32))
        .collect())
}

/// The form's fields; everything is text, checked by the content rules.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RecordForm {
    pub id: String,
    pub slug: String,
    pub studio: String,
    pub kind: String,
    pub title: String,
    pub date: String,
    pub authors: String,
    pub tags: String,
    pub summary: String,
    pub visibility: String,
    pub benefit: String,
    pub category: String,
    pub patent_type: String,
    pub application_no: String,
    pub publication_no: String,
    pub filing_date: String,
    pub grant_date: String,
    pub status: String,
    pub assignee: String,
    pub ipc: String,
    pub method_code: String,
    pub level: String,
    pub scope: String,
    pub solved_by: String,
    pub related: String,
    /// One award a line: `名称 | 级别 | 年份`.
    pub awards: String,
    /// One place a line: `项目 | 年份 | 备注`.
    pub applied_in: String,
    pub body: String,
    pub etag: String,
    pub csrf: String,
    pub action: String,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', '\n', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(['|', '｜']).map(|c| c.trim().to_string()).collect::<Vec<_>>())
        .filter(|r| r.iter().any(|c| !c.is_empty()))
        .collect()
}

impl RecordForm {
    /// The record file this form describes (front matter + body).
    pub fn to_markdown(&self) -> String {
        let mut map = Mapping::new();
        let mut put = |key: &str, value: Yaml| {
            map.insert(Yaml::String(key.into()), value);
        };
        let text = |s: &str| Yaml::String(s.trim().to_string());
        let seq = |items: Vec<String>| Yaml::Sequence(items.into_iter().map(Yaml::String).collect());
        put("title", text(&self.title));
        put("kind", text(&self.kind));
        put("studio", text(&self.studio));
        put("date", text(&self.date));
        for (key, value) in [("authors", &self.authors), ("tags", &self.tags)] {
            if !list(value).is_empty() {
                put(key, seq(list(value)));
            }
        }
        let optional = [
            ("summary", &self.summary),
            ("visibility", &self.visibility),
            ("benefit", &self.benefit),
        ];
        for (key, value) in optional {
            if !value.trim().is_empty() {
                put(key, text(value));
            }
        }
        let by_kind: &[(&str, &String)] = match self.kind.as_str() {
            "achievement" => &[("category", &self.category)],
            "patent" => &[
                ("patent_type", &self.patent_type),
                ("application_no", &self.application_no),
                ("publication_no", &self.publication_no),
                ("filing_date", &self.filing_date),
                ("grant_date", &self.grant_date),
                ("status", &self.status),
                ("assignee", &self.assignee),
            ],
            "method" => &[
                ("method_code", &self.method_code),
                ("level", &self.level),
                ("scope", &self.scope),
            ],
            "problem" => &[("status", &self.status)],
            _ => &[],
        };
        for (key, value) in by_kind {
            if !value.trim().is_empty() {
                put(key, text(value));
            }
        }
        let lists: &[(&str, &String)] = match self.kind.as_str() {
            "patent" => &[("ipc", &self.ipc), ("related", &self.related)],
            "problem" => &[("solved_by", &self.solved_by), ("related", &self.related)],
            _ => &[("related", &self.related)],
        };
        for (key, value) in lists {
            if !list(value).is_empty() {
                put(key, seq(list(value)));
            }
        }
        let awards: Vec<Yaml> = rows(&self.awards)
            .into_iter()
            .map(|r| {
                let mut m = Mapping::new();
                m.insert("name".into(), text(r.first().map_or("", String::as_str)));
                m.insert("level".into(), text(r.get(1).map_or("", String::as_str)));
                if let Some(year) = r.get(2).and_then(|y| y.parse::<i64>().ok()) {
                    m.insert("year".into(), Yaml::Number(year.into()));
                }
                Yaml::Mapping(m)
            })
            .collect();
        if !awards.is_empty() {
            put("awards", Yaml::Sequence(awards));
        }
        let applied: Vec<Yaml> = rows(&self.applied_in)
            .into_iter()
            .map(|r| {
                let mut m = Mapping::new();
                m.insert("project".into(), text(r.first().map_or("", String::as_str)));
                if let Some(year) = r.get(1).and_then(|y| y.parse::<i64>().ok()) {
                    m.insert("year".into(), Yaml::Number(year.into()));
                }
                if let Some(note) = r.get(2).filter(|n| !n.is_empty()) {
                    m.insert("note".into(), text(note));
                }
                Yaml::Mapping(m)
            })
            .collect();
        if !applied.is_empty() {
            put("applied_in", Yaml::Sequence(applied));
        }
        let yaml = serde_yaml_ng::to_string(&map).unwrap_or_default();
        format!("---\n{yaml}---\n\n{}\n", self.body.trim_end())
    }

    pub fn from_record(record: &Record, etag: &str) -> RecordForm {
        let join = |v: &[String]| v.join("，");
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        RecordForm {
            id: record.id.clone(),
            studio: record.studio.clone(),
            kind: record.kind.as_str().into(),
            title: record.title.clone(),
            date: record.date.to_string(),
            authors: join(&record.authors),
            tags: join(&record.tags),
            summary: record.summary.clone(),
            visibility: record.visibility.as_str().into(),
            benefit: record.benefit.map(|b| b.to_string()).unwrap_or_default(),
            category: opt(&record.category),
            patent_type: opt(&record.patent_type),
            application_no: opt(&record.application_no),
            publication_no: opt(&record.publication_no),
            filing_date: record.filing_date.map(|d| d.to_string()).unwrap_or_default(),
            grant_date: record.grant_date.map(|d| d.to_string()).unwrap_or_default(),
            status: opt(&record.status),
            assignee: opt(&record.assignee),
            ipc: join(&record.ipc),
            method_code: opt(&record.method_code),
            level: opt(&record.level),
            scope: opt(&record.scope),
            solved_by: join(&record.solved_by),
            related: join(&record.related),
            awards: record
                .awards
                .iter()
                .map(|a| {
                    format!(
                        "{} | {} | {}",
                        a.name,
                        a.level,
                        a.year.map(|y| y.to_string()).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            applied_in: record
                .applied_in
                .iter()
                .map(|a| {
                    format!(
                        "{} | {} | {}",
                        a.project,
                        a.year.map(|y| y.to_string()).unwrap_or_default(),
                        a.note.clone().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            body: record.body.trim_start_matches('\n').to_string(),
            etag: etag.to_string(),
            ..RecordForm::default()
        }
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
        Ok(format!("{}/{}", self.studio.trim(), slug))
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
}

impl PublishPage {
    /// The error message for a field, if any.
    pub fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    /// Errors not tied to a field of the form.
    pub fn other_errors(&self) -> Vec<&(String, String)> {
        const FORM_FIELDS: &[&str] = &[
            "title",
            "kind",
            "studio",
            "date",
            "authors",
            "tags",
            "summary",
            "visibility",
            "benefit",
            "category",
            "patent_type",
            "application_no",
            "publication_no",
            "filing_date",
            "grant_date",
            "status",
            "assignee",
            "ipc",
            "method_code",
            "level",
            "scope",
            "solved_by",
            "related",
            "awards",
            "applied_in",
            "slug",
        ];
        self.errors
            .iter()
            .filter(|(f, _)| !FORM_FIELDS.contains(&f.as_str()))
            .collect()
    }

    pub fn is(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "kind" => &self.form.kind,
            "visibility" => &self.form.visibility,
            "category" => &self.form.category,
            "patent_type" => &self.form.patent_type,
            "status" => &self.form.status,
            "level" => &self.form.level,
            "studio" => &self.form.studio,
            _ => return false,
        };
        current == value
    }
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
fn refuse_non_writer(current: &Current, here: &str) -> Option<Response> {
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
}

/// `GET /publish?kind=…` (new) or `/publish?id=…` (edit).
pub async fn form_page(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
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
        RecordForm {
            kind,
            visibility: "members".into(),
            studio: current.viewer.own_studio().unwrap_or_default().to_string(),
            ..RecordForm::default()
        }
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
    let page = PublishPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        editing: !form.id.is_empty(),
        studios: studio_choices(&state, &current),
        form,
        errors: Vec::new(),
        message: String::new(),
        preview: String::new(),
        similar: Vec::new(),
    };
    super::pages::render_page(&page)
}

/// `POST /publish`: preview (with the novelty check) or submit.
pub async fn form_submit(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    axum::Form(mut form): axum::Form<RecordForm>,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, "/publish") {
        return Ok(response);
    }
    current.check_csrf(Some(&form.csrf))?;
    if let Some(own) = current.viewer.own_studio() {
        form.studio = own.to_string();
    }
    let mut errors = Vec::new();
    let mut message = String::new();
    let id = form.target_id();
    if form.action == "submit" {
        match &id {
            Err(e) => errors.push(("slug".to_string(), e.clone())),
            Ok(id) => {
                let markdown = form.to_markdown();
                let etag = (!form.etag.is_empty()).then_some(form.etag.as_str());
                let publisher = state.publisher.clone();
                let viewer = current.viewer.clone();
                let (id2, etag2) = (id.clone(), etag.map(str::to_string));
                let result = super::unblock(move || publisher.put(&viewer, &id2, &markdown, etag2.as_deref())).await?;
                match result {
                    Ok(_) => return Ok(Redirect::to(&format!("/records/{id}")).into_response()),
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
        }
    }
    let base = id.as_ref().map(|i| files_base(i, "")).unwrap_or_default();
    let preview = super::pages::render_markdown(form.body.clone(), base)
        .await?
        .html
        .clone();
    let similar = {
        let (state, current) = (state.clone(), current.clone());
        let (title, body) = (form.title.clone(), form.body.clone());
        let exclude = id.clone().ok().filter(|_| !form.id.is_empty());
        super::unblock(move || novelty_hits(&state, &current, &title, &body, exclude.as_deref())).await??
    };
    form.csrf = current.csrf().to_string();
    let page = PublishPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        editing: !form.id.is_empty(),
        studios: studio_choices(&state, &current),
        form,
        errors,
        message,
        preview,
        similar,
    };
    let status = if page.errors.is_empty() && page.message.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(askama::Template::render(&page)?)).into_response())
}

#[derive(askama::Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub items: Vec<ReviewItem>,
}

pub struct ReviewItem {
    pub id: String,
    pub title: String,
    pub studio: String,
    pub kind_label: String,
    pub state_label: String,
    pub comment: String,
    pub is_change: bool,
}

fn review_item(tr: Tr, s: &Submission) -> ReviewItem {
    ReviewItem {
        id: s.id.clone(),
        title: s.record.title.clone(),
        studio: s.record.studio.clone(),
        kind_label: tr.label("kind", s.record.kind.as_str()).into_owned(),
        state_label: tr
            .label("review", s.record.review.as_deref().unwrap_or("pending"))
            .into_owned(),
        comment: s.record.review_comment.clone().unwrap_or_default(),
        is_change: s.published.is_some(),
    }
}

/// `GET /review`: staff see every submission, publishers their own.
pub async fn review_list(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, "/review") {
        return Ok(response);
    }
    let tr = Tr::new(lang);
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let items = super::unblock(move || publisher.queue(&viewer))
        .await??
        .iter()
        .map(|s| review_item(tr, s))
        .collect();
    let page = ReviewPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        items,
    };
    super::pages::render_page(&page)
}

#[derive(askama::Template)]
#[template(path = "review_item.html")]
pub struct ReviewItemPage {
    pub chrome: Chrome,
    pub item: ReviewItem,
    pub diff: Vec<(char, String)>,
    pub html: String,
    pub similar: Vec<(String, String, u32)>,
    /// Attachments that wait for approval with this submission.
    pub attachments: Vec<String>,
}

pub async fn review_show(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if let Some(response) = refuse_non_writer(&current, &uri.to_string()) {
        return Ok(response);
    }
    let tr = Tr::new(lang);
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    let submission = super::unblock(move || publisher.submission(&viewer, &key))
        .await??
        .ok_or(AppError::NotFound)?;
    let old = submission.published.clone().unwrap_or_default();
    let similar = {
        let (state, current, key) = (state.clone(), current.clone(), id.clone());
        let (title, body) = (submission.record.title.clone(), submission.record.body.clone());
        super::unblock(move || novelty_hits(&state, &current, &title, &body, Some(&key))).await??
    };
    let html = super::pages::render_markdown(submission.record.body.clone(), files_base(&id, ""))
        .await?
        .html
        .clone();
    let page = ReviewItemPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        diff: diff(&old, &submission.text),
        html,
        similar,
        attachments: submission.attachments.clone(),
        item: review_item(tr, &submission),
    };
    super::pages::render_page(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    pub action: String,
    pub comment: String,
    pub csrf: String,
}

pub async fn review_submit(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ReviewForm>,
) -> Result<Response, AppError> {
    current.check_csrf(Some(&form.csrf))?;
    let publisher = state.publisher.clone();
    let viewer = current.viewer.clone();
    let target = id.clone();
    super::unblock(move || match form.action.as_str() {
        "approve" => publisher.approve(&viewer, &target),
        _ => publisher.send_back(&viewer, &target, &form.comment),
    })
    .await??;
    Ok(Redirect::to("/review").into_response())
}

#[derive(askama::Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub versions: Vec<(usize, String, String, String)>,
    pub shown: Option<usize>,
    pub diff: Vec<(char, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    pub v: Option<usize>,
}

/// `GET /history/{id}`: every version, and a version's diff with the one before.
pub async fn history(
    State(state): State<AppState>,
    current: Current,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let publisher = state.publisher.clone();
    let engine = state.engine.clone();
    let viewer = current.viewer.clone();
    let key = id.clone();
    // Only versions the viewer could see when they were written, of a
    // record the viewer may see now; a diff is taken against the
    // viewer's previous version, so it shows nothing of the hidden ones.
    let (record, versions, shown, diff) = super::unblock(move || -> Result<_, AppError> {
        let (record, _) = engine.read_record(&key, &viewer)?.ok_or(AppError::NotFound)?;
        let versions = publisher.versions(&viewer, &key);
        let history = publisher.history();
        let shown = query.v.filter(|n| versions.iter().any(|v| v.n == *n));
        let diff = match shown {
            Some(n) => {
                let before = versions
                    .iter()
                    .rev()
                    .find(|v| v.n < n)
                    .and_then(|v| history.text(&key, v.n))
                    .unwrap_or_default();
                crate::publish::diff(&before, &history.text(&key, n).unwrap_or_default())
            }
            None => Vec::new(),
        };
        Ok((record, versions, shown, diff))
    })
    .await??;
    let tr = Tr::new(lang);
    let page = HistoryPage {
        chrome: Chrome::new(lang, &uri, "", &current),
        id: id.clone(),
        title: record.title,
        versions: versions
            .iter()
            .rev()
            .map(|v| {
                (
                    v.n,
                    format_time(v.time),
                    v.author.clone(),
                    tr.label("action", &v.action).into_owned(),
                )
            })
            .collect(),
        shown,
        diff,
    };
    super::pages::render_page(&page)
}

/// UTC time as `YYYY-MM-DD HH:MM UTC`.
fn format_time(secs: u64) -> String {
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// `PUT /api/files/{id}/{name}`: a file for the record's page bundle.
pub async fn put_file(
    State(state): State<AppState>,
    current: Current,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    current.check_csrf(csrf_header(&headers))?;
    let (id, name) = path
        .rsplit_once('/')
        .ok_or_else(|| AppError::BadRequest("路径应为 /api/files/记录编号/文件名".into()))?;
    let bytes = to_bytes(body, crate::publish::MAX_ATTACHMENT_BYTES)
        .await
        .map_err(|_| PublishError::TooLarge(crate::publish::MAX_ATTACHMENT_BYTES / 1024 / 1024))?;
    let (publisher, viewer, id2, name) = (
        state.publisher.clone(),
        current.viewer.clone(),
        id.to_string(),
        name.to_string(),
    );
    let stored = super::unblock(move || publisher.attach(&viewer, &id2, &name, &bytes)).await??;
    let url = format!("/records/{id}/{stored}");
    Ok((StatusCode::CREATED, Json(json!({ "name": stored, "url": url }))).into_response())
}

/// `POST /upload/{id}`: the record page's upload form (multipart).
pub async fn upload_form(
    State(state): State<AppState>,
    current: Current,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let too_large = || {
        AppError::from(PublishError::TooLarge(
            crate::publish::MAX_ATTACHMENT_BYTES / 1024 / 1024,
        ))
    };
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| too_large())?,
            Some("file") => {
                let name = field.file_name().unwrap_or("file").to_string();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    current.check_csrf(Some(&csrf))?;
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest("请选择要上传的文件".into()))?;
    let (publisher, viewer, target) = (state.publisher.clone(), current.viewer.clone(), id.clone());
    super::unblock(move || publisher.attach(&viewer, &target, &name, &bytes)).await??;
    Ok(Redirect::to(&format!("/records/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_builds_a_valid_record_file() {
        let form = RecordForm {
            kind: "patent".into(),
            title: "一种装置: 改进".into(),
            studio: "s".into(),
            date: "2024-01-02".into(),
            tags: "盾构，管片".into(),
            patent_type: "utility".into(),
            application_no: "CN202110345678.9".into(),
            ipc: "E21D 11/08, E21D 9/06".into(),
            awards: "科技奖 | provincial | 2024\n".into(),
            body: "正文".into(),
            ..RecordForm::default()
        };
        let md = form.to_markdown();
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
        let back = RecordForm::from_record(&r, "");
        assert_eq!(back.application_no, "CN202110345678.9");
    }

    #[test]
    fn times_are_readable() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13 UTC");
    }
}
