//! Proto messages to the service's types and back.

use proto::functions as pb;
use sandbox::Limits;

use crate::FunctionView;
use crate::domain::{EdgeRoute, Share, Triggers};
use crate::store::InvocationRow;

/// The limits asked for; a field left at zero takes the default.
pub(super) fn limits(asked: Option<pb::Limits>) -> Limits {
    let defaults = Limits::default();
    let Some(asked) = asked else { return defaults };
    let or = |value: u64, default: u64| if value == 0 { default } else { value };
    Limits {
        memory_bytes: or(asked.memory_bytes, defaults.memory_bytes),
        fuel: or(asked.fuel, defaults.fuel),
        cpu_ms: or(asked.cpu_ms, defaults.cpu_ms),
        wall_ms: or(asked.wall_ms, defaults.wall_ms),
        concurrency: if asked.concurrency == 0 {
            defaults.concurrency
        } else {
            asked.concurrency
        },
    }
}

pub(super) fn shares(traffic: &[pb::TrafficShare]) -> Vec<Share> {
    traffic
        .iter()
        .map(|share| Share {
            version: share.version,
            percent: share.percent,
        })
        .collect()
}

pub(super) fn triggers(triggers: pb::Triggers) -> Triggers {
    Triggers {
        edge: triggers
            .edge
            .into_iter()
            .map(|route| EdgeRoute {
                phase: route.phase,
                path_prefix: route.path_prefix,
            })
            .collect(),
        http: triggers.http,
        events: triggers.events,
    }
}

pub(crate) fn function(view: FunctionView) -> pb::Function {
    let FunctionView { function, usage } = view;
    pb::Function {
        name: function.name,
        versions: function
            .versions
            .into_iter()
            .map(|version| pb::Version {
                version: version.version,
                digest: version.digest,
                limits: Some(pb::Limits {
                    memory_bytes: version.limits.memory_bytes,
                    fuel: version.limits.fuel,
                    cpu_ms: version.limits.cpu_ms,
                    wall_ms: version.limits.wall_ms,
                    concurrency: version.limits.concurrency,
                }),
                grants: Some(pb::Grants {
                    kv: version.grants.kv,
                    emit: version.grants.emit,
                }),
                created_at: version.created_at,
                size_bytes: u64::try_from(version.size_bytes).unwrap_or_default(),
                note: version.note,
            })
            .collect(),
        traffic: function
            .traffic
            .iter()
            .map(|share| pb::TrafficShare {
                version: share.version,
                percent: share.percent,
            })
            .collect(),
        triggers: Some(pb::Triggers {
            edge: function
                .triggers
                .edge
                .into_iter()
                .map(|route| pb::EdgeRoute {
                    phase: route.phase,
                    path_prefix: route.path_prefix,
                })
                .collect(),
            http: function.triggers.http,
            events: function.triggers.events,
        }),
        usage: Some(pb::Usage {
            invocations: usage.invocations,
            errors: usage.errors,
            cold_starts: usage.cold_starts,
            p50_ms: usage.p50_ms,
            p99_ms: usage.p99_ms,
            fuel: usage.fuel,
            gb_seconds: usage.gb_seconds,
        }),
    }
}

pub(super) fn invocation(row: InvocationRow) -> pb::Invocation {
    let logs: Vec<sandbox::LogLine> = serde_json::from_str(&row.logs).unwrap_or_default();
    pb::Invocation {
        function: row.function,
        version: row.version,
        trigger: row.triggered_by,
        at_ms: row.at_ms,
        duration_ms: row.duration_ms,
        fuel: u64::try_from(row.fuel).unwrap_or_default(),
        peak_memory_bytes: u64::try_from(row.peak_memory_bytes).unwrap_or_default(),
        memory_limit_bytes: u64::try_from(row.memory_limit_bytes).unwrap_or_default(),
        cold: row.cold,
        fault_kind: row.fault_kind,
        fault: row.fault,
        logs: logs
            .into_iter()
            .map(|line| pb::LogLine {
                level: line.level,
                message: line.message,
            })
            .collect(),
        trace_id: row.trace_id,
        replica: row.replica,
        events: Vec::new(),
    }
}
