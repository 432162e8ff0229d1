//! Markdown to safe HTML, and Markdown to the plain text that is indexed.
//!
//! Every piece of HTML that comes from content goes through `to_html`, which
//! sanitises with ammonia after rendering: no script, event handler,
//! `javascript:` URL or iframe survives, whatever the author wrote.
//!
//! Rendering time is bounded, whatever the input: the parser's cost grows
//! with the square of container nesting (`> - ` repeated 30,000 times took
//! 43 s) and the sanitiser's with the square of raw HTML nesting, so
//! `bound_nesting` escapes container markers past the limits before
//! parsing, raw HTML nested too deep is shown as text, and past a budget of
//! markup the rest of the body is shown as its source text. `limit_problems`
//! reports where a body would not be rendered faithfully, for validation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Containers (block quotes, list items, footnote definitions) one line may
/// open or continue; enough for any real document, and what keeps the
/// parser's per-line work small.
pub const MAX_LINE_CONTAINERS: usize = 16;
/// A container marker further right than this column is shown as text, so
/// that nesting built up by indentation stays bounded too.
pub const MAX_MARKER_COLUMN: usize = 64;
/// Raw HTML elements open at once; deeper HTML is shown as text.
pub const MAX_HTML_DEPTH: usize = 32;
/// Markup rendered as HTML (elements, links, escaped characters); past it
/// the rest of the body is shown as source text.
pub const MARKUP_BUDGET: usize = 100_000;

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// A parser over `markdown` with its nesting already bounded.
fn parse(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, options())
}

/// A rendered body: sanitised HTML, its `(depth, text, anchor)` headings,
/// and whether a limit changed how it is shown.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<(u8, String, String)>,
    pub limited: bool,
}

/// Renders `markdown` to sanitised HTML. Relative links and images resolve
/// against `base` (the URL folder of the record's files, ending in `/`).
pub fn to_html(markdown: &str, base: &str) -> String {
    render(markdown, base).html
}

/// Renders a body once: HTML and table of contents from one parse.
pub fn render(markdown: &str, base: &str) -> Rendered {
    let (bounded, escaped) = bound_nesting(markdown);
    let budgeted = budgeted_events(&bounded);
    let mut events = budgeted.events;
    let toc = add_heading_anchors(&mut events);
    let events = footnotes_at_end(events);
    let mut raw = String::with_capacity(bounded.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    let mut html = sanitize(&raw, base);
    if let Some(cut) = budgeted.cut {
        html.push_str("<p class=\"render-limit\">正文标记过多，以下部分按原文显示。</p><pre class=\"render-rest\">");
        escape_into(&mut html, &bounded[cut..]);
        html.push_str("</pre>");
    }
    Rendered {
        html,
        toc,
        limited: !escaped.is_empty() || budgeted.cut.is_some() || budgeted.html_escaped.is_some(),
    }
}

/// Renders through a small shared cache: a large body is rendered once,
/// not on every view. Small bodies render faster than they hash.
pub fn render_cached(markdown: &str, base: &str) -> Arc<Rendered> {
    const CACHED_FROM: usize = 8 * 1024;
    if markdown.len() < CACHED_FROM {
        return Arc::new(render(markdown, base));
    }
    let key = {
        let mut hasher = blake3::Hasher::new();
        hasher.update(base.as_bytes());
        hasher.update(&[0]);
        hasher.update(markdown.as_bytes());
        *hasher.finalize().as_bytes()
    };
    if let Some(hit) = CACHE.lock().ok().and_then(|mut c| c.get(&key)) {
        return hit;
    }
    let rendered = Arc::new(render(markdown, base));
    if let Ok(mut cache) = CACHE.lock() {
        cache.put(key, rendered.clone());
    }
    rendered
}

static CACHE: Mutex<RenderCache> = Mutex::new(RenderCache {
    entries: None,
    bytes: 0,
    tick: 0,
});

/// A rendered body and when it was last used.
type CacheEntry = (Arc<Rendered>, u64);

/// Rendered bodies by hash of base and source, least recently used first out
/// once they hold more than `MAX_BYTES` of HTML.
struct RenderCache {
    entries: Option<HashMap<[u8; 32], CacheEntry>>,
    bytes: usize,
    tick: u64,
}

impl RenderCache {
    const MAX_BYTES: usize = 64 * 1024 * 1024;

    fn get(&mut self, key: &[u8; 32]) -> Option<Arc<Rendered>> {
        self.tick += 1;
        let tick = self.tick;
        let (hit, used) = self.entries.as_mut()?.get_mut(key)?;
        *used = tick;
        Some(hit.clone())
    }

    fn put(&mut self, key: [u8; 32], rendered: Arc<Rendered>) {
        self.tick += 1;
        let tick = self.tick;
        let entries = self.entries.get_or_insert_with(HashMap::new);
        self.bytes += rendered.html.len();
        if let Some((old, _)) = entries.insert(key, (rendered, tick)) {
            self.bytes -= old.html.len();
        }
        while self.bytes > Self::MAX_BYTES && entries.len() > 1 {
            let Some(oldest) = entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k) else {
                break;
            };
            if let Some((old, _)) = entries.remove(&oldest) {
                self.bytes -= old.html.len();
            }
        }
    }
}

