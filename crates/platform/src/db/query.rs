//! The query API every store uses, the same on both engines: `query(sql).bind(..).execute(..)`,
//! rows read by column name, transactions that roll back when dropped.
//!
//! It follows sqlx's shape, so a store reads like one written against sqlx, but the values it
//! carries are the few kinds both engines share (integer, real, text, blob, boolean, null), which
//! lets SQLite run a statement without leaving the calling thread.

use std::borrow::Cow;
use std::sync::Arc;

use sqlx::migrate::Migrator;

use super::{postgres, sqlite};

/// Why a statement failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    #[error("no row was returned")]
    RowNotFound,
    #[error("the row has no column `{0}`")]
    ColumnNotFound(String),
    #[error("column `{column}` holds {found}, not {expected}")]
    Decode {
        column: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("the statement uses ${index} but {bound} values were bound")]
    MissingArgument { index: usize, bound: usize },
    #[error("a value could not be encoded: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("a database thread failed: {0}")]
    Thread(String),
    #[error("the database's log could not be made durable ({0}); recent commits may be lost")]
    Durability(String),
    #[error("the transaction has already ended")]
    Finished,
}

impl Error {
    /// Whether this is a unique-constraint violation, on either engine.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => {
                failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Error::Postgres(sqlx::Error::Database(error)) => {
                error.is_unique_violation() || error.code().is_some_and(|code| code == "23505")
            }
            _ => false,
        }
    }
}

/// Whether `error` is a unique-constraint violation, on either engine.
pub fn is_unique_violation(error: &Error) -> bool {
    error.is_unique_violation()
}

/// The kind of a value, which a null carries so PostgreSQL knows the parameter's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Real,
    Text,
    Blob,
    Bool,
}

/// A bound parameter or a column's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null(Kind),
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
}

impl Value {
    fn describe(&self) -> &'static str {
        match self {
            Value::Null(_) => "NULL",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
            Value::Bool(_) => "a boolean",
        }
    }
}

/// What can be bound to a parameter.
pub trait Encode {
    const KIND: Kind;
    fn encode(self) -> Value;
}

macro_rules! encode {
    ($($type:ty => $kind:ident, |$value:ident| $convert:expr;)*) => {
        $(impl Encode for $type {
            const KIND: Kind = Kind::$kind;
            fn encode(self) -> Value {
                let $value = self;
                Value::$kind($convert)
            }
        })*
    };
}

encode! {
    i64 => Integer, |value| value;
    &i64 => Integer, |value| *value;
    i32 => Integer, |value| i64::from(value);
    u32 => Integer, |value| i64::from(value);
    bool => Bool, |value| value;
    f64 => Real, |value| value;
    String => Text, |value| value;
    &String => Text, |value| value.clone();
    &str => Text, |value| value.to_owned();
    &&str => Text, |value| (*value).to_owned();
    Vec<u8> => Blob, |value| value;
    &Vec<u8> => Blob, |value| value.clone();
    &[u8] => Blob, |value| value.to_vec();
}

impl<T: Encode> Encode for Option<T> {
    const KIND: Kind = T::KIND;
    fn encode(self) -> Value {
        match self {
            Some(value) => value.encode(),
            None => Value::Null(T::KIND),
        }
    }
}

impl<'a, T> Encode for &'a Option<T>
where
    &'a T: Encode,
{
    const KIND: Kind = <&'a T>::KIND;
    fn encode(self) -> Value {
        match self {
            Some(value) => value.encode(),
            None => Value::Null(Self::KIND),
        }
    }
}

/// What a column can be read as.
pub trait Decode: Sized {
    const EXPECTED: &'static str;
    fn decode(value: &Value) -> Option<Self>;
}

impl Decode for i64 {
    const EXPECTED: &'static str = "an integer";
    fn decode(value: &Value) -> Option<i64> {
        match value {
            Value::Integer(integer) => Some(*integer),
            _ => None,
        }
    }
}

impl Decode for i32 {
    const EXPECTED: &'static str = "a 32-bit integer";
    fn decode(value: &Value) -> Option<i32> {
        i64::decode(value).and_then(|integer| i32::try_from(integer).ok())
    }
}

