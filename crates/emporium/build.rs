//! Makes the registry's list of services from this crate's manifest: the binary runs every
//! service crate it depends on, in the order the dependencies are written. A service crate says
//! it is one in its own manifest (`[package.metadata.emporium]` with `service = true`), so
//! adding a service is its crate and one dependency line here.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let manifest = manifest_dir.join("Cargo.toml");
    println!("cargo:rerun-if-changed={}", manifest.display());
    let text = std::fs::read_to_string(&manifest).expect("read the binary's manifest");
    let mut lines = Vec::new();
    for (name, folder) in dependencies(&text, &manifest_dir) {
        let their_manifest = folder.join("Cargo.toml");
        println!("cargo:rerun-if-changed={}", their_manifest.display());
        let theirs = std::fs::read_to_string(&their_manifest).unwrap_or_default();
        if is_service(&theirs) {
            let module = name.replace('-', "_");
            lines.push(format!(
                "    {}({module}) => {module}::Plugin,",
                camel(&name)
            ));
        }
    }
    let registry = format!("registry! {{\n{}\n}}\n", lines.join("\n"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("services.rs"), registry).expect("write the registry");
}

/// The `[dependencies]` of a manifest, in order, each with the folder of its crate: its `path`,
/// or for a workspace dependency the folder of that name beside this crate (crates are flat).
fn dependencies(manifest: &str, manifest_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(name) = line
            .split(['.', '=', ' '])
            .next()
            .filter(|name| !name.is_empty())
        else {
            continue;
        };
        let folder = match path_of(line) {
            Some(path) => manifest_dir.join(path),
            None => manifest_dir.join("..").join(name),
        };
        found.push((name.to_owned(), folder));
    }
    found
}

/// The `path = "..."` of a dependency line, if it has one.
fn path_of(line: &str) -> Option<&str> {
    let rest = line
        .split("path")
        .nth(1)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.split('"').next()
}

/// Whether a crate's manifest declares it a service of the shop.
fn is_service(manifest: &str) -> bool {
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[package.metadata.emporium]";
        } else if in_table && line.replace(' ', "") == "service=true" {
            return true;
        }
    }
    false
}

/// `notifications` as a type's name: `Notifications`; `gift-cards`: `GiftCards`.
fn camel(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut characters = part.chars();
            characters.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + characters.as_str()
            })
        })
        .collect()
}
