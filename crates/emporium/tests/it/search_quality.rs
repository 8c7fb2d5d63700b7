//! The search-quality benchmark (`crates/catalog/benchmark/queries.jsonl`, graded by hand
//! against the seed) scored for three rankings: the shop's keyword search through the REST API,
//! vector search with the bundled model over the products' texts, and the two fused by
//! reciprocal rank fusion. Quality, unlike time, is deterministic, so the floor is a test:
//! hybrid's nDCG@10 at least 15% above keyword's. `--nocapture` prints the table. The fusion
//! happens here for now; the catalog's own search takes it over next.

use std::collections::{BTreeMap, HashMap};

use semantic::quality::{ndcg, recall, reciprocal_rank, reciprocal_rank_fusion};
use semantic::{Embedder as _, ExactIndex, StaticEmbedder, VectorIndex as _};
use serde_json::Value;

use crate::TestShop;

/// How many results each ranking contributes before fusion.
const DEPTH: usize = 50;

struct Query {
    kind: String,
    text: String,
    grades: HashMap<String, u32>,
}

fn queries() -> Vec<Query> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/benchmark/queries.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let query: Value = serde_json::from_str(line).unwrap();
            Query {
                kind: query["kind"].as_str().unwrap().to_owned(),
                text: query["query"].as_str().unwrap().to_owned(),
                grades: query["relevant"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(sku, grade)| (sku.clone(), grade.as_u64().unwrap() as u32))
                    .collect(),
            }
        })
        .collect()
}

/// What a product's vector is made from: its name, category, main attributes and description.
fn product_text(product: &Value) -> String {
    let attributes = &product["attributes"];
    let mut text = format!(
        "{}. {}.",
        product["name"].as_str().unwrap_or_default(),
        product["category"].as_str().unwrap_or_default()
    );
    for name in ["brand", "material", "color", "style", "use"] {
        if let Some(value) = attributes[name].as_str() {
            text.push(' ');
            text.push_str(value);
        }
    }
    text.push_str(". ");
    text.push_str(product["description"].as_str().unwrap_or_default());
    text
}

/// Every product, read page by page from the REST API.
async fn all_products(shop: &TestShop) -> Vec<Value> {
    let mut products = Vec::new();
    let mut path = "/api/v1/products?page_size=100".to_owned();
    loop {
        let page = shop.get_json(&path, None).await;
        products.extend(page["products"].as_array().unwrap().iter().cloned());
        match page["next_page_token"].as_str() {
            Some(next) if !next.is_empty() => {
                path = format!("/api/v1/products?page_size=100&page_token={next}");
            }
            _ => return products,
        }
    }
}

async fn keyword(shop: &TestShop, query: &str) -> Vec<String> {
    let encoded: String = query
        .bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => (byte as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let page = shop
        .get_json(
            &format!("/api/v1/search?q={encoded}&page_size={DEPTH}"),
            None,
        )
        .await;
    page["products"]
        .as_array()
        .map(|products| {
            products
                .iter()
                .map(|product| product["sku"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Mean nDCG@10, recall@10 and MRR of one ranking, overall and by kind.
#[derive(Default)]
struct Scores {
    by_kind: BTreeMap<String, [f64; 4]>,
}

impl Scores {
    fn add(&mut self, kind: &str, ranking: &[String], grades: &HashMap<String, u32>) {
        for key in [kind, "all"] {
            let row = self.by_kind.entry(key.to_owned()).or_default();
            row[0] += ndcg(ranking, grades, 10);
            row[1] += recall(ranking, grades, 10);
            row[2] += reciprocal_rank(ranking, grades);
            row[3] += 1.0;
        }
    }

    fn mean(&self, kind: &str) -> [f64; 3] {
        let row = self.by_kind[kind];
        [row[0] / row[3], row[1] / row[3], row[2] / row[3]]
    }
}

#[tokio::test]
async fn hybrid_search_ranks_better_than_keyword_search_on_the_labelled_set() {
    let shop = TestShop::spawn("sqlite").await;
    let embedder = StaticEmbedder::bundled().unwrap();
    let products = all_products(&shop).await;
    assert_eq!(products.len(), 2432);
    let texts: Vec<String> = products.iter().map(product_text).collect();
    let index = ExactIndex::new(embedder.model().clone(), embedder.dimensions());
    for (product, vector) in products.iter().zip(embedder.embed(&texts)) {
        index
            .upsert(product["sku"].as_str().unwrap(), &vector)
            .unwrap();
    }
    let (mut keyword_scores, mut vector_scores, mut hybrid_scores) =
        (Scores::default(), Scores::default(), Scores::default());
    for query in queries() {
        let by_words = keyword(&shop, &query.text).await;
        let by_meaning: Vec<String> = index
            .search(&embedder.embed_one(&query.text), DEPTH, &|_| true)
            .into_iter()
            .map(|hit| hit.key)
            .collect();
        let fused: Vec<String> =
            reciprocal_rank_fusion(&[(&by_words, 1.0), (&by_meaning, 1.0)], 60.0)
                .into_iter()
                .map(|(sku, _)| sku)
                .collect();
        keyword_scores.add(&query.kind, &by_words, &query.grades);
        vector_scores.add(&query.kind, &by_meaning, &query.grades);
        hybrid_scores.add(&query.kind, &fused, &query.grades);
    }
    println!("| set | ranking | nDCG@10 | recall@10 | MRR |\n|---|---|---|---|---|");
    for kind in keyword_scores.by_kind.keys() {
        for (name, scores) in [
            ("keyword", &keyword_scores),
            ("vector", &vector_scores),
            ("hybrid", &hybrid_scores),
        ] {
            let [ndcg, recall, mrr] = scores.mean(kind);
            println!("| {kind} | {name} | {ndcg:.3} | {recall:.3} | {mrr:.3} |");
        }
    }
    let keyword_ndcg = keyword_scores.mean("all")[0];
    let hybrid_ndcg = hybrid_scores.mean("all")[0];
    // The target: hybrid at least 15% above keyword (deterministic, so a test).
    assert!(
        hybrid_ndcg >= keyword_ndcg * 1.15,
        "hybrid nDCG@10 {hybrid_ndcg:.3} is not 15% above keyword {keyword_ndcg:.3}"
    );
}
