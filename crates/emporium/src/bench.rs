//! `emporium bench`: the published comparisons in one go, written as one Markdown document
//! (`table.rs`). It starts the shops itself from this binary, on loopback ports with their data
//! in a folder of their own (`shop.rs`), and loads them with a closed loop of its own
//! (`measure.rs`), so it needs neither wrk nor hey:
//!
//! - the product read, the whole shop in one process against `bare-read` (axum serving the same
//!   JSON from memory, built beside this binary) and against a process per service;
//! - the storefront's product page, one process against a process per service;
//! - checkout throughput against the durable writes a second this disk allows;
//! - the product read with telemetry as shipped against telemetry off;
//! - the memory of the shop in one process and in a process per service;
//! - functions (`functions.rs`): an invocation on a fresh instance, invocations a second, a
//!   native process per invocation, and what an edge function adds to a request;
//! - webhooks (`webhooks.rs`): deliveries a second to a receiver on loopback, and none lost
//!   across a restart.
//! - embeddings (`embeddings.rs`): OpenAI's `/v1/embeddings`, a text alone and texts a second,
//!   with batching and without, against the model alone;
//! - the LLM gateway (`llm.rs`): what it adds over calling the provider directly, and a cache
//!   hit; the local model (`local_llm.rs`): its load, prompt and answer speeds, its memory.
//!
//! Each comparison runs at one connection (what a request costs alone) and at saturation, with
//! both edge caches off so that every request does its whole work. Ratios come from runs of the
//! same invocation, made one after the other, because this machine's timings drift from one
//! session to the next. A process per service needs NATS (`--nats`); without it those rows are
//! skipped, as are the bare-axum rows without `bare-read`, and the document says so.

mod embeddings;
mod functions;
mod llm;
mod local_llm;
mod measure;
mod shop;
pub mod table;
mod webhooks;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderValue, SET_COOKIE};

use self::measure::Target;
use self::shop::Shop;
use self::table::{Request, Results, Run, SATURATION, Setup};
use crate::load::LoadArgs;

/// What to measure and where to write it.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// How long each run lasts, in seconds (1 to 120), after a second of warm-up.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Write the Markdown to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Run one part only.
    #[arg(long, value_enum)]
    pub only: Option<Part>,
    /// A NATS server with JetStream, for the shop as a process per service; without one, those
    /// rows are skipped.
    #[arg(long, value_name = "URL", env = "EMPORIUM_TEST_NATS_URL")]
    pub nats: Option<String>,
    /// Where to make the folder for the shops' data (removed at the end); the fsync probe
    /// measures its disk. Default: the system's temporary folder.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A part of the bench, for `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// The product read: one process, a process per service, bare axum.
    Read,
    /// The storefront's product page: one process, a process per service.
    Page,
    /// Checkouts against the fsyncs a second of this disk.
    Checkout,
    /// The product read with telemetry as shipped and off.
    Telemetry,
    /// Functions: fresh instances, invocations a second, a process per invocation, the edge.
    Functions,
    /// Webhooks: deliveries a second, and none lost across a restart.
    Webhooks,
    /// Embeddings: a text alone, texts a second with batching and without, the model alone.
    Embeddings,
    /// The LLM gateway: what it adds over the provider directly, and a cache hit.
    Llm,
    /// The local model: its load, prompt and answer speeds, and its memory.
    LocalLlm,
}

/// The most seconds a run may last: a whole bench is about a dozen runs.
const MAX_SECONDS: u64 = 120;
/// The untimed load before each run: connections opened, caches and pools warm.
const WARM_UP: Duration = Duration::from_secs(1);
/// How long the fsync probe runs.
const FSYNC_PROBE: Duration = Duration::from_secs(2);
/// The buyers of the checkout run, as in the published figures.
const CHECKOUT_BUYERS: usize = 16;

