//! The portal's pages, drawn from the catalog.

use charts::MapEdge;
use maud::{Markup, PreEscaped, html};

use super::catalog::{Catalog, Entity, parse_reference};
use super::slo::Journey;

/// The overview: the system, the dependency graph, services, APIs, SLOs and teams.
pub(super) fn overview(catalog: &Catalog, journeys: Result<&[Journey], &str>) -> Markup {
    let system = catalog.of_kind("System").next();
    html! {
        @if let Some(system) = system {
            p.ops-summary { (system.metadata.description.as_deref().unwrap_or("")) " "
                (catalog.of_kind("Component").count()) " services, "
                (catalog.of_kind("API").count()) " APIs, "
                (catalog.of_kind("Group").count()) " teams; read from the repository's catalog-info.yaml files, as Backstage reads them." }
        }
        section aria-labelledby="graph-title" {
            h2 #graph-title { "Dependencies" }
            p { "Who calls whom over gRPC, as each service's catalog entry declares it (a test holds the declarations to the code)." }
            (PreEscaped(graph(catalog)))
        }
        (services(catalog))
        (apis(catalog))
        (data_products(catalog))
        (slos(catalog, journeys))
        (teams(catalog))
    }
}

/// The services and their declared dependencies, drawn as the operations view draws calls.
fn graph(catalog: &Catalog) -> String {
    let nodes: Vec<String> = catalog
        .of_kind("Component")
        .map(|component| component.metadata.name.clone())
        .collect();
    let edges: Vec<MapEdge> = catalog
        .of_kind("Component")
        .flat_map(|component| {
            component
                .list("dependsOn")
                .into_iter()
                .map(|reference| parse_reference(reference, "component"))
                .filter(|(kind, _)| kind == "component")
                .map(|(_, to)| MapEdge {
                    from: component.metadata.name.clone(),
                    to,
                    ..MapEdge::default()
                })
        })
        .collect();
    charts::service_map(&nodes, &edges, 900, 420)
}

fn services(catalog: &Catalog) -> Markup {
    html! {
        section aria-labelledby="services-title" {
            h2 #services-title { "Services" }
            table #services {
                thead { tr {
                    th scope="col" { "Service" } th scope="col" { "Owner" } th scope="col" { "Lifecycle" }
                    th scope="col" { "Provides" } th scope="col" { "Depends on" } th scope="col" { "Journeys" }
                    th scope="col" { "Dashboard" } th scope="col" { "Runbook" }
                } }
                tbody { @for component in catalog.of_kind("Component") { (service_row(component)) } }
            }
        }
    }
}

fn service_row(component: &Entity) -> Markup {
    let name = &component.metadata.name;
    let annotations = &component.metadata.annotations;
    html! {
        tr #{"service-" (name)} data-service=(name) {
            th scope="row" { (name) br; small { (component.metadata.description.as_deref().unwrap_or("")) } }
            td { (short(component.text("owner"))) }
            td { (component.text("lifecycle")) }
            td { @for api in component.list("providesApis") { a href={"/portal/apis/" (short(api))} { (short(api)) } " " } }
            td { (component.list("dependsOn").iter().map(|reference| short(reference)).collect::<Vec<_>>().join(", ")) }
            td { @for journey in component.journeys() { a href={"#slo-" (journey)} { (journey) } " " } }
            td { @if let Some(selector) = annotations.get("grafana/dashboard-selector") {
                "Grafana " code { (selector.split('\'').nth(1).unwrap_or(selector)) } ", service=" (name) "; "
                a href="/ops" { "live in /ops" }
            } }
            td { @if annotations.contains_key("emporium.dev/runbook") {
                a href={"/portal/runbooks/" (name)} { "runbook" }
            } }
        }
    }
}

fn apis(catalog: &Catalog) -> Markup {
    let related = |field: &str, api: &Entity| {
        components_where(catalog, |component| {
            let named = component.list(field);
            named.iter().any(|named| short(named) == api.metadata.name)
        })
    };
    html! {
        section aria-labelledby="apis-title" {
            h2 #apis-title { "APIs" }
            table #apis {
                thead { tr { th scope="col" { "API" } th scope="col" { "Type" } th scope="col" { "Owner" }
                    th scope="col" { "Provided by" } th scope="col" { "Consumed by" } } }
                tbody { @for api in catalog.of_kind("API") {
                    tr data-api=(api.metadata.name) {
                        th scope="row" { a href={"/portal/apis/" (api.metadata.name)} { (api.metadata.name) } }
                        td { (api.text("type")) } td { (short(api.text("owner"))) }
                        td { (related("providesApis", api)) } td { (related("consumesApis", api)) }
                    }
                } }
            }
        }
    }
}

/// The domains' data products: the APIs of type `data-contract`, each an ODCS contract.
fn data_products(catalog: &Catalog) -> Markup {
    let products = catalog
        .of_kind("API")
        .filter(|api| api.text("type") == "data-contract");
    html! {
        section aria-labelledby="data-products-title" {
            h2 #data-products-title { "Data products" }
            p { "Each domain's data that others analyse, under a contract in the Open Data Contract Standard: its service writes it as Parquet files under the data folder's " code { "exports/" } " and publishes its events; a change that breaks a published contract needs a new major version." }
            table #data-products {
                thead { tr { th scope="col" { "Product" } th scope="col" { "Owner" }
                    th scope="col" { "Provided by" } th scope="col" { "Contract" } } }
                tbody { @for api in products {
                    tr data-product=(api.metadata.name) {
                        th scope="row" { (api.metadata.title.as_deref().unwrap_or(&api.metadata.name)) br;
                            small { (api.metadata.description.as_deref().unwrap_or("")) } }
                        td { (short(api.text("owner"))) }
                        td { (components_where(catalog, |component| component.list("providesApis").iter().any(|named| short(named) == api.metadata.name))) }
                        td { a href={"/portal/apis/" (api.metadata.name)} { "contract" } }
                    }
                } }
            }
        }
    }
}

