//! What each invocation used, on `/metrics` and as the report the functions service keeps.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use proto::functions as pb;

/// Says what the functions' metrics mean, once the process's recorder is installed.
pub(crate) fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    platform::telemetry::metrics();
    describe_counter!(
        "function_invocations_total",
        "Function invocations, by function, version, trigger and outcome (ok or the fault's kind)"
    );
    describe_histogram!(
        "function_duration_seconds",
        Unit::Seconds,
        "Time of a function invocation, a fresh instance's making included, by function and trigger"
    );
    describe_counter!(
        "function_fuel_total",
        "Fuel burnt by a function's invocations (about one unit per WebAssembly instruction)"
    );
    describe_gauge!(
        "function_billed_gigabyte_seconds",
        "GB-seconds a pay-per-use cloud would bill a function since this process started: memory given times duration, rounded up to the ms"
    );
    describe_gauge!(
        "function_peak_memory_bytes",
        Unit::Bytes,
        "The linear memory a function's latest invocation peaked at"
    );
    describe_counter!(
        "function_cold_starts_total",
        "A version's first invocation since this process compiled it"
    );
    describe_counter!(
        "function_reports_dropped_total",
        "Invocation reports dropped because the queue to the functions service was full"
    );
    describe_counter!(
        "function_edge_passed_over_total",
        "Edge function invocations that failed or answered nonsense and were passed over, by function"
    );
}

/// Counts `invocation` on `/metrics`: invocations by outcome, duration, fuel, cold starts,
/// GB-seconds and peak memory, per function.
pub(crate) fn record(
    function: &str,
    version: u32,
    trigger: &'static str,
    invocation: &sandbox::Invocation,
) {
    let metering = &invocation.metering;
    let outcome = match &invocation.result {
        Ok(_) => "ok",
        Err(fault) => fault.kind(),
    };
    let name = function.to_owned();
    metrics::counter!("function_invocations_total", "function" => name.clone(), "version" => version.to_string(), "trigger" => trigger, "outcome" => outcome).increment(1);
    metrics::histogram!("function_duration_seconds", "function" => name.clone(), "trigger" => trigger).record(metering.duration.as_secs_f64());
    metrics::counter!("function_fuel_total", "function" => name.clone()).increment(metering.fuel);
    // GB-seconds are fractional, and a counter counts whole units: a gauge that only grows.
    metrics::gauge!("function_billed_gigabyte_seconds", "function" => name.clone())
        .increment(metering.gb_seconds());
    metrics::gauge!("function_peak_memory_bytes", "function" => name.clone())
        .set(metering.peak_memory_bytes as f64);
    if metering.cold {
        metrics::counter!("function_cold_starts_total", "function" => name).increment(1);
    }
}

/// The report of one invocation, for the functions service.
pub(crate) fn report(
    function: &str,
    version: u32,
    trigger: &'static str,
    invocation: &sandbox::Invocation,
    replica: &str,
    started: Instant,
) -> pb::Invocation {
    let metering = &invocation.metering;
    let at = SystemTime::now() - started.elapsed();
    let (fault_kind, fault) = match &invocation.result {
        Ok(_) => (String::new(), String::new()),
        Err(fault) => (fault.kind().to_owned(), fault.to_string()),
    };
    pb::Invocation {
        function: function.to_owned(),
        version,
        trigger: trigger.to_owned(),
        at_ms: at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as i64),
        duration_ms: metering.duration.as_secs_f64() * 1000.0,
        fuel: metering.fuel,
        peak_memory_bytes: metering.peak_memory_bytes,
        memory_limit_bytes: metering.memory_limit_bytes,
        cold: metering.cold,
        fault_kind,
        fault,
        logs: invocation
            .logs
            .iter()
            .map(|line| pb::LogLine {
                level: line.level.clone(),
                message: line.message.clone(),
            })
            .collect(),
        trace_id: platform::telemetry::current_trace()
            .map(|trace| trace.trace_id_hex())
            .unwrap_or_default(),
        replica: replica.to_owned(),
        events: invocation
            .events
            .iter()
            .map(|event| pb::Emitted {
                r#type: event.event_type.clone(),
                data: event.data.clone(),
            })
            .collect(),
    }
}
