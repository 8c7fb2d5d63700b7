//! The functions' figures: an invocation on a fresh instance (the "cold start" of this design),
//! invocations a second, the same work as a native process per invocation (the CGI way), and
//! what an edge function adds to a request through the shop.
//!
//! The sandbox runs in this process, on the example guests compiled into the binary; the edge
//! is measured on the shop in one process, with the function deployed by `emporium fn`.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use hdrhistogram::Histogram;

/// The example guests the figures are taken with.
const REDIRECT: &[u8] = include_bytes!("../../../../guests/wasm/redirect.wasm");
const AB_TEST: &[u8] = include_bytes!("../../../../guests/wasm/ab-test.wasm");
/// A request as an edge function sees it.
const INPUT: &[u8] = br#"{"trigger":"edge","phase":"before","now":1765000000,"request":{"method":"GET","path":"/kitchen","query":"","client_ip":"127.0.0.1","headers":{"user-agent":"bench"}}}"#;
/// Tasks invoking at once for the throughput.
const TASKS: usize = 8;

/// What was measured.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub fresh_p50_micros: f64,
    pub fresh_p99_micros: f64,
    pub per_second: f64,
    pub process_p50_micros: f64,
    pub process_p99_micros: f64,
    pub process_per_second: f64,
    /// `GET /livez` at one connection, p50 in µs: without and with an edge function,
    /// alternately, three times each.
    pub edge_without_micros: Vec<u64>,
    /// The same with the A/B test deployed before it.
    pub edge_with_micros: Vec<u64>,
}

#[derive(Default)]
struct NoState(Mutex<HashMap<String, Vec<u8>>>);

impl sandbox::KeyValue for NoState {
    fn get(
        &self,
        function: &str,
        key: &str,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let value = self
            .0
            .lock()
            .map_err(|_| "poisoned".to_owned())
            .map(|values| values.get(&format!("{function}/{key}")).cloned());
        Box::pin(async move { value })
    }

    fn set(
        &self,
        function: &str,
        key: &str,
        value: Vec<u8>,
    ) -> BoxFuture<'static, Result<(), String>> {
        if let Ok(mut values) = self.0.lock() {
            values.insert(format!("{function}/{key}"), value);
        }
        Box::pin(async { Ok(()) })
    }
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("make a histogram")
}

/// The sandbox's figures against a process per invocation, each for `duration`.
pub async fn sandbox_figures(duration: Duration) -> anyhow::Result<Figures> {
    let runtime = sandbox::Runtime::new(64, Arc::new(NoState::default()))?;
    let limits = sandbox::Limits::default();
    let redirect = runtime
        .compile(
            "redirect",
            REDIRECT.to_vec(),
            limits,
            sandbox::Grants::default(),
        )
        .await?;
    let mut latencies = histogram()?;
    let started = Instant::now();
    while started.elapsed() < duration {
        let began = Instant::now();
        let invocation = runtime.invoke(&redirect, INPUT).await;
        invocation
            .result
            .map_err(|fault| anyhow::anyhow!("the redirect failed: {fault}"))?;
        latencies.record(began.elapsed().as_nanos() as u64 / 100)?;
    }
    let per_second = throughput(&runtime, &redirect, duration).await?;
    let (process_p50, process_p99, process_per_second) =
        processes(duration.min(Duration::from_secs(3))).await?;
    Ok(Figures {
        fresh_p50_micros: latencies.value_at_quantile(0.5) as f64 / 10.0,
        fresh_p99_micros: latencies.value_at_quantile(0.99) as f64 / 10.0,
        per_second,
        process_p50_micros: process_p50,
        process_p99_micros: process_p99,
        process_per_second,
        ..Figures::default()
    })
}

/// Invocations a second with `TASKS` tasks invoking at once.
async fn throughput(
    runtime: &sandbox::Runtime,
    function: &sandbox::Compiled,
    duration: Duration,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let tasks = (0..TASKS).map(|_| {
        let (runtime, function) = (runtime.clone(), function.clone());
        tokio::spawn(async move {
            let mut done = 0u64;
            while started.elapsed() < duration {
                if runtime.invoke(&function, INPUT).await.result.is_ok() {
                    done += 1;
                }
            }
            done
        })
    });
    let mut total = 0;
    for task in tasks.collect::<Vec<_>>() {
        total += task.await.context("join an invoking task")?;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// The same input handed to a native process per invocation (`cat`, which answers it back):
/// latency one after the other, then the rate with `TASKS` at once.
async fn processes(duration: Duration) -> anyhow::Result<(f64, f64, f64)> {
    tokio::task::spawn_blocking(move || {
        let mut latencies = histogram()?;
        let started = Instant::now();
        while started.elapsed() < duration {
            let began = Instant::now();
            one_process()?;
            latencies.record(began.elapsed().as_nanos() as u64 / 100)?;
        }
        let started = Instant::now();
        let threads: Vec<_> = (0..TASKS)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut done = 0u64;
                    while started.elapsed() < duration {
                        done += u64::from(one_process().is_ok());
                    }
                    done
                })
            })
            .collect();
        let total: u64 = threads
            .into_iter()
            .map(|thread| thread.join().unwrap_or(0))
            .sum();
        let rate = total as f64 / started.elapsed().as_secs_f64();
        Ok((
            latencies.value_at_quantile(0.5) as f64 / 10.0,
            latencies.value_at_quantile(0.99) as f64 / 10.0,
            rate,
        ))
    })
    .await
    .context("join the process runs")?
}