impl Decode for u32 {
    const EXPECTED: &'static str = "a 32-bit unsigned integer";
    fn decode(value: &Value) -> Option<u32> {
        i64::decode(value).and_then(|integer| u32::try_from(integer).ok())
    }
}

impl Decode for bool {
    const EXPECTED: &'static str = "a boolean";
    fn decode(value: &Value) -> Option<bool> {
        match value {
            Value::Bool(boolean) => Some(*boolean),
            // SQLite keeps booleans as 0 and 1.
            Value::Integer(0) => Some(false),
            Value::Integer(1) => Some(true),
            _ => None,
        }
    }
}

impl Decode for f64 {
    const EXPECTED: &'static str = "a real";
    fn decode(value: &Value) -> Option<f64> {
        match value {
            Value::Real(real) => Some(*real),
            // SQLite stores a real with no fraction as an integer.
            Value::Integer(integer) => Some(*integer as f64),
            _ => None,
        }
    }
}

impl Decode for String {
    const EXPECTED: &'static str = "text";
    fn decode(value: &Value) -> Option<String> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl Decode for Vec<u8> {
    const EXPECTED: &'static str = "a blob";
    fn decode(value: &Value) -> Option<Vec<u8>> {
        match value {
            Value::Blob(blob) => Some(blob.clone()),
            _ => None,
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn decode(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null(_) => Some(None),
            value => T::decode(value).map(Some),
        }
    }
}

/// One row of a result.
#[derive(Clone, Debug)]
pub struct Row {
    columns: Arc<[Box<str>]>,
    values: Vec<Value>,
}

impl Row {
    pub(super) fn new(columns: Arc<[Box<str>]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The value of a column, by name or by position.
    pub fn try_get<T: Decode, I: ColumnIndex>(&self, index: I) -> Result<T, Error> {
        let position = index.position(self)?;
        let value = &self.values[position];
        T::decode(value).ok_or_else(|| Error::Decode {
            column: self.columns[position].to_string(),
            expected: T::EXPECTED,
            found: value.describe(),
        })
    }
}

/// How a column is named: by name or by position.
pub trait ColumnIndex {
    fn position(&self, row: &Row) -> Result<usize, Error>;
}

impl ColumnIndex for &str {
    fn position(&self, row: &Row) -> Result<usize, Error> {
        row.columns
            .iter()
            .position(|column| &**column == *self)
            .ok_or_else(|| Error::ColumnNotFound((*self).to_owned()))
    }
}

impl ColumnIndex for usize {
    fn position(&self, row: &Row) -> Result<usize, Error> {
        if *self < row.values.len() {
            Ok(*self)
        } else {
            Err(Error::ColumnNotFound(format!("#{self}")))
        }
    }
}

/// What a statement that changes rows reports.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    rows_affected: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// How many rows a statement's caller wants back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fetch {
    Nothing,
    One,
    All,
}

/// A statement's rows and how many rows it changed.
pub(super) struct Output {
    pub(super) rows: Vec<Row>,
    pub(super) rows_affected: u64,
}

/// A statement with its bound values.
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query<'q> {
    sql: Cow<'q, str>,
    arguments: Vec<Value>,
}

/// A statement to run: `$1..$N` are its parameters, in the order of `bind`.
pub fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query {
        sql: sql.into(),
        arguments: Vec::new(),
    }
}

