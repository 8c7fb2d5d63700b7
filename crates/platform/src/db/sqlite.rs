//! SQLite: connections that run statements on the calling thread, a thread per database file
//! that makes commits durable in groups, and a checkpointer thread.
//!
//! Group commit: the writer commits with `synchronous = NORMAL`, which writes the transaction's
//! frames to the write-ahead log without an fsync, and releases the file to the next writer at
//! once. The commit then waits until the log's thread has synced the log past it. One fsync
//! covers every commit written before it, so under load commits share fsyncs, and the file's
//! lock is never held across one. A commit returns only once it is durable, as with
//! `synchronous = FULL`; a read returns only once what it saw is durable, so nothing a
//! power cut could take back is ever shown (PostgreSQL makes a commit visible after its flush).
//! This holds because SQLite appends commits to the log in order and syncs the log before a
//! checkpoint copies from it (`NORMAL` still does that), so a sync of the log covers every
//! commit before it, and the log is restarted only after all of it is in the database file.

use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::migrate::Migrator;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

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
    log: Arc<Log>,
}

impl Readers {
    /// A free connection if there is one, else the next in turn once it is free.
    pub(super) async fn acquire(&self) -> Held {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.connections.len();
        let connection = match (0..count).find_map(|offset| {
            self.connections[(start + offset) % count]
                .clone()
                .try_lock_owned()
                .ok()
        }) {
            Some(connection) => connection,
            None => self.connections[start % count].clone().lock_owned().await,
        };
        Held {
            connection,
            log: self.log.clone(),
        }
    }
}

pub(super) struct Writer {
    connection: Arc<Mutex<rusqlite::Connection>>,
    log: Arc<Log>,
    /// Stops the checkpointer when the writer goes.
    _checkpoints: mpsc::Sender<()>,
}

impl Writer {
    /// The connection, once the writer before has finished: a fair queue.
    pub(super) async fn acquire(&self) -> Held {
        Held {
            connection: self.connection.clone().lock_owned().await,
            log: self.log.clone(),
        }
    }
}

/// A connection taken from a pool, with the log its commits wait for.
pub(super) struct Held {
    connection: OwnedMutexGuard<rusqlite::Connection>,
    log: Arc<Log>,
}

impl Deref for Held {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.connection
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut rusqlite::Connection {
        &mut self.connection
    }
}

/// The write-ahead log's durability: which commits it holds and which a sync covers.
struct Log {
    state: Arc<LogState>,
    /// Wakes the log's thread; holds at most one wake-up, which covers every commit before it.
    wake: mpsc::SyncSender<()>,
}

struct LogState {
    /// Commits begun, counted before each `COMMIT` under the writer's lock.
    begun: AtomicU64,
    /// The newest commit whose `COMMIT` has returned: its frames are in the log.
    written: AtomicU64,
    /// The newest commit a sync of the log covers.
    durable: watch::Sender<u64>,
    /// Why a sync failed. After that nothing is known to be durable, and every later commit
    /// fails (PostgreSQL stops for the same reason).
    failed: OnceLock<String>,
}

