//! Ranking quality against graded relevance labels: nDCG@k, recall@k and the reciprocal rank,
//! and reciprocal rank fusion, which merges rankings by position alone. Pure functions.

use std::collections::HashMap;

/// The discounted cumulative gain of `ranking`'s first `k` keys under `grades` (gain 2^g - 1).
fn dcg(ranking: &[String], grades: &HashMap<String, u32>, k: usize) -> f64 {
    ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(position, key)| {
            let grade = grades.get(key).copied().unwrap_or(0);
            (2f64.powi(grade as i32) - 1.0) / ((position + 2) as f64).log2()
        })
        .sum()
}

/// nDCG@k: the ranking's gain over the best possible one's; 0 when nothing is relevant.
pub fn ndcg(ranking: &[String], grades: &HashMap<String, u32>, k: usize) -> f64 {
    let mut ideal: Vec<(String, u32)> = grades
        .iter()
        .map(|(key, grade)| (key.clone(), *grade))
        .collect();
    ideal.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let ideal: Vec<String> = ideal.into_iter().map(|(key, _)| key).collect();
    let best = dcg(&ideal, grades, k);
    if best == 0.0 {
        0.0
    } else {
        dcg(ranking, grades, k) / best
    }
}

/// The share of the relevant keys (grade 1 or more) found in the first `k`.
pub fn recall(ranking: &[String], grades: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = grades.values().filter(|grade| **grade > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|key| grades.get(*key).is_some_and(|grade| *grade > 0))
        .count();
    found as f64 / relevant as f64
}

/// 1 / the position of the first relevant key; 0 when none is ranked.
pub fn reciprocal_rank(ranking: &[String], grades: &HashMap<String, u32>) -> f64 {
    ranking
        .iter()
        .position(|key| grades.get(key).is_some_and(|grade| *grade > 0))
        .map_or(0.0, |position| 1.0 / (position + 1) as f64)
}

/// Reciprocal rank fusion (Cormack et al., 2009): each key scores the sum of
/// `weight / (k + position)` over the rankings it appears in (positions from 1); the fused
/// ranking, best first, ties by key.
pub fn reciprocal_rank_fusion(rankings: &[(&[String], f64)], k: f64) -> Vec<(String, f64)> {
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for (ranking, weight) in rankings {
        for (position, key) in ranking.iter().enumerate() {
            *scores.entry(key.as_str()).or_default() += weight / (k + (position + 1) as f64);
        }
    }
    let mut fused: Vec<(String, f64)> = scores
        .into_iter()
        .map(|(key, score)| (key.to_owned(), score))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|key| (*key).to_owned()).collect()
    }

    fn grades() -> HashMap<String, u32> {
        HashMap::from([
            ("a".to_owned(), 3),
            ("b".to_owned(), 1),
            ("c".to_owned(), 0),
        ])
    }

    #[test]
    fn the_ideal_ranking_scores_one_and_worse_ones_less() {
        assert!((ndcg(&keys(&["a", "b"]), &grades(), 10) - 1.0).abs() < 1e-9);
        let swapped = ndcg(&keys(&["b", "a"]), &grades(), 10);
        assert!(swapped < 1.0 && swapped > 0.5, "{swapped}");
        assert_eq!(ndcg(&keys(&["x", "y"]), &grades(), 10), 0.0);
        assert_eq!(ndcg(&keys(&["a"]), &HashMap::new(), 10), 0.0);
        // Gains 7 and 1 against the ideal 7 + 1/log2(3); swapped: 1 + 7/log2(3).
        let expected = (1.0 + 7.0 / 3f64.log2()) / (7.0 + 1.0 / 3f64.log2());
        assert!((swapped - expected).abs() < 1e-9);
    }

    #[test]
    fn recall_and_reciprocal_rank_count_only_relevant_keys() {
        assert_eq!(recall(&keys(&["c", "a", "x"]), &grades(), 10), 0.5);
        assert_eq!(recall(&keys(&["c", "a", "b"]), &grades(), 2), 0.5);
        assert_eq!(
            reciprocal_rank(&keys(&["c", "x", "b"]), &grades()),
            1.0 / 3.0
        );
        assert_eq!(reciprocal_rank(&keys(&["c"]), &grades()), 0.0);
    }

    #[test]
    fn fusion_rewards_keys_both_rankings_agree_on() {
        let keyword = keys(&["a", "b", "c"]);
        let vector = keys(&["d", "b", "a"]);
        let fused = reciprocal_rank_fusion(&[(&keyword, 1.0), (&vector, 1.0)], 60.0);
        let order: Vec<&str> = fused.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(order, ["a", "b", "d", "c"]);
        // Weights: the keyword ranking out of it, the vector one decides.
        let weighted = reciprocal_rank_fusion(&[(&keyword, 0.0), (&vector, 1.0)], 60.0);
        let order: Vec<&str> = weighted.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(order[..3], ["d", "b", "a"]);
    }
}
