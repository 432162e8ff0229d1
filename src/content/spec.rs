//! One description of each front-matter field of a record and of the
//! values a field may take: its name, its Chinese and English labels,
//! what it holds, which kinds of record have it and whether it is
//! required. The parser checks choices against it, the interface takes
//! every label from it, and `zhihui fields` prints it as the table of the
//! content format; so a new field or value is described once, here.

use super::Kind;

/// One value a field may take, with how people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const fn c(value: &'static str, zh: &'static str, en: &'static str) -> Choice {
    Choice { value, zh, en }
}

pub const KINDS: &[Choice] = &[
    c("achievement", "创新成果", "Achievement"),
    c("patent", "专利", "Patent"),
    c("method", "工法", "Method"),
    c("problem", "攻关难题", "Open problem"),
];
pub const CATEGORIES: &[Choice] = &[
    c("tech", "技术创新", "Technical innovation"),
    c("qc", "QC成果", "QC result"),
    c("five-small", "五小成果", "Five-small innovation"),
    c("management", "管理创新", "Management innovation"),
    c("other", "其他", "Other"),
];
pub const PATENT_TYPES: &[Choice] = &[
    c("invention", "发明", "Invention"),
    c("utility", "实用新型", "Utility model"),
    c("design", "外观设计", "Design"),
];
pub const PATENT_STATUSES: &[Choice] = &[
    c("pending", "审查中", "Pending"),
    c("granted", "已授权", "Granted"),
    c("expired", "已失效", "Expired"),
    c("rejected", "已驳回", "Rejected"),
    c("withdrawn", "已撤回", "Withdrawn"),
];
/// A problem's states on the board (劳模帮帮团): open → claimed (a lead
/// studio took it on) → in_progress → solved or closed.
pub const PROBLEM_STATUSES: &[Choice] = &[
    c("open", "待解决", "Open"),
    c("claimed", "已认领", "Claimed"),
    c("in_progress", "攻关中", "In progress"),
    c("solved", "已解决", "Solved"),
    c("closed", "已关闭", "Closed"),
];
/// How soon a problem should be solved, as the alliance meeting ranks it.
pub const PRIORITIES: &[Choice] = &[
    c("high", "高", "High"),
    c("medium", "中", "Medium"),
    c("low", "低", "Low"),
];
pub const METHOD_LEVELS: &[Choice] = &[
    c("national", "国家级", "National"),
    c("provincial", "省部级", "Provincial"),
    c("enterprise", "企业级", "Enterprise"),
];
pub const AWARD_LEVELS: &[Choice] = &[
    c("national", "国家级", "National"),
    c("provincial", "省部级", "Provincial"),
    c("industry", "行业级", "Industry"),
    c("enterprise", "企业级", "Enterprise"),
];
pub const VISIBILITIES: &[Choice] = &[
    c("public", "公开", "Public"),
    c("members", "联盟成员可见", "Members"),
    c("studio", "仅本工作室", "Studio only"),
];
/// Review state of a publisher's submission (an extension of the spec).
pub const REVIEW_STATES: &[Choice] = &[
    c("pending", "待审核", "Pending review"),
    c("returned", "已退回", "Returned"),
];
pub const STUDIO_TYPES: &[Choice] = &[
    c("research", "研发创新型", "Research"),
    c("management", "管理创新型", "Management"),
    c("five-small", "五小创新型", "Five-small"),
    c("party-building", "党建创新型", "Party building"),
    c("overseas", "海外", "Overseas"),
    c("migrant-workforce", "劳务工创新型", "Migrant workforce"),
];
/// Who named a studio (命名级别): the level of the body that gave it its title.
pub const NAMING_LEVELS: &[Choice] = &[
    c("national", "全国", "National"),
    c("provincial", "省级", "Provincial"),
    c("municipal", "市级", "Municipal"),
    c("enterprise", "企业级", "Enterprise"),
];

/// Whether `value` is one of `choices`.
pub fn is_choice(choices: &[Choice], value: &str) -> bool {
    choices.iter().any(|c| c.value == value)
}

