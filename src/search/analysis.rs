//! Text analysis shared by indexing and querying: normalisation, Chinese
//! segmentation, English stemming and code handling, and the staff-edited
//! dictionary and synonym files.
//!
//! Everything that turns text into terms lives here so that the index and
//! the query side can never disagree. It knows nothing about tantivy's
//! schema or about records; `ZhTokenizer` is the thin adapter tantivy calls.
//!
//! Chinese is indexed as characters, pairs and triples of characters
//! (n-grams), not as jieba words: a word of the query then matches wherever
//! its characters stand side by side (工程 inside 在建工程, a domain word
//! jieba does not know), whatever way a segmenter would have cut the
//! document, and a word of two or three characters — most of them — is one
//! term lookup instead of a phrase over common characters. Indexing needs
//! no segmenter; jieba cuts only the query, into the words that must each
//! occur.
//!
//! Words of four characters or more from the staff dictionary and the
//! synonym groups (`WholeWords`) are also indexed whole, where their
//! characters stand in a row. Otherwise such a word is a phrase of
//! triples, and the long words staff list are the common domain words
//! (一次合格率 is in most records of a quality-control corpus): one term is
//! read instead of the positions of two in nearly every document. The
//! index records which words it holds; a query asks for a word's own term
//! only if the index holds it, else for its triples, which match the same
//! places. So a dictionary edit re-indexes only the records holding a long
//! word it added or removed (`Engine::sync`).
//!
//! Positions count *units*: every Chinese character is one unit (the
//! n-grams it starts sit at its position), every Latin word
//! or code is one unit (a code with parts takes one per part), and every
//! punctuation mark is one unit, so a phrase never runs across punctuation.
//! A line break (the end of a paragraph, heading, list item or table row in
//! the plain text of a body) is one unit too, and is indexed as `PARAGRAPH`,
//! a term no query can produce: ranking reads where a record's paragraphs
//! end from its positions, to reward the record whose query words stand
//! together in one paragraph.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock, RwLock};

use aho_corasick::AhoCorasick;
use frostem::{Algorithm, Stemmer};
use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::bitset::Bitset;

/// Names the index-time analysis; bump when indexing the same text could
/// give other terms, and every index is rebuilt.
pub const INDEX_ANALYSIS: &str = "zh-ngram-4";

/// The term indexed at every line break: punctuation, which no query
/// analysis turns into a term.
pub const PARAGRAPH: &str = "¶";

/// What an index-time token is; the query side picks by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// One Chinese character.
    Char,
    /// Two Chinese characters side by side, at the first one's position.
    Bigram,
    /// Three, likewise.
    Trigram,
    /// A long word of the dictionary or synonyms (`WholeWords`), at its
    /// first character's position.
    Word,
    /// A Latin word (stemmed) or a number.
    Latin,
    /// A code kept whole (`cn202110345678.9`, `qb-sd-2022-11`).
    Code,
    /// One part of a code, between its connectors.
    CodePart,
    /// A line break (`PARAGRAPH`).
    Break,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub text: String,
    pub kind: TokenKind,
    /// Unit position (see the module docs).
    pub position: usize,
    /// Character offsets into the analysed text.
    pub start: usize,
    pub end: usize,
}

/// One required piece of a plain query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryPiece {
    /// A Chinese word of two or more characters: matches where its
    /// n-grams stand in a row.
    Word(String),
    /// A single Chinese character.
    Char(String),
    /// A Latin word, already stemmed, or a number.
    Latin(String),
    /// A code, matched whole.
    Code(String),
}

impl QueryPiece {
    /// The normalised text the piece stands for, as it appears in documents.
    pub fn surface(&self) -> String {
        match self {
            QueryPiece::Word(s) | QueryPiece::Char(s) | QueryPiece::Latin(s) | QueryPiece::Code(s) => s.clone(),
        }
    }

    /// The index terms that must stand at these offsets from each other
    /// for the piece to match: one term, or a phrase. `indexed` are the
    /// whole words the index holds.
    pub fn terms(&self, indexed: &WholeWords) -> Vec<(usize, String)> {
        match self {
            QueryPiece::Word(word) => cjk_terms(&word.chars().collect::<Vec<_>>(), indexed),
            QueryPiece::Char(s) | QueryPiece::Latin(s) | QueryPiece::Code(s) => vec![(0, s.clone())],
        }
    }
}

/// The terms of a run of Chinese characters, by offset: the run itself
/// when the index holds it as a whole word; else trigrams that cover every
/// character (the last may overlap), a bigram for two characters, or the
/// character itself when it stands alone. Side by side at these offsets
/// they match exactly the run; a three-character word is one term, a longer
/// one a phrase of few rare terms.
fn cjk_terms(chars: &[char], indexed: &WholeWords) -> Vec<(usize, String)> {
    if chars.len() <= 2 {
        return vec![(0, chars.iter().collect())];
    }
    if chars.len() >= WholeWords::MIN_CHARS {
        let run: String = chars.iter().collect();
        if indexed.contains(&run) {
            return vec![(0, run)];
        }
    }
    let last = chars.len() - 3;
    (0..=last)
        .step_by(3)
        .chain((!last.is_multiple_of(3)).then_some(last))
        .map(|i| (i, chars[i..i + 3].iter().collect()))
        .collect()
}

/// Question and filler words: engineers type questions (管片错台怎么修,
/// `how to repair a segment`), and no record answers with 怎么 or `how`.
/// A query that holds other words does not require these (`Compiler`
/// leaves them out); a query of nothing else still searches them. Latin
/// entries are compared by their stems, Chinese ones as jieba cuts them
/// (a single character only when jieba leaves it alone: 的 in 目的 is not
/// one). Keep domain words out: 可以 or 方法 may be what a record says.
pub const QUESTION_WORDS: &[&str] = &[
    "怎么",
    "怎样",
    "怎么样",
    "怎么办",
    "怎么弄",
    "怎么做",
    "如何",
    "什么",
    "为什么",
    "为何",
    "哪些",
    "哪个",
    "哪种",
    "哪里",
    "是否",
    "能否",
    "有没有",
    "请问",
    "咋",
    "咋办",
    "吗",
    "呢",
    "吧",
    "啊",
    "的",
    "了",
    "是",
    "会",
    "how",
    "what",
    "why",
    "which",
    "when",
    "where",
    "who",
    "the",
    "a",
    "an",
    "of",
    "to",
    "is",
    "are",
    "do",
    "does",
    "in",
    "for",
    "and",
    "with",
];

