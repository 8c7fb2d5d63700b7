//! Keeping the index current: loading it at start, embedding what has no vector yet (the
//! seed, a new model), embedding each product a change writes, and reading the rows other
//! replicas changed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use platform::shutdown::Shutdown;

use super::space::Space;
use super::{Config, Search};
use crate::domain::Product;
use crate::domain::typo::Vocabulary;
use crate::error::Error;
use crate::store::{Change, Embedded, Store};

/// How far back each read of changes starts before the latest change it saw: rows committed
/// out of the order of their times (two replicas, two clocks) are still read. Applying a row
/// twice changes nothing.
const CHANGE_OVERLAP_MS: i64 = 2_000;

/// The longest from a vector row's stamp to its commit, clocks' skew included: the server's
/// longest call (30 s) and 5 s more.
const LONGEST_WRITE_MS: i64 = 35_000;
/// How long a deleted product's empty row is kept for other replicas to see.
const TOMBSTONE_MS: i64 = 3_600_000;

impl Search {
    /// Loads the stored vectors. When the configured model has not embedded every product but
    /// another model that this binary knows has, that one serves until the new one is done.
    pub(crate) async fn open(store: Store, config: Config) -> anyhow::Result<Search> {
        super::describe_metrics();
        let target = semantic::embed::load(&config.model, config.models_dir.as_ref())?;
        let (embedded, products) = store.coverage(&target.model().to_string()).await?;
        let mut serving = None;
        if embedded < products {
            for model in store.models().await? {
                if model == target.model().to_string() {
                    continue;
                }
                let Some(embedder) = embedder_for(&model, &config) else {
                    continue;
                };
                if store.coverage(&model).await?.0 == products {
                    serving = Some(Space::open(embedder, &config, products).await?);
                    break;
                }
            }
        }
        let target = Space::open(target, &config, products).await?;
        let (serving, building) = match serving {
            Some(old) => (Arc::new(old), Some(Arc::new(target))),
            None => (Arc::new(target), None),
        };
        let search = Search {
            store,
            config,
            serving: std::sync::RwLock::new(serving.clone()),
            building: std::sync::RwLock::new(building.clone()),
            vocabulary: std::sync::RwLock::new(Vocabulary::default()),
            watermark: std::sync::atomic::AtomicI64::new(0),
            read_at: std::sync::atomic::AtomicI64::new(0),
            caught_up: std::sync::atomic::AtomicBool::new(false),
            growing: std::sync::atomic::AtomicBool::new(false),
        };
        for space in std::iter::once(serving).chain(building) {
            search.load(&space).await?;
        }
        search.load_vocabulary().await?;
        Ok(search)
    }

    /// Fills `space` from the stored vectors; a Chroma collection, which keeps its vectors,
    /// is sent only the rows changed since it last heard, unless that was longer ago than
    /// deleted products' rows are kept: then its keys are checked against the products.
    async fn load(&self, space: &Space) -> anyhow::Result<()> {
        let Some(chroma) = space.chroma() else {
            let rows = self.stored(space.model()).await?;
            space.put(&rows).await?;
            tracing::info!(
                model = space.model(),
                index = space.kind(),
                loaded = rows.len(),
                "search index loaded"
            );
            return Ok(());
        };
        let heard = chroma.watermark().await?;
        if heard < platform::unix_now_ms() - TOMBSTONE_MS + CHANGE_OVERLAP_MS {
            self.reconcile(space, chroma).await?;
        } else {
            self.watermark.fetch_max(heard, Ordering::Relaxed);
            self.apply_from(heard - CHANGE_OVERLAP_MS, &[space]).await?;
        }
        tracing::info!(
            model = space.model(),
            index = space.kind(),
            "search index loaded"
        );
        Ok(())
    }

    /// Every stored vector of `model` (deleted products' empty rows left out); the watermark
    /// moves to the latest row's change.
    async fn stored(&self, model: &str) -> Result<Vec<(String, Vec<f32>)>, Error> {
        let mut rows = Vec::new();
        for stored in self.store.vectors(model).await? {
            if let Some(vector) = stored.vector {
                rows.push((stored.sku, vector));
            }
            self.watermark
                .fetch_max(stored.changed_at_ms, Ordering::Relaxed);
        }
        Ok(rows)
    }

