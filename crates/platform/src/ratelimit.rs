//! Rate limits: at most `limit` requests per caller in a window that opens with the caller's
//! first request, counted in this process or in Redis, where every replica of the edge shares
//! the count.
//!
//! When Redis cannot be reached, requests pass and a warning says so: the limit protects the
//! shop, and must not take it down with it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a check came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead; this many more fit in the window.
    Allowed { remaining: u32 },
    /// Over the limit; the window ends after this long.
    Limited { retry_after: Duration },
}

/// Counts requests per caller.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    backend: Backend,
}

enum Backend {
    /// (when the window opened, count) per caller.
    Local(Mutex<HashMap<String, (Instant, u32)>>),
    Redis {
        connection: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match &self.backend {
            Backend::Local(_) => "local",
            Backend::Redis { .. } => "redis",
        };
        formatter
            .debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("backend", &backend)
            .finish()
    }
}

/// Callers kept in a local limiter before the ones of past windows are dropped.
const LOCAL_CALLERS: usize = 10_000;

impl RateLimiter {
    /// Counts in this process.
    pub fn local(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window: window.max(Duration::from_secs(1)),
            backend: Backend::Local(Mutex::new(HashMap::new())),
        }
    }

    /// Counts in Redis at `url`, under keys that start with `prefix`; connects on first use.
    pub fn redis(
        url: &str,
        prefix: &str,
        limit: u32,
        window: Duration,
    ) -> anyhow::Result<RateLimiter> {
        let timeout = Duration::from_millis(500);
        let connection = crate::kv::connect_lazy(url, "redis url", timeout, timeout)?;
        Ok(RateLimiter {
            limit,
            window: window.max(Duration::from_secs(1)),
            backend: Backend::Redis {
                connection,
                prefix: prefix.to_owned(),
            },
        })
    }

    /// Counts one request of `caller` and says whether it fits.
    pub async fn check(&self, caller: &str) -> Decision {
        let (count, left) = match &self.backend {
            Backend::Local(counts) => {
                let now = Instant::now();
                let mut counts = counts
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if counts.len() >= LOCAL_CALLERS {
                    counts.retain(|_, (opened, _)| now.duration_since(*opened) < self.window);
                }
                let entry = counts.entry(caller.to_owned()).or_insert((now, 0));
                if now.duration_since(entry.0) >= self.window {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                (
                    entry.1,
                    self.window.saturating_sub(now.duration_since(entry.0)),
                )
            }
            Backend::Redis { connection, prefix } => {
                let key = format!("{prefix}{caller}");
                // The key lives as long as the window; the first request of a window makes it.
                let counted: Result<(u32, i64), redis::RedisError> = redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&key)
                    .arg(0)
                    .arg("PX")
                    .arg(self.window.as_millis() as u64)
                    .arg("NX")
                    .ignore()
                    .incr(&key, 1)
                    .pttl(&key)
                    .query_async(&mut connection.clone())
                    .await;
                match counted {
                    Ok((count, left_ms)) => (count, Duration::from_millis(left_ms.max(0) as u64)),
                    Err(error) => {
                        tracing::warn!(%error, "rate limits are off while Redis is unavailable");
                        return Decision::Allowed {
                            remaining: self.limit,
                        };
                    }
                }
            }
        };
        if count > self.limit {
            Decision::Limited { retry_after: left }
        } else {
            Decision::Allowed {
                remaining: self.limit - count,
            }
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_caller_gets_its_limit_per_window_and_others_their_own() {
        let limiter = RateLimiter::local(3, Duration::from_secs(3600));
        for remaining in [2, 1, 0] {
            assert_eq!(limiter.check("ada").await, Decision::Allowed { remaining });
        }
        match limiter.check("ada").await {
            Decision::Limited { retry_after } => {
                assert!(retry_after <= Duration::from_secs(3600), "{retry_after:?}")
            }
            other => panic!("the fourth request passed: {other:?}"),
        }
        assert_eq!(
            limiter.check("grace").await,
            Decision::Allowed { remaining: 2 },
            "another caller counts apart"
        );
    }

    #[tokio::test]
    async fn with_redis_away_requests_pass() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let limiter = RateLimiter::redis(
            &format!("redis://{address}"),
            "t:",
            1,
            Duration::from_secs(60),
        )
        .unwrap();
        for _ in 0..3 {
            assert!(matches!(
                limiter.check("ada").await,
                Decision::Allowed { .. }
            ));
        }
    }

    #[tokio::test]
    async fn replicas_share_their_counts_in_redis() {
        let Ok(url) = std::env::var("EMPORIUM_TEST_REDIS_URL") else {
            eprintln!(
                "EMPORIUM_TEST_REDIS_URL is not set: the Redis variant of this test is skipped"
            );
            return;
        };
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        let one = RateLimiter::redis(&url, &prefix, 3, Duration::from_secs(3600)).unwrap();
        let two = RateLimiter::redis(&url, &prefix, 3, Duration::from_secs(3600)).unwrap();
        assert!(matches!(one.check("ada").await, Decision::Allowed { .. }));
        assert!(matches!(two.check("ada").await, Decision::Allowed { .. }));
        assert_eq!(one.check("ada").await, Decision::Allowed { remaining: 0 });
        assert!(
            matches!(two.check("ada").await, Decision::Limited { .. }),
            "the fourth request, on the other replica, is over the shared limit"
        );
    }
}
