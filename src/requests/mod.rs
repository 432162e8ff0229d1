//! Adoption requests (申请对接): a signed-in member asks the studio of a
//! record to share or apply a result in their unit, and the studio (or
//! union staff) follows the request through new → contacted → adopted or
//! declined. An adoption can add an `applied_in` entry to the record,
//! written through `publish` as the studio's own edit, so it goes through
//! review like any other change.
//!
//! Requests are kept one JSON file per request under
//! `data/requests/<id>.json`, each written atomically (`crate::atomic`), so
//! a crash loses at most the request being written and never damages
//! another. Ids are 128 random bits: knowing one request's id tells nothing
//! of another's, and every read checks who asks anyway. Who sees what: the
//! record's studio's publishers and staff manage a studio's requests, the
//! member who asked sees their own, nobody else sees any.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_yaml_ng::{Mapping, Value};

use crate::auth::{Role, Viewer};
use crate::content::{Problem, front_matter};
use crate::publish::{PublishError, Publisher};
use crate::search::{Engine, SearchError};

/// Longest unit name and contact, in characters.
pub const MAX_SHORT: usize = 100;
/// Longest purpose or note, in characters.
pub const MAX_LONG: usize = 2000;
/// Requests one account may have waiting (new or contacted) at once, so
/// that one account cannot bury a studio's list.
pub const MAX_OPEN_PER_ACCOUNT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    New,
    Contacted,
    Adopted,
    Declined,
}

impl State {
    pub const ALL: [State; 4] = [State::New, State::Contacted, State::Adopted, State::Declined];

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Contacted => "contacted",
            State::Adopted => "adopted",
            State::Declined => "declined",
        }
    }

    pub fn label(self) -> &'static str {
        self.label_in(false)
    }

    /// The state's name in Chinese, or in English when `en`.
    pub fn label_in(self, en: bool) -> &'static str {
        let (zh, english) = match self {
            State::New => ("新申请", "New"),
            State::Contacted => ("已联系", "Contacted"),
            State::Adopted => ("已应用", "Adopted"),
            State::Declined => ("未采纳", "Declined"),
        };
        if en { english } else { zh }
    }

    /// The states a request may move to from this one: first the studio
    /// gets in touch (or declines), then the result is adopted or not.
    pub fn next(self) -> &'static [State] {
        match self {
            State::New => &[State::Contacted, State::Declined],
            State::Contacted => &[State::Adopted, State::Declined],
            State::Adopted | State::Declined => &[],
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, State::New | State::Contacted)
    }
}

/// One change of state, kept with the request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// Seconds since 1970 (UTC).
    pub time: u64,
    pub by: String,
    pub from: State,
    pub to: State,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The `applied_in` entry an adoption proposed for the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Adoption {
    pub project: String,
    pub year: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The change waits for review (a publisher's edit); staff's is
    /// published at once.
    pub pending: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdoptionRequest {
    pub id: String,
    /// The record asked about, with its title and studio when asked.
    pub record: String,
    pub record_title: String,
    pub studio: String,
    /// The account that asked.
    pub requester: String,
    pub unit: String,
    pub contact: String,
    pub purpose: String,
    pub state: State,
    pub created: u64,
    pub updated: u64,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption: Option<Adoption>,
}

/// What the asker fills in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewRequest {
    pub record: String,
    pub unit: String,
    pub contact: String,
    pub purpose: String,
}

/// A move to another state; `project` (with `year`, `applied_note`) adds
/// an `applied_in` entry when the request is adopted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Transition {
    pub state: String,
    pub note: String,
    pub project: String,
    /// A year as typed (forms send text); empty means this year.
    #[serde(deserialize_with = "text_or_number")]
    pub year: String,
    pub applied_note: String,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("请先登录")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("找不到这个申请或记录")]
    NotFound,
    /// Every problem with what was filled in, by field.
    #[error("申请内容不完整或有误")]
    Invalid(Vec<Problem>),
    /// Staff would publish over a change waiting for review.
    #[error("{0}")]
    Conflict(String),
    #[error("写入失败")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

