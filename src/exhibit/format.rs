//! An exhibit written back as its file: YAML front matter in the order a
//! person reads it (kind, title, visibility, cover, items, sections), then
//! the introduction. Items without a caption or image stay plain ids, so
//! a file edited by hand and then in the builder stays recognisable.

use serde_yaml_ng::{Mapping, Value};

use crate::content::{Exhibit, ExhibitItem};

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn item_value(item: &ExhibitItem) -> Value {
    if item.caption.is_none() && item.image.is_none() {
        return s(&item.id);
    }
    let mut m = Mapping::new();
    m.insert(s("id"), s(&item.id));
    if let Some(c) = &item.caption {
        m.insert(s("caption"), s(c));
    }
    if let Some(i) = &item.image {
        m.insert(s("image"), s(i));
    }
    Value::Mapping(m)
}

/// The file for `exhibit`: what `content::parse_document` reads back as
/// the same exhibit.
pub fn to_markdown(exhibit: &Exhibit) -> String {
    let mut m = Mapping::new();
    m.insert(s("kind"), s("exhibit"));
    m.insert(s("title"), s(&exhibit.title));
    m.insert(s("visibility"), s(exhibit.visibility.as_str()));
    if let Some(cover) = &exhibit.cover {
        m.insert(s("cover"), s(cover));
    }
    let (untitled, titled): (Vec<_>, Vec<_>) = exhibit.sections.iter().partition(|s| s.title.is_empty());
    let loose: Vec<Value> = untitled.iter().flat_map(|s| s.items.iter().map(item_value)).collect();
    if !loose.is_empty() || titled.is_empty() {
        m.insert(s("items"), Value::Sequence(loose));
    }
    if !titled.is_empty() {
        let sections = titled
            .iter()
            .map(|section| {
                let mut sm = Mapping::new();
                sm.insert(s("title"), s(&section.title));
                sm.insert(
                    s("items"),
                    Value::Sequence(section.items.iter().map(item_value).collect()),
                );
                Value::Mapping(sm)
            })
            .collect();
        m.insert(s("sections"), Value::Sequence(sections));
    }
    let yaml = serde_yaml_ng::to_string(&Value::Mapping(m)).unwrap_or_default();
    let body = exhibit.body.trim_start_matches(['\r', '\n']);
    format!("---\n{yaml}---\n\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Document, KnownIds, parse_document};

    fn read(text: &str) -> Exhibit {
        match parse_document("exhibits/x", text, &KnownIds::default()) {
            Ok((Document::Exhibit(e), _)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_written_exhibit_reads_back_the_same() {
        let text = "---\nkind: exhibit\ntitle: \"2024年度成果展: 一\"\nvisibility: public\ncover: 集团工会 · 2024年12月\nitems:\n  - a/b\nsections:\n  - title: 盾构与隧道\n    items:\n      - {id: c/d, caption: \"说明: 含冒号 #号\", image: 图.png}\n      - e/f\n  - title: 空板块\n---\n\n# 介绍\n\n正文\n";
        let first = read(text);
        let written = to_markdown(&first);
        let again = read(&written);
        assert_eq!(again.title, first.title);
        assert_eq!(again.cover, first.cover);
        assert_eq!(again.visibility, first.visibility);
        let shape = |e: &Exhibit| {
            e.sections
                .iter()
                .map(|s| {
                    (
                        s.title.clone(),
                        s.items
                            .iter()
                            .map(|i| (i.id.clone(), i.caption.clone(), i.image.clone()))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&again), shape(&first));
        assert_eq!(first.sections.len(), 3);
        assert!(again.body.contains("# 介绍\n\n正文"));
        assert!(written.contains("盾构与隧道"), "Chinese stays readable: {written}");
    }

    #[test]
    fn an_empty_exhibit_keeps_an_items_list() {
        let mut e = read("---\nkind: exhibit\ntitle: 新展\nitems: []\n---\n");
        e.sections.clear();
        let written = to_markdown(&e);
        assert!(written.contains("items: []"), "{written}");
        assert!(read(&written).sections.is_empty());
    }
}
