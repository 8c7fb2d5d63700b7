//! SQLite: connections that run statements on the calling thread, a thread per database file
//! that makes commits durable in groups, and a checkpointer thread.
//!
//! Group commit: the writer commits with `synchronous = NORMAL`, which writes the transaction's
//! frames to the write-ahead log without an fsync, and releases the file to the next writer at
//! once. The commit then waits until the log's thread has synced the log past it. One fsync
//! covers every commit written before it, so under load commits share fsyncs, and the file's
//! lock is not held across them. A commit returns only once it is durable, as with
//! `synchronous = FULL`; a read returns only once what it saw is durable, so nothing a
//! power cut could take back is ever shown (PostgreSQL makes a commit visible after its flush).
//! This holds because SQLite appends commits to the log in order and syncs the log before a
//! checkpoint copies from it (`NORMAL` still does that), so a sync of the log covers every
//! commit before it, and the log is restarted only after all of it is in the database file.

use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex as SyncMutex, OnceLock, mpsc};
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
}

struct LogState {
    /// Commits begun, counted before each `COMMIT` under the writer's lock.
    begun: AtomicU64,
    /// The newest commit whose `COMMIT` has returned: its frames are in the log.
    written: AtomicU64,
    /// The newest commit a sync of the log covers.
    durable: watch::Sender<u64>,
    /// Why a sync failed, and the newest commit synced before it. After that nothing more is
    /// known to be durable, and every later commit fails (PostgreSQL stops for the same reason).
    failed: OnceLock<(u64, String)>,
    /// Whether the log's thread has work, and whether it should stop. A lock rather than a
    /// channel so that the thread, taking it, sees every `written` stored before the wake-up.
    wake: SyncMutex<Wake>,
    woken: Condvar,
}

impl LogState {
    /// The wake-up flags; a thread that panicked holding them left them valid.
    fn lock_wake(&self) -> std::sync::MutexGuard<'_, Wake> {
        self.wake
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Default)]
struct Wake {
    pending: bool,
    stop: bool,
}

impl Log {
    /// Opens the log file at `log_path`, syncs what an earlier process left in it unsynced, and
    /// starts the thread that syncs it. The thread ends when the `Log` is dropped.
    fn start(log_path: String) -> Result<Log, Error> {
        // SQLite creates the log in WAL mode; creating it here first is the same empty log.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&log_path)
            .and_then(|file| {
                // A process that stopped without a power cut leaves commits in the log that
                // were never synced; they are about to be read, so they must be durable first.
                file.sync_data()?;
                // The log's name must survive a power cut along with its contents.
                if let Some(folder) = Path::new(&log_path)
                    .parent()
                    .filter(|folder| !folder.as_os_str().is_empty())
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
            wake: SyncMutex::new(Wake::default()),
            woken: Condvar::new(),
        });
        let thread_state = state.clone();
        std::thread::Builder::new()
            .name("sqlite-sync".to_owned())
            .spawn(move || sync_until_stopped(&file, &log_path, &thread_state))
            .map_err(|error| Error::Thread(format!("start the log's sync thread: {error}")))?;
        Ok(Log { state })
    }

    /// Numbers a commit that is about to run; call under the writer's lock, before `COMMIT`.
    /// Fails once a sync has failed, so that nothing more is committed that cannot be durable.
    fn begin_commit(&self) -> Result<u64, Error> {
        if let Some((_, reason)) = self.state.failed.get() {
            return Err(Error::Durability(reason.clone()));
        }
        Ok(self.state.begun.fetch_add(1, Ordering::AcqRel) + 1)
    }

    /// Records that commit `ticket`'s frames are in the log, or that it failed and wrote none,
    /// and wakes the log's thread: a read may be waiting for this ticket even when its
    /// committer will not.
    fn written(&self, ticket: u64) {
        self.state.written.store(ticket, Ordering::Release);
        self.wake();
    }

    fn wake(&self) {
        let mut wake = self.state.lock_wake();
        // Already pending: the thread has not taken it yet, and will see this write when it does.
        if !wake.pending {
            wake.pending = true;
            self.state.woken.notify_one();
        }
    }

    /// The newest commit begun: a read that has ended saw no commit after it.
    fn seen(&self) -> u64 {
        self.state.begun.load(Ordering::Acquire)
    }

