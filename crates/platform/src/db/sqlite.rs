//! SQLite: connections that run statements on the calling thread, and a checkpointer thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::migrate::Migrator;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::query::{Error, Fetch, Output, Row, Value};

/// Connections for reads: enough that the runtime's threads rarely wait for one.
const READERS: usize = 4;

/// How often the checkpointer copies the write-ahead log into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// The writer checkpoints by itself only when the log has grown this far (pages of 4 KiB):
/// a backstop for when the checkpointer falls behind.
const WRITER_CHECKPOINT_PAGES: u32 = 8192;

/// Prepared statements kept per connection: every statement the stores use, several times over.
const STATEMENT_CACHE: usize = 128;

pub(super) struct Readers {
    connections: Vec<Arc<Mutex<rusqlite::Connection>>>,
    next: AtomicUsize,
}

impl Readers {
    /// A free connection if there is one, else the next in turn once it is free.
    pub(super) async fn acquire(&self) -> OwnedMutexGuard<rusqlite::Connection> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.connections.len();
        for offset in 0..count {
            let connection = &self.connections[(start + offset) % count];
            if let Ok(guard) = connection.clone().try_lock_owned() {
                return guard;
            }
        }
        self.connections[start % count].clone().lock_owned().await
    }
}

pub(super) struct Writer {
    connection: Arc<Mutex<rusqlite::Connection>>,
    /// Stops the checkpointer when the writer goes.
    _checkpoints: mpsc::Sender<()>,
}

impl Writer {
    /// The connection, once the writer before has finished: a fair queue.
    pub(super) async fn acquire(&self) -> OwnedMutexGuard<rusqlite::Connection> {
        self.connection.clone().lock_owned().await
    }
}

/// Opens the database at `path` (created when missing) in WAL mode with durable commits.
pub(super) fn open(path: &str) -> Result<(Readers, Writer), Error> {
    super::memory::use_rust_allocator();
    let writer = connect(path)?;
    // WAL lets readers run beside the writer; the mode is kept in the file.
    writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    writer.execute_batch(&format!(
        "PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}"
    ))?;
    let readers = (0..READERS)
        .map(|_| {
            let connection = connect(path)?;
            // A write through the read pool is a bug; make it fail where it happens.
            connection.execute_batch("PRAGMA query_only = ON")?;
            Ok(Arc::new(Mutex::new(connection)))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let checkpoints = start_checkpoints(connect(path)?)?;
    Ok((
        Readers {
            connections: readers,
            next: AtomicUsize::new(0),
        },
        Writer {
            connection: Arc::new(Mutex::new(writer)),
            _checkpoints: checkpoints,
        },
    ))
}

fn connect(path: &str) -> Result<rusqlite::Connection, Error> {
    let connection = rusqlite::Connection::open(path)?;
    // FULL makes every commit durable; the timeout covers another process holding the lock.
    // 1 MiB of page cache per connection (SQLite's default is 2 MiB): with connections per
    // service, the default adds up.
    connection.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 10000; PRAGMA cache_size = -1024;",
    )?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Copies the log into the database file every `CHECKPOINT_INTERVAL`, on a thread of its own,
/// so that no request waits for the database file's fsync. A passive checkpoint never blocks
/// the writer. The thread ends when the returned sender is dropped.
fn start_checkpoints(connection: rusqlite::Connection) -> Result<mpsc::Sender<()>, Error> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".to_owned())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_INTERVAL)
            {
                if let Err(error) =
                    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                {
                    tracing::warn!(%error, "sqlite checkpoint");
                }
            }
        })
        .map_err(|error| Error::Thread(format!("start the checkpointer: {error}")))?;
    Ok(stop)
}

/// Runs `statement` (`BEGIN` or `BEGIN IMMEDIATE`) on `connection` and hands it back.
pub(super) fn begin(
    connection: OwnedMutexGuard<rusqlite::Connection>,
    statement: &str,
) -> Result<OwnedMutexGuard<rusqlite::Connection>, Error> {
    connection.execute_batch(statement)?;
    Ok(connection)
}

/// Commits the transaction open on `connection`. The commit's fsync runs on a blocking thread:
/// a runtime thread that waited for it would leave its tasks waiting too, and with a thread
/// per core that idles the machine while the disk works. This is the one hop per transaction.
pub(super) async fn commit(connection: OwnedMutexGuard<rusqlite::Connection>) -> Result<(), Error> {
    tokio::task::spawn_blocking(move || {
        if let Err(error) = connection.execute_batch("COMMIT") {
            // A commit that failed may leave the transaction open (SQLITE_BUSY).
            let _ = connection.execute_batch("ROLLBACK");
            return Err(error.into());
        }
        Ok(())
    })
    .await
    .map_err(|error| Error::Thread(format!("commit: {error}")))?
}

