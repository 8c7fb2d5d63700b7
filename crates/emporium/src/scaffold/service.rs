//! `emporium new service <name>`: the crate from `templates/service`, and its lines in the
//! binary's manifest, the root catalog file and the Helm values.

use std::path::{Path, PathBuf};

use super::{Edit, File, Names, camel, insert_after, read, write};

/// Each template and where it goes, `@name@` filled in the path as in the text.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "crates/@name@/Cargo.toml",
        include_str!("../../templates/service/Cargo.toml.tmpl"),
    ),
    (
        "crates/@name@/build.rs",
        include_str!("../../templates/service/build.rs.tmpl"),
    ),
    (
        "crates/@name@/proto/emporium/@name@.proto",
        include_str!("../../templates/service/proto/service.proto.tmpl"),
    ),
    (
        "crates/@name@/src/lib.rs",
        include_str!("../../templates/service/src/lib.rs.tmpl"),
    ),
    (
        "crates/@name@/src/plugin.rs",
        include_str!("../../templates/service/src/plugin.rs.tmpl"),
    ),
    (
        "crates/@name@/src/domain.rs",
        include_str!("../../templates/service/src/domain.rs.tmpl"),
    ),
    (
        "crates/@name@/src/items.rs",
        include_str!("../../templates/service/src/items.rs.tmpl"),
    ),
    (
        "crates/@name@/src/product.rs",
        include_str!("../../templates/service/src/product.rs.tmpl"),
    ),
    (
        "crates/@name@/src/store.rs",
        include_str!("../../templates/service/src/store.rs.tmpl"),
    ),
    (
        "crates/@name@/src/grpc.rs",
        include_str!("../../templates/service/src/grpc.rs.tmpl"),
    ),
    (
        "crates/@name@/src/http.rs",
        include_str!("../../templates/service/src/http.rs.tmpl"),
    ),
    (
        "crates/@name@/src/error.rs",
        include_str!("../../templates/service/src/error.rs.tmpl"),
    ),
    (
        "crates/@name@/migrations/sqlite/0001_@name@.sql",
        include_str!("../../templates/service/migrations/sqlite.sql.tmpl"),
    ),
    (
        "crates/@name@/migrations/postgres/0001_@name@.sql",
        include_str!("../../templates/service/migrations/postgres.sql.tmpl"),
    ),
    (
        "crates/@name@/tests/it/main.rs",
        include_str!("../../templates/service/tests/main.rs.tmpl"),
    ),
    (
        "crates/@name@/tests/it/items.rs",
        include_str!("../../templates/service/tests/items.rs.tmpl"),
    ),
    (
        "crates/@name@/catalog-info.yaml",
        include_str!("../../templates/service/catalog-info.yaml.tmpl"),
    ),
    (
        "crates/@name@/contracts/items.odcs.yaml",
        include_str!("../../templates/service/contracts/items.odcs.yaml.tmpl"),
    ),
    (
        "docs/runbooks/@name@.md",
        include_str!("../../templates/service/docs/runbook.md.tmpl"),
    ),
    (
        "deploy/grafana/dashboards/emporium-@name@.json",
        include_str!("../../templates/service/deploy/dashboard.json.tmpl"),
    ),
    (
        "deploy/prometheus/services/@name@.yml",
        include_str!("../../templates/service/deploy/alerts.yml.tmpl"),
    ),
];

/// Names a crate may not take: Rust's keywords and the crates every crate sees, and what the
/// shop's certificates and tools already use.
const RESERVED: &[&str] = &[
    "abstract",
    "admin",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "emporium",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "fuzz",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "xtask",
    "yield",
    // What the templates name themselves (a type `Item` beside a service `Item` would clash),
    // and the process's own settings sections, which a service's section would shadow.
    "arc",
    "built",
    "client",
    "config",
    "context",
    "domain",
    "err",
    "error",
    "exports",
    "grpc",
    "http",
    "invalid",
    "item",
    "items",
    "json",
    "ok",
    "option",
    "outbox",
    "page",
    "path",
    "pb",
    "plugin",
    "product",
    "query",
    "remote",
    "request",
    "response",
    "result",
    "router",
    "shutdown",
    "some",
    "source",
    "state",
    "status",
    "store",
    "string",
    "telemetry",
    "tls",
    "value",
    "vec",
];

