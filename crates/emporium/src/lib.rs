//! The `emporium` binary's library: which services a process runs and how they are wired.
//!
//! `Node::build` is the one code path for both ways of running: `emporium up` builds a node with
//! every service (each reaches the others in-process), `emporium serve catalog cart` builds one
//! with those two (each reaches the rest over gRPC at the addresses in `Settings::remote`).

pub mod load;
mod node;
pub mod settings;

pub use crate::node::{
    ADMIN_CLIENT_ID, ADMIN_IDENTITY, ADMIN_SCOPES, DEV_USER_EMAIL, FirstStart, Node, Service,
    default_allowed_clients,
};
pub use crate::settings::Settings;
