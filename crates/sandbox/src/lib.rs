//! Runs WebAssembly functions in a sandbox, on wasmtime.
//!
//! A module is compiled once per version ([`Runtime::compile`], which also refuses what may not
//! run: not WebAssembly, an import that is not a granted host call, a missing export, memory
//! above the limit). Each invocation ([`Runtime::invoke`]) gets a fresh instance from the
//! pooling allocator, so no state survives between invocations but what the guest keeps through
//! the host's key-value calls; idle, a function holds nothing but its compiled module.
//!
//! Limits per function ([`Limits`]): memory (a `memory.grow` past it fails), fuel (about one unit
//! per instruction, metered for every invocation), CPU time running WebAssembly (checked each
//! millisecond by epoch interruption), wall time (host calls included) and invocations at once.
//!
//! The guest's interface (no WASI: no files, clock, environment or sockets): it exports
//! `memory`, `alloc(len) -> ptr` and `handle(ptr, len) -> (out_ptr << 32 | out_len)`, which takes
//! the request or event as JSON and answers JSON; it may import the host calls in `host.rs`.

mod host;
mod invoke;
mod limits;
mod module;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store,
};

pub use crate::host::{Emitted, Grants, KeyValue, LogLine, MAX_KEY, MAX_VALUE};
pub use crate::invoke::{Fault, Invocation, MAX_INPUT, MAX_OUTPUT, Metering};
pub use crate::limits::{Limits, PAGE};
pub use crate::module::{Compiled, Refused, digest};

use crate::host::State;
use crate::limits::MemoryLimiter;

/// How often running guests are checked against their CPU limit and yield to the scheduler.
const EPOCH: Duration = Duration::from_millis(1);

/// The engine, its pool of instances and the host calls: one per process.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<State>>,
    key_value: Arc<dyn KeyValue>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime whose pool holds `instances` instances at once (every function's invocations
    /// together), whose functions keep their state in `key_value`.
    pub fn new(instances: u32, key_value: Arc<dyn KeyValue>) -> anyhow::Result<Runtime> {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(instances)
            .total_memories(instances)
            .total_tables(instances)
            .total_stacks(instances)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .max_memory_size(Limits::MAX.memory_bytes as usize)
            .linear_memory_keep_resident(1 << 20);
        let mut config = Config::new();
        config
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .epoch_interruption(true)
            .consume_fuel(true)
            .max_wasm_stack(256 * 1024)
            .async_stack_size(1024 * 1024);
        let engine = Engine::new(&config)
            .map_err(|error| anyhow::anyhow!("start WebAssembly: {error:#}"))?;
        let linker = host::linker(&engine)
            .map_err(|error| anyhow::anyhow!("link the host calls: {error:#}"))?;
        tick_epochs(&engine).map_err(|error| anyhow::anyhow!("start the epoch thread: {error}"))?;
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            key_value,
        })
    }

    /// Checks and compiles `bytes` as version `digest(bytes)` of the function `name`, on a
    /// blocking thread: compiling takes milliseconds.
    pub async fn compile(
        &self,
        name: &str,
        bytes: Vec<u8>,
        limits: Limits,
        grants: Grants,
    ) -> Result<Compiled, Refused> {
        let limits = limits.checked().map_err(Refused::Limits)?;
        let runtime = self.clone();
        let name: Arc<str> = name.into();
        let compiled = tokio::task::spawn_blocking(move || {
            let module = Module::new(&runtime.engine, &bytes)
                .map_err(|error| Refused::Invalid(format!("{error:#}")))?;
            module::check_imports(&module, &grants)?;
            module::check_exports(&module, &limits)?;
            let instance = runtime
                .linker
                .instantiate_pre(&module)
                .map_err(|error| Refused::Invalid(format!("{error:#}")))?;
            Ok(Compiled {
                name,
                digest: digest(&bytes).into(),
                limits,
                grants: Arc::new(grants),
                instance,
                running: Arc::new(Semaphore::new(limits.concurrency as usize)),
                warmed: Arc::new(AtomicBool::new(false)),
            })
        });
        compiled
            .await
            .unwrap_or_else(|error| Err(Refused::Invalid(format!("compiling stopped: {error}"))))
    }

    /// Runs `function` once on `input` (JSON: the request or the event).
    pub async fn invoke(&self, function: &Compiled, input: &[u8]) -> Invocation {
        let state = State {
            function: function.name.clone(),
            grants: function.grants.clone(),
            key_value: self.key_value.clone(),
            limiter: MemoryLimiter::new(function.limits.memory_bytes),
            logs: Vec::new(),
            events: Vec::new(),
            started: Instant::now(),
            in_host: Duration::ZERO,
            cpu_limit: function.limits.cpu(),
            cpu_exceeded: false,
        };
        invoke::invoke(Store::new(&self.engine, state), function, input).await
    }
}

/// Advances the engine's epoch every millisecond, on a thread that ends with the engine.
fn tick_epochs(engine: &Engine) -> std::io::Result<()> {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epochs".to_owned())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH);
            }
        })?;
    Ok(())
}
