//! Repository chores. `cargo run -p xtask -- tidy` checks the architecture's invariants;
//! `cargo run -p xtask -- slo` makes the SLO rules and dashboard from `deploy/slo/slos.toml`;
//! `cargo test` runs the same checks and fails while those files are stale (see `tidy.rs`,
//! `slo.rs`).

mod size;
mod slo;
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "tidy" => {
            let problems = tidy::check(&workspace_root());
            if problems.is_empty() {
                println!("tidy: all invariants hold");
                ExitCode::SUCCESS
            } else {
                for problem in &problems {
                    eprintln!("tidy: {problem}");
                }
                ExitCode::FAILURE
            }
        }
        "slo" => match slo::write(&workspace_root()) {
            Ok(written) => {
                for path in written {
                    println!("slo: wrote {path}");
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("slo: {error}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: cargo run -p xtask -- tidy|slo");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: the parent of this crate's folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}
