//! The builder's edits, each a small change to an exhibit: what a button
//! of the builder (a plain form, so it works without JavaScript) asks
//! for. Items and sections are named by position in the version the
//! person was shown; the save checks that version is still the current
//! one, so a position never lands on another item.

use crate::content::{
    EXHIBIT_CAPTION_CHARS, EXHIBIT_COVER_CHARS, EXHIBIT_SECTION_CHARS, Exhibit, ExhibitItem, ExhibitSection, Visibility,
};

#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Adds a record at the end of the section of that title (created if
    /// missing; an empty title is the untitled first section).
    Add {
        record: String,
        section: String,
        caption: String,
    },
    Remove {
        section: usize,
        item: usize,
    },
    /// Moves an item one place up or down; past the edge of its section
    /// it moves into the next section, so buttons alone can regroup.
    Move {
        section: usize,
        item: usize,
        up: bool,
    },
    /// Moves an item into a section (its own or another), before the item
    /// at `position` there, or to its end (the builder's select; dragging).
    MoveTo {
        section: usize,
        item: usize,
        target: usize,
        position: Option<usize>,
    },
    Caption {
        section: usize,
        item: usize,
        caption: String,
        image: String,
    },
    AddSection {
        title: String,
    },
    RenameSection {
        section: usize,
        title: String,
    },
    /// Removes a section; its items join the section before it (or the
    /// one after, for the first), never silently dropped.
    RemoveSection {
        section: usize,
    },
    MoveSection {
        section: usize,
        up: bool,
    },
    Details {
        title: String,
        cover: String,
        visibility: String,
        body: String,
    },
}

/// Why an edit cannot be made, said to the person who asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EditError {
    pub field: &'static str,
    pub message: String,
}

