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
                Shape::Awards => Some(Yaml::Sequence(rows(raw).iter().map(|r| award(r)).collect())),
                Shape::Applications => Some(Yaml::Sequence(rows(raw).iter().map(|r| application(r)).collect())),
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
        let year = |y: Option<i64>| y.map(|y| y.to_string()).unwrap_or_default();
        let awards: Vec<String> = record
            .awards
            .iter()
            .map(|a| format!("{} | {} | {}", a.name, a.level, year(a.year)))
            .collect();
        form.set("awards", awards.join("\n"));
        let applied: Vec<String> = record
            .applied_in
            .iter()
            .map(|a| {
                format!(
                    "{} | {} | {}",
                    a.project,
                    year(a.year),
                    a.note.clone().unwrap_or_default()
                )
            })
            .collect();
        form.set("applied_in", applied.join("\n"));
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
        self.errors
            .iter()
            .filter(|(f, _)| f != "slug" && !RECORD_FIELDS.iter().any(|d| d.name == f))
            .collect()
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
        form.set("studio", own);
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
        let (title, body) = (form.v("title").to_string(), form.body.clone());
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