/// HTML-escapes `text` onto `out`, for text and attribute values alike.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// The 1-based lines of `markdown` whose container markers past the limits
/// are escaped, and the text with those markers escaped (shown as text).
pub fn bound_nesting(markdown: &str) -> (Cow<'_, str>, Vec<usize>) {
    let mut out: Option<String> = None;
    let mut lines = Vec::new();
    let mut done = 0;
    let mut line_start = 0;
    for (number, line) in markdown.split_inclusive('\n').enumerate() {
        if let Some(at) = excess_marker(line.as_bytes()) {
            let out = out.get_or_insert_with(|| String::with_capacity(markdown.len() + 64));
            out.push_str(&markdown[done..line_start + at]);
            out.push('\\');
            done = line_start + at;
            lines.push(number + 1);
        }
        line_start += line.len();
    }
    match out {
        Some(mut out) => {
            out.push_str(&markdown[done..]);
            (Cow::Owned(out), lines)
        }
        None => (Cow::Borrowed(markdown), lines),
    }
}

/// Where in `line` a backslash turns the first container marker past the
/// limits into text, if the line has one.
fn excess_marker(line: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut column = 0;
    let mut markers = 0;
    loop {
        while let Some(&b) = line.get(i) {
            match b {
                b' ' => column += 1,
                b'\t' => column += 4 - column % 4,
                _ => break,
            }
            i += 1;
        }
        let (len, escape_at) = container_marker(&line[i..])?;
        if markers >= MAX_LINE_CONTAINERS || column > MAX_MARKER_COLUMN {
            // A thematic break (`- - -`) opens nothing: leave it whole.
            if is_thematic_break(&line[i..]) {
                return None;
            }
            return Some(i + escape_at);
        }
        markers += 1;
        i += len;
        column += len;
    }
}

/// The length of the container marker at the start of `rest`, and the
/// offset of the character a backslash escapes.
fn container_marker(rest: &[u8]) -> Option<(usize, usize)> {
    let spaced = |at: usize| matches!(rest.get(at), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
    match *rest.first()? {
        b'>' => Some((1, 0)),
        b'-' | b'+' | b'*' if spaced(1) => Some((1, 0)),
        b'0'..=b'9' => {
            let digits = rest.iter().take(10).take_while(|b| b.is_ascii_digit()).count();
            (digits <= 9 && matches!(rest.get(digits), Some(b'.' | b')')) && spaced(digits + 1))
                .then_some((digits + 1, digits))
        }
        b'[' if rest.get(1) == Some(&b'^') => {
            let close = rest.iter().take(1000).position(|&b| b == b']')?;
            (rest.get(close + 1) == Some(&b':')).then_some((close + 2, 0))
        }
        _ => None,
    }
}

fn is_thematic_break(rest: &[u8]) -> bool {
    let Some(&mark) = rest.first() else { return false };
    let mut count = 0;
    for &b in rest {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b if b == mark => count += 1,
            _ => return false,
        }
    }
    matches!(mark, b'-' | b'*' | b'_') && count >= 3
}