const BINARY_MANIFEST: &str = "crates/emporium/Cargo.toml";
const ROOT_CATALOG: &str = "catalog-info.yaml";
const VALUES: &str = "deploy/helm/emporium/values.yaml";
const EVENTS: &str = "crates/events/src/lib.rs";

pub(super) fn create(
    root: &Path,
    name: &str,
    owner: &str,
    description: &str,
) -> anyhow::Result<String> {
    check_name(root, name)?;
    check_owner(root, owner)?;
    if description.contains(['\\', '"', '@']) || description.chars().any(char::is_control) {
        anyhow::bail!(
            "--description: one line of plain text, without backslashes, quotes, `@` or control characters (it goes into TOML, YAML and Rust)"
        );
    }
    let description = description.trim().to_owned();
    let names = Names {
        pairs: vec![
            ("@name@", name.to_owned()),
            ("@Name@", camel(name)),
            ("@NAME@", name.to_ascii_uppercase()),
            ("@owner@", owner.to_owned()),
            ("@description@", description),
        ],
    };
    let files: Vec<File> = TEMPLATES
        .iter()
        .map(|(path, template)| File {
            path: PathBuf::from(names.render(path)),
            text: names.render(template),
        })
        .collect();
    let edits = vec![
        binary_line(root, name)?,
        catalog_target(root, name)?,
        chart_values(root, name)?,
        event_domain(root, name)?,
    ];
    let written = write(root, &files, &edits)?;
    let listed: Vec<String> = written
        .iter()
        .map(|path| format!("  {}", path.display()))
        .collect();
    Ok(format!(
        "made the service {name}:\n{}\n{}\nnext:\n  cargo test -p {name}\n  cargo run -- serve {name}    (or `cargo run` for the whole shop)\n",
        listed.join("\n"),
        format(root, name)
    ))
}

/// Formats the crate's Rust as `cargo fmt` would (the imports' order depends on the name), or
/// says why it could not.
fn format(root: &Path, name: &str) -> String {
    let folder = root.join("crates").join(name);
    let formatted = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .args(["src/lib.rs", "tests/it/main.rs", "build.rs"].map(|file| folder.join(file)))
        .status();
    match formatted {
        Ok(status) if status.success() => String::new(),
        Ok(status) => format!("\nrustfmt failed ({status}): run `cargo fmt -p {name}`\n"),
        Err(error) => format!("\nrustfmt did not run ({error}): run `cargo fmt -p {name}`\n"),
    }
}

/// A name the crate, its settings section, its environment variables and its proto package can
/// all take, and that no crate of the checkout or the workspace's dependencies has.
fn check_name(root: &Path, name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && (2..=30).contains(&name.len());
    if !well_formed {
        anyhow::bail!(
            "`{name}`: a service's name is 2 to 30 lowercase letters and digits, starting with a letter (it becomes a crate, a settings section, EMPORIUM_{}__... variables and the proto package emporium.<name>.v1)",
            name.to_ascii_uppercase().replace('-', "_")
        );
    }
    if RESERVED.contains(&name) {
        anyhow::bail!("`{name}` is a name Rust or the shop keeps for itself; pick another");
    }
    if root.join("crates").join(name).exists() {
        anyhow::bail!("crates/{name} exists already: pick another name");
    }
    let workspace = read(root, "Cargo.toml")?;
    let taken = workspace.lines().any(|line| {
        line.split_once(['=', '.'])
            .is_some_and(|(key, _)| key.trim() == name)
    });
    if taken {
        anyhow::bail!("`{name}` is a dependency of the workspace (Cargo.toml): pick another name");
    }
    Ok(())
}

