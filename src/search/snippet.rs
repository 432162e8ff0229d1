//! Finding query words in a stored text: the best passage for the snippet,
//! with whole-word `<mark>`s, and the proximity measure ranking uses.
//!
//! Words are looked for in the normalised text, which has the same
//! characters as the original one for one, so the marks land on the
//! original words. It works in byte offsets and counts characters only
//! around the passage it shows: every hit of a results page runs through
//! here, over bodies of several kilobytes.

use aho_corasick::AhoCorasick;

use super::analysis::{normalize_mapped, original_offset};

/// What to look for: a normalised surface (Chinese word, code, phrase) or a
/// stemmed Latin word matched against each Latin word of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    Text(String),
    Latin(String),
}

/// One occurrence and which needle it is. `Finder` gives byte offsets into
/// the text it searched; the engine's index occurrences are unit positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub needle: usize,
}

/// The needles of one query, ready to be looked for in many texts: the
/// surfaces are searched in one pass together.
pub struct Finder<'n> {
    needles: &'n [Needle],
    surfaces: Option<AhoCorasick>,
    /// The needle each pattern of `surfaces` is.
    pattern_needle: Vec<usize>,
}

impl<'n> Finder<'n> {
    pub fn new(needles: &'n [Needle]) -> Self {
        let (pattern_needle, patterns): (Vec<usize>, Vec<&str>) = needles
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                Needle::Text(t) if !t.is_empty() => Some((i, t.as_str())),
                _ => None,
            })
            .unzip();
        // Building fails only past size limits a query's few words cannot
        // reach; the marks are then left out rather than the results. The
        // DFA it builds for a few words costs microseconds and searches a
        // page of bodies at a third of the cost of an NFA (measured).
        let surfaces = (!patterns.is_empty())
            .then(|| AhoCorasick::new(&patterns).ok())
            .flatten();
        Finder {
            needles,
            surfaces,
            pattern_needle,
        }
    }

    /// Every occurrence of the needles in `text`, longest first where they
    /// overlap (在建工程 is marked whole rather than 工程 inside it), in
    /// order and apart, as byte offsets into `text`.
    pub fn spans(&self, text: &str, stem: &dyn Fn(&str) -> String) -> Vec<Span> {
        if self.needles.is_empty() {
            return Vec::new();
        }
        let (normalized, realigned) = normalize_mapped(text);
        let mut found: Vec<Span> = Vec::new();
        if let Some(surfaces) = &self.surfaces {
            found.extend(surfaces.find_overlapping_iter(normalized.as_str()).map(|m| Span {
                start: m.start(),
                end: m.end(),
                needle: self.pattern_needle[m.pattern().as_usize()],
            }));
        }
        for (i, needle) in self.needles.iter().enumerate() {
            if let Needle::Latin(s) = needle {
                let mut start = None;
                for (byte, c) in normalized.char_indices().chain([(normalized.len(), ' ')]) {
                    if c.is_ascii_alphanumeric() {
                        start.get_or_insert(byte);
                    } else if let Some(from) = start.take()
                        && stem(&normalized[from..byte]) == *s
                    {
                        found.push(Span {
                            start: from,
                            end: byte,
                            needle: i,
                        });
                    }
                }
            }
        }
        found.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        let mut kept: Vec<Span> = Vec::with_capacity(found.len());
        for span in found {
            if kept.last().is_none_or(|last| span.start >= last.end) {
                kept.push(span);
            }
        }
        if !realigned.is_empty() {
            for span in &mut kept {
                span.start = original_offset(&realigned, span.start);
                span.end = original_offset(&realigned, span.end);
            }
        }
        kept
    }
}