fn invalid(field: &str, message: impl Into<String>) -> RequestError {
    RequestError::Invalid(vec![Problem::error(0, field, message)])
}

pub struct Requests {
    dir: PathBuf,
    /// Every request by id, read once at start and kept by every write.
    items: Mutex<BTreeMap<String, AdoptionRequest>>,
}

impl Requests {
    /// Reads `data/requests/`. An unreadable file is logged and left
    /// out (never fails the start); a temp file a crash left is removed.
    pub fn open(data_dir: &Path) -> Requests {
        let dir = data_dir.join("requests");
        let mut items = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let Some(id) = name.strip_suffix(".json").filter(|id| valid_id(id)) else {
                continue;
            };
            let read = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice::<AdoptionRequest>(&bytes).map_err(|e| e.to_string()));
            match read {
                Ok(request) if request.id == id => {
                    items.insert(request.id.clone(), request);
                }
                Ok(_) => tracing::warn!(path = %path.display(), "request file names another id; left out"),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "unreadable request file; left out"),
            }
        }
        Requests {
            dir,
            items: Mutex::new(items),
        }
    }

    fn items(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, AdoptionRequest>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn save(&self, request: &AdoptionRequest) -> Result<(), RequestError> {
        let bytes = serde_json::to_vec_pretty(request).map_err(|e| std::io::Error::other(e.to_string()))?;
        crate::atomic::write(&self.path(&request.id), &bytes)?;
        Ok(())
    }

    /// A new request about `new.record`, which the viewer must be able to
    /// see; answers it as stored.
    pub fn create(&self, engine: &Engine, viewer: &Viewer, new: &NewRequest) -> Result<AdoptionRequest, RequestError> {
        let requester = match (&viewer.role, &viewer.name) {
            (Role::Anonymous, _) | (_, None) => return Err(RequestError::Unauthorized),
            (_, Some(name)) => name.clone(),
        };
        let record_id = new.record.trim();
        let mut problems = Vec::new();
        let unit = checked(&mut problems, "unit", &new.unit, MAX_SHORT, "申请单位");
        let contact = checked(&mut problems, "contact", &new.contact, MAX_SHORT, "联系方式");
        let purpose = checked(&mut problems, "purpose", &new.purpose, MAX_LONG, "用途说明");
        let located = if record_id.is_empty() {
            problems.push(Problem::error(0, "record", "请指明要申请对接的成果"));
            None
        } else {
            engine.locate(record_id, viewer)?
        };
        let Some(located) = located else {
            if problems.is_empty() {
                return Err(RequestError::NotFound);
            }
            return Err(RequestError::Invalid(problems));
        };
        let card = located.card;
        if card.kind == "problem" {
            problems.push(Problem::error(0, "record", "难题不能申请对接：请在难题页提供帮助"));
        }
        if card.review.is_some() {
            problems.push(Problem::error(0, "record", "这条记录尚未通过审核，不能申请对接"));
        }
        if viewer.own_studio() == Some(card.studio.as_str()) {
            problems.push(Problem::error(0, "record", "这是本工作室的成果，无需申请对接"));
        }
        let mut items = self.items();
        let mine = items.values().filter(|r| r.requester == requester && r.state.is_open());
        let mut open = 0;
        for r in mine {
            open += 1;
            if r.record == card.id {
                problems.push(Problem::error(
                    0,
                    "record",
                    "您已就这项成果提交过申请，工作室处理后可再次申请",
                ));
            }
        }
        if open >= MAX_OPEN_PER_ACCOUNT {
            problems.push(Problem::error(
                0,
                "record",
                format!("您有 {open} 个申请尚在处理，请等工作室处理后再提交新的申请"),
            ));
        }
        if !problems.is_empty() {
            return Err(RequestError::Invalid(problems));
        }
        let now = now();
        let request = AdoptionRequest {
            id: new_id()?,
            record: card.id,
            record_title: card.title,
            studio: card.studio,
            requester,
            unit,
            contact,
            purpose,
            state: State::New,
            created: now,
            updated: now,
            steps: Vec::new(),
            adoption: None,
        };
        self.save(&request)?;
        items.insert(request.id.clone(), request.clone());
        Ok(request)
    }

    /// The requests `viewer` may see, newest first: staff every one, a
    /// publisher their studio's and their own, a member their own.
    pub fn list(&self, viewer: &Viewer) -> Vec<AdoptionRequest> {
        let mut out: Vec<AdoptionRequest> = self
            .items()
            .values()
            .filter(|r| may_manage(viewer, r) || is_requester(viewer, r))
            .cloned()
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// One request, for whoever may see it.
    pub fn get(&self, viewer: &Viewer, id: &str) -> Result<AdoptionRequest, RequestError> {
        if matches!(viewer.role, Role::Anonymous) {
            return Err(RequestError::Unauthorized);
        }
        let items = self.items();
        let request = valid_id(id)
            .then(|| items.get(id))
            .flatten()
            .ok_or(RequestError::NotFound)?;
        if may_manage(viewer, request) || is_requester(viewer, request) {
            Ok(request.clone())
        } else {
            Err(RequestError::Forbidden(
                "只有成果所属工作室的发布员和工会工作人员可以处理这个申请".into(),
            ))
        }
    }

    /// Whether the viewer may move this request on.
    pub fn may_manage(viewer: &Viewer, request: &AdoptionRequest) -> bool {
        may_manage(viewer, request)
    }

    /// Moves a request to another state. An adoption with a `project`
    /// adds an `applied_in` entry to the record as the viewer's own edit:
    /// a publisher's waits for review, staff's is published at once. The
    /// request is written first and put back if the edit is refused, so
    /// neither is kept without the other.
    pub fn transition(
        &self,
        publisher: &Publisher,
        viewer: &Viewer,
        id: &str,
        change: &Transition,
    ) -> Result<AdoptionRequest, RequestError> {
        self.get(viewer, id)?;
        let mut items = self.items();
        let current = items.get(id).cloned().ok_or(RequestError::NotFound)?;
        if !may_manage(viewer, &current) {
            return Err(RequestError::Forbidden(
                "只有成果所属工作室的发布员和工会工作人员可以处理这个申请".into(),
            ));
        }
        let Some(to) = State::parse(&change.state) else {
            let all: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
            return Err(invalid(
                "state",
                format!("未知的状态“{}”：可选 {}", change.state.trim(), all.join("、")),
            ));
        };
        if !current.state.next().contains(&to) {
            let allowed: Vec<&str> = current.state.next().iter().map(|s| s.label()).collect();
            let message = match allowed.is_empty() {
                true => format!("申请已是“{}”，不能再改为“{}”", current.state.label(), to.label()),
                false => format!(
                    "申请现为“{}”，不能直接改为“{}”：只能改为 {}",
                    current.state.label(),
                    to.label(),
                    allowed.join("、")
                ),
            };
            return Err(invalid("state", message));
        }
        let mut problems = Vec::new();
        let note = optional(&mut problems, "note", &change.note, MAX_LONG);
        let project = optional(&mut problems, "project", &change.project, 200);
        let applied_note = optional(&mut problems, "applied_note", &change.applied_note, 500);
        let adoption = match (&project, to) {
            (Some(project), State::Adopted) => {
                let year = match change.year.trim() {
                    "" => this_year(),
                    text => match text.parse::<i64>() {
                        Ok(y) if (1900..=2100).contains(&y) => y,
                        _ => {
                            problems.push(Problem::error(0, "year", "应用年份应为四位年份，如 2024"));
                            0
                        }
                    },
                };
                Some(Adoption {
                    project: project.clone(),
                    year,
                    note: applied_note,
                    pending: !matches!(viewer.role, Role::Staff),
                })
            }
            (Some(_), _) => {
                problems.push(Problem::error(0, "project", "只有改为“已应用”时才能填写应用项目"));
                None
            }
            (None, _) => None,
        };
        if !problems.is_empty() {
            return Err(RequestError::Invalid(problems));
        }
        let now = now();
        let mut next = current.clone();
        next.steps.push(Step {
            time: now,
            by: viewer.name.clone().unwrap_or_default(),
            from: current.state,
            to,
            note: note.unwrap_or_default(),
        });
        next.state = to;
        next.updated = now;
        if adoption.is_some() {
            next.adoption = adoption.clone();
        }
        self.save(&next)?;
        if let Some(adoption) = &adoption
            && let Err(e) = propose_adoption(publisher, viewer, &current.record, adoption)
        {
            // Put the request back as it was: the state moves only with
            // the edit it promised.
            self.save(&current)?;
            return Err(e);
        }
        items.insert(next.id.clone(), next.clone());
        Ok(next)
    }
}

/// Writes the record with one more `applied_in` entry, as `viewer` edits
/// it (their pending version if they have one).
fn propose_adoption(publisher: &Publisher, viewer: &Viewer, id: &str, adoption: &Adoption) -> Result<(), RequestError> {
    // Staff's write publishes the text at once: the text staff edit would
    // be a publisher's change still waiting for review.
    if matches!(viewer.role, Role::Staff) && publisher.submission(viewer, id)?.is_some_and(|s| s.published.is_some()) {
        return Err(RequestError::Conflict(
            "这条记录有一项修改正在等待审核：请先审核，再把申请标记为已应用".into(),
        ));
    }
    let (text, etag) = publisher.current(viewer, id)?.ok_or(RequestError::NotFound)?;
    let edited = with_adoption(&text, adoption).map_err(|message| invalid("applied_in", message))?;
    publisher.put(viewer, id, &edited, Some(&etag))?;
    Ok(())
}

/// The file's text with `adoption` appended to `applied_in`.
pub fn with_adoption(text: &str, adoption: &Adoption) -> Result<String, String> {
    let (fm, _) = front_matter::split(text).map_err(|e| e.message)?;
    let mut list = match fm.get("applied_in") {
        Some((Value::Sequence(items), _)) => items.clone(),
        Some((Value::Null, _)) | None => Vec::new(),
        Some(_) => return Err("记录的 applied_in 不是列表，请先修改记录".into()),
    };
    let mut entry = Mapping::new();
    entry.insert("project".into(), adoption.project.clone().into());
    entry.insert("year".into(), adoption.year.into());
    if let Some(note) = &adoption.note {
        entry.insert("note".into(), note.clone().into());
    }
    list.push(Value::Mapping(entry));
    front_matter::with_fields(text, &["applied_in"], &[("applied_in", Value::Sequence(list))]).map_err(|e| e.message)
}

fn may_manage(viewer: &Viewer, request: &AdoptionRequest) -> bool {
    match &viewer.role {
        Role::Staff => true,
        Role::Publisher { studio } => *studio == request.studio,
        _ => false,
    }
}

fn is_requester(viewer: &Viewer, request: &AdoptionRequest) -> bool {
    !matches!(viewer.role, Role::Anonymous) && viewer.name.as_deref() == Some(request.requester.as_str())
}

/// A required text field, trimmed; a problem when empty, too long or
/// holding control characters (line breaks only in long texts).
fn checked(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize, label: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(Problem::error(0, field, format!("请填写{label}")));
    } else {
        check_text(problems, field, value, max, label);
    }
    value.to_string()
}

