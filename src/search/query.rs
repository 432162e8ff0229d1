//! The query language people type, and its translation into tantivy
//! queries.
//!
//! Plain words are all required, a Chinese run is cut into words that are
//! each required but need not touch; `"…"` is an exact phrase, `-word` or
//! `NOT word` excludes, `a OR b` offers alternatives, `field:value` filters.
//! Anything else — stray quotes, brackets, `AND`, emoji, 500 characters —
//! is read as well as it can be and explained in a notice, never an error.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::analysis::{Analyzer, QueryPiece, Synonyms, WholeWords, normalize};
use super::schema::{FacetField, Weighted};
use super::snippet::Needle;

/// Longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most required words; beyond that nothing would match anyway.
pub const MAX_WORDS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    Word(String),
    Phrase(String),
}

/// Why the query was read differently from how it was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Truncated,
    UnclosedQuote,
    TooManyWords,
    OperatorIgnored(String),
    UnknownField(String),
    NothingSearchable,
    /// Brackets were typed: they do not group, and were skipped.
    Brackets,
    /// `AND` was typed: every word is required anyway, so it was skipped.
    AndImplied,
    /// Nothing held a run the segmenter left in characters with them side
    /// by side (or a code as typed): what is shown holds them apart.
    Relaxed,
    /// Nothing held every word: what is shown holds at least `required`
    /// of the `of` words, most first; the first hit lacks `missing`.
    MostWords {
        required: usize,
        of: usize,
        missing: Vec<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Each group must match; a group matches when any alternative does.
    pub required: Vec<Vec<Clause>>,
    pub excluded: Vec<Clause>,
    pub filters: Vec<(FacetField, String)>,
    pub notices: Vec<Notice>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }
}

enum Item {
    Clause { clause: Clause, negated: bool },
    Or,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '＂')
}

fn is_break(c: char) -> bool {
    c.is_whitespace() || is_quote(c) || matches!(c, '(' | ')' | '（' | '）')
}

