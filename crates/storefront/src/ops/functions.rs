//! The functions in the operations view: each with the versions serving and their shares of
//! the traffic, what triggers it, and its usage over the invocations kept (as `emporium fn list`
//! shows them).

use maud::{Markup, html};
use proto::functions as pb;

/// The table of the functions deployed, or why it could not be read.
pub(super) fn table(functions: Result<&Vec<pb::Function>, &tonic::Status>) -> Markup {
    let functions = match functions {
        Ok(functions) => functions,
        Err(status) if status.code() == tonic::Code::PermissionDenied => {
            return html! { p.notice #functions { "Reading the functions needs the scope functions.admin, which this sign-in lacks." } };
        }
        Err(status) => {
            return html! { p.notice #functions { "The functions could not be read: " (status.message()) } };
        }
    };
    if functions.is_empty() {
        return html! { p #functions { "No function is deployed. " code { "emporium fn deploy" } " or the admin API deploys one." } };
    }
    html! {
        table #functions {
            caption { "Functions, with the usage of the invocations kept" }
            thead { tr {
                th scope="col" { "Function" } th scope="col" { "Serving" } th scope="col" { "Triggers" }
                th scope="col" { "Invocations" } th scope="col" { "Errors" } th scope="col" { "p50 / p99" }
                th scope="col" { "Cold starts" } th scope="col" { "GB-seconds" }
            } }
            tbody {
                @for function in functions {
                    @let usage = function.usage.unwrap_or_default();
                    tr {
                        th scope="row" { (function.name) }
                        td { (serving(function)) }
                        td { (triggers(function.triggers.as_ref())) }
                        td { (usage.invocations) }
                        td { (usage.errors) }
                        td { (format!("{:.2} / {:.2} ms", usage.p50_ms, usage.p99_ms)) }
                        td { (usage.cold_starts) }
                        td { (format!("{:.6}", usage.gb_seconds)) }
                    }
                }
            }
        }
    }
}

/// `v2 90% · v1 10% (of 3 versions)`.
fn serving(function: &pb::Function) -> String {
    let shares: Vec<String> = function
        .traffic
        .iter()
        .map(|share| format!("v{} {}%", share.version, share.percent))
        .collect();
    let shares = match shares.is_empty() {
        true => "none".to_owned(),
        false => shares.join(" · "),
    };
    let count = function.versions.len();
    let plural = if count == 1 { "" } else { "s" };
    format!("{shares} (of {count} version{plural})")
}

/// `before /kitchen · /fn · emporium.orders.order_completed.v1`.
fn triggers(triggers: Option<&pb::Triggers>) -> String {
    let Some(triggers) = triggers else {
        return "none".to_owned();
    };
    let mut named: Vec<String> = triggers
        .edge
        .iter()
        .map(|route| format!("{} {}", route.phase, route.path_prefix))
        .collect();
    if triggers.http {
        named.push("/fn".to_owned());
    }
    named.extend(triggers.events.iter().cloned());
    match named.is_empty() {
        true => "none".to_owned(),
        false => named.join(" · "),
    }
}
