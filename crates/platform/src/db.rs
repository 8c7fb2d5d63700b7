//! Databases: one pool type for SQLite and PostgreSQL, and migrations applied at start.
//!
//! Each service owns its database and keeps one migration folder per engine
//! (`migrations/sqlite`, `migrations/postgres`). Queries use `$1..$N` placeholders, which both
//! engines accept; where the engines differ (full-text search), a store asks `engine()`.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

mod group;
pub use group::{GroupCommit, Write};

/// The database engine behind a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A service's database.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    /// Where writes go. On SQLite, one connection: the file has one writer at a time anyway,
    /// and waiting in the pool's queue is fair and wakes at once, where writers that race for
    /// the file's lock sleep in SQLite's busy handler for up to 100 ms a try.
    writer: AnyPool,
    engine: Engine,
}

impl Database {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://...`); a SQLite file and its
    /// folder are created when missing.
    pub async fn connect(url: &str) -> anyhow::Result<Database> {
        install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            anyhow::bail!("database url `{url}` is neither sqlite: nor postgres:");
        };
        let url = match engine {
            Engine::Sqlite => prepare_sqlite_url(url)?,
            Engine::Postgres => url.to_owned(),
        };
        // No ping before each acquire: on SQLite a ping is a round trip to the connection's
        // worker thread, and a broken connection shows itself on the next statement anyway.
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false);
        let pools = async {
            match engine {
                Engine::Sqlite => {
                    let pool = sqlite_pool(options.clone().max_connections(4), &url).await?;
                    let writer = sqlite_pool(options.max_connections(1), &url).await?;
                    Ok::<_, sqlx::Error>((pool, writer))
                }
                Engine::Postgres => {
                    let pool = options.max_connections(16).connect(&url).await?;
                    Ok((pool.clone(), pool))
                }
            }
        };
        let (pool, writer) = pools
            .await
            .with_context(|| format!("connect to {}", redact(&url)))?;
        Ok(Database {
            pool,
            writer,
            engine,
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
        migrator.run(&self.pool).await.context("apply migrations")?;
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that read first fails with "database is
    /// locked" when another writer commits meanwhile, where an immediate one waits its turn.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.writer.begin().await,
        }
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for statements that write outside `begin_write` (one statement, its own commit).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

async fn sqlite_pool(options: AnyPoolOptions, url: &str) -> Result<AnyPool, sqlx::Error> {
    options
        .after_connect(|connection, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; FULL makes every commit durable.
                connection.execute("PRAGMA journal_mode = WAL").await?;
                connection.execute("PRAGMA synchronous = FULL").await?;
                connection.execute("PRAGMA foreign_keys = ON").await?;
                connection.execute("PRAGMA busy_timeout = 10000").await?;
                // 1 MiB of page cache per connection (SQLite's default is 2 MiB):
                // with a pool per service, the default adds up.
                connection.execute("PRAGMA cache_size = -1024").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        // Each connection would get a database of its own.
        anyhow::bail!(
            "database url `{url}`: an in-memory SQLite database is not shared between a pool's connections; name a file"
        );
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("create the data folder {}", parent.display()))?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
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

/// Whether `error` is a unique-constraint violation, on either engine.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(database_error) => {
            database_error.is_unique_violation()
                || database_error
                    .code()
                    .is_some_and(|code| code == "23505" || code == "2067" || code == "1555")
        }
        _ => false,
    }
}
