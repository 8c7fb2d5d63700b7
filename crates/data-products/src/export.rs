//! A product's export: each table of its contract read from the owning service (`Source`),
//! measured against the contract's quality rules and for freshness, and written as
//! `<folder>/<product>/<table>.parquet` (to a temporary file first, then renamed, so a reader
//! never sees half a file). The figures go to the metrics the dashboards and alerts read.

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use metrics::{describe_counter, describe_gauge};

use crate::contract::{Contract, LogicalType, Table};
use crate::parquet_file::{self, Value};

/// Where a product's rows come from: its owning service, one table at a time, each row's values
/// in the order of the contract's columns.
pub trait Source: Send + Sync {
    fn rows(&self, table: &str) -> impl Future<Output = anyhow::Result<Vec<Vec<Value>>>> + Send;
}

/// What one table's export found.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub table: String,
    pub rows: usize,
    /// `(rule, column, rows that break it)`, for each rule broken at least once.
    pub violations: Vec<(&'static str, String, u64)>,
    /// The newest `updated_at` (or else any timestamp column), in Unix milliseconds.
    pub newest: Option<i64>,
}

/// Exports one contract's tables into a folder.
#[derive(Clone, Debug)]
pub struct Exporter {
    contract: Contract,
    folder: PathBuf,
}

impl Exporter {
    /// An exporter of the contract `yaml` into `folder`/<product>.
    pub fn new(yaml: &str, folder: impl Into<PathBuf>) -> anyhow::Result<Exporter> {
        describe();
        Ok(Exporter {
            contract: Contract::parse(yaml)?,
            folder: folder.into(),
        })
    }

    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The folder this product's files go to.
    pub fn product_folder(&self) -> PathBuf {
        self.folder.join(&self.contract.name)
    }

    /// Reads, measures and writes every table; `now_ms` is the time freshness is measured at.
    pub async fn export<S: Source>(
        &self,
        source: &S,
        now_ms: i64,
    ) -> anyhow::Result<Vec<Measured>> {
        let folder = self.product_folder();
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("make the export folder {}", folder.display()))?;
        let mut measured = Vec::new();
        for table in &self.contract.tables {
            let rows = source.rows(&table.name).await.with_context(|| {
                format!(
                    "read {}.{} from its service",
                    self.contract.name, table.name
                )
            })?;
            // Recorded before the file is written: rows the contract cannot hold (a null where
            // it requires a value) fail the write, and the figures say which.
            let report = measure(table, &rows);
            self.record(&report, now_ms);
            write_atomically(&folder.join(format!("{}.parquet", table.name)), |file| {
                parquet_file::write(&self.contract, table, &rows, file)
            })?;
            measured.push(report);
        }
        metrics::counter!("data_product_exports_total", "product" => self.contract.name.clone())
            .increment(1);
        metrics::gauge!("data_product_exported_at_seconds", "product" => self.contract.name.clone())
            .set(now_ms as f64 / 1000.0);
        Ok(measured)
    }

    /// Exports at once, then every `every`, until `stopped` completes; a failed export is logged
    /// and counted, and the next one tries again.
    pub async fn run_every<S: Source>(
        &self,
        source: &S,
        every: std::time::Duration,
        stopped: impl Future<Output = ()>,
    ) {
        let mut stopped = std::pin::pin!(stopped);
        loop {
            if let Err(error) = self.export(source, platform::unix_now_ms()).await {
                tracing::warn!(product = %self.contract.name, error = format!("{error:#}"), "the data product's export failed; the next one tries again");
                metrics::counter!("data_product_export_failures_total", "product" => self.contract.name.clone())
                    .increment(1);
            }
            tokio::select! {
                () = &mut stopped => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    fn record(&self, report: &Measured, now_ms: i64) {
        let (product, table) = (self.contract.name.clone(), report.table.clone());
        metrics::gauge!("data_product_rows", "product" => product.clone(), "table" => table.clone())
            .set(report.rows as f64);
        if let Some(newest) = report.newest {
            let age = (now_ms - newest).max(0) as f64 / 1000.0;
            metrics::gauge!("data_product_freshness_seconds", "product" => product.clone(), "table" => table.clone())
                .set(age);
        }
        for rule in ["duplicateCount", "validValues", "missingValues"] {
            let broken: u64 = report
                .violations
                .iter()
                .filter(|(name, _, _)| *name == rule)
                .map(|(_, _, count)| count)
                .sum();
            metrics::gauge!("data_product_quality_violations", "product" => product.clone(), "table" => table.clone(), "rule" => rule)
                .set(broken as f64);
        }
    }
}

/// The contract's quality rules over `rows`: duplicate keys (`duplicateCount`, uniqueness),
/// values outside the listed ones (`validValues`, conformity), nulls where a value is required
/// (`missingValues`, completeness); and the newest timestamp.
pub fn measure(table: &Table, rows: &[Vec<Value>]) -> Measured {
    let mut violations = Vec::new();
    let key: Vec<usize> = positions(table, |column| column.primary_key);
    if !key.is_empty() {
        let mut seen = HashSet::new();
        let repeated = rows
            .iter()
            .filter(|row| {
                !seen.insert(
                    key.iter()
                        .map(|at| format!("{:?}", row.get(*at)))
                        .collect::<Vec<_>>(),
                )
            })
            .count() as u64;
        let named: Vec<&str> = key
            .iter()
            .map(|at| table.columns[*at].name.as_str())
            .collect();
        if repeated > 0 {
            violations.push(("duplicateCount", named.join(","), repeated));
        }
    }
    for (at, column) in table.columns.iter().enumerate() {
        let cells = rows.iter().filter_map(|row| row.get(at));
        let (mut outside, mut nulls) = (0, 0);
        for cell in cells {
            match cell {
                Value::Null => nulls += 1,
                Value::Text(text)
                    if !column.valid_values.is_empty() && !column.valid_values.contains(text) =>
                {
                    outside += 1
                }
                _ => {}
            }
        }
        if outside > 0 {
            violations.push(("validValues", column.name.clone(), outside));
        }
        if nulls > 0 && column.required {
            violations.push(("missingValues", column.name.clone(), nulls));
        }
    }
    Measured {
        table: table.name.clone(),
        rows: rows.len(),
        violations,
        newest: newest(table, rows),
    }
}

fn positions(table: &Table, keep: impl Fn(&crate::contract::Column) -> bool) -> Vec<usize> {
    let kept = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, column)| keep(column));
    kept.map(|(at, _)| at).collect()
}