fn one_process() -> anyhow::Result<()> {
    let mut child = std::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("start cat")?;
    child
        .stdin
        .take()
        .context("cat's input")?
        .write_all(INPUT)?;
    let output = child.wait_with_output()?;
    anyhow::ensure!(output.stdout == INPUT, "cat answered something else");
    Ok(())
}

/// `GET /livez` at one connection without and with an edge function before it,
/// alternately, on the shop at `base` whose data is in `data_dir`.
pub async fn edge_figures(
    binary: &Path,
    data_dir: &Path,
    base: &str,
    mut measure: impl FnMut(super::measure::Target) -> BoxFuture<'static, anyhow::Result<u64>>,
) -> anyhow::Result<(Vec<u64>, Vec<u64>)> {
    let module = data_dir.join("ab-test.wasm");
    std::fs::write(&module, AB_TEST).with_context(|| format!("write {}", module.display()))?;
    let mut headers = reqwest::header::HeaderMap::new();
    // A returning shopper: the function passes the request on, adding a header.
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_static("emporium_ab=A"),
    );
    let target = super::measure::Target {
        url: format!("{base}/livez"),
        headers,
        body: None,
    };
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        without.push(measure(target.clone()).await?);
        deploy(binary, data_dir, base, &module, "before:/livez")?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        with.push(measure(target.clone()).await?);
        deploy(binary, data_dir, base, &module, "before:/nothing-here")?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    Ok((without, with))
}

/// `emporium fn deploy ab <module> --edge <edge>` on the shop.
fn deploy(
    binary: &Path,
    data_dir: &Path,
    base: &str,
    module: &Path,
    edge: &str,
) -> anyhow::Result<()> {
    let output = std::process::Command::new(binary)
        .env("EMPORIUM_DATA_DIR", data_dir)
        .args(["fn", "--url", base, "deploy", "ab"])
        .arg(module)
        .args(["--edge", edge])
        .output()
        .context("run emporium fn deploy")?;
    anyhow::ensure!(
        output.status.success(),
        "emporium fn deploy: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// The functions' section of the document.
pub fn markdown(figures: &Figures) -> String {
    let median = |values: &[u64]| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default() as f64
    };
    let added = median(&figures.edge_with_micros) - median(&figures.edge_without_micros);
    let met = |ok: bool| if ok { "**met**" } else { "not met" };
    let ratio = figures.process_p50_micros / figures.fresh_p50_micros.max(0.001);
    let mut out = String::from("\n## Functions\n\n| measure | figure | target |\n|---|---|---|\n");
    out.push_str(&format!("| an invocation on a fresh instance (redirect.wasm), p50 / p99 | {:.1} / {:.1} µs | p99 ≤ 100 µs: {} |\n", figures.fresh_p50_micros, figures.fresh_p99_micros, met(figures.fresh_p99_micros <= 100.0)));
    out.push_str(&format!(
        "| invocations a second, {TASKS} tasks | {:.0} | ≥ 20,000: {} |\n",
        figures.per_second,
        met(figures.per_second >= 20_000.0)
    ));
    out.push_str(&format!("| a native process per invocation (`cat`), p50 / p99; a second, {TASKS} at once | {:.0} / {:.0} µs; {:.0} | |\n", figures.process_p50_micros, figures.process_p99_micros, figures.process_per_second));
    out.push_str(&format!(
        "| process ÷ fresh instance, p50 | {ratio:.0}x | ≥ 50x: {} |\n",
        met(ratio >= 50.0)
    ));
    out.push_str(&format!(
        "| `GET /livez`, 1 connection, p50 without / with an edge function (ab-test) | {:?} / {:?} µs | |\n",
        figures.edge_without_micros, figures.edge_with_micros
    ));
    out.push_str(&format!(
        "| what the edge function adds, p50 (medians) | {added:.0} µs | ≤ 50 µs: {} |\n",
        met(added <= 50.0)
    ));
    out
}

impl super::Bench<'_> {
    /// The functions' figures: the sandbox in this process, then the edge on a shop of its own.
    pub(super) async fn functions(&mut self) -> anyhow::Result<Figures> {
        let duration = Duration::from_secs(self.args.seconds);
        eprintln!("bench: functions, fresh instances and processes per invocation");
        let mut figures = sandbox_figures(duration).await?;
        eprintln!("bench: functions at the edge of the shop in one process");
        let folder = self.folder.join("functions");
        let shop =
            super::shop::one_process(&self.binary, &folder, &super::shop::LOGS_AT_WARN).await?;
        let (pids, ticks) = (shop.pids(), self.ticks_per_second);
        let measure =
            move |target: super::measure::Target| -> BoxFuture<'static, anyhow::Result<u64>> {
                let pids = pids.clone();
                Box::pin(async move {
                    let sample = super::measure::closed_loop(
                        &target,
                        1,
                        (super::WARM_UP, duration),
                        &pids,
                        ticks,
                    )
                    .await?;
                    anyhow::ensure!(
                        sample.errors == 0,
                        "the liveness check failed: {:?}",
                        sample.first_error
                    );
                    Ok(sample.p50_micros)
                })
            };
        let (without, with) =
            edge_figures(&self.binary, &folder.join("data"), &shop.base, measure).await?;
        figures.edge_without_micros = without;
        figures.edge_with_micros = with;
        Ok(figures)
    }
}
