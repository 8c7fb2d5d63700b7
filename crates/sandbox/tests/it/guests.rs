//! Invocations that work: the answer, the metering, and a fresh instance each time.

use sandbox::{Grants, Limits, PAGE};

use crate::{ECHO, compile, guest, limits, runtime};

#[tokio::test]
async fn an_invocation_answers_what_the_guest_returns() {
    let (runtime, _) = runtime();
    let echo = compile(
        &runtime,
        "echo",
        &guest("", ECHO),
        limits(),
        Grants::default(),
    )
    .await;

    let invocation = runtime.invoke(&echo, br#"{"hello":"world"}"#).await;

    assert_eq!(invocation.result.unwrap(), br#"{"hello":"world"}"#);
    assert_eq!(echo.digest().len(), 64);
}

#[tokio::test]
async fn each_invocation_is_metered_and_only_the_first_is_cold() {
    let (runtime, _) = runtime();
    let echo = compile(
        &runtime,
        "echo",
        &guest("", ECHO),
        limits(),
        Grants::default(),
    )
    .await;

    let first = runtime.invoke(&echo, b"{}").await.metering;
    let second = runtime.invoke(&echo, b"{}").await.metering;

    assert!(first.cold && !second.cold);
    assert!(first.fuel > 0, "fuel is metered: {first:?}");
    assert_eq!(first.peak_memory_bytes, PAGE);
    assert_eq!(first.memory_limit_bytes, Limits::default().memory_bytes);
}

#[test]
fn gb_seconds_bill_the_memory_given_for_the_duration_rounded_up_to_the_millisecond() {
    let metering = sandbox::Metering {
        duration: std::time::Duration::from_micros(1_200),
        fuel: 1,
        peak_memory_bytes: PAGE,
        memory_limit_bytes: 128 * 1024 * 1024,
        cold: false,
    };
    // 1/8 GB for 2 ms.
    assert!(
        (metering.gb_seconds() - 0.125 * 0.002).abs() < 1e-15,
        "{}",
        metering.gb_seconds()
    );
}

#[tokio::test]
async fn no_state_survives_between_invocations() {
    let (runtime, _) = runtime();
    // Counts its invocations in a global, and answers the count as one byte at 0.
    let counter = guest(
        "",
        r#"(global.set $next (i32.add (global.get $next) (i32.const 0)))
           (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 49)))
           (i64.const 1)"#,
    );
    let counter = compile(&runtime, "counter", &counter, limits(), Grants::default()).await;

    for _ in 0..3 {
        let answer = runtime.invoke(&counter, b"{}").await.result.unwrap();
        assert_eq!(answer, b"1", "a fresh instance starts from zeroed memory");
    }
}

#[tokio::test]
async fn the_same_bytes_make_the_same_digest() {
    let bytes = wat::parse_str(guest("", ECHO)).unwrap();
    assert_eq!(sandbox::digest(&bytes), sandbox::digest(&bytes.clone()));
    assert_ne!(sandbox::digest(&bytes), sandbox::digest(b"other"));
}