/// The values as the content format writes them, for messages.
pub fn values(choices: &[Choice]) -> String {
    choices.iter().map(|c| c.value).collect::<Vec<_>>().join(" | ")
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One line of text, at most this many characters.
    Text(usize),
    /// Several lines of text, at most this many characters.
    Paragraph(usize),
    /// `YYYY-MM-DD`.
    Date,
    /// A number (万元 for the benefit).
    Number,
    /// One of these values.
    Choice(&'static [Choice]),
    /// A list of words (`[a, b]`).
    List,
    /// A list of record ids.
    Records,
    /// A studio id (`content/studios/<id>.md`).
    Studio,
    /// Awards: `{name, level, year}` each, `level` one of `AWARD_LEVELS`.
    Awards,
    /// Adoptions: `{project, year, note}` each.
    Applications,
    /// A whole number within these bounds.
    Integer(i64, i64),
    /// Stars by year (`{2023: 4, 2024: 5}`), each 1–5.
    StarHistory,
    /// Helping studios: a studio id, or `{studio, comment, date, accepted}` each.
    Helpers,
}

/// One field of a record's front matter.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub shape: Shape,
    /// The kinds of record that have it; empty: every kind.
    pub kinds: &'static [Kind],
    pub required: bool,
    /// An example value, as written in a file.
    pub example: &'static str,
}

impl FieldSpec {
    pub fn applies_to(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    pub fn label(&self, en: bool) -> &'static str {
        if en { self.en } else { self.zh }
    }

    pub fn choices(&self) -> &'static [Choice] {
        match self.shape {
            Shape::Choice(choices) => choices,
            Shape::Awards => AWARD_LEVELS,
            _ => &[],
        }
    }
}

const fn f(name: &'static str, zh: &'static str, en: &'static str, shape: Shape) -> FieldSpec {
    FieldSpec {
        name,
        zh,
        en,
        shape,
        kinds: &[],
        required: false,
        example: "",
    }
}

const fn required(spec: FieldSpec) -> FieldSpec {
    FieldSpec { required: true, ..spec }
}

const fn only(kinds: &'static [Kind], spec: FieldSpec) -> FieldSpec {
    FieldSpec { kinds, ..spec }
}

const fn eg(example: &'static str, spec: FieldSpec) -> FieldSpec {
    FieldSpec { example, ..spec }
}

const PATENT: &[Kind] = &[Kind::Patent];

/// Every field of a record, in the order forms and pages show them.
pub const RECORD_FIELDS: &[FieldSpec] = &[
    required(eg(
        "盾构管片错台快速修复工法",
        f("title", "成果名称", "Title", Shape::Text(200)),
    )),
    required(f("kind", "类型", "Kind", Shape::Choice(KINDS))),
    required(eg("tunnel-zhang", f("studio", "工作室", "Studio", Shape::Studio))),
    eg(
        "[bridge-li, rail-chen]",
        f("partners", "合作工作室", "Partner studios", Shape::List),
    ),
    required(eg("2023-06-18", f("date", "日期", "Date", Shape::Date))),
    eg("[张伟, 李强]", f("authors", "完成人", "Authors", Shape::List)),
    eg("[盾构, 管片]", f("tags", "关键词", "Tags", Shape::List)),
    f("summary", "摘要", "Summary", Shape::Paragraph(500)),
    only(
        &[Kind::Achievement],
        f("category", "成果类别", "Category", Shape::Choice(CATEGORIES)),
    ),
    only(
        PATENT,
        f("patent_type", "专利类型", "Patent type", Shape::Choice(PATENT_TYPES)),
    ),
    only(
        PATENT,
        eg(
            "CN202110345678.9",
            f("application_no", "申请号", "Application no.", Shape::Text(40)),
        ),
    ),
    only(
        PATENT,
        f("publication_no", "公开（公告）号", "Publication no.", Shape::Text(40)),
    ),
    only(PATENT, f("filing_date", "申请日", "Filing date", Shape::Date)),
    only(PATENT, f("grant_date", "授权日", "Grant date", Shape::Date)),
    only(
        PATENT,
        f("status", "专利状态", "Patent status", Shape::Choice(PATENT_STATUSES)),
    ),
    only(PATENT, f("assignee", "专利权人", "Assignee", Shape::Text(200))),
    only(PATENT, eg("[E21D 11/08]", f("ipc", "IPC 分类号", "IPC", Shape::List))),
    only(
        &[Kind::Method],
        eg(
            "QB-SD-2023-07",
            f("method_code", "工法编号", "Method code", Shape::Text(60)),
        ),
    ),
    only(
        &[Kind::Method],
        f("level", "工法等级", "Method level", Shape::Choice(METHOD_LEVELS)),
    ),
    only(&[Kind::Method], f("scope", "适用范围", "Scope", Shape::Paragraph(500))),
    only(
        &[Kind::Problem],
        f("status", "难题状态", "Problem status", Shape::Choice(PROBLEM_STATUSES)),
    ),
    only(
        &[Kind::Problem],
        f("solved_by", "解决方案", "Solved by", Shape::Records),
    ),
    only(
        &[Kind::Problem],
        eg("2024-03-15", f("solved_date", "解决日期", "Solved on", Shape::Date)),
    ),
    only(
        &[Kind::Problem],
        eg("bridge-li", f("lead", "牵头工作室", "Lead studio", Shape::Studio)),
    ),
    only(
        &[Kind::Problem],
        eg(
            "- {studio: rail-chen, comment: 可提供监测设备, date: 2026-03-01, accepted: true}",
            f("helpers", "协作工作室", "Helping studios", Shape::Helpers),
        ),
    ),
    only(
        &[Kind::Problem],
        f("priority", "优先级", "Priority", Shape::Choice(PRIORITIES)),
    ),
    only(&[Kind::Problem], eg("2026-12-31", f("due", "期限", "Due", Shape::Date))),
    f("visibility", "可见范围", "Visibility", Shape::Choice(VISIBILITIES)),
    eg(
        "85.6（万元）",
        f("benefit", "经济效益", "Economic benefit", Shape::Number),
    ),
    eg(
        "- {name: 中国中铁科技进步奖, level: enterprise, year: 2023}",
        f("awards", "获奖", "Awards", Shape::Awards),
    ),
    eg(
        "- {project: 深圳地铁14号线, year: 2023, note: …}",
        f("applied_in", "应用推广", "Applied in", Shape::Applications),
    ),
    f("related", "相关记录", "Related records", Shape::Records),
    f("review", "审核状态", "Review", Shape::Choice(REVIEW_STATES)),
    f(
        "review_comment",
        "审核意见",
        "Reviewer's comment",
        Shape::Paragraph(2000),
    ),
];

