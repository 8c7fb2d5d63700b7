//! The inference service (issue 16), being built: the models the shop runs in production as
//! versions with a stage, the traffic between them, and the signals that say whether a version
//! agrees with production and whether its inputs and outputs drift.
//!
//! This first part is the service's rules, without IO (`domain`): the registry's stages and
//! their moves (promote, roll back, retire), the split of live traffic into production, a canary
//! and a shadow, the agreement of two versions' answers (cosine of embeddings, overlap@k of
//! rankings), and drift as the population stability index of a sliding window against the
//! reference window taken at promotion. The store, the gRPC service, the OpenAI-compatible
//! endpoints and the plugin follow in the shape of the other services (ARCHITECTURE.md,
//! "Service crates").

pub mod domain;
