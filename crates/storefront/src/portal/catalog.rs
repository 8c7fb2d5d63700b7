//! The software catalog as Backstage reads it: the entities of the `catalog-info.yaml` files
//! (`backstage.io/v1alpha1`), checked for what Backstage requires of each kind and for
//! references that resolve, and held to the calls the code makes (`check_calls`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/portal_files.rs"));

/// The entity kinds the shop's catalog uses.
const KINDS: &[&str] = &[
    "Location",
    "Domain",
    "System",
    "Component",
    "API",
    "Resource",
    "Group",
];

/// One entity: a document of a catalog file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: serde_json::Value,
    /// The file it came from.
    #[serde(skip)]
    pub file: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Metadata {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Entity {
    /// The SLO journeys its `emporium.dev/journeys` annotation names.
    pub fn journeys(&self) -> impl Iterator<Item = &str> {
        let named = self.metadata.annotations.get("emporium.dev/journeys");
        let named = named.map_or("", String::as_str).split(',');
        named.filter(|journey| !journey.is_empty())
    }

    /// Its reference, `kind:name` in lower case (the default namespace).
    pub fn reference(&self) -> String {
        format!("{}:{}", self.kind.to_ascii_lowercase(), self.metadata.name)
    }

    /// A text field of its spec, empty when absent.
    pub fn text(&self, field: &str) -> &str {
        self.spec[field].as_str().unwrap_or("")
    }

    /// A list of texts of its spec (references, targets), empty when absent.
    pub fn list(&self, field: &str) -> Vec<&str> {
        let values = self.spec[field].as_array().map(Vec::as_slice);
        let values = values.unwrap_or_default().iter();
        values.filter_map(serde_json::Value::as_str).collect()
    }

    /// The file its `spec.definition.$text` names, as a path in the repository.
    pub fn definition_path(&self) -> Option<String> {
        let text = self.spec["definition"]["$text"].as_str()?;
        Some(resolve(&self.file, text))
    }
}

/// Every entity of the shop's catalog files.
#[derive(Debug)]
pub struct Catalog {
    pub entities: Vec<Entity>,
    files: BTreeMap<String, String>,
}

/// The files built into this binary for the portal, by their path in the repository.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    FILES
}

impl Catalog {
    /// The catalog built into this binary: the root `catalog-info.yaml` and every file its
    /// Location names (`build.rs`), or what is wrong with them.
    pub fn embedded() -> Result<&'static Catalog, &'static str> {
        static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
        let parsed = CATALOG.get_or_init(|| {
            let files = FILES.iter().map(|(path, text)| (*path, *text));
            Catalog::parse(files).map_err(|problems| problems.join("; "))
        });
        parsed.as_ref().map_err(String::as_str)
    }

    /// The entities of the YAML files among `files` (path and text), each checked; the other
    /// files are kept for `file`.
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, Vec<String>> {
        let mut catalog = Catalog {
            entities: Vec::new(),
            files: BTreeMap::new(),
        };
        let mut problems = Vec::new();
        for (path, text) in files {
            catalog.files.insert(path.to_owned(), text.to_owned());
            if !path.ends_with("catalog-info.yaml") {
                continue;
            }
            match serde_saphyr::from_multiple::<Entity>(text) {
                Ok(entities) => catalog
                    .entities
                    .extend(entities.into_iter().map(|mut entity| {
                        entity.file = path.to_owned();
                        entity
                    })),
                Err(error) => problems.push(format!("{path}: {error}")),
            }
        }
        problems.extend(catalog.problems());
        match problems.is_empty() {
            true => Ok(catalog),
            false => Err(problems),
        }
    }