/// Runs the parts asked for and writes the document to `--out` or standard output. Ctrl-C or
/// SIGTERM stops the shops and ends it.
pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=MAX_SECONDS).contains(&args.seconds),
        "--seconds: 1 to {MAX_SECONDS}"
    );
    let shutdown = platform::Shutdown::new();
    shutdown.trigger_on_signals();
    // Dropping the unfinished bench drops its shops, which kills their processes.
    let document = tokio::select! {
        document = measure_all(args) => document?,
        () = shutdown.wait() => anyhow::bail!("interrupted; the shops were stopped"),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, document.as_bytes())
                .with_context(|| format!("write {}", path.display()))?;
            eprintln!("bench: wrote {}", path.display());
        }
        None => print!("{document}"),
    }
    Ok(())
}

async fn measure_all(args: &BenchArgs) -> anyhow::Result<String> {
    let binary = std::env::current_exe().context("find this executable")?;
    let scratch = Scratch::create(args.dir.as_deref())?;
    let (ticks_per_second, ticks_read) = measure::clock_ticks();
    let bare_read = binary.with_file_name(format!("bare-read{}", std::env::consts::EXE_SUFFIX));
    let mut bench = Bench {
        args,
        bare_read: bare_read.is_file().then_some(bare_read),
        binary,
        folder: scratch.0.clone(),
        ticks_per_second,
        results: Results::default(),
    };
    bench.describe_the_method(ticks_read);
    if [Part::Read, Part::Page, Part::Checkout]
        .into_iter()
        .any(|part| bench.wants(part))
    {
        bench.one_process().await?;
    }
    if bench.wants(Part::Read) || bench.wants(Part::Page) {
        bench.distributed().await?;
    }
    if bench.wants(Part::Telemetry) {
        bench.telemetry().await?;
    }
    let functions = match bench.wants(Part::Functions) {
        true => functions::markdown(&bench.functions().await?),
        false => String::new(),
    };
    let webhooks = match bench.wants(Part::Webhooks) {
        true => {
            eprintln!("bench: webhooks to a receiver on loopback");
            let events = (1_000 * args.seconds as usize).clamp(2_000, 20_000);
            webhooks::markdown(&webhooks::figures(&bench.folder.join("webhooks"), events).await?)
        }
        false => String::new(),
    };
    let embeddings = match bench.wants(Part::Embeddings) {
        true => embeddings::markdown(&bench.embeddings().await?),
        false => String::new(),
    };
    let llm = match bench.wants(Part::Llm) {
        true => llm::markdown(&bench.llm().await?),
        false => String::new(),
    };
    let local_llm = match bench.wants(Part::LocalLlm) {
        true => local_llm::markdown(local_llm::figures().await?.as_ref()),
        false => String::new(),
    };
    let header = measure::header(args.seconds, WARM_UP.as_secs());
    let sections = [functions, webhooks, embeddings, llm, local_llm].concat();
    Ok(table::markdown(&header, &bench.results) + &sections)
}

/// One invocation: what it was asked, where things are, and what it has measured so far.
struct Bench<'a> {
    args: &'a BenchArgs,
    binary: PathBuf,
    bare_read: Option<PathBuf>,
    folder: PathBuf,
    ticks_per_second: u64,
    results: Results,
}

