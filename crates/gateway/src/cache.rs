//! The edge cache of product reads: in this process, or in Redis, where every gateway replica
//! shares it and a change made through any of them clears it for all.
//!
//! Redis being away only makes every read a miss: the catalog answers, a little slower.

use std::time::Duration;

use bytes::Bytes;

#[derive(Clone)]
pub(crate) enum ProductCache {
    Local(moka::future::Cache<String, Bytes>),
    Redis {
        connection: redis::aio::ConnectionManager,
        prefix: String,
        ttl: Duration,
    },
}

impl std::fmt::Debug for ProductCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProductCache::Local(_) => formatter.write_str("ProductCache::Local"),
            ProductCache::Redis { prefix, .. } => {
                write!(formatter, "ProductCache::Redis({prefix})")
            }
        }
    }
}

impl ProductCache {
    /// The cache for `config`, or none when its TTL is 0.
    pub(crate) fn new(config: &crate::Config) -> anyhow::Result<Option<ProductCache>> {
        if config.product_cache_ttl_ms == 0 {
            return Ok(None);
        }
        let ttl = Duration::from_millis(config.product_cache_ttl_ms);
        if config.redis_url.is_empty() {
            return Ok(Some(ProductCache::Local(
                moka::future::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(ttl)
                    .build(),
            )));
        }
        let timeout = Duration::from_millis(500);
        let connection =
            platform::kv::connect_lazy(&config.redis_url, "gateway.redis_url", timeout, timeout)?;
        Ok(Some(ProductCache::Redis {
            connection,
            prefix: format!("{}product:", config.redis_prefix),
            ttl,
        }))
    }

    pub(crate) async fn get(&self, sku: &str) -> Option<Bytes> {
        match self {
            ProductCache::Local(cache) => cache.get(sku).await,
            ProductCache::Redis {
                connection, prefix, ..
            } => {
                let found: Result<Option<Vec<u8>>, _> = redis::cmd("GET")
                    .arg(format!("{prefix}{sku}"))
                    .query_async(&mut connection.clone())
                    .await;
                found
                    .inspect_err(
                        |error| tracing::warn!(%error, "the product cache in Redis is unavailable"),
                    )
                    .ok()
                    .flatten()
                    .map(Bytes::from)
            }
        }
    }

    pub(crate) async fn insert(&self, sku: String, body: Bytes) {
        match self {
            ProductCache::Local(cache) => cache.insert(sku, body).await,
            ProductCache::Redis {
                connection,
                prefix,
                ttl,
            } => {
                let stored: Result<(), _> = redis::cmd("SET")
                    .arg(format!("{prefix}{sku}"))
                    .arg(body.as_ref())
                    .arg("PX")
                    .arg(ttl.as_millis() as u64)
                    .query_async(&mut connection.clone())
                    .await;
                if let Err(error) = stored {
                    tracing::warn!(%error, "the product cache in Redis is unavailable");
                }
            }
        }
    }

    pub(crate) async fn invalidate(&self, sku: &str) {
        match self {
            ProductCache::Local(cache) => cache.invalidate(sku).await,
            ProductCache::Redis {
                connection, prefix, ..
            } => {
                let deleted: Result<(), _> = redis::cmd("DEL")
                    .arg(format!("{prefix}{sku}"))
                    .query_async(&mut connection.clone())
                    .await;
                if let Err(error) = deleted {
                    tracing::warn!(%error, "clearing a product from the cache in Redis failed");
                }
            }
        }
    }
}
