//! The only code that touches the functions database: functions, their versions and modules,
//! the deployment revision, the key-value spaces and the invocations kept.

use platform::db::{self, Database, Row};
use sandbox::{Grants, Limits};

use crate::domain::{Share, Triggers};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How many invocations are kept per function.
const KEPT_INVOCATIONS: i64 = 2_000;

#[derive(Clone, Debug)]
pub(crate) struct Store {
    database: Database,
}

/// A function as stored: its traffic, triggers and versions, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredFunction {
    pub name: String,
    pub traffic: Vec<Share>,
    pub triggers: Triggers,
    pub versions: Vec<StoredVersion>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StoredVersion {
    pub version: u32,
    pub digest: String,
    pub limits: Limits,
    pub grants: Grants,
    pub note: String,
    pub size_bytes: i64,
    pub created_at: i64,
}

/// A new version to store.
#[derive(Debug)]
pub(crate) struct NewVersion<'a> {
    pub name: &'a str,
    pub digest: &'a str,
    pub module: &'a [u8],
    pub limits: Limits,
    pub grants: &'a Grants,
    pub note: &'a str,
    pub keep_traffic: bool,
}

/// One invocation as kept.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InvocationRow {
    pub function: String,
    pub version: u32,
    pub triggered_by: String,
    pub at_ms: i64,
    pub duration_ms: f64,
    pub fuel: i64,
    pub peak_memory_bytes: i64,
    pub memory_limit_bytes: i64,
    pub cold: bool,
    pub fault_kind: String,
    pub fault: String,
    /// JSON: `[{"level", "message"}]`.
    pub logs: String,
    pub trace_id: String,
    pub replica: String,
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> anyhow::Result<T> {
    serde_json::from_str(text).map_err(|error| anyhow::anyhow!("read the stored {what}: {error}"))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Our own plain structs always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

impl Store {
    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    pub(crate) async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database =
            Database::open(database_url, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
        Ok(Store { database })
    }

    /// Stores a new version (and the function, on its first); answers its number.
    pub(crate) async fn add_version(&self, new: NewVersion<'_>, now: i64) -> anyhow::Result<u32> {
        let mut transaction = self.database.begin_write().await?;
        db::query("INSERT INTO functions (name, traffic, triggers, created_at, updated_at) VALUES ($1, '[]', '{}', $2, $2) ON CONFLICT (name) DO NOTHING")
            .bind(new.name)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        let row =
            db::query("SELECT COALESCE(MAX(version), 0) FROM function_versions WHERE name = $1")
                .bind(new.name)
                .fetch_one(&mut *transaction)
                .await?;
        let version = u32::try_from(row.try_get::<i64, _>(0)? + 1)?;
        db::query("INSERT INTO modules (digest, module, created_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING")
            .bind(new.digest)
            .bind(new.module)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        db::query("INSERT INTO function_versions (name, version, digest, limits, grants, note, size_bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(new.name)
            .bind(version)
            .bind(new.digest)
            .bind(to_json(&new.limits))
            .bind(to_json(new.grants))
            .bind(new.note)
            .bind(new.module.len() as i64)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        if !new.keep_traffic {
            let traffic = to_json(&[Share {
                version,
                percent: 100,
            }]);
            set_column(&mut transaction, "traffic", new.name, &traffic, now).await?;
        }
        bump_revision(&mut transaction).await?;
        transaction.commit().await?;
        Ok(version)
    }

    /// Sets a function's traffic split (checked by the caller against its versions).
    pub(crate) async fn set_traffic(
        &self,
        name: &str,
        traffic: &[Share],
        now: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        set_column(&mut transaction, "traffic", name, &to_json(&traffic), now).await?;
        bump_revision(&mut transaction).await?;
        Ok(transaction.commit().await?)
    }

    pub(crate) async fn set_triggers(
        &self,
        name: &str,
        triggers: &Triggers,
        now: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        set_column(&mut transaction, "triggers", name, &to_json(triggers), now).await?;
        bump_revision(&mut transaction).await?;
        Ok(transaction.commit().await?)
    }

    /// The deployments' revision: it grows with every change.
    pub(crate) async fn revision(&self) -> anyhow::Result<u64> {
        let row = db::query("SELECT revision FROM deployment_revision WHERE id = 1")
            .fetch_one(self.database.pool())
            .await?;
        Ok(u64::try_from(row.try_get::<i64, _>(0)?)?)
    }

    pub(crate) async fn function(&self, name: &str) -> anyhow::Result<Option<StoredFunction>> {
        let row = db::query("SELECT name, traffic, triggers FROM functions WHERE name = $1")
            .bind(name)
            .fetch_optional(self.database.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut function = function_of(&row)?;
        function.versions = self
            .versions(Some(name))
            .await?
            .into_iter()
            .map(|(_, version)| version)
            .collect();
        Ok(Some(function))
    }

    /// Every function, by name.
    pub(crate) async fn functions(&self) -> anyhow::Result<Vec<StoredFunction>> {
        let rows = db::query("SELECT name, traffic, triggers FROM functions ORDER BY name")
            .fetch_all(self.database.pool())
            .await?;
        let mut functions = rows
            .iter()
            .map(function_of)
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (name, version) in self.versions(None).await? {
            if let Some(function) = functions.iter_mut().find(|function| function.name == name) {
                function.versions.push(version);
            }
        }
        Ok(functions)
    }

    /// The versions of `name`, or of every function, oldest first.
    async fn versions(&self, name: Option<&str>) -> anyhow::Result<Vec<(String, StoredVersion)>> {
        let sql = "SELECT name, version, digest, limits, grants, note, size_bytes, created_at FROM function_versions WHERE ($1 = '' OR name = $1) ORDER BY name, version";
        let rows = db::query(sql)
            .bind(name.unwrap_or_default())
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let version = StoredVersion {
                    version: row.try_get(1)?,
                    digest: row.try_get(2)?,
                    limits: json(&row.try_get::<String, _>(3)?, "limits")?,
                    grants: json(&row.try_get::<String, _>(4)?, "grants")?,
                    note: row.try_get(5)?,
                    size_bytes: row.try_get(6)?,
                    created_at: row.try_get(7)?,
                };
                Ok((row.try_get(0)?, version))
            })
            .collect()
    }

    pub(crate) async fn module(&self, digest: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let row = db::query("SELECT module FROM modules WHERE digest = $1")
            .bind(digest)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    pub(crate) async fn kv_get(
        &self,
        function: &str,
        key: &str,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        let row =
            db::query("SELECT item_value FROM function_kv WHERE function = $1 AND item_key = $2")
                .bind(function)
                .bind(key)
                .fetch_optional(self.database.pool())
                .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    pub(crate) async fn kv_set(
        &self,
        function: &str,
        key: &str,
        value: &[u8],
        now: i64,
    ) -> anyhow::Result<()> {
        db::query("INSERT INTO function_kv (function, item_key, item_value, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (function, item_key) DO UPDATE SET item_value = excluded.item_value, updated_at = excluded.updated_at")
            .bind(function)
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }
}

/// A function's row, without its versions.
fn function_of(row: &Row) -> anyhow::Result<StoredFunction> {
    Ok(StoredFunction {
        name: row.try_get(0)?,
        traffic: json(&row.try_get::<String, _>(1)?, "traffic")?,
        triggers: json(&row.try_get::<String, _>(2)?, "triggers")?,
        versions: Vec::new(),
    })
}

/// Sets `column` (a constant of ours: `traffic` or `triggers`) of function `name`.
async fn set_column(
    transaction: &mut db::Transaction,
    column: &'static str,
    name: &str,
    value: &str,
    now: i64,
) -> anyhow::Result<()> {
    // nosemgrep: emporium-sql-from-format -- the SQL text takes only a column name of ours, `traffic` or `triggers`.
    let sql = format!("UPDATE functions SET {column} = $1, updated_at = $2 WHERE name = $3");
    db::query(sql)
        .bind(value)
        .bind(now)
        .bind(name)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

impl Store {
    /// Grows the deployment revision, for a change that is not a deployment's (a webhook
    /// endpoint's) but that replicas read again with the deployments.
    pub(crate) async fn bump_revision(&self) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        bump_revision(&mut transaction).await?;
        Ok(transaction.commit().await?)
    }
}

async fn bump_revision(transaction: &mut db::Transaction) -> anyhow::Result<()> {
    db::query("UPDATE deployment_revision SET revision = revision + 1 WHERE id = 1")
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

mod invocations;
mod jobs;
mod lease;
mod webhooks;

pub(crate) use self::jobs::{Job, Retry};
pub(crate) use self::webhooks::{DeliveryRow, EndpointRow};