    /// A file kept with the catalog (an API definition, a runbook, the SLOs) by its path.
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// The paths of the files kept whose path starts with `prefix`.
    pub fn files_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.files
            .keys()
            .filter(move |path| path.starts_with(prefix))
            .map(String::as_str)
    }

    /// The entities of `kind`.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Entity> {
        self.entities
            .iter()
            .filter(move |entity| entity.kind == kind)
    }

    /// The entity `reference` names (`component:cart`, or `cart` for a `default_kind`).
    pub fn find(&self, reference: &str, default_kind: &str) -> Option<&Entity> {
        let (kind, name) = parse_reference(reference, default_kind);
        self.entities
            .iter()
            .find(|entity| entity.kind.eq_ignore_ascii_case(&kind) && entity.metadata.name == name)
    }

    /// What is wrong with the entities: a field Backstage requires that is missing, a name it
    /// would refuse, the same entity twice, a reference to nothing, an API definition not kept.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for entity in &self.entities {
            let at = format!("{} ({})", entity.reference(), entity.file);
            if !seen.insert(entity.reference()) {
                problems.push(format!("{at}: defined twice"));
            }
            problems.extend(
                self.entity_problems(entity)
                    .into_iter()
                    .map(|problem| format!("{at}: {problem}")),
            );
        }
        problems
    }

    fn entity_problems(&self, entity: &Entity) -> Vec<String> {
        let mut problems = Vec::new();
        if entity.api_version != "backstage.io/v1alpha1" {
            problems.push(format!(
                "apiVersion {} is not backstage.io/v1alpha1",
                entity.api_version
            ));
        }
        if !KINDS.contains(&entity.kind.as_str()) {
            problems.push(format!("kind {} is none of {KINDS:?}", entity.kind));
        }
        if !valid_name(&entity.metadata.name) {
            problems.push(format!(
                "the name `{}` is not 1-63 letters, digits and -_. between letters or digits",
                entity.metadata.name
            ));
        }
        for field in required(&entity.kind) {
            if entity.spec[*field].is_null() {
                problems.push(format!("spec.{field} is missing"));
            }
        }
        let references: [(&str, &str); 7] = [
            ("owner", "group"),
            ("system", "system"),
            ("domain", "domain"),
            ("providesApis", "api"),
            ("consumesApis", "api"),
            ("dependsOn", "component"),
            ("children", "group"),
        ];
        for (field, kind) in references {
            let named = match &entity.spec[field] {
                serde_json::Value::String(one) => vec![one.as_str()],
                _ => entity.list(field),
            };
            for reference in named {
                if self.find(reference, kind).is_none() {
                    problems.push(format!(
                        "spec.{field} names {reference}, which is not in the catalog"
                    ));
                }
            }
        }
        if entity.kind == "API" {
            match entity.definition_path() {
                Some(path) if self.files.contains_key(&path) => {}
                Some(path) => problems.push(format!("its definition {path} is not kept")),
                None => problems.push("spec.definition has no $text".to_owned()),
            }
        }
        problems
    }

    /// What the catalog gets wrong about `services` (each name with the services it calls, as
    /// the code says): a service without a Component, a call its Component does not declare in
    /// `dependsOn`, or whose callee provides no API it consumes, and a declared dependency on a
    /// service it does not call.
    pub fn check_calls(&self, services: &[(&str, &[&str])]) -> Vec<String> {
        let mut problems = Vec::new();
        let names: BTreeSet<&str> = services.iter().map(|(name, _)| *name).collect();
        for (service, calls) in services {
            let Some(component) = self
                .find(service, "component")
                .filter(|entity| entity.kind == "Component")
            else {
                problems.push(format!(
                    "the service {service} has no Component in the catalog"
                ));
                continue;
            };
            let declared: BTreeSet<String> = component
                .list("dependsOn")
                .into_iter()
                .map(|reference| parse_reference(reference, "component"))
                .filter(|(kind, _)| kind == "component")
                .map(|(_, name)| name)
                .collect();
            let consumed = api_names(component, "consumesApis");
            for callee in *calls {
                if !declared.contains(*callee) {
                    problems.push(format!(
                        "{service} calls {callee}, which its dependsOn does not name"
                    ));
                }
                let provided = self
                    .find(callee, "component")
                    .map(|entity| api_names(entity, "providesApis"))
                    .unwrap_or_default();
                if !consumed.iter().any(|api| provided.contains(api)) {
                    problems.push(format!("{service} calls {callee} but consumes none of the APIs it provides ({provided:?})"));
                }
            }
            for stale in declared
                .iter()
                .filter(|name| names.contains(name.as_str()) && !calls.contains(&name.as_str()))
            {
                problems.push(format!(
                    "{service} declares a dependency on {stale}, which it does not call"
                ));
            }
        }
        problems
    }
}

/// The names of the APIs `entity` lists in `field`, however each is written.
fn api_names(entity: &Entity, field: &str) -> Vec<String> {
    let references = entity.list(field).into_iter();
    references
        .map(|reference| parse_reference(reference, "api").1)
        .collect()
}

/// The fields of `spec` Backstage requires of `kind`.
fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "Component" => &["type", "lifecycle", "owner"],
        "API" => &["type", "lifecycle", "owner", "definition"],
        "Resource" => &["type", "owner"],
        "System" | "Domain" => &["owner"],
        "Group" => &["type", "children"],
        "Location" => &["targets"],
        _ => &[],
    }
}

/// `[kind:][namespace/]name` as its kind (lower case) and name.
pub fn parse_reference(reference: &str, default_kind: &str) -> (String, String) {
    let (kind, rest) = match reference.split_once(':') {
        Some((kind, rest)) => (kind.to_ascii_lowercase(), rest),
        None => (default_kind.to_owned(), reference),
    };
    let name = rest.rsplit_once('/').map_or(rest, |(_, name)| name);
    (kind, name.to_owned())
}

/// Backstage's rule for names: 1 to 63 characters of `[a-zA-Z0-9-_.]`, beginning and ending
/// with a letter or digit.
fn valid_name(name: &str) -> bool {
    let edges = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && edges(name.chars().next())
        && edges(name.chars().last())
}

/// `relative` (a `$text` or a target) as a path in the repository, from the file `from`.
fn resolve(from: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in relative.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}
