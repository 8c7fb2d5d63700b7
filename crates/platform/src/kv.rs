//! The key-value store of distributed mode (Redis): one way to connect to it.
//!
//! The connection is made on first use and made again after a failure, so a service starts
//! while Redis is away; calls fail fast (short timeouts, one reconnection try) rather than hold
//! their callers. Errors name the setting the URL came from, with any password hidden.

use std::time::Duration;

/// A connection manager for `url`, taken from the setting `setting`, with the time a connection
/// attempt and an answer may take.
pub fn connect_lazy(
    url: &str,
    setting: &str,
    connect_timeout: Duration,
    response_timeout: Duration,
) -> anyhow::Result<redis::aio::ConnectionManager> {
    let refused = |error: redis::RedisError| {
        anyhow::anyhow!("{setting} `{}`: {error}", crate::db::redact(url))
    };
    let client = redis::Client::open(url).map_err(refused)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(1);
    redis::aio::ConnectionManager::new_lazy_with_config(client, config).map_err(refused)
}