/// Query-side analysis: normalisation, jieba with the staff dictionary to
/// cut what people type into words, stemming.
pub struct Analyzer {
    /// Loading jieba's dictionary takes about 0.1 s: it is built on a
    /// thread of its own from the start, and the first query waits for it.
    jieba: Arc<OnceLock<Jieba>>,
    words: Arc<Vec<DictionaryWord>>,
    stemmer: Stemmer,
    fingerprint: String,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// Folds full-width forms, case and traditional characters, one character
/// for one character so that offsets into the normalised text are offsets
/// into the original.
pub fn normalize(text: &str) -> String {
    normalize_with(text, |_| {})
}

/// `normalize`, with where byte offsets into the result and into `text`
/// part ways: after each character whose length in bytes changed (a
/// full-width comma is three bytes, its ',' one), the offsets into both
/// from there on. Most text needs no change: unchanged stretches are
/// copied whole.
pub fn normalize_mapped(text: &str) -> (String, Vec<Realign>) {
    let mut realigned = Vec::new();
    let normalized = normalize_with(text, |r| realigned.push(r));
    (normalized, realigned)
}

fn normalize_with(text: &str, mut realigned: impl FnMut(Realign)) -> String {
    let table = Simplification::get();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut chars = text.char_indices().peekable();
    // fast2s reads a character with its neighbours ('0' past either end).
    let mut prev = '0';
    while let Some((at, original)) = chars.next() {
        let folded = fold_char(original);
        let c = if table.may_change(folded) {
            let next = chars.peek().map_or('0', |&(_, n)| fold_char(n));
            Simplification::in_context(prev, folded, next)
        } else {
            folded
        };
        if c != original {
            out.push_str(&text[copied..at]);
            out.push(c);
            copied = at + original.len_utf8();
            if c.len_utf8() != original.len_utf8() {
                realigned(Realign {
                    normalized: out.len(),
                    original: copied,
                });
            }
        }
        prev = folded;
    }
    out.push_str(&text[copied..]);
    out
}

/// From byte `normalized` of a normalised text on, offsets into it are
/// offsets into the original text less `normalized`, plus `original`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realign {
    pub normalized: usize,
    pub original: usize,
}

/// The byte offset into the original text of `offset` into its
/// normalised form (`normalize_mapped`).
pub fn original_offset(realigned: &[Realign], offset: usize) -> usize {
    match realigned.partition_point(|r| r.normalized <= offset) {
        0 => offset,
        i => realigned[i - 1].original + (offset - realigned[i - 1].normalized),
    }
}

/// Which characters fast2s (traditional → simplified) may change: most
/// text has none, and asking fast2s about every character (three hash
/// lookups each) was a tenth of the time of a query, for its snippets.
/// The answer for every character is fast2s's own, asked once per process.
struct Simplification {
    /// The characters of the Basic Multilingual Plane fast2s converts;
    /// other characters it leaves as they are.
    changing: Bitset,
}

impl Simplification {
    /// Characters fast2s 0.3 leaves alone by themselves and converts next to
    /// certain neighbours (藉口 → 借口): its context table, not seen by
    /// asking about each character alone.
    const ONLY_IN_CONTEXT: [char; 3] = ['藉', '著', '苧'];

    fn get() -> &'static Simplification {
        static TABLE: OnceLock<Simplification> = OnceLock::new();
        TABLE.get_or_init(|| {
            let mut changing = Bitset::new(0x10000);
            let mut one = String::with_capacity(4);
            // fast2s converts only characters of three UTF-8 bytes.
            for c in '\u{800}'..='\u{FFFF}' {
                one.clear();
                one.push(c);
                if fast2s::convert(&one) != one || Self::ONLY_IN_CONTEXT.contains(&c) {
                    changing.insert(c as usize);
                }
            }
            Simplification { changing }
        })
    }

    fn may_change(&self, c: char) -> bool {
        self.changing.contains(c as usize)
    }

    fn in_context(prev: char, c: char, next: char) -> char {
        let converted = fast2s::convert(&String::from_iter([prev, c, next]));
        converted.chars().nth(1).unwrap_or(c)
    }
}

fn fold_char(c: char) -> char {
    match c {
        // Most of the text: Han characters have no case.
        '\u{4E00}'..='\u{9FFF}' => c,
        '\u{FF01}'..='\u{FF5E}' => {
            let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            ascii.to_ascii_lowercase()
        }
        '\u{3000}' => ' ',
        c if c.is_ascii() => c.to_ascii_lowercase(),
        c if c.is_uppercase() => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        }
        c => c,
    }
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3007)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

fn is_connector(c: char) -> bool {
    matches!(c, '-' | '.' | '/' | '_')
}

/// A stretch of the normalised text with one treatment.
enum Run {
    Cjk {
        start: usize,
        end: usize,
    },
    Alnum {
        start: usize,
        end: usize,
    },
    Punct,
    /// A line break: one unit, like punctuation, and a term of its own.
    Break {
        at: usize,
    },
    Space,
}

