//! A bearer token from anyone: the verifier answers a principal or an error, never panics, for
//! any text (the header and claims are read before any signature is checked, and an unknown
//! `kid` asks the key source again, at most once a minute).
#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use libfuzzer_sys::fuzz_target;
use platform::auth::{KeySource, Verifier, VerifierConfig, public_jwk};

/// RFC 8032's first Ed25519 test key: a key the fuzzer's tokens will not be signed by.
const PUBLIC_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

static VERIFIER: LazyLock<(tokio::runtime::Runtime, Verifier)> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let keys = JwkSet {
        keys: vec![public_jwk("fuzz", &PUBLIC_KEY)],
    };
    let source = KeySource::InProcess(Arc::new(move || keys.clone()));
    let config = VerifierConfig {
        issuer: "http://127.0.0.1:8080".to_owned(),
        audience: "emporium".to_owned(),
        min_refetch_interval: Duration::from_secs(60),
    };
    (runtime, Verifier::new(config, source))
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let (runtime, verifier) = &*VERIFIER;
    let verified = runtime.block_on(verifier.verify(token));
    assert!(
        verified.is_err(),
        "no token the fuzzer makes is signed by the key"
    );
});
