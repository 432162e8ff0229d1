//! The 劳模帮帮团 problem board: which states a problem may move between,
//! the board of problems (by alliance, state, priority, lead and helping
//! studios, due date) and the existing records suggested as solutions.
//!
//! Everything is read through the search as the viewer, so a problem the
//! viewer may not see is neither listed nor counted, and a suggestion is
//! only ever a record the viewer may open. Writes (offering help, accepting
//! a helper, setting the lead, moving the state) are `publish::problems`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auth::Viewer;
use crate::content::load::Profiles;
use crate::content::{Date, Kind};
use crate::search::{Card, Engine, FacetField, SearchError};

/// States in which a problem is still being worked on: the board's default.
pub const ACTIVE: &[&str] = &["open", "claimed", "in_progress"];

/// Whether a problem may move from `from` to `to`, or why not (in
/// Chinese). Claimed and in progress need a lead; solved is final (an
/// error in it is corrected by editing the record); a closed problem may be
/// opened again.
pub fn transition(from: &str, to: &str, has_lead: bool) -> Result<(), String> {
    let label = |s: &str| crate::content::spec::choice_label("status", s, false).unwrap_or("未知状态");
    if !crate::content::spec::is_choice(crate::content::PROBLEM_STATUSES, to) {
        return Err(format!(
            "“{to}”不是难题状态，应为 {} 之一",
            crate::content::spec::values(crate::content::PROBLEM_STATUSES)
        ));
    }
    if from == to {
        return Err(format!("难题已是“{}”状态", label(to)));
    }
    let allowed: &[&str] = match from {
        "open" => &["claimed", "solved", "closed"],
        "claimed" => &["open", "in_progress", "solved", "closed"],
        "in_progress" => &["claimed", "solved", "closed"],
        "closed" => &["open"],
        _ => &[],
    };
    if !allowed.contains(&to) {
        let next: Vec<&str> = allowed.iter().map(|s| label(s)).collect();
        let hint = if next.is_empty() {
            "已解决的难题不能再改变状态".to_string()
        } else {
            format!("可改为：{}", next.join("、"))
        };
        return Err(format!("不能从“{}”改为“{}”：{hint}", label(from), label(to)));
    }
    if matches!(to, "claimed" | "in_progress") && !has_lead {
        return Err(format!("改为“{}”前请先指定牵头工作室", label(to)));
    }
    Ok(())
}

/// What the board is asked to show. Empty lists mean "any"; with no
/// state chosen, the problems still being worked on.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub alliances: Vec<String>,
    pub states: Vec<String>,
    pub priorities: Vec<String>,
    /// A studio that owns, leads or helps with the problem.
    pub studio: Option<String>,
    pub overdue: bool,
}

/// How many problems on the board an alliance has.
#[derive(Debug, Clone, Serialize)]
pub struct AllianceCount {
    pub id: String,
    pub name: String,
    pub count: usize,
}

/// A studio on the board, by id and name.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StudioRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoardHelperView {
    pub studio: StudioRef,
    pub accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One problem as the board shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BoardItem {
    pub id: String,
    pub title: String,
    pub url: String,
    pub studio: StudioRef,
    pub alliances: Vec<StudioRef>,
    pub date: String,
    /// Days since it was posted (Beijing time).
    pub age_days: i64,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<StudioRef>,
    pub helpers: Vec<BoardHelperView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Past its due date and not solved or closed.
    pub overdue: bool,
    pub visibility: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub today: String,
    pub total: usize,
    pub items: Vec<BoardItem>,
    /// Problems of each state among those the other filters let through.
    pub by_state: BTreeMap<String, usize>,
    /// Problems shown under each alliance (a problem of a studio in two
    /// alliances counts under each), most first.
    pub by_alliance: Vec<AllianceCount>,
    /// Overdue problems among those shown.
    pub overdue: usize,
}

fn priority_rank(p: Option<&str>) -> u8 {
    match p {
        Some("high") => 0,
        Some("medium") => 1,
        Some("low") => 3,
        _ => 2,
    }
}

fn studio_ref(profiles: &Profiles, id: &str) -> StudioRef {
    StudioRef {
        id: id.to_string(),
        name: profiles
            .studios
            .get(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone()),
    }
}

