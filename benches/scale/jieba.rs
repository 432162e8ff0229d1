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
}

impl JiebaTokenizer {
    /// jieba's own dictionary and the corpus's `dictionary.txt` (one word
    /// a line, optionally a frequency and a tag).
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
        JiebaTokenizer { jieba: Arc::new(jieba) }
    }
}

pub struct Tokens {
    tokens: Vec<Token>,
    at: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut tokens = Vec::new();
        for word in self.jieba.cut(text, true) {
            if !word.word.chars().any(char::is_alphanumeric) {
                continue;
            }
            tokens.push(Token {
                offset_from: word.byte_start,
                offset_to: word.byte_end,
                position: tokens.len(),
                text: word.word.to_lowercase(),
                position_length: 1,
            });
        }
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
