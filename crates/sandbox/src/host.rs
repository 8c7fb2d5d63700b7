//! The host calls a guest may import from module `env`, and what one invocation keeps while it
//! runs. Every string crosses as `(pointer, length)` into the guest's memory, UTF-8.
//!
//! - `log(level, ptr, len)`: a line into the shop's logs and the invocation's trace;
//!   level 0 debug, 1 info, 2 warn, 3 error.
//! - `kv_get(key_ptr, key_len, out_ptr, out_cap) -> i32`: the value's length, or -1 when there
//!   is none. The value is written only when it fits in `out_cap`; a guest with too small a
//!   buffer calls again with a bigger one.
//! - `kv_set(key_ptr, key_len, value_ptr, value_len) -> i32`: 0, or -2 when the key or the value
//!   is too long.
//! - `emit(type_ptr, type_len, data_ptr, data_len) -> i32`: 0; -1 when the function may not emit
//!   that type, -2 past the events an invocation may emit, -3 when the data is not JSON. Events
//!   are published only when the invocation succeeds.
//! - `abort(message, file, line, column)`: AssemblyScript's `throw` and failed assertions; the
//!   strings are AssemblyScript's (UTF-16, their byte length at `pointer - 4`). Stops the guest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use wasmtime::{Caller, Extern, Linker};

use crate::limits::MemoryLimiter;

/// The longest key, value, log line and event a guest may hand the host, in bytes.
pub const MAX_KEY: usize = 256;
pub const MAX_VALUE: usize = 64 * 1024;
const MAX_LINE: usize = 4 * 1024;
const MAX_EVENT: usize = 64 * 1024;
/// The most log lines and events one invocation keeps.
const MAX_LINES: usize = 100;
const MAX_EVENTS: usize = 16;

/// Where a function's state lives: a key-value space per function, which the embedding
/// service provides (its database, or Redis when it runs in replicas).
pub trait KeyValue: Send + Sync + 'static {
    fn get(&self, function: &str, key: &str)
    -> BoxFuture<'static, Result<Option<Vec<u8>>, String>>;
    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>>;
}

/// What a function was granted when it was deployed, beyond `log` and `abort`, which every
/// function has.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grants {
    /// `kv_get` and `kv_set` on the function's own key-value space.
    pub kv: bool,
    /// The event types `emit` may publish.
    pub emit: Vec<String>,
}

impl Grants {
    /// Whether this grant lets a module import `name` from `env`.
    pub(crate) fn allows(&self, name: &str) -> bool {
        match name {
            "log" | "abort" => true,
            "kv_get" | "kv_set" => self.kv,
            "emit" => !self.emit.is_empty(),
            _ => false,
        }
    }
}

/// The host calls as a guest must import them: the name, how many `i32` parameters, and
/// whether it returns an `i32`.
pub(crate) const HOST_CALLS: [(&str, usize, bool); 5] = [
    ("log", 3, false),
    ("kv_get", 4, true),
    ("kv_set", 4, true),
    ("emit", 4, true),
    ("abort", 4, false),
];

/// A line a guest logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// An event a guest emitted: its type and its JSON data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emitted {
    pub event_type: String,
    pub data: Vec<u8>,
}

/// Why a host call stopped the guest.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostFault {
    #[error("the function aborted: {0}")]
    Abort(String),
    #[error("the function passed a string outside its memory or not UTF-8 to `{0}`")]
    BadString(&'static str),
    #[error("the function's key-value store failed: {0}")]
    KeyValue(String),
}

/// What one invocation's store holds.
pub(crate) struct State {
    pub(crate) function: Arc<str>,
    pub(crate) grants: Arc<Grants>,
    pub(crate) key_value: Arc<dyn KeyValue>,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) events: Vec<Emitted>,
    pub(crate) started: Instant,
    /// Time spent waiting in host calls, which the CPU limit does not count.
    pub(crate) in_host: Duration,
    pub(crate) cpu_limit: Duration,
    pub(crate) cpu_exceeded: bool,
}

impl State {
    /// The time this invocation has spent running WebAssembly.
    pub(crate) fn cpu_used(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }
}

/// A linker with every host call; which of them a module may import is checked at deploy.
pub(crate) fn linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<State>> {
    let mut linker = Linker::new(engine);
    linker.func_wrap("env", "log", log)?;
    linker.func_wrap("env", "emit", emit)?;
    linker.func_wrap("env", "abort", abort)?;
    linker.func_wrap_async("env", "kv_get", |caller, (key, key_len, out, capacity)| {
        Box::new(kv_get(caller, key, key_len, out, capacity))
    })?;
    linker.func_wrap_async(
        "env",
        "kv_set",
        |caller, (key, key_len, value, value_len)| {
            Box::new(kv_set(caller, key, key_len, value, value_len))
        },
    )?;
    Ok(linker)
}

fn log(
    mut caller: Caller<'_, State>,
    level: i32,
    pointer: i32,
    length: i32,
) -> wasmtime::Result<()> {
    let bytes = read(&mut caller, pointer, length, MAX_LINE, "log")?;
    let message = String::from_utf8_lossy(&bytes).into_owned();
    let level = match level {
        i32::MIN..=0 => "debug",
        1 => "info",
        2 => "warn",
        _ => "error",
    };
    let state = caller.data_mut();
    let function = &*state.function;
    match level {
        "debug" => tracing::debug!(target: "function", function, message),
        "info" => tracing::info!(target: "function", function, message),
        "warn" => tracing::warn!(target: "function", function, message),
        _ => tracing::error!(target: "function", function, message),
    }
    if state.logs.len() < MAX_LINES {
        state.logs.push(LogLine {
            level: level.to_owned(),
            message,
        });
    }
    Ok(())
}

