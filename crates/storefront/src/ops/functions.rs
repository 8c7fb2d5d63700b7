//! The functions in the operations view: each with the versions serving and their shares of
//! the traffic, what triggers it, and its usage over the invocations kept (as `emporium fn list`
//! shows them); a button that rolls one back (as `emporium fn rollback`), and the events an
//! event-triggered function could not handle, each with a replay button.

use std::collections::BTreeMap;

use maud::{Markup, html};
use platform::transport::Transport;
use proto::functions as pb;
use proto::functions::functions_client::FunctionsClient;

use super::auth::Operator;

/// The dead events shown per function.
const DEAD: u32 = 10;

/// The events each event-triggered function left dead, by function; a function whose list
/// could not be read is left out.
pub(super) async fn dead(
    functions: &FunctionsClient<Transport>,
    deployed: &[pb::Function],
    token: &str,
) -> BTreeMap<String, Vec<pb::DeadDelivery>> {
    let mut dead = BTreeMap::new();
    for function in deployed {
        if function
            .triggers
            .as_ref()
            .is_none_or(|triggers| triggers.events.is_empty())
        {
            continue;
        }
        let message = pb::ListDeadDeliveriesRequest {
            name: function.name.clone(),
            limit: DEAD,
        };
        let listed = functions
            .clone()
            .list_dead_deliveries(platform::transport::request(message, token))
            .await;
        if let Ok(listed) = listed {
            dead.insert(function.name.clone(), listed.into_inner().deliveries);
        }
    }
    dead
}

/// The table of the functions deployed, or why it could not be read, and their dead events.
pub(super) fn table(
    operator: &Operator,
    functions: Result<&Vec<pb::Function>, &tonic::Status>,
    dead: &BTreeMap<String, Vec<pb::DeadDelivery>>,
) -> Markup {
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
                th scope="col" { "Cold starts" } th scope="col" { "GB-seconds" } th scope="col" { "" }
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
                        td { @if function.versions.len() > 1 { (rollback(operator, &function.name)) } }
                    }
                }
            }
        }
        @for (name, deliveries) in dead.iter().filter(|(_, deliveries)| !deliveries.is_empty()) {
            (dead_events(operator, name, deliveries))
        }
    }
}

/// Rolls `name` back to the version before the one serving most.
fn rollback(operator: &Operator, name: &str) -> Markup {
    html! {
        form.inline method="post" action="/ops/functions/rollback" {
            input type="hidden" name="csrf" value=(operator.csrf());
            input type="hidden" name="name" value=(name);
            button type="submit" { "Roll back" }
        }
    }
}

fn dead_events(operator: &Operator, name: &str, deliveries: &[pb::DeadDelivery]) -> Markup {
    html! {
        div.function-dead data-function=(name) {
            p { "Events " code { (name) } " could not handle:" }
            @for delivery in deliveries {
                form.dead-letter method="post" action="/ops/functions/replay" {
                    input type="hidden" name="csrf" value=(operator.csrf());
                    input type="hidden" name="name" value=(name);
                    input type="hidden" name="event_id" value=(delivery.event_id);
                    span { (delivery.event_type) " " code { (delivery.event_id) } " after "
                        (delivery.attempts) " attempts: " (delivery.last_error) " " }
                    button type="submit" { "Replay" }
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
