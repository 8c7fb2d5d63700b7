//! `emporium new service|function` on the real binary, in a scratch folder holding what it reads
//! of a checkout: a service comes out whole (its crate, catalog entry, runbook, dashboard, alerts,
//! contract, and its lines in the binary's manifest, the root catalog and the chart's values),
//! the portal's catalog reads it and finds it consistent with the registry, and whatever cannot
//! be made is refused by name with nothing written. `scripts/new-service` (CI) builds, tests and
//! runs what it makes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use emporium::registry::Service;
use storefront::portal::Catalog;
use storefront::portal::catalog::embedded_files;

const BINARY: &str = env!("CARGO_BIN_EXE_emporium");
/// What `new` reads of a checkout.
const READ: [&str; 6] = [
    "Cargo.toml",
    "crates/emporium/Cargo.toml",
    "catalog-info.yaml",
    "deploy/helm/emporium/values.yaml",
    "crates/events/src/lib.rs",
    "guests/assemblyscript/assembly/emporium.ts",
];

fn checkout() -> PathBuf {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = test_support::scratch_dir("scaffold");
    for file in READ {
        let to = root.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repository.join(file), to).unwrap();
    }
    root
}

fn new(root: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("new")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

fn text(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap_or_else(|error| panic!("{file}: {error}"))
}

#[test]
fn a_new_service_is_written_whole_and_the_portal_s_catalog_reads_it() {
    let root = checkout();
    let made = new(
        &root,
        &[
            "service",
            "reviews",
            "--owner",
            "checkout",
            "--description",
            "Reviews of products",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for file in [
        "crates/reviews/src/lib.rs",
        "crates/reviews/proto/emporium/reviews.proto",
        "crates/reviews/migrations/postgres/0001_reviews.sql",
        "crates/reviews/tests/it/items.rs",
        "crates/reviews/contracts/items.odcs.yaml",
        "deploy/prometheus/services/reviews.yml",
    ] {
        assert!(root.join(file).is_file(), "{file} was written");
    }
    let lib = text(&root, "crates/reviews/src/lib.rs");
    assert!(
        lib.contains("pub struct Reviews {") && !lib.contains('@'),
        "{lib}"
    );
    let manifest = text(&root, "crates/emporium/Cargo.toml");
    assert!(manifest.contains("gateway.workspace = true\nreviews = { path = \"../reviews\" }\n"));
    let values = text(&root, "deploy/helm/emporium/values.yaml");
    let (secrets, services) = values.split_once("\nservices:").unwrap();
    assert!(
        secrets.contains("\n    inference: \"\"\n    reviews: \"\"\n"),
        "{secrets}"
    );
    assert!(services.contains("\n  reviews:\n    enabled: true\n"));
    assert!(services.find("\n  reviews:") < services.find("\n  gateway:"));
    let events = text(&root, "crates/events/src/lib.rs");
    assert!(
        events.contains("    \"functions\",\n    \"reviews\",\n];"),
        "{events}"
    );
    let dashboard = text(&root, "deploy/grafana/dashboards/emporium-reviews.json");
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    assert_eq!(dashboard["uid"], "emporium-reviews");

    // The catalog as the portal would embed it with the new service in.
    let mut files: Vec<(String, String)> = embedded_files()
        .iter()
        .filter(|(path, _)| *path != "catalog-info.yaml")
        .map(|(path, body)| ((*path).to_owned(), (*body).to_owned()))
        .collect();
    for file in [
        "catalog-info.yaml",
        "crates/reviews/catalog-info.yaml",
        "crates/reviews/proto/emporium/reviews.proto",
        "crates/reviews/contracts/items.odcs.yaml",
        "docs/runbooks/reviews.md",
    ] {
        files.push((file.to_owned(), text(&root, file)));
    }
    let catalog = Catalog::parse(
        files
            .iter()
            .map(|(path, body)| (path.as_str(), body.as_str())),
    )
    .unwrap_or_else(|problems| panic!("{problems:#?}"));
    let component = catalog.find("reviews", "component").unwrap();
    assert_eq!(component.text("owner"), "group:checkout");
    let mut services: Vec<(&str, &[&str])> = Service::ALL
        .iter()
        .map(|service| (service.name(), service.calls()))
        .collect();
    services.push(("reviews", &[]));
    assert_eq!(catalog.check_calls(&services), Vec::<String>::new());
}

#[test]
fn new_refuses_what_it_cannot_make_by_name_and_writes_nothing() {
    let root = checkout();
    let before: Vec<String> = READ.iter().map(|file| text(&root, file)).collect();
    let refusals: [(&[&str], &str); 10] = [
        (
            &["service", "Bad_Name"],
            "2 to 30 lowercase letters and digits",
        ),
        (&["service", "x"], "2 to 30 lowercase letters and digits"),
        (&["service", "type"], "a name Rust or the shop keeps"),
        (&["service", "items"], "a name Rust or the shop keeps"),
        (&["service", "tls"], "a name Rust or the shop keeps"),
        (
            &["service", "reviews", "--description", "a \\ b"],
            "--description: one line of plain text",
        ),
        (&["service", "tokio"], "a dependency of the workspace"),
        (
            &["service", "reviews", "--owner", "nobody"],
            "--owner nobody: not a group of catalog-info.yaml (its groups: platform,",
        ),
        (&["function", "Bad Name"], "not a function name"),
        (&["function", "emporium"], "the host calls' wrapper"),
    ];
    for (args, says) in refusals {
        let refused = new(&root, args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let after: Vec<String> = READ.iter().map(|file| text(&root, file)).collect();
    assert_eq!(before, after, "a refusal changes nothing");
    assert!(!root.join("crates/reviews").exists() && !root.join("docs").exists());

    assert!(new(&root, &["service", "reviews"]).status.success());
    let again = new(&root, &["service", "reviews"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("crates/reviews exists already"));
    assert!(new(&root, &["function", "greeter"]).status.success());
    let function = text(&root, "guests/assemblyscript/assembly/greeter.ts");
    assert!(function.contains("\\\"function\\\":\\\"greeter\\\"") && !function.contains('@'));
    let again = new(&root, &["function", "greeter"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already: nothing was written"));

    let nowhere = test_support::scratch_dir("scaffold-empty");
    let lost = new(&nowhere, &["service", "reviews"]);
    assert!(
        String::from_utf8_lossy(&lost.stderr).contains("at the root of an Emporium checkout"),
        "{}",
        String::from_utf8_lossy(&lost.stderr)
    );
}
