//! Databases: one handle for SQLite and PostgreSQL, our own query API over both, and
//! migrations applied at start.
//!
//! Each service owns its database and keeps one migration folder per engine
//! (`migrations/sqlite`, `migrations/postgres`). Queries use `$1..$N` placeholders, which both
//! engines accept; where the engines differ (full-text search), a store asks `engine()`.
//!
//! On SQLite a statement runs on the task that awaits it, on the calling thread: a statement on
//! cached pages takes microseconds, less than handing it to a worker thread and back, which is
//! what a driver with a thread per connection does for every statement and every row. A
//! checkout runs about ninety statements, so those hops were a third of its CPU. A commit does
//! not wait for an fsync of its own on a runtime thread: commits are made durable in groups by
//! a thread per database file, and checkpoints, which write the database file itself, run on a
//! thread of their own (see `sqlite`). SQLite still syncs on the writer's thread when it
//! restarts the log after a checkpoint, and in the backstop checkpoint of a log that has grown
//! too far.

use std::sync::Arc;

use anyhow::Context as _;
use sqlx::migrate::Migrator;

mod group;
mod memory;
mod postgres;
mod query;
mod sqlite;

pub use group::{GroupCommit, Write};
pub use query::{
    ColumnIndex, Connection, Decode, Done, Encode, Error, Kind, Pool, Query, Row, Target,
    Transaction, Value, is_unique_violation, query,
};

/// The database engine behind a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A service's database.
#[derive(Clone, Debug)]
pub struct Database {
    reads: Pool,
    /// Where writes go. On SQLite, one connection: the file has one writer at a time anyway,
    /// and waiting in its queue is fair and wakes at once, where writers that race for the
    /// file's lock sleep in SQLite's busy handler.
    writes: Pool,
    engine: Engine,
    /// Notified by each commit of a transaction that appended to the outbox: the relay's wake-up.
    outbox_committed: Arc<tokio::sync::Notify>,
}

impl Database {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://...`); a SQLite file and its
    /// folder are created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            anyhow::bail!("database url `{url}` is neither sqlite: nor postgres:");
        };
        let (reads, writes) = match engine {
            Engine::Sqlite => {
                let path = prepare_sqlite_url(url)?;
                let (reads, writes) = sqlite::open(&path)
                    .with_context(|| format!("open the SQLite database {path}"))?;
                (Pool::sqlite_readers(reads), Pool::sqlite_writer(writes))
            }
            Engine::Postgres => {
                let pool = postgres::connect(url)
                    .await
                    .with_context(|| format!("connect to {}", redact(url)))?;
                (Pool::postgres(pool.clone()), Pool::postgres(pool))
            }
        };
        Ok(Database {
            reads,
            writes,
            engine,
            outbox_committed: Arc::default(),
        })
    }

    /// Connects to `url` and applies the migrations for its engine: how every store opens.
    pub async fn open(
        url: &str,
        sqlite: &Migrator,
        postgres: &Migrator,
    ) -> anyhow::Result<Database> {
        let database = Database::connect(url).await?;
        database.migrate(sqlite, postgres).await?;
        Ok(database)
    }

    /// Applies the migrations for this engine that have not run yet.
    pub async fn migrate(&self, sqlite: &Migrator, postgres: &Migrator) -> anyhow::Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        };
        self.writes
            .migrate(migrator)
            .await
            .context("apply migrations")
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that read first fails with "database is
    /// locked" when another writer commits meanwhile, where an immediate one waits its turn.
    pub async fn begin_write(&self) -> Result<Transaction, Error> {
        let transaction = self.writes.begin("BEGIN IMMEDIATE", "BEGIN").await?;
        Ok(transaction.notifying(self.outbox_committed.clone()))
    }

    /// Begins a transaction that only reads: its statements see one snapshot (on PostgreSQL,
    /// `REPEATABLE READ`; its default isolation gives each statement a snapshot of its own).
    pub async fn begin_read(&self) -> Result<Transaction, Error> {
        self.reads
            .begin("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
    }

    /// The pool for reads.
    pub fn pool(&self) -> &Pool {
        &self.reads
    }

    /// The pool for statements that write outside `begin_write` (one statement, its own commit).
    pub fn writer(&self) -> &Pool {
        &self.writes
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// What each commit that appended to the outbox notifies.
    pub(crate) fn outbox_committed(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_committed.clone()
    }

    /// Closes PostgreSQL's connections; SQLite's close when the last handle is dropped.
    pub async fn close(&self) {
        self.reads.close().await;
    }
}

/// The file path of a `sqlite:` url; its folder is created when missing.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || options.contains("mode=memory") {
        // Each connection would get a database of its own.
        anyhow::bail!(
            "database url `{url}`: an in-memory SQLite database is not shared between a pool's connections; name a file"
        );
    }
    if !options.is_empty() && options != "mode=rwc" {
        anyhow::bail!(
            "database url `{url}`: options after `?` are not supported for SQLite (the file is opened read-write and created when missing)"
        );
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("create the data folder {}", parent.display()))?;
    }
    Ok(path.to_owned())
}

/// The url without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
