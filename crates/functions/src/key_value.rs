//! Functions' key-value spaces, for the functions this process runs (and, through `KvGet` and
//! `KvSet`, for those other processes run): in the functions database, or in Redis when
//! `redis_url` is set (distributed mode), under `<redis_prefix>kv:<function>:<key>`. A function's
//! name has no colon, so no two functions' keys meet.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::Config;
use crate::store::Store;

/// How long a Redis connection attempt and an answer may take: a host call waits for it.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// The key-value spaces `config` asks for.
pub(crate) fn open(config: &Config, store: &Store) -> anyhow::Result<Arc<dyn sandbox::KeyValue>> {
    if config.redis_url.is_empty() {
        return Ok(Arc::new(StoreKeyValue::new(store.clone())));
    }
    let connection = platform::kv::connect_lazy(
        &config.redis_url,
        "functions.redis_url",
        REDIS_TIMEOUT,
        REDIS_TIMEOUT,
    )?;
    Ok(Arc::new(RedisKeyValue {
        connection,
        prefix: format!("{}kv:", config.redis_prefix),
    }))
}

/// The key-value spaces in Redis.
pub(crate) struct RedisKeyValue {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl sandbox::KeyValue for RedisKeyValue {
    fn get(
        &self,
        function: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let mut connection = self.connection.clone();
        let key = format!("{}{function}:{key}", self.prefix);
        Box::pin(async move {
            redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .map_err(|error| format!("redis: {error}"))
        })
    }

    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>> {
        let mut connection = self.connection.clone();
        let key = format!("{}{function}:{key}", self.prefix);
        Box::pin(async move {
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .query_async(&mut connection)
                .await
                .map_err(|error| format!("redis: {error}"))
        })
    }
}

/// The largest key and value the host calls accept are the sandbox's.
pub(crate) const MAX_KEY: usize = sandbox::MAX_KEY;
pub(crate) const MAX_VALUE: usize = sandbox::MAX_VALUE;

#[derive(Debug)]
pub(crate) struct StoreKeyValue {
    store: Store,
}

impl StoreKeyValue {
    pub(crate) fn new(store: Store) -> Self {
        StoreKeyValue { store }
    }
}

impl sandbox::KeyValue for StoreKeyValue {
    fn get(
        &self,
        function: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let (store, function, key) = (self.store.clone(), function.to_owned(), key.to_owned());
        Box::pin(async move {
            store
                .kv_get(&function, &key)
                .await
                .map_err(|error| format!("{error:#}"))
        })
    }

    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>> {
        let (store, function, key) = (self.store.clone(), function.to_owned(), key.to_owned());
        Box::pin(async move {
            store
                .kv_set(&function, &key, &value, platform::unix_now())
                .await
                .map_err(|error| format!("{error:#}"))
        })
    }
}