/// The runs of `chars`, each with the unit position it starts at (see the
/// module docs): the one walk that index and phrase positions share.
fn runs(chars: &[char]) -> Vec<(Run, usize)> {
    let mut out = Vec::new();
    let mut unit = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let (run, units) = if is_cjk(c) {
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            (Run::Cjk { start, end: i }, i - start)
        } else if is_word_char(c) {
            loop {
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                // A connector joins two word characters into one code.
                if i + 1 < chars.len() && is_connector(chars[i]) && is_word_char(chars[i + 1]) {
                    i += 1;
                } else {
                    break;
                }
            }
            // A code takes one unit per part.
            let parts = 1 + chars[start..i].iter().filter(|c| is_connector(**c)).count();
            (Run::Alnum { start, end: i }, parts)
        } else {
            i += 1;
            if c == '\n' {
                (Run::Break { at: start }, 1)
            } else if c.is_whitespace() {
                (Run::Space, 0)
            } else {
                (Run::Punct, 1)
            }
        };
        out.push((run, unit));
        unit += units;
    }
    out
}

impl Analyzer {
    /// Builds the analyzer with the staff dictionary (`word [freq] [tag]`
    /// per line, `#` comments) added to jieba's own.
    pub fn new(dictionary: &str) -> Self {
        let jieba = Arc::new(OnceLock::new());
        let words = Arc::new(parse_dictionary(dictionary));
        let (cell, list) = (jieba.clone(), words.clone());
        // If the thread cannot start, the first query builds it.
        let _ = std::thread::Builder::new().name("jieba".into()).spawn(move || {
            cell.get_or_init(|| build_jieba(&list));
        });
        let fingerprint = Self::fingerprint_of(dictionary);
        Analyzer {
            jieba,
            words,
            stemmer: Stemmer::new(Algorithm::English),
            fingerprint,
        }
    }

    /// Waits for the thread started in `new` if it is still loading, and
    /// builds it here if that thread could not.
    fn jieba(&self) -> &Jieba {
        self.jieba.get_or_init(|| build_jieba(&self.words))
    }

    /// Whether an analyzer built from `dictionary` would cut queries as
    /// this one does, without the cost of building it (loading jieba).
    pub fn fingerprint_of(dictionary: &str) -> String {
        blake3::hash(dictionary.as_bytes()).to_hex().to_string()
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn stem(&self, word: &str) -> String {
        stem(&self.stemmer, word)
    }

    /// Query-time analysis of one plain word: the pieces that must all
    /// match. Chinese is cut in precise mode, so 在建工程 asks for 在建 and
    /// 工程 without requiring them side by side.
    ///
    /// Characters jieba leaves alone side by side (顶推, which it does not
    /// know) are one word matched where they stand together, never as
    /// characters anywhere in a record: a lone character is asked for
    /// alone only when it stands alone in the query.
    pub fn query_pieces(&self, text: &str) -> Vec<QueryPiece> {
        self.pieces(text, true)
    }

    /// `query_pieces` with unknown runs left as their characters and codes
    /// typed without their dash as their letters and digits: what a search
    /// that found nothing is relaxed to.
    pub fn loose_pieces(&self, text: &str) -> Vec<QueryPiece> {
        self.pieces(text, false)
    }

    fn pieces(&self, text: &str, join_singles: bool) -> Vec<QueryPiece> {
        let normalized = normalize(text);
        let chars: Vec<char> = normalized.chars().collect();
        let mut out = Vec::new();
        for (run, _) in runs(&chars) {
            match run {
                Run::Space | Run::Punct | Run::Break { .. } => {}
                Run::Cjk { start, end } => {
                    let slice: String = chars[start..end].iter().collect();
                    let mut singles = String::new();
                    for t in self.jieba().cut(&slice, false) {
                        // A question word stands apart (修吗 is 修 and 吗),
                        // for the search to leave it out.
                        let filler = QUESTION_WORDS.contains(&t.word);
                        if t.end - t.start >= 2 || filler {
                            flush_singles(&mut singles, join_singles, &mut out);
                            out.push(match t.end - t.start {
                                1 => QueryPiece::Char(t.word.to_string()),
                                _ => QueryPiece::Word(t.word.to_string()),
                            });
                        } else {
                            singles.push_str(t.word);
                        }
                    }
                    flush_singles(&mut singles, join_singles, &mut out);
                }
                Run::Alnum { start, end } => {
                    let whole: String = chars[start..end].iter().collect();
                    if whole.chars().any(is_connector) {
                        out.push(QueryPiece::Code(whole));
                    } else {
                        // A code typed without its dash (zpw2000a for
                        // ZPW-2000A): loosely, its letters and its digits.
                        let parts = if join_singles {
                            Vec::new()
                        } else {
                            letters_and_digits(&whole)
                        };
                        if parts.is_empty() {
                            out.push(QueryPiece::Latin(self.stem(&whole)));
                        }
                        out.extend(parts.into_iter().map(|part| QueryPiece::Latin(self.stem(&part))));
                    }
                }
            }
        }
        out
    }

    /// The terms a phrase query is made of, with their unit positions:
    /// n-grams (a lone character as itself, a run the index holds whole as
    /// itself), Latin words, whole codes.
    pub fn phrase_terms(&self, text: &str, indexed: &WholeWords) -> Vec<(usize, String)> {
        let chars: Vec<char> = normalize(text).chars().collect();
        let mut out = Vec::new();
        for (run, unit) in runs(&chars) {
            match run {
                Run::Space | Run::Punct | Run::Break { .. } => {}
                Run::Cjk { start, end } => {
                    out.extend(
                        cjk_terms(&chars[start..end], indexed)
                            .into_iter()
                            .map(|(i, t)| (unit + i, t)),
                    );
                }
                Run::Alnum { start, end } => {
                    // The whole word or code, which `alnum_tokens` gives first.
                    let mut tokens = Vec::new();
                    alnum_tokens(&self.stemmer, &chars, start, end, unit, &mut tokens);
                    out.extend(tokens.into_iter().take(1).map(|t| (t.position, t.text)));
                }
            }
        }
        let first = out.first().map_or(0, |(p, _)| *p);
        out.into_iter().map(|(p, t)| (p - first, t)).collect()
    }

    /// Whether `piece` is a question or filler word (`QUESTION_WORDS`),
    /// which a query holding other words does not require.
    pub fn is_filler(&self, piece: &QueryPiece) -> bool {
        static STEMS: OnceLock<HashSet<String>> = OnceLock::new();
        match piece {
            QueryPiece::Word(w) | QueryPiece::Char(w) => QUESTION_WORDS.contains(&w.as_str()),
            QueryPiece::Latin(stem) => STEMS
                .get_or_init(|| {
                    QUESTION_WORDS
                        .iter()
                        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
                        .map(|w| self.stem(w))
                        .collect()
                })
                .contains(stem),
            QueryPiece::Code(_) => false,
        }
    }

    /// The words of the staff dictionary, normalised.
    pub fn dictionary_words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|(w, _, _)| w.as_str())
    }

    /// The stem a Latin word of a document is indexed under.
    pub fn stem_latin(&self, word: &str) -> String {
        self.stem(&normalize(word))
    }
}

