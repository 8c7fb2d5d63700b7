//! Repository chores; `cargo test -p xtask` runs the tidy checks.
fn main() {}
