//! The problem board's steps (劳模帮帮团): a publisher of another studio
//! offers help; the problem's studio (its publisher) or staff accept a
//! helper, set the lead, move the state and mark the problem solved.
//!
//! Each step changes only the workflow fields of the problem's file
//! (`helpers`, `lead`, `status`, `solved_by`, `solved_date`), by a line
//! edit that keeps every other line, through the same all-or-nothing
//! write as a publish: history version and audit line first, then the
//! file, then the index, all undone if a step fails. A step is not a
//! change of content, so it needs no review: it is written to the file as
//! it stands (a problem awaiting review keeps its review state), and to a
//! change waiting for review beside a published problem as well, so that
//! approving that change does not undo the step.

use serde_yaml_ng::{Mapping, Value};

use crate::auth::{Role, Viewer};
use crate::content::{Date, HELPER_COMMENT_CHARS, Helper, Kind, Problem, Record, front_matter};
use crate::problems::{ACTIVE, transition};

use super::{Audience, Outcome, PublishError, Publisher, etag};

/// One step of a problem's workflow.
#[derive(Debug, Clone)]
pub enum Step {
    /// A publisher offers their studio's help, saying how.
    Help { comment: String },
    /// The problem's studio accepts an offer.
    Accept { studio: String },
    /// The problem's studio names the studio leading the work (an open
    /// problem is then claimed).
    Lead { studio: String },
    /// Moves the state (not to solved: that is `Solve`).
    State { to: String },
    /// Marks it solved by these records, on this date (today if none).
    Solve {
        solved_by: Vec<String>,
        solved_date: Option<String>,
    },
}

impl Step {
    /// The action written to the history and the audit log.
    pub fn action(&self) -> &'static str {
        match self {
            Step::Help { .. } => "help",
            Step::Accept { .. } => "accept_helper",
            Step::Lead { .. } => "set_lead",
            Step::State { .. } => "state",
            Step::Solve { .. } => "solve",
        }
    }
}

const WORKFLOW_FIELDS: &[&str] = &["status", "lead", "helpers", "solved_by", "solved_date"];

fn invalid(field: &str, message: impl Into<String>) -> PublishError {
    PublishError::Invalid(vec![Problem::error(1, field, message)])
}

fn helpers_value(helpers: &[Helper]) -> Value {
    Value::Sequence(
        helpers
            .iter()
            .map(|h| {
                let mut m = Mapping::new();
                m.insert("studio".into(), Value::String(h.studio.clone()));
                if let Some(c) = &h.comment {
                    m.insert("comment".into(), Value::String(c.clone()));
                }
                if let Some(d) = h.date {
                    m.insert("date".into(), Value::String(d.to_string()));
                }
                m.insert("accepted".into(), Value::Bool(h.accepted));
                Value::Mapping(m)
            })
            .collect(),
    )
}

/// The workflow fields of `record` as front matter entries, in order.
fn workflow_entries(record: &Record) -> Vec<(&'static str, Value)> {
    let mut add = Vec::new();
    if let Some(s) = &record.status {
        add.push(("status", Value::String(s.clone())));
    }
    if let Some(l) = &record.lead {
        add.push(("lead", Value::String(l.clone())));
    }
    if !record.helpers.is_empty() {
        add.push(("helpers", helpers_value(&record.helpers)));
    }
    if !record.solved_by.is_empty() {
        add.push((
            "solved_by",
            Value::Sequence(record.solved_by.iter().cloned().map(Value::String).collect()),
        ));
    }
    if let Some(d) = record.solved_date {
        add.push(("solved_date", Value::String(d.to_string())));
    }
    add
}

/// `text` with its workflow fields replaced by those of `record`.
fn rewrite(text: &str, record: &Record) -> Result<String, PublishError> {
    let add = workflow_entries(record);
    let add: Vec<(&str, Value)> = add.into_iter().collect();
    front_matter::with_fields(text, WORKFLOW_FIELDS, &add)
        .map_err(|e| PublishError::Invalid(vec![Problem::error(e.line, "front matter", e.message)]))
}

