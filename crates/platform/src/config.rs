//! Layered configuration: defaults, then a TOML file, then `EMPORIUM_...` environment variables.
//!
//! Nested keys use a double underscore in the environment:
//! `EMPORIUM_CATALOG__DATABASE_URL` sets `catalog.database_url`.

use std::fmt;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The prefix of every environment variable Emporium reads for its configuration.
pub const ENV_PREFIX: &str = "EMPORIUM_";

/// Variables under `EMPORIUM_TEST_` belong to the test suite (which servers to use), and those
/// under `EMPORIUM_DEPLOY_` to the deployment tools (`deploy/check`, the compose file's
/// secrets); neither is ever read as a setting.
const TOOL_PREFIXES: [&str; 2] = ["test_", "deploy_"];

/// `EMPORIUM_CONFIG` names the settings file (the command line reads it); it is not a setting.
const FILE_VARIABLE: &str = "config";

/// A configuration value could not be read; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// Loads `T` from its defaults, the optional TOML file and the environment, in that order.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: Default + Serialize + DeserializeOwned,
{
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
    // `EMPORIUM_TEST_...` and `EMPORIUM_DEPLOY_...` variables configure tools, not the product.
    figment = figment.merge(
        Env::prefixed(ENV_PREFIX)
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                !TOOL_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) && key != FILE_VARIABLE
            })
            .split("__"),
    );
    figment
        .extract()
        .map_err(|error| ConfigError(describe(error)))
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
            if key.is_empty() {
                format!("{}{source}", error.kind)
            } else {
                format!("key `{key}`: {}{source}", error.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
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
