//! What changed between two versions of a record, as people read it: the
//! fields that differ, by their Chinese labels with values shown as on the
//! record page (choices by label, studios by name), and the body's changed
//! lines in hunks with a little context, not every unchanged line. Used by
//! the review page and the history.

use crate::content::Record;
use crate::content::spec::{RECORD_FIELDS, Shape};

use super::i18n::Tr;

/// A field whose value differs; an empty side had no value.
pub struct FieldChange {
    pub label: &'static str,
    pub old: String,
    pub new: String,
}

/// A run of changed body lines with context: where it starts in the new
/// body (1-based) and its lines, each ' ', '-' or '+'.
pub struct Hunk {
    pub line: usize,
    pub lines: Vec<(char, String)>,
}

/// Lines of context kept around each change.
const CONTEXT: usize = 2;

/// The value of a field as the record page shows it.
fn shown(tr: Tr, record: &Record, name: &str, studio_name: &dyn Fn(&str) -> String) -> String {
    let year = |y: Option<i64>| y.map(|y| format!("，{y}")).unwrap_or_default();
    match name {
        "awards" => record
            .awards
            .iter()
            .map(|a| format!("{}（{}{}）", a.name, tr.label("award_level", &a.level), year(a.year)))
            .collect::<Vec<_>>()
            .join("；"),
        "applied_in" => record
            .applied_in
            .iter()
            .map(|a| {
                let note = a.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default();
                let y = a.year.map(|y| format!("（{y}）")).unwrap_or_default();
                format!("{}{y}{note}", a.project)
            })
            .collect::<Vec<_>>()
            .join("；"),
        "studio" => studio_name(&record.studio),
        _ => {
            let Some(raw) = record.field_text(name) else {
                return String::new();
            };
            match RECORD_FIELDS.iter().find(|f| f.name == name).map(|f| &f.shape) {
                Some(Shape::Choice(_)) => tr.label(name, &raw).into_owned(),
                Some(Shape::Number) if name == "benefit" => format!("{raw} {}", tr.t("wan_yuan")),
                _ => raw,
            }
        }
    }
}

/// The fields that differ between `old` (none for a new record: every
/// field given) and `new`, in the field table's order. The review state
/// is listed only `with_review` (the history: approvals and returns change
/// nothing else); on the review page it is what review is about.
pub fn field_changes(
    tr: Tr,
    old: Option<&Record>,
    new: &Record,
    studio_name: &dyn Fn(&str) -> String,
    with_review: bool,
) -> Vec<FieldChange> {
    RECORD_FIELDS
        .iter()
        .filter(|f| with_review || !matches!(f.name, "review" | "review_comment"))
        .filter(|f| f.applies_to(new.kind) || old.is_some_and(|o| f.applies_to(o.kind)))
        .filter_map(|f| {
            let before = old.map(|o| shown(tr, o, f.name, studio_name)).unwrap_or_default();
            let after = shown(tr, new, f.name, studio_name);
            (before != after).then(|| FieldChange {
                label: f.label(tr.is_en()),
                old: before,
                new: after,
            })
        })
        .collect()
}

/// The body's changed lines in hunks, with `CONTEXT` lines around each.
pub fn body_hunks(old: &str, new: &str) -> Vec<Hunk> {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.grouped_ops(CONTEXT)
        .iter()
        .map(|group| {
            let line = group.first().map_or(0, |op| op.new_range().start) + 1;
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| {
                    let kind = match c.tag() {
                        similar::ChangeTag::Equal => ' ',
                        similar::ChangeTag::Delete => '-',
                        similar::ChangeTag::Insert => '+',
                    };
                    (kind, c.value().trim_end_matches(['\n', '\r']).to_string())
                })
                .collect();
            Hunk { line, lines }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    fn record(text: &str) -> Record {
        let known = crate::content::KnownIds {
            studios: ["s".to_string()].into(),
            ..Default::default()
        };
        match crate::content::parse_document("s/x", text, &known).unwrap().0 {
            crate::content::Document::Record(r) => *r,
            _ => panic!("not a record"),
        }
    }

    #[test]
    fn changed_fields_are_labelled_and_shown_in_chinese() {
        let old = record(
            "---\ntitle: 旧名\nkind: patent\nstudio: s\ndate: 2024-01-01\npatent_type: utility\nawards:\n  - {name: 科技奖, level: enterprise, year: 2023}\n---\n正文\n",
        );
        let new = record(
            "---\ntitle: 新名\nkind: patent\nstudio: s\ndate: 2024-01-01\npatent_type: invention\nbenefit: 12.5\nawards:\n  - {name: 科技奖, level: provincial, year: 2023}\nreview: pending\n---\n正文\n",
        );
        let tr = Tr::new(Lang::Zh);
        let name = |id: &str| format!("{id} 工作室");
        let changes = field_changes(tr, Some(&old), &new, &name, false);
        let rows: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.label, c.old.as_str(), c.new.as_str()))
            .collect();
        assert!(rows.contains(&("成果名称", "旧名", "新名")), "{rows:?}");
        assert!(rows.contains(&("专利类型", "实用新型", "发明")), "{rows:?}");
        assert!(rows.contains(&("经济效益", "", "12.5 万元")), "{rows:?}");
        assert!(
            rows.contains(&("获奖", "科技奖（企业级，2023）", "科技奖（省部级，2023）")),
            "{rows:?}"
        );
        // Unchanged fields and the review state are not listed.
        assert!(!rows.iter().any(|r| r.1 == "2024-01-01" || r.2 == "待审核"), "{rows:?}");
        assert_eq!(rows.len(), 4, "{rows:?}");
        // A new record lists what it gives, the studio by name.
        let all = field_changes(tr, None, &new, &name, false);
        assert!(all.iter().any(|c| c.new == "s 工作室"));
        // The history lists the review state too.
        let with_review = field_changes(tr, Some(&old), &new, &name, true);
        assert!(
            with_review
                .iter()
                .any(|c| c.label == "审核状态" && c.old.is_empty() && c.new == "待审核")
        );
    }

    #[test]
    fn body_changes_come_in_hunks() {
        let old: String = (1..=30).map(|i| format!("第{i}行\n")).collect();
        let new = old.replace("第3行\n", "第三行\n").replace("第25行\n", "");
        let hunks = body_hunks(&old, &new);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].line, 1);
        assert_eq!(
            hunks[0].lines,
            vec![
                (' ', "第1行".to_string()),
                (' ', "第2行".into()),
                ('-', "第3行".into()),
                ('+', "第三行".into()),
                (' ', "第4行".into()),
                (' ', "第5行".into())
            ]
        );
        assert_eq!(hunks[1].lines.iter().filter(|l| l.0 == '-').count(), 1);
        assert!(
            hunks.iter().map(|h| h.lines.len()).sum::<usize>() < 15,
            "unchanged lines left out"
        );
        assert!(body_hunks("同\n", "同\n").is_empty());
    }
}
