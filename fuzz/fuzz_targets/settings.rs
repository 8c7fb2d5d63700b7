//! A settings file: any TOML text gives settings or an error that names the problem, through
//! the same layers, extraction and unknown-key check as the binary's; nothing panics.
#![no_main]

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use libfuzzer_sys::fuzz_target;
use platform::config::{extract, refuse_unknown};
use serde::{Deserialize, Serialize};

/// Sections shaped like the binary's: nested tables, lists, numbers, secrets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Settings {
    data_dir: String,
    drain_timeout_seconds: u64,
    telemetry: platform::telemetry::TelemetryConfig,
    tls: platform::tls::TlsConfig,
    remote: std::collections::BTreeMap<String, String>,
    secret: platform::config::Secret,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let figment =
        Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(text));
    match extract::<Settings>(&figment) {
        Ok(settings) => {
            let _ = refuse_unknown(&figment, &settings);
        }
        Err(error) => assert!(!error.to_string().is_empty(), "an error says what is wrong"),
    }
});
