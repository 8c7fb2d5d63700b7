//! The rules of deploying functions, without IO: names, traffic splits and which version a
//! call goes to, rollbacks, triggers, and the usage figures made from invocations.

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// A rule a request broke, naming the field and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// A function's name: lowercase letters, digits and '-', 1 to 40, starting with a letter; it
/// is part of a path (`/fn/<name>`) and of metrics' labels.
pub fn check_name(name: &str) -> Result<(), Invalid> {
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.is_empty() || name.len() > 40 || !starts_with_letter || !allowed {
        return Err(invalid(
            "name",
            format!(
                "`{name}` is not a function name: 1 to 40 lowercase letters, digits and '-', starting with a letter"
            ),
        ));
    }
    Ok(())
}

/// The share of calls one version gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub version: u32,
    pub percent: u32,
}

/// `shares` when they split all traffic between existing versions: each version once, each
/// share 1 to 100, summing to 100.
pub fn check_traffic(shares: &[Share], versions: &[u32]) -> Result<Vec<Share>, Invalid> {
    let mut seen = Vec::new();
    for share in shares {
        if !versions.contains(&share.version) {
            return Err(invalid(
                "traffic",
                format!("version {} does not exist", share.version),
            ));
        }
        if seen.contains(&share.version) {
            return Err(invalid(
                "traffic",
                format!("version {} is named twice", share.version),
            ));
        }
        if share.percent == 0 || share.percent > 100 {
            return Err(invalid(
                "traffic",
                format!(
                    "version {} has {}%; a share is 1 to 100",
                    share.version, share.percent
                ),
            ));
        }
        seen.push(share.version);
    }
    let total: u32 = shares.iter().map(|share| share.percent).sum();
    if total != 100 {
        return Err(invalid(
            "traffic",
            format!("the shares add up to {total}%, not 100%"),
        ));
    }
    Ok(shares.to_vec())
}

/// Where a rollback sends all traffic: `wanted` when it exists, else the newest version older
/// than the one serving the most now.
pub fn rollback_target(shares: &[Share], versions: &[u32], wanted: u32) -> Result<u32, Invalid> {
    if wanted != 0 {
        return versions
            .contains(&wanted)
            .then_some(wanted)
            .ok_or_else(|| invalid("version", format!("version {wanted} does not exist")));
    }
    let serving = shares
        .iter()
        .max_by_key(|share| (share.percent, share.version))
        .map(|share| share.version);
    let Some(serving) = serving else {
        return Err(invalid(
            "version",
            "no version takes traffic, so there is none to roll back from",
        ));
    };
    versions
        .iter()
        .copied()
        .filter(|version| *version < serving)
        .max()
        .ok_or_else(|| {
            invalid(
                "version",
                format!("version {serving} is the first; there is nothing before it"),
            )
        })
}

/// Where an edge function runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRoute {
    pub phase: String,
    pub path_prefix: String,
}

/// What triggers a function.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Triggers {
    pub edge: Vec<EdgeRoute>,
    pub http: bool,
    pub events: Vec<String>,
}

/// `triggers` when each is well formed: a phase of `before` or `after`, a prefix that is a
/// path, event types of the shop's form (`emporium.<domain>.<what>.v<N>`).
pub fn check_triggers(triggers: Triggers) -> Result<Triggers, Invalid> {
    for route in &triggers.edge {
        if route.phase != "before" && route.phase != "after" {
            return Err(invalid(
                "triggers.edge.phase",
                format!("`{}` is neither `before` nor `after`", route.phase),
            ));
        }
        if !route.path_prefix.starts_with('/') {
            return Err(invalid(
                "triggers.edge.path_prefix",
                format!("`{}` does not start with '/'", route.path_prefix),
            ));
        }
    }
    for event in &triggers.events {
        check_event_type("triggers.events", event)?;
    }
    Ok(triggers)
}

/// An event type of the shop's form: `emporium.<domain>.<what>.v<N>`.
pub fn check_event_type(field: &'static str, event_type: &str) -> Result<(), Invalid> {
    let parts: Vec<&str> = event_type.split('.').collect();
    let word =
        |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    let well_formed = parts.len() == 4
        && parts[0] == "emporium"
        && word(parts[1])
        && word(parts[2])
        && parts[3]
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if !well_formed {
        return Err(invalid(
            field,
            format!("`{event_type}` is not an event type like emporium.orders.order_completed.v1"),
        ));
    }
    Ok(())
}

