//! A broken new version rolls back by itself: when half or more of the latest invocations of a
//! function's newest version (deployed within the hour, taking traffic, with a version before
//! it) failed, all traffic goes back to the version before. Checked as invocations are kept.

use std::collections::BTreeSet;

use crate::domain::{self, Share};
use crate::store::{InvocationRow, Store};

/// How long after its deploy a version is "new".
const NEW_FOR_SECONDS: i64 = 3600;

/// Rolls back the versions among `rows`' failures that are broken; whether it rolled any back.
pub(crate) async fn roll_back_broken(
    store: &Store,
    rows: &[InvocationRow],
    now: i64,
) -> anyhow::Result<bool> {
    let mut rolled = false;
    let failing: BTreeSet<(&str, u32)> = rows
        .iter()
        .filter(|row| !row.fault_kind.is_empty())
        .map(|row| (row.function.as_str(), row.version))
        .collect();
    for (name, version) in failing {
        let Some(function) = store.function(name).await? else {
            continue;
        };
        let Some(newest) = function.versions.last() else {
            continue;
        };
        let Some(before) = function.versions.iter().rev().nth(1) else {
            continue;
        };
        let serving = function
            .traffic
            .iter()
            .any(|share| share.version == version);
        if newest.version != version || !serving || now - newest.created_at > NEW_FOR_SECONDS {
            continue;
        }
        let failed = store
            .recent_outcomes(name, version, domain::WEIGHED)
            .await?;
        if !domain::broken(&failed) {
            continue;
        }
        store
            .set_traffic(
                name,
                &[Share {
                    version: before.version,
                    percent: 100,
                }],
                now,
            )
            .await?;
        let failures = failed.iter().filter(|failed| **failed).count();
        tracing::warn!(
            function = name,
            version,
            back_to = before.version,
            failures,
            of = failed.len(),
            "a new version of a function failed too often and was rolled back"
        );
        metrics::counter!("function_rollbacks_total", "function" => name.to_owned()).increment(1);
        rolled = true;
    }
    Ok(rolled)
}