fn optional(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    check_text(problems, field, value, max, "此项");
    Some(value.to_string())
}

fn check_text(problems: &mut Vec<Problem>, field: &str, value: &str, max: usize, label: &str) {
    let chars = value.chars().count();
    if chars > max {
        problems.push(Problem::error(
            0,
            field,
            format!("{label}最多 {max} 个字（现有 {chars} 个）"),
        ));
    }
    let multiline = max > MAX_SHORT;
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        problems.push(Problem::error(0, field, format!("{label}含有不可见的控制字符")));
    }
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn new_id() -> Result<String, RequestError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// This year in Beijing time, the default year of an adoption.
fn this_year() -> i64 {
    i64::from(
        time::OffsetDateTime::now_utc()
            .to_offset(crate::content::BEIJING)
            .year(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_name_in_each_language() {
        for en in [false, true] {
            let names: std::collections::HashSet<&str> = State::ALL.iter().map(|s| s.label_in(en)).collect();
            assert_eq!(names.len(), State::ALL.len());
            assert_eq!(names.iter().all(|n| n.is_ascii()), en, "{names:?}");
        }
    }

    #[test]
    fn only_forward_transitions_are_allowed() {
        use State::*;
        assert_eq!(New.next(), &[Contacted, Declined]);
        assert_eq!(Contacted.next(), &[Adopted, Declined]);
        assert!(Adopted.next().is_empty() && Declined.next().is_empty());
        assert!(!New.next().contains(&Adopted));
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("done"), None);
    }

    #[test]
    fn an_adoption_is_appended_to_applied_in_keeping_the_rest() {
        let adoption = Adoption {
            project: "成都地铁9号线".into(),
            year: 2025,
            note: Some("管片修复".into()),
            pending: true,
        };
        let text = "---\ntitle: 工法\n# 保留的注释\napplied_in:\n  - {project: 深圳地铁14号线, year: 2023}\nvisibility: public\n---\n\n正文\n";
        let out = with_adoption(text, &adoption).unwrap();
        let (fm, body) = front_matter::split(&out).unwrap();
        let Some((Value::Sequence(list), _)) = fm.get("applied_in") else {
            panic!("{out}")
        };
        assert_eq!(list.len(), 2);
        assert_eq!(list[1]["project"], Value::from("成都地铁9号线"));
        assert_eq!(list[1]["year"], Value::from(2025));
        assert_eq!(fm.get("visibility").unwrap().0, &Value::from("public"));
        assert!(body.contains("正文"));
        // A record without adoptions gets its first.
        let out = with_adoption("---\ntitle: 工法\n---\n正文\n", &adoption).unwrap();
        let (fm, _) = front_matter::split(&out).unwrap();
        assert!(matches!(fm.get("applied_in"), Some((Value::Sequence(l), _)) if l.len() == 1));
        // A field that is not a list is not guessed at.
        assert!(with_adoption("---\ntitle: 工法\napplied_in: 某项目\n---\n", &adoption).is_err());
    }

    #[test]
    fn texts_are_checked_for_length_and_control_characters() {
        let mut problems = Vec::new();
        assert_eq!(
            checked(&mut problems, "unit", "  中铁某局  ", MAX_SHORT, "申请单位"),
            "中铁某局"
        );
        assert!(problems.is_empty());
        checked(&mut problems, "unit", "   ", MAX_SHORT, "申请单位");
        checked(&mut problems, "contact", &"1".repeat(101), MAX_SHORT, "联系方式");
        checked(&mut problems, "contact", "王工\n138", MAX_SHORT, "联系方式");
        checked(&mut problems, "purpose", "第一行\n第二行", MAX_LONG, "用途说明");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["unit", "contact", "contact"]);
        assert!(problems[0].message.contains("请填写申请单位"));
        assert!(problems[1].message.contains("最多 100 个字"));
    }

    #[test]
    fn ids_are_random_hex_and_nothing_else_is_looked_up() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert!(valid_id(&a) && valid_id(&b) && a != b);
        for bad in ["../accounts", "", "ABCDEF0123456789ABCDEF0123456789", &format!("{a}x")] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
