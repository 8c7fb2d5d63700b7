//! The sandbox's behaviour through its public API, with guests written in WebAssembly text.

mod examples;
mod faults;
mod guests;
mod host_calls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sandbox::{Compiled, Grants, KeyValue, Limits, Runtime};

/// A key-value space in memory that can be made slow.
#[derive(Default)]
pub struct MemoryKeyValue {
    values: Mutex<HashMap<(String, String), Vec<u8>>>,
    delay: Mutex<Duration>,
}

impl KeyValue for MemoryKeyValue {
    fn get(
        &self,
        function: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let value = self
            .values
            .lock()
            .unwrap()
            .get(&(function.to_owned(), key.to_owned()))
            .cloned();
        let delay = *self.delay.lock().unwrap();
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Ok(value)
        })
    }

    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>> {
        self.values
            .lock()
            .unwrap()
            .insert((function.to_owned(), key.to_owned()), value);
        Box::pin(async { Ok(()) })
    }
}

pub fn runtime() -> (Runtime, Arc<MemoryKeyValue>) {
    let key_value = Arc::new(MemoryKeyValue::default());
    let runtime = Runtime::new(16, key_value.clone()).expect("start the runtime");
    (runtime, key_value)
}

/// The module written as `text`, compiled for `name` with `limits` and `grants`.
pub async fn compile(
    runtime: &Runtime,
    name: &str,
    text: &str,
    limits: Limits,
    grants: Grants,
) -> Compiled {
    let bytes = wat::parse_str(text).expect("valid text");
    runtime
        .compile(name, bytes, limits, grants)
        .await
        .expect("compiles")
}

/// The exports every guest has: one page of memory from 1024 on, a bump allocator.
pub const PRELUDE: &str = r#"
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $len)))
    (local.get $at))
"#;

/// A guest whose `handle` is `body`, with `imports` before the prelude.
pub fn guest(imports: &str, body: &str) -> String {
    format!(
        r#"(module {imports} {PRELUDE}
  (func (export "handle") (param $ptr i32) (param $len i32) (result i64) {body}))"#
    )
}

/// `handle` answering its own input.
pub const ECHO: &str = "(i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))";

pub fn limits() -> Limits {
    Limits::default()
}

impl MemoryKeyValue {
    pub fn get_now(&self, function: &str, key: &str) -> Option<Vec<u8>> {
        self.values
            .lock()
            .unwrap()
            .get(&(function.to_owned(), key.to_owned()))
            .cloned()
    }

    pub fn slow_down(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }
}
