//! Functions' key-value spaces in the functions database, for the functions this process runs
//! (and, through `KvGet` and `KvSet`, for those other processes run).

use futures_util::future::BoxFuture;

use crate::store::Store;

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
                .kv_set(&function, &key, &value, crate::now())
                .await
                .map_err(|error| format!("{error:#}"))
        })
    }
}
