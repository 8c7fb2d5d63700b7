//! A product exported from a source: the files read back with the Parquet reader carry the
//! contract's schema (types, nullability, logical annotations) and the rows as given; quality
//! rules and freshness are measured; rows the contract cannot hold are refused by name.

use data_products::{Contract, Exporter, Source, Value, export::measure};
use parquet::file::reader::{FileReader, SerializedFileReader};

const ORDERS: &str = include_str!("../../orders/contracts/orders.odcs.yaml");

struct Orders;

fn order(id: &str, state: &str, updated_at: i64) -> Vec<Value> {
    vec![
        Value::Text(id.to_owned()),
        Value::Text(state.to_owned()),
        Value::Integer(2599),
        Value::Text("USD".to_owned()),
        Value::Text("GB".to_owned()),
        Value::Timestamp(1_765_000_000_000),
        Value::Timestamp(updated_at),
    ]
}

impl Source for Orders {
    async fn rows(&self, table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        Ok(match table {
            "orders" => vec![
                order("o-1", "confirmed", 1_765_000_100_000),
                order("o-2", "failed", 1_765_000_200_000),
            ],
            "order_lines" => vec![vec![
                Value::Text("o-1".to_owned()),
                Value::Text("KIT-00001".to_owned()),
                Value::Integer(2),
                Value::Integer(1299),
            ]],
            other => anyhow::bail!("no table {other}"),
        })
    }
}

#[tokio::test]
async fn an_export_is_the_contract_s_schema_and_the_source_s_rows() {
    let folder = test_support::scratch_dir("export");
    let exporter = Exporter::new(ORDERS, &folder).unwrap();
    let measured = exporter.export(&Orders, 1_765_000_260_000).await.unwrap();
    assert_eq!(measured[0].rows, 2);
    assert_eq!(measured[0].newest, Some(1_765_000_200_000));
    assert!(measured.iter().all(|table| table.violations.is_empty()));

    let file = std::fs::File::open(folder.join("orders/orders.parquet")).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let metadata = reader.metadata().file_metadata();
    assert_eq!(metadata.num_rows(), 2);
    let schema = format!("{:?}", metadata.schema_descr().root_schema());
    for expected in [
        "order_id",
        "String",
        "total_minor",
        "INT64",
        "Timestamp",
        "is_adjusted_to_u_t_c: true",
    ] {
        assert!(schema.contains(expected), "{expected} in {schema}");
    }
    let odcs: Vec<(String, Option<String>)> = metadata
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|pair| (pair.key.clone(), pair.value.clone()))
        .collect();
    assert!(odcs.contains(&(
        "odcs.id".to_owned(),
        Some("urn:emporium:orders:orders".to_owned())
    )));
    let rows: Vec<String> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| row.unwrap().to_string())
        .collect();
    assert!(
        rows[0].contains("order_id: \"o-1\"") && rows[0].contains("state: \"confirmed\""),
        "{rows:?}"
    );
    let files: Vec<String> = std::fs::read_dir(folder.join("orders"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "no partial file is left: {files:?}");
}

#[test]
fn quality_rules_count_the_rows_that_break_them() {
    let contract = Contract::parse(ORDERS).unwrap();
    let table = contract.table("orders").unwrap();
    let rows = vec![
        order("o-1", "confirmed", 1),
        order("o-1", "confirmed", 2),
        order("o-3", "lost", 3),
    ];
    let measured = measure(table, &rows);
    assert_eq!(
        measured.violations,
        [
            ("duplicateCount", "order_id".to_owned(), 1),
            ("validValues", "state".to_owned(), 1)
        ]
    );
    assert_eq!(measured.newest, Some(3));
}

#[test]
fn rows_the_contract_cannot_hold_are_refused_by_name() {
    let contract = Contract::parse(ORDERS).unwrap();
    let table = contract.table("orders").unwrap();
    let mut null_state = order("o-1", "confirmed", 1);
    null_state[1] = Value::Null;
    let mut text_total = order("o-1", "confirmed", 1);
    text_total[2] = Value::Text("12.99".to_owned());
    let cases = [
        (
            vec![null_state],
            "orders.state: row 0 is null, and the contract requires a value",
        ),
        (
            vec![text_total],
            "orders.total_minor: row 0 holds Text(\"12.99\"), not integer",
        ),
        (
            vec![vec![Value::Null]],
            "orders: row 0 has 1 values for 7 columns",
        ),
    ];
    for (rows, says) in cases {
        let error =
            data_products::parquet_file::write(&contract, table, &rows, Vec::new()).unwrap_err();
        assert!(format!("{error:#}").contains(says), "{error:#}");
    }
}

struct Broken;

impl Source for Broken {
    async fn rows(&self, _table: &str) -> anyhow::Result<Vec<Vec<Value>>> {
        let mut row = order("o-1", "confirmed", 1);
        row[4] = Value::Null;
        Ok(vec![row])
    }
}

#[tokio::test]
async fn an_export_the_contract_refuses_names_the_cell_and_leaves_no_file_behind() {
    let folder = test_support::scratch_dir("export-refused");
    let exporter = Exporter::new(ORDERS, &folder).unwrap();
    let refused = exporter.export(&Broken, 1).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("orders.country: row 0 is null"),
        "{refused:#}"
    );
    let left: Vec<_> = std::fs::read_dir(folder.join("orders"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
