//! The host calls: logging, the key-value space, emitting events, aborting.

use sandbox::{Fault, Grants};

use crate::{ECHO, compile, guest, limits, runtime};

/// A guest that writes `text` at 0 first, then runs `calls`, then answers its input.
fn with_data(imports: &str, text: &str, calls: &str) -> String {
    let module = guest(imports, &format!("{calls} {ECHO}"));
    module.replacen(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") 1) (data (i32.const 0) \"{text}\")"),
        1,
    )
}

#[tokio::test]
async fn a_guest_logs_into_the_invocation() {
    let (runtime, _) = runtime();
    let text = with_data(
        r#"(import "env" "log" (func $log (param i32 i32 i32)))"#,
        "points awarded",
        "(call $log (i32.const 2) (i32.const 0) (i32.const 14))",
    );
    let function = compile(&runtime, "logger", &text, limits(), Grants::default()).await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert!(invocation.result.is_ok());
    assert_eq!(invocation.logs.len(), 1);
    assert_eq!(invocation.logs[0].level, "warn");
    assert_eq!(invocation.logs[0].message, "points awarded");
}

#[tokio::test]
async fn a_guest_keeps_state_in_its_own_key_value_space() {
    let (runtime, key_value) = runtime();
    // Sets "k" to "v1", then reads it back to 100 and answers it.
    let text = with_data(
        r#"(import "env" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
           (import "env" "kv_set" (func $set (param i32 i32 i32 i32) (result i32)))"#,
        "kv1",
        r#"(drop (call $set (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 2)))
           (local.set $len (call $get (i32.const 0) (i32.const 1) (i32.const 100) (i32.const 8)))
           (local.set $ptr (i32.const 100))"#,
    );
    let grants = Grants {
        kv: true,
        emit: Vec::new(),
    };
    let function = compile(&runtime, "stateful", &text, limits(), grants).await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert_eq!(invocation.result.unwrap(), b"v1");
    let other = key_value.get_now("other", "k");
    assert_eq!(other, None, "another function's space is its own");
    assert_eq!(key_value.get_now("stateful", "k"), Some(b"v1".to_vec()));
}

#[tokio::test]
async fn events_are_kept_only_when_granted_and_the_invocation_succeeds() {
    let (runtime, _) = runtime();
    let imports = r#"(import "env" "emit" (func $emit (param i32 i32 i32 i32) (result i32)))"#;
    let event_type = "emporium.loyalty.points_awarded.v1";
    let data = r#"{\"points\":5}"#;
    let text = with_data(
        imports,
        &format!("{event_type}{data}"),
        // The answer is the result of emit, stored as a byte at 200 ('0' + 0 when accepted).
        r#"(i32.store8 (i32.const 200) (i32.add (i32.const 48) (call $emit (i32.const 0) (i32.const 34) (i32.const 34) (i32.const 12))))
           (local.set $ptr (i32.const 200)) (local.set $len (i32.const 1))"#,
    );
    let granted = Grants {
        kv: false,
        emit: vec![event_type.to_owned()],
    };
    let function = compile(&runtime, "loyalty", &text, limits(), granted).await;
    let invocation = runtime.invoke(&function, b"{}").await;
    assert_eq!(invocation.result.unwrap(), b"0");
    assert_eq!(invocation.events.len(), 1);
    assert_eq!(invocation.events[0].event_type, event_type);
    assert_eq!(invocation.events[0].data, br#"{"points":5}"#);

    let other = Grants {
        kv: false,
        emit: vec!["emporium.loyalty.other.v1".to_owned()],
    };
    let function = compile(&runtime, "loyalty", &text, limits(), other).await;
    let invocation = runtime.invoke(&function, b"{}").await;
    assert_eq!(
        invocation.result.unwrap(),
        b"/",
        "'0' - 1: a type it was not granted"
    );
    assert!(invocation.events.is_empty());
}

#[tokio::test]
async fn an_assemblyscript_abort_names_its_message_and_place() {
    let (runtime, _) = runtime();
    // AssemblyScript strings: UTF-16LE, their byte length in the four bytes before them.
    let text = with_data(
        r#"(import "env" "abort" (func $abort (param i32 i32 i32 i32)))"#,
        "\\04\\00\\00\\00n\\00o\\00\\08\\00\\00\\00a\\00.\\00t\\00s\\00",
        "(call $abort (i32.const 4) (i32.const 12) (i32.const 3) (i32.const 16))",
    );
    let function = compile(&runtime, "thrower", &text, limits(), Grants::default()).await;

    let invocation = runtime.invoke(&function, b"{}").await;

    assert_eq!(
        invocation.result.unwrap_err(),
        Fault::Aborted("the function aborted: no at a.ts:3:16".to_owned())
    );
}