fn days_between(from: Date, to: Date) -> Option<i64> {
    let (from, to) = (crate::patents::to_date(from)?, crate::patents::to_date(to)?);
    Some((to - from).whole_days())
}

/// Today in Beijing time, as front matter writes dates.
pub fn today() -> Date {
    let d = crate::patents::today_in_beijing();
    Date {
        year: d.year(),
        month: u32::from(u8::from(d.month())),
        day: u32::from(d.day()),
    }
}

/// Whether a problem in `status` due on `due` is overdue on `today`.
pub fn is_overdue(status: &str, due: Option<Date>, today: Date) -> bool {
    ACTIVE.contains(&status) && due.is_some_and(|d| d < today)
}

/// A problem's card as the board shows it on `today`.
pub fn board_item(card: Card, profiles: &Profiles, today: Date) -> BoardItem {
    let status = card.status.clone().unwrap_or_else(|| "open".to_string());
    let due = card.due.as_deref().and_then(Date::parse);
    let overdue = is_overdue(&status, due, today);
    let date = Date::parse(&card.date);
    BoardItem {
        url: format!("/records/{}", card.id),
        studio: studio_ref(profiles, &card.studio),
        alliances: profiles
            .alliances_of(&card.studio)
            .into_iter()
            .map(|a| StudioRef {
                id: a.id.clone(),
                name: a.name.clone(),
            })
            .collect(),
        age_days: date.and_then(|d| days_between(d, today)).unwrap_or(0).max(0),
        date: card.date.clone(),
        status,
        priority: card.priority.clone(),
        lead: card.lead.as_deref().map(|l| studio_ref(profiles, l)),
        helpers: card
            .helpers
            .iter()
            .map(|h| BoardHelperView {
                studio: studio_ref(profiles, &h.studio),
                accepted: h.accepted,
                comment: h.comment.clone(),
                date: h.date.clone(),
            })
            .collect(),
        due: card.due.clone(),
        overdue,
        visibility: card.visibility.clone(),
        summary: card.summary.clone(),
        title: card.title,
        id: card.id,
    }
}

