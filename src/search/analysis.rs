//! Text analysis shared by indexing and querying: normalisation, Chinese
//! segmentation, English stemming and code handling, and the staff-edited
//! dictionary and synonym files.
//!
//! Everything that turns text into terms lives here so that the index and
//! the query side can never disagree. It knows nothing about tantivy's
//! schema or about records; `ZhTokenizer` is the thin adapter tantivy calls.
//!
//! Positions count *units*: every Chinese character is one unit, every
//! Latin word or code is one unit (a code with parts takes one per part),
//! and every punctuation mark is one unit. Jieba words sit at the position
//! of their first character, beside the per-character terms, so a phrase
//! query can be written with characters and match whatever way jieba cut
//! the document, and a phrase never runs across punctuation.

use std::collections::HashMap;
use std::sync::Arc;

use frostem::{Algorithm, Stemmer};
use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Bump when the analysis changes in a way that needs a re-index.
const ANALYZER_VERSION: &str = "zh-analyzer-3";

/// What an index-time token is; the query side picks by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// One Chinese character.
    Char,
    /// A jieba word of two or more Chinese characters.
    Word,
    /// A Latin word (stemmed) or a number.
    Latin,
    /// A code kept whole (`cn202110345678.9`, `qb-sd-2022-11`).
    Code,
    /// One part of a code, between its connectors.
    CodePart,
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
    /// A Chinese word: matches the word term, or its characters in a row.
    Word { word: String, chars: Vec<String> },
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
            QueryPiece::Word { chars, .. } => chars.concat(),
            QueryPiece::Char(s) | QueryPiece::Latin(s) | QueryPiece::Code(s) => s.clone(),
        }
    }
}

pub struct Analyzer {
    jieba: Jieba,
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
    let folded: String = text.chars().map(fold_char).collect();
    fast2s::convert(&folded)
}

fn fold_char(c: char) -> char {
    match c {
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
    Cjk { start: usize, end: usize },
    Alnum { start: usize, end: usize },
    Punct,
    Space,
}

fn runs(chars: &[char]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            out.push(Run::Cjk { start, end: i });
        } else if is_word_char(c) {
            let start = i;
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
            out.push(Run::Alnum { start, end: i });
        } else {
            out.push(if c.is_whitespace() { Run::Space } else { Run::Punct });
            i += 1;
        }
    }
    out
}

impl Analyzer {
    /// Builds the analyzer with the staff dictionary (`word [freq] [tag]`
    /// per line, `#` comments) added to jieba's own.
    pub fn new(dictionary: &str) -> Self {
        let mut jieba = Jieba::new();
        for (word, freq, tag) in parse_dictionary(dictionary) {
            jieba.add_word(&word, freq, tag.as_deref());
        }
        let fingerprint = Self::fingerprint_of(dictionary);
        Analyzer {
            jieba,
            stemmer: Stemmer::new(Algorithm::English),
            fingerprint,
        }
    }

    /// The fingerprint an analyzer built from `dictionary` would have,
    /// without the cost of building it (loading jieba's dictionary).
    pub fn fingerprint_of(dictionary: &str) -> String {
        blake3::hash(format!("{ANALYZER_VERSION}\n{dictionary}").as_bytes())
            .to_hex()
            .to_string()
    }