    /// Sends a Chroma collection every stored vector and deletes the keys it holds that are
    /// not products any more.
    async fn reconcile(&self, space: &Space, chroma: &super::chroma::Chroma) -> anyhow::Result<()> {
        let rows = self.stored(space.model()).await?;
        let live: std::collections::HashSet<&str> =
            rows.iter().map(|(sku, _)| sku.as_str()).collect();
        let gone: Vec<String> = chroma
            .keys()
            .await?
            .into_iter()
            .filter(|key| !live.contains(key.as_str()))
            .collect();
        space.put(&rows).await?;
        space.remove(&gone).await?;
        self.remember(space).await;
        tracing::info!(
            model = space.model(),
            sent = rows.len(),
            removed = gone.len(),
            "Chroma collection reconciled"
        );
        Ok(())
    }

    /// Tells a Chroma collection how far it has been sent the changes.
    async fn remember(&self, space: &Space) {
        let Some(chroma) = space.chroma() else {
            return;
        };
        let at_ms = self.watermark.load(Ordering::Relaxed);
        if let Err(error) = chroma.set_watermark(at_ms).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "store the Chroma collection's watermark"
            );
        }
    }

    async fn load_vocabulary(&self) -> Result<(), Error> {
        let mut vocabulary = Vocabulary::default();
        for text in self.store.texts().await? {
            vocabulary.add(&text);
        }
        *self
            .vocabulary
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = vocabulary;
        Ok(())
    }

    /// The vectors to store with a product being written: one per model in use.
    pub(crate) async fn embed_for_write(&self, product: &Product) -> Vec<Embedded> {
        let text = product.search_text();
        let at_ms = platform::unix_now_ms();
        let mut vectors = Vec::new();
        for space in std::iter::once(self.serving()).chain(self.building()) {
            let vector = space.embed_apart(vec![text.clone()]).await.pop();
            vectors.push(Embedded {
                model: space.model().to_owned(),
                vector: vector.unwrap_or_default(),
                at_ms,
            });
        }
        vectors
    }

    /// Puts the vectors of a product just written into the indexes, and its words into the
    /// vocabulary.
    pub(crate) async fn written(&self, product: &Product, vectors: &[Embedded]) {
        for space in std::iter::once(self.serving()).chain(self.building()) {
            if let Some(embedded) = vectors
                .iter()
                .find(|embedded| embedded.model == space.model())
            {
                let row = (product.sku.as_str().to_owned(), embedded.vector.clone());
                // A failure is logged; the next read of changed rows puts the row again.
                if let Err(error) = space.put(&[row]).await {
                    tracing::warn!(error = format!("{error:#}"), "index a product's vector");
                }
            }
        }
        self.vocabulary
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .add(&product.search_text());
    }

    pub(crate) async fn deleted(&self, sku: &str) {
        for space in std::iter::once(self.serving()).chain(self.building()) {
            // As for a write: the next read of changed rows removes it again.
            if let Err(error) = space.remove(&[sku.to_owned()]).await {
                tracing::warn!(error = format!("{error:#}"), "remove a product's vector");
            }
        }
    }

    /// Embeds up to `limit` products that have no vector of the target model, in batches;
    /// when the target was being built and is complete, it starts serving. The number embedded.
    pub(crate) async fn catch_up(&self, limit: usize) -> Result<usize, Error> {
        let mut done = 0;
        while done < limit {
            let target = self.target();
            let batch = self.config.embed_batch.min(limit - done).max(1);
            let products = self.store.without_vectors(target.model(), batch).await?;
            if products.is_empty() {
                self.finish_building().await?;
                self.caught_up.store(true, Ordering::Relaxed);
                break;
            }
            let texts: Vec<String> = products.iter().map(Product::search_text).collect();
            let vectors: Vec<(String, Vec<f32>)> = products
                .iter()
                .map(|product| product.sku.as_str().to_owned())
                .zip(target.embed_apart(texts.clone()).await)
                .collect();
            self.store
                .put_vectors(target.model(), &vectors, platform::unix_now_ms())
                .await?;
            // Stored: a failure to index them now is repaired by the next read of changes.
            if let Err(error) = target.put(&vectors).await {
                tracing::warn!(error = format!("{error:#}"), "index the embedded products");
            }
            if self.building().is_none() {
                // New to the search (a seed), not a new model's pass over known products.
                let mut vocabulary = self
                    .vocabulary
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                texts.iter().for_each(|text| vocabulary.add(text));
            }
            done += products.len();
            self.report_progress(&target).await?;
            if self.config.embed_pause_ms > 0 {
                tokio::time::sleep(Duration::from_millis(self.config.embed_pause_ms)).await;
            }
        }
        Ok(done)
    }

    async fn report_progress(&self, target: &Space) -> Result<(), Error> {
        let (embedded, products) = self.store.coverage(target.model()).await?;
        let share = if products == 0 {
            1.0
        } else {
            embedded as f64 / products as f64
        };
        metrics::gauge!("catalog_search_embedded_ratio", "model" => target.model().to_owned())
            .set(share);
        tracing::info!(
            model = target.model(),
            embedded,
            products,
            "embedding the catalog"
        );
        Ok(())
    }

    /// Swaps a complete target in to serve, and drops the rows of the model it replaces.
    async fn finish_building(&self) -> Result<(), Error> {
        let Some(built) = self.building() else {
            return Ok(());
        };
        let old = std::mem::replace(
            &mut *self
                .serving
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            built.clone(),
        );
        *self
            .building
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        tracing::info!(
            from = old.model(),
            to = built.model(),
            "search model switched"
        );
        self.store
            .prune_vectors(&[built.model()], platform::unix_now_ms() - TOMBSTONE_MS)
            .await?;
        Ok(())
    }

    /// Applies the vector rows changed since the last look (other replicas' writes).
    /// Both the watermark and the time of the last read bound where unread rows can start:
    /// a row not read yet was committed after the last read began, and stamped at most
    /// `LONGEST_WRITE_MS` before its commit (a write is stamped before it embeds and waits for
    /// its transaction, and no call runs past the server's deadline). The later bound keeps a
    /// quiet catalog from reading its last burst of writes (a whole seed) again at every look.
    pub(crate) async fn apply_changes(&self) -> Result<usize, Error> {
        let started = platform::unix_now_ms();
        let by_watermark = self.watermark.load(Ordering::Relaxed) - CHANGE_OVERLAP_MS;
        let by_last_read = self.read_at.load(Ordering::Relaxed) - LONGEST_WRITE_MS;
        let since = by_watermark.max(by_last_read);
        let spaces: Vec<Arc<Space>> = std::iter::once(self.serving())
            .chain(self.building())
            .collect();
        let spaces: Vec<&Space> = spaces.iter().map(Arc::as_ref).collect();
        let applied = self.apply_from(since, &spaces).await?;
        self.read_at.fetch_max(started, Ordering::Relaxed);
        Ok(applied)
    }

    /// Applies the vector rows changed since `since` to `spaces`. The watermark moves (and a
    /// Chroma collection hears of it) only once every index took them, so a failure is tried
    /// again at the next look.
    async fn apply_from(&self, since: i64, spaces: &[&Space]) -> Result<usize, Error> {
        let changes = self.store.changes(since).await?;
        for space in spaces {
            let (mut rows, mut gone) = (Vec::new(), Vec::new());
            for Change { vector, product } in &changes {
                match (&vector.vector, product) {
                    _ if vector.model != space.model() => {}
                    (Some(values), Some(_)) => rows.push((vector.sku.clone(), values.clone())),
                    _ => gone.push(vector.sku.clone()),
                }
            }
            space.put(&rows).await.map_err(Error::Unexpected)?;
            space.remove(&gone).await.map_err(Error::Unexpected)?;
        }
        let seen_until = self.watermark.load(Ordering::Relaxed);
        let serving = self.serving();
        for Change { vector, product } in &changes {
            // The overlap re-reads rows already applied; putting a vector again changes nothing,
            // but counting a product's words again would, so words come from new rows only (one
            // per product: the serving model's).
            let new = vector.changed_at_ms > seen_until && vector.model == serving.model();
            if let Some(product) = product.as_ref().filter(|_| new) {
                self.vocabulary
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .add(&product.search_text());
            }
            self.watermark
                .fetch_max(vector.changed_at_ms, Ordering::Relaxed);
        }
        if self.watermark.load(Ordering::Relaxed) > seen_until {
            for space in spaces {
                self.remember(space).await;
            }
        }
        Ok(changes.len())
    }

    /// With `index = "auto"`, a catalog that has grown to `hnsw_from` products while an exact
    /// index served gets the graph: built from the stored rows beside the exact index, which
    /// answers meanwhile, then swapped in. Writes made during the build are read at the next
    /// look at the changes, as another replica's would be.
    pub(crate) async fn grow_into_graph(&self) -> anyhow::Result<bool> {
        let serving = self.serving();
        let grown = serving.kind() == "exact"
            && self.config.index == "auto"
            && self.building().is_none()
            && serving.len().await? as u64 >= self.config.hnsw_from;
        if !grown || self.growing.swap(true, Ordering::AcqRel) {
            return Ok(false);
        }
        let result = self.build_graph(&serving).await;
        self.growing.store(false, Ordering::Release);
        result.map(|()| true)
    }

    async fn build_graph(&self, exact: &Space) -> anyhow::Result<()> {
        let config = Config {
            index: "hnsw".to_owned(),
            ..self.config.clone()
        };
        let before = self.watermark.load(Ordering::Relaxed);
        let graph = Arc::new(Space::open(exact.embedder(), &config, 0).await?);
        self.load(&graph).await?;
        *self
            .serving
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = graph.clone();
        // Rows the exact index took while the graph was loading.
        self.apply_from(before - CHANGE_OVERLAP_MS, &[&graph])
            .await?;
        tracing::info!(model = exact.model(), "search index grown into a graph");
        Ok(())
    }

    /// Reads other replicas' changes and embeds what has no vector, until shut down.
    pub(crate) async fn run_until_stopped(self: Arc<Search>, shutdown: Shutdown) {
        let interval = Duration::from_millis(self.config.poll_interval_ms.max(10));
        let mut rounds: u64 = 0;
        loop {
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(interval) => {}
            }
            if let Err(error) = self.apply_changes().await {
                tracing::warn!(error = %error, "read the search index's changes");
            }
            // Writes embed their products, so only a seed, rows from before vectors, or a new
            // model leave products without one: once none is left, there is no need to look.
            if !self.caught_up.load(Ordering::Relaxed)
                && let Err(error) = self.catch_up(usize::MAX).await
            {
                tracing::warn!(error = %error, "embed the catalog");
            }
            rounds += 1;
            if rounds.is_multiple_of(120)
                && let Err(error) = self.grow_into_graph().await
            {
                tracing::warn!(error = %error, "build the search's graph index");
            }
            if rounds.is_multiple_of(600) {
                let keep = [
                    self.serving().model().to_owned(),
                    self.target().model().to_owned(),
                ];
                let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
                if let Err(error) = self
                    .store
                    .prune_vectors(&keep, platform::unix_now_ms() - TOMBSTONE_MS)
                    .await
                {
                    tracing::warn!(error = %error, "prune the search index's rows");
                }
            }
        }
    }
}

/// The embedder that made rows named `model` (`name@version`), when this binary has it.
fn embedder_for(model: &str, config: &Config) -> Option<Arc<dyn semantic::Embedder>> {
    let (name, _) = model.split_once('@')?;
    let embedder = semantic::embed::load(name, config.models_dir.as_ref()).ok()?;
    (embedder.model().to_string() == model).then_some(embedder)
}