/// The stretches of letters and of digits of a word that mixes both, of
/// two characters or more; nothing for a word of one sort.
fn letters_and_digits(word: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut last_digit = None;
    for c in word.chars() {
        let digit = c.is_ascii_digit();
        match parts.last_mut() {
            Some(part) if last_digit == Some(digit) => part.push(c),
            _ => parts.push(c.to_string()),
        }
        last_digit = Some(digit);
    }
    if parts.len() < 2 {
        return Vec::new();
    }
    parts.retain(|p| p.chars().count() >= 2);
    parts
}

/// Characters jieba cut one by one: a word when there are several side by
/// side and `join` (they must then stand together), else each alone.
fn flush_singles(singles: &mut String, join: bool, out: &mut Vec<QueryPiece>) {
    if join && singles.chars().nth(1).is_some() {
        out.push(QueryPiece::Word(std::mem::take(singles)));
    } else {
        out.extend(singles.chars().map(|c| QueryPiece::Char(c.to_string())));
        singles.clear();
    }
}

fn stem(stemmer: &Stemmer, word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_alphabetic()) {
        stemmer.stem(word).into_owned()
    } else {
        word.to_string()
    }
}

/// A token as index-time analysis finds it. Its text is the normalised
/// characters from `start` to `end` unless it owns another (a stem, a
/// code, its parts and digits): Chinese text yields about three tokens a
/// character, and giving each its own `String` was most of the
/// allocations of a rebuild.
struct Found {
    text: Option<String>,
    kind: TokenKind,
    position: usize,
    start: usize,
    end: usize,
}

/// Index-time analysis: every term the text should be findable by.
fn analyze(stemmer: &Stemmer, words: &WholeWords, text: &str) -> Vec<Tok> {
    let chars: Vec<char> = normalize(text).chars().collect();
    analyze_chars(stemmer, words, &chars)
        .into_iter()
        .map(|f| Tok {
            text: f.text.unwrap_or_else(|| chars[f.start..f.end].iter().collect()),
            kind: f.kind,
            position: f.position,
            start: f.start,
            end: f.end,
        })
        .collect()
}

/// `analyze` over the normalised characters, texts not yet made.
fn analyze_chars(stemmer: &Stemmer, words: &WholeWords, chars: &[char]) -> Vec<Found> {
    let mut out = Vec::with_capacity(chars.len() * 3);
    let mut alnum = Vec::new();
    for (run, unit) in runs(chars) {
        match run {
            Run::Space | Run::Punct => {}
            Run::Break { at } => out.push(Found {
                text: Some(PARAGRAPH.to_string()),
                kind: TokenKind::Break,
                position: unit,
                start: at,
                end: at + 1,
            }),
            Run::Cjk { start, end } => {
                for i in start..end {
                    let position = unit + i - start;
                    out.push(Found {
                        text: None,
                        kind: TokenKind::Char,
                        position,
                        start: i,
                        end: i + 1,
                    });
                    for (len, kind) in [(2, TokenKind::Bigram), (3, TokenKind::Trigram)] {
                        if i + len <= end {
                            out.push(Found {
                                text: None,
                                kind,
                                position,
                                start: i,
                                end: i + len,
                            });
                        }
                    }
                }
                words.each_in(&chars[start..end], |from, to| {
                    out.push(Found {
                        text: None,
                        kind: TokenKind::Word,
                        position: unit + from,
                        start: start + from,
                        end: start + to,
                    });
                });
            }
            Run::Alnum { start, end } => {
                alnum_tokens(stemmer, chars, start, end, unit, &mut alnum);
                out.extend(alnum.drain(..).map(|t| Found {
                    text: Some(t.text),
                    kind: t.kind,
                    position: t.position,
                    start: t.start,
                    end: t.end,
                }));
            }
        }
    }
    out
}

/// Emits the tokens of one alphanumeric run, the whole word or code first
/// (a code's parts at one unit each, as `runs` counts them).
fn alnum_tokens(stemmer: &Stemmer, chars: &[char], start: usize, end: usize, unit: usize, out: &mut Vec<Tok>) {
    let whole: String = chars[start..end].iter().collect();
    if !whole.chars().any(is_connector) {
        out.push(Tok {
            text: stem(stemmer, &whole),
            kind: TokenKind::Latin,
            position: unit,
            start,
            end,
        });
        push_digits(&whole, unit, start, out);
        return;
    }
    out.push(Tok {
        text: whole.clone(),
        kind: TokenKind::Code,
        position: unit,
        start,
        end,
    });
    let mut offset = start;
    for (i, part) in whole.split(is_connector).enumerate() {
        let len = part.chars().count();
        out.push(Tok {
            text: part.to_string(),
            kind: TokenKind::CodePart,
            position: unit + i,
            start: offset,
            end: offset + len,
        });
        push_digits(part, unit + i, offset, out);
        offset += len + 1;
    }
}

