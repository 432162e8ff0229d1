//! Property tests over what anyone can type or upload: record ids (paths),
//! search queries, Markdown bodies and front matter. None may panic or
//! take unbounded time; ids that are accepted are safe paths, rendered
//! HTML is sanitised. Inputs are built from the pieces that matter to
//! each parser, mixed with arbitrary Unicode.
//!
//! 64 cases per property (`PROPTEST_CASES` overrides), so that CI runs
//! them in seconds.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config;

use zhihui::auth::Viewer;
use zhihui::content::{front_matter, load, render};
use zhihui::search::{Engine, SearchRequest, query};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        // Failures are printed with their minimal input; nothing is
        // written into the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text made of up to `max` of `pieces`, or of arbitrary characters.
fn text_of(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(pieces).prop_map(str::to_string),
        1 => any::<String>(),
        1 => proptest::char::any().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|parts| parts.concat())
}

const ID_PIECES: &[&str] = &[
    "a",
    "管片修复",
    "tunnel-zhang",
    "x.y",
    "/",
    "/",
    "/",
    "",
    ".",
    "..",
    ".hidden",
    "...",
    "index",
    "index.md",
    ".md",
    "\\",
    "C:",
    "\u{0}",
    "\n",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{2024}",
    "\u{ff0e}",
    "?",
    "#",
    "%",
    "\"",
    "<",
    " ",
    "\t",
    "😀",
    "\u{200b}",
];

fn segment_is_safe(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && !part.starts_with('.')
        && !part.chars().any(|c| c.is_control() || c == '\\')
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn accepted_ids_are_safe_paths(
        path in text_of(ID_PIECES, 12),
        ending in proptest::sample::select(&[".md", "/index.md", "", ".MD"][..]),
    ) {
        let rel = format!("{path}{ending}");
        if let Ok(id) = load::id_for(&rel) {
            prop_assert!(!id.starts_with('/'), "{rel:?} → {id:?}");
            prop_assert!(id != "index", "{rel:?}");
            for part in id.split('/') {
                prop_assert!(segment_is_safe(part), "{rel:?} → {id:?}: segment {part:?}");
            }
        }
    }
}

/// A small engine over the basic fixture, shared by the query properties.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    let (_, engine) = ENGINE.get_or_init(|| {
        let dir = crate::support::fixture_copy("basic");
        let engine = Engine::open(&dir.path().join("content"), &dir.path().join("index")).unwrap();
        engine.sync(false, &|_, _| {}).unwrap();
        (dir, engine)
    });
    engine
}

const QUERY_PIECES: &[&str] = &[
    "盾构",
    "管片错台",
    "挂篮",
    "一次合格率",
    "tunnel",
    "Shield",
    " ",
    " ",
    "\u{3000}",
    "\"",
    "“",
    "”",
    "＂",
    "(",
    ")",
    "（",
    "）",
    "((",
    "-",
    "--",
    "NOT ",
    "OR ",
    "AND ",
    "or",
    "|",
    "&&",
    "*",
    "?",
    "~",
    "^2",
    "+",
    "kind:",
    "kind:method",
    "tag:盾构",
    "year:",
    "year:2023",
    "year:abc",
    "studio:tunnel-zhang",
    "foo:bar",
    ":",
    "：",
    "CN202110345678.9",
    "E21D 11/08",
    "GJEJGF008-2010",
    "😀",
    "👨‍👩‍👧",
    "\u{0}",
    "\u{200b}",
    "\u{202e}",
    "\\",
    "'",
    "臺灣",
    "ＡＢＣ",
    "%",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_query_is_parsed_and_searched(q in text_of(QUERY_PIECES, 40)) {
        let parsed = query::parse(&q);
        prop_assert!(parsed.required.len() <= query::MAX_WORDS, "{q:?}: {parsed:?}");
        prop_assert!(parsed.required.iter().all(|group| !group.is_empty()), "{q:?}: {parsed:?}");
        let engine = engine();
        let started = Instant::now();
        for viewer in [Viewer::anonymous(), Viewer::staff("staff1")] {
            let request = SearchRequest { q: q.clone(), ..SearchRequest::default() };
            let results = engine.search(&request, &viewer);
            prop_assert!(results.is_ok(), "{q:?}: {:?}", results.err());
            prop_assert!(engine.suggest(&q, &viewer, 8).is_ok(), "{q:?}");
            prop_assert!(engine.like_text(&q, None, &viewer, 5).is_ok(), "{q:?}");
        }
        prop_assert!(started.elapsed() < Duration::from_secs(5), "{q:?} took {:?}", started.elapsed());
    }
}