/// Runs one statement outside a transaction: it commits by itself, so it runs where a commit
/// does (see `commit`).
pub(super) async fn run_and_commit(
    connection: OwnedMutexGuard<rusqlite::Connection>,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error> {
    let sql = sql.to_owned();
    let arguments = arguments.to_vec();
    tokio::task::spawn_blocking(move || run(&connection, &sql, &arguments, fetch))
        .await
        .map_err(|error| Error::Thread(format!("statement: {error}")))?
}

/// Runs one statement on `connection`, binding `$N` to `arguments[N - 1]`.
pub(super) fn run(
    connection: &rusqlite::Connection,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error> {
    let mut statement = connection.prepare_cached(sql)?;
    for index in 1..=statement.parameter_count() {
        // `$N` is a named parameter to SQLite, numbered by first use; map it to its number.
        let position = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .unwrap_or(index);
        let value = arguments
            .get(position.wrapping_sub(1))
            .ok_or(Error::MissingArgument {
                index: position,
                bound: arguments.len(),
            })?;
        statement.raw_bind_parameter(index, value)?;
    }
    let columns: Option<Arc<[Box<str>]>> = (fetch != Fetch::Nothing).then(|| {
        statement
            .column_names()
            .into_iter()
            .map(Box::from)
            .collect()
    });
    let readonly = statement.readonly();
    let mut rows = Vec::new();
    let mut cursor = statement.raw_query();
    // Changes of an INSERT, UPDATE or DELETE, RETURNING or not, all happen at the first step.
    while let Some(row) = cursor.next()? {
        let Some(columns) = &columns else { break };
        let values = (0..columns.len())
            .map(|index| value(row.get_ref(index)?, &columns[index]))
            .collect::<Result<Vec<_>, Error>>()?;
        rows.push(Row::new(columns.clone(), values));
        if fetch == Fetch::One {
            break;
        }
    }
    drop(cursor);
    let rows_affected = if readonly { 0 } else { connection.changes() };
    Ok(Output {
        rows,
        rows_affected,
    })
}

fn value(value: ValueRef<'_>, column: &str) -> Result<Value, Error> {
    Ok(match value {
        ValueRef::Null => Value::Null(super::Kind::Text),
        ValueRef::Integer(integer) => Value::Integer(integer),
        ValueRef::Real(real) => Value::Real(real),
        ValueRef::Text(text) => Value::Text(
            std::str::from_utf8(text)
                .map_err(|_| Error::Decode {
                    column: column.to_owned(),
                    expected: "UTF-8 text",
                    found: "text that is not UTF-8",
                })?
                .to_owned(),
        ),
        ValueRef::Blob(blob) => Value::Blob(blob.to_vec()),
    })
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null(_) => ValueRef::Null,
            Value::Integer(integer) => ValueRef::Integer(*integer),
            Value::Real(real) => ValueRef::Real(*real),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(blob) => ValueRef::Blob(blob),
            Value::Bool(boolean) => ValueRef::Integer(i64::from(*boolean)),
        }))
    }
}

/// Applies `migrator`'s migrations that have not run, each in a transaction with its record.
/// The records go in sqlx's table, in sqlx's format, so databases made before stay valid.
pub(super) fn migrate(
    connection: &mut rusqlite::Connection,
    migrator: &Migrator,
) -> anyhow::Result<()> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        );",
    )?;
    let mut applied = std::collections::HashMap::new();
    {
        let mut statement =
            connection.prepare("SELECT version, success, checksum FROM _sqlx_migrations")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let version: i64 = row.get(0)?;
            let success: bool = row.get(1)?;
            let checksum: Vec<u8> = row.get(2)?;
            applied.insert(version, (success, checksum));
        }
    }
    for migration in migrator.iter() {
        if !migration.migration_type.is_up_migration() {
            continue;
        }
        match applied.get(&migration.version) {
            Some((false, _)) => anyhow::bail!(
                "migration {} ({}) failed part-way before; repair the database by hand",
                migration.version,
                migration.description
            ),
            Some((true, checksum)) if checksum[..] != migration.checksum[..] => anyhow::bail!(
                "migration {} ({}) was changed after it was applied",
                migration.version,
                migration.description
            ),
            Some(_) => continue,
            None => {}
        }
        let transaction = connection.transaction()?;
        transaction
            .execute_batch(migration.sql.as_str())
            .map_err(|error| {
                anyhow::anyhow!(
                    "migration {} ({}): {error}",
                    migration.version,
                    migration.description
                )
            })?;
        transaction.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, -1)",
            rusqlite::params![
                migration.version,
                &*migration.description,
                &*migration.checksum
            ],
        )?;
        transaction.commit()?;
    }
    Ok(())
}