/// Every field of a studio profile (`content/studios/<id>.md`), in the
/// order pages show them. `kind: studio` is not repeated here.
pub const STUDIO_FIELDS: &[FieldSpec] = &[
    required(eg(
        "张伟劳模创新工作室",
        f("name", "工作室名称", "Name", Shape::Text(200)),
    )),
    eg(
        "中铁隧道局第二工程公司",
        f("unit", "所属单位", "Unit", Shape::Text(200)),
    ),
    eg("张伟", f("leader", "领衔人", "Leader", Shape::Text(100))),
    f("stars", "星级", "Stars", Shape::Integer(1, 5)),
    f("studio_type", "工作室类型", "Type", Shape::Choice(STUDIO_TYPES)),
    eg("[tunnel]", f("alliances", "所属联盟", "Alliances", Shape::List)),
    eg("2015", f("founded", "成立年份", "Founded", Shape::Integer(1900, 2100))),
    f("naming_level", "命名级别", "Named by", Shape::Choice(NAMING_LEVELS)),
    eg(
        "2019",
        f("naming_year", "命名年份", "Named in", Shape::Integer(1900, 2100)),
    ),
    eg("12", f("members", "成员人数", "Members", Shape::Integer(1, 100_000))),
    eg(
        "张伟 138-0000-0000（仅登录用户可见）",
        f("contact", "联系方式", "Contact", Shape::Text(200)),
    ),
    eg(
        "{2023: 4, 2024: 5}",
        f("star_history", "历年星级", "Star history", Shape::StarHistory),
    ),
];

/// The description of a studio profile's field.
pub fn studio_field(name: &str) -> Option<&'static FieldSpec> {
    STUDIO_FIELDS.iter().find(|f| f.name == name)
}

/// The bounds of a whole-number profile field, as the table says.
pub fn integer_bounds(name: &str) -> (i64, i64) {
    match studio_field(name).map(|f| f.shape) {
        Some(Shape::Integer(min, max)) => (min, max),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The longest text a profile's field may hold, in characters.
pub fn studio_max_chars(name: &str) -> usize {
    match studio_field(name).map(|f| f.shape) {
        Some(Shape::Text(n) | Shape::Paragraph(n)) => n,
        _ => 200,
    }
}

/// The description of a record's field for a kind (`status` differs by kind).
pub fn record_field(name: &str, kind: Kind) -> Option<&'static FieldSpec> {
    RECORD_FIELDS.iter().find(|f| f.name == name && f.applies_to(kind))
}

/// The longest text a record's field may hold, in characters, as the
/// table says (200 for a field it does not describe as text).
pub fn max_chars(name: &str) -> usize {
    RECORD_FIELDS
        .iter()
        .find(|f| f.name == name)
        .and_then(|f| match f.shape {
            Shape::Text(n) | Shape::Paragraph(n) => Some(n),
            _ => None,
        })
        .unwrap_or(200)
}

/// The choices of a field of the content format by its name, as facets
/// and pages name them (`award_level`, `studio_type` included).
pub fn choices_of(field: &str) -> &'static [Choice] {
    match field {
        "award_level" => AWARD_LEVELS,
        "studio_type" => STUDIO_TYPES,
        "naming_level" => NAMING_LEVELS,
        "status" => &[],
        _ => RECORD_FIELDS
            .iter()
            .find(|f| f.name == field)
            .map_or(&[], FieldSpec::choices),
    }
}