const MARKDOWN_PIECES: &[&str] = &[
    "<script>alert(1)</script>",
    "<ScRiPt src=//x>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "<iframe src=x></iframe>",
    "<div onclick=\"x\">",
    "<p style=\"x\" onmouseover='y'>",
    "onclick=",
    " onerror = ",
    "<",
    ">",
    "\"",
    "'",
    "=",
    "> ",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "# ",
    "###### ",
    "```",
    "~~~",
    "`",
    "|",
    "| --- |",
    "---",
    "***",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "**",
    "_",
    "~~",
    "[^1]",
    "[^1]: ",
    "- [ ] ",
    "- [x] ",
    "![x](",
    "[x](",
    ")",
    "]",
    "{#id}",
    "{#x onclick=y}",
    "&lt;",
    "&#60;script&#62;",
    "<!--",
    "-->",
    "<style>",
    "<![CDATA[",
    "\\",
    "x",
    "管片",
    "<br>",
    "<details open ontoggle=alert(1)>",
    "<math>",
    "<form action=x>",
    "<input autofocus onfocus=x>",
];

/// The attribute names of every tag in sanitised HTML (text never holds a
/// raw `<`: the sanitiser escapes it).
fn tags_and_attributes(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let chars: Vec<char> = rest.chars().collect();
        let mut i = 0;
        let mut name = String::new();
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '>' {
            name.push(chars[i]);
            i += 1;
        }
        let mut attributes = Vec::new();
        loop {
            while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
                i += 1;
            }
            if i >= chars.len() || chars[i] == '>' {
                break;
            }
            let mut attr = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' && chars[i] != '>' {
                attr.push(chars[i]);
                i += 1;
            }
            let mut value = String::new();
            if i < chars.len() && chars[i] == '=' {
                i += 1;
                if i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                    let quote = chars[i];
                    i += 1;
                    while i < chars.len() && chars[i] != quote {
                        value.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '>' {
                        value.push(chars[i]);
                        i += 1;
                    }
                }
            }
            attributes.push((attr.to_lowercase(), value));
        }
        out.push((name.to_lowercase(), attributes));
        let consumed: usize = chars[..i.min(chars.len())].iter().map(|c| c.len_utf8()).sum();
        rest = &rest[consumed..];
    }
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rendered_markdown_is_sanitised(markdown in text_of(MARKDOWN_PIECES, 60)) {
        let started = Instant::now();
        let html = render::to_html(&markdown, "/records/x/");
        // Generous: another change bounds pathological nesting tightly.
        prop_assert!(started.elapsed() < Duration::from_secs(5), "{markdown:?} took {:?}", started.elapsed());
        for (tag, attributes) in tags_and_attributes(&html) {
            for forbidden in ["script", "iframe", "style", "svg", "math", "form", "object", "embed", "base", "meta", "link"] {
                prop_assert!(tag != forbidden, "<{tag}> in {html:?} from {markdown:?}");
            }
            for (name, value) in attributes {
                prop_assert!(!name.starts_with("on"), "{name}= in {html:?} from {markdown:?}");
                prop_assert!(name != "style", "style= in {html:?} from {markdown:?}");
                let value = value.to_lowercase();
                let value = value.trim_start();
                if matches!(name.as_str(), "href" | "src") {
                    prop_assert!(
                        !value.starts_with("javascript:") && !value.starts_with("data:text"),
                        "{name}={value:?} in {html:?} from {markdown:?}"
                    );
                }
            }
        }
        prop_assert!(!html.to_lowercase().contains("<script"), "{html:?}");
        // The plain text that is indexed comes from the same parser.
        let _ = render::to_plain_text(&markdown);
    }
}

