//! A set of small numbers as one bit each: a segment's documents (matches,
//! what a viewer may see, who holds a facet value) or the characters of a
//! Unicode plane. It knows nothing about what the numbers are.

/// The numbers below `len` that are in the set.
#[derive(Debug, Clone)]
pub struct Bitset {
    words: Vec<u64>,
    len: usize,
}

impl Bitset {
    /// An empty set of numbers below `len`.
    pub fn new(len: usize) -> Bitset {
        Bitset {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    /// Whether `i` is in the set; nothing at or past `len` is.
    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// How many numbers both sets hold, a word at a time.
    pub fn shared(&self, other: &Bitset) -> u32 {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones())
            .sum()
    }

    /// How many 64-number words it takes: the cost of `shared`.
    pub fn words(&self) -> usize {
        self.words.len()
    }

    /// The numbers in the set, in order.
    pub fn ones(&self) -> Positions<'_> {
        Positions::new(&self.words, 0, self.len)
    }

    /// The numbers below `len` not in the set, in order.
    pub fn zeros(&self) -> Positions<'_> {
        Positions::new(&self.words, u64::MAX, self.len)
    }
}

/// The positions of a bitset's ones, or (flipped) of its zeros.
pub struct Positions<'a> {
    words: &'a [u64],
    flip: u64,
    len: usize,
    at: usize,
    word: u64,
}

impl<'a> Positions<'a> {
    fn new(words: &'a [u64], flip: u64, len: usize) -> Positions<'a> {
        let word = words.first().map_or(0, |w| w ^ flip);
        Positions {
            words,
            flip,
            len,
            at: 0,
            word,
        }
    }
}

impl Iterator for Positions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.word == 0 {
            self.at += 1;
            self.word = self.words.get(self.at)? ^ self.flip;
        }
        let i = self.at * 64 + self.word.trailing_zeros() as usize;
        self.word &= self.word - 1;
        (i < self.len).then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ones_zeros_and_shared_bits() {
        let mut a = Bitset::new(130);
        for i in [0, 63, 64, 129] {
            a.insert(i);
        }
        assert_eq!(a.ones().collect::<Vec<_>>(), vec![0, 63, 64, 129]);
        assert_eq!(a.zeros().count(), 126);
        assert!(!a.zeros().any(|i| a.contains(i) || i >= 130));
        assert!(a.contains(129) && !a.contains(128) && !a.contains(500));
        let mut b = Bitset::new(130);
        b.insert(64);
        b.insert(65);
        assert_eq!(a.shared(&b), 1);
        assert_eq!(Bitset::new(0).ones().count() + Bitset::new(0).zeros().count(), 0);
    }
}
