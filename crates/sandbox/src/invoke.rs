//! One invocation: a fresh instance from the pool, the input written into its memory, `handle`
//! called under the function's limits, and what it used measured.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::host::{Emitted, HostFault, LogLine, State};
use crate::limits::MemoryLimiter;
use crate::module::Compiled;

/// The largest input and output an invocation takes and gives, in bytes.
pub const MAX_INPUT: usize = 1024 * 1024;
pub const MAX_OUTPUT: usize = 1024 * 1024;

/// What an invocation answered and what it used.
#[derive(Debug)]
pub struct Invocation {
    /// The guest's output (the JSON its `handle` returned), or why there is none.
    pub result: Result<Vec<u8>, Fault>,
    pub metering: Metering,
    pub logs: Vec<LogLine>,
    /// What the guest emitted; empty when it failed, since those events are not published.
    pub events: Vec<Emitted>,
}

/// What one invocation used, as a pay-per-use platform meters it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Metering {
    pub duration: Duration,
    /// Fuel burnt: about one unit per WebAssembly instruction.
    pub fuel: u64,
    /// The most linear memory the instance had, in bytes.
    pub peak_memory_bytes: u64,
    /// The memory the function was given; a cloud bills that, not the peak.
    pub memory_limit_bytes: u64,
    /// Whether this was the version's first invocation since it was compiled here.
    pub cold: bool,
}

impl Metering {
    /// The GB-seconds a cloud function would bill: memory given times duration, the duration
    /// rounded up to the millisecond.
    pub fn gb_seconds(&self) -> f64 {
        let billed_ms = self.duration.as_micros().div_ceil(1000) as f64;
        self.memory_limit_bytes as f64 / (1u64 << 30) as f64 * billed_ms / 1000.0
    }
}

/// Why an invocation gave no output. Each names the limit or the guest's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("the function is already running {limit} invocations, its concurrency limit")]
    Busy { limit: u32 },
    #[error("the input is {size} bytes, above the {MAX_INPUT} an invocation takes")]
    InputTooLarge { size: usize },
    #[error("the function ran WebAssembly past its CPU limit of {limit_ms} ms and was stopped")]
    CpuTime { limit_ms: u64 },
    #[error("the function used up its fuel limit of {limit} and was stopped")]
    Fuel { limit: u64 },
    #[error("the function took longer than its wall-clock limit of {limit_ms} ms and was stopped")]
    WallTime { limit_ms: u64 },
    #[error("the function asked for {wanted} bytes of memory, above its limit of {limit} bytes")]
    Memory { wanted: u64, limit: u64 },
    #[error("{0}")]
    Aborted(String),
    #[error("the function trapped: {0}")]
    Trapped(String),
    #[error("the function's output is not in its memory or above {MAX_OUTPUT} bytes")]
    BadOutput,
}

impl Fault {
    /// A short name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Busy { .. } => "busy",
            Fault::InputTooLarge { .. } => "input_too_large",
            Fault::CpuTime { .. } => "cpu_time",
            Fault::Fuel { .. } => "fuel",
            Fault::WallTime { .. } => "wall_time",
            Fault::Memory { .. } => "memory",
            Fault::Aborted(_) => "aborted",
            Fault::Trapped(_) => "trapped",
            Fault::BadOutput => "bad_output",
        }
    }
}