/// The board as `viewer` may see it on `today`: the visible problems the
/// filter lets through, highest priority first, then overdue, then by due
/// date, then oldest first.
pub fn board(engine: &Engine, viewer: &Viewer, filter: &BoardFilter, today: Date) -> Result<Board, SearchError> {
    let mut filters = BTreeMap::new();
    filters.insert(FacetField::Kind, vec![Kind::Problem.as_str().to_string()]);
    if !filter.alliances.is_empty() {
        filters.insert(FacetField::Alliance, filter.alliances.clone());
    }
    let cards = engine.all_cards(&filters, viewer)?;
    let snapshot = engine.snapshot();
    let profiles = &snapshot.profiles;
    let involves = |card: &Card, studio: &str| {
        card.studio == studio
            || card.lead.as_deref() == Some(studio)
            || card.helpers.iter().any(|h| h.studio == studio)
            || card.partners.iter().any(|p| p.id == studio)
    };
    let states: Vec<&str> = if filter.states.is_empty() {
        ACTIVE.to_vec()
    } else {
        filter.states.iter().map(String::as_str).collect()
    };
    let mut by_state = BTreeMap::new();
    let mut items = Vec::new();
    for card in cards {
        if filter.studio.as_deref().is_some_and(|s| !involves(&card, s)) {
            continue;
        }
        if !filter.priorities.is_empty()
            && !filter
                .priorities
                .iter()
                .any(|p| card.priority.as_deref() == Some(p.as_str()))
        {
            continue;
        }
        let status = card.status.clone().unwrap_or_else(|| "open".to_string());
        let due = card.due.as_deref().and_then(Date::parse);
        let overdue = is_overdue(&status, due, today);
        if filter.overdue && !overdue {
            continue;
        }
        *by_state.entry(status.clone()).or_insert(0) += 1;
        if !states.contains(&status.as_str()) {
            continue;
        }
        items.push(board_item(card, profiles, today));
    }
    items.sort_by(|a, b| {
        priority_rank(a.priority.as_deref())
            .cmp(&priority_rank(b.priority.as_deref()))
            .then(b.overdue.cmp(&a.overdue))
            .then_with(|| match (&a.due, &b.due) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then(b.age_days.cmp(&a.age_days))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut by_alliance: Vec<AllianceCount> = Vec::new();
    for a in items.iter().flat_map(|i| &i.alliances) {
        match by_alliance.iter_mut().find(|c| c.id == a.id) {
            Some(c) => c.count += 1,
            None => by_alliance.push(AllianceCount {
                id: a.id.clone(),
                name: a.name.clone(),
                count: 1,
            }),
        }
    }
    by_alliance.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    Ok(Board {
        by_alliance,
        today: today.to_string(),
        total: items.len(),
        overdue: items.iter().filter(|i| i.overdue).count(),
        items,
        by_state,
    })
}

/// An existing record suggested as a solution, with the problem's words
/// it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    pub url: String,
    pub kind: String,
    pub studio_name: String,
    /// Percent of the problem's distinctive words it holds.
    pub similarity: u32,
    pub shared_words: Vec<String>,
}

/// The visible records most like a problem's text, never other problems
/// (the novelty check's similarity, `Engine::like_text_explained`).
pub fn suggestions(
    engine: &Engine,
    viewer: &Viewer,
    id: &str,
    title: &str,
    text: &str,
    limit: usize,
) -> Result<Vec<Suggestion>, SearchError> {
    // The title says most about what a problem is: count it three times.
    let source = format!("{title} {title} {title} {text}");
    Ok(engine
        .like_text_explained(&source, Some(id), Some(Kind::Problem.as_str()), viewer, limit)?
        .into_iter()
        .filter(|(_, share, shared)| *share > 0.0 && !shared.is_empty())
        .map(|(hit, share, mut shared)| {
            shared.truncate(6);
            Suggestion {
                id: hit.card.id.clone(),
                url: hit.url,
                kind: hit.card.kind,
                studio_name: hit.card.studio_name,
                title: hit.card.title,
                similarity: (share * 100.0).round() as u32,
                shared_words: shared,
            }
        })
        .collect())
}

/// The visible problems naming `id` among their solutions (`solved_by`),
/// as (id, title): "解决了难题：…" on a solution's page. One indexed term
/// (`Engine::solved_with`), not a pass over every solved problem.
pub fn solved_by_record(engine: &Engine, viewer: &Viewer, id: &str) -> Result<Vec<(String, String)>, SearchError> {
    let mut found: Vec<(String, String)> = engine
        .solved_with(id, viewer, 200)?
        .into_iter()
        .filter(|c| c.kind == Kind::Problem.as_str() && c.status.as_deref() == Some("solved"))
        .map(|c| (c.id, c.title))
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_transitions_pass_with_a_reason_otherwise() {
        for (from, to) in [
            ("open", "claimed"),
            ("open", "solved"),
            ("open", "closed"),
            ("claimed", "in_progress"),
            ("claimed", "open"),
            ("in_progress", "solved"),
            ("in_progress", "closed"),
            ("closed", "open"),
        ] {
            assert!(transition(from, to, true).is_ok(), "{from} → {to}");
        }
        for (from, to, says) in [
            ("open", "in_progress", "不能从“待解决”改为“攻关中”"),
            ("solved", "open", "已解决的难题不能再改变状态"),
            ("solved", "in_progress", "已解决"),
            ("closed", "solved", "可改为：待解决"),
            ("open", "open", "已是"),
            ("open", "done", "不是难题状态"),
        ] {
            let message = transition(from, to, true).expect_err(to);
            assert!(message.contains(says), "{from} → {to}: {message}");
        }
        assert!(transition("open", "claimed", false).unwrap_err().contains("牵头工作室"));
        assert!(transition("claimed", "in_progress", false).is_err());
        assert!(transition("claimed", "solved", false).is_ok());
    }

    #[test]
    fn overdue_is_an_active_problem_past_its_due_date() {
        let d = |s| Date::parse(s);
        let today = d("2026-06-01").unwrap();
        assert!(is_overdue("open", d("2026-05-31"), today));
        assert!(is_overdue("in_progress", d("2026-01-01"), today));
        assert!(!is_overdue("open", d("2026-06-01"), today));
        assert!(!is_overdue("solved", d("2026-05-31"), today));
        assert!(!is_overdue("closed", d("2026-05-31"), today));
        assert!(!is_overdue("open", None, today));
    }
}