    /// Changes whenever indexing the same text could give other terms.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn stem(&self, word: &str) -> String {
        if word.chars().all(|c| c.is_ascii_alphabetic()) {
            self.stemmer.stem(word).into_owned()
        } else {
            word.to_string()
        }
    }

    /// Index-time analysis: every term the text should be findable by.
    pub fn analyze(&self, text: &str) -> Vec<Tok> {
        let normalized = normalize(text);
        let chars: Vec<char> = normalized.chars().collect();
        let mut out = Vec::with_capacity(chars.len() * 2);
        let mut unit = 0usize;
        for run in runs(&chars) {
            match run {
                Run::Space => {}
                Run::Punct => unit += 1,
                Run::Cjk { start, end } => {
                    let slice: String = chars[start..end].iter().collect();
                    for (i, c) in chars[start..end].iter().enumerate() {
                        out.push(Tok {
                            text: c.to_string(),
                            kind: TokenKind::Char,
                            position: unit + i,
                            start: start + i,
                            end: start + i + 1,
                        });
                    }
                    for t in self.jieba.cut_for_search(&slice, false) {
                        if t.end - t.start >= 2 {
                            out.push(Tok {
                                text: t.word.to_string(),
                                kind: TokenKind::Word,
                                position: unit + t.start,
                                start: start + t.start,
                                end: start + t.end,
                            });
                        }
                    }
                    unit += end - start;
                }
                Run::Alnum { start, end } => {
                    unit += self.alnum_tokens(&chars, start, end, unit, &mut out);
                }
            }
        }
        out
    }

    /// Emits the tokens of one alphanumeric run and returns the units it takes.
    fn alnum_tokens(&self, chars: &[char], start: usize, end: usize, unit: usize, out: &mut Vec<Tok>) -> usize {
        let whole: String = chars[start..end].iter().collect();
        if !whole.chars().any(is_connector) {
            out.push(Tok {
                text: self.stem(&whole),
                kind: TokenKind::Latin,
                position: unit,
                start,
                end,
            });
            push_digits(&whole, unit, start, out);
            return 1;
        }
        out.push(Tok {
            text: whole.clone(),
            kind: TokenKind::Code,
            position: unit,
            start,
            end,
        });
        let mut offset = start;
        let mut parts = 0;
        for part in whole.split(is_connector) {
            let len = part.chars().count();
            out.push(Tok {
                text: part.to_string(),
                kind: TokenKind::CodePart,
                position: unit + parts,
                start: offset,
                end: offset + len,
            });
            push_digits(part, unit + parts, offset, out);
            offset += len + 1;
            parts += 1;
        }
        parts
    }

    /// Query-time analysis of one plain word: the pieces that must all
    /// match. Chinese is cut in precise mode, so 在建工程 asks for 在建 and
    /// 工程 without requiring them side by side.
    pub fn query_pieces(&self, text: &str) -> Vec<QueryPiece> {
        let normalized = normalize(text);
        let chars: Vec<char> = normalized.chars().collect();
        let mut out = Vec::new();
        for run in runs(&chars) {
            match run {
                Run::Space | Run::Punct => {}
                Run::Cjk { start, end } => {
                    let slice: String = chars[start..end].iter().collect();
                    for t in self.jieba.cut(&slice, false) {
                        if t.end - t.start >= 2 {
                            out.push(QueryPiece::Word {
                                word: t.word.to_string(),
                                chars: t.word.chars().map(String::from).collect(),
                            });
                        } else {
                            out.push(QueryPiece::Char(t.word.to_string()));
                        }
                    }
                }
                Run::Alnum { start, end } => {
                    let whole: String = chars[start..end].iter().collect();
                    if whole.chars().any(is_connector) {
                        out.push(QueryPiece::Code(whole));
                    } else {
                        out.push(QueryPiece::Latin(self.stem(&whole)));
                    }
                }
            }
        }
        out
    }

    /// The tokens a phrase query is made of: one per unit (characters,
    /// Latin words, whole codes), with their unit positions.
    pub fn phrase_terms(&self, text: &str) -> Vec<(usize, String)> {
        let tokens = self.analyze(text);
        let first = tokens.first().map(|t| t.position).unwrap_or(0);
        tokens
            .into_iter()
            .filter(|t| matches!(t.kind, TokenKind::Char | TokenKind::Latin | TokenKind::Code))
            .map(|t| (t.position - first, t.text))
            .collect()
    }

    /// The stem a Latin word of a document is indexed under.
    pub fn stem_latin(&self, word: &str) -> String {
        self.stem(&normalize(word))
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

fn parse_dictionary(text: &str) -> Vec<(String, Option<usize>, Option<String>)> {
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

    /// The group of `term` (normalised), if it has one.
    pub fn group_of(&self, term: &str) -> Option<&[String]> {
        self.by_term.get(term).map(|&i| self.groups[i].as_slice())
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// tantivy's handle on the analyzer.
#[derive(Clone)]
pub struct ZhTokenizer(pub Arc<Analyzer>);

pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
        let tokens = self
            .0
            .analyze(text)
            .into_iter()
            .map(|t| Token {
                offset_from: byte_at[t.start],
                offset_to: byte_at[t.end],
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
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
        analyzer().analyze(text).into_iter().map(|t| t.text).collect()
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
    fn every_chinese_character_is_a_term() {
        let t = terms("桥梁");
        assert!(t.contains(&"桥".to_string()) && t.contains(&"梁".to_string()));
    }

    #[test]
    fn dictionary_words_are_kept_whole() {
        let t = terms("更换接触网吊弦");
        assert!(t.contains(&"接触网".to_string()), "{t:?}");
        let pieces = analyzer().query_pieces("盾构机掘进");
        assert!(
            pieces
                .iter()
                .any(|p| matches!(p, QueryPiece::Word { word, .. } if word == "盾构机")),
            "{pieces:?}"
        );
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
        let toks = analyzer().analyze("盾构管片");
        let pos = |s: &str| toks.iter().find(|t| t.text == s).map(|t| t.position);
        assert_eq!(pos("盾"), Some(0));
        assert_eq!(pos("管"), Some(2));
        let phrase = analyzer().phrase_terms("盾构，管片");
        assert_eq!(phrase.iter().find(|(_, t)| t == "管").map(|p| p.0), Some(3));
        let phrase = analyzer().phrase_terms("Shield TBM 掘进");
        assert_eq!(
            phrase,
            vec![
                (0, "shield".into()),
                (1, "tbm".into()),
                (2, "掘".into()),
                (3, "进".into())
            ]
        );
    }

    #[test]
    fn query_chinese_is_cut_into_required_words() {
        let pieces = analyzer().query_pieces("隧道 一次合格率");
        let surfaces: Vec<String> = pieces.iter().map(QueryPiece::surface).collect();
        assert_eq!(surfaces, vec!["隧道", "一次合格率"]);
    }

    #[test]
    fn odd_input_never_panics() {
        for text in ["", "\"", "((", "😀😀", "\u{0}", "---", "a-", "-a", "．", "𠀀𠀁"] {
            let _ = analyzer().analyze(text);
            let _ = analyzer().query_pieces(text);
            let _ = analyzer().phrase_terms(text);
        }
    }

    #[test]
    fn synonyms_group_terms() {
        let s = Synonyms::parse("# c\n城轨,城市轨道交通，地铁\nsolo\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s.group_of("地铁").map(|g| g.len()), Some(3));
        assert!(s.group_of("solo").is_none());
    }

    #[test]
    fn fingerprint_follows_dictionary() {
        assert_ne!(Analyzer::new("a").fingerprint(), Analyzer::new("b").fingerprint());
    }
}
