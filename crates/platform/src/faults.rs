//! Fault injection: named faults that make a step fail, slow down, or crash the process, switched
//! at run time (the gateway's admin endpoint) and read by the services where the fault belongs.
//!
//! Names used: `payments.decline`, `payments.timeout` (a delay), `shipping.unavailable`,
//! `inventory.slow` (a delay), `orders.crash_after_step` (the process aborts after step N).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod client;
pub mod grpc;

/// Every fault a service reads. A fault's name starts with the service it belongs to.
pub const KNOWN: &[&str] = &[
    "payments.decline",
    "payments.timeout",
    "shipping.unavailable",
    "inventory.slow",
    "orders.crash_after_step",
];

/// The services that read faults, whose processes serve their switches.
pub const OWNERS: &[&str] = &["inventory", "payments", "shipping", "orders"];

/// The service that `name` belongs to, when `name` is a known fault.
pub fn owner(name: &str) -> Option<&'static str> {
    KNOWN.contains(&name).then_some(())?;
    let service = name.split_once('.')?.0;
    OWNERS.iter().copied().find(|owner| *owner == service)
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The step fails.
    Fail,
    /// The step takes this long first.
    Delay { ms: u64 },
    /// The process aborts right after saga step `step` (1 to 5), as a crash would.
    CrashAfterStep { step: u32 },
}

/// The faults switched on in this process. Cheap to clone; clones share the switches.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    active: Arc<RwLock<BTreeMap<String, Fault>>>,
}

impl Faults {
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Switches `name` on with `fault`, or off with `None`.
    pub fn set(&self, name: &str, fault: Option<Fault>) {
        let mut active = self
            .active
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match fault {
            Some(fault) => {
                tracing::warn!(name, ?fault, "fault switched on");
                active.insert(name.to_owned(), fault);
            }
            None => {
                active.remove(name);
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<Fault> {
        self.active
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned()
    }

    /// Every fault switched on, by name.
    pub fn list(&self) -> BTreeMap<String, Fault> {
        self.active
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn clear(&self) {
        self.active
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    /// True when `name` is switched on to fail.
    pub fn fails(&self, name: &str) -> bool {
        self.get(name) == Some(Fault::Fail)
    }

    /// Waits out `name`'s delay, if it has one.
    pub async fn delay(&self, name: &str) {
        if let Some(Fault::Delay { ms }) = self.get(name) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_switch_on_and_off_and_read_as_json() {
        let faults = Faults::new();
        faults.set("shipping.unavailable", Some(Fault::Fail));
        faults.set(
            "orders.crash_after_step",
            Some(Fault::CrashAfterStep { step: 3 }),
        );
        assert!(faults.fails("shipping.unavailable"));
        assert!(!faults.fails("payments.decline"));
        let json = serde_json::to_value(faults.list()).unwrap();
        assert_eq!(
            json["orders.crash_after_step"],
            serde_json::json!({"kind": "crash_after_step", "step": 3})
        );
        let parsed: Fault = serde_json::from_str(r#"{"kind": "delay", "ms": 250}"#).unwrap();
        assert_eq!(parsed, Fault::Delay { ms: 250 });
        assert!(serde_json::from_str::<Fault>(r#"{"kind": "explode"}"#).is_err());
        faults.set("shipping.unavailable", None);
        assert!(!faults.fails("shipping.unavailable"));
    }

    #[test]
    fn every_known_fault_belongs_to_a_service_that_reads_faults() {
        for name in KNOWN {
            assert!(owner(name).is_some(), "{name} has no owner");
        }
        assert_eq!(owner("payments.decline"), Some("payments"));
        assert_eq!(owner("orders.crash_after_step"), Some("orders"));
        assert_eq!(owner("payments.explode"), None);
        assert_eq!(owner("no.such.fault"), None);
    }
}
