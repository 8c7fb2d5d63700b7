//! One query's rankings: keyword (with typos corrected) from the database, vector from the
//! index, the filters applied to both, and their fusion.

use std::sync::Arc;

use super::Search;
use crate::domain::Product;
use crate::domain::search::{
    self, CANDIDATES, FILTERED_CANDIDATES, Filters, Mode, Near, Sort, good_matches,
};
use crate::error::Error;

/// A search as the caller asked for it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Request {
    pub text: String,
    pub terms: Vec<String>,
    pub filters: Filters,
    pub mode: Mode,
    pub sort: Sort,
}

/// The matches of a query, best first, before stock, sorting and paging.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ranking {
    pub skus: Vec<String>,
    /// The corrected words, when the keyword ranking used a correction.
    pub corrected: Option<String>,
    /// The model whose vectors ranked ("" when they did not).
    pub model: String,
}

/// A page of a search's answer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Answer {
    pub products: Vec<Arc<Product>>,
    pub next_offset: Option<u32>,
    pub total: u32,
    pub facets: Vec<search::Facet>,
    pub no_good_match: bool,
    pub corrected: Option<String>,
    pub price_range: Option<(i64, i64)>,
    pub model: String,
}

impl Search {
    /// The fused ranking of `request`: the database's keyword matches and the index's vector
    /// matches, both narrowed by the filters the database can check.
    pub(crate) async fn rank(&self, request: &Request) -> Result<Ranking, Error> {
        if request.terms.is_empty() {
            return Ok(Ranking::default());
        }
        let depth = if request.filters.narrows() {
            FILTERED_CANDIDATES
        } else {
            CANDIDATES
        };
        // The vector search runs beside the database's ranking of the words (an index in this
        // process on a blocking thread): on two cores, a hybrid search takes about the longer of
        // the two rather than their sum.
        let scan = request
            .mode
            .uses_vectors()
            .then(|| self.scan(request.text.clone(), depth));
        let mut ranking = Ranking::default();
        let keyword = if request.mode.uses_keywords() {
            let (keyword, corrected) = self.keyword(request, depth).await?;
            ranking.corrected = corrected;
            keyword
        } else {
            Vec::new()
        };
        let vector = match (scan, &ranking.corrected) {
            (None, _) => Vec::new(),
            (Some(scan), None) => self.nearest(scan, &request.filters, &mut ranking).await?,
            // The words were corrected: the meaning of the correction, not of the typos.
            (Some(_), Some(corrected)) => {
                let scan = self.scan(corrected.clone(), depth);
                self.nearest(scan, &request.filters, &mut ranking).await?
            }
        };
        ranking.skus = match request.mode {
            Mode::Hybrid => search::fuse(&keyword, &vector),
            Mode::Keyword => keyword,
            Mode::Vector => vector.into_iter().map(|near| near.sku).collect(),
        };
        Ok(ranking)
    }

    /// The keyword ranking of the query's words; when they find nothing, of the words with
    /// typos corrected, and the correction when it found something. (Correcting first would
    /// turn real words the catalog does not use, "stars", into ones it does, "stays".)
    async fn keyword(
        &self,
        request: &Request,
        depth: usize,
    ) -> Result<(Vec<String>, Option<String>), Error> {
        let words = search::words(&request.terms, &self.vocabulary(), depth);
        let found = self.store.keyword(&words, &request.filters, depth).await?;
        if !found.is_empty() {
            return Ok((found, None));
        }
        let corrected = {
            let vocabulary = self.vocabulary();
            vocabulary
                .correct(&request.terms)
                .map(|terms| (search::words(&terms, &vocabulary, depth), terms.join(" ")))
        };
        let Some((words, corrected)) = corrected else {
            return Ok((found, None));
        };
        let found = self.store.keyword(&words, &request.filters, depth).await?;
        let used = (!found.is_empty()).then_some(corrected);
        Ok((found, used))
    }

    fn vocabulary(&self) -> std::sync::RwLockReadGuard<'_, crate::domain::typo::Vocabulary> {
        self.vocabulary
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts embedding `text` and searching the index for its good matches, beside the
    /// keyword query: on a blocking thread for an index in memory (started at once, not when
    /// the keyword query first waits), as a request for a Chroma one. The model's name comes
    /// with them.
    fn scan(&self, text: String, depth: usize) -> tokio::task::JoinHandle<(String, Vec<Near>)> {
        let space = self.serving();
        let (floor, spread) = (self.config.min_similarity, self.config.similarity_spread);
        let keep_good = move |nearest| good_matches(nearest, floor, spread);
        if space.in_memory() {
            return tokio::task::spawn_blocking(move || {
                let query = space.embed_one(&text);
                let nearest = space.nearest_here(&query, depth, None).unwrap_or_default();
                (space.model().to_owned(), keep_good(nearest))
            });
        }
        tokio::spawn(async move {
            let query = space
                .embed_apart(vec![text])
                .await
                .pop()
                .unwrap_or_default();
            let model = space.model().to_owned();
            (model, keep_good(space.nearest(query, depth, None).await))
        })
    }

    /// The matches of a scan that pass the database's filters; the model goes to `ranking`.
    async fn nearest(
        &self,
        scan: tokio::task::JoinHandle<(String, Vec<Near>)>,
        filters: &Filters,
        ranking: &mut Ranking,
    ) -> Result<Vec<Near>, Error> {
        let (model, nearest) = scan.await.map_err(|error| {
            Error::Unexpected(anyhow::anyhow!("scan the vector index: {error}"))
        })?;
        ranking.model = model;
        if !filters.narrows_in_database() || nearest.is_empty() {
            return Ok(nearest);
        }
        let skus: Vec<String> = nearest.iter().map(|near| near.sku.clone()).collect();
        let allowed = self.store.matching(&skus, filters).await?;
        Ok(search::only(nearest, &allowed))
    }

    /// The `limit` products nearest in meaning to `sku`, without it; empty when it has no
    /// vector yet.
    pub(crate) async fn similar(&self, sku: &str, limit: usize) -> Vec<Near> {
        self.serving().similar(sku, limit).await
    }

    /// The shadow ranking's top ten set beside the served one, as the share they have in
    /// common; recorded as `catalog_search_shadow_overlap`.
    pub(crate) async fn shadow(&self, request: Request, served: Vec<String>) {
        let mode = match self.config.shadow.as_str() {
            "vector" => Mode::Vector,
            "keyword" => Mode::Keyword,
            _ => return,
        };
        if mode == request.mode {
            return;
        }
        let shadow = Request { mode, ..request };
        match self.rank(&shadow).await {
            Ok(ranking) => {
                let overlap = search::overlap_at(&served, &ranking.skus, 10);
                metrics::histogram!("catalog_search_shadow_overlap", "shadow" => self.config.shadow.clone())
                    .record(overlap);
            }
            Err(error) => tracing::warn!(error = %error, "run the shadow ranking"),
        }
    }
}
