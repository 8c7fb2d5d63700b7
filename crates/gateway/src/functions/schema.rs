//! The functions API's documents, as the OpenAPI document shows them, and their conversion
//! from and to the functions service's messages.

use proto::functions as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A function's name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct FunctionName {
    /// Lowercase letters, digits and '-', starting with a letter.
    #[param(pattern = r"^[a-z][a-z0-9-]{0,39}$")]
    pub(crate) name: String,
}

/// A delivery of one event to one function.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct DeliveryPath {
    /// The function.
    #[param(pattern = r"^[a-z][a-z0-9-]{0,39}$")]
    pub(crate) name: String,
    /// The event's id.
    #[param(min_length = 1, max_length = 200)]
    pub(crate) event_id: String,
}

/// An event that could not be delivered after every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeadDelivery {
    event_id: String,
    event_type: String,
    attempts: u32,
    /// Why the last attempt failed.
    last_error: String,
}

/// Dead deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeadDeliveryList {
    pub(super) deliveries: Vec<DeadDelivery>,
}

impl From<pb::DeadDelivery> for DeadDelivery {
    fn from(dead: pb::DeadDelivery) -> DeadDelivery {
        DeadDelivery {
            event_id: dead.event_id,
            event_type: dead.event_type,
            attempts: dead.attempts,
            last_error: dead.last_error,
        }
    }
}

/// What a version may use per invocation; a field left out takes its default.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Limits {
    /// Linear memory, bytes (default 16 MiB).
    #[schema(minimum = 65536, maximum = 268435456)]
    memory_bytes: Option<u64>,
    /// About one unit per instruction (default 50,000,000).
    #[schema(minimum = 1, maximum = 10000000000u64)]
    fuel: Option<u64>,
    /// Time running WebAssembly, ms (default 50).
    #[schema(minimum = 1, maximum = 10000)]
    cpu_ms: Option<u64>,
    /// Time from start to answer, host calls included, ms (default 1000).
    #[schema(minimum = 1, maximum = 30000)]
    wall_ms: Option<u64>,
    /// Invocations at once per replica (default 32).
    #[schema(minimum = 1, maximum = 1000)]
    concurrency: Option<u32>,
}

/// An event type: `emporium.<domain>.<what>.v<N>`.
#[derive(ToSchema)]
#[schema(pattern = r"^emporium\.[a-z_]+\.[a-z_]+\.v[0-9]+$")]
#[allow(dead_code)]
pub(crate) struct EventType(String);

/// An event type a function may emit: its own service's, `emporium.functions.<what>.v<N>`.
#[derive(ToSchema)]
#[schema(pattern = r"^emporium\.functions\.[a-z_]+\.v[0-9]+$")]
#[allow(dead_code)]
struct EmittedType(String);

/// What a version may call beyond logging.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Grants {
    /// Its own key-value space.
    #[serde(default)]
    kv: bool,
    /// Event types it may emit: `emporium.functions.<what>.v<N>`.
    #[serde(default)]
    #[schema(inline, value_type = Vec<EmittedType>)]
    emit: Vec<String>,
}

/// A new version of a function.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewVersion {
    /// The WebAssembly module, base64.
    #[schema(
        content_encoding = "base64",
        pattern = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
    )]
    pub(super) module_base64: String,
    pub(super) limits: Option<Limits>,
    pub(super) grants: Option<Grants>,
    /// What changed.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub(super) note: String,
    /// Leave the traffic where it is; the new version gets none until it is split.
    #[serde(default)]
    pub(super) keep_traffic: bool,
}

/// A version's share of the calls.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Share {
    #[schema(minimum = 1)]
    version: u32,
    #[schema(minimum = 1, maximum = 100)]
    percent: u32,
}

/// How the calls split between versions; the percentages sum to 100.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Traffic {
    pub(super) traffic: Vec<Share>,
}

/// Where a rollback goes: a version, or (left out) the one before the version serving most.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rollback {
    #[schema(minimum = 1)]
    pub(super) version: Option<u32>,
}

/// A route at the edge.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EdgeRoute {
    /// `before` (may answer, redirect or add headers) or `after` (may replace the answer).
    #[schema(pattern = "^(before|after)$")]
    phase: String,
    /// Paths that start with it; `/` for all.
    #[schema(pattern = "^/")]
    path_prefix: String,
}

/// What triggers a function.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Triggers {
    #[serde(default)]
    edge: Vec<EdgeRoute>,
    /// Served at `/fn/<name>`.
    #[serde(default)]
    http: bool,
    /// Event types delivered to it at least once.
    #[serde(default)]
    #[schema(inline, value_type = Vec<EventType>)]
    events: Vec<String>,
}

/// A version of a function.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Version {
    version: u32,
    /// The module's sha256, hex.
    digest: String,
    limits: Limits,
    grants: Grants,
    /// Unix seconds.
    created_at: i64,
    size_bytes: u64,
    note: String,
}