impl<'q> Query<'q> {
    /// Binds the next parameter.
    pub fn bind(mut self, value: impl Encode) -> Query<'q> {
        self.arguments.push(value.encode());
        self
    }

    /// Runs the statement; reports how many rows it changed.
    pub async fn execute<'e>(self, target: impl Into<Target<'e>>) -> Result<Done, Error> {
        let output = self.run(target.into(), Fetch::Nothing).await?;
        Ok(Done {
            rows_affected: output.rows_affected,
        })
    }

    pub async fn fetch_all<'e>(self, target: impl Into<Target<'e>>) -> Result<Vec<Row>, Error> {
        Ok(self.run(target.into(), Fetch::All).await?.rows)
    }

    pub async fn fetch_optional<'e>(
        self,
        target: impl Into<Target<'e>>,
    ) -> Result<Option<Row>, Error> {
        Ok(self.run(target.into(), Fetch::One).await?.rows.pop())
    }

    /// The first row; `Error::RowNotFound` when there is none.
    pub async fn fetch_one<'e>(self, target: impl Into<Target<'e>>) -> Result<Row, Error> {
        self.fetch_optional(target).await?.ok_or(Error::RowNotFound)
    }

    async fn run(self, target: Target<'_>, fetch: Fetch) -> Result<Output, Error> {
        match target {
            Target::Pool(pool) => pool.run(&self.sql, &self.arguments, fetch).await,
            Target::Connection(connection) => {
                connection.run(&self.sql, &self.arguments, fetch).await
            }
        }
    }
}

/// Where a statement runs: a pool (each statement its own transaction) or a transaction.
pub enum Target<'e> {
    Pool(&'e Pool),
    Connection(&'e mut Connection),
}

impl<'e> From<&'e Pool> for Target<'e> {
    fn from(pool: &'e Pool) -> Target<'e> {
        Target::Pool(pool)
    }
}

impl<'e> From<&'e mut Connection> for Target<'e> {
    fn from(connection: &'e mut Connection) -> Target<'e> {
        Target::Connection(connection)
    }
}

impl<'e> From<&'e mut Transaction> for Target<'e> {
    fn from(transaction: &'e mut Transaction) -> Target<'e> {
        Target::Connection(&mut transaction.connection)
    }
}

/// Connections to one database: SQLite's readers, SQLite's one writer, or PostgreSQL's pool.
#[derive(Clone)]
pub struct Pool(Pooled);

#[derive(Clone)]
enum Pooled {
    SqliteReaders(Arc<sqlite::Readers>),
    SqliteWriter(Arc<sqlite::Writer>),
    Postgres(sqlx::PgPool),
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Pooled::SqliteReaders(_) => "SQLite readers",
            Pooled::SqliteWriter(_) => "SQLite writer",
            Pooled::Postgres(_) => "PostgreSQL",
        };
        formatter.debug_tuple("Pool").field(&kind).finish()
    }
}

impl Pool {
    pub(super) fn sqlite_readers(readers: sqlite::Readers) -> Pool {
        Pool(Pooled::SqliteReaders(Arc::new(readers)))
    }

    pub(super) fn sqlite_writer(writer: sqlite::Writer) -> Pool {
        Pool(Pooled::SqliteWriter(Arc::new(writer)))
    }

    pub(super) fn postgres(pool: sqlx::PgPool) -> Pool {
        Pool(Pooled::Postgres(pool))
    }

    /// Applies `migrator` through this pool: SQLite's writer or PostgreSQL's pool.
    pub(super) async fn migrate(&self, migrator: &Migrator) -> anyhow::Result<()> {
        match &self.0 {
            Pooled::SqliteWriter(writer) => sqlite::migrate(writer.acquire().await, migrator).await,
            Pooled::Postgres(pool) => Ok(migrator.run(pool).await?),
            Pooled::SqliteReaders(_) => anyhow::bail!("the read pool cannot apply migrations"),
        }
    }

    /// Begins a transaction with `sqlite` or `postgres`, the statement for this pool's engine.
    pub(super) async fn begin(
        &self,
        sqlite: &'static str,
        postgres: &'static str,
    ) -> Result<Transaction, Error> {
        let connection = match &self.0 {
            Pooled::SqliteReaders(readers) => {
                Inner::SqliteRead(sqlite::begin(readers.acquire().await, sqlite)?)
            }
            Pooled::SqliteWriter(writer) => {
                Inner::Sqlite(sqlite::begin(writer.acquire().await, sqlite)?)
            }
            Pooled::Postgres(pool) => Inner::Postgres(pool.begin_with(postgres).await?),
        };
        Ok(Transaction {
            connection: Connection(connection),
            outbox_committed: None,
            appended: false,
        })
    }

    pub(super) async fn close(&self) {
        if let Pooled::Postgres(pool) = &self.0 {
            pool.close().await;
        }
    }