/// The number inside a mixed token (`cn202110345678` → `202110345678`),
/// so a patent number is found without its country prefix.
fn push_digits(token: &str, position: usize, start: usize, out: &mut Vec<Tok>) {
    let digits: String = token.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 4 && digits.len() < token.len() {
        let Some(first) = token.chars().position(|c| c.is_ascii_digit()) else {
            return;
        };
        let run: String = token.chars().skip(first).take_while(char::is_ascii_digit).collect();
        if run.len() >= 4 {
            let from = start + first;
            out.push(Tok {
                end: from + run.len(),
                text: run,
                kind: TokenKind::CodePart,
                position,
                start: from,
            });
        }
    }
}

/// A line of the staff dictionary: word, frequency, part of speech.
type DictionaryWord = (String, Option<usize>, Option<String>);

fn build_jieba(words: &[DictionaryWord]) -> Jieba {
    let mut jieba = Jieba::new();
    for (word, freq, tag) in words {
        jieba.add_word(word, *freq, tag.as_deref());
    }
    jieba
}

fn parse_dictionary(text: &str) -> Vec<DictionaryWord> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let word = normalize(parts.next()?);
            let freq = parts.next().and_then(|f| f.parse().ok());
            let tag = parts.next().map(str::to_string);
            Some((word, freq, tag))
        })
        .collect()
}

/// The words of `MIN_CHARS` Chinese characters or more in the staff
/// dictionary and synonym groups, which the index holds whole (see the
/// module docs).
#[derive(Debug, Default)]
pub struct WholeWords {
    /// Sorted, as recorded with the index.
    words: Vec<String>,
    set: HashSet<String>,
    automaton: Option<AhoCorasick>,
}

impl PartialEq for WholeWords {
    fn eq(&self, other: &Self) -> bool {
        self.words == other.words
    }
}

impl WholeWords {
    /// Shorter words are one term already (a character, pair or triple).
    pub const MIN_CHARS: usize = 4;

    pub fn from_staff_files(dictionary: &str, synonyms: &Synonyms) -> Self {
        let dictionary = parse_dictionary(dictionary).into_iter().map(|(word, _, _)| word);
        Self::from_words(dictionary.chain(synonyms.groups.iter().flatten().cloned()))
    }

    /// Whether a query should look `word` up as the run of characters it
    /// is (a long Chinese word), whole or by its triples.
    pub fn is_candidate(word: &str) -> bool {
        word.chars().count() >= Self::MIN_CHARS && word.chars().all(is_cjk)
    }

    /// Keeps the words of Chinese characters only, normalised, long enough.
    pub fn from_words(words: impl IntoIterator<Item = String>) -> Self {
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| normalize(&w))
            .filter(|w| Self::is_candidate(w))
            .collect();
        words.sort_unstable();
        words.dedup();
        // Only fails beyond limits a dictionary cannot reach; without the
        // automaton nothing is indexed whole and queries use triples.
        let automaton = (!words.is_empty()).then(|| AhoCorasick::new(&words).ok()).flatten();
        let set = if automaton.is_some() {
            words.iter().cloned().collect()
        } else {
            words.clear();
            HashSet::new()
        };
        WholeWords { words, set, automaton }
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn contains(&self, word: &str) -> bool {
        self.set.contains(word)
    }

    /// The words both sets hold whole: what a query may ask for while an
    /// index moves from one set to the other.
    pub fn common(&self, other: &WholeWords) -> WholeWords {
        Self::from_words(self.words.iter().filter(|w| other.contains(w)).cloned())
    }

    /// The words in one set and not the other: the records holding them
    /// must be indexed again when the dictionary changes.
    pub fn differing<'a>(&'a self, other: &'a WholeWords) -> impl Iterator<Item = &'a String> {
        let only = |a: &'a WholeWords, b: &'a WholeWords| a.words.iter().filter(move |w| !b.contains(w));
        only(self, other).chain(only(other, self))
    }

    /// Calls `found(from, to)` with the character range of every word
    /// inside `run` (Chinese characters), overlapping ones included.
    fn each_in(&self, run: &[char], mut found: impl FnMut(usize, usize)) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        if run.len() < Self::MIN_CHARS {
            return;
        }
        let text: String = run.iter().collect();
        // Chinese characters are 3 bytes in UTF-8, a few rare ones 4.
        let starts: Vec<usize> = if text.len() == 3 * run.len() {
            Vec::new()
        } else {
            text.char_indices().map(|(b, _)| b).chain([text.len()]).collect()
        };
        let char_at = |byte: usize| {
            if starts.is_empty() {
                byte / 3
            } else {
                starts.binary_search(&byte).unwrap_or_else(|i| i)
            }
        };
        for m in automaton.find_overlapping_iter(&text) {
            found(char_at(m.start()), char_at(m.end()));
        }
    }
}

/// A `WholeWords` that can be replaced while tokenizers and queries hold
/// the handle.
#[derive(Debug, Clone, Default)]
pub struct SharedWords(Arc<RwLock<Arc<WholeWords>>>);

impl SharedWords {
    pub fn new(words: Arc<WholeWords>) -> Self {
        SharedWords(Arc::new(RwLock::new(words)))
    }

    pub fn get(&self) -> Arc<WholeWords> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, words: Arc<WholeWords>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = words;
    }
}

/// Groups of equivalent terms (`城轨,城市轨道交通,地铁` per line), applied at
/// query time only, so editing the file needs no re-index.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_term: HashMap<String, usize>,
}