/// Events within the markup budget, with the byte where the rest (shown
/// as text) starts if the budget ran out.
struct Budgeted<'a> {
    events: Vec<Event<'a>>,
    cut: Option<usize>,
    /// Where the first piece of raw HTML shown as text starts.
    html_escaped: Option<usize>,
}

fn budgeted_events(markdown: &str) -> Budgeted<'_> {
    let mut events = Vec::new();
    let mut open: Vec<TagEnd> = Vec::new();
    let mut html = HtmlDepth::default();
    let mut html_escaped = None;
    let mut spent = 0usize;
    let mut furthest = 0usize;
    let mut cut = None;
    for (event, range) in parse(markdown).into_offset_iter() {
        let mut event = event;
        let cost = match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => 8,
            Event::FootnoteReference(_) => 8,
            Event::Start(_) | Event::End(_) | Event::Rule | Event::TaskListMarker(_) => 2,
            Event::SoftBreak | Event::HardBreak => 1,
            Event::Text(t) | Event::Code(t) => 1 + entities(t),
            Event::Html(t) | Event::InlineHtml(t) => {
                if html.admit(t) {
                    1 + 2 * t.bytes().filter(|&b| b == b'<').count() + entities(t)
                } else {
                    html_escaped = html_escaped.or(Some(range.start));
                    let text = t.clone();
                    let cost = 1 + 2 * entities(&text);
                    event = Event::Text(text);
                    cost
                }
            }
            _ => 2,
        };
        spent += cost;
        if spent > MARKUP_BUDGET {
            cut = Some(furthest.max(range.start).min(markdown.len()));
            break;
        }
        furthest = furthest.max(range.start);
        match &event {
            Event::Start(tag) => open.push(tag.to_end()),
            Event::End(_) => {
                open.pop();
            }
            _ => {}
        }
        events.push(event);
    }
    if cut.is_some() {
        while let Some(end) = open.pop() {
            events.push(Event::End(end));
        }
    }
    Budgeted {
        events,
        cut,
        html_escaped,
    }
}

