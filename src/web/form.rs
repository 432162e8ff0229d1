//! The publishing form (`/publish`): `RecordForm`, the record file it
//! writes, the page with its preview and novelty check, and its submit.
//! Every write goes through `publish::Publisher`.

use axum::extract::{OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::pages::Chrome;
use super::pages::record::files_base;
use super::records_api::novelty_hits;
use super::session::Current;
use super::{AppError, AppState};
use crate::content::Record;
use crate::publish::PublishError;

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
        chrome,
        editing: !form.id.is_empty(),
        studios: studio_choices(&state, &current),
        form,
        errors: Vec::new(),
        message: String::new(),
        preview: String::new(),
        similar: Vec::new(),
    };
    crate::web::pages::render_page(&page)
}

/// `POST /publish`: preview (with the novelty check) or submit.
pub async fn form_submit(
    State(state): State<AppState>,
    current: Current,
    chrome: Chrome,
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
                let result =
                    crate::web::unblock(move || publisher.put(&viewer, &id2, &markdown, etag2.as_deref())).await?;
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
    let preview = crate::web::pages::render_markdown(form.body.clone(), base)
        .await?
        .html
        .clone();
    let similar = {
        let (state, current) = (state.clone(), current.clone());
        let (title, body) = (form.title.clone(), form.body.clone());
        let exclude = id.clone().ok().filter(|_| !form.id.is_empty());
        crate::web::unblock(move || novelty_hits(&state, &current, &title, &body, exclude.as_deref())).await??
    };
    form.csrf = current.csrf().to_string();
    let page = PublishPage {
        chrome,
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
}
