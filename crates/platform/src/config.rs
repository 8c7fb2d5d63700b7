//! Layered configuration: defaults, then a TOML file, then `EMPORIUM_...` environment variables.
//!
//! Nested keys use a double underscore in the environment:
//! `EMPORIUM_CATALOG__DATABASE_URL` sets `catalog.database_url`.

use std::fmt;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The prefix of every environment variable Emporium reads for its configuration.
pub const ENV_PREFIX: &str = "EMPORIUM_";

/// Variables under `EMPORIUM_TEST_` belong to the test suite (which servers to use), those
/// under `EMPORIUM_DEPLOY_` to the deployment tools (`deploy/check`, the compose file's
/// secrets), and those under `EMPORIUM_BENCH_` to `emporium bench`; none is ever read as a
/// setting.
const TOOL_PREFIXES: [&str; 3] = ["test_", "deploy_", "bench_"];

/// `EMPORIUM_CONFIG` names the settings file (the command line reads it); it is not a setting.
const FILE_VARIABLE: &str = "config";

/// A configuration value could not be read; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// Loads `T` from its defaults, the optional TOML file and the environment, in that order, and
/// refuses a key that names no field of `T`.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: Default + Serialize + DeserializeOwned,
{
    let figment = layers::<T>(file)?;
    let value = extract(&figment)?;
    refuse_unknown(&figment, &value)?;
    Ok(value)
}

/// The layers `load` reads: `T`'s defaults, the optional TOML file, then the environment.
pub fn layers<T: Default + Serialize>(file: Option<&Path>) -> Result<Figment, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(file) = file {
        if !file.exists() {
            return Err(ConfigError(format!(
                "config file {} does not exist",
                file.display()
            )));
        }
        figment = figment.merge(Toml::file(file));
    }
    // `EMPORIUM_TEST_...`, `EMPORIUM_DEPLOY_...` and `EMPORIUM_BENCH_...` variables configure
    // tools, not the product.
    Ok(figment.merge(
        Env::prefixed(ENV_PREFIX)
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                !TOOL_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) && key != FILE_VARIABLE
            })
            .split("__"),
    ))
}

/// Reads a `T` from `figment`; an error names the key and the layer it came from.
pub fn extract<T: DeserializeOwned>(figment: &Figment) -> Result<T, ConfigError> {
    figment
        .extract()
        .map_err(|error| ConfigError(describe(error)))
}

/// Refuses every key given in `figment` that `value` does not have: a misspelt setting is an
/// error, not a default silently kept. Works where `#[serde(deny_unknown_fields)]` cannot, on
/// structs with flattened parts.
pub fn refuse_unknown<T: Serialize>(figment: &Figment, value: &T) -> Result<(), ConfigError> {
    let given: Value = extract(figment)?;
    let known = Value::serialize(value)
        .map_err(|error| ConfigError(format!("read the settings back: {error}")))?;
    let mut unknown = Vec::new();
    unknown_keys(&given, &known, "", &mut unknown);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ConfigError(
        unknown
            .iter()
            .map(|key| {
                let source = figment
                    .find_metadata(key)
                    .map(|metadata| format!(" (from {})", metadata.name))
                    .unwrap_or_default();
                format!("key `{key}`: no such setting{source}")
            })
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

fn unknown_keys(given: &Value, known: &Value, prefix: &str, unknown: &mut Vec<String>) {
    let (Value::Dict(_, given), Value::Dict(_, known)) = (given, known) else {
        return;
    };
    for (key, value) in given {
        let path = match prefix {
            "" => key.clone(),
            prefix => format!("{prefix}.{key}"),
        };
        match known.get(key) {
            Some(known) => unknown_keys(value, known, &path, unknown),
            None => unknown.push(path),
        }
    }
}

fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|error| {
            let key = error.path.join(".");
            let source = error
                .metadata
                .as_ref()
                .map(|metadata| format!(" (from {})", metadata.name))
                .unwrap_or_default();
            let kind = what_is_wrong(&key, &error.kind);
            if key.is_empty() {
                format!("{kind}{source}")
            } else {
                format!("key `{key}`: {kind}{source}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What is wrong with the value of `key`, without the value when the key may hold a secret (a
/// key, a password, a URL with credentials, the LLM providers with their keys).
fn what_is_wrong(key: &str, kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    const SECRET: &[&str] = &["key", "secret", "password", "token", "url", "providers"];
    let secret = SECRET.iter().any(|word| key.contains(word));
    match kind {
        Kind::InvalidType(_, expected) if secret => {
            format!("invalid type: expected {expected} (the value is not shown)")
        }
        Kind::InvalidValue(_, expected) if secret => {
            format!("invalid value: expected {expected} (the value is not shown)")
        }
        kind => kind.to_string(),
    }
}

/// A secret value (password, client secret, key) that never prints.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests;