/// Moves footnote definitions to a numbered list at the end of the body,
/// numbered in the order they are first referred to, each with links back
/// to where it is referred to; a reference becomes a superscript number
/// linking to its note. (pulldown-cmark writes each definition where it
/// stands, labelled by its name, with no way back.) Ids are by number, so
/// a note's name never reaches the page's ids. A definition referred to
/// nowhere is listed after the others.
fn footnotes_at_end(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    if !events.iter().any(|e| {
        matches!(
            e,
            Event::FootnoteReference(_) | Event::Start(Tag::FootnoteDefinition(_))
        )
    }) {
        return events;
    }
    let mut body = Vec::with_capacity(events.len());
    let mut definitions: HashMap<String, Vec<Event>> = HashMap::new();
    let mut defined_order: Vec<String> = Vec::new();
    // Names in the order first referred to, with how often each is.
    let mut numbers: Vec<(String, usize)> = Vec::new();
    let mut inside: Option<(String, usize, Vec<Event>)> = None;
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(name)) => match &mut inside {
                Some((_, depth, collected)) => {
                    *depth += 1;
                    collected.push(Event::Start(Tag::FootnoteDefinition(name)));
                }
                None => inside = Some((name.to_string(), 0, Vec::new())),
            },
            Event::End(TagEnd::FootnoteDefinition) => match inside.take() {
                Some((name, 0, collected)) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = definitions.entry(name.clone()) {
                        slot.insert(collected);
                        defined_order.push(name);
                    }
                }
                Some((name, depth, mut collected)) => {
                    collected.push(Event::End(TagEnd::FootnoteDefinition));
                    inside = Some((name, depth - 1, collected));
                }
                None => {}
            },
            Event::FootnoteReference(name) => {
                let (n, seen) = match numbers.iter().position(|(known, _)| known.as_str() == &*name) {
                    Some(i) => {
                        numbers[i].1 += 1;
                        (i + 1, numbers[i].1)
                    }
                    None => {
                        numbers.push((name.to_string(), 1));
                        (numbers.len(), 1)
                    }
                };
                let id = if seen == 1 {
                    format!("fnref-{n}")
                } else {
                    format!("fnref-{n}-{seen}")
                };
                let html = format!("<sup class=\"footnote-ref\"><a href=\"#fn-{n}\" id=\"{id}\">{n}</a></sup>");
                let event = Event::InlineHtml(CowStr::from(html));
                match &mut inside {
                    Some((_, _, collected)) => collected.push(event),
                    None => body.push(event),
                }
            }
            other => match &mut inside {
                Some((_, _, collected)) => collected.push(other),
                None => body.push(other),
            },
        }
    }
    for name in defined_order {
        if !numbers.iter().any(|(known, _)| *known == name) {
            numbers.push((name, 0));
        }
    }
    let listed: Vec<(usize, &String, usize)> = numbers
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| definitions.contains_key(name))
        .map(|(i, (name, refs))| (i + 1, name, *refs))
        .collect();
    if listed.is_empty() {
        return body;
    }
    body.push(Event::Html(CowStr::from("<div class=\"footnotes\"><ol>")));
    for (n, name, refs) in listed {
        // `<ol>` numbers by position; `value` keeps the reference's number.
        body.push(Event::Html(CowStr::from(format!("<li id=\"fn-{n}\" value=\"{n}\">"))));
        let mut note = definitions.remove(name).unwrap_or_default();
        let backs: String = (1..=refs)
            .map(|k| {
                let target = if k == 1 {
                    format!("fnref-{n}")
                } else {
                    format!("fnref-{n}-{k}")
                };
                let mark = if refs == 1 {
                    "↩".to_string()
                } else {
                    format!("↩{k}")
                };
                format!(" <a href=\"#{target}\" class=\"footnote-back\" title=\"返回正文\">{mark}</a>")
            })
            .collect();
        let back = Event::InlineHtml(CowStr::from(backs));
        // Inside the note's last paragraph, so the arrow follows its text.
        if matches!(note.last(), Some(Event::End(TagEnd::Paragraph))) {
            let at = note.len() - 1;
            note.insert(at, back);
        } else {
            note.push(back);
        }
        body.extend(note);
        body.push(Event::Html(CowStr::from("</li>")));
    }
    body.push(Event::Html(CowStr::from("</ol></div>")));
    body
}

/// Characters the HTML writer turns into entities, each a cost to parse again.
fn entities(text: &str) -> usize {
    text.bytes().filter(|b| matches!(b, b'&' | b'<' | b'>' | b'"')).count()
}

/// The raw HTML elements open so far, to keep their nesting bounded: the
/// sanitiser's HTML parser does work proportional to the open elements for
/// each tag it reads.
#[derive(Default)]
struct HtmlDepth {
    /// Element names, lowercased and cut to 12 bytes: enough to match a
    /// closing tag, and cheap to copy for each piece of HTML.
    open: Vec<[u8; 12]>,
}