impl Synonyms {
    pub fn parse(text: &str) -> Self {
        let mut synonyms = Synonyms::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let group: Vec<String> = line
                .split([',', '，', '、', '='])
                .map(|t| normalize(t.trim()))
                .filter(|t| !t.is_empty())
                .collect();
            if group.len() < 2 {
                continue;
            }
            let index = synonyms.groups.len();
            for term in &group {
                synonyms.by_term.entry(term.clone()).or_insert(index);
            }
            synonyms.groups.push(group);
        }
        synonyms
    }

    /// Every term of every group.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(String::as_str)
    }

    /// The group of `term` (normalised), if it has one.
    pub fn group_of(&self, term: &str) -> Option<&[String]> {
        self.by_term.get(term).map(|&i| self.groups[i].as_slice())
    }

    /// The members of `term`'s group worth searching: one that contains
    /// another, Chinese, member (悬臂浇筑挂篮 and 挂篮) only matches records
    /// the shorter one matches already, and costs a phrase query. (Latin
    /// words match whole, so `guardrail` is not covered by `rail`.)
    pub fn to_search(&self, term: &str) -> Option<Vec<&str>> {
        let group = self.group_of(term)?;
        let covered = |long: &String| {
            group
                .iter()
                .any(|short| short != long && short.chars().all(is_cjk) && long.contains(short.as_str()))
        };
        Some(group.iter().filter(|m| !covered(m)).map(String::as_str).collect())
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// tantivy's handle on the index-time analysis.
#[derive(Clone)]
pub struct ZhTokenizer {
    stemmer: Stemmer,
    words: SharedWords,
}

impl Default for ZhTokenizer {
    fn default() -> Self {
        Self::new(SharedWords::default())
    }
}

impl ZhTokenizer {
    /// A tokenizer that indexes whole whichever words `words` holds when
    /// it analyses a text.
    pub fn new(words: SharedWords) -> Self {
        ZhTokenizer {
            stemmer: Stemmer::new(Algorithm::English),
            words,
        }
    }

    /// Index-time analysis: every term the text should be findable by.
    pub fn analyze(&self, text: &str) -> Vec<Tok> {
        analyze(&self.stemmer, &self.words.get(), text)
    }
}

/// The tokens of one text for tantivy, one `Token` refilled for each:
/// no text is allocated per token.
pub struct ZhTokenStream {
    chars: Vec<char>,
    found: Vec<Found>,
    /// Byte offset in the analysed text of each character, and its end.
    byte_at: Vec<usize>,
    next: usize,
    token: Token,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
        let chars: Vec<char> = normalize(text).chars().collect();
        let found = analyze_chars(&self.stemmer, &self.words.get(), &chars);
        ZhTokenStream {
            chars,
            found,
            byte_at,
            next: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        let Some(found) = self.found.get(self.next) else {
            return false;
        };
        self.next += 1;
        let token = &mut self.token;
        token.offset_from = self.byte_at[found.start];
        token.offset_to = self.byte_at[found.end];
        token.position = found.position;
        token.position_length = 1;
        token.text.clear();
        match &found.text {
            Some(text) => token.text.push_str(text),
            None => token.text.extend(&self.chars[found.start..found.end]),
        }
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(|| Analyzer::new("盾构机\n接触网 2000 n\n# comment\n四电\n一次合格率\n"))
    }

    fn terms(text: &str) -> Vec<String> {
        terms_with(&ZhTokenizer::default(), text)
    }

    #[test]
    fn token_stream_gives_each_token_of_analyze_with_its_own_text_and_offsets() {
        let words = WholeWords::from_words(["一次合格率".to_string(), "同步注浆".to_string()]);
        let mut tokenizer = ZhTokenizer::new(SharedWords::new(Arc::new(words)));
        let texts = [
            "",
            "盾构管片错台",
            "提高一次合格率，同步注浆",
            "ＱＣ小组 Running the E21D 11/08 test",
            "专利CN202110345678.9号，QB-SD-2023-07工法",
            "全角，标点！与 emoji 🚇 混排 ABC123def",
            "长".repeat(300).as_str(),
        ]
        .map(str::to_string);
        for text in &texts {
            let byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
            let expected: Vec<(String, usize, usize, usize)> = tokenizer
                .analyze(text)
                .into_iter()
                .map(|t| (t.text, t.position, byte_at[t.start], byte_at[t.end]))
                .collect();
            let mut stream = tokenizer.token_stream(text);
            let mut got = Vec::new();
            while stream.advance() {
                let t = stream.token();
                got.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
            }
            assert_eq!(got, expected, "{text}");
            assert!(!stream.advance(), "a finished stream stays finished");
        }
        // Some tokens are their characters, others own their text (a stem,
        // a code's digits): both kinds follow one another in one text.
        let mixed = tokenizer.analyze("试验 running CN202110345678.9 管片");
        assert!(mixed.iter().any(|t| t.text == "run"), "{mixed:?}");
        assert!(mixed.iter().any(|t| t.text == "202110345678"), "{mixed:?}");
        assert!(mixed.iter().any(|t| t.text == "管片"), "{mixed:?}");
    }

    fn terms_with(tokenizer: &ZhTokenizer, text: &str) -> Vec<String> {
        tokenizer.analyze(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn word_inside_compound_is_indexed() {
        let t = terms("在建工程");
        assert!(t.contains(&"工程".to_string()), "{t:?}");
        assert!(
            t.contains(&"在建工程".to_string()) || t.contains(&"在建".to_string()),
            "{t:?}"
        );
        let t = terms("待处理事项");
        assert!(t.contains(&"处理".to_string()), "{t:?}");
    }

    #[test]
    fn line_breaks_are_a_unit_and_a_paragraph_term_no_query_produces() {
        let toks = ZhTokenizer::default().analyze("盾构\n管片 shield\ntunnel end");
        let at = |text: &str| toks.iter().find(|t| t.text == text).map(|t| t.position);
        let breaks: Vec<usize> = toks
            .iter()
            .filter(|t| t.kind == TokenKind::Break)
            .map(|t| t.position)
            .collect();
        assert_eq!(breaks, vec![2, 6]);
        assert!(
            toks.iter()
                .filter(|t| t.kind == TokenKind::Break)
                .all(|t| t.text == PARAGRAPH)
        );
        // The break takes a unit: the words either side are not adjacent.
        assert_eq!((at("盾构"), at("管片")), (Some(0), Some(3)));
        assert_eq!((at("shield"), at("tunnel"), at("end")), (Some(5), Some(7), Some(8)));
        // Spaces still take none, and no query turns the mark into a term.
        assert_eq!(analyzer().query_pieces(PARAGRAPH), Vec::new());
        assert_eq!(
            analyzer()
                .phrase_terms(&format!("盾构{PARAGRAPH}管片"), &WholeWords::default())
                .len(),
            2
        );
        assert!(!terms("盾构 管片").contains(&PARAGRAPH.to_string()));
    }

    #[test]
    fn every_chinese_character_is_a_term() {
        let t = terms("桥梁");
        assert!(t.contains(&"桥".to_string()) && t.contains(&"梁".to_string()));
    }

    #[test]
    fn dictionary_words_are_kept_whole_in_queries() {
        let pieces = analyzer().query_pieces("盾构机掘进");
        assert!(
            pieces.iter().any(|p| matches!(p, QueryPiece::Word(w) if w == "盾构机")),
            "{pieces:?}"
        );
    }

    #[test]
    fn a_word_is_its_ngrams_in_a_row() {
        let none = WholeWords::default();
        let word = QueryPiece::Word("一次合格率".into());
        assert_eq!(
            word.terms(&none),
            vec![(0, "一次合".to_string()), (2, "合格率".to_string())]
        );
        let four = QueryPiece::Word("同步注浆".into()).terms(&none);
        assert_eq!(four, vec![(0, "同步注".to_string()), (1, "步注浆".to_string())]);
        let six = QueryPiece::Word("焊接机器人臂".into()).terms(&none);
        assert_eq!(six, vec![(0, "焊接机".to_string()), (3, "器人臂".to_string())]);
        assert_eq!(
            QueryPiece::Word("接触网".into()).terms(&none),
            vec![(0, "接触网".to_string())]
        );
        assert_eq!(
            QueryPiece::Word("工程".into()).terms(&none),
            vec![(0, "工程".to_string())]
        );
        let toks = ZhTokenizer::default().analyze("在建工程");
        let bigram = toks.iter().find(|t| t.text == "工程").map(|t| (t.kind, t.position));
        assert_eq!(bigram, Some((TokenKind::Bigram, 2)));
        let trigram = toks.iter().find(|t| t.text == "建工程").map(|t| (t.kind, t.position));
        assert_eq!(trigram, Some((TokenKind::Trigram, 1)));
    }

    #[test]
    fn dictionary_words_of_four_characters_or_more_are_indexed_whole() {
        let words = WholeWords::from_staff_files(
            "一次合格率 3000 n\n一次检测合格率\n盾构机\nTBM掘进\n",
            &Synonyms::parse("合格率统计,合格率\n"),
        );
        assert_eq!(words.words(), ["一次合格率", "一次检测合格率", "合格率统计"]);
        let tokenizer = ZhTokenizer::new(SharedWords::new(Arc::new(words)));
        let toks = tokenizer.analyze("提高一次合格率统计，一次检测合格率");
        let whole: Vec<(&str, usize)> = toks
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| (t.text.as_str(), t.position))
            .collect();
        // Overlapping words are both kept; positions are their first characters'.
        assert_eq!(
            whole,
            vec![("一次合格率", 2), ("合格率统计", 4), ("一次检测合格率", 10)]
        );
        // A query asks for the whole word only where the index holds it.
        let indexed = tokenizer.words.get();
        let word = QueryPiece::Word("一次合格率".into());
        assert_eq!(word.terms(&indexed), vec![(0, "一次合格率".to_string())]);
        assert_eq!(word.terms(&WholeWords::default()).len(), 2);
        assert_eq!(
            analyzer().phrase_terms("“一次合格率”", &indexed),
            vec![(0, "一次合格率".to_string())]
        );
        // Across a space or punctuation it is not the word.
        assert!(!terms_with(&tokenizer, "一次，合格率").contains(&"一次合格率".to_string()));
    }

    #[test]
    fn whole_words_that_changed_are_listed_both_ways() {
        let old = WholeWords::from_words(["一次合格率".to_string(), "同步注浆".to_string()]);
        let new = WholeWords::from_words(["同步注浆".to_string(), "管片错台".to_string()]);
        let changed: Vec<&String> = old.differing(&new).collect();
        assert_eq!(changed, ["一次合格率", "管片错台"]);
        assert_eq!(old.common(&new).words(), ["同步注浆"]);
        assert!(old.differing(&old).next().is_none());
    }

    #[test]
    fn simplification_is_fast2s_own_character_by_character() {
        let fast2s = |text: &str| fast2s::convert(&text.chars().map(fold_char).collect::<String>());
        let every: String = ('\u{20}'..='\u{FFFF}').collect();
        assert_eq!(normalize(&every), fast2s(&every));
        for text in [
            "藉口",
            "憑藉",
            "慰藉",
            "看著",
            "著作",
            "苧麻",
            "闔家",
            "鍾書",
            "校讎",
            "計畫",
            "乾隆",
            "乾燥",
            "甚夥",
            "答覆",
            "覆蓋",
            "瞭望",
            "兒寬",
            "橋樑與隧道工程ＡＢＣ",
        ] {
            assert_eq!(normalize(text), fast2s(text), "{text}");
        }
    }

    #[test]
    fn traditional_and_width_fold_to_simplified() {
        assert_eq!(normalize("橋樑ＡＢＣ１２３"), "桥梁abc123");
        assert_eq!(normalize("橋梁").chars().count(), 2);
        assert_eq!(terms("橋梁"), terms("桥梁"));
    }

    #[test]
    fn english_is_lowercased_and_stemmed() {
        assert_eq!(terms("Tunnels"), vec!["tunnel"]);
        assert_eq!(
            analyzer().query_pieces("Monitoring"),
            vec![QueryPiece::Latin("monitor".into())]
        );
    }

    #[test]
    fn codes_are_whole_and_in_parts() {
        let t = terms("申请号CN202110345678.9已授权");
        assert!(t.contains(&"cn202110345678.9".to_string()), "{t:?}");
        assert!(t.contains(&"202110345678".to_string()), "{t:?}");
        let t = terms("GJEJGF008-2010");
        assert_eq!(t[0], "gjejgf008-2010");
        assert_eq!(
            analyzer().query_pieces("QB-SD-2022-11"),
            vec![QueryPiece::Code("qb-sd-2022-11".into())]
        );
        assert!(terms("E21D 11/08").contains(&"11/08".to_string()));
    }

    #[test]
    fn positions_count_units_and_punctuation_breaks_phrases() {
        let none = WholeWords::default();
        let toks = ZhTokenizer::default().analyze("盾构管片");
        let pos = |s: &str| toks.iter().find(|t| t.text == s).map(|t| t.position);
        assert_eq!(pos("盾"), Some(0));
        assert_eq!(pos("管"), Some(2));
        let phrase = analyzer().phrase_terms("盾构，管片", &none);
        assert_eq!(phrase, vec![(0, "盾构".into()), (3, "管片".into())]);
        assert_eq!(
            analyzer().phrase_terms("桥，梁", &none),
            vec![(0, "桥".into()), (2, "梁".into())]
        );
        let phrase = analyzer().phrase_terms("Shield TBM 掘进", &none);
        assert_eq!(
            phrase,
            vec![(0, "shield".into()), (1, "tbm".into()), (2, "掘进".into()),]
        );
    }

    #[test]
    fn query_chinese_is_cut_into_required_words() {
        let pieces = analyzer().query_pieces("隧道 一次合格率");
        let surfaces: Vec<String> = pieces.iter().map(QueryPiece::surface).collect();
        assert_eq!(surfaces, vec!["隧道", "一次合格率"]);
    }

    #[test]
    fn characters_left_single_stand_together_unless_relaxed() {
        let a = analyzer();
        let surfaces = |pieces: Vec<QueryPiece>| pieces.iter().map(QueryPiece::surface).collect::<Vec<_>>();
        // Unknown to jieba: one word, matched as a pair term.
        assert_eq!(a.query_pieces("顶推"), vec![QueryPiece::Word("顶推".into())]);
        assert_eq!(
            a.query_pieces("顶推")[0].terms(&WholeWords::default()),
            vec![(0, "顶推".to_string())]
        );
        assert_eq!(surfaces(a.query_pieces("桥梁顶推")), vec!["桥梁", "顶推"]);
        assert_eq!(surfaces(a.loose_pieces("桥梁顶推")), vec!["桥梁", "顶", "推"]);
        // A character typed alone, or alone between words, stays one.
        assert_eq!(a.query_pieces("顶"), vec![QueryPiece::Char("顶".into())]);
        assert!(a.query_pieces("顶 推").iter().all(|p| matches!(p, QueryPiece::Char(_))));
        assert_eq!(a.query_pieces("盾构 修").last(), Some(&QueryPiece::Char("修".into())));
        // A code without its dash: whole, and loosely its letters and digits.
        assert_eq!(surfaces(a.query_pieces("ZPW2000A")), vec!["zpw2000a"]);
        assert_eq!(surfaces(a.loose_pieces("ZPW2000A")), vec!["zpw", "2000"]);
        assert_eq!(surfaces(a.loose_pieces("tunnel")), vec!["tunnel"]);
    }

    #[test]
    fn question_words_stand_apart_and_are_known_as_fillers() {
        let a = analyzer();
        let surfaces = |pieces: &[QueryPiece]| pieces.iter().map(QueryPiece::surface).collect::<Vec<_>>();
        let fillers = |text: &str| {
            a.query_pieces(text)
                .iter()
                .filter(|p| a.is_filler(p))
                .map(QueryPiece::surface)
                .collect::<Vec<_>>()
        };
        let pieces = a.query_pieces("管片错台怎么修");
        assert_eq!(surfaces(&pieces), vec!["管片", "错台", "怎么", "修"]);
        assert_eq!(fillers("管片错台怎么修"), vec!["怎么"]);
        // A filler character is not joined to its unknown neighbours.
        assert_eq!(surfaces(&a.query_pieces("顶推吗")), vec!["顶推", "吗"]);
        assert_eq!(fillers("顶推吗"), vec!["吗"]);
        assert_eq!(fillers("请问有没有焊接的方法"), vec!["请问", "有没有", "的"]);
        assert_eq!(fillers("为什么 吊弦 会断呢"), vec!["为什么", "会", "呢"]);
        assert_eq!(fillers("How to repair the segments"), vec!["how", "to", "the"]);
        assert_eq!(fillers("What is a catenary"), vec!["what", "is", "a"]);
        // Domain words and codes are never fillers, nor a word holding one.
        assert!(fillers("目的 盾构 接触网 GJEJGF245-2016 welding").is_empty());
        assert!(!a.is_filler(&QueryPiece::Code("the-1".into())));
    }

    #[test]
    fn odd_input_never_panics() {
        for text in ["", "\"", "((", "😀😀", "\u{0}", "---", "a-", "-a", "．", "𠀀𠀁"] {
            let _ = ZhTokenizer::default().analyze(text);
            let _ = analyzer().query_pieces(text);
            let _ = analyzer().phrase_terms(text, &WholeWords::default());
        }
    }

    #[test]
    fn synonyms_group_terms() {
        let s = Synonyms::parse("# c\n城轨,城市轨道交通，地铁\nsolo\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s.group_of("地铁").map(|g| g.len()), Some(3));
        assert!(s.group_of("solo").is_none());
        let s = Synonyms::parse("挂篮,悬臂浇筑挂篮,挂篮设备\nrail,guardrail\n");
        assert_eq!(s.to_search("悬臂浇筑挂篮"), Some(vec!["挂篮"]));
        assert_eq!(s.to_search("rail"), Some(vec!["rail", "guardrail"]));
    }

    #[test]
    fn fingerprint_follows_dictionary() {
        assert_ne!(Analyzer::new("a").fingerprint(), Analyzer::new("b").fingerprint());
    }
}