    /// Waits until a sync of the log covers commit `ticket`.
    async fn durable(&self, ticket: u64) -> Result<(), Error> {
        let mut durable = self.state.durable.subscribe();
        if *durable.borrow_and_update() < ticket {
            self.wake();
            // The sender lives as long as `self`, so this cannot end without a value.
            let _ = durable.wait_for(|durable| *durable >= ticket).await;
        }
        match self.state.failed.get() {
            Some((synced, reason)) if ticket > *synced => Err(Error::Durability(reason.clone())),
            _ => Ok(()),
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        let mut wake = self.state.lock_wake();
        wake.stop = true;
        self.state.woken.notify_one();
    }
}

/// The log's thread: on each wake-up, syncs the log if commits were written since the last
/// sync, and tells the waiters how far it is durable.
fn sync_until_stopped(file: &File, log_path: &str, state: &LogState) {
    loop {
        {
            let mut wake = state.lock_wake();
            while !wake.pending && !wake.stop {
                wake = state
                    .woken
                    .wait(wake)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if wake.stop {
                return;
            }
            wake.pending = false;
        }
        let target = state.written.load(Ordering::Acquire);
        let synced = *state.durable.borrow();
        if target <= synced {
            // A reader woke it for a commit still running; its committer wakes it again.
            continue;
        }
        if let Err(error) = file.sync_data() {
            tracing::error!(%error, log = %log_path, "syncing the SQLite log failed; every later commit will fail");
            let _ = state
                .failed
                .set((synced, format!("sync {log_path}: {error}")));
            state.durable.send_replace(u64::MAX);
            return;
        }
        state.durable.send_if_modified(|durable| {
            let newer = target > *durable;
            *durable = (*durable).max(target);
            newer
        });
    }
}

/// Opens the database at `path` (created when missing) in WAL mode with durable commits.
pub(super) fn open(path: &str) -> Result<(Readers, Writer), Error> {
    super::memory::use_rust_allocator();
    let writer = connect(path)?;
    // WAL lets readers run beside the writer; the mode is kept in the file.
    writer.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    // nosemgrep: emporium-sql-from-format -- the SQL text takes only a const number.
    writer.execute_batch(&format!(
        "PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}"
    ))?;
    // The log's name as SQLite makes it: from the file's full path, links resolved.
    let full_path = writer
        .path()
        .filter(|full| !full.is_empty())
        .unwrap_or(path);
    let log = Arc::new(Log::start(format!("{full_path}-wal"))?);
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

/// Runs `work`, which commits on the writer's `connection`, numbered as one commit: hands the
/// file to the next writer, then waits until what `work` committed is durable. A transaction
/// left open (no commit was possible) is rolled back, so the connection goes back clean.
async fn commit_with<T, E: From<Error>>(
    connection: Held,
    work: impl FnOnce(&mut rusqlite::Connection) -> Result<T, E>,
) -> Result<T, E> {
    let Held {
        mut connection,
        log,
    } = connection;
    let ticket = match log.begin_commit() {
        Ok(ticket) => ticket,
        Err(error) => {
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            return Err(error.into());
        }
    };
    let done = work(&mut connection);
    log.written(ticket);
    drop(connection);
    let done = done?;
    log.durable(ticket).await?;
    Ok(done)
}

/// Commits the write transaction open on `connection`, and waits until it is durable.
pub(super) async fn commit(connection: Held) -> Result<(), Error> {
    commit_with(connection, |connection| {
        let committed = connection.execute_batch("COMMIT");
        if committed.is_err() {
            // A commit that failed may leave the transaction open (SQLITE_BUSY).
            let _ = connection.execute_batch("ROLLBACK");
        }
        Ok(committed?)
    })
    .await
}

/// Ends the transaction open on `connection` with `statement` without committing a write: the
/// `COMMIT` of a read transaction, or a `ROLLBACK`. It returns once what the transaction read is
/// durable, since a reader may act on what it saw even when it writes nothing.
pub(super) async fn end_without_writing(connection: Held, statement: &str) -> Result<(), Error> {
    let Held { connection, log } = connection;
    let ended = connection.execute_batch(statement);
    drop(connection);
    ended?;
    log.durable(log.seen()).await
}

/// Runs one statement outside a transaction, and returns once it is durable. On the writer
/// (`commits`) the statement commits by itself, so it waits as a commit does (see `commit`); on
/// a reader it waits for what it saw.
pub(super) async fn run_alone(
    connection: Held,
    commits: bool,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error> {
    if commits {
        return commit_with(connection, |connection| {
            run(connection, sql, arguments, fetch)
        })
        .await;
    }
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
    commit_with(connection, |connection| apply(connection, migrator)).await
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
