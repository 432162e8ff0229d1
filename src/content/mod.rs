//! The content contract: what a file under `content/` may say, and what it
//! means. Parses front matter and Markdown from `&str`, validates fields
//! (every problem with its line), and renders sanitised HTML.
//!
//! It reads no files itself except in `load`, which walks a content folder
//! and applies the id rules. It knows nothing of the index or the web.

mod fields;
pub mod front_matter;
pub mod load;
pub mod render;
pub mod spec;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

use fields::{FieldReader, map_int, map_str};

/// Beijing time (UTC+8, no daylight saving): the day every date of the
/// content is counted in.
pub const BEIJING: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => time::UtcOffset::UTC,
};

pub use spec::{
    AWARD_LEVELS, CATEGORIES, Choice, KINDS, METHOD_LEVELS, PATENT_STATUSES, PATENT_TYPES, PRIORITIES,
    PROBLEM_STATUSES, REVIEW_STATES, STUDIO_TYPES, VISIBILITIES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One thing wrong with a file, located well enough for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(severity: Severity, line: usize, field: &str, message: impl Into<String>) -> Self {
        Problem {
            severity,
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn error(line: usize, field: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, line, field, message)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A problem with the file it belongs to: `path:line: field: message`.
#[derive(Debug, Clone)]
pub struct FileProblem {
    pub path: String,
    pub problem: Problem,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.problem;
        let warn = if p.is_error() { "" } else { "警告：" };
        write!(f, "{}:{}: {}: {}{}", self.path, p.line, p.field, warn, p.message)
    }
}

/// A calendar date as written in front matter (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (year, month, day) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1900..=2100).contains(&year).then_some(())?;
        (1..=days).contains(&day).then_some(Date { year, month, day })
    }

    /// Sortable number, e.g. 20230618.
    pub fn ordinal(&self) -> i64 {
        self.year as i64 * 10_000 + self.month as i64 * 100 + self.day as i64
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Achievement,
    Patent,
    Method,
    Problem,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "achievement" => Kind::Achievement,
            "patent" => Kind::Patent,
            "method" => Kind::Method,
            "problem" => Kind::Problem,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Achievement => "achievement",
            Kind::Patent => "patent",
            Kind::Method => "method",
            Kind::Problem => "problem",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Members,
    Studio,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Public, Visibility::Members, Visibility::Studio];
    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "public" => Visibility::Public,
            "members" => Visibility::Members,
            "studio" => Visibility::Studio,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Members => "members",
            Visibility::Studio => "studio",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Award {
    pub name: String,
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    pub project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A studio helping with a problem (劳模帮帮团): an offer until the
/// problem's studio accepts it. Written as a bare id, it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Helper {
    pub studio: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    pub accepted: bool,
}

/// Longest comment of a helper's offer, in characters.
pub const HELPER_COMMENT_CHARS: usize = 300;

/// An achievement, patent, method or problem.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub studio: String,
    /// Studios that did the work with the owner (联合攻关); visibility
    /// stays the owner studio's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    pub date: Date,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    /// As written, or the body's first paragraph.
    pub summary: String,
    pub visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benefit: Option<f64>,
    pub awards: Vec<Award>,
    pub applied_in: Vec<Application>,
    pub related: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patent_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filing_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_date: Option<Date>,
    /// Patent status or problem status, by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub solved_by: Vec<String>,
    /// Problems: when it was solved (counted in that year's figures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solved_date: Option<Date>,
    /// Problems: the studio leading the work on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Problems: studios that offered help, accepted or not yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub helpers: Vec<Helper>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Problems: the date it should be solved by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    /// `pending` or `returned` while staff have not approved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    /// Staff's comment when returning a submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_comment: Option<String>,
    /// Fields this version does not know, kept as written.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// The Markdown body.
    #[serde(skip)]
    pub body: String,
}

