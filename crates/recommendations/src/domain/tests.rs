//! Unit tests of the recommendations' rules.

use super::*;

fn skus(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn edge(other: &str, weight: i64, total: i64) -> Edge {
    Edge {
        other: other.to_owned(),
        weight,
        total,
    }
}

#[test]
fn limits_default_to_eight_and_stop_at_fifty() {
    assert_eq!(limit(0).unwrap(), 8);
    assert_eq!(limit(50).unwrap(), 50);
    assert_eq!(limit(51).unwrap_err().field, "limit");
}

#[test]
fn a_basket_holds_each_product_once_and_a_bulk_order_makes_no_pairs() {
    assert_eq!(basket(skus(&["b-1", "A-1", "B-1"])), ["A-1", "B-1"]);
    assert!(pairs(&skus(&["A", "B", "C"]), 2).is_empty());
}

#[test]
fn pairs_go_both_ways_in_one_order() {
    assert_eq!(
        pairs(&skus(&["A", "B", "C"]), 20),
        [
            ("A", "B"),
            ("A", "C"),
            ("B", "A"),
            ("B", "C"),
            ("C", "A"),
            ("C", "B")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(pairs(&skus(&["A"]), 20).is_empty());
}

#[test]
fn direct_neighbours_rank_above_two_hops_and_seeds_are_left_out() {
    // A was bought with B three times and with C once; B was bought with D twice.
    let graph: HashMap<String, Vec<Edge>> = [
        ("A", vec![edge("B", 3, 4), edge("C", 1, 4)]),
        ("B", vec![edge("A", 3, 5), edge("D", 2, 5)]),
        ("C", vec![edge("A", 1, 1)]),
        ("D", vec![edge("B", 2, 2)]),
    ]
    .into_iter()
    .map(|(sku, edges)| (sku.to_owned(), edges))
    .collect();
    let ranked = two_hops(&skus(&["A"]), &graph, &BTreeSet::new(), 10);
    let order: Vec<&str> = ranked.iter().map(|(sku, _)| sku.as_str()).collect();
    assert_eq!(order, ["B", "C", "D"]);
    assert_eq!(ranked[0].1, 3.0);
    // D: a quarter of A's weight went to B (3 of 4), two fifths of B's to D, a quarter again.
    assert!((ranked[2].1 - 0.25 * 0.75 * 0.4 * 3.0).abs() < 1e-9);
    let without_c: BTreeSet<String> = ["C".to_owned()].into();
    let ranked = two_hops(&skus(&["A"]), &graph, &without_c, 1);
    assert_eq!(ranked, [("B".to_owned(), 3.0)]);
}

#[test]
fn days_count_from_the_epoch() {
    assert_eq!(day_of(0), 0);
    assert_eq!(day_of(86_400_000 * 3 + 5), 3);
}