/// The smallest window holding every needle that occurs, and how many
/// distinct needles occur. Used for proximity ranking.
pub fn tightest_window(spans: &[Span], needles: usize) -> Option<(usize, usize)> {
    let distinct = {
        let mut seen = vec![false; needles];
        spans.iter().for_each(|s| seen[s.needle] = true);
        seen.iter().filter(|&&b| b).count()
    };
    if distinct == 0 {
        return None;
    }
    let mut counts = vec![0usize; needles];
    let mut covered = 0;
    let mut best = usize::MAX;
    let mut left = 0;
    for right in 0..spans.len() {
        if counts[spans[right].needle] == 0 {
            covered += 1;
        }
        counts[spans[right].needle] += 1;
        while covered == distinct {
            best = best.min(spans[right].end - spans[left].start);
            counts[spans[left].needle] -= 1;
            if counts[spans[left].needle] == 0 {
                covered -= 1;
            }
            left += 1;
        }
    }
    Some((best, distinct))
}

/// The byte offset `n` characters after `from` (or the end).
fn chars_after(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

/// The passage of about `width` characters with the most distinct needles
/// (then the most occurrences), as HTML with the needles marked. `spans`
/// are `Finder::spans` of `text`.
pub fn snippet(text: &str, spans: &[Span], width: usize) -> String {
    let (from, to) = if spans.is_empty() {
        (0, chars_after(text, 0, width))
    } else {
        // Character positions of the spans, counted once from gap to gap.
        let mut counted = (0usize, 0usize);
        let mut char_at = |byte: usize| {
            counted.1 += text.get(counted.0..byte).map_or(0, |gap| gap.chars().count());
            counted.0 = byte;
            counted.1
        };
        let positions: Vec<(usize, usize)> = spans.iter().map(|s| (char_at(s.start), char_at(s.end))).collect();
        let mut best = (0usize, 0usize, 0usize);
        let mut seen: Vec<usize> = Vec::new();
        for (i, &(first, _)) in positions.iter().enumerate() {
            seen.clear();
            let mut inside = 0;
            for (span, _) in spans[i..]
                .iter()
                .zip(&positions[i..])
                .take_while(|(_, p)| p.1 <= first + width)
            {
                inside += 1;
                if !seen.contains(&span.needle) {
                    seen.push(span.needle);
                }
            }
            if (seen.len(), inside) > (best.1, best.2) {
                best = (i, seen.len(), inside);
            }
        }
        let first = spans[best.0].start;
        // Start a little before the first word, at a sentence break if near.
        let lead = (width / 5).min(positions[best.0].0);
        let mut from = match lead {
            0 => first,
            _ => text[..first].char_indices().rev().nth(lead - 1).map_or(0, |(i, _)| i),
        };
        if let Some(pos) = text[from..first].rfind(['。', '；', '\n', '！', '？']) {
            from += pos + text[from + pos..].chars().next().map_or(1, char::len_utf8);
        }
        (from, chars_after(text, from, width))
    };
    let mut html = String::with_capacity((to - from) + 64);
    if from > 0 {
        html.push('…');
    }
    // Words that touch are one mark: 在建 + 工程 reads as <mark>在建工程</mark>.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for span in spans.iter().filter(|s| s.start >= from && s.end <= to) {
        match merged.last_mut() {
            Some(last) if last.1 == span.start => last.1 = span.end,
            _ => merged.push((span.start, span.end)),
        }
    }
    let mut at = from;
    for (start, end) in merged {
        escape_into(&text[at..start], &mut html);
        html.push_str("<mark>");
        escape_into(&text[start..end], &mut html);
        html.push_str("</mark>");
        at = end;
    }
    escape_into(&text[at..to], &mut html);
    if to < text.len() {
        html.push('…');
    }
    html
}