impl Record {
    /// The value of a one-value or list field of `spec::RECORD_FIELDS` as
    /// text (a choice as its value, a list joined with `，`); `None` when
    /// absent or when the field is a list of objects (awards, applied_in).
    /// The one place that maps a field's name to the record.
    pub fn field_text(&self, name: &str) -> Option<String> {
        let opt = |v: &Option<String>| v.clone();
        let list = |v: &[String]| (!v.is_empty()).then(|| v.join("，"));
        let text = match name {
            "title" => Some(self.title.clone()),
            "kind" => Some(self.kind.as_str().to_string()),
            "studio" => Some(self.studio.clone()),
            "partners" => list(&self.partners),
            "date" => Some(self.date.to_string()),
            "authors" => list(&self.authors),
            "tags" => list(&self.tags),
            "summary" => Some(self.summary.clone()),
            "visibility" => Some(self.visibility.as_str().to_string()),
            "benefit" => self.benefit.map(|b| b.to_string()),
            "category" => opt(&self.category),
            "patent_type" => opt(&self.patent_type),
            "application_no" => opt(&self.application_no),
            "publication_no" => opt(&self.publication_no),
            "filing_date" => self.filing_date.map(|d| d.to_string()),
            "grant_date" => self.grant_date.map(|d| d.to_string()),
            "status" => opt(&self.status),
            "assignee" => opt(&self.assignee),
            "ipc" => list(&self.ipc),
            "method_code" => opt(&self.method_code),
            "level" => opt(&self.level),
            "scope" => opt(&self.scope),
            "solved_by" => list(&self.solved_by),
            "solved_date" => self.solved_date.map(|d| d.to_string()),
            "lead" => opt(&self.lead),
            "helpers" => (!self.helpers.is_empty()).then(|| {
                self.helpers
                    .iter()
                    .map(|h| {
                        if h.accepted {
                            h.studio.clone()
                        } else {
                            format!("{}（待接受）", h.studio)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("，")
            }),
            "priority" => opt(&self.priority),
            "due" => self.due.map(|d| d.to_string()),
            "related" => list(&self.related),
            "review" => opt(&self.review),
            "review_comment" => opt(&self.review_comment),
            _ => None,
        };
        text.filter(|t| !t.is_empty())
    }

    /// The codes a record can be found by exactly.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = [&self.application_no, &self.publication_no, &self.method_code]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        codes.extend(self.ipc.iter().map(String::as_str));
        codes
    }

    /// Who may see it now: a submission awaiting review is seen only by
    /// its studio and staff, whatever visibility it asks for.
    pub fn effective_visibility(&self) -> Visibility {
        if self.review.is_some() {
            Visibility::Studio
        } else {
            self.visibility
        }
    }

    pub fn award_levels(&self) -> Vec<&str> {
        let mut levels: Vec<&str> = self.awards.iter().map(|a| a.level.as_str()).collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Studio {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub leader: String,
    pub stars: u8,
    pub studio_type: String,
    pub alliances: Vec<String>,
    pub founded: Option<i64>,
    /// `NAMING_LEVELS`: who named the studio, and in which year.
    pub naming_level: Option<String>,
    pub naming_year: Option<i64>,
    pub members: Option<i64>,
    /// Shown to signed-in viewers only, so never serialised with the rest.
    #[serde(skip)]
    pub contact: Option<String>,
    /// The stars of each yearly rating, by year.
    pub star_history: BTreeMap<i64, u8>,
    #[serde(skip)]
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alliance {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub lead_studio: Option<String>,
    pub lead_since: Option<i64>,
    pub founded: Option<i64>,
    #[serde(skip)]
    pub body: String,
}

/// One record shown in an exhibit, with what the exhibit says of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExhibitItem {
    pub id: String,
    pub caption: Option<String>,
    /// A file of the record's page bundle to show instead of its first image.
    pub image: Option<String>,
    /// Line of the item in its file, for messages.
    #[serde(skip)]
    pub line: usize,
}

/// A 板块: a titled group of items. Items written under `items` (the
/// older format) form a first section without a title.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExhibitSection {
    pub title: String,
    pub items: Vec<ExhibitItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exhibit {
    pub id: String,
    pub title: String,
    /// The cover board's text (a line or two under the title).
    pub cover: Option<String>,
    pub sections: Vec<ExhibitSection>,
    pub visibility: Visibility,
    #[serde(skip)]
    pub body: String,
}

impl Exhibit {
    /// Every item in order, section after section.
    pub fn items(&self) -> impl Iterator<Item = &ExhibitItem> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }
}

/// Which part of `content/` a file sits in, and so what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Records,
    Studios,
    Alliances,
    Exhibits,
}

impl Section {
    pub fn of_id(id: &str) -> Section {
        match id.split('/').next() {
            Some("studios") if id.contains('/') => Section::Studios,
            Some("alliances") if id.contains('/') => Section::Alliances,
            Some("exhibits") if id.contains('/') => Section::Exhibits,
            _ => Section::Records,
        }
    }

    /// The id of a profile without its folder (`studios/x` → `x`).
    pub fn local_id(id: &str) -> &str {
        match Section::of_id(id) {
            Section::Records => id,
            _ => id.split_once('/').map(|(_, rest)| rest).unwrap_or(id),
        }
    }
}

/// The ids other files may point at, for cross-file checks.
#[derive(Debug, Default, Clone)]
pub struct KnownIds {
    pub studios: HashSet<String>,
    pub alliances: HashSet<String>,
    /// `None` when unknown (a single file checked alone).
    pub records: Option<RecordIds>,
}

/// The ids of every record, and (made when a reference is first found
/// broken) the same ids by folder.
#[derive(Debug, Default, Clone)]
pub struct RecordIds {
    ids: HashSet<String>,
    by_folder: OnceLock<HashMap<String, Vec<String>>>,
}

impl FromIterator<String> for RecordIds {
    fn from_iter<I: IntoIterator<Item = String>>(ids: I) -> Self {
        RecordIds {
            ids: ids.into_iter().collect(),
            by_folder: OnceLock::new(),
        }
    }
}

impl RecordIds {
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The id most like `id` among those in its folder, to suggest.
    pub fn closest_to(&self, id: &str) -> Option<&str> {
        closest(id, self.beside(id))
    }

    /// The ids in the folder of `id`: what a mistyped reference may have
    /// meant. Spelling distance to every record would cost a second per
    /// broken link in a large repository, and a moved folder breaks
    /// thousands.
    fn beside(&self, id: &str) -> &[String] {
        let by_folder = self.by_folder.get_or_init(|| {
            let mut by_folder: HashMap<String, Vec<String>> = HashMap::new();
            for record in &self.ids {
                by_folder
                    .entry(folder_of(record).to_string())
                    .or_default()
                    .push(record.clone());
            }
            by_folder
        });
        by_folder.get(folder_of(id)).map_or(&[], Vec::as_slice)
    }
}

fn folder_of(id: &str) -> &str {
    id.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// The closest id to `wanted`, to suggest in an error.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a String>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(wanted, c), c))
        .filter(|(d, c)| *d <= wanted.chars().count().max(c.chars().count()) / 2 + 1)
        .min()
        .map(|(_, c)| c.as_str())
}

fn unknown_ref(kind: &str, wanted: &str, known: &HashSet<String>) -> String {
    match closest(wanted, known) {
        Some(best) => format!("找不到{kind}“{wanted}”，是否应为“{best}”？"),
        None => format!("找不到{kind}“{wanted}”"),
    }
}

fn yaml_to_json(value: serde_yaml_ng::Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A parsed file of any section.
#[derive(Debug, Clone)]
pub enum Document {
    Record(Box<Record>),
    Studio(Studio),
    Alliance(Alliance),
    Exhibit(Exhibit),
}

/// Parses one file. `Err` holds at least one error; `Ok` may hold warnings.
pub fn parse_document(id: &str, text: &str, known: &KnownIds) -> Result<(Document, Vec<Problem>), Vec<Problem>> {
    let (fm, body) = front_matter::split(text).map_err(|e| vec![Problem::error(e.line, "front matter", e.message)])?;
    let mut r = FieldReader::new(&fm);
    let section = Section::of_id(id);
    let kind_line = r.line_of("kind");
    let kind = r.required_string("kind", 40);
    let kinds: Vec<&str> = KINDS.iter().map(|c| c.value).collect();
    let expected: &[&str] = match section {
        Section::Records => &kinds,
        Section::Studios => &["studio"],
        Section::Alliances => &["alliance"],
        Section::Exhibits => &["exhibit"],
    };
    if let Some(k) = &kind
        && !expected.contains(&k.as_str())
    {
        let hint = match section {
            Section::Records => format!("应为 {} 之一", spec::values(KINDS)),
            _ => format!("此文件夹中的文件应写 kind: {}", expected[0]),
        };
        r.error("kind", kind_line, format!("“{k}”不是有效类型，{hint}"));
    }
    // A body past the rendering limits would not be shown as written.
    let body_line = text
        .len()
        .checked_sub(body.len())
        .and_then(|at| text.get(..at))
        .map_or(0, |head| head.matches('\n').count());
    for (line, message) in render::limit_problems(body) {
        r.error("body", body_line + line, message);
    }
    let local = Section::local_id(id).to_string();
    let doc = match section {
        Section::Records => read_record(&mut r, id, kind.as_deref().and_then(Kind::parse), body, known)
            .map(|rec| Document::Record(Box::new(rec))),
        Section::Studios => read_studio(&mut r, local, body, known).map(Document::Studio),
        Section::Alliances => read_alliance(&mut r, local, body, known).map(Document::Alliance),
        Section::Exhibits => read_exhibit(&mut r, local, text, body, known).map(Document::Exhibit),
    };
    let (problems, unknown) = r.finish();
    match doc {
        Some(mut doc) if !problems.iter().any(Problem::is_error) => {
            if let Document::Record(rec) = &mut doc {
                rec.extra = unknown.into_iter().map(|(k, v)| (k, yaml_to_json(v))).collect();
            }
            Ok((doc, problems))
        }
        _ => {
            let mut problems = problems;
            if !problems.iter().any(Problem::is_error) {
                problems.push(Problem::error(1, "front matter", "文件无法解析"));
            }
            Err(problems)
        }
    }
}

fn read_record(r: &mut FieldReader, id: &str, kind: Option<Kind>, body: &str, known: &KnownIds) -> Option<Record> {
    let title = r.required_string("title", spec::max_chars("title"));
    let studio_line = r.line_of("studio");
    let studio = r.required_string("studio", spec::max_chars("studio"));
    if let Some(s) = &studio
        && !known.studios.contains(s)
    {
        let message = unknown_ref("工作室", s, &known.studios);
        r.error("studio", studio_line, message);
    }
    let partners_line = r.line_of("partners");
    let partners = r.string_list("partners");
    let mut seen = HashSet::new();
    for p in &partners {
        let message = if !known.studios.contains(p) {
            unknown_ref("合作工作室", p, &known.studios)
        } else if studio.as_deref() == Some(p.as_str()) {
            format!("合作工作室“{p}”就是本记录的工作室，无需再列为合作方")
        } else if !seen.insert(p.as_str()) {
            format!("合作工作室“{p}”重复列出")
        } else {
            continue;
        };
        r.error("partners", partners_line, message);
    }
    let date = r.required_date("date");
    let authors = r.string_list("authors");
    let tags = r.string_list("tags");
    let summary = r.string("summary", spec::max_chars("summary"));
    let visibility = r.choice("visibility", VISIBILITIES).and_then(|v| Visibility::parse(&v));
    let benefit = r.number("benefit");
    let awards = r.object_list("awards", |r, map, line| {
        let name = map_str(map, "name");
        let level = map_str(map, "level");
        match (&name, &level) {
            (None, _) => r.error("awards", line, "每个奖项都需要 name（奖项名称）"),
            (_, Some(l)) if !spec::is_choice(AWARD_LEVELS, l) => r.error(
                "awards",
                line,
                format!("奖项级别“{l}”无效，应为 {} 之一", spec::values(AWARD_LEVELS)),
            ),
            (_, None) => r.error("awards", line, "每个奖项都需要 level（级别）"),
            _ => {}
        }
        Some(Award {
            name: name?,
            level: level?,
            year: map_int(map, "year"),
        })
    });
    let applied_in = r.object_list("applied_in", |r, map, line| {
        let project = map_str(map, "project");
        if project.is_none() {
            r.error("applied_in", line, "每条应用记录都需要 project（项目名称）");
        }
        Some(Application {
            project: project?,
            year: map_int(map, "year"),
            note: map_str(map, "note"),
        })
    });
    let related = r.string_list("related");
    check_record_refs(r, "related", &related, known);
    let review = r.choice("review", REVIEW_STATES);
    let review_comment = r.string("review_comment", spec::max_chars("review_comment"));

    let mut record = Record {
        id: id.to_string(),
        title: title.clone().unwrap_or_default(),
        kind: kind.unwrap_or(Kind::Achievement),
        studio: studio.clone().unwrap_or_default(),
        partners,
        date: date.unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        }),
        authors,
        tags,
        summary: String::new(),
        visibility: visibility.unwrap_or(Visibility::Members),
        benefit,
        awards,
        applied_in,
        related,
        category: None,
        patent_type: None,
        application_no: None,
        publication_no: None,
        filing_date: None,
        grant_date: None,
        status: None,
        assignee: None,
        ipc: Vec::new(),
        method_code: None,
        level: None,
        scope: None,
        solved_by: Vec::new(),
        solved_date: None,
        lead: None,
        helpers: Vec::new(),
        priority: None,
        due: None,
        review: None,
        review_comment: None,
        extra: BTreeMap::new(),
        body: body.to_string(),
    };
    match kind {
        Some(Kind::Achievement) => record.category = r.choice("category", CATEGORIES),
        Some(Kind::Patent) => {
            record.patent_type = r.choice("patent_type", PATENT_TYPES);
            let line = r.line_of("application_no");
            record.application_no = r.string("application_no", spec::max_chars("application_no"));
            if let Some(no) = &record.application_no
                && !is_application_no(no)
            {
                r.error(
                    "application_no",
                    line,
                    format!("申请号“{no}”格式不对，应形如 CN202110345678.9（CN + 12 位数字 + . + 校验位）"),
                );
            }
            record.publication_no = r.string("publication_no", spec::max_chars("publication_no"));
            record.filing_date = r.date("filing_date");
            record.grant_date = r.date("grant_date");
            if let (Some(filed), Some(granted)) = (record.filing_date, record.grant_date)
                && granted < filed
            {
                let line = r.line_of("grant_date");
                r.error(
                    "grant_date",
                    line,
                    format!("授权日 {granted} 早于申请日 {filed}：专利在申请之后才能授权，请检查两个日期"),
                );
            }
            record.status = r.choice("status", PATENT_STATUSES);
            record.assignee = r.string("assignee", spec::max_chars("assignee"));
            record.ipc = r.string_list("ipc");
        }
        Some(Kind::Method) => {
            record.method_code = r.string("method_code", spec::max_chars("method_code"));
            record.level = r.choice("level", METHOD_LEVELS);
            record.scope = r.string("scope", spec::max_chars("scope"));
        }
        Some(Kind::Problem) => {
            record.status = r.choice("status", PROBLEM_STATUSES);
            let solved = record.status.as_deref() == Some("solved");
            let solved_by_line = r.line_of("solved_by");
            record.solved_by = r.string_list("solved_by");
            check_record_refs(r, "solved_by", &record.solved_by, known);
            if !record.solved_by.is_empty() && !solved && record.status.is_some() {
                r.error(
                    "solved_by",
                    solved_by_line,
                    "只有已解决（status: solved）的难题才写解决方案；请把 status 改为 solved，或删去 solved_by",
                );
            }
            if record.solved_by.iter().any(|s| s == id) {
                r.error("solved_by", solved_by_line, "难题不能由它自己解决");
            }
            read_board_fields(r, &mut record, studio.as_deref(), date, known);
            let line = r.line_of("solved_date");
            record.solved_date = r.date("solved_date");
            if let Some(solved) = record.solved_date {
                if record.status.as_deref() != Some("solved") {
                    r.error(
                        "solved_date",
                        line,
                        "只有已解决（status: solved）的难题才有解决日期；请把 status 改为 solved，或删去 solved_date",
                    );
                }
                if date.is_some_and(|posted| solved < posted) {
                    r.error("solved_date", line, format!("解决日期 {solved} 早于难题的发布日期"));
                }
            }
        }
        None => {}
    }
    record.review = review;
    record.review_comment = review_comment;
    record.summary = summary.unwrap_or_else(|| render::first_paragraph(body, 300));
    (title.is_some() && studio.is_some() && date.is_some() && kind.is_some()).then_some(record)
}

/// The problem board's fields: `lead` and each helper are studios checked
/// like `partners` (unknown with the closest id, the owner as a helper,
/// a helper listed twice), `priority` a choice, `due` a date not before
/// the problem was posted.
fn read_board_fields(
    r: &mut FieldReader,
    record: &mut Record,
    owner: Option<&str>,
    posted: Option<Date>,
    known: &KnownIds,
) {
    let lead_line = r.line_of("lead");
    record.lead = r.string("lead", spec::max_chars("studio"));
    if let Some(lead) = &record.lead
        && !known.studios.contains(lead)
    {
        let message = unknown_ref("牵头工作室", lead, &known.studios);
        r.error("lead", lead_line, message);
    }
    record.priority = r.choice("priority", spec::PRIORITIES);
    let due_line = r.line_of("due");
    record.due = r.date("due");
    if let (Some(due), Some(posted)) = (record.due, posted)
        && due < posted
    {
        r.error("due", due_line, format!("期限 {due} 早于难题的发布日期 {posted}"));
    }
    r.mark_used("helpers");
    let line = r.line_of("helpers");
    let items = match r.raw("helpers") {
        None | Some(serde_yaml_ng::Value::Null) => Vec::new(),
        Some(serde_yaml_ng::Value::Sequence(items)) => items.clone(),
        Some(serde_yaml_ng::Value::String(s)) => vec![serde_yaml_ng::Value::String(s.clone())],
        Some(_) => {
            r.error(
                "helpers",
                line,
                "应为列表，每项写工作室编号，或 {studio: …, comment: …, date: …, accepted: true}",
            );
            Vec::new()
        }
    };
    let mut seen = HashSet::new();
    for item in items {
        let helper = match item {
            serde_yaml_ng::Value::String(s) if !s.trim().is_empty() => Helper {
                studio: s.trim().to_string(),
                comment: None,
                date: None,
                accepted: true,
            },
            serde_yaml_ng::Value::Mapping(m) => {
                let Some(studio) = map_str(&m, "studio") else {
                    r.error("helpers", line, "每个协作工作室都需要 studio（工作室编号）");
                    continue;
                };
                let comment = map_str(&m, "comment");
                if comment
                    .as_ref()
                    .is_some_and(|c| c.chars().count() > HELPER_COMMENT_CHARS)
                {
                    r.error(
                        "helpers",
                        line,
                        format!("“{studio}”的说明过长：最多 {HELPER_COMMENT_CHARS} 个字符"),
                    );
                }
                let date = match map_str(&m, "date") {
                    None => None,
                    Some(text) => match Date::parse(&text) {
                        Some(d) => Some(d),
                        None => {
                            r.error(
                                "helpers",
                                line,
                                format!("“{studio}”的日期“{text}”无效，应写成 YYYY-MM-DD"),
                            );
                            None
                        }
                    },
                };
                let accepted = match m.get("accepted") {
                    None | Some(serde_yaml_ng::Value::Null) => true,
                    Some(serde_yaml_ng::Value::Bool(b)) => *b,
                    Some(_) => {
                        r.error("helpers", line, format!("“{studio}”的 accepted 应为 true 或 false"));
                        true
                    }
                };
                Helper {
                    studio,
                    comment,
                    date,
                    accepted,
                }
            }
            _ => {
                r.error(
                    "helpers",
                    line,
                    "每项应写工作室编号，或 {studio: …, comment: …, date: …, accepted: true}",
                );
                continue;
            }
        };
        let p = helper.studio.as_str();
        let message = if !known.studios.contains(p) {
            unknown_ref("协作工作室", p, &known.studios)
        } else if owner == Some(p) {
            format!("协作工作室“{p}”就是提出难题的工作室，无需再列为协作方")
        } else if !seen.insert(p.to_string()) {
            format!("协作工作室“{p}”重复列出")
        } else {
            record.helpers.push(helper);
            continue;
        };
        r.error("helpers", line, message);
    }
    // The board lets only the studio itself or a helper lead; a file
    // naming another studio still reads, with a word of warning.
    if let Some(lead) = &record.lead
        && known.studios.contains(lead)
        && owner != Some(lead.as_str())
        && !record.helpers.iter().any(|h| &h.studio == lead)
    {
        r.problems.push(Problem::new(
            Severity::Warning,
            lead_line,
            "lead",
            format!("牵头工作室“{lead}”既不是提出难题的工作室，也不在协作工作室（helpers）中"),
        ));
    }
}

fn is_application_no(no: &str) -> bool {
    let Some(rest) = no.strip_prefix("CN") else {
        return false;
    };
    let Some((digits, check)) = rest.split_once('.') else {
        return false;
    };
    (digits.len() == 12 || digits.len() == 8)
        && digits.bytes().all(|b| b.is_ascii_digit())
        && check.len() == 1
        && check.bytes().all(|b| b.is_ascii_digit() || b == b'X')
}

fn check_record_refs(r: &mut FieldReader, field: &'static str, ids: &[String], known: &KnownIds) {
    let Some(records) = &known.records else { return };
    let line = r.line_of(field);
    for id in ids {
        if !records.contains(id) {
            let message = match closest(id, records.beside(id)) {
                Some(best) => format!("找不到记录“{id}”，是否应为“{best}”？此链接将不显示"),
                None => format!("找不到记录“{id}”，此链接将不显示"),
            };
            r.problems.push(Problem::new(Severity::Warning, line, field, message));
        }
    }
}

fn read_studio(r: &mut FieldReader, id: String, body: &str, known: &KnownIds) -> Option<Studio> {
    let int = |r: &mut FieldReader, key: &'static str| {
        let (min, max) = spec::integer_bounds(key);
        r.integer(key, min, max)
    };
    let name = r.required_string("name", spec::studio_max_chars("name"));
    let unit = r.string("unit", spec::studio_max_chars("unit"));
    let leader = r.string("leader", spec::studio_max_chars("leader"));
    let stars_line = r.line_of("stars");
    let stars = int(r, "stars");
    let studio_type = r.choice("studio_type", STUDIO_TYPES);
    let alliances_line = r.line_of("alliances");
    let alliances = r.string_list("alliances");
    for a in &alliances {
        if !known.alliances.contains(a) {
            let message = unknown_ref("联盟", a, &known.alliances);
            r.error("alliances", alliances_line, message);
        }
    }
    let founded = int(r, "founded");
    let naming_level = r.choice("naming_level", spec::NAMING_LEVELS);
    let naming_year = int(r, "naming_year");
    let members = int(r, "members");
    let contact = r.string("contact", spec::studio_max_chars("contact"));
    let star_history = read_star_history(r);
    // The latest rating is the studio's stars; a profile saying otherwise
    // was updated in one place and not the other.
    if let (Some(now), Some((year, latest))) = (stars, star_history.iter().next_back())
        && now != i64::from(*latest)
    {
        r.problems.push(Problem::new(
            Severity::Warning,
            stars_line,
            "stars",
            format!("stars: {now} 与 star_history 中最近一年（{year} 年：{latest} 星）不一致"),
        ));
    }
    Some(Studio {
        id,
        name: name?,
        unit: unit.unwrap_or_default(),
        leader: leader.unwrap_or_default(),
        stars: stars
            .or_else(|| star_history.values().next_back().map(|s| i64::from(*s)))
            .unwrap_or(0) as u8,
        studio_type: studio_type.unwrap_or_default(),
        alliances,
        founded,
        naming_level,
        naming_year,
        members,
        contact,
        star_history,
        body: body.to_string(),
    })
}