impl Log {
    /// Opens `path`'s log file and starts the thread that syncs it. The thread ends when the
    /// last `Log` handle is dropped.
    fn start(path: &str) -> Result<Log, Error> {
        let log_path = format!("{path}-wal");
        // SQLite creates the log in WAL mode; creating it here first is the same empty log.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&log_path)
            .and_then(|file| {
                // The log's name must survive a power cut along with its contents.
                if let Some(folder) = Path::new(&log_path)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    File::open(folder)?.sync_all()?;
                }
                Ok(file)
            })
            .map_err(|error| Error::Durability(format!("open {log_path}: {error}")))?;
        let state = Arc::new(LogState {
            begun: AtomicU64::new(0),
            written: AtomicU64::new(0),
            durable: watch::Sender::new(0),
            failed: OnceLock::new(),
        });
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let thread_state = state.clone();
        std::thread::Builder::new()
            .name("sqlite-sync".to_owned())
            .spawn(move || {
                while woken.recv().is_ok() {
                    let target = thread_state.written.load(Ordering::Acquire);
                    match file.sync_data() {
                        Ok(()) => {
                            thread_state.durable.send_if_modified(|durable| {
                                let newer = target > *durable;
                                *durable = (*durable).max(target);
                                newer
                            });
                        }
                        Err(error) => {
                            tracing::error!(%error, log = %log_path, "syncing the SQLite log failed; every later commit will fail");
                            let _ = thread_state.failed.set(format!("sync {log_path}: {error}"));
                            thread_state.durable.send_replace(u64::MAX);
                            return;
                        }
                    }
                }
            })
            .map_err(|error| Error::Thread(format!("start the log's sync thread: {error}")))?;
        Ok(Log { state, wake })
    }

    /// Numbers a commit that is about to run; call under the writer's lock, before `COMMIT`.
    fn begin_commit(&self) -> u64 {
        self.state.begun.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Records that commit `ticket`'s frames are in the log (or that it failed and wrote none).
    fn written(&self, ticket: u64) {
        self.state.written.store(ticket, Ordering::Release);
    }

    /// The newest commit begun: a read that has ended saw no commit after it.
    fn seen(&self) -> u64 {
        self.state.begun.load(Ordering::Acquire)
    }

    /// Waits until a sync of the log covers commit `ticket`.
    async fn durable(&self, ticket: u64) -> Result<(), Error> {
        let mut durable = self.state.durable.subscribe();
        if *durable.borrow_and_update() < ticket {
            // Full means a wake-up is pending, and the sync it starts covers this commit.
            let _ = self.wake.try_send(());
            // The sender lives as long as `self`, so this cannot end without a value.
            let _ = durable.wait_for(|durable| *durable >= ticket).await;
        }
        match self.state.failed.get() {
            Some(reason) => Err(Error::Durability(reason.clone())),
            None => Ok(()),
        }
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
    let log = Arc::new(Log::start(path)?);
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
            log: log.clone(),
        },
        Writer {
            connection: Arc::new(Mutex::new(writer)),
            log,
            _checkpoints: checkpoints,
        },
    ))
}

fn connect(path: &str) -> Result<rusqlite::Connection, Error> {
    let connection = rusqlite::Connection::open(path)?;
    // NORMAL: a commit writes the log without an fsync, which `Log` does for groups of commits
    // (see the module's comment); checkpoints still sync. The timeout covers another process
    // holding the lock. 1 MiB of page cache per connection (SQLite's default is 2 MiB): with
    // connections per service, the default adds up.
    connection.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
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
pub(super) fn begin(connection: Held, statement: &str) -> Result<Held, Error> {
    connection.execute_batch(statement)?;
    Ok(connection)
}

/// Commits the write transaction open on `connection`, hands the file to the next writer, and
/// waits until the commit is durable.
pub(super) async fn commit(connection: Held) -> Result<(), Error> {
    let Held { connection, log } = connection;
    let ticket = log.begin_commit();
    let committed = connection.execute_batch("COMMIT");
    if committed.is_err() {
        // A commit that failed may leave the transaction open (SQLITE_BUSY).
        let _ = connection.execute_batch("ROLLBACK");
    }
    log.written(ticket);
    drop(connection);
    committed?;
    log.durable(ticket).await
}

/// Ends the read transaction open on `connection`, once what it saw is durable.
pub(super) async fn end_read(connection: Held) -> Result<(), Error> {
    let Held { connection, log } = connection;
    let ended = connection.execute_batch("COMMIT");
    drop(connection);
    ended?;
    log.durable(log.seen()).await
}

/// Runs one statement outside a transaction on the writer: it commits by itself, so it waits
/// as a commit does (see `commit`).
pub(super) async fn run_and_commit(
    connection: Held,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error> {
    let Held { connection, log } = connection;
    let ticket = log.begin_commit();
    let output = run(&connection, sql, arguments, fetch);
    log.written(ticket);
    drop(connection);
    let output = output?;
    log.durable(ticket).await?;
    Ok(output)
}

/// Runs one read outside a transaction, and returns once what it saw is durable.
pub(super) async fn read(
    connection: Held,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error> {
    let Held { connection, log } = connection;
    let output = run(&connection, sql, arguments, fetch);
    drop(connection);
    let output = output?;
    log.durable(log.seen()).await?;
    Ok(output)
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
pub(super) async fn migrate(connection: Held, migrator: &Migrator) -> anyhow::Result<()> {
    let Held {
        mut connection,
        log,
    } = connection;
    let ticket = log.begin_commit();
    let migrated = apply(&mut connection, migrator);
    log.written(ticket);
    drop(connection);
    migrated?;
    Ok(log.durable(ticket).await?)
}

fn apply(connection: &mut rusqlite::Connection, migrator: &Migrator) -> anyhow::Result<()> {
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