pub(crate) async fn invoke(store: Store<State>, function: &Compiled, input: &[u8]) -> Invocation {
    let started = Instant::now();
    let limits = function.limits;
    let refused = |fault| Invocation {
        result: Err(fault),
        metering: Metering {
            duration: started.elapsed(),
            fuel: 0,
            peak_memory_bytes: 0,
            memory_limit_bytes: limits.memory_bytes,
            cold: false,
        },
        logs: Vec::new(),
        events: Vec::new(),
    };
    if input.len() > MAX_INPUT {
        return refused(Fault::InputTooLarge { size: input.len() });
    }
    let Ok(_permit) = function.running.clone().try_acquire_owned() else {
        return refused(Fault::Busy {
            limit: limits.concurrency,
        });
    };
    let cold = !function.warmed.swap(true, Ordering::Relaxed);
    let mut store = limited(store, function);
    let answer = tokio::time::timeout(limits.wall(), run(&mut store, function, input)).await;
    let fuel = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
    let state = store.into_data();
    let result = match answer {
        Err(_elapsed) => Err(Fault::WallTime {
            limit_ms: limits.wall_ms,
        }),
        Ok(answer) => answer.map_err(|error| fault(error, &state, function)),
    };
    let metering = Metering {
        duration: started.elapsed(),
        fuel,
        peak_memory_bytes: state.limiter.peak as u64,
        memory_limit_bytes: limits.memory_bytes,
        cold,
    };
    let events = if result.is_ok() {
        state.events
    } else {
        Vec::new()
    };
    Invocation {
        result,
        metering,
        logs: state.logs,
        events,
    }
}

/// `store` with the function's memory limit, fuel and CPU check. The deadline is set before
/// the instance exists, since a module's start function runs as it is made.
fn limited(mut store: Store<State>, function: &Compiled) -> Store<State> {
    store.data_mut().limiter = MemoryLimiter::new(function.limits.memory_bytes);
    store.limiter(|state| &mut state.limiter);
    // Fuel is on in the engine's configuration, so this cannot fail.
    let _ = store.set_fuel(function.limits.fuel);
    store.set_epoch_deadline(1);
    // Each epoch tick (a millisecond), a running guest yields to the scheduler, so the
    // wall-clock timeout can fire, and is stopped once its CPU time is spent.
    store.epoch_deadline_callback(|mut context| {
        let state = context.data_mut();
        if state.cpu_used() >= state.cpu_limit {
            state.cpu_exceeded = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Yield(1))
    });
    store
}

async fn run(
    store: &mut Store<State>,
    function: &Compiled,
    input: &[u8],
) -> wasmtime::Result<Vec<u8>> {
    let instance = function.instance.instantiate_async(&mut *store).await?;
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize") {
        initialize.call_async(&mut *store, ()).await?;
    }
    let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "alloc")?;
    let handle = instance.get_typed_func::<(i32, i32), i64>(&mut *store, "handle")?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or(OutputFault)?;
    // MAX_INPUT fits an i32.
    let length = input.len() as i32;
    let pointer = alloc.call_async(&mut *store, length).await?;
    memory.write(&mut *store, pointer as u32 as usize, input)?;
    let packed = handle.call_async(&mut *store, (pointer, length)).await? as u64;
    let (start, length) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
    if length > MAX_OUTPUT {
        return Err(OutputFault.into());
    }
    let output = memory
        .data(&*store)
        .get(start..start + length)
        .ok_or(OutputFault)?;
    Ok(output.to_vec())
}

#[derive(Debug, thiserror::Error)]
#[error("bad output")]
struct OutputFault;

/// What stopped the guest, told from the trap, the limiter and the host calls.
fn fault(error: wasmtime::Error, state: &State, function: &Compiled) -> Fault {
    let limits = function.limits;
    if state.cpu_exceeded {
        return Fault::CpuTime {
            limit_ms: limits.cpu_ms,
        };
    }
    if let Some(wanted) = state.limiter.refused {
        return Fault::Memory {
            wanted: wanted as u64,
            limit: limits.memory_bytes,
        };
    }
    if error.downcast_ref::<OutputFault>().is_some() {
        return Fault::BadOutput;
    }
    if let Some(host) = error.downcast_ref::<HostFault>() {
        return match host {
            HostFault::Abort(_) => Fault::Aborted(host.to_string()),
            other => Fault::Trapped(other.to_string()),
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Fault::Fuel { limit: limits.fuel },
        Some(trap) => Fault::Trapped(trap.to_string()),
        None => Fault::Trapped(format!("{error:#}")),
    }
}