/// How people read a value of a field (`status` covers both kinds').
pub fn choice_label(field: &str, value: &str, en: bool) -> Option<&'static str> {
    let found = if field == "status" {
        PATENT_STATUSES
            .iter()
            .chain(PROBLEM_STATUSES)
            .find(|c| c.value == value)
    } else {
        choices_of(field).iter().find(|c| c.value == value)
    };
    found.map(|c| if en { c.en } else { c.zh })
}

fn shape_text(shape: Shape) -> String {
    match shape {
        Shape::Text(n) => format!("文字（≤ {n} 字）"),
        Shape::Paragraph(n) => format!("段落（≤ {n} 字）"),
        Shape::Date => "日期".into(),
        Shape::Number => "数字".into(),
        Shape::Choice(_) => "单选".into(),
        Shape::List => "列表".into(),
        Shape::Records => "记录编号列表".into(),
        Shape::Studio => "工作室编号".into(),
        Shape::Awards => "奖项列表".into(),
        Shape::Applications => "应用列表".into(),
        Shape::Integer(min, max) => format!("整数（{min}–{max}）"),
        Shape::StarHistory => "年份 → 星级（1–5）".into(),
        Shape::Helpers => "协作工作室列表".into(),
    }
}

fn detail_text(field: &FieldSpec) -> String {
    let choices = field.choices();
    if choices.is_empty() {
        field.example.replace('|', "\\|")
    } else {
        choices
            .iter()
            .map(|c| format!("`{}` {}", c.value, c.zh))
            .collect::<Vec<_>>()
            .join("，")
    }
}

/// The record fields as the Markdown table of the content format.
pub fn markdown_table() -> String {
    let mut out = String::from("| 字段 | 名称 | 类型 | 适用 | 必填 | 可选值或示例 |\n|---|---|---|---|---|---|\n");
    for field in RECORD_FIELDS {
        let kinds = if field.kinds.is_empty() {
            "全部".to_string()
        } else {
            field
                .kinds
                .iter()
                .filter_map(|k| choice_label("kind", k.as_str(), false))
                .collect::<Vec<_>>()
                .join("、")
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            field.name,
            field.zh,
            shape_text(field.shape),
            kinds,
            if field.required { "是" } else { "" },
            detail_text(field)
        ));
    }
    out
}

/// The studio profile fields as the Markdown table of the content format.
pub fn studio_markdown_table() -> String {
    let mut out = String::from("| 字段 | 名称 | 类型 | 必填 | 可选值或示例 |\n|---|---|---|---|---|\n");
    for field in STUDIO_FIELDS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            field.name,
            field.zh,
            shape_text(field.shape),
            if field.required { "是" } else { "" },
            detail_text(field)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_value_has_both_labels_and_one_description_per_kind() {
        for field in RECORD_FIELDS {
            assert!(!field.zh.is_empty() && !field.en.is_empty(), "{}", field.name);
            for choice in field.choices() {
                assert!(!choice.zh.is_empty() && !choice.en.is_empty(), "{}", choice.value);
            }
            for kind in [Kind::Achievement, Kind::Patent, Kind::Method, Kind::Problem] {
                let same = RECORD_FIELDS
                    .iter()
                    .filter(|f| f.name == field.name && f.applies_to(kind))
                    .count();
                assert!(same <= 1, "{} described twice for {kind:?}", field.name);
            }
        }
        assert_eq!(
            record_field("status", Kind::Problem).map(|f| f.choices()),
            Some(PROBLEM_STATUSES)
        );
        assert_eq!(choice_label("status", "granted", false), Some("已授权"));
        assert_eq!(choice_label("kind", "method", true), Some("Method"));
        assert_eq!(choice_label("tag", "盾构", false), None);
        assert!(markdown_table().contains("| `application_no` | 申请号 | 文字（≤ 40 字） | 专利 |"));
    }
}
