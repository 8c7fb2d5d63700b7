//! The tidy checks: the invariants of ARCHITECTURE.md, checked on the source tree as text.
//!
//! - Service crates never depend on each other (dev-dependencies may start a real neighbour).
//! - Only a service's `store.rs` (or the files of its `store/` folder, when it grows to one)
//!   runs SQL or opens its database (`sqlx::query`, `db::query`, `Database`); the gateway has
//!   no database.
//! - A service's `grpc.rs` converts and delegates: it does not reach into the store.
//! - No function runs over about 80 lines, no file over about 600 (`size.rs`).
//! - Domain modules import no IO crates.
//! - Every `.rs` file opens with a `//!` line saying what it is for.

use std::path::{Path, PathBuf};

/// Crates a domain module must not use: they do IO.
const IO_CRATES: &[&str] = &[
    "sqlx", "tonic", "tokio", "axum", "reqwest", "std::fs", "std::net",
];

/// The IO crates a pure module (`text`, of `file`) uses, as problems.
fn io_uses(root: &Path, file: &Path, text: &str) -> Vec<String> {
    IO_CRATES
        .iter()
        .filter(|io_crate| {
            text.contains(&format!("{io_crate}::")) || text.contains(&format!("use {io_crate}"))
        })
        .map(|io_crate| {
            format!(
                "{} uses `{io_crate}`; domain modules and shared values do no IO",
                relative(root, file)
            )
        })
        .collect()
}

/// Whether `text` uses a `store` field or variable (`self.x.store.get`, `store.clone()`).
fn names_the_store(text: &str) -> bool {
    text.match_indices("store").any(|(at, _)| {
        let before = text[..at].trim_end().chars().last();
        let after = text[at + "store".len()..].chars().next();
        let word_before = text[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word_before
            && (before == Some('.') || after == Some('.'))
            && after != Some('_')
            && !text[..at].ends_with("crate::")
            && !text[..at].ends_with("use crate::")
    })
}

/// Every problem found under `root`; empty when the tree is tidy.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let services = service_crates(root);
    for service in &services {
        let manifest = root.join("crates").join(service).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap_or_default();
        for dependency in dependencies(&text) {
            if dependency != *service && services.contains(&dependency) {
                problems.push(format!(
                    "crates/{service} depends on the service crate `{dependency}`; services meet only through proto, events and platform"
                ));
            }
        }
        if service == "gateway" && dependencies(&text).iter().any(|name| name == "sqlx") {
            problems
                .push("crates/gateway depends on sqlx; the gateway owns no database".to_owned());
        }
        for file in rust_files(&root.join("crates").join(service).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let name = file
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            let touches_database = [
                "sqlx::query",
                "sqlx::migrate!",
                "db::query",
                "Database::",
                "db::Database",
            ]
            .iter()
            .any(|needle| text.contains(needle));
            let in_store = name == "store.rs"
                || file
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|folder| folder == "store");
            if !in_store && touches_database {
                problems.push(format!(
                    "{} runs SQL; only a service's store.rs touches its database",
                    relative(root, &file)
                ));
            }
            if name == "grpc.rs" && names_the_store(&text) {
                problems.push(format!(
                    "{} reaches into the store; grpc.rs converts and delegates to the service",
                    relative(root, &file)
                ));
            }
            if name == "domain.rs" || file.components().any(|part| part.as_os_str() == "domain") {
                problems.extend(io_uses(root, &file, &text));
            }
        }
    }
    // The shared value types are pure too: domain modules use them.
    let values = root.join("crates/platform/src");
    for file in rust_files(&values.join("values"))
        .into_iter()
        .chain([values.join("values.rs")])
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        problems.extend(io_uses(root, &file, &text));
    }
    problems.extend(crate::size::check(root));
    for file in rust_files(&root.join("crates"))
        .into_iter()
        .chain(rust_files(&root.join("xtask")))
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let first = text
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default();
        if !first.starts_with("//!") {
            problems.push(format!(
                "{} does not open with a `//!` line saying what it is for",
                relative(root, &file)
            ));
        }
    }
    problems
}

/// The crates under `crates/` that are services.
fn service_crates(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return Vec::new();
    };
    let mut services: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .filter(|entry| is_service(&entry.path().join("Cargo.toml")))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .collect();
    services.sort();
    services
}

