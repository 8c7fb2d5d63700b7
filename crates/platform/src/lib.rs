//! The paved road: everything a service needs that is not its own business.
//!
//! A service built on `platform` gets configuration, telemetry, HTTP and gRPC servers with
//! health and graceful shutdown, a database pool with its migrations, token verification,
//! a transport that is either in-process or the network, one error mapping per wire, and the
//! value types (`values`) whose checks every service shares.

pub mod auth;
pub mod bus;
pub mod config;
pub mod db;
pub mod error;
pub mod faults;
pub mod grpc;
pub mod http;
pub mod kv;
pub mod ops;
pub mod outbox;
pub mod ratelimit;
pub mod registry;
pub mod resilience;
pub mod shutdown;
pub mod telemetry;
pub mod tls;
pub mod transport;
pub mod values;

pub use shutdown::Shutdown;

/// Seconds since the Unix epoch, the one clock every service stores.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch, for what is timed finer than a second (queues, outboxes).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}