pub fn parse(input: &str) -> ParsedQuery {
    let mut parsed = ParsedQuery::default();
    let mut text: String = input.chars().filter(|c| !c.is_control()).collect();
    if text.chars().count() > MAX_QUERY_CHARS {
        text = text.chars().take(MAX_QUERY_CHARS).collect();
        parsed.notices.push(Notice::Truncated);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut items = Vec::new();
    let mut negate_next = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || matches!(c, '(' | ')' | '（' | '）') {
            if !c.is_whitespace() && !parsed.notices.contains(&Notice::Brackets) {
                parsed.notices.push(Notice::Brackets);
            }
            i += 1;
            continue;
        }
        if is_quote(c) {
            let start = i + 1;
            let end = chars[start..].iter().position(|&c| is_quote(c)).map(|p| start + p);
            if end.is_none() {
                parsed.notices.push(Notice::UnclosedQuote);
            }
            let end = end.unwrap_or(chars.len());
            let phrase: String = chars[start..end].iter().collect::<String>().trim().to_string();
            if !phrase.is_empty() {
                items.push(Item::Clause {
                    clause: Clause::Phrase(phrase),
                    negated: negate_next,
                });
            }
            negate_next = false;
            i = end + 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !is_break(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        match word.as_str() {
            "OR" | "|" | "||" => items.push(Item::Or),
            "AND" | "&&" | "&" | "+" => {
                if !parsed.notices.contains(&Notice::AndImplied) {
                    parsed.notices.push(Notice::AndImplied);
                }
            }
            "NOT" => {
                if negate_next {
                    parsed.notices.push(Notice::OperatorIgnored(word.clone()));
                }
                negate_next = true;
            }
            "-" | "*" | "?" | "~" | "^" | ":" => parsed.notices.push(Notice::OperatorIgnored(word.clone())),
            _ if word.starts_with('-') && word.chars().count() > 1 => {
                let rest = word.trim_start_matches('-');
                if rest.is_empty() {
                    continue;
                }
                items.push(Item::Clause {
                    clause: Clause::Word(rest.to_string()),
                    negated: true,
                });
                negate_next = false;
            }
            _ => {
                if let Some((name, value)) = word.split_once(':')
                    && !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
                {
                    match FacetField::parse(name) {
                        Some(field) if !value.is_empty() => parsed.filters.push((field, value.to_string())),
                        Some(_) => {}
                        None => {
                            parsed.notices.push(Notice::UnknownField(name.to_string()));
                            items.push(Item::Clause {
                                clause: Clause::Word(value.to_string()),
                                negated: negate_next,
                            });
                        }
                    }
                    negate_next = false;
                    continue;
                }
                let cleaned = word.trim_matches(|c: char| matches!(c, '*' | '?' | '~' | '^' | '+'));
                if cleaned.len() != word.len() {
                    parsed.notices.push(Notice::OperatorIgnored(word.clone()));
                }
                if !cleaned.is_empty() {
                    items.push(Item::Clause {
                        clause: Clause::Word(cleaned.to_string()),
                        negated: negate_next,
                    });
                }
                negate_next = false;
            }
        }
    }
    if negate_next {
        // A NOT with nothing after it.
        parsed.notices.push(Notice::OperatorIgnored("NOT".into()));
    }
    let mut join_next = false;
    let mut or_ignored = false;
    for item in items {
        match item {
            Item::Or => {
                // An OR with no word before it, or right after another.
                or_ignored |= parsed.required.is_empty() || join_next;
                join_next = !parsed.required.is_empty();
            }
            Item::Clause { clause, negated: true } => {
                parsed.excluded.push(clause);
                join_next = false;
            }
            Item::Clause { clause, negated: false } => {
                match parsed.required.last_mut() {
                    Some(group) if join_next => group.push(clause),
                    _ => parsed.required.push(vec![clause]),
                }
                join_next = false;
            }
        }
    }
    // An OR with no word after it.
    if or_ignored || join_next {
        parsed.notices.push(Notice::OperatorIgnored("OR".into()));
    }
    if parsed.required.len() > MAX_WORDS {
        parsed.required.truncate(MAX_WORDS);
        parsed.notices.push(Notice::TooManyWords);
    }
    parsed
}

/// Turns parsed clauses into tantivy queries over the weighted fields.
pub struct Compiler<'a> {
    pub analyzer: &'a Analyzer,
    pub synonyms: &'a Synonyms,
    /// The words the index holds whole.
    pub indexed: &'a WholeWords,
    pub fields: &'a [Weighted],
    /// A search that found nothing asked again: runs jieba does not know
    /// as their characters anywhere, codes typed without their dash as
    /// their letters and digits. Every word still matters.
    pub relaxed: bool,
    /// Question and filler words (`analysis::QUESTION_WORDS`) are left
    /// out: the query holds other words (`holds_content`).
    pub skip_fillers: bool,
}

/// Whether `parsed` holds a required word that is not a question or
/// filler word (or a phrase): then those are left out of its search.
pub fn holds_content(parsed: &ParsedQuery, analyzer: &Analyzer) -> bool {
    parsed.required.iter().flatten().any(|clause| match clause {
        Clause::Phrase(_) => true,
        Clause::Word(w) => analyzer.query_pieces(w).iter().any(|p| !analyzer.is_filler(p)),
    })
}

/// One word a "most words" search counts (`Compiler::units`): a piece of
/// a typed word, or a group of alternatives, with how it was typed.
pub struct Unit {
    pub label: String,
    pub query: Box<dyn Query>,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqsAndPositions,
    ))
}

pub(super) fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries.into_iter().next().expect("one query");
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries.into_iter().next().expect("one query");
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

impl<'a> Compiler<'a> {
    /// The strict compiler of what was typed: every word as written, the
    /// question words left out when the query holds other words.
    pub fn new(
        analyzer: &'a Analyzer,
        synonyms: &'a Synonyms,
        indexed: &'a WholeWords,
        fields: &'a [Weighted],
        parsed: &ParsedQuery,
    ) -> Self {
        Compiler {
            analyzer,
            synonyms,
            indexed,
            fields,
            relaxed: false,
            skip_fillers: holds_content(parsed, analyzer),
        }
    }

    /// The query for one clause, or `None` when it holds nothing searchable
    /// (only punctuation or emoji).
    pub fn clause(&self, clause: &Clause) -> Option<Box<dyn Query>> {
        match clause {
            Clause::Word(word) => self.word(word, true),
            Clause::Phrase(text) => self.phrase(text),
        }
    }