/// `star_history: {2023: 4, 2024: 5}`: each year a rating was made and its
/// stars, both checked against the field table's bounds.
fn read_star_history(r: &mut FieldReader) -> BTreeMap<i64, u8> {
    r.mark_used("star_history");
    let line = r.line_of("star_history");
    let mut history = BTreeMap::new();
    match r.raw("star_history") {
        None | Some(serde_yaml_ng::Value::Null) => {}
        Some(serde_yaml_ng::Value::Mapping(map)) => {
            let (min_year, max_year) = spec::integer_bounds("founded");
            for (year, stars) in map {
                let as_int = |v: &serde_yaml_ng::Value| match v {
                    serde_yaml_ng::Value::Number(n) => n.as_i64(),
                    serde_yaml_ng::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                match (as_int(year), as_int(stars)) {
                    (Some(y), Some(s)) if (min_year..=max_year).contains(&y) && (1..=5).contains(&s) => {
                        history.insert(y, s as u8);
                    }
                    (Some(y), _) if (min_year..=max_year).contains(&y) => {
                        r.error("star_history", line, format!("{y} 年的星级应为 1 到 5 之间的整数"))
                    }
                    _ => r.error(
                        "star_history",
                        line,
                        format!("年份应为 {min_year} 到 {max_year} 之间的整数，例如 {{2023: 4, 2024: 5}}"),
                    ),
                }
            }
        }
        Some(_) => r.error("star_history", line, "应写成“年份: 星级”，例如 {2023: 4, 2024: 5}"),
    }
    history
}

fn read_alliance(r: &mut FieldReader, id: String, body: &str, known: &KnownIds) -> Option<Alliance> {
    let name = r.required_string("name", 200);
    let domain = r.string("domain", 100);
    let lead_line = r.line_of("lead_studio");
    let lead_studio = r.string("lead_studio", 200);
    if let Some(s) = &lead_studio
        && !known.studios.contains(s)
    {
        let message = unknown_ref("工作室", s, &known.studios);
        r.error("lead_studio", lead_line, message);
    }
    let lead_since = r.integer("lead_since", 1900, 2100);
    let founded = r.integer("founded", 1900, 2100);
    Some(Alliance {
        id,
        name: name?,
        domain: domain.unwrap_or_default(),
        lead_studio,
        lead_since,
        founded,
        body: body.to_string(),
    })
}

/// Longest caption and section title, in characters.
pub const EXHIBIT_CAPTION_CHARS: usize = 200;
pub const EXHIBIT_SECTION_CHARS: usize = 60;
pub const EXHIBIT_COVER_CHARS: usize = 300;

fn read_exhibit(r: &mut FieldReader, id: String, text: &str, body: &str, known: &KnownIds) -> Option<Exhibit> {
    let title = r.required_string("title", 200);
    let visibility = r.choice("visibility", VISIBILITIES).and_then(|v| Visibility::parse(&v));
    let cover = r.string("cover", EXHIBIT_COVER_CHARS);
    r.mark_used("items");
    r.mark_used("sections");
    let mut sections = Vec::new();
    let items_line = r.line_of("items");
    match r.raw("items").cloned() {
        Some(serde_yaml_ng::Value::Sequence(seq)) => {
            let items = read_exhibit_items(r, "items", items_line, &seq, text);
            if !items.is_empty() {
                sections.push(ExhibitSection {
                    title: String::new(),
                    items,
                });
            }
        }
        None | Some(serde_yaml_ng::Value::Null) => {}
        Some(_) => r.error("items", items_line, "应为记录编号的列表"),
    }
    let sections_line = r.line_of("sections");
    match r.raw("sections").cloned() {
        Some(serde_yaml_ng::Value::Sequence(seq)) => {
            for section in seq {
                let serde_yaml_ng::Value::Mapping(m) = section else {
                    r.error("sections", sections_line, "每个板块应写成 {title: …, items: […]}");
                    continue;
                };
                let title = map_str(&m, "title").unwrap_or_default();
                if title.is_empty() {
                    r.error("sections", sections_line, "每个板块都需要 title（板块名称）");
                } else if title.chars().count() > EXHIBIT_SECTION_CHARS {
                    r.error(
                        "sections",
                        sections_line,
                        format!("板块名称“{title}”过长：最多 {EXHIBIT_SECTION_CHARS} 个字符"),
                    );
                }
                let items = match m.get("items") {
                    Some(serde_yaml_ng::Value::Sequence(seq)) => {
                        read_exhibit_items(r, "sections", sections_line, seq, text)
                    }
                    None | Some(serde_yaml_ng::Value::Null) => Vec::new(),
                    Some(_) => {
                        r.error("sections", sections_line, format!("板块“{title}”的 items 应为列表"));
                        Vec::new()
                    }
                };
                sections.push(ExhibitSection { title, items });
            }
        }
        None | Some(serde_yaml_ng::Value::Null) => {}
        Some(_) => r.error(
            "sections",
            sections_line,
            "应为板块的列表，每个写成 {title: …, items: […]}",
        ),
    }
    if r.raw("items").is_none() && r.raw("sections").is_none() {
        r.error("items", 1, "缺少必填字段：写 items（展项列表）或 sections（板块列表）");
    }
    if let Some(records) = &known.records {
        for section in &sections {
            let field = if section.title.is_empty() { "items" } else { "sections" };
            for item in section.items.iter().filter(|i| !records.contains(&i.id)) {
                let message = match records.closest_to(&item.id) {
                    Some(best) => format!("找不到记录“{}”，是否应为“{best}”？此项不会展出", item.id),
                    None => format!("找不到记录“{}”，此项不会展出", item.id),
                };
                r.problems
                    .push(Problem::new(Severity::Warning, item.line, field, message));
            }
        }
    }
    Some(Exhibit {
        id,
        title: title?,
        cover,
        sections,
        visibility: visibility.unwrap_or(Visibility::Members),
        body: body.to_string(),
    })
}

/// The items of a list: ids, or `{id, caption, image}`.
fn read_exhibit_items(
    r: &mut FieldReader,
    field: &'static str,
    line: usize,
    seq: &[serde_yaml_ng::Value],
    text: &str,
) -> Vec<ExhibitItem> {
    let mut items = Vec::new();
    for item in seq {
        let (id, caption, image) = match item {
            serde_yaml_ng::Value::String(s) if !s.trim().is_empty() => (s.trim().to_string(), None, None),
            serde_yaml_ng::Value::Mapping(m) => match map_str(m, "id") {
                Some(id) => (id, map_str(m, "caption"), map_str(m, "image")),
                None => {
                    r.error(field, line, "每个展项都需要 id（记录编号）");
                    continue;
                }
            },
            _ => {
                r.error(field, line, "展项应为记录编号，或 {id: …, caption: …, image: …}");
                continue;
            }
        };
        let at = item_line(text, line, items.last().map_or(line, |i: &ExhibitItem| i.line), &id);
        if let Some(c) = &caption
            && c.chars().count() > EXHIBIT_CAPTION_CHARS
        {
            r.error(
                field,
                at,
                format!("“{id}”的说明过长：最多 {EXHIBIT_CAPTION_CHARS} 个字符"),
            );
        }
        if let Some(name) = &image
            && (name.contains(['/', '\\']) || name.starts_with('.') || name.to_ascii_lowercase().ends_with(".md"))
        {
            r.error(
                field,
                at,
                format!("“{id}”的图片“{name}”应为该记录附件文件夹中的一个文件名"),
            );
        }
        items.push(ExhibitItem {
            id,
            caption,
            image,
            line: at,
        });
    }
    items
}

/// The line of the item `id` in the file: the first line after `after`
/// that names it (the front matter reader keeps lines of fields only).
fn item_line(text: &str, field_line: usize, after: usize, id: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(after.max(field_line))
        .find(|(_, l)| l.contains(id))
        .map_or(field_line, |(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownIds {
        KnownIds {
            studios: ["tunnel-zhang".to_string(), "bridge-li".to_string()].into(),
            alliances: ["tunnel".to_string()].into(),
            records: Some(["tunnel-zhang/a".to_string()].into_iter().collect()),
        }
    }

    const GOOD: &str = "---\ntitle: 盾构管片错台快速修复工法\nkind: method\nstudio: tunnel-zhang\ndate: 2023-06-18\ntags: [盾构, 管片]\nvisibility: public\nmethod_code: QB-SD-2023-07\nlevel: enterprise\nbenefit: 85.6\nawards:\n  - {name: 科技进步奖, level: enterprise, year: 2023}\napplied_in:\n  - {project: 深圳地铁14号线, year: 2023}\n---\n\n第一段正文。\n\n## 工艺原理\n";

    #[test]
    fn board_fields_are_read_and_checked_like_partners() {
        let known = KnownIds {
            studios: [
                "tunnel-zhang".to_string(),
                "bridge-li".to_string(),
                "rail-chen".to_string(),
            ]
            .into(),
            ..KnownIds::default()
        };
        let problem = |extra: &str| {
            format!("---\ntitle: 难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2026-03-03\n{extra}---\n正文\n")
        };
        let good = problem(
            "status: in_progress\nlead: bridge-li\npriority: high\ndue: 2026-09-30\nhelpers:\n  - bridge-li\n  - {studio: rail-chen, comment: 可派人, date: 2026-04-01, accepted: false}\n",
        );
        let Ok((Document::Record(r), warnings)) = parse_document("tunnel-zhang/p", &good, &known) else {
            panic!("a problem on the board");
        };
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(r.lead.as_deref(), Some("bridge-li"));
        assert_eq!(r.priority.as_deref(), Some("high"));
        assert_eq!(r.due.map(|d| d.to_string()).as_deref(), Some("2026-09-30"));
        assert_eq!(r.helpers.len(), 2);
        assert!(r.helpers[0].accepted && !r.helpers[1].accepted);
        assert_eq!(r.helpers[1].comment.as_deref(), Some("可派人"));
        assert_eq!(
            r.field_text("helpers").as_deref(),
            Some("bridge-li，rail-chen（待接受）")
        );
        let stranger = problem("status: claimed\nlead: rail-chen\n");
        let Ok((_, warnings)) = parse_document("tunnel-zhang/p", &stranger, &known) else {
            panic!("a lead from outside still reads");
        };
        assert!(
            warnings
                .iter()
                .any(|w| w.field == "lead" && w.message.contains("既不是")),
            "{warnings:?}"
        );
        // Older problems (open / solved only) keep working.
        for old in ["status: open\n", "status: solved\nsolved_date: 2026-04-04\n", ""] {
            assert!(parse_document("tunnel-zhang/p", &problem(old), &known).is_ok(), "{old}");
        }
        for (extra, field, says) in [
            ("lead: bridg-li\n", "lead", "是否应为“bridge-li”"),
            ("helpers: [bridge-li, bridge-li]\n", "helpers", "重复"),
            ("helpers: [tunnel-zhang]\n", "helpers", "就是提出难题的工作室"),
            ("helpers: [rail-chan]\n", "helpers", "是否应为“rail-chen”"),
            ("helpers:\n  - {comment: 无名}\n", "helpers", "studio"),
            ("helpers:\n  - {studio: rail-chen, date: 明天}\n", "helpers", "日期"),
            (
                "helpers:\n  - {studio: rail-chen, accepted: 也许}\n",
                "helpers",
                "accepted",
            ),
            ("helpers: 3\n", "helpers", "每项"),
            ("priority: urgent\n", "priority", "不是可选值"),
            ("due: 2026-01-01\n", "due", "早于"),
            ("due: 2026-02-30\n", "due", "不是有效日期"),
            ("status: open\nsolved_by: [tunnel-zhang/a]\n", "solved_by", "只有已解决"),
            ("status: closed\nsolved_date: 2026-05-05\n", "solved_date", "只有已解决"),
            ("status: done\n", "status", "不是可选值"),
        ] {
            let problems = parse_document("tunnel-zhang/p", &problem(extra), &known).expect_err(extra);
            assert!(
                problems.iter().any(|p| p.field == field && p.message.contains(says)),
                "{extra}: {problems:?}"
            );
        }
    }

    #[test]
    fn every_described_field_is_read_from_the_record() {
        let text = "---\ntitle: 一个工法\nkind: patent\nstudio: s\npartners: [p]\ndate: 2023-06-18\nauthors: [甲, 乙]\ntags: [t]\nsummary: 摘要\nvisibility: public\nbenefit: 85.6\npatent_type: invention\napplication_no: CN202110345678.9\npublication_no: CN1\nfiling_date: 2021-01-02\ngrant_date: 2022-01-02\nstatus: granted\nassignee: 公司\nipc: [E21D 11/08]\nrelated: [a/b]\nreview: pending\nreview_comment: 请补充\n---\n正文\n";
        let known = KnownIds {
            studios: ["s".to_string(), "p".to_string()].into(),
            ..KnownIds::default()
        };
        let Ok((Document::Record(record), _)) = parse_document("x/y", text, &known) else {
            panic!("parses");
        };
        for field in spec::RECORD_FIELDS.iter().filter(|f| f.applies_to(Kind::Patent)) {
            let nested = matches!(field.shape, spec::Shape::Awards | spec::Shape::Applications);
            assert_eq!(record.field_text(field.name).is_some(), !nested, "{}", field.name);
        }
        assert_eq!(record.field_text("authors").as_deref(), Some("甲，乙"));
    }

    #[test]
    fn studio_profiles_read_naming_members_contact_and_star_history() {
        let text = "---\nkind: studio\nname: 甲工作室\nnaming_level: municipal\nnaming_year: 2020\nmembers: 9\ncontact: 甲 1\nstar_history: {2023: 3, '2024': 4}\n---\n";
        let Ok((Document::Studio(s), problems)) = parse_document("studios/a", text, &known()) else {
            panic!("parses");
        };
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.naming_level.as_deref(), Some("municipal"));
        assert_eq!((s.naming_year, s.members), (Some(2020), Some(9)));
        assert_eq!(s.contact.as_deref(), Some("甲 1"));
        assert_eq!(s.star_history.into_iter().collect::<Vec<_>>(), [(2023, 3), (2024, 4)]);
        // Without `stars`, the latest rating is the studio's.
        assert_eq!(s.stars, 4);
        // The contact is never part of the profile's JSON.
        let Ok((Document::Studio(s), _)) = parse_document("studios/a", text, &known()) else {
            panic!("parses");
        };
        assert!(!serde_json::to_string(&s).unwrap().contains("甲 1"));

        for (bad, field) in [
            ("naming_level: 国家级", "naming_level"),
            ("members: many", "members"),
            ("star_history: [2023, 4]", "star_history"),
            ("star_history: {1800: 4}", "star_history"),
            ("star_history: {2023: 0}", "star_history"),
        ] {
            let text = format!("---\nkind: studio\nname: 乙\n{bad}\n---\n");
            let problems = parse_document("studios/b", &text, &known()).err().unwrap_or_default();
            assert!(
                problems.iter().any(|p| p.field == field && p.line == 4),
                "{bad}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_solved_date_belongs_to_a_solved_problem_on_or_after_its_date() {
        let problem = |status: &str, solved: &str| {
            format!(
                "---\ntitle: 难题\nkind: problem\nstudio: tunnel-zhang\ndate: 2023-03-03\nstatus: {status}\n{solved}---\n正文\n"
            )
        };
        let read = |text: String| parse_document("tunnel-zhang/q", &text, &known());
        let Ok((Document::Record(r), _)) = read(problem("solved", "solved_date: 2024-04-04\n")) else {
            panic!("a solved problem with its date");
        };
        assert_eq!(r.solved_date.map(|d| d.to_string()).as_deref(), Some("2024-04-04"));
        assert_eq!(r.field_text("solved_date").as_deref(), Some("2024-04-04"));
        // Solved the day it was posted is fine; without a date too.
        assert!(read(problem("solved", "solved_date: 2023-03-03\n")).is_ok());
        assert!(read(problem("solved", "")).is_ok());
        for (status, solved, says) in [
            ("open", "solved_date: 2024-04-04\n", "只有已解决"),
            ("solved", "solved_date: 2022-12-31\n", "早于"),
            ("solved", "solved_date: 2024-13-01\n", "solved_date"),
        ] {
            let problems = read(problem(status, solved)).expect_err(solved);
            assert!(
                problems
                    .iter()
                    .any(|p| p.field == "solved_date" && (p.message.contains(says) || says == "solved_date")),
                "{solved}: {problems:?}"
            );
        }
    }

    #[test]
    fn parses_a_valid_record() {
        let (doc, problems) = parse_document("tunnel-zhang/x", GOOD, &known()).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let Document::Record(r) = doc else { panic!() };
        assert_eq!(r.kind, Kind::Method);
        assert_eq!(r.date.to_string(), "2023-06-18");
        assert_eq!(r.summary, "第一段正文。");
        assert_eq!(r.awards[0].level, "enterprise");
        assert_eq!(r.codes(), vec!["QB-SD-2023-07"]);
    }

    #[test]
    fn broken_related_links_are_warned_with_the_closest_id_in_their_folder() {
        let records = (0..5000)
            .map(|i| format!("tunnel-zhang/2023/method-{i:07}"))
            .chain(["bridge-li/2023/method-0000042".to_string()])
            .collect();
        let known = KnownIds {
            records: Some(records),
            ..known()
        };
        let text = GOOD.replace(
            "visibility: public\n",
            "visibility: public\nrelated: [tunnel-zhang/2023/methd-0000042, moved/2023/method-0000042]\n",
        );
        let (_, problems) = parse_document("tunnel-zhang/x", &text, &known).unwrap();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 2, "{messages:?}");
        assert!(
            problems
                .iter()
                .all(|p| p.severity == Severity::Warning && p.field == "related")
        );
        assert!(
            messages[0].contains("是否应为“tunnel-zhang/2023/method-0000042”"),
            "{messages:?}"
        );
        // Another folder holds no candidate: no suggestion, and no distance
        // computed to every record.
        assert_eq!(messages[1], "找不到记录“moved/2023/method-0000042”，此链接将不显示");
    }

    #[test]
    fn every_problem_has_field_and_line() {
        let text = "---\ntitle: x\nkind: method\nstudio: tunel-zhang\ndate: 2023/06/18\nvisibility: everyone\nlevel: city\nbenefit: -3\ncolour: red\n---\n";
        let problems = parse_document("a/b", text, &known()).unwrap_err();
        let find = |f: &str| {
            problems
                .iter()
                .find(|p| p.field == f)
                .unwrap_or_else(|| panic!("{f}: {problems:?}"))
        };
        assert_eq!(find("studio").line, 4);
        assert!(
            find("studio").message.contains("tunnel-zhang"),
            "suggests the closest id"
        );
        assert_eq!(find("date").line, 5);
        assert!(find("visibility").message.contains("public"));
        assert_eq!(find("level").line, 7);
        assert_eq!(find("benefit").line, 8);
        assert_eq!(find("colour").severity, Severity::Warning);
    }

    #[test]
    fn missing_required_fields_are_named() {
        let problems = parse_document("a/b", "---\nkind: patent\n---\n", &known()).unwrap_err();
        for f in ["title", "studio", "date"] {
            assert!(
                problems.iter().any(|p| p.field == f && p.message.contains("必填")),
                "{f}"
            );
        }
    }

    #[test]
    fn unknown_fields_warn_and_are_kept() {
        let text = GOOD.replace("level: enterprise\n", "level: enterprise\nreviewer: 王\n");
        let (doc, problems) = parse_document("a/b", &text, &known()).unwrap();
        assert_eq!(problems.len(), 1);
        let Document::Record(r) = doc else { panic!() };
        assert_eq!(r.extra.get("reviewer"), Some(&serde_json::json!("王")));
    }

    #[test]
    fn profiles_must_match_their_folder() {
        let problems = parse_document("studios/x", GOOD, &known()).unwrap_err();
        assert!(problems.iter().any(|p| p.field == "kind"));
        let studio = "---\nkind: studio\nname: 张伟工作室\nstars: 5\nstudio_type: research\nalliances: [tunel]\n---\n";
        let problems = parse_document("studios/tunnel-zhang", studio, &known()).unwrap_err();
        assert!(problems[0].message.contains("“tunnel”"), "{problems:?}");
    }

    #[test]
    fn patent_numbers_are_checked() {
        let text =
            "---\ntitle: t\nkind: patent\nstudio: bridge-li\ndate: 2021-01-01\napplication_no: 2021103456\n---\n";
        let problems = parse_document("a/b", text, &known()).unwrap_err();
        assert_eq!(problems[0].field, "application_no");
        assert!(is_application_no("CN202110345678.9"));
    }

    #[test]
    fn a_patent_is_granted_after_it_is_filed() {
        let patent = |filed: &str, granted: &str| {
            format!(
                "---\ntitle: t\nkind: patent\nstudio: bridge-li\ndate: 2021-01-01\nfiling_date: {filed}\ngrant_date: {granted}\n---\n"
            )
        };
        let problems = parse_document("a/b", &patent("2022-03-01", "2021-05-01"), &known()).unwrap_err();
        assert_eq!(problems[0].field, "grant_date");
        assert_eq!(problems[0].line, 7);
        assert!(problems[0].message.contains("早于申请日 2022-03-01"), "{problems:?}");
        // The same day, or later, is fine.
        assert!(parse_document("a/b", &patent("2022-03-01", "2022-03-01"), &known()).is_ok());
        assert!(parse_document("a/b", &patent("2021-03-01", "2022-03-01"), &known()).is_ok());
    }

    #[test]
    fn dates_are_real_dates() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-6-1").is_none());
        assert_eq!(Date::parse("2023-06-18").map(|d| d.ordinal()), Some(20230618));
    }

    #[test]
    fn exhibits_list_items() {
        let text = "---\nkind: exhibit\ntitle: 成果展\nvisibility: public\nitems:\n  - tunnel-zhang/a\n  - {id: tunnel-zhang/a, caption: 说明}\n---\n介绍";
        let (doc, _) = parse_document("exhibits/2024", text, &known()).unwrap();
        let Document::Exhibit(e) = doc else { panic!() };
        assert_eq!(e.id, "2024");
        assert_eq!(e.sections.len(), 1);
        assert_eq!(e.sections[0].items[1].caption.as_deref(), Some("说明"));
        assert_eq!(e.sections[0].items[1].line, 7);
    }

    #[test]
    fn exhibits_have_sections_a_cover_and_images_and_say_what_is_wrong() {
        let text = "---\nkind: exhibit\ntitle: 成果展\ncover: 集团工会\nitems: [tunnel-zhang/a]\nsections:\n  - title: 隧道\n    items:\n      - {id: tunnel-zhang/a, caption: 说明, image: 图.png}\n  - title: 空\n---\n";
        let (doc, warnings) = parse_document("exhibits/x", text, &known()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let Document::Exhibit(e) = doc else { panic!() };
        assert_eq!(e.cover.as_deref(), Some("集团工会"));
        let titles: Vec<&str> = e.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["", "隧道", "空"]);
        assert_eq!(e.sections[1].items[0].image.as_deref(), Some("图.png"));
        assert_eq!(e.sections[1].items[0].line, 9);
        assert_eq!(e.visibility, Visibility::Members, "the default, as for records");
        let bad = [
            ("sections:\n  - items: [tunnel-zhang/a]", "板块名称"),
            ("sections:\n  - 隧道", "{title"),
            ("sections: 隧道", "板块的列表"),
            ("items: tunnel-zhang/a", "列表"),
            ("items:\n  - {caption: 无编号}", "id"),
            ("items:\n  - {id: tunnel-zhang/a, image: ../x.png}", "附件文件夹"),
            ("title2: x", "items"),
        ];
        for (fields, message) in bad {
            let text = format!("---\nkind: exhibit\ntitle: 展\n{fields}\n---\n");
            let problems = parse_document("exhibits/x", &text, &known()).unwrap_err();
            assert!(
                problems.iter().any(|p| p.is_error() && p.message.contains(message)),
                "{fields}: {problems:?}"
            );
        }
        let long = format!(
            "---\nkind: exhibit\ntitle: 展\nitems:\n  - {{id: tunnel-zhang/a, caption: {}}}\n---\n",
            "长".repeat(201)
        );
        assert!(parse_document("exhibits/x", &long, &known()).is_err());
        // An unknown record is a warning with the closest id, at the item's line.
        let typo = "---\nkind: exhibit\ntitle: 展\nitems:\n  - tunnel-zhang/b\n---\n";
        let (_, warnings) = parse_document("exhibits/x", typo, &known()).unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!((warnings[0].line, warnings[0].field.as_str()), (5, "items"));
        assert!(warnings[0].message.contains("是否应为“tunnel-zhang/a”"), "{warnings:?}");
    }
}