/// Whether the crate of `manifest` says it is a service (`[package.metadata.emporium]`
/// `service = true`, as the binary's build script reads it); the binary, the contracts, the
/// paved road, the fixtures and the storefront (a part of the gateway) are not.
fn is_service(manifest: &Path) -> bool {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let Some(start) = text.find("[package.metadata.emporium]") else {
        return false;
    };
    let section = &text[start + "[package.metadata.emporium]".len()..];
    let section = &section[..section.find("\n[").unwrap_or(section.len())];
    section
        .lines()
        .any(|line| line.split('#').next().unwrap_or_default().replace(' ', "") == "service=true")
}

/// The crate names in a manifest's `[dependencies]` and `[build-dependencies]`, with renames
/// (`alias = { package = "name" }`) resolved.
pub fn dependencies(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = matches!(line, "[dependencies]" | "[build-dependencies]")
                || line.starts_with("[target.")
                    && (line.ends_with(".dependencies]") || line.ends_with(".build-dependencies]"));
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key
            .trim()
            .split('.')
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        let package = value
            .split("package")
            .nth(1)
            .and_then(|rest| rest.split('"').nth(1))
            .map(str::to_owned);
        names.push(package.unwrap_or(key));
    }
    names
}

pub(crate) fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "node_modules" {
                files.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

pub(crate) fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_keeps_its_invariants() {
        let problems = check(&crate::workspace_root());
        assert!(problems.is_empty(), "tidy found:\n{}", problems.join("\n"));
    }

    #[test]
    fn a_service_depending_on_another_service_is_found() {
        let root = std::env::temp_dir().join(format!("tidy-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "crates/cart/Cargo.toml",
            "[package]\nname = \"cart\"\n[package.metadata.emporium]\nservice = true\n[dependencies]\ncatalog.workspace = true\n[dev-dependencies]\nidentity.workspace = true\n",
        );
        write("crates/cart/src/lib.rs", "//! The cart.\n");
        write("crates/cart/src/domain.rs", "//! Rules.\nuse sqlx::Row;\n");
        write(
            "crates/cart/src/grpc.rs",
            "//! gRPC.\nfn f() { sqlx::query(\"SELECT 1\"); }\n",
        );
        write(
            "crates/orders/Cargo.toml",
            "[package]\nname = \"orders\"\n[package.metadata.emporium]\nservice = true\n",
        );
        write(
            "crates/orders/src/grpc.rs",
            "//! gRPC.\nuse crate::store::Order;\nfn f(&self) { self.orders.store.get(1); }\n",
        );
        write(
            "crates/orders/src/saga.rs",
            "//! The saga.\nfn f() { db::query(\"UPDATE orders\"); }\n",
        );
        write(
            "crates/catalog/Cargo.toml",
            "[package]\nname = \"catalog\"\n[package.metadata.emporium]\nservice = true\n[dependencies]\nrenamed = { package = \"identity\", path = \"../identity\" }\n",
        );
        write("crates/catalog/src/lib.rs", "// no inner doc\n");
        write(
            "crates/identity/Cargo.toml",
            "[package]\nname = \"identity\"\n[package.metadata.emporium]\nservice = true\n",
        );
        // A crate that does not say it is a service may be a service's dependency.
        write(
            "crates/storefront/Cargo.toml",
            "[package]\nname = \"storefront\"\n[dependencies]\ncatalog.workspace = true\n",
        );
        write("crates/storefront/src/lib.rs", "//! Pages.\n");
        let problems = check(&root);
        std::fs::remove_dir_all(&root).unwrap();
        let found = |needle: &str| problems.iter().any(|problem| problem.contains(needle));
        assert!(
            found("crates/cart depends on the service crate `catalog`"),
            "{problems:#?}"
        );
        assert!(
            found("crates/catalog depends on the service crate `identity`"),
            "renames are seen: {problems:#?}"
        );
        assert!(!found("crates/storefront depends"), "{problems:#?}");
        assert!(
            !found("crates/cart depends on the service crate `identity`"),
            "dev-dependencies are allowed"
        );
        assert!(found("crates/cart/src/grpc.rs runs SQL"), "{problems:#?}");
        assert!(found("crates/orders/src/saga.rs runs SQL"), "{problems:#?}");
        assert!(
            found("crates/orders/src/grpc.rs reaches into the store"),
            "{problems:#?}"
        );
        assert!(
            found("crates/cart/src/domain.rs uses `sqlx`"),
            "{problems:#?}"
        );
        assert!(
            found("crates/catalog/src/lib.rs does not open with a `//!` line"),
            "{problems:#?}"
        );
    }
}
