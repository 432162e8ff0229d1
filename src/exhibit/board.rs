//! What a board shows of one record: what a visitor of an exhibition wants
//! to read standing in front of it (title, studio and alliance, authors,
//! the summary, the key facts of its kind, one image), with every label
//! and value taken from the field table, so the page, the print and the
//! offline copy say the same thing.

use std::path::Path;

use crate::content::load::{Profiles, bundle_dir, bundle_files};
use crate::content::spec;
use crate::content::{ExhibitItem, Kind, Record};

/// One labelled fact of a board.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub studio: String,
    pub studio_name: String,
    pub alliances: Vec<String>,
    pub authors: String,
    pub summary: String,
    pub facts: Vec<Fact>,
    /// A file of the record's bundle: the item's own choice if present,
    /// else the bundle's first image.
    pub image: Option<String>,
    pub caption: String,
}

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp"];

/// The files of a record's page bundle that visitors may open, in name
/// order: no hidden file (a write in progress, a submission) and no
/// Markdown (source, never served).
pub fn files_of(content_root: &Path, rel: &str) -> Vec<String> {
    bundle_dir(content_root, rel).map_or_else(Vec::new, |dir| bundle_files(&dir))
}

pub fn is_image(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| IMAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The images of a record's page bundle, in name order.
pub fn images_of(content_root: &Path, rel: &str) -> Vec<String> {
    files_of(content_root, rel)
        .into_iter()
        .filter(|n| is_image(n))
        .collect()
}

fn label(field: &str, kind: Kind, en: bool) -> &'static str {
    spec::record_field(field, kind).map_or("", |f| f.label(en))
}

fn choice(field: &str, value: &str, en: bool) -> String {
    spec::choice_label(field, value, en).unwrap_or(value).to_string()
}

/// The board of `record` as `item` presents it; `images` are the record's
/// bundle images (`images_of`).
pub fn board(record: &Record, item: &ExhibitItem, profiles: &Profiles, images: &[String], en: bool) -> Board {
    let kind = record.kind;
    let mut facts = Vec::new();
    let mut fact = |field: &str, value: String| {
        if !value.is_empty() {
            facts.push(Fact {
                label: label(field, kind, en),
                value,
            });
        }
    };
    if let Some(b) = record.benefit {
        fact("benefit", format!("{b} {}", if en { "×10k CNY" } else { "万元" }));
    }
    if let Some(c) = &record.category {
        fact("category", choice("category", c, en));
    }
    if let Some(t) = &record.patent_type {
        fact("patent_type", choice("patent_type", t, en));
    }
    fact("application_no", record.application_no.clone().unwrap_or_default());
    if let Some(s) = &record.status {
        fact("status", choice("status", s, en));
    }
    if let Some(l) = &record.level {
        fact("level", choice("level", l, en));
    }
    fact("method_code", record.method_code.clone().unwrap_or_default());
    let awards: Vec<String> = record
        .awards
        .iter()
        .map(|a| {
            let level = choice("award_level", &a.level, en);
            match a.year {
                Some(y) => format!("{}（{level}，{y}）", a.name),
                None => format!("{}（{level}）", a.name),
            }
        })
        .collect();
    fact("awards", awards.join("；"));
    let applied: Vec<String> = record
        .applied_in
        .iter()
        .map(|a| match a.year {
            Some(y) => format!("{}（{y}）", a.project),
            None => a.project.clone(),
        })
        .collect();
    fact("applied_in", applied.join("、"));
    let image = item
        .image
        .as_ref()
        .filter(|name| images.contains(name))
        .or_else(|| images.first())
        .cloned();
    let studio = profiles.studios.get(&record.studio);
    Board {
        id: record.id.clone(),
        title: record.title.clone(),
        kind: kind.as_str(),
        kind_label: spec::choice_label("kind", kind.as_str(), en).unwrap_or(""),
        studio: record.studio.clone(),
        studio_name: studio.map_or_else(|| record.studio.clone(), |s| s.name.clone()),
        alliances: profiles
            .alliances_of(&record.studio)
            .into_iter()
            .map(|a| a.name.clone())
            .collect(),
        authors: record.authors.join("、"),
        summary: record.summary.clone(),
        facts,
        image,
        caption: item.caption.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Document, KnownIds, parse_document};

    #[test]
    fn a_board_says_the_key_facts_of_its_kind_in_chinese() {
        let text = "---\ntitle: 锚栓定位装置\nkind: patent\nstudio: s\ndate: 2023-01-01\nauthors: [甲, 乙]\npatent_type: utility\napplication_no: CN202110345678.9\nstatus: granted\nbenefit: 12.5\nawards:\n  - {name: 科技进步奖, level: provincial, year: 2023}\napplied_in:\n  - {project: 深圳地铁14号线, year: 2023}\n---\n正文第一段。\n";
        let known = KnownIds {
            studios: ["s".to_string()].into(),
            ..KnownIds::default()
        };
        let Ok((Document::Record(record), _)) = parse_document("s/p", text, &known) else {
            panic!()
        };
        let item = ExhibitItem {
            id: "s/p".into(),
            caption: Some("说明".into()),
            image: Some("missing.png".into()),
            line: 1,
        };
        let images = vec!["a.png".to_string(), "b.jpg".to_string()];
        let b = board(&record, &item, &Profiles::default(), &images, false);
        let facts: Vec<String> = b.facts.iter().map(|f| format!("{}={}", f.label, f.value)).collect();
        assert_eq!(
            facts,
            vec![
                "经济效益=12.5 万元",
                "专利类型=实用新型",
                "申请号=CN202110345678.9",
                "专利状态=已授权",
                "获奖=科技进步奖（省部级，2023）",
                "应用推广=深圳地铁14号线（2023）",
            ]
        );
        assert_eq!(b.authors, "甲、乙");
        assert_eq!(b.kind_label, "专利");
        assert_eq!(b.summary, "正文第一段。");
        // An image the bundle does not hold falls back to the first one.
        assert_eq!(b.image.as_deref(), Some("a.png"));
        let chosen = ExhibitItem {
            image: Some("b.jpg".into()),
            ..item
        };
        assert_eq!(
            board(&record, &chosen, &Profiles::default(), &images, false)
                .image
                .as_deref(),
            Some("b.jpg")
        );
    }
}
