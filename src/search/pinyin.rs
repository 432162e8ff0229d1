//! Pinyin for search-as-you-type: `dungou` typed on a keyboard without a
//! Chinese input method suggests what 盾构 would. The words it can stand
//! for are the domain terms staff keep (the dictionary and the Chinese
//! members of synonym groups), read in toneless pinyin with the `pinyin`
//! crate; a few hundred terms are read per keystroke in microseconds, so
//! nothing is kept between requests.

use pinyin::ToPinyin;

/// Most words one pinyin spelling is taken to stand for.
const MAX_WORDS: usize = 4;

/// Whether `typed` looks like pinyin: Latin letters only, two or more.
pub fn looks_like_pinyin(typed: &str) -> bool {
    let t = typed.trim();
    t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
}

/// The toneless pinyin of a Chinese word, syllables joined (`盾构` →
/// `dungou`), or `None` when a character has no reading.
pub fn spelling(word: &str) -> Option<String> {
    let mut out = String::new();
    for reading in word.to_pinyin() {
        out.push_str(reading?.plain());
    }
    (!out.is_empty()).then_some(out)
}

/// The words whose pinyin starts with what was typed (spaces and case
/// ignored): whole spellings first, then the shortest, at most four.
pub fn words_for<'a>(typed: &str, words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if typed.len() < 2 {
        return Vec::new();
    }
    let mut found: Vec<(bool, usize, String)> = words
        .into_iter()
        .filter(|w| w.chars().all(super::analysis::is_cjk))
        .filter_map(|w| {
            let spelt = spelling(w)?;
            spelt
                .starts_with(&typed)
                .then(|| (spelt != typed, w.chars().count(), w.to_string()))
        })
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.2 == b.2);
    found.into_iter().take(MAX_WORDS).map(|(_, _, w)| w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_finds_the_domain_words_it_spells() {
        let words = ["盾构", "盾构机", "管片", "顶推", "接触网", "TBM"];
        assert_eq!(spelling("盾构").as_deref(), Some("dungou"));
        assert_eq!(words_for("dungou", words), vec!["盾构", "盾构机"]);
        assert_eq!(words_for("DunGou Ji", words), vec!["盾构机"]);
        assert_eq!(words_for("guanp", words), vec!["管片"]);
        assert_eq!(words_for("jiechuwang", words), vec!["接触网"]);
        assert!(words_for("x", words).is_empty());
        assert!(words_for("tbm", words).is_empty());
        assert!(looks_like_pinyin("dungou"));
        assert!(!looks_like_pinyin("盾构"));
        assert!(!looks_like_pinyin("cn2021"));
    }
}