/// The events a function may emit are its own service's: `emporium.functions.<what>.v<N>`.
pub fn check_emits(emits: &[String]) -> Result<(), Invalid> {
    for event_type in emits {
        check_event_type("grants.emit", event_type)?;
        if !event_type.starts_with("emporium.functions.") {
            return Err(invalid(
                "grants.emit",
                format!("`{event_type}` is not a functions event (emporium.functions.<what>.v<N>)"),
            ));
        }
    }
    Ok(())
}

/// One invocation's figures, as usage is made from them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub duration_ms: f64,
    pub fuel: u64,
    pub memory_limit_bytes: u64,
    pub cold: bool,
    pub failed: bool,
}

/// A function's usage over some invocations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub invocations: u64,
    pub errors: u64,
    pub cold_starts: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub fuel: u64,
    pub gb_seconds: f64,
}

/// The usage of `measured`: counts, percentiles of duration (nearest rank), fuel, and
/// GB-seconds billed as a cloud bills them (memory given, duration rounded up to the ms).
pub fn usage(measured: &[Measured]) -> Usage {
    let mut durations: Vec<f64> = measured.iter().map(|m| m.duration_ms).collect();
    durations.sort_by(f64::total_cmp);
    let rank = |quantile: f64| {
        let index = ((quantile * durations.len() as f64).ceil() as usize).max(1) - 1;
        durations.get(index).copied().unwrap_or(0.0)
    };
    Usage {
        invocations: measured.len() as u64,
        errors: measured.iter().filter(|m| m.failed).count() as u64,
        cold_starts: measured.iter().filter(|m| m.cold).count() as u64,
        p50_ms: rank(0.5),
        p99_ms: rank(0.99),
        fuel: measured.iter().map(|m| m.fuel).sum(),
        gb_seconds: measured
            .iter()
            .map(|m| {
                m.memory_limit_bytes as f64 / (1u64 << 30) as f64 * m.duration_ms.ceil() / 1000.0
            })
            .sum(),
    }
}

/// How long a failed delivery waits before attempt `attempt + 1`: doubling from one second,
/// at most five minutes, and spread by `jitter` (0..1) over its second half, so deliveries that
/// failed together do not come back together.
pub fn retry_after(attempt: u32, jitter: f64) -> std::time::Duration {
    let doubled = 1000u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let ceiling = doubled.min(300_000) as f64;
    std::time::Duration::from_millis(
        (ceiling / 2.0 + ceiling / 2.0 * jitter.clamp(0.0, 1.0)) as u64,
    )
}

/// The bus subject of an event type: `emporium.functions.points_awarded.v1` is published on
/// `emporium.functions.points_awarded`; `None` for a type that is not the functions' own.
pub fn subject_of(event_type: &str) -> Option<String> {
    check_event_type("type", event_type).ok()?;
    let subject = event_type.rsplit_once('.').map(|(subject, _)| subject)?;
    subject
        .starts_with("emporium.functions.")
        .then(|| subject.to_owned())
}

/// FNV-1a: a stable hash for rolls and jitter.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How many of a new version's latest invocations are weighed, the fewest that decide, and
/// the share of failures that rolls it back.
pub const WEIGHED: u32 = 20;
const DECIDING: usize = 10;
const FAILING_SHARE: f64 = 0.5;

/// Whether a new version whose latest invocations ended as `failed` (newest first) is broken:
/// at least ten of them, and half or more failed.
pub fn broken(failed: &[bool]) -> bool {
    let failures = failed.iter().filter(|failed| **failed).count();
    failed.len() >= DECIDING && failures as f64 >= FAILING_SHARE * failed.len() as f64
}

/// A webhook endpoint's URL: `http` or `https`, with a host, no credentials, at most 2,000
/// characters.
pub fn check_webhook_url(url: &str) -> Result<(), Invalid> {
    let parsed = url::Url::parse(url)
        .map_err(|error| invalid("url", format!("`{url}` is not a URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            "url",
            format!("`{url}`: webhooks go to http or https URLs"),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty)
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(invalid(
            "url",
            format!("`{url}`: name a host, without credentials"),
        ));
    }
    if url.len() > 2000 {
        return Err(invalid("url", "at most 2000 characters"));
    }
    Ok(())
}

/// What a receiver's answer means for a webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    Delivered,
    /// 410: the receiver is gone; its endpoint is turned off.
    Gone,
    /// Anything else (3xx included: redirects are not followed), or no answer (0).
    Again,
}

pub fn webhook_outcome(status: u32) -> WebhookOutcome {
    match status {
        200..=299 => WebhookOutcome::Delivered,
        410 => WebhookOutcome::Gone,
        _ => WebhookOutcome::Again,
    }
}
