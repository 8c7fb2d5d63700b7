//! The identity provider's integration tests: a real database and a real HTTP server per test.

mod authorization_code;
mod client_credentials;
mod grpc;
mod refresh;
mod registration;
mod signing_keys;
mod support;
mod verifier;
