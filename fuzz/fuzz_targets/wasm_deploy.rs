//! A module deployed at run time: any bytes are compiled into a function or refused with a
//! message that names the problem (not WebAssembly, an import it was not granted, a missing
//! export); nothing panics, and what compiles also runs within its limits.
#![no_main]

use std::sync::{Arc, LazyLock};

use futures_util::future::BoxFuture;
use libfuzzer_sys::fuzz_target;
use sandbox::{Grants, KeyValue, Limits, Runtime};

/// No state: the key-value space answers empty and forgets what it is given.
struct Nothing;

impl KeyValue for Nothing {
    fn get(&self, _: &str, _: &str) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        Box::pin(async { Ok(None) })
    }

    fn set(&self, _: &str, _: &str, _: Vec<u8>) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

static RUNTIME: LazyLock<(tokio::runtime::Runtime, Runtime)> = LazyLock::new(|| {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let sandbox = Runtime::new(4, Arc::new(Nothing)).expect("a sandbox");
    (tokio, sandbox)
});

fuzz_target!(|data: &[u8]| {
    let (tokio, sandbox) = &*RUNTIME;
    let grants = Grants {
        kv: true,
        emit: vec!["emporium.fuzz.v1".to_owned()],
    };
    let limits = Limits {
        fuel: 1_000_000,
        cpu_ms: 20,
        wall_ms: 100,
        ..Limits::default()
    };
    tokio.block_on(async {
        match sandbox.compile("fuzz", data.to_vec(), limits, grants).await {
            Ok(compiled) => {
                let _ = sandbox.invoke(&compiled, b"{}").await;
            }
            Err(refused) => assert!(
                !refused.to_string().is_empty(),
                "a refusal names the problem"
            ),
        }
    });
});
