//! The only code that touches the inference database: the registry's versions and each
//! model's traffic; the assistant's conversations (`conversations`).

use platform::db::{self, Database, Row};

mod conversations;

use crate::domain::{Invalid, Move, Stage, Traffic, Version};
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub(crate) struct Store {
    database: Database,
}

impl Store {
    pub(crate) async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database =
            Database::open(database_url, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
        Ok(Store { database })
    }

    /// Adds `version` of a model of `kind` unless the model has that number already; answers
    /// whether it was added.
    pub(crate) async fn register(&self, kind: &str, version: &Version) -> anyhow::Result<bool> {
        let evaluation = serde_json::to_string(&version.evaluation)?;
        let mut transaction = self.database.begin_write().await?;
        let done = db::query("INSERT INTO model_versions (model, number, kind, artefact, sha256, source, licence, evaluation, stage, created_at_ms, promoted_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (model, number) DO NOTHING")
            .bind(version.model.as_str())
            .bind(version.number)
            .bind(kind)
            .bind(version.artefact.as_str())
            .bind(version.sha256.as_str())
            .bind(version.source.as_str())
            .bind(version.licence.as_str())
            .bind(evaluation)
            .bind(version.stage.as_str())
            .bind(version.created_at_ms)
            .bind(version.promoted_at_ms)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every version of every model, by model and number, with each model's kind.
    pub(crate) async fn versions(&self) -> anyhow::Result<Vec<(String, Version)>> {
        let rows = db::query("SELECT kind, model, number, artefact, sha256, source, licence, evaluation, stage, created_at_ms, promoted_at_ms FROM model_versions ORDER BY model, number")
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get::<String, _>("kind")?, version_of(row)?)))
            .collect()
    }

    /// Every model's traffic that is set, by model.
    pub(crate) async fn traffic(&self) -> anyhow::Result<Vec<(String, Traffic)>> {
        let rows = db::query("SELECT model, canary_version, canary_basis_points, shadow_version FROM model_traffic ORDER BY model")
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("model")?, traffic_of(row)?)))
            .collect()
    }

    /// Changes `model`'s registry in one transaction. `decide` sees the model's versions and
    /// traffic as committed now: its traffic row is locked first, so another change of the
    /// model (another replica's, say) waits and then sees this one.
    pub(crate) async fn change(
        &self,
        model: &str,
        now_ms: i64,
        decide: impl FnOnce(&[Version], Traffic) -> Result<Change, Invalid>,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        db::query("INSERT INTO model_traffic (model, canary_version, canary_basis_points, shadow_version, updated_at_ms) VALUES ($1, 0, 0, 0, $2) ON CONFLICT (model) DO UPDATE SET updated_at_ms = excluded.updated_at_ms")
            .bind(model)
            .bind(now_ms)
            .execute(&mut *transaction)
            .await?;
        let rows = db::query("SELECT model, number, artefact, sha256, source, licence, evaluation, stage, created_at_ms, promoted_at_ms FROM model_versions WHERE model = $1 ORDER BY number")
            .bind(model)
            .fetch_all(&mut *transaction)
            .await?;
        if rows.is_empty() {
            return Err(Error::UnknownModel(model.to_owned()));
        }
        let versions = rows
            .iter()
            .map(version_of)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let row = db::query("SELECT canary_version, canary_basis_points, shadow_version FROM model_traffic WHERE model = $1")
            .bind(model)
            .fetch_one(&mut *transaction)
            .await?;
        match decide(&versions, traffic_of(&row)?)? {
            Change::Moves { moves, restore } => {
                apply(&mut transaction, model, &moves, now_ms, restore).await?
            }
            Change::Traffic(traffic) => {
                let (canary, basis_points) = traffic.canary.unwrap_or((0, 0));
                db::query("UPDATE model_traffic SET canary_version = $1, canary_basis_points = $2, shadow_version = $3 WHERE model = $4")
                    .bind(canary)
                    .bind(basis_points)
                    .bind(traffic.shadow.unwrap_or(0))
                    .bind(model)
                    .execute(&mut *transaction)
                    .await?;
            }
        }
        transaction.commit().await?;
        Ok(())
    }
}

/// What a change of a model writes.
#[derive(Debug)]
pub(crate) enum Change {
    /// Versions to other stages; with `restore`, a roll back.
    Moves {
        moves: Vec<Move>,
        restore: bool,
    },
    Traffic(Traffic),
}

