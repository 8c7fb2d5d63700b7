//! `emporium search-quality`: the labelled search benchmark (`crates/catalog/benchmark/
//! queries.jsonl`, graded by hand against the seed) run against a shop's REST search in each
//! mode, scored by nDCG@10, recall@10 and MRR, overall and by kind of query.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context as _;
use semantic::quality::{ndcg, recall, reciprocal_rank};

/// The benchmark's queries, compiled in.
const QUERIES: &str = include_str!("../../catalog/benchmark/queries.jsonl");
/// The modes scored, in the table's order.
pub const MODES: [&str; 3] = ["keyword", "vector", "hybrid"];

/// The settings of `emporium search-quality`.
#[derive(Debug, clap::Args)]
pub struct QualityArgs {
    /// The shop's HTTP address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// How many results of each query are scored (recall and MRR look this deep).
    #[arg(long, default_value_t = 50)]
    pub depth: u32,
}

struct Query {
    kind: String,
    text: String,
    grades: HashMap<String, u32>,
}

fn queries() -> anyhow::Result<Vec<Query>> {
    QUERIES
        .lines()
        .map(|line| {
            let query: serde_json::Value = serde_json::from_str(line)?;
            let grades = query["relevant"]
                .as_object()
                .context("a query without `relevant`")?
                .iter()
                .map(|(sku, grade)| (sku.clone(), grade.as_u64().unwrap_or(0) as u32))
                .collect();
            Ok(Query {
                kind: query["kind"].as_str().unwrap_or("other").to_owned(),
                text: query["query"].as_str().unwrap_or_default().to_owned(),
                grades,
            })
        })
        .collect()
}

/// Mean nDCG@10, recall@10 and MRR per mode and kind of query (`all` for every query).
#[derive(Debug, Default)]
pub struct Scores {
    sums: BTreeMap<(String, String), [f64; 4]>,
}

impl Scores {
    fn add(&mut self, mode: &str, kind: &str, ranking: &[String], grades: &HashMap<String, u32>) {
        for kind in [kind, "all"] {
            let row = self
                .sums
                .entry((kind.to_owned(), mode.to_owned()))
                .or_default();
            row[0] += ndcg(ranking, grades, 10);
            row[1] += recall(ranking, grades, 10);
            row[2] += reciprocal_rank(ranking, grades);
            row[3] += 1.0;
        }
    }

    /// nDCG@10, recall@10 and MRR of `mode` over the queries of `kind`.
    pub fn mean(&self, kind: &str, mode: &str) -> [f64; 3] {
        let row = self
            .sums
            .get(&(kind.to_owned(), mode.to_owned()))
            .copied()
            .unwrap_or([0.0, 0.0, 0.0, 1.0]);
        [row[0] / row[3], row[1] / row[3], row[2] / row[3]]
    }

    /// The scores as a Markdown table.
    pub fn table(&self) -> String {
        let mut table = String::from(
            "| queries | ranking | nDCG@10 | recall@10 | MRR |\n|---|---|---|---|---|\n",
        );
        let mut kinds: Vec<&String> = self.sums.keys().map(|(kind, _)| kind).collect();
        kinds.dedup();
        // Each kind of query, then all of them.
        kinds.sort_by_key(|kind| (kind.as_str() == "all", kind.as_str()));
        for kind in kinds {
            for mode in MODES {
                let [ndcg, recall, mrr] = self.mean(kind, mode);
                table.push_str(&format!(
                    "| {kind} | {mode} | {ndcg:.3} | {recall:.3} | {mrr:.3} |\n"
                ));
            }
        }
        table
    }
}

/// The skus `mode` answers for `text`, best first.
async fn ranking(
    client: &reqwest::Client,
    args: &QualityArgs,
    mode: &str,
    text: &str,
) -> anyhow::Result<Vec<String>> {
    let depth = args.depth.to_string();
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/search", args.url.trim_end_matches('/')),
        &[("q", text), ("mode", mode), ("page_size", depth.as_str())],
    )
    .with_context(|| format!("read the shop's address {}", args.url))?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("search `{text}`"))?
        .error_for_status()
        .with_context(|| format!("search `{text}`"))?;
    let page: serde_json::Value = response.json().await?;
    Ok(page["products"]
        .as_array()
        .map(|products| {
            products
                .iter()
                .filter_map(|product| product["sku"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Runs every query in every mode against the shop at `args.url`.
pub async fn run(args: &QualityArgs) -> anyhow::Result<Scores> {
    let client = reqwest::Client::new();
    let mut scores = Scores::default();
    for query in queries()? {
        for mode in MODES {
            let ranked = ranking(&client, args, mode, &query.text).await?;
            scores.add(mode, &query.kind, &ranked, &query.grades);
        }
    }
    Ok(scores)
}