/// The newest value of `updated_at`, or of the timestamp columns when it has none.
fn newest(table: &Table, rows: &[Vec<Value>]) -> Option<i64> {
    let timestamps = positions(table, |column| {
        column.logical_type == LogicalType::Timestamp
    });
    let updated = positions(table, |column| column.name == "updated_at");
    let looked_at = if updated.is_empty() {
        timestamps
    } else {
        updated
    };
    rows.iter()
        .flat_map(|row| {
            looked_at.iter().filter_map(|at| match row.get(*at) {
                Some(Value::Timestamp(at)) => Some(*at),
                _ => None,
            })
        })
        .max()
}

/// Writes `path` through a temporary file beside it, renamed into place once whole.
/// The temporary file is this process's own (replicas may share the folder), flushed to disk
/// before the rename, and removed when the write fails.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = path.with_extension(format!("parquet.{}-{count}.partial", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .with_context(|| format!("create {}", partial.display()))
        .and_then(|mut file| {
            write(&mut file).with_context(|| format!("write {}", path.display()))?;
            file.sync_all()
                .with_context(|| format!("flush {}", partial.display()))
        })
        .and_then(|()| {
            std::fs::rename(&partial, path)
                .with_context(|| format!("move {} into place", path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// Describes the export's metrics once per process.
fn describe() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        describe_counter!("data_product_exports_total", "Exports of a data product written whole");
        describe_counter!(
            "data_product_export_failures_total",
            "Exports of a data product that failed (the next one tries again)"
        );
        describe_gauge!("data_product_exported_at_seconds", "When a data product was last exported, Unix seconds");
        describe_gauge!("data_product_rows", "Rows of a data product's table in its last export");
        describe_gauge!(
            "data_product_freshness_seconds",
            "Age of the newest row of a data product's table at its last export"
        );
        describe_gauge!(
            "data_product_quality_violations",
            "Rows of a data product's table that broke a quality rule of its contract at its last export"
        );
    });
}

/// `built` with the export of `contract` from `source` in its background, when the process
/// exports data products (`exports`); a service's plugin calls it once.
pub fn in_background<S: Source + 'static>(
    built: platform::registry::Built,
    exports: Option<&platform::registry::Exports>,
    contract: &str,
    source: S,
) -> anyhow::Result<platform::registry::Built> {
    let Some(exports) = exports.cloned() else {
        return Ok(built);
    };
    let exporter = Exporter::new(contract, &exports.dir)?;
    Ok(
        built.background(move |shutdown: platform::Shutdown| async move {
            exporter
                .run_every(&source, exports.every, shutdown.wait())
                .await;
        }),
    )
}
