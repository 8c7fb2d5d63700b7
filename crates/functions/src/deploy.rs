//! Deploying: new versions checked by compiling them, traffic splits, rollbacks and triggers;
//! and what the processes that run functions read: the deployments, modules, key-value spaces.

use sandbox::{Grants, Limits};

use crate::domain::{self, Share, Triggers, Usage};
use crate::key_value::{MAX_KEY, MAX_VALUE};
use crate::store::{InvocationRow, NewVersion, StoredFunction};
use crate::{Error, Functions};

/// A version to deploy.
#[derive(Clone, Debug)]
pub struct Deploy {
    pub name: String,
    pub module: Vec<u8>,
    pub limits: Limits,
    pub grants: Grants,
    pub note: String,
    /// Leave the traffic where it is.
    pub keep_traffic: bool,
}

/// A function with what its kept invocations add up to.
#[derive(Clone, Debug)]
pub struct FunctionView {
    pub(crate) function: StoredFunction,
    pub usage: Usage,
}

impl Functions {
    /// Checks `deploy` (its name, grants and limits, and its module by compiling it) and stores
    /// it as the function's next version.
    #[tracing::instrument(skip_all, fields(function = %deploy.name))]
    pub async fn deploy(&self, deploy: Deploy) -> Result<FunctionView, Error> {
        domain::check_name(&deploy.name)?;
        domain::check_emits(&deploy.grants.emit)?;
        let compiled = self
            .runner
            .compile(
                &deploy.name,
                deploy.module.clone(),
                deploy.limits,
                deploy.grants.clone(),
            )
            .await?;
        let new = NewVersion {
            name: &deploy.name,
            digest: compiled.digest(),
            module: &deploy.module,
            limits: compiled.limits(),
            grants: &deploy.grants,
            note: &deploy.note,
            keep_traffic: deploy.keep_traffic,
        };
        let version = self.store.add_version(new, platform::unix_now()).await?;
        tracing::info!(function = %deploy.name, version, digest = compiled.digest(), "deployed a function");
        self.changed().await?;
        self.function(&deploy.name).await
    }

    pub async fn function(&self, name: &str) -> Result<FunctionView, Error> {
        let function = self.stored(name).await?;
        let usage = domain::usage(&self.store.measured(name).await?);
        Ok(FunctionView { function, usage })
    }

    pub async fn functions(&self) -> Result<Vec<FunctionView>, Error> {
        let mut views = Vec::new();
        for function in self.store.functions().await? {
            let usage = domain::usage(&self.store.measured(&function.name).await?);
            views.push(FunctionView { function, usage });
        }
        Ok(views)
    }

    #[tracing::instrument(skip_all, fields(function = %name))]
    pub async fn set_traffic(&self, name: &str, shares: &[Share]) -> Result<FunctionView, Error> {
        let function = self.stored(name).await?;
        let versions: Vec<u32> = function
            .versions
            .iter()
            .map(|version| version.version)
            .collect();
        let shares = domain::check_traffic(shares, &versions)?;
        self.store
            .set_traffic(name, &shares, platform::unix_now())
            .await?;
        tracing::info!(function = %name, traffic = ?shares, "split a function's traffic");
        self.changed().await?;
        self.function(name).await
    }

    /// All traffic to `version`, or (0) to the version before the one serving the most.
    #[tracing::instrument(skip_all, fields(function = %name))]
    pub async fn rollback(&self, name: &str, version: u32) -> Result<FunctionView, Error> {
        let function = self.stored(name).await?;
        let versions: Vec<u32> = function
            .versions
            .iter()
            .map(|version| version.version)
            .collect();
        let target = domain::rollback_target(&function.traffic, &versions, version)?;
        self.set_traffic(
            name,
            &[Share {
                version: target,
                percent: 100,
            }],
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(function = %name))]
    pub async fn set_triggers(
        &self,
        name: &str,
        triggers: Triggers,
    ) -> Result<FunctionView, Error> {
        self.stored(name).await?;
        let triggers = domain::check_triggers(triggers)?;
        self.store
            .set_triggers(name, &triggers, platform::unix_now())
            .await?;
        self.changed().await?;
        self.function(name).await
    }

    /// The revision and every function with only the versions that take traffic.
    pub async fn deployments(&self) -> Result<(u64, Vec<FunctionView>), Error> {
        let revision = self.store.revision().await?;
        let mut functions = self.store.functions().await?;
        for function in &mut functions {
            let serving: Vec<u32> = function.traffic.iter().map(|share| share.version).collect();
            function
                .versions
                .retain(|version| serving.contains(&version.version));
        }
        let views = functions.into_iter().map(|function| FunctionView {
            function,
            usage: Usage::default(),
        });
        Ok((revision, views.collect()))
    }

    /// Waits until the deployments change from `seen`; answers the new revision.
    pub async fn next_revision(&self, seen: u64) -> u64 {
        let mut revisions = self.revision.subscribe();
        let changed = revisions.wait_for(|revision| *revision > seen).await;
        changed.map_or(seen, |revision| *revision)
    }

    pub async fn module(&self, digest: &str) -> Result<Vec<u8>, Error> {
        self.store
            .module(digest)
            .await?
            .ok_or_else(|| Error::UnknownModule(digest.to_owned()))
    }

    pub async fn kv_get(&self, function: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
        check_key(key)?;
        self.key_value
            .get(function, key)
            .await
            .map_err(Error::KeyValue)
    }

    pub async fn kv_set(&self, function: &str, key: &str, value: &[u8]) -> Result<(), Error> {
        check_key(key)?;
        if value.len() > MAX_VALUE {
            let reason = format!("{} bytes; at most {MAX_VALUE}", value.len());
            return Err(domain::Invalid {
                field: "value",
                reason,
            }
            .into());
        }
        self.key_value
            .set(function, key, value.to_vec())
            .await
            .map_err(Error::KeyValue)
    }

    /// Keeps invocations reported by a process that runs functions, and publishes what they
    /// emitted.
    pub(crate) async fn record(
        &self,
        invocations: Vec<proto::functions::Invocation>,
    ) -> Result<(), Error> {
        if crate::reports::record(&self.store, invocations).await? {
            self.changed().await?;
        }
        Ok(())
    }

    pub(crate) async fn invocations(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<InvocationRow>, Error> {
        self.stored(name).await?;
        Ok(self.store.invocations(name, limit).await?)
    }

    async fn stored(&self, name: &str) -> Result<StoredFunction, Error> {
        self.store
            .function(name)
            .await?
            .ok_or_else(|| Error::UnknownFunction(name.to_owned()))
    }
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY {
        let reason = format!("{} bytes; a key is 1 to {MAX_KEY}", key.len());
        return Err(domain::Invalid {
            field: "key",
            reason,
        }
        .into());
    }
    Ok(())
}
