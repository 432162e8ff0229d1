//! Markdown to safe HTML, and Markdown to the plain text that is indexed.
//!
//! Every piece of HTML that comes from content goes through `to_html`, which
//! sanitises with ammonia after rendering: no script, event handler,
//! `javascript:` URL or iframe survives, whatever the author wrote.

use std::collections::HashMap;
use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `markdown` to sanitised HTML. Relative links and images resolve
/// against `base` (the URL folder of the record's files, ending in `/`).
pub fn to_html(markdown: &str, base: &str) -> String {
    let mut events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    add_heading_anchors(&mut events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    sanitize(&raw, base)
}

fn add_heading_anchors(events: &mut [Event]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let mut slug = slugify(&text);
            let n = seen.entry(slug.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                slug = format!("{slug}-{}", *n - 1);
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(slug));
            }
            i = j;
        }
        i += 1;
    }
}

/// A heading's anchor: letters (any script) and digits kept, the rest dashes.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "section".into() } else { slug }
}

fn sanitize(html: &str, base: &str) -> String {
    let base = base.to_string();
    let tags: HashSet<&str> = ["input"].into();
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(tags)
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("td", ["align", "style"])
        .add_tag_attributes("th", ["align", "style"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            // Only pulldown-cmark's own alignment survives as inline style.
            ("td" | "th", "style") if !value.starts_with("text-align:") || value.contains([';', '(']) => None,
            _ => Some(value.into()),
        })
        .link_rel(Some("noopener noreferrer"))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(BundleBase(base))));
    builder.clean(html).to_string()
}

/// Resolves relative URLs against the record's files folder.
struct BundleBase(String);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for BundleBase {
    fn evaluate<'url>(&self, url: &'url str) -> Option<std::borrow::Cow<'url, str>> {
        if url.starts_with('#') || url.starts_with('/') || url.starts_with('?') {
            Some(url.into())
        } else {
            Some(format!("{}{}", self.0, url.trim_start_matches("./")).into())
        }
    }
}

/// Plain text of the body, block by block, for indexing and snippets.
pub fn to_plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableRow | TagEnd::CodeBlock,
            ) => out.push('\n'),
            Event::End(TagEnd::TableCell) => out.push(' '),
            _ => {}
        }
    }
    out
}

/// The first paragraph's text (not a heading), cut to `max_chars`.
pub fn first_paragraph(markdown: &str, max_chars: usize) -> String {
    let mut in_paragraph = false;
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_paragraph = false,
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    truncate_chars(text.trim(), max_chars)
}

pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => format!("{}…", &text[..byte]),
        None => text.to_string(),
    }
}

/// The `##` chapters of a body, for a table of contents.
pub fn headings(markdown: &str) -> Vec<(u8, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u8, String)> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let depth = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    _ => 4,
                };
                current = Some((depth, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = &mut current {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((depth, text)) = current.take() {
                    out.push((depth, text, String::new()));
                }
            }
            _ => {}
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, text, anchor) in &mut out {
        let mut slug = slugify(text);
        let n = seen.entry(slug.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            slug = format!("{slug}-{}", *n - 1);
        }
        *anchor = slug;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_extensions() {
        let md = "## 工艺 原理\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~旧~~ 新[^1]\n\n[^1]: 注释\n\n- [x] 完成\n- [ ] 待办\n";
        let html = to_html(md, "/records/x/");
        assert!(html.contains("<h2 id=\"工艺-原理\">"), "{html}");
        assert!(html.contains("<table>"));
        assert!(html.contains("<del>旧</del>"));
        assert!(html.contains("footnote"));
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("text-align"), "{html}");
    }

    #[test]
    fn no_script_survives() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<iframe src=\"https://evil\"></iframe>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<object data=x></object><embed src=x>",
            "<form action=x><button formaction=javascript:alert(1)>x</button></form>",
            "<input type=image src=x onfocus=alert(1) autofocus>",
            "<td style=\"text-align: left; background:url(x)\">",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
            "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
            "<base href=\"javascript:/\">",
            "<link rel=stylesheet href=x>",
            "![x](x\" onerror=\"alert(1))",
        ];
        for attack in attacks {
            let html = to_html(attack, "/records/x/").to_lowercase();
            // Only markup can run; the same words as escaped text are harmless.
            let tags: String = html
                .split('<')
                .skip(1)
                .filter_map(|t| t.split('>').next())
                .collect::<Vec<_>>()
                .join("<");
            let html = format!("<{tags}");
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onfocus",
                "javascript:",
                "<iframe",
                "<object",
                "<embed",
                "<style",
                "<meta",
                "<base",
                "<link",
                "data:text",
                "formaction",
                "background",
            ] {
                assert!(!html.contains(bad), "{attack} -> {html}");
            }
        }
    }

    #[test]
    fn relative_urls_point_into_the_bundle() {
        let html = to_html(
            "![图](diagram.png) [书](./manual.pdf) [外](https://example.com) [锚](#a)",
            "/records/t/b/",
        );
        assert!(html.contains("src=\"/records/t/b/diagram.png\""), "{html}");
        assert!(html.contains("href=\"/records/t/b/manual.pdf\""));
        assert!(html.contains("href=\"https://example.com\""));
        assert!(html.contains("href=\"#a\""));
    }

    #[test]
    fn plain_text_and_first_paragraph() {
        let md = "## 前言\n\n第一段 **加粗**\n续行。\n\n第二段";
        assert_eq!(first_paragraph(md, 100), "第一段 加粗 续行。");
        assert!(to_plain_text(md).contains("前言\n"));
        assert_eq!(truncate_chars("一二三四", 2), "一二…");
    }

    #[test]
    fn headings_match_anchors() {
        let md = "## 质量控制\n\n## 质量控制\n";
        let h = headings(md);
        assert_eq!(h[1].2, "质量控制-1");
        assert!(to_html(md, "/").contains("id=\"质量控制-1\""));
    }
}
