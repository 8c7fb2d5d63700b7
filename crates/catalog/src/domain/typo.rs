//! Typo tolerance for the keyword ranking: the words the catalog's texts use, and the nearest
//! of them to a word they do not (one edit for short words, two for long ones; a swap of two
//! neighbouring letters is one edit). No IO here.

use std::collections::HashMap;

/// Words shorter than this are never corrected: too many words are one edit from them.
const SHORTEST_CORRECTED: usize = 4;
/// Words at least this long may be two edits from what was meant.
const TWO_EDITS_FROM: usize = 8;

/// Every word of the catalog's texts and how many products use it.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    counts: HashMap<String, u32>,
    /// How many products' texts were counted.
    products: u32,
    /// The words by length, so a correction only compares words that could be close enough.
    by_length: HashMap<usize, Vec<String>>,
}

impl Vocabulary {
    /// Counts the words of one product's text (each word once per product).
    pub fn add(&mut self, text: &str) {
        self.products += 1;
        let mut seen: Vec<String> = words(text).collect();
        seen.sort();
        seen.dedup();
        for word in seen {
            let count = self.counts.entry(word.clone()).or_default();
            if *count == 0 {
                self.by_length
                    .entry(word.chars().count())
                    .or_default()
                    .push(word);
            }
            *count += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn contains(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// How many products' texts were counted.
    pub fn products(&self) -> u32 {
        self.products
    }

    /// How many products use `word` (0 for a word no product uses).
    pub fn count(&self, word: &str) -> u32 {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// `terms` with each word the catalog does not use replaced by the closest word it uses
    /// (the most used among equally close ones), or `None` when nothing needed correcting.
    pub fn correct(&self, terms: &[String]) -> Option<Vec<String>> {
        let mut changed = false;
        let last = terms.len().saturating_sub(1);
        let corrected = terms
            .iter()
            .enumerate()
            .map(
                |(position, term)| match self.nearest(term, position == last) {
                    Some(word) => {
                        changed = true;
                        word
                    }
                    None => term.clone(),
                },
            )
            .collect();
        changed.then_some(corrected)
    }

    /// The word meant by `term`; the last term of a query may be a word still being typed.
    fn nearest(&self, term: &str, last: bool) -> Option<String> {
        let length = term.chars().count();
        if length < SHORTEST_CORRECTED || self.contains(term) || (last && self.is_prefix(term)) {
            return None;
        }
        let allowed = if length >= TWO_EDITS_FROM { 2 } else { 1 };
        let mut best: Option<(usize, u32, &str)> = None;
        for candidate_length in length.saturating_sub(allowed)..=length + allowed {
            for word in self.by_length.get(&candidate_length).into_iter().flatten() {
                let Some(distance) = edit_distance(term, word, allowed) else {
                    continue;
                };
                let count = self.counts[word];
                let better = best.is_none_or(|(best_distance, best_count, best_word)| {
                    (distance, std::cmp::Reverse(count), word.as_str())
                        < (best_distance, std::cmp::Reverse(best_count), best_word)
                });
                if better {
                    best = Some((distance, count, word));
                }
            }
        }
        best.map(|(_, _, word)| word.to_owned())
    }

    /// Whether some word starts with `term`: the search takes the last word as a prefix, so
    /// the last word still being typed is not a typo.
    fn is_prefix(&self, term: &str) -> bool {
        let length = term.chars().count();
        self.by_length
            .iter()
            .filter(|(word_length, _)| **word_length > length)
            .flat_map(|(_, words)| words)
            .any(|word| word.starts_with(term))
    }
}

/// The lower-case words of `text`, as the search splits a query.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours), or `None` when it is above `limit`.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    rows[0] = (0..width).collect();
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[current][0] = i;
        let mut smallest = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[previous][j] + 1)
                .min(rows[current][j - 1] + 1)
                .min(rows[previous][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = value;
            smallest = smallest.min(value);
        }
        if smallest > limit {
            return None;
        }
    }
    let distance = rows[a.len() % 3][b.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
#[path = "typo_tests.rs"]
mod tests;
