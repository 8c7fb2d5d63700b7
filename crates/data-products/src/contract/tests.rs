//! The contract model read from the orders contract, what it refuses, and which changes need a
//! new major version.

use super::*;
use crate::compat::{breaking_changes, check};

const ORDERS: &str = include_str!("../../../orders/contracts/orders.odcs.yaml");

fn orders() -> Contract {
    Contract::parse(ORDERS).unwrap()
}

/// The orders contract with `from` replaced by `to` once (which must be there).
fn edited(from: &str, to: &str) -> Contract {
    assert!(ORDERS.contains(from), "the contract holds {from:?}");
    Contract::parse(&ORDERS.replacen(from, to, 1)).unwrap()
}

#[test]
fn a_contract_reads_as_tables_of_typed_columns() {
    let contract = orders();
    assert_eq!(contract.id, "urn:emporium:orders:orders");
    assert_eq!(
        (contract.version, contract.status.as_str()),
        ((1, 0, 1), "active")
    );
    let lines = contract.table("order_lines").unwrap();
    let key: Vec<&str> = lines
        .columns
        .iter()
        .filter(|column| column.primary_key)
        .map(|column| column.name.as_str())
        .collect();
    assert_eq!(key, ["order_id", "sku"]);
    let orders = contract.table("orders").unwrap();
    let created = orders
        .columns
        .iter()
        .find(|c| c.name == "created_at")
        .unwrap();
    assert_eq!(created.logical_type, LogicalType::Timestamp);
    let state = orders.columns.iter().find(|c| c.name == "state").unwrap();
    assert!(state.valid_values.contains(&"confirmed".to_owned()));
}

#[test]
fn what_the_exports_cannot_write_is_refused_by_name() {
    let refusals = [
        (
            "version: 1.0.1",
            "version: 1.0",
            "version `1.0` is not MAJOR.MINOR.PATCH",
        ),
        (
            "apiVersion: v3.0.2",
            "apiVersion: v2.2.2",
            "the shop reads ODCS v3",
        ),
        (
            "logicalType: integer\n        physicalType: INT64\n        description: What the shopper pays",
            "logicalType: array\n        physicalType: INT64\n        description: What the shopper pays",
            "schema.orders.total_minor: logicalType array",
        ),
    ];
    for (from, to, says) in refusals {
        let error = Contract::parse(&ORDERS.replacen(from, to, 1)).unwrap_err();
        assert!(error.to_string().contains(says), "{error}");
    }
    assert!(Contract::parse("- a list").is_err());
}

#[test]
fn adding_or_tightening_breaks_no_one() {
    let added = edited(
        "      - name: country\n",
        "      - name: channel\n        logicalType: string\n        physicalType: STRING\n      - name: country\n",
    );
    assert_eq!(breaking_changes(&orders(), &added), Vec::<String>::new());
    let fewer = edited(", compensating, failed]", ", failed]");
    assert_eq!(breaking_changes(&orders(), &fewer), Vec::<String>::new());
    assert_eq!(check(&orders(), &added), Ok(()));
}

#[test]
fn a_breaking_change_needs_a_new_major_version() {
    let cases = [
        (
            "      - name: country\n",
            "      - name: destination\n",
            "orders.country was removed",
        ),
        (
            "logicalType: integer\n        physicalType: INT64\n        description: What the shopper pays",
            "logicalType: string\n        physicalType: STRING\n        description: What the shopper pays",
            "orders.total_minor changed type from integer to string",
        ),
        (
            "        description: The country it ships to, ISO 3166-1 alpha-2.\n        required: true",
            "        description: The country it ships to, ISO 3166-1 alpha-2.\n        required: false",
            "orders.country may now be null",
        ),
        (
            ", failed]",
            ", failed, lost]",
            "orders.state takes new values: lost",
        ),
        (
            "        primaryKey: true\n        primaryKeyPosition: 2\n",
            "",
            "order_lines: the key changed from (order_id, sku) to (order_id)",
        ),
    ];
    for (from, to, says) in cases {
        let proposed = edited(from, to);
        let refused = check(&orders(), &proposed).unwrap_err();
        assert!(refused.contains(says), "{refused}");
        assert!(refused.contains("without a new major version"), "{refused}");
        let major = Contract {
            version: (2, 0, 0),
            ..proposed
        };
        assert_eq!(check(&orders(), &major), Ok(()));
    }
    let older = Contract {
        version: (0, 9, 0),
        ..orders()
    };
    assert!(
        check(&orders(), &older)
            .unwrap_err()
            .contains("below the published 1.0.1")
    );
}