const FRONT_MATTER_PIECES: &[&str] = &[
    "---",
    "---\n",
    "--- \n",
    "---\t\n",
    "---\r\n",
    "\u{feff}",
    "\u{feff}---\n",
    "title: 管片\n",
    "kind: method\n",
    "review: pending\n",
    "review: null\n",
    "title: \"---\"\n",
    "title: '---\n",
    "x: |\n  ---\n",
    ": \n",
    "- a\n",
    "\n",
    "\r\n",
    "a: [\n",
    "a: {b: [c, {d: e}]}\n",
    "&anchor ",
    "*anchor",
    "<<: *a\n",
    "!!binary ",
    "!tag ",
    "{",
    "}",
    "[",
    "]",
    "# comment\n",
    "? ",
    "|\n",
    ">\n",
    "  ",
    "\t",
    "\"",
    "'",
    "x",
    "title: title\ntitle: again\n",
    "...\n",
    "%YAML 1.2\n",
    "\u{0}",
    "😀",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn front_matter_splits_or_refuses(text in text_of(FRONT_MATTER_PIECES, 30)) {
        let started = Instant::now();
        if let Ok((front, body)) = front_matter::split(&text) {
            // The body is the end of the file, after the closing line.
            prop_assert!(text.ends_with(body), "{text:?} → {body:?}");
            prop_assert!(front.body_line >= 3, "{text:?}: body at line {}", front.body_line);
            for (key, _, line) in &front.fields {
                prop_assert!(*line >= 1 && *line < front.body_line, "{text:?}: {key} at line {line}");
            }
        }
        prop_assert!(started.elapsed() < Duration::from_secs(2), "{text:?} took {:?}", started.elapsed());
    }

    /// parse → write → parse keeps the document: rewriting a file's front
    /// matter (as review does) keeps every other field's value and the
    /// body, whatever the values, the fences and the key forms.
    #[test]
    fn front_matter_survives_a_rewrite(
        values in proptest::collection::vec(any::<String>(), 1..5),
        opener in proptest::sample::select(&["---\n", "\u{feff}---\n", "--- \n", "---\t\r\n"][..]),
        review in proptest::sample::select(&["", "review: null\n", "\"review\": returned\n", "review_comment: |\n  a\n  b\n"][..]),
        body in text_of(FRONT_MATTER_PIECES, 10),
    ) {
        let mut yaml = String::new();
        for (i, value) in values.iter().enumerate() {
            // serde's quoting makes any string a valid value.
            yaml.push_str(&format!("f{i}: {}\n", serde_json::to_string(value).unwrap()));
        }
        let text = format!("{opener}{yaml}{review}---\n{body}");
        let Ok((before, body_before)) = front_matter::split(&text) else {
            return Ok(());
        };
        let state = serde_yaml_ng::Value::String("pending".into());
        let written = front_matter::with_fields(&text, &["review", "review_comment"], &[("review", state.clone())]);
        prop_assert!(written.is_ok(), "{text:?}: {written:?}");
        let written = written.unwrap();
        let (after, body_after) = front_matter::split(&written).unwrap();
        prop_assert_eq!(body_after, body_before);
        let kept: Vec<_> = before.fields.iter().filter(|(k, _, _)| !k.starts_with("review")).map(|(k, v, _)| (k, v)).collect();
        let now: Vec<_> = after.fields.iter().filter(|(k, _, _)| k != "review").map(|(k, v, _)| (k, v)).collect();
        prop_assert_eq!(kept, now, "{:?} -> {:?}", text, written);
        prop_assert_eq!(after.get("review").map(|(v, _)| v.clone()), Some(state));
    }
}

#[test]
fn the_attribute_reader_sees_what_a_browser_would() {
    let tags = tags_and_attributes("<p>a</p><img src=\"x\" onerror='y' alt=z><a\nhref=j:x>t</a>");
    let names: Vec<&str> = tags.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, ["p", "/p", "img", "a", "/a"]);
    let img: Vec<&str> = tags[2].1.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(img, ["src", "onerror", "alt"]);
    assert_eq!(tags[3].1, [("href".to_string(), "j:x".to_string())]);
}