fn slos(catalog: &Catalog, journeys: Result<&[Journey], &str>) -> Markup {
    let serving = |journey: &str| {
        components_where(catalog, |component| {
            component.journeys().any(|one| one == journey)
        })
    };
    html! {
        section aria-labelledby="slos-title" {
            h2 #slos-title { "Service-level objectives" }
            p { "Over 30 days, measured at the gateway (" code { "deploy/slo/slos.toml" } "; the Grafana dashboard "
                code { "emporium-slo" } ", the alerts SLOBurnRateFast and SLOBurnRateSlow)." }
            @if let Err(problem) = journeys { p.notice role="alert" { (problem) } }
            table #slos {
                thead { tr { th scope="col" { "Journey" } th scope="col" { "Availability" } th scope="col" { "Latency" }
                    th scope="col" { "Services" } th scope="col" { "Routes" } } }
                tbody { @for journey in journeys.unwrap_or_default() {
                    tr #{"slo-" (journey.name)} {
                        th scope="row" { (journey.name) br; small { (journey.description) } }
                        td { (percent(journey.availability)) " not a 5xx" }
                        td { (percent(journey.latency.objective)) " within " (journey.latency.threshold_seconds * 1000.0) " ms" }
                        td { (serving(&journey.name)) }
                        td { (journey.routes.join(" ")) }
                    }
                } }
            }
        }
    }
}

fn teams(catalog: &Catalog) -> Markup {
    html! {
        section aria-labelledby="teams-title" {
            h2 #teams-title { "Teams" }
            dl #teams { @for group in catalog.of_kind("Group") {
                @let owned: Vec<String> = catalog.entities.iter()
                    .filter(|entity| short(entity.text("owner")) == group.metadata.name)
                    .map(Entity::reference).collect();
                dt { (group.metadata.name) }
                dd { (group.metadata.description.as_deref().unwrap_or("")) " Owns: " (owned.join(", ")) "." }
            } }
        }
    }
}

/// An API's page: what it is, who provides and consumes it, and its definition.
pub(super) fn api(catalog: &Catalog, api: &Entity) -> Markup {
    let definition = api.definition_path();
    let text = definition
        .as_deref()
        .and_then(|path| catalog.file(path))
        .unwrap_or("");
    html! {
        p { (api.metadata.description.as_deref().unwrap_or("")) }
        dl {
            dt { "Type" } dd { (api.text("type")) }
            dt { "Owner" } dd { (short(api.text("owner"))) }
            dt { "Lifecycle" } dd { (api.text("lifecycle")) }
            @if let Some(live) = api.metadata.annotations.get("emporium.dev/live") {
                dt { "Served at" } dd { a href=(live) { (live) } }
            }
            @if let Some(path) = &definition { dt { "Definition" } dd { code { (path) } } }
        }
        pre.definition { code { (text) } }
        p { a href="/portal" { "Back to the portal" } }
    }
}

/// A Markdown document as HTML; any HTML written in it is shown as text, not obeyed, and a
/// link or image to anything but http, https or a path of this site goes nowhere.
pub(super) fn markdown(text: &str) -> Markup {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
    let safe = |url: CowStr<'_>| -> bool {
        let lower = url.to_ascii_lowercase();
        lower.starts_with("http://") || lower.starts_with("https://") || !lower.contains(':')
    };
    let events = Parser::new_ext(text, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe(dest_url.clone()) => Event::Start(Tag::Link {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe(dest_url.clone()) => Event::Start(Tag::Image {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    html! { article.runbook { (PreEscaped(out)) } p { a href="/portal" { "Back to the portal" } } }
}

/// The names of the services for which `holds`, as a list for a person.
fn components_where(catalog: &Catalog, holds: impl Fn(&Entity) -> bool) -> String {
    let names: Vec<&str> = catalog
        .of_kind("Component")
        .filter(|component| holds(component))
        .map(|component| component.metadata.name.as_str())
        .collect();
    names.join(", ")
}

/// `group:default/checkout` as `checkout`.
fn short(reference: &str) -> &str {
    let name = reference
        .rsplit_once(':')
        .map_or(reference, |(_, rest)| rest);
    name.rsplit_once('/').map_or(name, |(_, name)| name)
}

fn percent(share: f64) -> String {
    format!("{}%", (share * 1000.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_obeys_no_html_and_follows_no_script_link() {
        let drawn = super::markdown("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](/ops) [z](https://example.com)").into_string();
        assert!(drawn.contains("<h1>Title</h1>"), "{drawn}");
        assert!(
            !drawn.contains("<script>") && drawn.contains("&lt;script&gt;"),
            "{drawn}"
        );
        assert!(
            !drawn.contains("javascript:") && drawn.contains("href=\"#\""),
            "{drawn}"
        );
        assert!(drawn.contains("href=\"/ops\"") && drawn.contains("href=\"https://example.com\""));
    }
}