/// Makes `moves`: a version made production is stamped, unless `restore` (a roll back): then
/// the restored version keeps its time and the one rolled back from loses its own, so that a
/// later roll back never brings it back. A version that stops being a candidate leaves the
/// canary and the shadow.
async fn apply(
    transaction: &mut db::Transaction,
    model: &str,
    moves: &[Move],
    now_ms: i64,
    restore: bool,
) -> Result<(), db::Error> {
    // Archive first: the index allows one production version a model at any moment.
    let mut ordered = moves.to_vec();
    ordered.sort_by_key(|(_, stage)| *stage == Stage::Production);
    for (number, stage) in ordered {
        let query = match (stage, restore) {
            (Stage::Production, false) => db::query("UPDATE model_versions SET stage = $1, promoted_at_ms = $2 WHERE model = $3 AND number = $4")
                .bind(stage.as_str())
                .bind(now_ms),
            (Stage::Archived, true) => db::query("UPDATE model_versions SET stage = $1, promoted_at_ms = NULL WHERE model = $2 AND number = $3")
                .bind(stage.as_str()),
            _ => db::query("UPDATE model_versions SET stage = $1 WHERE model = $2 AND number = $3")
                .bind(stage.as_str()),
        };
        query
            .bind(model)
            .bind(number)
            .execute(&mut **transaction)
            .await?;
        db::query("UPDATE model_traffic SET canary_version = 0, canary_basis_points = 0 WHERE model = $1 AND canary_version = $2")
            .bind(model)
            .bind(number)
            .execute(&mut **transaction)
            .await?;
        db::query(
            "UPDATE model_traffic SET shadow_version = 0 WHERE model = $1 AND shadow_version = $2",
        )
        .bind(model)
        .bind(number)
        .execute(&mut **transaction)
        .await?;
    }
    Ok(())
}

fn traffic_of(row: &Row) -> Result<Traffic, db::Error> {
    let canary: u32 = row.try_get("canary_version")?;
    let shadow: u32 = row.try_get("shadow_version")?;
    let basis_points: u32 = row.try_get("canary_basis_points")?;
    Ok(Traffic {
        canary: (canary > 0).then_some((canary, basis_points)),
        shadow: (shadow > 0).then_some(shadow),
    })
}

fn version_of(row: &Row) -> anyhow::Result<Version> {
    let stage: String = row.try_get("stage")?;
    let evaluation: String = row.try_get("evaluation")?;
    Ok(Version {
        model: row.try_get("model")?,
        number: row.try_get("number")?,
        artefact: row.try_get("artefact")?,
        sha256: row.try_get("sha256")?,
        source: row.try_get("source")?,
        licence: row.try_get("licence")?,
        evaluation: serde_json::from_str(&evaluation)
            .map_err(|error| anyhow::anyhow!("read a version's evaluation: {error}"))?,
        stage: Stage::parse(&stage)
            .ok_or_else(|| anyhow::anyhow!("a version's stage is `{stage}`"))?,
        created_at_ms: row.try_get("created_at_ms")?,
        promoted_at_ms: row.try_get("promoted_at_ms")?,
    })
}

/// A drift reference as kept: `(features' shares by name, the centroid)`.
pub(crate) type Reference = (std::collections::BTreeMap<String, Vec<f64>>, Vec<f64>);

impl Store {
    /// The reference of `model`'s `version`, when one was taken.
    pub(crate) async fn drift_reference(
        &self,
        model: &str,
        version: u32,
    ) -> anyhow::Result<Option<Reference>> {
        let row =
            db::query("SELECT reference FROM drift_references WHERE model = $1 AND version = $2")
                .bind(model)
                .bind(version)
                .fetch_optional(self.database.pool())
                .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get("reference")?;
        let reference = serde_json::from_str(&text)
            .map_err(|error| anyhow::anyhow!("read a drift reference: {error}"))?;
        Ok(Some(reference))
    }

    /// Keeps the first reference taken of a version; a later one (another replica's) is dropped.
    pub(crate) async fn keep_drift_reference(
        &self,
        model: &str,
        version: u32,
        reference: &Reference,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut transaction = self.database.begin_write().await?;
        db::query("INSERT INTO drift_references (model, version, reference, taken_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (model, version) DO NOTHING")
            .bind(model)
            .bind(version)
            .bind(serde_json::to_string(reference)?)
            .bind(now_ms)
            .execute(&mut *transaction)
            .await?;
        Ok(transaction.commit().await?)
    }
}
