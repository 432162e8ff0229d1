//! Exhibits (成果展): showcases of records curated by union staff, in
//! sections (板块) of ordered items, printed as A4 boards with a QR code of
//! each record's public address and handed out as an offline copy.
//!
//! This module owns what an exhibit is beyond its parsing (which lives with
//! the rest of the content contract in `content`): writing one back as a
//! file (`format`), checking it against the records that exist, with the
//! closest id for a mistyped one, the builder's edits (`edit`), what a board
//! shows of a record (`board`), QR codes (`qr`) and the static offline copy
//! (`export`). Saving goes through `publish::Publisher` like a record; the
//! web layer only translates.

mod board;
mod edit;
pub mod export;
mod format;
mod qr;

pub use board::{Board, Fact, board, images_of};
pub use edit::{Edit, EditError};
pub use format::to_markdown;
pub use qr::{public_address, qr_svg};

use std::collections::HashSet;

use crate::content::{Document, Exhibit, KnownIds, Problem, RecordIds, Section, parse_document};

/// Parses an exhibit file written through the site and checks it against
/// the records that exist: an unknown id, or one listed twice, is an error
/// naming the field, the line and (for a typo) the closest id.
pub fn parse(id: &str, text: &str, records: &RecordIds) -> Result<Exhibit, Vec<Problem>> {
    let full = format!("exhibits/{id}");
    if Section::of_id(&full) != Section::Exhibits || id.contains('/') {
        return Err(vec![Problem::error(1, "id", "成果展编号不能包含“/”")]);
    }
    let (doc, _) = parse_document(&full, text, &KnownIds::default())?;
    let Document::Exhibit(exhibit) = doc else {
        return Err(vec![Problem::error(1, "kind", "应写 kind: exhibit")]);
    };
    let problems = check(&exhibit, records);
    if problems.is_empty() {
        Ok(exhibit)
    } else {
        Err(problems)
    }
}

/// Every item must name a record that exists, once.
pub fn check(exhibit: &Exhibit, records: &RecordIds) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for section in &exhibit.sections {
        let field = if section.title.is_empty() { "items" } else { "sections" };
        for item in &section.items {
            if !records.contains(&item.id) {
                let message = match records.closest_to(&item.id) {
                    Some(best) => format!("找不到记录“{}”，是否应为“{best}”？", item.id),
                    None => format!("找不到记录“{}”", item.id),
                };
                problems.push(Problem::error(item.line, field, message));
            } else if !seen.insert(item.id.as_str()) {
                problems.push(Problem::error(
                    item.line,
                    field,
                    format!("记录“{}”在本成果展中出现了两次", item.id),
                ));
            }
        }
    }
    problems
}

/// An exhibit's id as written through the site: the rules of every id,
/// and no folder.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.contains(['/', '\\']) {
        return Err("成果展编号不能为空，也不能包含“/”".into());
    }
    crate::content::load::id_for(&format!("exhibits/{id}.md")).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> RecordIds {
        ["tunnel-zhang/segment-repair", "bridge-li/anchor-patent"]
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn unknown_and_repeated_ids_are_errors_with_the_closest_id() {
        let text = "---\nkind: exhibit\ntitle: 展\nitems:\n  - tunnel-zhang/segment-repair\nsections:\n  - title: 桥梁\n    items:\n      - bridge-li/anchor-patnet\n      - {id: tunnel-zhang/segment-repair, caption: 又一次}\n      - nowhere/x\n---\n";
        let problems = parse("show", text, &records()).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0].field, "sections");
        assert_eq!(problems[0].line, 9);
        assert!(problems[0].message.contains("是否应为“bridge-li/anchor-patent”"));
        assert_eq!(problems[1].line, 10);
        assert!(problems[1].message.contains("两次"));
        assert_eq!(problems[2].message, "找不到记录“nowhere/x”");
    }

    #[test]
    fn ids_of_exhibits_have_no_folder() {
        assert!(check_id("2024-show").is_ok());
        assert!(check_id("成果展2024").is_ok());
        for bad in ["", "a/b", "..", ".hidden", "a\\b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
