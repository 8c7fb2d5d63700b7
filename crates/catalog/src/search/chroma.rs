//! The vectors in a Chroma server (`search.index = "chroma"`), over its HTTP API (v2): one
//! collection per model, cosine distance, shared by every replica of the catalog. The catalog's
//! database stays the record (`product_vectors`); the collection is an index of it, kept
//! current by the same reads of changed rows that keep the in-process index current, and it
//! remembers in its metadata how far it is (`emporium_watermark`), so that a restart sends
//! only what changed since rather than the whole catalog.

use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::domain::search::Near;

/// Rows per upsert: far under the server's 40 MiB body limit at 256 dimensions.
const BATCH: usize = 1_000;
/// Keys per page when reading them all.
const PAGE: usize = 10_000;

/// One collection of a Chroma server.
#[derive(Debug)]
pub(crate) struct Chroma {
    http: reqwest::Client,
    /// `…/api/v2/tenants/default_tenant/databases/default_database/collections`
    collections: String,
    /// The collection's id, which record calls name it by.
    id: String,
}

/// `prefix-model` with every character Chroma refuses in a name made a dash.
pub(crate) fn collection_name(prefix: &str, model: &str) -> String {
    format!("{prefix}-{model}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl Chroma {
    /// Gets or creates the collection `name` on the server at `url`.
    pub(crate) async fn open(url: &str, name: &str) -> anyhow::Result<Chroma> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(30))
            .build()?;
        let collections = format!(
            "{}/api/v2/tenants/default_tenant/databases/default_database/collections",
            url.trim_end_matches('/')
        );
        // A wider graph and beam than Chroma's defaults (16 links, 100): at those, its recall
        // of the exact top ten was 0.6 on random vectors.
        let body = json!({
            "name": name,
            "get_or_create": true,
            "configuration": {"hnsw": {
                "space": "cosine", "max_neighbors": 32, "ef_construction": 200, "ef_search": 256,
            }},
        });
        let mut chroma = Chroma {
            http,
            collections,
            id: String::new(),
        };
        let created = chroma
            .call(reqwest::Method::POST, "", Some(body))
            .await
            .with_context(|| format!("open the Chroma collection {name} at {url}"))?;
        let space = &created["configuration_json"]["hnsw"]["space"];
        anyhow::ensure!(
            space == "cosine",
            "the Chroma collection {name} measures {space}, not cosine: delete it or choose another name"
        );
        chroma.id = created["id"]
            .as_str()
            .context("Chroma answered a collection without an id")?
            .to_owned();
        Ok(chroma)
    }

    /// A request to the collections' path with `path` after it; Chroma's error answer
    /// (`{"error", "message"}`) becomes the error's text.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.collections));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = answer["message"].as_str().unwrap_or(&text);
            anyhow::bail!("Chroma answered {status}: {message}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn records(&self, action: &str) -> String {
        format!("/{}/{action}", self.id)
    }

    /// Adds or replaces the vectors of these keys.
    pub(crate) async fn upsert(&self, rows: &[(String, Vec<f32>)]) -> anyhow::Result<()> {
        for batch in rows.chunks(BATCH) {
            let (ids, embeddings): (Vec<&str>, Vec<&[f32]>) = batch
                .iter()
                .map(|(key, vector)| (key.as_str(), vector.as_slice()))
                .unzip();
            let body = json!({"ids": ids, "embeddings": embeddings});
            self.call(reqwest::Method::POST, &self.records("upsert"), Some(body))
                .await?;
        }
        Ok(())
    }

    /// Forgets these keys (a key it does not hold is no error).
    pub(crate) async fn delete(&self, keys: &[String]) -> anyhow::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        self.call(
            reqwest::Method::POST,
            &self.records("delete"),
            Some(json!({"ids": keys})),
        )
        .await?;
        Ok(())
    }

    /// The `k` keys nearest to `vector`, nearest first, with their cosine similarity.
    pub(crate) async fn query(&self, vector: &[f32], k: usize) -> anyhow::Result<Vec<Near>> {
        let body = json!({
            "query_embeddings": [vector], "n_results": k, "include": ["distances"],
        });
        let answer = self
            .call(reqwest::Method::POST, &self.records("query"), Some(body))
            .await?;
        let (ids, distances) = (&answer["ids"][0], &answer["distances"][0]);
        let ids = ids
            .as_array()
            .context("Chroma answered a query without ids")?;
        Ok(ids
            .iter()
            .zip(distances.as_array().into_iter().flatten())
            .filter_map(|(id, distance)| {
                Some(Near {
                    sku: id.as_str()?.to_owned(),
                    // Cosine distance is 1 - cosine.
                    similarity: 1.0 - distance.as_f64()? as f32,
                })
            })
            .collect())
    }

    /// The vector of `key`, if the collection holds it.
    pub(crate) async fn vector(&self, key: &str) -> anyhow::Result<Option<Vec<f32>>> {
        let body = json!({"ids": [key], "include": ["embeddings"]});
        let answer = self
            .call(reqwest::Method::POST, &self.records("get"), Some(body))
            .await?;
        Ok(answer["embeddings"][0].as_array().map(|values| {
            values
                .iter()
                .filter_map(|value| value.as_f64().map(|value| value as f32))
                .collect()
        }))
    }

    /// Every key the collection holds, read a page at a time.
    pub(crate) async fn keys(&self) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        loop {
            let body = json!({"include": [], "limit": PAGE, "offset": keys.len()});
            let answer = self
                .call(reqwest::Method::POST, &self.records("get"), Some(body))
                .await?;
            let page: Vec<String> = answer["ids"]
                .as_array()
                .context("Chroma answered a page of keys without ids")?
                .iter()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect();
            let last = page.len() < PAGE;
            keys.extend(page);
            if last {
                return Ok(keys);
            }
        }
    }

    /// How many vectors the collection holds.
    pub(crate) async fn count(&self) -> anyhow::Result<usize> {
        let answer = self
            .call(reqwest::Method::GET, &self.records("count"), None)
            .await?;
        answer
            .as_u64()
            .map(|count| count as usize)
            .context("Chroma answered a count that is not a number")
    }

    /// The latest change time of a row the collection holds, in milliseconds (0 for none).
    pub(crate) async fn watermark(&self) -> anyhow::Result<i64> {
        let answer = self
            .call(reqwest::Method::GET, &format!("/by-id/{}", self.id), None)
            .await?;
        Ok(answer["metadata"]["emporium_watermark"]
            .as_i64()
            .unwrap_or(0))
    }

    pub(crate) async fn set_watermark(&self, at_ms: i64) -> anyhow::Result<()> {
        let body = json!({"new_metadata": {"emporium_watermark": at_ms}});
        self.call(reqwest::Method::PUT, &format!("/{}", self.id), Some(body))
            .await?;
        Ok(())
    }
}