impl Publisher {
    /// Applies one workflow step to the problem `id` on behalf of `viewer`
    /// on `today` (Beijing time). Refused with 401/403 for the wrong role
    /// and 422 for a step the problem's state does not allow, nothing
    /// written either way.
    pub fn problem_step(&self, viewer: &Viewer, id: &str, step: Step, today: Date) -> Result<Outcome, PublishError> {
        if matches!(viewer.role, Role::Anonymous) {
            return Err(PublishError::Unauthorized);
        }
        let _guard = self.lock();
        let (paths, text, record) = self.read_seen(viewer, id)?;
        if record.kind != Kind::Problem {
            return Err(invalid("kind", "只有攻关难题才有帮帮团的协作步骤"));
        }
        let mut next = record.clone();
        let status = record.status.clone().unwrap_or_else(|| "open".into());
        let mut comment: Option<String> = None;
        match &step {
            Step::Help { comment: said } => {
                let own = match &viewer.role {
                    Role::Publisher { studio } => studio.clone(),
                    Role::Staff => {
                        return Err(PublishError::Forbidden(
                            "工会工作人员不代表工作室：请由工作室的发布员提出协助".into(),
                        ));
                    }
                    _ => return Err(PublishError::Forbidden("只有工作室的发布员可以提出协助".into())),
                };
                if own == record.studio {
                    return Err(PublishError::Forbidden(
                        "这是本工作室的难题：请指定牵头工作室或更改状态".into(),
                    ));
                }
                if !ACTIVE.contains(&status.as_str()) {
                    return Err(invalid("status", "难题已解决或已关闭，不再接受协助"));
                }
                let said = said.trim();
                if said.is_empty() {
                    return Err(invalid("comment", "请说明能提供什么帮助（人员、设备、经验或成果）"));
                }
                if said.chars().count() > HELPER_COMMENT_CHARS {
                    return Err(invalid(
                        "comment",
                        format!("说明过长：最多 {HELPER_COMMENT_CHARS} 个字符"),
                    ));
                }
                if record.helpers.iter().any(|h| h.studio == own) {
                    return Err(invalid("helpers", "本工作室已在协作名单中"));
                }
                next.helpers.push(Helper {
                    studio: own,
                    comment: Some(said.to_string()),
                    date: Some(today),
                    accepted: false,
                });
                comment = Some(said.to_string());
            }
            other => {
                Self::may_write(viewer, &record.studio).map_err(|e| match e {
                    PublishError::Forbidden(_) => PublishError::Forbidden(
                        "只有提出难题的工作室的发布员或工会工作人员可以处理协作、牵头和状态".into(),
                    ),
                    e => e,
                })?;
                match other {
                    Step::Accept { studio } => {
                        if !ACTIVE.contains(&status.as_str()) {
                            return Err(invalid("status", "难题已解决或已关闭"));
                        }
                        match next.helpers.iter_mut().find(|h| &h.studio == studio) {
                            None => return Err(invalid("helpers", format!("“{studio}”没有提出协助"))),
                            Some(h) if h.accepted => {
                                return Err(invalid("helpers", format!("“{studio}”已是协作工作室")));
                            }
                            Some(h) => h.accepted = true,
                        }
                    }
                    Step::Lead { studio } => {
                        if !ACTIVE.contains(&status.as_str()) {
                            return Err(invalid("status", "难题已解决或已关闭，不能再指定牵头工作室"));
                        }
                        if *studio != record.studio {
                            match next.helpers.iter_mut().find(|h| &h.studio == studio) {
                                // Leading the work is accepting the offer.
                                Some(h) => h.accepted = true,
                                None => {
                                    return Err(invalid(
                                        "lead",
                                        format!("牵头工作室应为本工作室或协作工作室之一：“{studio}”没有提出协助"),
                                    ));
                                }
                            }
                        }
                        if record.lead.as_deref() == Some(studio.as_str()) {
                            return Err(invalid("lead", format!("“{studio}”已是牵头工作室")));
                        }
                        next.lead = Some(studio.clone());
                        if status == "open" {
                            next.status = Some("claimed".into());
                        }
                    }
                    Step::State { to } => {
                        if to == "solved" {
                            return Err(invalid("status", "标记为已解决时请填写解决方案（solved_by）"));
                        }
                        transition(&status, to, record.lead.is_some()).map_err(|m| invalid("status", m))?;
                        next.status = Some(to.clone());
                    }
                    Step::Solve { solved_by, solved_date } => {
                        transition(&status, "solved", record.lead.is_some()).map_err(|m| invalid("status", m))?;
                        let mut ids: Vec<String> = Vec::new();
                        for s in solved_by.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                            if !ids.iter().any(|i| i == s) {
                                ids.push(s.to_string());
                            }
                        }
                        if ids.is_empty() {
                            return Err(invalid("solved_by", "请填写解决这个难题的记录编号"));
                        }
                        for s in &ids {
                            let found = self.engine.locate(s, viewer)?;
                            match found {
                                None => {
                                    return Err(invalid("solved_by", format!("找不到记录“{s}”：请填写已有记录的编号")));
                                }
                                Some(l) if l.card.kind == Kind::Problem.as_str() => {
                                    return Err(invalid(
                                        "solved_by",
                                        format!("“{s}”是一个难题，不是解决方案：请填写成果、专利或工法"),
                                    ));
                                }
                                Some(_) => {}
                            }
                        }
                        let date = match solved_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                            None => today,
                            Some(d) => Date::parse(d).ok_or_else(|| {
                                invalid("solved_date", format!("“{d}”不是有效日期，应写成 YYYY-MM-DD"))
                            })?,
                        };
                        if date > today {
                            return Err(invalid("solved_date", format!("解决日期 {date} 晚于今天")));
                        }
                        if date < record.date {
                            return Err(invalid(
                                "solved_date",
                                format!("解决日期 {date} 早于难题的发布日期 {}", record.date),
                            ));
                        }
                        next.status = Some("solved".into());
                        next.solved_by = ids;
                        next.solved_date = Some(date);
                    }
                    Step::Help { .. } => {}
                }
            }
        }
        let written = rewrite(&text, &next)?;
        let checked = self.read_back(id, &written, record.review.as_deref())?;
        let pending = std::fs::read_to_string(&paths.pending).ok();
        let pending_written = match &pending {
            Some(p) => Some(rewrite(p, &next)?),
            None => None,
        };
        let audience = Audience::of(checked.effective_visibility(), &checked.studio);
        let author = viewer.name.clone().unwrap_or_default();
        let action = step.action();
        self.apply(std::slice::from_ref(&paths.rel), |undo| {
            undo.history =
                Some(
                    self.history
                        .record_commented(id, &author, action, &written, &audience, comment.as_deref())?,
                );
            undo.write(&paths.main, written.as_bytes())?;
            if let Some(p) = &pending_written {
                undo.write(&paths.pending, p.as_bytes())?;
            }
            Ok(())
        })?;
        Ok(Outcome {
            id: id.to_string(),
            created: false,
            pending: false,
            etag: etag(&written),
            record: checked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_changes_the_workflow_fields_only() {
        let text = "---\ntitle: 难题\nkind: problem\n# 备注\nstatus: open\nstudio: a\ndate: 2026-01-01\n---\n正文\n";
        let mut record = crate::content::parse_document(
            "a/p",
            text,
            &crate::content::KnownIds {
                studios: ["a".to_string(), "b".to_string()].into(),
                ..Default::default()
            },
        )
        .map(|(d, _)| match d {
            crate::content::Document::Record(r) => *r,
            _ => panic!("a record"),
        })
        .unwrap();
        record.status = Some("claimed".into());
        record.lead = Some("b".into());
        record.helpers.push(Helper {
            studio: "b".into(),
            comment: Some("可派人：支援".into()),
            date: Date::parse("2026-02-02"),
            accepted: true,
        });
        let out = rewrite(text, &record).unwrap();
        assert!(out.starts_with("---\ntitle: 难题\nkind: problem\n# 备注\nstudio: a\ndate: 2026-01-01\nstatus: claimed\nlead: b\nhelpers:\n"), "{out}");
        assert!(out.ends_with("---\n正文\n"));
        let (fm, _) = front_matter::split(&out).unwrap();
        let helpers = fm.get("helpers").unwrap().0.as_sequence().unwrap();
        assert_eq!(helpers[0].get("comment").and_then(Value::as_str), Some("可派人：支援"));
    }
}
