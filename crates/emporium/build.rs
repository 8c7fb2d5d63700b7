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
        // A crate from the registry has no folder here; only a crate of this workspace can be
        // a service. (A path that does not exist would make cargo rerun this script always.)
        let their_manifest = folder.join("Cargo.toml");
        let Ok(theirs) = std::fs::read_to_string(&their_manifest) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", their_manifest.display());
        if is_service(&theirs) {
            let module = name.replace('-', "_");
            lines.push(format!(
                "    {}({module}) => {module}::Plugin,",
                camel(&name)
            ));
        }
    }
    assert!(
        !lines.is_empty(),
        "the binary depends on no service crate: a service's manifest says \
         `[package.metadata.emporium]` with `service = true`"
    );
    let registry = format!("registry! {{\n{}\n}}\n", lines.join("\n"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("services.rs");
    // Unchanged, the file keeps its time, so nothing that includes it rebuilds.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(registry.as_str()) {
        std::fs::write(out, registry).expect("write the registry");
    }
}

/// The `[dependencies]` of a manifest, in order, each with the folder of its crate: its `path`,
/// or for a workspace dependency the folder of that name beside this crate (crates are flat,
/// each folder named after its crate).
fn dependencies(manifest: &str, manifest_dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(without_comment) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        // A dependency line starts with its name and `=` or `.`; anything else (the rest of a
        // table written over several lines) is not one.
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let rest = line[name.len()..].trim_start();
        if !in_dependencies || name.is_empty() || !rest.starts_with(['=', '.']) {
            continue;
        }
        let folder = match path_of(line) {
            Some(path) => manifest_dir.join(path),
            None => manifest_dir.join("..").join(&name),
        };
        found.push((name, folder));
    }
    found
}

/// The `path = "..."` of a dependency's inline table, if it has one.
fn path_of(line: &str) -> Option<&str> {
    let table = line.split_once('{')?.1;
    table.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        let value = value.trim().trim_end_matches('}').trim();
        (key.trim() == "path").then(|| value.trim_matches('"'))
    })
}

/// A manifest line, trimmed, without a comment after `#` (outside a string).
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    for (at, character) in line.char_indices() {
        match character {
            '"' => in_string = !in_string,
            '#' if !in_string => return line[..at].trim(),
            _ => {}
        }
    }
    line.trim()
}

/// Whether a crate's manifest declares it a service of the shop.
fn is_service(manifest: &str) -> bool {
    let mut in_table = false;
    for line in manifest.lines().map(without_comment) {
        if line.starts_with('[') {
            in_table = line == "[package.metadata.emporium]";
        } else if in_table && line.split_whitespace().collect::<String>() == "service=true" {
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