impl HtmlDepth {
    const VOID: [&'static str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    ];

    /// Applies the tags of `html`; false (and nothing applied) if they would
    /// nest deeper than the limit, so the piece is shown as text instead.
    fn admit(&mut self, html: &str) -> bool {
        let before = self.open.clone();
        let bytes = html.as_bytes();
        let mut i = 0;
        while let Some(at) = bytes[i..].iter().position(|&b| b == b'<') {
            i += at + 1;
            if bytes[i..].starts_with(b"!--") {
                match html[i..].find("-->") {
                    Some(end) => i += end + 3,
                    None => break,
                }
                continue;
            }
            let closing = bytes.get(i) == Some(&b'/');
            let name_start = i + usize::from(closing);
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                .count();
            if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
                continue;
            }
            let raw = &bytes[name_start..name_start + name_len];
            i = name_start + name_len;
            let mut name = [0u8; 12];
            for (slot, b) in name.iter_mut().zip(raw) {
                *slot = b.to_ascii_lowercase();
            }
            if closing {
                if let Some(pos) = self.open.iter().rposition(|n| *n == name) {
                    self.open.truncate(pos);
                }
            } else if !Self::VOID.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(raw)) {
                self.open.push(name);
                if self.open.len() > MAX_HTML_DEPTH {
                    self.open = before;
                    return false;
                }
            }
        }
        true
    }
}

