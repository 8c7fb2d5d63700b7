//! Embeds what the portal at `/portal` draws: the software catalog (the root
//! `catalog-info.yaml`, the files its Location names, and the API definitions they name with
//! `$text`), the runbooks under `docs/runbooks`, and the SLOs of `deploy/slo/slos.toml`. A
//! file a catalog names that does not exist fails the build with its name. The files are read
//! by line, as the catalog files are written: a target as a list item `- ./path`, a definition
//! as `$text: path` on a line of its own.

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("../..");
    let mut files = vec![
        "catalog-info.yaml".to_owned(),
        "deploy/slo/slos.toml".to_owned(),
    ];
    let location = read(&root, "catalog-info.yaml");
    for target in values(&location, "- ") {
        let path = normalize(Path::new(target.trim_start_matches("./")));
        files.push(path);
    }
    let catalogs: Vec<String> = files.iter().skip(2).cloned().collect();
    for catalog in std::iter::once("catalog-info.yaml".to_owned()).chain(catalogs) {
        let folder = Path::new(&catalog)
            .parent()
            .unwrap_or(Path::new(""))
            .to_owned();
        for definition in values(&read(&root, &catalog), "$text:") {
            files.push(normalize(&folder.join(definition)));
        }
    }
    let runbooks = root.join("docs/runbooks");
    println!("cargo:rerun-if-changed={}", runbooks.display());
    let mut names: Vec<String> = std::fs::read_dir(&runbooks)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| name.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    files.extend(
        names
            .into_iter()
            .map(|name| format!("docs/runbooks/{name}")),
    );
    files.dedup();

    let mut code = String::from("/// The portal's files by their path in the repository.\n");
    code.push_str("pub(crate) static FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        let absolute = root.join(file).canonicalize().unwrap_or_else(|error| {
            panic!("the portal's file {file} (named in the software catalog): {error}")
        });
        println!("cargo:rerun-if-changed={}", absolute.display());
        let _ = writeln!(code, "    ({file:?}, include_str!({:?})),", absolute);
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("portal_files.rs"), code).expect("write portal_files.rs");
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file))
        .unwrap_or_else(|error| panic!("the portal's file {file}: {error}"))
}

/// The values of the lines that start with `key` (after indentation), unquoted.
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix(key))
        .map(|value| value.trim().trim_matches('"').trim_matches('\''))
        .filter(|value| value.ends_with(".yaml") || key == "$text:")
        .collect()
}

/// `path` with `.` and `..` taken out, written with `/`.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}
