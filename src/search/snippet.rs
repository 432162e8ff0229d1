//! Finding query words in a stored text: the best passage (for the snippet
//! and for the proximity part of ranking) and whole-word `<mark>`s.
//!
//! Works on the normalised text, which has the same characters at the same
//! offsets as the original, so the marks land on the original words.

use super::analysis::normalize;

/// What to look for: a normalised surface (Chinese word, code, phrase) or a
/// stemmed Latin word matched against each Latin word of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    Text(String),
    Latin(String),
}

/// One occurrence: character range and which needle it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub needle: usize,
}

/// All occurrences of the needles in `text`, longest first where they
/// overlap, so 在建工程 is marked whole rather than 工程 inside it.
pub fn find_spans(text: &str, needles: &[Needle], stem: &dyn Fn(&str) -> String) -> Vec<Span> {
    let normalized = normalize(text);
    // Found by byte offset, then turned into character offsets in one pass.
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (i, needle) in needles.iter().enumerate() {
        match needle {
            Needle::Text(t) if !t.is_empty() => {
                found.extend(
                    normalized
                        .match_indices(t.as_str())
                        .map(|(byte, m)| (byte, byte + m.len(), i)),
                );
            }
            Needle::Latin(s) => {
                let mut start = None;
                for (byte, c) in normalized.char_indices().chain([(normalized.len(), ' ')]) {
                    if c.is_ascii_alphanumeric() {
                        start.get_or_insert(byte);
                    } else if let Some(from) = start.take()
                        && stem(&normalized[from..byte]) == *s
                    {
                        found.push((from, byte, i));
                    }
                }
            }
            Needle::Text(_) => {}
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let mut bytes: Vec<usize> = found.iter().flat_map(|&(start, end, _)| [start, end]).collect();
    bytes.sort_unstable();
    bytes.dedup();
    let mut char_of = Vec::with_capacity(bytes.len());
    let mut wanted = bytes.iter().peekable();
    for (count, (byte, _)) in normalized.char_indices().chain([(normalized.len(), ' ')]).enumerate() {
        // `bytes` holds each offset once.
        if wanted.next_if(|&&b| b == byte).is_some() {
            char_of.push((byte, count));
        }
        if wanted.peek().is_none() {
            break;
        }
    }
    let at = |byte: usize| {
        char_of
            .binary_search_by_key(&byte, |&(b, _)| b)
            .map_or(0, |i| char_of[i].1)
    };
    let mut spans: Vec<Span> = found
        .into_iter()
        .map(|(start, end, needle)| Span {
            start: at(start),
            end: at(end),
            needle,
        })
        .collect();
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if kept.last().is_none_or(|last| span.start >= last.end) {
            kept.push(span);
        }
    }
    kept
}

/// The smallest window (in characters) holding every needle that occurs,
/// and how many distinct needles occur. Used for proximity ranking.
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

/// The passage of about `width` characters with the most distinct needles
/// (then the most occurrences), as HTML with the needles marked.
pub fn snippet(text: &str, spans: &[Span], width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let (from, to) = if spans.is_empty() {
        (0, chars.len().min(width))
    } else {
        let mut best = (0usize, 0usize, 0usize);
        for (i, first) in spans.iter().enumerate() {
            let inside: Vec<&Span> = spans[i..].iter().take_while(|s| s.end <= first.start + width).collect();
            let mut distinct: Vec<usize> = inside.iter().map(|s| s.needle).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let score = (distinct.len(), inside.len());
            if (score.0, score.1) > (best.1, best.2) {
                best = (i, score.0, score.1);
            }
        }
        let first = spans[best.0].start;
        // Start a little before the first word, at a sentence break if near.
        let lead = width / 5;
        let mut from = first.saturating_sub(lead);
        if let Some(pos) = chars[from..first]
            .iter()
            .rposition(|c| matches!(c, '。' | '；' | '\n' | '！' | '？'))
        {
            from += pos + 1;
        }
        (from, (from + width).min(chars.len()))
    };
    let mut html = String::with_capacity((to - from) * 4);
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
        escape_into(&chars[at..start], &mut html);
        html.push_str("<mark>");
        escape_into(&chars[start..end], &mut html);
        html.push_str("</mark>");
        at = end;
    }
    escape_into(&chars[at..to], &mut html);
    if to < chars.len() {
        html.push('…');
    }
    html
}

fn escape_into(chars: &[char], out: &mut String) {
    for &c in chars {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_stem(s: &str) -> String {
        s.trim_end_matches('s').to_string()
    }

    #[test]
    fn marks_whole_words_preferring_the_longest() {
        let needles = vec![Needle::Text("工程".into()), Needle::Text("在建工程".into())];
        let text = "本项目为在建工程，工程量大。";
        let spans = find_spans(text, &needles, &no_stem);
        let html = snippet(text, &spans, 50);
        assert_eq!(html, "本项目为<mark>在建工程</mark>，<mark>工程</mark>量大。");
    }

    #[test]
    fn traditional_text_is_marked_in_the_original_characters() {
        let spans = find_spans("橋梁支座", &[Needle::Text("桥梁".into())], &no_stem);
        assert_eq!(snippet("橋梁支座", &spans, 10), "<mark>橋梁</mark>支座");
    }

    #[test]
    fn marks_land_on_the_original_characters_after_full_width_text() {
        // Ｅ２１Ｄ is 12 bytes, e21d 4: offsets must be counted in characters.
        let text = "Ｅ２１Ｄ型盾构，盾构机";
        let spans = find_spans(text, &[Needle::Text("盾构".into())], &no_stem);
        assert_eq!(
            snippet(text, &spans, 40),
            "Ｅ２１Ｄ型<mark>盾构</mark>，<mark>盾构</mark>机"
        );
    }

    #[test]
    fn latin_words_match_by_stem_and_whole_word_only() {
        let needles = vec![Needle::Latin("tunnel".into())];
        let spans = find_spans("Tunnels and tunnelx", &needles, &no_stem);
        assert_eq!(spans.len(), 1);
        assert_eq!(
            snippet("Tunnels and tunnelx", &spans, 40),
            "<mark>Tunnels</mark> and tunnelx"
        );
    }

    #[test]
    fn picks_the_passage_with_most_words_and_escapes() {
        let text = format!("{}盾构<b>{}盾构管片错台", "甲".repeat(200), "乙".repeat(200));
        let needles = vec![Needle::Text("盾构".into()), Needle::Text("错台".into())];
        let spans = find_spans(&text, &needles, &no_stem);
        let html = snippet(&text, &spans, 40);
        assert!(html.contains("<mark>盾构</mark>管片<mark>错台</mark>"), "{html}");
        let spans = find_spans(
            "在建工程",
            &[Needle::Text("在建".into()), Needle::Text("工程".into())],
            &no_stem,
        );
        assert_eq!(snippet("在建工程", &spans, 40), "<mark>在建工程</mark>");
        assert!(html.starts_with('…'));
        let html = snippet("a<b>盾构", &find_spans("a<b>盾构", &needles, &no_stem), 40);
        assert!(html.starts_with("a&lt;b&gt;"));
    }

    #[test]
    fn tightest_window_measures_proximity() {
        let needles = vec![Needle::Text("盾构".into()), Needle::Text("错台".into())];
        let near = find_spans("盾构错台", &needles, &no_stem);
        let far = find_spans(&format!("盾构{}错台", "x".repeat(50)), &needles, &no_stem);
        assert_eq!(tightest_window(&near, 2), Some((4, 2)));
        assert_eq!(tightest_window(&far, 2), Some((54, 2)));
        assert_eq!(tightest_window(&[], 2), None);
    }
}
