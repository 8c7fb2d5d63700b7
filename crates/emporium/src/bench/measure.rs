//! How the bench measures: a closed loop of HTTP connections recording each answer's latency in
//! an HDR histogram; the shop's CPU time and memory from `/proc`; how many durable writes a
//! second the disk allows; and the facts about this machine the report opens with.

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use reqwest::header::HeaderMap;

use super::table::{self, Header};

/// The longest latency told apart, in microseconds (a minute); a longer one counts as a minute.
const HIGHEST_MICROS: u64 = 60_000_000;
/// How long a connection waits after a failed request before the next, so that a shop that
/// refuses connections is not hammered by a loop that fails in microseconds.
const PAUSE_AFTER_ERROR: Duration = Duration::from_millis(10);
/// The blocks the fsync probe overwrites in turn: 1 MiB, written and synced once first, so
/// that the timed syncs carry data and no change of the file's size.
const PROBE_BLOCKS: u64 = 256;
const PROBE_BLOCK_BYTES: usize = 4096;

/// One request, sent again and again: its URL and the headers that go with it; a `GET`, or a
/// `POST` of `body` as JSON.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
}

/// What a closed loop saw.
#[derive(Debug)]
pub struct Sample {
    /// Requests answered with success.
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50_micros: u64,
    pub p99_micros: u64,
    /// What the first failed request said.
    pub first_error: Option<String>,
    /// The CPU time of the processes watched, in ms per answered request; `None` when `/proc`
    /// could not be read.
    pub cpu_ms_per_request: Option<f64>,
}

/// Warms the target up for `warm_up` (untimed), then runs `connections` connections for
/// `duration`, each sending its next request as soon as the last is answered, and counts the
/// CPU time the processes `pids` spent meanwhile (`ticks_per_second` is the kernel's clock).
pub async fn closed_loop(
    target: &Target,
    connections: usize,
    (warm_up, duration): (Duration, Duration),
    pids: &[u32],
    ticks_per_second: u64,
) -> anyhow::Result<Sample> {
    run_connections(target, connections, warm_up).await?;
    let before = cpu_ticks_of(pids);
    let mut sample = run_connections(target, connections, duration).await?;
    let after = cpu_ticks_of(pids);
    sample.cpu_ms_per_request = match (before, after) {
        (Some(before), Some(after)) if sample.requests > 0 && ticks_per_second > 0 => Some(
            after.saturating_sub(before) as f64 * 1000.0
                / ticks_per_second as f64
                / sample.requests as f64,
        ),
        _ => None,
    };
    Ok(sample)
}

/// A connection's part of a run.
struct Tally {
    latencies: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn run_connections(
    target: &Target,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Sample> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        // A client of its own per connection, as wrk has: no pool shared between them.
        let client = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .default_headers(target.headers.clone())
            .build()
            .context("build an HTTP client")?;
        tasks.push(tokio::spawn(connection(client, target.clone(), deadline)));
    }
    let mut latencies = histogram()?;
    let (mut errors, mut first_error) = (0, None);
    for task in tasks {
        let tally = task.await.context("join a connection")??;
        latencies
            .add(&tally.latencies)
            .context("add a connection's latencies")?;
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    Ok(Sample {
        requests: latencies.len(),
        errors,
        elapsed: started.elapsed(),
        p50_micros: latencies.value_at_quantile(0.5),
        p99_micros: latencies.value_at_quantile(0.99),
        first_error,
        cpu_ms_per_request: None,
    })
}

async fn connection(
    client: reqwest::Client,
    target: Target,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let url = target.url.as_str();
    let mut tally = Tally {
        latencies: histogram()?,
        errors: 0,
        first_error: None,
    };
    while Instant::now() < deadline {
        let started = Instant::now();
        let request = match &target.body {
            Some(body) => client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => client.get(url),
        };
        let answered = match request.send().await {
            Ok(response) if response.status().is_success() => response
                .bytes()
                .await
                .map(drop)
                .map_err(|error| error.to_string()),
            Ok(response) => Err(format!("{url}: {}", response.status())),
            Err(error) => Err(format!("{url}: {error}")),
        };
        match answered {
            Ok(()) => tally.latencies.saturating_record(micros(started.elapsed())),
            Err(what) => {
                tally.errors += 1;
                if tally.first_error.is_none() {
                    tally.first_error = Some(what);
                }
                tokio::time::sleep(PAUSE_AFTER_ERROR).await;
            }
        }
    }
    Ok(tally)
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).context("make a latency histogram")
}

/// A duration in whole microseconds.
pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// The CPU time of the processes so far, in clock ticks; `None` if one cannot be read.
pub fn cpu_ticks_of(pids: &[u32]) -> Option<u64> {
    pids.iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            table::cpu_ticks(&stat)
        })
        .sum()
}

/// The resident memory of the processes, summed, in MB; `None` if one cannot be read.
pub fn resident_mb(pids: &[u32]) -> Option<f64> {
    let kib: Option<u64> = pids
        .iter()
        .map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            table::vm_rss_kib(&status)
        })
        .sum();
    kib.map(|kib| kib as f64 / 1024.0)
}

/// The kernel's clock ticks a second (`getconf CLK_TCK`), and whether it was read rather than
/// assumed to be Linux's usual 100.
pub fn clock_ticks() -> (u64, bool) {
    let read = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .filter(|ticks| *ticks > 0);
    match read {
        Some(ticks) => (ticks, true),
        None => (100, false),
    }
}

/// How many times a second a 4 KiB write can be made durable (`fdatasync`) in `folder`, over
/// `duration`: the ceiling of commits that each wait for their own sync. Blocking.
pub fn fsyncs_per_second(folder: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = folder.join("fsync-probe");
    let mut file = std::fs::File::create(&path)
        .with_context(|| format!("create the fsync probe {}", path.display()))?;
    let block = [0x5a_u8; PROBE_BLOCK_BYTES];
    for _ in 0..PROBE_BLOCKS {
        file.write_all(&block).context("write the fsync probe")?;
    }
    file.sync_all().context("sync the fsync probe")?;
    let started = Instant::now();
    let mut syncs = 0u64;
    while started.elapsed() < duration {
        let offset = (syncs % PROBE_BLOCKS) * PROBE_BLOCK_BYTES as u64;
        file.seek(SeekFrom::Start(offset))
            .context("seek in the fsync probe")?;
        file.write_all(&block).context("write the fsync probe")?;
        file.sync_data().context("sync the fsync probe")?;
        syncs += 1;
    }
    let elapsed = started.elapsed();
    drop(file);
    let _ = std::fs::remove_file(path);
    Ok(syncs as f64 / elapsed.as_secs_f64())
}

/// Today's date and this machine: cores, processor, kernel.
pub fn header(seconds: u64, warm_up_seconds: u64) -> Header {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_owned())
        })
        .unwrap_or_else(|| "processor unknown".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "(kernel unknown)".to_owned());
    Header {
        date: table::date_of(now),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        cpu,
        kernel,
        seconds,
        warm_up_seconds,
    }
}
