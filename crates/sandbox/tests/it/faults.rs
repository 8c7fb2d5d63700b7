//! Faults a platform must survive: endless loops, memory past the limit, traps, slow host
//! calls, too many invocations at once, and modules that may not run.

use std::time::Duration;

use sandbox::{Fault, Grants, Limits, Refused};

use crate::{ECHO, compile, guest, limits, runtime};

const ENDLESS: &str = "(loop $forever (br $forever)) (i64.const 0)";

/// A guest that reads a key from its key-value space, then answers its input.
async fn reads_a_key(runtime: &sandbox::Runtime, name: &str, limits: Limits) -> sandbox::Compiled {
    let imports = r#"(import "env" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))"#;
    let body = format!(
        "(drop (call $get (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0))) {ECHO}"
    );
    let grants = Grants {
        kv: true,
        emit: Vec::new(),
    };
    compile(runtime, name, &guest(imports, &body), limits, grants).await
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_cpu_limit() {
    let (runtime, _) = runtime();
    let limits = Limits {
        cpu_ms: 20,
        fuel: Limits::MAX.fuel,
        ..limits()
    };
    let function = compile(
        &runtime,
        "spin",
        &guest("", ENDLESS),
        limits,
        Grants::default(),
    )
    .await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert_eq!(
        invocation.result.unwrap_err(),
        Fault::CpuTime { limit_ms: 20 }
    );
    assert!(invocation.metering.duration >= Duration::from_millis(20));
    assert!(
        invocation.metering.duration < Duration::from_secs(1),
        "{:?}",
        invocation.metering
    );
}

#[tokio::test]
async fn an_endless_loop_is_stopped_when_its_fuel_runs_out() {
    let (runtime, _) = runtime();
    let limits = Limits {
        fuel: 100_000,
        cpu_ms: 10_000,
        wall_ms: 10_000,
        ..limits()
    };
    let function = compile(
        &runtime,
        "spin",
        &guest("", ENDLESS),
        limits,
        Grants::default(),
    )
    .await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert_eq!(
        invocation.result.unwrap_err(),
        Fault::Fuel { limit: 100_000 }
    );
    assert_eq!(invocation.metering.fuel, 100_000);
}

#[tokio::test]
async fn a_slow_host_call_is_stopped_at_the_wall_clock_limit() {
    let (runtime, key_value) = runtime();
    key_value.slow_down(Duration::from_secs(5));
    let limits = Limits {
        wall_ms: 100,
        ..limits()
    };
    let function = reads_a_key(&runtime, "slow", limits).await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert_eq!(
        invocation.result.unwrap_err(),
        Fault::WallTime { limit_ms: 100 }
    );
}

#[tokio::test]
async fn memory_past_the_limit_is_refused() {
    let (runtime, _) = runtime();
    // Asks for 4 more pages; traps when refused, as a guest's allocator would.
    let body = "(if (i32.lt_s (memory.grow (i32.const 4)) (i32.const 0)) (then unreachable)) (i64.const 0)";
    let limits = Limits {
        memory_bytes: 2 * sandbox::PAGE,
        ..limits()
    };
    let function = compile(
        &runtime,
        "hungry",
        &guest("", body),
        limits,
        Grants::default(),
    )
    .await;

    let invocation = runtime.invoke(&function, b"{}").await;

    let wanted = 5 * sandbox::PAGE;
    assert_eq!(
        invocation.result.unwrap_err(),
        Fault::Memory {
            wanted,
            limit: 2 * sandbox::PAGE
        }
    );
}

#[tokio::test]
async fn a_trapping_guest_does_not_harm_the_next_invocation() {
    let (runtime, _) = runtime();
    // Traps on an input of one byte, answers any other.
    let body = format!("(if (i32.eq (local.get $len) (i32.const 1)) (then unreachable)) {ECHO}");
    let function = compile(
        &runtime,
        "fragile",
        &guest("", &body),
        limits(),
        Grants::default(),
    )
    .await;

    let trapped = runtime.invoke(&function, b"x").await;
    let next = runtime.invoke(&function, b"{}").await;

    let Err(Fault::Trapped(message)) = trapped.result else {
        panic!("{trapped:?}")
    };
    assert!(message.contains("unreachable"), "{message}");
    assert_eq!(next.result.unwrap(), b"{}");
}

#[tokio::test]
async fn invocations_past_the_concurrency_limit_are_refused() {
    let (runtime, key_value) = runtime();
    key_value.slow_down(Duration::from_millis(300));
    let limits = Limits {
        concurrency: 1,
        ..limits()
    };
    let function = reads_a_key(&runtime, "single", limits).await;

    let (first, second) = tokio::join!(runtime.invoke(&function, b"{}"), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        runtime.invoke(&function, b"{}").await
    });

    assert!(first.result.is_ok(), "{first:?}");
    assert_eq!(second.result.unwrap_err(), Fault::Busy { limit: 1 });
}