/// What a function's kept invocations add up to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Usage {
    invocations: u64,
    errors: u64,
    cold_starts: u64,
    p50_ms: f64,
    p99_ms: f64,
    fuel: u64,
    /// Memory given times duration, as a pay-per-use cloud bills it.
    gb_seconds: f64,
}

/// A function: its versions, traffic, triggers and usage.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Function {
    name: String,
    versions: Vec<Version>,
    traffic: Vec<Share>,
    triggers: Triggers,
    usage: Usage,
}

/// Every function.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FunctionList {
    pub(super) functions: Vec<Function>,
}

/// How many invocations to list.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvocationsQuery {
    /// 1 to 500 (50 when left out).
    #[param(minimum = 1, maximum = 500)]
    pub(super) limit: Option<u32>,
}

/// One invocation: what it used, how it ended, what it logged.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Invocation {
    version: u32,
    /// `edge`, `http`, `event` or `webhook`.
    trigger: String,
    /// Unix milliseconds.
    at_ms: i64,
    duration_ms: f64,
    fuel: u64,
    peak_memory_bytes: u64,
    cold: bool,
    /// Empty when it answered; else the fault's kind (`cpu_time`, `memory`, ...).
    fault_kind: String,
    fault: String,
    logs: Vec<LogLine>,
    trace_id: String,
    replica: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LogLine {
    level: String,
    message: String,
}

/// The latest invocations, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvocationList {
    pub(super) invocations: Vec<Invocation>,
}

impl Limits {
    pub(super) fn message(self) -> pb::Limits {
        pb::Limits {
            memory_bytes: self.memory_bytes.unwrap_or_default(),
            fuel: self.fuel.unwrap_or_default(),
            cpu_ms: self.cpu_ms.unwrap_or_default(),
            wall_ms: self.wall_ms.unwrap_or_default(),
            concurrency: self.concurrency.unwrap_or_default(),
        }
    }

    fn of(limits: pb::Limits) -> Limits {
        Limits {
            memory_bytes: Some(limits.memory_bytes),
            fuel: Some(limits.fuel),
            cpu_ms: Some(limits.cpu_ms),
            wall_ms: Some(limits.wall_ms),
            concurrency: Some(limits.concurrency),
        }
    }
}

impl Grants {
    pub(super) fn message(self) -> pb::Grants {
        pb::Grants {
            kv: self.kv,
            emit: self.emit,
        }
    }
}

impl Share {
    pub(super) fn message(self) -> pb::TrafficShare {
        pb::TrafficShare {
            version: self.version,
            percent: self.percent,
        }
    }
}

impl Triggers {
    pub(super) fn message(self) -> pb::Triggers {
        pb::Triggers {
            edge: self
                .edge
                .into_iter()
                .map(|route| pb::EdgeRoute {
                    phase: route.phase,
                    path_prefix: route.path_prefix,
                })
                .collect(),
            http: self.http,
            events: self.events,
        }
    }

    fn of(triggers: pb::Triggers) -> Triggers {
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
}

impl From<pb::Function> for Function {
    fn from(function: pb::Function) -> Function {
        let usage = function.usage.unwrap_or_default();
        Function {
            name: function.name,
            versions: function
                .versions
                .into_iter()
                .map(|version| Version {
                    version: version.version,
                    digest: version.digest,
                    limits: Limits::of(version.limits.unwrap_or_default()),
                    grants: version
                        .grants
                        .map(|grants| Grants {
                            kv: grants.kv,
                            emit: grants.emit,
                        })
                        .unwrap_or_default(),
                    created_at: version.created_at,
                    size_bytes: version.size_bytes,
                    note: version.note,
                })
                .collect(),
            traffic: function
                .traffic
                .into_iter()
                .map(|share| Share {
                    version: share.version,
                    percent: share.percent,
                })
                .collect(),
            triggers: Triggers::of(function.triggers.unwrap_or_default()),
            usage: Usage {
                invocations: usage.invocations,
                errors: usage.errors,
                cold_starts: usage.cold_starts,
                p50_ms: usage.p50_ms,
                p99_ms: usage.p99_ms,
                fuel: usage.fuel,
                gb_seconds: usage.gb_seconds,
            },
        }
    }
}

impl From<pb::Invocation> for Invocation {
    fn from(invocation: pb::Invocation) -> Invocation {
        Invocation {
            version: invocation.version,
            trigger: invocation.trigger,
            at_ms: invocation.at_ms,
            duration_ms: invocation.duration_ms,
            fuel: invocation.fuel,
            peak_memory_bytes: invocation.peak_memory_bytes,
            cold: invocation.cold,
            fault_kind: invocation.fault_kind,
            fault: invocation.fault,
            logs: invocation
                .logs
                .into_iter()
                .map(|line| LogLine {
                    level: line.level,
                    message: line.message,
                })
                .collect(),
            trace_id: invocation.trace_id,
            replica: invocation.replica,
        }
    }
}