    async fn run(&self, sql: &str, arguments: &[Value], fetch: Fetch) -> Result<Output, Error> {
        match &self.0 {
            Pooled::SqliteReaders(readers) => {
                sqlite::run_alone(readers.acquire().await, false, sql, arguments, fetch).await
            }
            Pooled::SqliteWriter(writer) => {
                sqlite::run_alone(writer.acquire().await, true, sql, arguments, fetch).await
            }
            Pooled::Postgres(pool) => postgres::run(pool, sql, arguments, fetch).await,
        }
    }
}

/// The connection a transaction holds; statements given `&mut *transaction` run here.
pub struct Connection(Inner);

enum Inner {
    Sqlite(sqlite::Held),
    /// A transaction on a read-only connection: its commit only waits for what it saw.
    SqliteRead(sqlite::Held),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Finished,
}

impl Connection {
    async fn run(&mut self, sql: &str, arguments: &[Value], fetch: Fetch) -> Result<Output, Error> {
        match &mut self.0 {
            Inner::Sqlite(connection) | Inner::SqliteRead(connection) => {
                sqlite::run(connection, sql, arguments, fetch)
            }
            Inner::Postgres(transaction) => {
                postgres::run(&mut **transaction, sql, arguments, fetch).await
            }
            Inner::Finished => Err(Error::Finished),
        }
    }
}

/// A transaction: `commit` makes its statements durable; dropping it rolls them back.
pub struct Transaction {
    connection: Connection,
    /// Notified once this transaction commits, when it appended to the outbox.
    outbox_committed: Option<Arc<tokio::sync::Notify>>,
    appended: bool,
}

impl Transaction {
    pub(super) fn notifying(mut self, outbox_committed: Arc<tokio::sync::Notify>) -> Transaction {
        self.outbox_committed = Some(outbox_committed);
        self
    }

    /// Marks that this transaction wrote to the outbox: its commit wakes the relay.
    pub(crate) fn appended_to_outbox(&mut self) {
        self.appended = true;
    }

    pub async fn commit(mut self) -> Result<(), Error> {
        let committed = match self.commit_span() {
            Some(span) => {
                use tracing::Instrument as _;
                self.finish_commit().instrument(span).await
            }
            None => self.finish_commit().await,
        };
        if committed.is_ok()
            && self.appended
            && let Some(outbox_committed) = &self.outbox_committed
        {
            outbox_committed.notify_one();
        }
        committed
    }

    /// The span of a write's commit (the fsync); none for a read.
    fn commit_span(&self) -> Option<tracing::Span> {
        match &self.connection.0 {
            Inner::Sqlite(_) => crate::telemetry::db_span("sqlite", "COMMIT"),
            Inner::Postgres(_) => crate::telemetry::db_span("postgresql", "COMMIT"),
            _ => None,
        }
    }

    async fn finish_commit(&mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.connection.0, Inner::Finished) {
            Inner::Sqlite(connection) => sqlite::commit(connection).await,
            Inner::SqliteRead(connection) => {
                sqlite::end_without_writing(connection, "COMMIT").await
            }
            Inner::Postgres(transaction) => Ok(transaction.commit().await?),
            Inner::Finished => Err(Error::Finished),
        }
    }

    pub async fn rollback(mut self) -> Result<(), Error> {
        match std::mem::replace(&mut self.connection.0, Inner::Finished) {
            Inner::Sqlite(connection) | Inner::SqliteRead(connection) => {
                sqlite::end_without_writing(connection, "ROLLBACK").await
            }
            Inner::Postgres(transaction) => Ok(transaction.rollback().await?),
            Inner::Finished => Err(Error::Finished),
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        // PostgreSQL's transaction rolls back when it is dropped; SQLite's connection goes back
        // to its pool here, and must not carry the open transaction with it.
        if let Inner::Sqlite(connection) | Inner::SqliteRead(connection) = &self.connection.0
            && !connection.is_autocommit()
        {
            let _ = connection.execute_batch("ROLLBACK");
        }
    }
}

impl std::ops::Deref for Transaction {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.connection
    }
}

impl std::ops::DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }
}
