//! The deployments a runner serves: each function's traffic, triggers and compiled versions,
//! swapped whole when the deployments change.

use std::collections::HashMap;
use std::sync::Arc;

use proto::functions as pb;

use crate::Runner;

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn a_split_sends_each_roll_to_its_version_in_proportion() {
        let split = [(1, 90), (2, 10)];
        let to_two = (0..1000)
            .filter(|roll| pick(&split, *roll) == Some(2))
            .count();
        assert_eq!(to_two, 100);
        assert_eq!((pick(&split, 89), pick(&split, 90)), (Some(1), Some(2)));
        assert_eq!(pick(&[], 5), None);
    }
}

/// What makes a compiled version: the same module with other limits or grants is compiled
/// again.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CompileKey {
    digest: String,
    limits: sandbox::Limits,
    grants: sandbox::Grants,
}

/// The deployments at one revision.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) revision: u64,
    pub(crate) functions: HashMap<String, Arc<Deployed>>,
    /// Every function with an edge route, in name order: what each request looks through,
    /// made once per change. Empty when none is deployed at the edge.
    at_the_edge: Vec<Arc<Deployed>>,
}

impl Table {
    pub(crate) fn new(revision: u64, functions: HashMap<String, Arc<Deployed>>) -> Table {
        let mut at_the_edge: Vec<Arc<Deployed>> = functions
            .values()
            .filter(|function| !function.triggers.edge.is_empty())
            .cloned()
            .collect();
        at_the_edge.sort_by(|a, b| a.name.cmp(&b.name));
        Table {
            revision,
            functions,
            at_the_edge,
        }
    }

    /// The functions with a `phase` route whose prefix `path` starts with, in name order.
    pub(crate) fn edge(&self, phase: &str, path: &str) -> Vec<Arc<Deployed>> {
        self.at_the_edge
            .iter()
            .filter(|function| {
                function
                    .triggers
                    .edge
                    .iter()
                    .any(|route| route.phase == phase && path.starts_with(&route.path_prefix))
            })
            .cloned()
            .collect()
    }
}

/// A deployed function: its serving versions, compiled, their shares, and its triggers.
#[derive(Debug)]
pub struct Deployed {
    name: String,
    /// `(version, percent)`, summing to 100.
    shares: Vec<(u32, u32)>,
    versions: HashMap<u32, sandbox::Compiled>,
    triggers: pb::Triggers,
}

impl Deployed {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it is served at `/fn/<name>`.
    pub fn serves_http(&self) -> bool {
        self.triggers.http
    }

    /// The version for `roll`, and its compiled module.
    pub(crate) fn pick(&self, roll: u32) -> (u32, &sandbox::Compiled) {
        let version = pick(&self.shares, roll).unwrap_or_default();
        match self.versions.get(&version) {
            Some(compiled) => (version, compiled),
            // `apply` keeps a function only with every serving version compiled.
            None => {
                let (version, compiled) = self
                    .versions
                    .iter()
                    .next()
                    .expect("a deployed function has a version");
                (*version, compiled)
            }
        }
    }
}

/// The version a call goes to, for `roll` in 0..100, from `(version, percent)` shares.
pub fn pick(shares: &[(u32, u32)], roll: u32) -> Option<u32> {
    let mut below = 0;
    for &(version, percent) in shares {
        below += percent;
        if roll % 100 < below {
            return Some(version);
        }
    }
    shares.last().map(|&(version, _)| version)
}

impl Runner {
    /// Serves `deployments` from now on: compiles the versions not compiled yet (fetching their
    /// modules) and drops those no longer serving. A function whose module cannot be had or
    /// compiled keeps what it served before, and the error is logged.
    pub async fn apply(&self, deployments: pb::Deployments) {
        let previous = self.table();
        let mut functions = HashMap::new();
        for function in deployments.functions {
            match self.deploy(&function).await {
                Ok(deployed) => {
                    functions.insert(function.name.clone(), Arc::new(deployed));
                }
                Err(error) => {
                    tracing::error!(function = %function.name, error = format!("{error:#}"), "a function's new deployment could not be served; it keeps the one before");
                    if let Some(kept) = previous.functions.get(&function.name) {
                        functions.insert(function.name.clone(), kept.clone());
                    }
                }
            }
        }
        let serving: Vec<CompileKey> = functions
            .values()
            .flat_map(|function| function.versions.values().map(key_of))
            .collect();
        self.inner
            .compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|key, _| serving.contains(key));
        let table = Table::new(deployments.revision, functions);
        *self
            .inner
            .table
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(table);
    }

    async fn deploy(&self, function: &pb::Function) -> anyhow::Result<Deployed> {
        let mut versions = HashMap::new();
        for share in &function.traffic {
            let spec = function
                .versions
                .iter()
                .find(|version| version.version == share.version)
                .ok_or_else(|| {
                    anyhow::anyhow!("version {} takes traffic but was not sent", share.version)
                })?;
            versions.insert(share.version, self.compiled(&function.name, spec).await?);
        }
        anyhow::ensure!(!versions.is_empty(), "no version takes traffic");
        Ok(Deployed {
            name: function.name.clone(),
            shares: function
                .traffic
                .iter()
                .map(|share| (share.version, share.percent))
                .collect(),
            versions,
            triggers: function.triggers.clone().unwrap_or_default(),
        })
    }

    /// `spec` compiled: from the cache, or fetched and compiled now.
    async fn compiled(&self, name: &str, spec: &pb::Version) -> anyhow::Result<sandbox::Compiled> {
        let limits = spec.limits.map(limits_of).unwrap_or_default();
        let grants = spec
            .grants
            .clone()
            .map(|grants| sandbox::Grants {
                kv: grants.kv,
                emit: grants.emit,
            })
            .unwrap_or_default();
        let key = CompileKey {
            digest: spec.digest.clone(),
            limits,
            grants: grants.clone(),
        };
        let cached = self
            .inner
            .compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key)
            .cloned();
        if let Some(compiled) = cached {
            return Ok(compiled);
        }
        let module = self.inner.source.module(&spec.digest).await?;
        anyhow::ensure!(
            sandbox::digest(&module) == spec.digest,
            "module {} arrived with other bytes",
            spec.digest
        );
        let compiled = self
            .inner
            .runtime
            .compile(name, module, limits, grants)
            .await?;
        self.inner
            .compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key, compiled.clone());
        Ok(compiled)
    }
}

impl Runner {
    /// Checks and compiles `module` as a version of `name` and keeps it, so the version is not
    /// compiled again when it is deployed here: how a deploy is checked.
    pub async fn compile(
        &self,
        name: &str,
        module: Vec<u8>,
        limits: sandbox::Limits,
        grants: sandbox::Grants,
    ) -> Result<sandbox::Compiled, sandbox::Refused> {
        let compiled = self
            .inner
            .runtime
            .compile(name, module, limits, grants)
            .await?;
        self.inner
            .compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key_of(&compiled), compiled.clone());
        Ok(compiled)
    }
}

fn key_of(compiled: &sandbox::Compiled) -> CompileKey {
    CompileKey {
        digest: compiled.digest().to_owned(),
        limits: compiled.limits(),
        grants: compiled.grants().clone(),
    }
}

fn limits_of(limits: pb::Limits) -> sandbox::Limits {
    sandbox::Limits {
        memory_bytes: limits.memory_bytes,
        fuel: limits.fuel,
        cpu_ms: limits.cpu_ms,
        wall_ms: limits.wall_ms,
        concurrency: limits.concurrency,
    }
}
