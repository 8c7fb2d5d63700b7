//! What one function may use per invocation, and the limiter that holds a guest's memory to it
//! and remembers the most it had.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A WebAssembly page: linear memory grows in these.
pub const PAGE: u64 = 64 * 1024;

/// The limits of one function, set when a version is deployed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The most linear memory an instance may have, in bytes; a `memory.grow` past it fails.
    pub memory_bytes: u64,
    /// The most fuel (about one unit per WebAssembly instruction) one invocation may burn.
    pub fuel: u64,
    /// The most time one invocation may spend running WebAssembly, in milliseconds; checked
    /// every millisecond. Time in host calls does not count here, but does in `wall_ms`.
    pub cpu_ms: u64,
    /// The most time one invocation may take from start to answer, host calls included.
    pub wall_ms: u64,
    /// The most invocations of this function running at once on one replica; more are refused.
    pub concurrency: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 16 * 1024 * 1024,
            fuel: 50_000_000,
            cpu_ms: 50,
            wall_ms: 1_000,
            concurrency: 32,
        }
    }
}

impl Limits {
    /// The largest limits any function may ask for.
    pub const MAX: Limits = Limits {
        memory_bytes: 256 * 1024 * 1024,
        fuel: 10_000_000_000,
        cpu_ms: 10_000,
        wall_ms: 30_000,
        concurrency: 1_000,
    };

    /// These limits, or a message naming the first one that is zero or above `Limits::MAX`.
    pub fn checked(self) -> Result<Limits, String> {
        let max = Limits::MAX;
        let fields = [
            ("memory_bytes", self.memory_bytes, max.memory_bytes),
            ("fuel", self.fuel, max.fuel),
            ("cpu_ms", self.cpu_ms, max.cpu_ms),
            ("wall_ms", self.wall_ms, max.wall_ms),
            (
                "concurrency",
                self.concurrency.into(),
                max.concurrency.into(),
            ),
        ];
        for (name, value, most) in fields {
            if value == 0 || value > most {
                return Err(format!("limit `{name}` is {value}; it must be 1 to {most}"));
            }
        }
        if self.memory_bytes < PAGE {
            return Err(format!(
                "limit `memory_bytes` is {}; it must be at least one page ({PAGE})",
                self.memory_bytes
            ));
        }
        Ok(self)
    }

    pub fn cpu(&self) -> Duration {
        Duration::from_millis(self.cpu_ms)
    }

    pub fn wall(&self) -> Duration {
        Duration::from_millis(self.wall_ms)
    }
}

/// Holds one instance's memories and tables to the function's limit, and keeps the largest
/// memory it had: memories never shrink, so that is its peak.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    limit: usize,
    pub(crate) peak: usize,
    /// The size a refused `memory.grow` asked for.
    pub(crate) refused: Option<usize>,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: u64) -> Self {
        MemoryLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            peak: 0,
            refused: None,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }
}
