//! jieba's words as index terms, for the rebuild comparison: what tantivy
//! pays to index the same records cut into words (each token once, by
//! jieba with HMM and the corpus's dictionary, Latin lower-cased, spaces
//! and punctuation left out) instead of Zhihui's characters, pairs and
//! triples.

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

#[derive(Clone)]
pub struct JiebaTokenizer {
    jieba: Arc<Jieba>,
    /// jieba's HMM for words its dictionary lacks.
    hmm: bool,
}

impl JiebaTokenizer {
    /// jieba's own dictionary and the corpus's `dictionary.txt` (one word
    /// a line, optionally a frequency and a tag), with the HMM.
    pub fn new(dictionary: &str) -> JiebaTokenizer {
        let mut jieba = Jieba::new();
        for line in dictionary.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else {
                continue;
            };
            let freq = parts.next().and_then(|f| f.parse().ok());
            jieba.add_word(word, freq, parts.next());
        }
        JiebaTokenizer::with(Arc::new(jieba), true)
    }

    pub fn with(jieba: Arc<Jieba>, hmm: bool) -> JiebaTokenizer {
        JiebaTokenizer { jieba, hmm }
    }

    /// The words of `text` as (byte start, byte end, lower-cased word),
    /// spaces and punctuation left out.
    pub fn words(&self, text: &str) -> Vec<(usize, usize, String)> {
        self.jieba
            .cut(text, self.hmm)
            .into_iter()
            .filter(|w| w.word.chars().any(char::is_alphanumeric))
            .map(|w| (w.byte_start, w.byte_end, w.word.to_lowercase()))
            .collect()
    }
}

pub struct Tokens {
    tokens: Vec<Token>,
    at: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let tokens = self
            .words(text)
            .into_iter()
            .enumerate()
            .map(|(position, (offset_from, offset_to, text))| Token {
                offset_from,
                offset_to,
                position,
                text,
                position_length: 1,
            })
            .collect();
        Tokens { tokens, at: 0 }
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.at += 1;
        self.at <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}