async fn refused(text_or_bytes: Vec<u8>, grants: Grants) -> Refused {
    let (runtime, _) = runtime();
    runtime
        .compile("bad", text_or_bytes, limits(), grants)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_module_that_is_not_webassembly_is_refused_naming_the_problem() {
    let refusal = refused(b"\0asm\x02\0\0\0".to_vec(), Grants::default()).await;
    let Refused::Invalid(message) = &refusal else {
        panic!("{refusal:?}")
    };
    assert!(message.contains("unknown binary version"), "{message}");
}

#[tokio::test]
async fn a_module_importing_what_is_not_a_host_call_is_refused() {
    let imports = r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#;
    let refusal = refused(
        wat::parse_str(guest(imports, ECHO)).unwrap(),
        Grants::default(),
    )
    .await;
    assert_eq!(
        refusal,
        Refused::UnknownImport {
            module: "wasi_snapshot_preview1".to_owned(),
            name: "fd_write".to_owned()
        }
    );
    assert!(
        refusal
            .to_string()
            .contains("`wasi_snapshot_preview1.fd_write`")
    );
}

#[tokio::test]
async fn a_module_importing_a_host_call_it_was_not_granted_is_refused() {
    let imports = r#"(import "env" "kv_get" (func (param i32 i32 i32 i32) (result i32)))"#;
    let refusal = refused(
        wat::parse_str(guest(imports, ECHO)).unwrap(),
        Grants::default(),
    )
    .await;
    assert_eq!(refusal, Refused::NotGranted("kv_get".to_owned()));
}

#[tokio::test]
async fn a_host_call_imported_with_the_wrong_signature_is_refused() {
    let imports = r#"(import "env" "log" (func (param i32 i32) (result i32)))"#;
    let refusal = refused(
        wat::parse_str(guest(imports, ECHO)).unwrap(),
        Grants::default(),
    )
    .await;
    assert_eq!(
        refusal.to_string(),
        "the module imports `env.log` with the wrong signature: (i32, i32) -> (i32), expected (i32, i32, i32) -> ()"
    );
}

#[tokio::test]
async fn a_module_without_handle_is_refused() {
    let text = format!("(module {})", crate::PRELUDE);
    let refusal = refused(wat::parse_str(text).unwrap(), Grants::default()).await;
    assert_eq!(
        refusal.to_string(),
        "the module does not export `handle` as func (i32, i32) -> (i64)"
    );
}

#[tokio::test]
async fn a_module_whose_memory_starts_above_its_limit_is_refused() {
    let (runtime, _) = runtime();
    let text = guest("", ECHO).replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 4)",
    );
    let limits = Limits {
        memory_bytes: 2 * sandbox::PAGE,
        ..limits()
    };
    let refusal = runtime
        .compile(
            "big",
            wat::parse_str(text).unwrap(),
            limits,
            Grants::default(),
        )
        .await;
    assert_eq!(
        refusal.unwrap_err(),
        Refused::MemoryAboveLimit {
            minimum: 4 * sandbox::PAGE,
            limit: 2 * sandbox::PAGE
        }
    );
}

#[tokio::test]
async fn limits_out_of_range_are_refused_by_name() {
    let (runtime, _) = runtime();
    let bytes = wat::parse_str(guest("", ECHO)).unwrap();
    let limits = Limits {
        cpu_ms: 0,
        ..limits()
    };
    let refusal = runtime
        .compile("zero", bytes, limits, Grants::default())
        .await
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "limit `cpu_ms` is 0; it must be 1 to 10000"
    );
}
