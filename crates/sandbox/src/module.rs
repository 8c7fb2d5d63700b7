//! A module compiled for one version of a function, and the checks a module passes before it
//! is: valid WebAssembly, imports only the host calls it was granted, exports what the runtime
//! calls, and asks for no more memory than its limit.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::{ExternType, InstancePre, Module, ValType};

use crate::host::{Grants, HOST_CALLS, State};
use crate::limits::{Limits, PAGE};

/// A function's version compiled and linked, ready to be instantiated for each invocation.
/// Holding one is all an idle function costs.
#[derive(Clone)]
pub struct Compiled {
    pub(crate) name: Arc<str>,
    pub(crate) digest: Arc<str>,
    pub(crate) limits: Limits,
    pub(crate) grants: Arc<Grants>,
    pub(crate) instance: InstancePre<State>,
    pub(crate) running: Arc<Semaphore>,
    /// Whether an invocation has run since it was compiled: the first one is "cold".
    pub(crate) warmed: Arc<AtomicBool>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Compiled")
            .field("name", &self.name)
            .field("digest", &self.digest)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Compiled {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module's sha256, in hex: the same bytes always make the same digest.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn grants(&self) -> &Grants {
        &self.grants
    }
}

/// Why a module was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("the module is not valid WebAssembly: {0}")]
    Invalid(String),
    #[error(
        "the module imports `{module}.{name}`, which is not a host call (allowed: env.log, env.kv_get, env.kv_set, env.emit, env.abort)"
    )]
    UnknownImport { module: String, name: String },
    #[error("the module imports `env.{0}`, which this function was not granted")]
    NotGranted(String),
    #[error(
        "the module imports `env.{name}` with the wrong signature: {found}, expected {expected}"
    )]
    ImportSignature {
        name: String,
        found: String,
        expected: String,
    },
    #[error("the module does not export `{name}` as {expected}")]
    MissingExport {
        name: &'static str,
        expected: &'static str,
    },
    #[error("the module's memory starts at {minimum} bytes, above its limit of {limit} bytes")]
    MemoryAboveLimit { minimum: u64, limit: u64 },
    #[error("{0}")]
    Limits(String),
}

/// The sha256 of `bytes` in hex.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub(crate) fn check_imports(module: &Module, grants: &Grants) -> Result<(), Refused> {
    for import in module.imports() {
        let (module_name, name) = (import.module(), import.name());
        let known = HOST_CALLS.iter().find(|(call, ..)| *call == name);
        let Some((_, parameters, returns)) = known.filter(|_| module_name == "env") else {
            return Err(Refused::UnknownImport {
                module: module_name.to_owned(),
                name: name.to_owned(),
            });
        };
        if !grants.allows(name) {
            return Err(Refused::NotGranted(name.to_owned()));
        }
        let expected = signature(*parameters, usize::from(*returns));
        let found = match import.ty() {
            ExternType::Func(function) => describe(&function),
            other => format!("{other:?}"),
        };
        if found != expected {
            return Err(Refused::ImportSignature {
                name: name.to_owned(),
                found,
                expected,
            });
        }
    }
    Ok(())
}

pub(crate) fn check_exports(module: &Module, limits: &Limits) -> Result<(), Refused> {
    let functions = [
        ("alloc", "func (i32) -> (i32)", signature(1, 1)),
        (
            "handle",
            "func (i32, i32) -> (i64)",
            "(i32, i32) -> (i64)".to_owned(),
        ),
    ];
    for (name, expected, wanted) in functions {
        let found = match module.get_export(name) {
            Some(ExternType::Func(function)) => describe(&function),
            _ => String::new(),
        };
        if found != wanted {
            return Err(Refused::MissingExport { name, expected });
        }
    }
    let Some(ExternType::Memory(memory)) = module.get_export("memory") else {
        return Err(Refused::MissingExport {
            name: "memory",
            expected: "a memory",
        });
    };
    let minimum = memory.minimum().saturating_mul(PAGE);
    if minimum > limits.memory_bytes {
        return Err(Refused::MemoryAboveLimit {
            minimum,
            limit: limits.memory_bytes,
        });
    }
    Ok(())
}

/// `(i32, ...) -> (i32)`, as `describe` writes a function type.
fn signature(parameters: usize, results: usize) -> String {
    let list = |n: usize| vec!["i32"; n].join(", ");
    format!("({}) -> ({})", list(parameters), list(results))
}

fn describe(function: &wasmtime::FuncType) -> String {
    let name = |value: ValType| match value {
        ValType::I32 => "i32".to_owned(),
        ValType::I64 => "i64".to_owned(),
        ValType::F32 => "f32".to_owned(),
        ValType::F64 => "f64".to_owned(),
        other => format!("{other}"),
    };
    let parameters: Vec<String> = function.params().map(name).collect();
    let results: Vec<String> = function.results().map(name).collect();
    format!("({}) -> ({})", parameters.join(", "), results.join(", "))
}
