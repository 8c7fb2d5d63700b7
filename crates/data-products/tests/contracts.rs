//! The contract test: every data contract of the workspace (`crates/*/contracts/*.odcs.yaml`)
//! reads, and every active one may replace what was published of its major version
//! (`contracts/published/<name>.v<major>.odcs.yaml` beside it): a change that breaks a consumer
//! of the published schema fails here until its major version goes up. A compatible change, or
//! a new major version, is published by running this with `EMPORIUM_UPDATE_CONTRACTS=1`; a
//! breaking one is never written.

use std::path::{Path, PathBuf};

use data_products::{Contract, check};

fn contracts() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let folder = entry.unwrap().path().join("contracts");
        let Ok(files) = std::fs::read_dir(&folder) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            if path.to_string_lossy().ends_with(".odcs.yaml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Where the published copy of `path`'s major version `major` is kept.
fn published(path: &Path, major: u64) -> PathBuf {
    let name = path.file_name().unwrap().to_string_lossy();
    let stem = name.trim_end_matches(".odcs.yaml");
    path.parent()
        .unwrap()
        .join("published")
        .join(format!("{stem}.v{major}.odcs.yaml"))
}

#[test]
fn every_contract_reads_and_keeps_what_its_major_version_published() {
    let update = std::env::var("EMPORIUM_UPDATE_CONTRACTS").is_ok_and(|value| value == "1");
    let found = contracts();
    for domain in ["orders", "catalog", "inventory", "payments"] {
        assert!(
            found.iter().any(|path| path.starts_with(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("..")
                    .join(domain)
            )),
            "{domain} publishes a data product"
        );
    }
    let mut problems = Vec::new();
    for path in found {
        let text = std::fs::read_to_string(&path).unwrap();
        let proposed =
            Contract::parse(&text).unwrap_or_else(|error| panic!("{}: {error:#}", path.display()));
        if proposed.status != "active" {
            continue;
        }
        let copy = published(&path, proposed.version.0);
        let verdict = match std::fs::read_to_string(&copy) {
            Ok(before) => check(&Contract::parse(&before).unwrap(), &proposed),
            Err(_) => Err(format!("{} is not published", copy.display())),
        };
        match verdict {
            Ok(()) if update => std::fs::write(&copy, &text).unwrap(),
            Ok(()) => {}
            // A first publication of a major version has nothing of its own to break.
            Err(_) if update && !copy.exists() => {
                std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
                std::fs::write(&copy, &text).unwrap();
            }
            Err(problem) => problems.push(format!("{}: {problem}", path.display())),
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(a compatible change or a new major version is published with EMPORIUM_UPDATE_CONTRACTS=1)",
        problems.join("\n")
    );
}
