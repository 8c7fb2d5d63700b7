//! The search-quality benchmark (`crates/catalog/benchmark/queries.jsonl`, graded by hand
//! against the seed) run through the shop's own search in its three modes, as
//! `emporium search-quality` runs it. Quality, unlike time, is deterministic, so the floor is a
//! test: hybrid's nDCG@10 at least 15% above keyword's. `--nocapture` prints the table.

use emporium::quality::{QualityArgs, run};

use crate::TestShop;

#[tokio::test]
async fn hybrid_search_ranks_better_than_keyword_search_on_the_labelled_set() {
    let shop = TestShop::spawn("sqlite").await;
    let args = QualityArgs {
        url: shop.base_url.clone(),
        depth: 50,
    };
    let scores = run(&args).await.unwrap();
    println!("{}", scores.table());
    let keyword = scores.mean("all", "keyword")[0];
    let vector = scores.mean("all", "vector")[0];
    let hybrid = scores.mean("all", "hybrid")[0];
    assert!(
        keyword > 0.2,
        "keyword search finds the exact names: {keyword:.3}"
    );
    assert!(
        vector > keyword,
        "meaning beats words on this set: {vector:.3} against {keyword:.3}"
    );
    // The target: hybrid at least 15% above keyword (deterministic, so a test).
    assert!(
        hybrid >= keyword * 1.15,
        "hybrid nDCG@10 {hybrid:.3} is not 15% above keyword {keyword:.3}"
    );
}