impl Bench<'_> {
    fn wants(&self, part: Part) -> bool {
        self.args.only.is_none_or(|only| only == part)
    }

    fn describe_the_method(&mut self, ticks_read: bool) {
        let bare_read_missing = self.bare_read.is_none() && self.wants(Part::Read);
        let notes = &mut self.results.notes;
        notes.push(format!(
            "One process: `{} up`, logs at `warn`, traces and metrics on. A process per service: \
             `emporium serve <service>` each, gRPC between them over mutual TLS, events on NATS, \
             a SQLite file per service, logs at `warn`. Edge caches off in both \
             (`gateway.product_cache_ttl_ms=0`, `gateway.storefront.product_cache_ms=0`).",
            self.binary.display()
        ));
        notes.push(
            "The product read carries a signed-up shopper's bearer token, which the gateway \
             verifies (bare axum ignores it); the product page, a returning visitor's session \
             cookie. Both are of the catalog's first product."
                .to_owned(),
        );
        notes.push(
            "CPU per request: the user and system time of the shop's processes \
             (`/proc/<pid>/stat`) over the timed run, divided by the answered requests. The load \
             generator's own CPU is not counted, but it runs on the same cores."
                .to_owned(),
        );
        if !ticks_read {
            notes.push(
                "`getconf CLK_TCK` could not be read: CPU assumes 100 ticks a second.".to_owned(),
            );
        }
        if self
            .binary
            .components()
            .any(|part| part.as_os_str() == "debug")
        {
            notes.push(
                "**This is a debug build**: its figures say little. Build with `cargo build \
                 --release -p emporium -p bare-read`."
                    .to_owned(),
            );
        }
        if bare_read_missing {
            notes.push(format!(
                "The bare-axum rows were skipped: no `bare-read` beside {}. Build it with \
                 `cargo build --release -p bare-read`.",
                self.binary.display()
            ));
        }
    }

    /// The shop in one process: the fsync probe first (on a quiet machine), then the reads
    /// (beside bare axum), the pages, its memory, and the checkouts last, since they change the
    /// data.
    async fn one_process(&mut self) -> anyhow::Result<()> {
        if self.wants(Part::Checkout) {
            let folder = self.folder.clone();
            let fsyncs = tokio::task::spawn_blocking(move || {
                measure::fsyncs_per_second(&folder, FSYNC_PROBE)
            })
            .await
            .context("join the fsync probe")??;
            self.results.fsyncs_per_second = Some(fsyncs);
        }
        eprintln!("bench: starting the shop in one process");
        let folder = self.folder.join("one-process");
        let shop = shop::one_process(&self.binary, &folder, &shop::LOGS_AT_WARN).await?;
        if self.wants(Part::Read) || self.wants(Part::Page) {
            let visitor = Visitor::meet(&shop.base).await?;
            if self.wants(Part::Read) {
                self.reads(&shop, Setup::OneProcess, &visitor).await?;
            }
            if self.wants(Part::Page) {
                self.pages(&shop, Setup::OneProcess, &visitor).await?;
            }
            self.results.memory_one_process_mb = measure::resident_mb(&shop.pids());
        }
        if self.wants(Part::Checkout) {
            self.checkout(&shop).await?;
        }
        Ok(())
    }

    /// The shop as a process per service, when there is a NATS server for its events.
    async fn distributed(&mut self) -> anyhow::Result<()> {
        let Some(nats) = self.args.nats.clone().filter(|url| !url.trim().is_empty()) else {
            self.results.notes.push(
                "The rows of a process per service were skipped: they need NATS with JetStream \
                 (`--nats nats://127.0.0.1:4222`, or `EMPORIUM_TEST_NATS_URL`)."
                    .to_owned(),
            );
            return Ok(());
        };
        eprintln!("bench: starting a process per service, events on NATS");
        let shop = shop::distributed(&self.binary, &self.folder.join("processes"), &nats).await?;
        let setup = Setup::Processes(shop.pids().len());
        let visitor = Visitor::meet(&shop.base).await?;
        if self.wants(Part::Read) {
            self.reads(&shop, setup, &visitor).await?;
        }
        if self.wants(Part::Page) {
            self.pages(&shop, setup, &visitor).await?;
        }
        let pids = shop.pids();
        self.results.memory_processes_mb =
            measure::resident_mb(&pids).map(|megabytes| (pids.len(), megabytes));
        self.results.notes.push(
            "The NATS server is not counted in the CPU and memory of the processes.".to_owned(),
        );
        let namespace = shop.bus_namespace.clone().unwrap_or_default();
        drop(shop);
        // The run's streams go with it, so that benches do not fill the server.
        platform::bus::nats::JetStreamBus::connect_in(&nats, &namespace)
            .await
            .context("connect to NATS to delete the run's streams")?
            .delete_namespace()
            .await
            .context("delete the run's streams")?;
        Ok(())
    }

    /// The product read at one connection and at saturation; beside the shop in one process,
    /// bare axum serving the JSON that shop answered, run by run in turn.
    async fn reads(&mut self, shop: &Shop, setup: Setup, visitor: &Visitor) -> anyhow::Result<()> {
        let bare = match (&self.bare_read, setup) {
            (Some(binary), Setup::OneProcess) => {
                let product = self.folder.join("product.json");
                std::fs::write(&product, &visitor.product)
                    .with_context(|| format!("write {}", product.display()))?;
                Some(shop::bare_read(binary, &self.folder, &product).await?)
            }
            _ => None,
        };
        let read = visitor.product_read(&shop.base)?;
        for connections in [1, SATURATION] {
            self.record(
                Request::ProductRead,
                setup,
                &read,
                &shop.pids(),
                connections,
            )
            .await?;
            if let Some(bare) = &bare {
                let bare_read = visitor.product_read(&bare.base)?;
                self.record(
                    Request::ProductRead,
                    Setup::BareAxum,
                    &bare_read,
                    &bare.pids(),
                    connections,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The storefront's product page at one connection and at saturation.
    async fn pages(&mut self, shop: &Shop, setup: Setup, visitor: &Visitor) -> anyhow::Result<()> {
        let page = visitor.product_page(&shop.base).await?;
        for connections in [1, SATURATION] {
            self.record(
                Request::ProductPage,
                setup,
                &page,
                &shop.pids(),
                connections,
            )
            .await?;
        }
        Ok(())
    }

    /// `emporium load`'s checkout scenario against the shop in one process.
    async fn checkout(&mut self, shop: &Shop) -> anyhow::Result<()> {
        let seconds = self.args.seconds;
        eprintln!("bench: checkouts, one process, {CHECKOUT_BUYERS} buyers for {seconds} s");
        let load = LoadArgs {
            url: shop.base.clone(),
            concurrency: CHECKOUT_BUYERS,
            seconds,
            ..LoadArgs::default()
        };
        let report = crate::load::run(&load).await.context("run the checkouts")?;
        self.results.runs.push(Run {
            request: Request::Checkout,
            setup: Setup::OneProcess,
            connections: CHECKOUT_BUYERS,
            requests: report.confirmed as u64,
            errors: (report.failed + report.errors) as u64,
            elapsed: report.elapsed,
            p50_micros: measure::micros(report.percentile(50.0)),
            p99_micros: measure::micros(report.percentile(99.0)),
            cpu_ms_per_request: None,
        });
        self.results.notes.push(format!(
            "Checkouts: `emporium load` with {CHECKOUT_BUYERS} buyers, each filling its cart and \
             checking out in a loop for {seconds} s: {} confirmed, {} failed, {} errors; p50 and \
             p99 are of the checkout request, and its CPU is not counted (the buyers' sign-ups \
             hash passwords in the same process). The commit ceiling: 4 KiB overwritten and \
             `fdatasync`ed in a loop for {} s in the bench's folder. A checkout waits for about \
             a dozen durable commits, which group commit lets concurrent checkouts share.",
            report.confirmed,
            report.failed,
            report.errors,
            FSYNC_PROBE.as_secs()
        ));
        Ok(())
    }

    /// The product read at saturation from two fresh starts of the shop in one process: with
    /// telemetry as shipped, then with spans off and logs at `warn`.
    async fn telemetry(&mut self) -> anyhow::Result<()> {
        let starts = [
            (Setup::TelemetryAsShipped, "telemetry-as-shipped"),
            (Setup::TelemetryOff, "telemetry-off"),
        ];
        for (setup, folder) in starts {
            let settings: &[(&str, &str)] = match setup {
                Setup::TelemetryOff => &shop::TELEMETRY_OFF,
                _ => &[],
            };
            eprintln!("bench: starting the shop in {}", setup.label());
            let shop = shop::one_process(&self.binary, &self.folder.join(folder), settings).await?;
            let visitor = Visitor::meet(&shop.base).await?;
            let read = visitor.product_read(&shop.base)?;
            self.record(Request::ProductRead, setup, &read, &shop.pids(), SATURATION)
                .await?;
        }
        self.results.notes.push(
            "Telemetry as shipped: logs (JSON, to a file) and spans at `info`, metrics on, the \
             spans of at most 100 new traces a second kept (`telemetry.traces_per_second`). Off: \
             `telemetry.trace_filter=off` and `telemetry.log_filter=warn`, metrics still on. \
             Each from a fresh start of its own."
                .to_owned(),
        );
        Ok(())
    }

    /// Warms up, runs one closed loop and keeps what it saw.
    async fn record(
        &mut self,
        request: Request,
        setup: Setup,
        target: &Target,
        pids: &[u32],
        connections: usize,
    ) -> anyhow::Result<()> {
        let seconds = self.args.seconds;
        let label = format!(
            "{}, {}, {connections} connection(s)",
            request.label(),
            setup.label()
        );
        eprintln!("bench: {label} for {seconds} s");
        let timing = (WARM_UP, Duration::from_secs(seconds));
        let sample =
            measure::closed_loop(target, connections, timing, pids, self.ticks_per_second).await?;
        if let Some(error) = &sample.first_error {
            eprintln!(
                "bench:   {} requests failed, the first: {error}",
                sample.errors
            );
        }
        anyhow::ensure!(
            sample.requests > 0,
            "{label}: no request was answered; the first error: {}",
            sample.first_error.as_deref().unwrap_or("none")
        );
        self.results.runs.push(Run {
            request,
            setup,
            connections,
            requests: sample.requests,
            errors: sample.errors,
            elapsed: sample.elapsed,
            p50_micros: sample.p50_micros,
            p99_micros: sample.p99_micros,
            cpu_ms_per_request: sample.cpu_ms_per_request,
        });
        Ok(())
    }
}

/// A shopper of the shop under test: their token (valid 15 minutes, longer than the runs that
/// use it at `--seconds 120`), the product they look at, and its JSON as the shop answers it.
struct Visitor {
    token: String,
    sku: String,
    product: Vec<u8>,
}

impl Visitor {
    /// Signs a shopper up at `base` and picks the catalog's first product.
    async fn meet(base: &str) -> anyhow::Result<Visitor> {
        let http = client()?;
        let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
        let token = crate::load::sign_up(&http, base, &email)
            .await
            .context("sign a shopper up")?;
        let page: serde_json::Value = http
            .get(format!("{base}/api/v1/products?page_size=1"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("list the products")?
            .json()
            .await
            .context("read the list of products")?;
        let sku = page["products"][0]["sku"]
            .as_str()
            .context("find a product in the list of products")?
            .to_owned();
        let product = http
            .get(format!("{base}/api/v1/products/{sku}"))
            .bearer_auth(&token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("read a product")?
            .bytes()
            .await
            .context("read a product's JSON")?
            .to_vec();
        Ok(Visitor {
            token,
            sku,
            product,
        })
    }

    /// `GET /api/v1/products/{sku}` with the shopper's token.
    fn product_read(&self, base: &str) -> anyhow::Result<Target> {
        let mut headers = HeaderMap::new();
        let authorization = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .context("put the token in a header")?;
        headers.insert(AUTHORIZATION, authorization);
        Ok(Target {
            url: format!("{base}/api/v1/products/{}", self.sku),
            headers,
            body: None,
        })
    }

    /// `GET /p/{sku}` with the session cookie the first visit to it was given, as a returning
    /// visitor's browser sends it.
    async fn product_page(&self, base: &str) -> anyhow::Result<Target> {
        let url = format!("{base}/p/{}", self.sku);
        let first = client()?
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("open the product page")?;
        let cookies: Vec<&str> = first
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|cookie| cookie.split(';').next())
            .collect();
        anyhow::ensure!(
            !cookies.is_empty(),
            "open the product page: no session cookie was set"
        );
        let mut headers = HeaderMap::new();
        let cookie = HeaderValue::from_str(&cookies.join("; "))
            .context("put the session cookie in a header")?;
        headers.insert(COOKIE, cookie);
        Ok(Target {
            url,
            headers,
            body: None,
        })
    }
}

/// A client for the few requests that set a run up.
fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .context("build an HTTP client")
}

/// The bench's folder, removed with everything in it when dropped.
struct Scratch(PathBuf);

impl Scratch {
    /// A new folder in `parent`, or in the system's temporary folder.
    fn create(parent: Option<&Path>) -> anyhow::Result<Scratch> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let folder = parent.join(format!("emporium-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&folder).with_context(|| format!("create {}", folder.display()))?;
        Ok(Scratch(folder))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
