//! A table's rows as a Parquet file whose schema is the contract's: strings as `BYTE_ARRAY`
//! (`STRING`), integers as `INT64`, numbers as `DOUBLE`, booleans as `BOOLEAN`, timestamps as
//! `INT64` (`TIMESTAMP(MILLIS, UTC)`); required columns `REQUIRED`, the rest `OPTIONAL`. One row
//! group, uncompressed: what DuckDB, pandas or Spark read as they are.

use std::io::Write;
use std::sync::Arc;

use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::parser::parse_message_type;

use crate::contract::{Column, Contract, LogicalType, Table};

/// One cell of a row, in the column's order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    /// Milliseconds since the Unix epoch, UTC.
    Timestamp(i64),
    Null,
}

/// Writes `rows` of `table` (of `contract`) to `sink`; refuses, naming the row and column, a row
/// of the wrong length, a value of the wrong type, or a null where the contract requires one.
pub fn write<W: Write + Send>(
    contract: &Contract,
    table: &Table,
    rows: &[Vec<Value>],
    sink: W,
) -> anyhow::Result<()> {
    for (index, row) in rows.iter().enumerate() {
        anyhow::ensure!(
            row.len() == table.columns.len(),
            "{}: row {index} has {} values for {} columns",
            table.name,
            row.len(),
            table.columns.len()
        );
    }
    let schema = Arc::new(parse_message_type(&message(table))?);
    let version = format!(
        "{}.{}.{}",
        contract.version.0, contract.version.1, contract.version.2
    );
    let properties = WriterProperties::builder()
        .set_created_by(format!("emporium {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![
            KeyValue::new("odcs.id".to_owned(), contract.id.clone()),
            KeyValue::new("odcs.version".to_owned(), version),
        ]))
        .build();
    let mut writer = SerializedFileWriter::new(sink, schema, Arc::new(properties))?;
    let mut group = writer.next_row_group()?;
    for (position, column) in table.columns.iter().enumerate() {
        let mut out = group
            .next_column()?
            .ok_or_else(|| anyhow::anyhow!("{}: the schema lost {}", table.name, column.name))?;
        let cells = rows.iter().map(|row| &row[position]);
        write_column(&mut out, column, cells)
            .map_err(|error| anyhow::anyhow!("{}.{}: {error}", table.name, column.name))?;
        out.close()?;
    }
    group.close()?;
    writer.close()?;
    Ok(())
}

/// The Parquet schema of `table`, in Parquet's message syntax.
pub fn message(table: &Table) -> String {
    let fields: Vec<String> = table
        .columns
        .iter()
        .map(|column| {
            let repetition = if column.required {
                "required"
            } else {
                "optional"
            };
            let kind = match column.logical_type {
                LogicalType::String => "binary",
                LogicalType::Integer | LogicalType::Timestamp => "int64",
                LogicalType::Number => "double",
                LogicalType::Boolean => "boolean",
            };
            let annotation = match column.logical_type {
                LogicalType::String => " (STRING)",
                LogicalType::Timestamp => " (TIMESTAMP(MILLIS,true))",
                _ => "",
            };
            format!("  {repetition} {kind} {}{annotation};", column.name)
        })
        .collect();
    format!("message {} {{\n{}\n}}", table.name, fields.join("\n"))
}

/// The present values of one column and its definition levels (1 present, 0 null), each value
/// checked against the column's type by `take`.
fn levels<'a, T>(
    column: &Column,
    cells: impl Iterator<Item = &'a Value>,
    take: impl Fn(&Value) -> Option<T>,
) -> anyhow::Result<(Vec<T>, Vec<i16>)> {
    let (mut values, mut defined) = (Vec::new(), Vec::new());
    for (row, cell) in cells.enumerate() {
        match cell {
            Value::Null if column.required => {
                anyhow::bail!("row {row} is null, and the contract requires a value")
            }
            Value::Null => defined.push(0),
            value => {
                let taken = take(value).ok_or_else(|| {
                    anyhow::anyhow!(
                        "row {row} holds {value:?}, not {}",
                        column.logical_type.as_str()
                    )
                })?;
                values.push(taken);
                defined.push(1);
            }
        }
    }
    Ok((values, defined))
}

fn write_column<'a>(
    out: &mut SerializedColumnWriter<'_>,
    column: &Column,
    cells: impl Iterator<Item = &'a Value>,
) -> anyhow::Result<()> {
    match column.logical_type {
        LogicalType::String => {
            write_typed::<ByteArrayType>(out, column, cells, |value| match value {
                Value::Text(text) => Some(ByteArray::from(text.as_bytes().to_vec())),
                _ => None,
            })
        }
        LogicalType::Integer => write_typed::<Int64Type>(out, column, cells, |value| match value {
            Value::Integer(number) => Some(*number),
            _ => None,
        }),
        LogicalType::Timestamp => {
            write_typed::<Int64Type>(out, column, cells, |value| match value {
                Value::Timestamp(millis) => Some(*millis),
                _ => None,
            })
        }
        LogicalType::Number => write_typed::<DoubleType>(out, column, cells, |value| match value {
            Value::Number(number) => Some(*number),
            _ => None,
        }),
        LogicalType::Boolean => write_typed::<BoolType>(out, column, cells, |value| match value {
            Value::Boolean(flag) => Some(*flag),
            _ => None,
        }),
    }
}

/// Writes one column of physical type `T`, whose values `take` reads from the cells.
fn write_typed<'a, T: DataType>(
    out: &mut SerializedColumnWriter<'_>,
    column: &Column,
    cells: impl Iterator<Item = &'a Value>,
    take: impl Fn(&Value) -> Option<T::T>,
) -> anyhow::Result<()> {
    let (values, defined) = levels(column, cells, take)?;
    out.typed::<T>()
        .write_batch(&values, defined_levels(column, &defined), None)?;
    Ok(())
}

/// The definition levels to pass: none for a required column, which has none.
fn defined_levels<'a>(column: &Column, levels: &'a [i16]) -> Option<&'a [i16]> {
    (!column.required).then_some(levels)
}
