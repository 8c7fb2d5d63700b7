//! The `emporium` binary's library: which services a process runs and how they are wired.
//!
//! `Node::build` is the one code path for both ways of running: `emporium up` builds a node with
//! every service (each reaches the others in-process), `emporium serve catalog cart` builds one
//! with those two (each reaches the rest over gRPC at the addresses in `Settings::remote`).
//! `registry.rs` lists the services, one line each.

pub mod bench;
pub mod clients;
pub mod doctor;
pub mod function_commands;
pub mod load;
pub mod model_commands;
mod node;
pub mod quality;
pub mod registry;
pub mod scaffold;
pub mod settings;
mod wiring;

pub use crate::node::Node;
pub use crate::registry::{ADMIN_IDENTITY, Service, default_allowed_clients};
pub use crate::settings::Settings;
pub use identity::{ADMIN_CLIENT_ID, DEV_USER_EMAIL};
pub use platform::registry::FirstStart;