fn emit(
    mut caller: Caller<'_, State>,
    type_pointer: i32,
    type_length: i32,
    data_pointer: i32,
    data_length: i32,
) -> wasmtime::Result<i32> {
    let event_type = read_string(&mut caller, type_pointer, type_length, MAX_KEY, "emit")?;
    let data = read(&mut caller, data_pointer, data_length, MAX_EVENT, "emit")?;
    let state = caller.data_mut();
    if !state.grants.emit.contains(&event_type) {
        return Ok(-1);
    }
    if state.events.len() >= MAX_EVENTS {
        return Ok(-2);
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(&data).is_err() {
        return Ok(-3);
    }
    state.events.push(Emitted { event_type, data });
    Ok(0)
}

fn abort(
    mut caller: Caller<'_, State>,
    message: i32,
    file: i32,
    line: i32,
    column: i32,
) -> wasmtime::Result<()> {
    let message = assemblyscript_string(&mut caller, message).unwrap_or_default();
    let file = assemblyscript_string(&mut caller, file).unwrap_or_default();
    Err(HostFault::Abort(format!("{message} at {file}:{line}:{column}")).into())
}

async fn kv_get(
    mut caller: Caller<'_, State>,
    key: i32,
    key_length: i32,
    out: i32,
    capacity: i32,
) -> wasmtime::Result<i32> {
    let key = read_string(&mut caller, key, key_length, MAX_KEY, "kv_get")?;
    let (store, function) = (
        caller.data().key_value.clone(),
        caller.data().function.clone(),
    );
    let started = Instant::now();
    let value = store
        .get(&function, &key)
        .await
        .map_err(HostFault::KeyValue);
    caller.data_mut().in_host += started.elapsed();
    let Some(value) = value? else { return Ok(-1) };
    let length = i32::try_from(value.len()).unwrap_or(i32::MAX);
    if length <= capacity {
        write(&mut caller, out, &value, "kv_get")?;
    }
    Ok(length)
}

async fn kv_set(
    mut caller: Caller<'_, State>,
    key: i32,
    key_length: i32,
    value: i32,
    value_length: i32,
) -> wasmtime::Result<i32> {
    if key_length as u32 as usize > MAX_KEY || value_length as u32 as usize > MAX_VALUE {
        return Ok(-2);
    }
    let key = read_string(&mut caller, key, key_length, MAX_KEY, "kv_set")?;
    let value = read(&mut caller, value, value_length, MAX_VALUE, "kv_set")?;
    let (store, function) = (
        caller.data().key_value.clone(),
        caller.data().function.clone(),
    );
    let started = Instant::now();
    let stored = store
        .set(&function, &key, value)
        .await
        .map_err(HostFault::KeyValue);
    caller.data_mut().in_host += started.elapsed();
    stored?;
    Ok(0)
}

/// `length` bytes of the guest's memory from `pointer`, at most `most` of them.
fn read(
    caller: &mut Caller<'_, State>,
    pointer: i32,
    length: i32,
    most: usize,
    call: &'static str,
) -> wasmtime::Result<Vec<u8>> {
    let (start, length) = (pointer as u32 as usize, (length as u32 as usize).min(most));
    let memory = memory(caller, call)?;
    let bytes = memory
        .data(&*caller)
        .get(start..start.saturating_add(length))
        .ok_or(HostFault::BadString(call))?;
    Ok(bytes.to_vec())
}

fn read_string(
    caller: &mut Caller<'_, State>,
    pointer: i32,
    length: i32,
    most: usize,
    call: &'static str,
) -> wasmtime::Result<String> {
    let bytes = read(caller, pointer, length, most, call)?;
    Ok(String::from_utf8(bytes).map_err(|_| HostFault::BadString(call))?)
}

fn write(
    caller: &mut Caller<'_, State>,
    pointer: i32,
    bytes: &[u8],
    call: &'static str,
) -> wasmtime::Result<()> {
    let memory = memory(caller, call)?;
    memory
        .write(&mut *caller, pointer as u32 as usize, bytes)
        .map_err(|_| HostFault::BadString(call))?;
    Ok(())
}

fn memory(
    caller: &mut Caller<'_, State>,
    call: &'static str,
) -> wasmtime::Result<wasmtime::Memory> {
    Ok(caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or(HostFault::BadString(call))?)
}

/// An AssemblyScript string: UTF-16LE, its length in bytes in the four bytes before it.
fn assemblyscript_string(caller: &mut Caller<'_, State>, pointer: i32) -> Option<String> {
    let start = (pointer as u32 as usize).checked_sub(4)?;
    let memory = memory(caller, "abort").ok()?;
    let data = memory.data(&*caller);
    let length = u32::from_le_bytes(data.get(start..start + 4)?.try_into().ok()?) as usize;
    let bytes = data.get(start + 4..start + 4 + length.min(MAX_LINE))?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}
