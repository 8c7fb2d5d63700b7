//! PostgreSQL through sqlx's pool: values in, rows out.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgArguments, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Column as _, Postgres, Row as _, TypeInfo as _, ValueRef as _};

use super::query::{Error, Fetch, Kind, Output, Row, Value};

pub(super) async fn connect(url: &str) -> Result<sqlx::PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // A broken connection shows itself on its next statement; no ping before each use.
        .test_before_acquire(false)
        .connect(url)
        .await
}

pub(super) async fn run<'c, E>(
    executor: E,
    sql: &str,
    arguments: &[Value],
    fetch: Fetch,
) -> Result<Output, Error>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    // The text comes from the stores' constants and numbered placeholders; values are bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for argument in arguments {
        query = bind(query, argument);
    }
    match fetch {
        Fetch::Nothing => Ok(Output {
            rows: Vec::new(),
            rows_affected: query.execute(executor).await?.rows_affected(),
        }),
        Fetch::One => Ok(Output {
            rows: query
                .fetch_optional(executor)
                .await?
                .map(|row| convert(&row, None))
                .transpose()?
                .into_iter()
                .collect(),
            rows_affected: 0,
        }),
        Fetch::All => {
            let rows = query.fetch_all(executor).await?;
            let columns = rows.first().map(column_names);
            Ok(Output {
                rows: rows
                    .iter()
                    .map(|row| convert(row, columns.clone()))
                    .collect::<Result<_, _>>()?,
                rows_affected: 0,
            })
        }
    }
}

fn bind<'q>(
    query: Query<'q, Postgres, PgArguments>,
    value: &'q Value,
) -> Query<'q, Postgres, PgArguments> {
    match value {
        Value::Null(Kind::Integer) => query.bind(None::<i64>),
        Value::Null(Kind::Real) => query.bind(None::<f64>),
        Value::Null(Kind::Text) => query.bind(None::<String>),
        Value::Null(Kind::Blob) => query.bind(None::<Vec<u8>>),
        Value::Null(Kind::Bool) => query.bind(None::<bool>),
        Value::Integer(integer) => query.bind(*integer),
        Value::Real(real) => query.bind(*real),
        Value::Text(text) => query.bind(text.as_str()),
        Value::Blob(blob) => query.bind(blob.as_slice()),
        Value::Bool(boolean) => query.bind(*boolean),
    }
}

fn column_names(row: &PgRow) -> Arc<[Box<str>]> {
    row.columns()
        .iter()
        .map(|column| column.name().into())
        .collect()
}

fn convert(row: &PgRow, columns: Option<Arc<[Box<str>]>>) -> Result<Row, Error> {
    let columns = columns.unwrap_or_else(|| column_names(row));
    let mut values = Vec::with_capacity(columns.len());
    for index in 0..columns.len() {
        let raw = row.try_get_raw(index)?;
        let type_name = raw.type_info().name().to_owned();
        let value = if raw.is_null() {
            Value::Null(Kind::Text)
        } else {
            match type_name.as_str() {
                "INT8" => Value::Integer(row.try_get::<i64, _>(index)?),
                "INT4" => Value::Integer(row.try_get::<i32, _>(index)?.into()),
                "INT2" => Value::Integer(row.try_get::<i16, _>(index)?.into()),
                "FLOAT8" => Value::Real(row.try_get::<f64, _>(index)?),
                "FLOAT4" => Value::Real(row.try_get::<f32, _>(index)?.into()),
                "BOOL" => Value::Bool(row.try_get::<bool, _>(index)?),
                "BYTEA" => Value::Blob(row.try_get::<Vec<u8>, _>(index)?),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" => {
                    Value::Text(row.try_get::<String, _>(index)?)
                }
                other => {
                    return Err(Error::Decode {
                        column: columns[index].to_string(),
                        expected: "a column of a type the stores use",
                        found: unsupported(other),
                    });
                }
            }
        };
        values.push(value);
    }
    Ok(Row::new(columns, values))
}

fn unsupported(type_name: &str) -> &'static str {
    match type_name {
        "NUMERIC" => "NUMERIC (cast it to BIGINT)",
        "TIMESTAMPTZ" | "TIMESTAMP" => "a timestamp (store unix time as BIGINT)",
        "JSON" | "JSONB" => "JSON (store it as TEXT)",
        _ => "a PostgreSQL type with no mapping",
    }
}