    fn word(&self, word: &str, with_synonyms: bool) -> Option<Box<dyn Query>> {
        if with_synonyms && let Some(group) = self.synonyms.to_search(&normalize(word)) {
            return Some(any_of(group.iter().filter_map(|s| self.word(s, false)).collect()));
        }
        // A synonym names a term: its characters in a row, one term when
        // the index holds it whole (`WholeWords`), not jieba's pieces
        // anywhere in a record.
        if !with_synonyms && WholeWords::is_candidate(word) {
            return Some(self.in_every_field(&QueryPiece::Word(word.to_string()).terms(self.indexed)));
        }
        let pieces = self.pieces(word);
        let queries: Vec<Box<dyn Query>> = pieces.iter().map(|p| self.piece(p, with_synonyms)).collect();
        (!queries.is_empty()).then(|| all_of(queries))
    }

    /// The pieces of a typed word this compiler requires.
    fn pieces(&self, word: &str) -> Vec<QueryPiece> {
        let mut pieces = match self.relaxed {
            true => self.analyzer.loose_pieces(word),
            false => self.analyzer.query_pieces(word),
        };
        if self.skip_fillers {
            pieces.retain(|p| !self.analyzer.is_filler(p));
        }
        pieces
    }

    /// The words of the required groups one by one, for a search that
    /// asks for most of them: each piece of a typed word (with its
    /// synonyms), a word with a synonym group or a group of alternatives
    /// as one; and the phrases, which stay required (quoted, they were
    /// asked for as they are).
    pub fn units(&self, parsed: &ParsedQuery) -> (Vec<Unit>, Vec<Box<dyn Query>>) {
        let mut units = Vec::new();
        let mut phrases = Vec::new();
        for group in &parsed.required {
            match group.as_slice() {
                [Clause::Phrase(p)] => phrases.extend(self.phrase(p)),
                [Clause::Word(w)] if self.synonyms.to_search(&normalize(w)).is_none() => {
                    for piece in self.pieces(w) {
                        units.push(Unit {
                            label: piece.surface(),
                            query: self.piece(&piece, true),
                        });
                    }
                }
                _ => {
                    let alternatives: Vec<Box<dyn Query>> = group.iter().filter_map(|c| self.clause(c)).collect();
                    if alternatives.is_empty() {
                        continue;
                    }
                    let label = group
                        .iter()
                        .map(|c| match c {
                            Clause::Word(w) => w.clone(),
                            Clause::Phrase(p) => format!("\"{p}\""),
                        })
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    units.push(Unit {
                        label,
                        query: any_of(alternatives),
                    });
                }
            }
        }
        (units, phrases)
    }

    fn piece(&self, piece: &QueryPiece, with_synonyms: bool) -> Box<dyn Query> {
        if with_synonyms
            && let QueryPiece::Word(word) = piece
            && let Some(group) = self.synonyms.to_search(word)
        {
            return any_of(group.iter().filter_map(|s| self.word(s, false)).collect());
        }
        self.in_every_field(&piece.terms(self.indexed))
    }

    fn phrase(&self, text: &str) -> Option<Box<dyn Query>> {
        let terms = self.analyzer.phrase_terms(text, self.indexed);
        (!terms.is_empty()).then(|| self.in_every_field(&terms))
    }