/// Gives every heading without an explicit id its anchor, and returns the
/// headings as `(depth, text, anchor)`.
fn add_heading_anchors(events: &mut [Event]) -> Vec<(u8, String, String)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut toc = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id, level, .. }) = &events[i] {
            let depth = match level {
                HeadingLevel::H1 => 1,
                HeadingLevel::H2 => 2,
                HeadingLevel::H3 => 3,
                _ => 4,
            };
            let explicit = id.as_ref().map(|id| id.to_string());
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let anchor = match explicit {
                Some(id) => id,
                None => {
                    let mut slug = slugify(&text);
                    let n = seen.entry(slug.clone()).or_insert(0);
                    *n += 1;
                    if *n > 1 {
                        slug = format!("{slug}-{}", *n - 1);
                    }
                    if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                        *id = Some(CowStr::from(slug.clone()));
                    }
                    slug
                }
            };
            toc.push((depth, text, anchor));
            i = j;
        }
        i += 1;
    }
    toc
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
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("li", ["value"])
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
    let (bounded, _) = bound_nesting(markdown);
    let mut out = String::with_capacity(markdown.len());
    for event in parse(&bounded) {
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
    let (bounded, _) = bound_nesting(markdown);
    for event in parse(&bounded) {
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

/// The headings of a body, `(depth, text, anchor)`, for a table of contents;
/// the anchors are those `to_html` gives.
pub fn headings(markdown: &str) -> Vec<(u8, String, String)> {
    let (bounded, _) = bound_nesting(markdown);
    let mut events = budgeted_events(&bounded).events;
    add_heading_anchors(&mut events)
}

/// Where `markdown` would not be shown as written because it is past the
/// rendering limits: `(line, message)`, lines counted from 1.
pub fn limit_problems(markdown: &str) -> Vec<(usize, String)> {
    let (bounded, lines) = bound_nesting(markdown);
    let mut problems: Vec<(usize, String)> = lines
        .iter()
        .take(3)
        .map(|&line| {
            (
                line,
                format!(
                    "嵌套过深：一行最多 {MAX_LINE_CONTAINERS} 层引用或列表，列表标记不能在第 {MAX_MARKER_COLUMN} 列之后；超出的部分将按文字显示"
                ),
            )
        })
        .collect();
    // Budget and HTML depth need a parse, which indexing would pay for
    // every record: a body of a few KB spends a few units per byte at most,
    // far from the budget, so only HTML can take it past a limit.
    let line_of = |offset: usize| bounded[..offset].matches('\n').count() + 1;
    if bounded.len() > 4096 || bounded.contains('<') {
        let budgeted = budgeted_events(&bounded);
        if let Some(at) = budgeted.html_escaped {
            problems.push((
                line_of(at),
                format!("HTML 标签嵌套超过 {MAX_HTML_DEPTH} 层，超出的部分将按文字显示"),
            ));
        }
        if let Some(cut) = budgeted.cut {
            problems.push((
                line_of(cut),
                "正文的标记（元素、链接、转义字符）过多，从这一行起将按原文显示；请拆分为多条记录或精简格式".into(),
            ));
        }
    }
    problems
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
        assert!(
            html.contains("<div class=\"footnotes\"><ol><li id=\"fn-1\" value=\"1\">"),
            "{html}"
        );
        assert!(
            html.contains("<p>注释 <a href=\"#fnref-1\" class=\"footnote-back\""),
            "{html}"
        );
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("text-align"), "{html}");
    }

    #[test]
    fn footnotes_are_a_numbered_list_with_links_back() {
        // Numbered by first reference, whatever their names or where defined.
        let md = "甲[^z] 乙[^a] 再引甲[^z]\n\n[^a]: 注乙\n[^z]: 注甲\n\n[^unused]: 未引用\n\n后文\n";
        let html = to_html(md, "/records/x/");
        let refs: Vec<&str> = html
            .match_indices("class=\"footnote-ref\"")
            .map(|(i, _)| &html[i..i + 80])
            .collect();
        assert_eq!(refs.len(), 3, "{html}");
        assert!(
            html.contains("<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\""),
            "{html}"
        );
        assert!(
            html.contains("id=\"fnref-1-2\""),
            "second reference to the same note: {html}"
        );
        assert!(html.contains("id=\"fnref-2\""), "{html}");
        let list = &html[html.find("<div class=\"footnotes\">").expect("a list at the end")..];
        assert!(
            html.find("后文").unwrap() < html.find("<div class=\"footnotes\">").unwrap(),
            "after the body"
        );
        let first = list.find("注甲").unwrap();
        let second = list.find("注乙").unwrap();
        let unused = list.find("未引用").unwrap();
        assert!(first < second && second < unused, "{list}");
        assert!(list.contains("id=\"fn-1\""), "{list}");
        assert!(
            list.contains("href=\"#fnref-1-2\""),
            "a way back to each reference: {list}"
        );
        assert!(list.contains("id=\"fn-3\" value=\"3\""), "{list}");
        // No definitions: nothing added; a reference without a note stays text.
        assert!(!to_html("正文[^x]\n", "/").contains("footnotes"));
        // A name cannot inject markup or ids.
        let evil = to_html("a[^\"><script>x</script>]\n\n[^\"><script>x</script>]: n\n", "/");
        assert!(!evil.contains("<script"), "{evil}");
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
    #[test]
    fn container_markers_past_the_limits_become_text() {
        let chain = "> - ".repeat(1000);
        let (bounded, lines) = bound_nesting(&chain);
        assert_eq!(lines, vec![1]);
        // The 17th marker is escaped; the rest of the line is paragraph text.
        assert_eq!(bounded.matches('\\').count(), 1);
        let html = to_html(&chain, "/");
        assert_eq!(html.matches("<blockquote>").count(), 8, "{}", &html[..400]);
        assert!(html.contains("&gt; - &gt; -"));
        for deep in [
            "> ".repeat(40) + "x",
            "- ".repeat(40) + "x",
            "1. ".repeat(40) + "x",
            "2) ".repeat(40) + "x",
            "[^a]: ".repeat(40) + "x",
            " ".repeat(70) + "- x",
            "\t".repeat(17) + "> x",
        ] {
            let (_, lines) = bound_nesting(&deep);
            assert_eq!(lines, vec![1], "{deep}");
            assert!(to_plain_text(&deep).contains('x'), "{deep}");
        }
        for fine in [
            "> ".repeat(16) + "x",
            "- - - - - - - - - - - - - - - - - - - -".to_string(),
            "* * * * * * * * * * * * * * * * * * * *".to_string(),
            "> > - 1. [^a]: x\n".to_string(),
            "a - b - c - d".to_string(),
            " ".repeat(60) + "- x",
        ] {
            assert_eq!(bound_nesting(&fine), (Cow::Borrowed(fine.as_str()), vec![]), "{fine}");
        }
        // A thematic break past the limit stays a thematic break.
        let rule = "> ".repeat(16) + "- - - - - - - - - - - - - - - - - - - -";
        assert_eq!(bound_nesting(&rule).1, Vec::<usize>::new());
        assert!(to_html(&rule, "/").contains("<hr"), "{}", to_html(&rule, "/"));
    }

    #[test]
    fn raw_html_nested_too_deep_is_shown_as_text() {
        let deep = "<div>".repeat(100) + "块";
        let html = to_html(&deep, "/");
        assert!(html.contains("&lt;div&gt;"), "{html}");
        assert!(html.matches("<div>").count() <= MAX_HTML_DEPTH, "{html}");
        // Closing tags of elements never opened do not make room.
        let sneaky = "<div></span>".repeat(100);
        assert!(to_html(&sneaky, "/").contains("&lt;div&gt;"));
        // Elements that close, void elements and comments are fine.
        let fine = "<div><b>x</b><br><img src=a.png></div><!-- <div><div> -->".repeat(100);
        assert!(!to_html(&fine, "/").contains("&lt;div"), "{}", to_html(&fine, "/"));
        assert!(limit_problems(&fine).is_empty());
        assert_eq!(limit_problems(&deep).len(), 1);
    }

    #[test]
    fn markup_past_the_budget_is_shown_as_source() {
        let many = "[^a]: 注\n\n".to_string() + &"[^a]".repeat(60_000);
        let rendered = render(&many, "/");
        assert!(rendered.limited);
        assert!(rendered.html.contains("render-limit"));
        assert!(rendered.html.contains("<pre class=\"render-rest\">[^a][^a]"));
        let problems = limit_problems(&many);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 3);
        // The rest is escaped: no markup from it reaches the page.
        let attack = "*a* ".repeat(60_000) + "\n\n<script>alert(1)</script><img src=x onerror=alert(1)>";
        let html = to_html(&attack, "/");
        assert!(html.contains("render-rest"));
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{}",
            &html[html.len() - 200..]
        );
        // Plenty of plain text is not markup.
        let prose = "管片错台修复经验。".repeat(40_000);
        assert!(!render(&prose, "/").limited);
        assert!(limit_problems(&prose).is_empty());
    }

    #[test]
    fn pathological_bodies_render_in_bounded_time() {
        let shapes = [
            "> - ".repeat(30_000),
            ">".repeat(120_000),
            "1. ".repeat(40_000),
            "- ".repeat(60_000) + "x",
            "- ".repeat(15_000) + "x\n" + &"y\n".repeat(40_000),
            "<div>".repeat(24_000),
            "[^a]: ".repeat(20_000),
            "&amp;".repeat(24_000),
        ];
        for shape in shapes {
            let started = std::time::Instant::now();
            let rendered = render(&shape, "/");
            let took = started.elapsed();
            assert!(took < std::time::Duration::from_secs(3), "{took:?}: {}", &shape[..20]);
            assert!(!rendered.html.is_empty());
        }
    }

    #[test]
    fn the_cache_renders_a_large_body_once() {
        let body = "## 章节\n\n".to_string() + &"正文 **重点** ".repeat(2000);
        let a = render_cached(&body, "/records/a/");
        let b = render_cached(&body, "/records/a/");
        assert!(Arc::ptr_eq(&a, &b));
        let other = render_cached(&body, "/records/b/");
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(a.toc, vec![(2, "章节".to_string(), "章节".to_string())]);
    }

    #[test]
    fn explicit_heading_ids_are_the_anchors() {
        let toc = headings("## 概述 {#intro}\n\n## 概述\n");
        assert_eq!(toc[0].2, "intro");
        assert_eq!(toc[1].2, "概述");
    }
}
