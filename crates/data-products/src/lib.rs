//! Domain data products (data mesh): each domain that owns data others analyse publishes it as a
//! product with a contract in the Open Data Contract Standard (v3.0.2), kept beside its code in
//! `crates/<service>/contracts/`. This crate reads the part of a contract the shop acts on
//! (`contract`), decides whether a change to one breaks what was published (`compat`: a change
//! that breaks needs a new major version), and exports a product's tables as Parquet files whose
//! schema is the contract's, measuring its quality rules and freshness as it goes (`export`).

pub mod compat;
pub mod contract;
pub mod export;
pub mod parquet_file;

pub use crate::compat::{breaking_changes, check};
pub use crate::contract::{Column, Contract, LogicalType, Table};
pub use crate::export::{Exporter, Measured, Source};
pub use crate::parquet_file::Value;