/// The owner must be a Group of the root catalog file, or the portal would name no one.
fn check_owner(root: &Path, owner: &str) -> anyhow::Result<()> {
    let catalog = read(root, ROOT_CATALOG)?;
    let groups: Vec<&str> = catalog
        .split("\n---")
        .filter(|document| document.lines().any(|line| line == "kind: Group"))
        .filter_map(|document| {
            document
                .lines()
                .find_map(|line| line.strip_prefix("  name: "))
        })
        .map(str::trim)
        .collect();
    if !groups.contains(&owner) {
        anyhow::bail!(
            "--owner {owner}: not a group of {ROOT_CATALOG} (its groups: {})",
            groups.join(", ")
        );
    }
    Ok(())
}

/// The binary's dependency on the crate, after the services already there: the registry.
fn binary_line(root: &Path, name: &str) -> anyhow::Result<Edit> {
    let text = read(root, BINARY_MANIFEST)?;
    let text = insert_after(
        &text,
        BINARY_MANIFEST,
        "`gateway.workspace = true` line",
        |line| line == "gateway.workspace = true" || is_added_service(line),
        &format!("{name} = {{ path = \"../{name}\" }}\n"),
    )?;
    Ok(Edit {
        path: BINARY_MANIFEST.into(),
        text,
    })
}

/// A line `new service` wrote into the binary's manifest before.
fn is_added_service(line: &str) -> bool {
    line.split_once(" = { path = \"../")
        .is_some_and(|(name, rest)| rest == format!("{name}\" }}"))
}

/// The crate's catalog file among the root Location's targets.
fn catalog_target(root: &Path, name: &str) -> anyhow::Result<Edit> {
    let text = read(root, ROOT_CATALOG)?;
    let text = insert_after(
        &text,
        ROOT_CATALOG,
        "`- ./crates/<service>/catalog-info.yaml` target",
        |line| line.starts_with("    - ./crates/") && line.ends_with("/catalog-info.yaml"),
        &format!("    - ./crates/{name}/catalog-info.yaml\n"),
    )?;
    Ok(Edit {
        path: ROOT_CATALOG.into(),
        text,
    })
}

/// The service in the chart's values: its database URL's key among the secrets, and its block
/// among the services (before the gateway's, which stays last).
fn chart_values(root: &Path, name: &str) -> anyhow::Result<Edit> {
    let text = read(root, VALUES)?;
    let (head, tail) = text
        .split_once("\n  databaseUrls:\n")
        .ok_or_else(|| anyhow::anyhow!("{VALUES} has no `  databaseUrls:` under `secrets:`"))?;
    // Its entries are the lines indented by four that follow it.
    let entries = tail
        .split_inclusive('\n')
        .take_while(|line| line.starts_with("    "))
        .map(str::len)
        .sum::<usize>();
    let text = format!(
        "{head}\n  databaseUrls:\n{}    {name}: \"\"\n{}",
        &tail[..entries],
        &tail[entries..]
    );
    let block = format!(
        "  {name}:\n    enabled: true\n    replicas: 1\n    # Made by `emporium new service`: items in its own database, events through its outbox.\n    database: true\n    bus: true\n    calls: []\n    clientId: \"\"\n    public: false\n    autoscaling: {{enabled: true, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 75}}\n    resources: {{}}\n    env: {{}}\n"
    );
    let before_gateway = text.find("\n  gateway:\n").ok_or_else(|| {
        anyhow::anyhow!("{VALUES} has no `  gateway:` service block to add the new one before")
    })?;
    let mut text = text;
    text.insert_str(before_gateway + 1, &block);
    Ok(Edit {
        path: VALUES.into(),
        text,
    })
}

/// The service's name among the event domains, so that NATS keeps a stream for its events.
fn event_domain(root: &Path, name: &str) -> anyhow::Result<Edit> {
    let text = read(root, EVENTS)?;
    let start = "pub const DOMAINS: &[&str] = &[\n";
    let at = text
        .find(start)
        .ok_or_else(|| anyhow::anyhow!("{EVENTS} has no `{}`", start.trim_end()))?;
    let end = text[at..]
        .find("];")
        .ok_or_else(|| anyhow::anyhow!("{EVENTS}: the list of DOMAINS does not end"))?;
    let mut text = text;
    text.insert_str(at + end, &format!("    \"{name}\",\n"));
    Ok(Edit {
        path: EVENTS.into(),
        text,
    })
}