fn escape_into(text: &str, out: &mut String) {
    let escaped = |c: char| matches!(c, '<' | '>' | '&' | '"' | '\n' | '\r' | '\t');
    let mut rest = text;
    while let Some(i) = rest.find(escaped) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or(' ');
        out.push_str(match c {
            '<' => "&lt;",
            '>' => "&gt;",
            '&' => "&amp;",
            '"' => "&quot;",
            _ => " ",
        });
        rest = &rest[i + c.len_utf8()..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_stem(s: &str) -> String {
        s.trim_end_matches('s').to_string()
    }

    fn find_spans(text: &str, needles: &[Needle]) -> Vec<Span> {
        Finder::new(needles).spans(text, &no_stem)
    }

    fn text(s: &str) -> Needle {
        Needle::Text(s.into())
    }

    #[test]
    fn marks_whole_words_preferring_the_longest() {
        let needles = vec![text("工程"), text("在建工程")];
        let body = "本项目为在建工程，工程量大。";
        let html = snippet(body, &find_spans(body, &needles), 50);
        assert_eq!(html, "本项目为<mark>在建工程</mark>，<mark>工程</mark>量大。");
    }

    #[test]
    fn traditional_text_is_marked_in_the_original_characters() {
        let spans = find_spans("橋梁支座", &[text("桥梁")]);
        assert_eq!(snippet("橋梁支座", &spans, 10), "<mark>橋梁</mark>支座");
    }

    #[test]
    fn marks_land_on_the_original_characters_after_full_width_text() {
        // Ｅ２１Ｄ is 12 bytes, e21d 4, and each full-width comma 3 bytes,
        // ',' 1: offsets must be mapped back.
        let body = "Ｅ２１Ｄ型盾构，盾构机ＡＢ盾构";
        let spans = find_spans(body, &[text("盾构"), text("e21d")]);
        assert_eq!(
            snippet(body, &spans, 40),
            "<mark>Ｅ２１Ｄ</mark>型<mark>盾构</mark>，<mark>盾构</mark>机ＡＢ<mark>盾构</mark>"
        );
    }

    #[test]
    fn latin_words_match_by_stem_and_whole_word_only() {
        let needles = vec![Needle::Latin("tunnel".into())];
        let spans = find_spans("Tunnels and tunnelx", &needles);
        assert_eq!(spans.len(), 1);
        assert_eq!(
            snippet("Tunnels and tunnelx", &spans, 40),
            "<mark>Tunnels</mark> and tunnelx"
        );
    }

    #[test]
    fn picks_the_passage_with_most_words_and_escapes() {
        let body = format!("{}盾构<b>{}盾构管片错台", "甲".repeat(200), "乙".repeat(200));
        let needles = vec![text("盾构"), text("错台")];
        let html = snippet(&body, &find_spans(&body, &needles), 40);
        assert!(html.contains("<mark>盾构</mark>管片<mark>错台</mark>"), "{html}");
        assert!(html.starts_with('…'));
        // 40 characters from 8 before the first word: 乙 ×8 + 盾构管片错台.
        assert_eq!(
            html,
            format!("…{}<mark>盾构</mark>管片<mark>错台</mark>", "乙".repeat(8))
        );
        let spans = find_spans("在建工程", &[text("在建"), text("工程")]);
        assert_eq!(snippet("在建工程", &spans, 40), "<mark>在建工程</mark>");
        let html = snippet("a<b>盾构", &find_spans("a<b>盾构", &needles), 40);
        assert_eq!(html, "a&lt;b&gt;<mark>盾构</mark>");
    }

    #[test]
    fn the_passage_starts_after_a_nearby_sentence_break_and_is_cut_by_characters() {
        let body = format!("前文。盾构掘进{}", "丙".repeat(100));
        let html = snippet(&body, &find_spans(&body, &[text("盾构")]), 10);
        assert_eq!(html, "…<mark>盾构</mark>掘进丙丙丙丙丙丙…");
        let html = snippet(&body, &[], 5);
        assert_eq!(html, "前文。盾构…");
    }

    #[test]
    fn tightest_window_measures_proximity() {
        let span = |start, end, needle| Span { start, end, needle };
        let near = [span(0, 2, 0), span(2, 4, 1)];
        let far = [span(0, 2, 0), span(50, 52, 1), span(60, 62, 0)];
        assert_eq!(tightest_window(&near, 2), Some((4, 2)));
        assert_eq!(tightest_window(&far, 2), Some((12, 2)));
        assert_eq!(tightest_window(&[], 2), None);
    }
}
