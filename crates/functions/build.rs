//! `sqlx::migrate!` reads the migration folders at compile time; build again when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