fn refuse<T>(field: &'static str, message: impl Into<String>) -> Result<T, EditError> {
    Err(EditError {
        field,
        message: message.into(),
    })
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn section_title(title: &str) -> Result<String, EditError> {
    let title = title.trim().to_string();
    if title.is_empty() {
        return refuse("sections", "请填写板块名称");
    }
    if title.chars().count() > EXHIBIT_SECTION_CHARS {
        return refuse("sections", format!("板块名称过长：最多 {EXHIBIT_SECTION_CHARS} 个字符"));
    }
    Ok(title)
}

const GONE: &str = "这一项已不在成果展中：页面可能已过期，请刷新后再试";

impl Edit {
    /// Applies the edit; on an error the exhibit is left as it was.
    pub fn apply(self, exhibit: &mut Exhibit) -> Result<(), EditError> {
        let sections = &mut exhibit.sections;
        let item_at = |sections: &[ExhibitSection], s: usize, i: usize| -> Result<(), EditError> {
            match sections.get(s).and_then(|x| x.items.get(i)) {
                Some(_) => Ok(()),
                None => refuse("items", GONE),
            }
        };
        match self {
            Edit::Add {
                record,
                section,
                caption,
            } => {
                let record = record.trim().to_string();
                if record.is_empty() {
                    return refuse("items", "请填写记录编号");
                }
                if sections.iter().flat_map(|s| &s.items).any(|i| i.id == record) {
                    return refuse("items", format!("记录“{record}”已在本成果展中"));
                }
                if caption.chars().count() > EXHIBIT_CAPTION_CHARS {
                    return refuse("items", format!("说明过长：最多 {EXHIBIT_CAPTION_CHARS} 个字符"));
                }
                let title = section.trim();
                let index = match sections.iter().position(|s| s.title == title) {
                    Some(i) => i,
                    None if title.is_empty() => {
                        sections.insert(
                            0,
                            ExhibitSection {
                                title: String::new(),
                                items: Vec::new(),
                            },
                        );
                        0
                    }
                    None => {
                        sections.push(ExhibitSection {
                            title: section_title(title)?,
                            items: Vec::new(),
                        });
                        sections.len() - 1
                    }
                };
                sections[index].items.push(ExhibitItem {
                    id: record,
                    caption: optional(&caption),
                    image: None,
                    line: 1,
                });
            }
            Edit::Remove { section, item } => {
                item_at(sections, section, item)?;
                sections[section].items.remove(item);
            }
            Edit::Move { section, item, up } => {
                item_at(sections, section, item)?;
                let len = sections[section].items.len();
                match (up, item) {
                    (true, 0) if section > 0 => {
                        let moved = sections[section].items.remove(0);
                        sections[section - 1].items.push(moved);
                    }
                    (true, 0) => {}
                    (true, i) => sections[section].items.swap(i, i - 1),
                    (false, i) if i + 1 < len => sections[section].items.swap(i, i + 1),
                    (false, i) if section + 1 < sections.len() => {
                        let moved = sections[section].items.remove(i);
                        sections[section + 1].items.insert(0, moved);
                    }
                    (false, _) => {}
                }
            }
            Edit::MoveTo {
                section,
                item,
                target,
                position,
            } => {
                item_at(sections, section, item)?;
                if target >= sections.len() {
                    return refuse("sections", GONE);
                }
                let moved = sections[section].items.remove(item);
                // The position was counted with the item still in place.
                let position = position.map(|p| if section == target && p > item { p - 1 } else { p });
                let len = sections[target].items.len();
                sections[target].items.insert(position.unwrap_or(len).min(len), moved);
            }
            Edit::Caption {
                section,
                item,
                caption,
                image,
            } => {
                item_at(sections, section, item)?;
                if caption.chars().count() > EXHIBIT_CAPTION_CHARS {
                    return refuse("items", format!("说明过长：最多 {EXHIBIT_CAPTION_CHARS} 个字符"));
                }
                let image = optional(&image);
                if let Some(name) = &image
                    && (name.contains(['/', '\\']) || name.starts_with('.'))
                {
                    return refuse("items", "图片应为该记录附件中的一个文件名");
                }
                let target = &mut sections[section].items[item];
                target.caption = optional(&caption);
                target.image = image;
            }
            Edit::AddSection { title } => {
                let title = section_title(&title)?;
                if sections.iter().any(|s| s.title == title) {
                    return refuse("sections", format!("已有板块“{title}”"));
                }
                sections.push(ExhibitSection {
                    title,
                    items: Vec::new(),
                });
            }
            Edit::RenameSection { section, title } => {
                let title = section_title(&title)?;
                if sections
                    .iter()
                    .enumerate()
                    .any(|(i, s)| i != section && s.title == title)
                {
                    return refuse("sections", format!("已有板块“{title}”"));
                }
                match sections.get_mut(section) {
                    Some(s) => s.title = title,
                    None => return refuse("sections", GONE),
                }
            }
            Edit::RemoveSection { section } => {
                if section >= sections.len() {
                    return refuse("sections", GONE);
                }
                let removed = sections.remove(section);
                if !removed.items.is_empty() {
                    match section.checked_sub(1) {
                        Some(before) => sections[before].items.extend(removed.items),
                        None if !sections.is_empty() => {
                            let mut items = removed.items;
                            items.append(&mut sections[0].items);
                            sections[0].items = items;
                        }
                        // The only section: its items stay, untitled.
                        None => sections.push(ExhibitSection {
                            title: String::new(),
                            items: removed.items,
                        }),
                    }
                }
            }
            Edit::MoveSection { section, up } => {
                if section >= sections.len() {
                    return refuse("sections", GONE);
                }
                let other = if up { section.checked_sub(1) } else { Some(section + 1) };
                if let Some(other) = other.filter(|o| *o < sections.len()) {
                    sections.swap(section, other);
                }
            }
            Edit::Details {
                title,
                cover,
                visibility,
                body,
            } => {
                let title = title.trim().to_string();
                if title.is_empty() || title.chars().count() > 200 {
                    return refuse("title", "标题不能为空，最多 200 个字符");
                }
                if cover.chars().count() > EXHIBIT_COVER_CHARS {
                    return refuse("cover", format!("封面文字过长：最多 {EXHIBIT_COVER_CHARS} 个字符"));
                }
                let Some(visibility) = Visibility::parse(visibility.trim()) else {
                    return refuse("visibility", "可见范围应为 public、members 或 studio");
                };
                exhibit.title = title;
                exhibit.cover = optional(&cover);
                exhibit.visibility = visibility;
                exhibit.body = body.replace("\r\n", "\n");
            }
        }
        // An untitled section only exists to hold items.
        exhibit.sections.retain(|s| !s.title.is_empty() || !s.items.is_empty());
        // The untitled section, if any, comes first: the file writes it as `items`.
        exhibit.sections.sort_by_key(|s| !s.title.is_empty());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exhibit() -> Exhibit {
        let item = |id: &str| ExhibitItem {
            id: id.into(),
            caption: None,
            image: None,
            line: 1,
        };
        Exhibit {
            id: "x".into(),
            title: "展".into(),
            cover: None,
            sections: vec![
                ExhibitSection {
                    title: "甲".into(),
                    items: vec![item("a"), item("b")],
                },
                ExhibitSection {
                    title: "乙".into(),
                    items: vec![item("c")],
                },
            ],
            visibility: Visibility::Public,
            body: String::new(),
        }
    }

    fn ids(e: &Exhibit) -> Vec<(String, Vec<String>)> {
        e.sections
            .iter()
            .map(|s| (s.title.clone(), s.items.iter().map(|i| i.id.clone()).collect()))
            .collect()
    }

    fn shape(e: &Exhibit) -> String {
        ids(e)
            .iter()
            .map(|(t, i)| format!("{t}:{}", i.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn moves_reorder_within_and_across_sections() {
        let mut e = exhibit();
        Edit::Move {
            section: 0,
            item: 1,
            up: true,
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), "甲:b,a 乙:c");
        Edit::Move {
            section: 0,
            item: 1,
            up: false,
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), "甲:b 乙:a,c");
        Edit::Move {
            section: 1,
            item: 0,
            up: true,
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), "甲:b,a 乙:c");
        // At the very top and bottom nothing moves.
        Edit::Move {
            section: 0,
            item: 0,
            up: true,
        }
        .apply(&mut e)
        .unwrap();
        Edit::Move {
            section: 1,
            item: 0,
            up: false,
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), "甲:b,a 乙:c");
        Edit::MoveTo {
            section: 1,
            item: 0,
            target: 0,
            position: None,
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), "甲:b,a,c 乙:");
        // Dropped before an item, in the same section or another.
        let to = |section, item, target, position| Edit::MoveTo {
            section,
            item,
            target,
            position,
        };
        to(0, 2, 0, Some(0)).apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:c,b,a 乙:");
        to(0, 0, 0, Some(2)).apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:b,c,a 乙:");
        to(0, 1, 1, Some(7)).apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:b,a 乙:c");
        assert!(to(0, 0, 5, None).apply(&mut e).is_err());
    }

    #[test]
    fn sections_are_added_renamed_moved_and_removed_without_losing_items() {
        let mut e = exhibit();
        Edit::AddSection { title: " 丙 ".into() }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:a,b 乙:c 丙:");
        assert!(Edit::AddSection { title: "乙".into() }.apply(&mut e).is_err());
        assert!(Edit::AddSection { title: "  ".into() }.apply(&mut e).is_err());
        Edit::MoveSection { section: 2, up: true }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:a,b 丙: 乙:c");
        Edit::RenameSection {
            section: 1,
            title: "丁".into(),
        }
        .apply(&mut e)
        .unwrap();
        assert!(
            Edit::RenameSection {
                section: 1,
                title: "甲".into()
            }
            .apply(&mut e)
            .is_err()
        );
        Edit::RemoveSection { section: 0 }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), "丁:a,b 乙:c");
        Edit::RemoveSection { section: 1 }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), "丁:a,b,c");
        Edit::RemoveSection { section: 0 }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), ":a,b,c");
    }

    #[test]
    fn adding_captions_and_removing() {
        let mut e = exhibit();
        Edit::Add {
            record: "d".into(),
            section: "".into(),
            caption: " 说明 ".into(),
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), ":d 甲:a,b 乙:c");
        assert_eq!(e.sections[0].items[0].caption.as_deref(), Some("说明"));
        Edit::Add {
            record: "e".into(),
            section: "新板块".into(),
            caption: "".into(),
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(shape(&e), ":d 甲:a,b 乙:c 新板块:e");
        let again = Edit::Add {
            record: "a".into(),
            section: "乙".into(),
            caption: "".into(),
        }
        .apply(&mut e);
        assert!(again.unwrap_err().message.contains("已在"));
        Edit::Caption {
            section: 1,
            item: 1,
            caption: "图说".into(),
            image: "p.png".into(),
        }
        .apply(&mut e)
        .unwrap();
        assert_eq!(e.sections[1].items[1].image.as_deref(), Some("p.png"));
        let bad = Edit::Caption {
            section: 1,
            item: 1,
            caption: "".into(),
            image: "../x.png".into(),
        };
        assert!(bad.apply(&mut e).is_err());
        Edit::Remove { section: 0, item: 0 }.apply(&mut e).unwrap();
        assert_eq!(shape(&e), "甲:a,b 乙:c 新板块:e");
        // A position from an older page is refused, never applied elsewhere.
        let stale = Edit::Remove { section: 0, item: 5 }.apply(&mut e).unwrap_err();
        assert!(stale.message.contains("刷新"));
        assert!(
            Edit::Caption {
                section: 1,
                item: 0,
                caption: "长".repeat(201),
                image: "".into()
            }
            .apply(&mut e)
            .is_err()
        );
    }

    #[test]
    fn details_are_checked() {
        let mut e = exhibit();
        let details = |title: &str, visibility: &str| Edit::Details {
            title: title.into(),
            cover: "封面".into(),
            visibility: visibility.into(),
            body: "介绍\r\n".into(),
        };
        assert_eq!(details("", "public").apply(&mut e).unwrap_err().field, "title");
        assert_eq!(details("新", "everyone").apply(&mut e).unwrap_err().field, "visibility");
        details("新展", "members").apply(&mut e).unwrap();
        assert_eq!(
            (e.title.as_str(), e.visibility, e.body.as_str()),
            ("新展", Visibility::Members, "介绍\n")
        );
        assert_eq!(e.cover.as_deref(), Some("封面"));
    }
}