    /// Terms at these offsets (one term, or a phrase) in any searched
    /// field, each field with its weight.
    fn in_every_field(&self, terms: &[(usize, String)]) -> Box<dyn Query> {
        let per_field: Vec<Box<dyn Query>> = self
            .fields
            .iter()
            .map(|w| {
                let query = match terms {
                    [(_, one)] => term_query(w.field, one),
                    _ => Box::new(PhraseQuery::new_with_offset(
                        terms
                            .iter()
                            .map(|(offset, t)| (*offset, Term::from_field_text(w.field, t)))
                            .collect(),
                    )),
                };
                Box::new(BoostQuery::new(query, w.boost)) as Box<dyn Query>
            })
            .collect();
        // The best field, plus half the others: a word in the title and the
        // body is not worth two words (the body holds the title too).
        if per_field.len() > 1 {
            return Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, 0.5));
        }
        any_of(per_field)
    }

    /// What to mark in snippets for the required clauses (synonyms too).
    pub fn needles(&self, parsed: &ParsedQuery) -> Vec<Needle> {
        let mut needles = Vec::new();
        let mut push = |n: Needle| {
            if !needles.contains(&n) {
                needles.push(n);
            }
        };
        for clause in parsed.required.iter().flatten() {
            match clause {
                Clause::Phrase(p) => push(Needle::Text(normalize(p.trim()))),
                Clause::Word(w) => {
                    let mut words = vec![w.clone()];
                    if let Some(group) = self.synonyms.group_of(&normalize(w)) {
                        words.extend(group.iter().cloned());
                    }
                    for word in words {
                        for piece in self.pieces(&word) {
                            if let QueryPiece::Word(word) = &piece
                                && let Some(group) = self.synonyms.group_of(word)
                            {
                                group.iter().for_each(|s| push(Needle::Text(s.clone())));
                            }
                            push(match piece {
                                QueryPiece::Latin(stem) => Needle::Latin(stem),
                                other => Needle::Text(other.surface()),
                            });
                        }
                    }
                }
            }
        }
        needles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(group: &[Clause]) -> Vec<&str> {
        group
            .iter()
            .map(|c| match c {
                Clause::Word(w) | Clause::Phrase(w) => w.as_str(),
            })
            .collect()
    }

    #[test]
    fn plain_words_are_all_required() {
        let q = parse("盾构 管片");
        assert_eq!(q.required.len(), 2);
        assert!(q.notices.is_empty());
    }

    #[test]
    fn phrases_exclusions_or_and_filters() {
        let q = parse("\"盾构 管片\" -爆破 NOT 焊接 接触网 OR 四电 kind:method tag:盾构 AND");
        assert_eq!(q.required[0], vec![Clause::Phrase("盾构 管片".into())]);
        assert_eq!(words(&q.required[1]), vec!["接触网", "四电"]);
        assert_eq!(
            q.excluded,
            vec![Clause::Word("爆破".into()), Clause::Word("焊接".into())]
        );
        assert_eq!(
            q.filters,
            vec![(FacetField::Kind, "method".into()), (FacetField::Tag, "盾构".into())]
        );
    }

    #[test]
    fn odd_input_is_read_not_rejected() {
        assert_eq!(parse("\"").required.len(), 0);
        assert!(parse("\"盾构").notices.contains(&Notice::UnclosedQuote));
        assert_eq!(words(&parse("((盾构))").required[0]), vec!["盾构"]);
        assert!(parse("AND OR NOT").is_empty());
        assert_eq!(words(&parse("盾构*").required[0]), vec!["盾构"]);
        let long = parse(&"隧".repeat(500));
        assert!(long.notices.contains(&Notice::Truncated));
        assert_eq!(parse("foo:bar").notices, vec![Notice::UnknownField("foo".into())]);
        assert_eq!(parse("E21D 11/08").required.len(), 2);
        assert_eq!(words(&parse("CN202110345678.9").required[0]), vec!["CN202110345678.9"]);
        let many = parse(&"a ".repeat(100));
        assert_eq!(many.required.len(), MAX_WORDS);
    }

    #[test]
    fn ignored_parts_are_noticed() {
        let cases: [(&str, &[Notice]); 9] = [
            ("((", &[Notice::Brackets]),
            ("((盾构))", &[Notice::Brackets]),
            ("（四电）", &[Notice::Brackets]),
            ("盾构 AND", &[Notice::AndImplied]),
            ("盾构 AND 管片 && 错台", &[Notice::AndImplied]),
            ("盾构 OR", &[Notice::OperatorIgnored("OR".into())]),
            ("OR 盾构", &[Notice::OperatorIgnored("OR".into())]),
            ("盾构 NOT", &[Notice::OperatorIgnored("NOT".into())]),
            ("盾构 管片", &[]),
        ];
        for (query, expected) in cases {
            assert_eq!(parse(query).notices, expected, "{query}");
        }
        // A word joined by OR is no notice.
        assert!(parse("挂篮 OR 吊弦").notices.is_empty());
        assert!(parse("-爆破 盾构").notices.is_empty());
    }

    #[test]
    fn full_width_quotes_and_brackets() {
        let q = parse("“接触网 检修”（四电）");
        assert_eq!(q.required[0], vec![Clause::Phrase("接触网 检修".into())]);
        assert_eq!(words(&q.required[1]), vec!["四电"]);
    }
}
