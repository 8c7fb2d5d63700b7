//! The shops the bench measures, started as child processes: the whole shop in one process
//! (`emporium up`), a process per service (`emporium serve <service>`, as
//! `scripts/distributed` starts them), and `bare-read`. Each listens on loopback only, with its
//! data, certificates and logs in the bench's folder, and is killed when its `Shop` is dropped,
//! so a failed or interrupted bench leaves nothing running.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

use crate::registry::Service;

/// Both edge caches off, so that every read reaches the catalog (and a page, the inventory).
pub const EDGE_CACHES_OFF: [(&str, &str); 2] = [
    ("EMPORIUM_GATEWAY__PRODUCT_CACHE_TTL_MS", "0"),
    ("EMPORIUM_GATEWAY__STOREFRONT__PRODUCT_CACHE_MS", "0"),
];
/// Logs at `warn`, traces and metrics on: how the published benchmarks run the shop.
pub const LOGS_AT_WARN: [(&str, &str); 1] = [("EMPORIUM_TELEMETRY__LOG_FILTER", "warn")];
/// No spans kept or exported, logs at `warn`: the baseline of telemetry's price.
pub const TELEMETRY_OFF: [(&str, &str); 2] = [
    ("EMPORIUM_TELEMETRY__TRACE_FILTER", "off"),
    ("EMPORIUM_TELEMETRY__LOG_FILTER", "warn"),
];
/// How long a process may take to answer its readiness check.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running shop: its base URL and its processes, killed when this is dropped.
#[derive(Debug)]
pub struct Shop {
    pub base: String,
    processes: Vec<Child>,
    /// The NATS namespace its events went under, for a process per service.
    pub bus_namespace: Option<String>,
}

impl Shop {
    /// The process ids, for their CPU time and memory.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(Child::id).collect()
    }

    /// Starts `command` (its output to `<name>.out` and `<name>.log` in `logs`) and waits until
    /// `ready_url` answers with success.
    async fn start(
        &mut self,
        name: &str,
        mut command: Command,
        ready_url: &str,
        logs: &Path,
    ) -> anyhow::Result<()> {
        let log = logs.join(format!("{name}.log"));
        let out = logs.join(format!("{name}.out"));
        command
            .stdin(Stdio::null())
            .stdout(
                std::fs::File::create(&out).with_context(|| format!("create {}", out.display()))?,
            )
            .stderr(
                std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?,
            );
        let child = command.spawn().with_context(|| format!("start {name}"))?;
        self.processes.push(child);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .context("build an HTTP client")?;
        let started = std::time::Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Ok(response) = http.get(ready_url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            let exited = self
                .processes
                .last_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                anyhow::bail!(
                    "{name} stopped at start ({status}); its log ends:\n{}",
                    tail(&log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!(
            "{name} is not ready after {READY_WITHIN:?}; its log ends:\n{}",
            tail(&log)
        )
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        for child in &mut self.processes {
            let _ = child.kill();
        }
        for child in &mut self.processes {
            let _ = child.wait();
        }
    }
}

/// The whole shop in one process, with its data in `folder`, both edge caches off and the
/// given telemetry settings.
pub async fn one_process(
    binary: &Path,
    folder: &Path,
    telemetry: &[(&str, &str)],
) -> anyhow::Result<Shop> {
    std::fs::create_dir_all(folder).with_context(|| format!("create {}", folder.display()))?;
    let http = free_address()?;
    let mut command = clean_command(binary);
    command
        .arg("up")
        .env("EMPORIUM_DATA_DIR", folder.join("data"))
        .env("EMPORIUM_HTTP_ADDR", http.to_string())
        .env("EMPORIUM_GRPC_ADDR", "127.0.0.1:0")
        .envs(EDGE_CACHES_OFF)
        .envs(telemetry.iter().copied());
    let mut shop = Shop {
        base: format!("http://{http}"),
        processes: Vec::new(),
        bus_namespace: None,
    };
    let ready = format!("{}/readyz", shop.base);
    shop.start("emporium", command, &ready, folder).await?;
    Ok(shop)
}

/// `bare-read` serving the product JSON in `product`, its log in `folder`.
pub async fn bare_read(binary: &Path, folder: &Path, product: &Path) -> anyhow::Result<Shop> {
    let http = free_address()?;
    let mut command = clean_command(binary);
    command
        .arg("--port")
        .arg(http.port().to_string())
        .arg("--product")
        .arg(product);
    let mut shop = Shop {
        base: format!("http://{http}"),
        processes: Vec::new(),
        bus_namespace: None,
    };
    let ready = format!("{}/api/v1/products/ready", shop.base);
    shop.start("bare-read", command, &ready, folder).await?;
    Ok(shop)
}

/// Every service in a process of its own, as `scripts/distributed` runs them: each on its own
/// ports and SQLite files under `folder`, gRPC between them over mutual TLS with certificates
/// made here, tokens from the identity process by client credentials, events on the NATS
/// server at `nats` under a namespace of this run's. Both edge caches off, logs at `warn`.
pub async fn distributed(binary: &Path, folder: &Path, nats: &str) -> anyhow::Result<Shop> {
    let layout = Layout::new(folder, nats)?;
    let mut shop = Shop {
        base: format!("http://{}", layout.http[Service::Gateway.name()]),
        processes: Vec::new(),
        bus_namespace: Some(layout.namespace.clone()),
    };
    // In the registry's order, each after those it calls; identity first, the gateway last.
    for &service in Service::ALL {
        let name = service.name();
        std::fs::create_dir_all(folder.join(name))
            .with_context(|| format!("create the folder of {name}"))?;
        let ready = format!("http://{}/readyz", layout.http[name]);
        shop.start(name, layout.command(binary, service), &ready, folder)
            .await?;
    }
    Ok(shop)
}

/// Where the processes of a distributed shop listen, and what they share.
struct Layout {
    folder: PathBuf,
    certificates: PathBuf,
    nats: String,
    namespace: String,
    http: BTreeMap<&'static str, SocketAddr>,
    grpc: BTreeMap<&'static str, SocketAddr>,
    /// Each service client's secret at identity, by client id.
    secrets: BTreeMap<&'static str, String>,
}

impl Layout {
    fn new(folder: &Path, nats: &str) -> anyhow::Result<Layout> {
        let certificates = folder.join("certs");
        let names: Vec<&str> = Service::ALL
            .iter()
            .map(|service| service.name())
            .chain([crate::ADMIN_IDENTITY])
            .collect();
        platform::tls::write_certificates(&certificates, &names)
            .context("write the processes' certificates")?;
        let mut addresses = free_addresses(2 * Service::ALL.len())?.into_iter();
        let (mut http, mut grpc, mut secrets) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for &service in Service::ALL {
            let (Some(http_address), Some(grpc_address)) = (addresses.next(), addresses.next())
            else {
                anyhow::bail!("find free loopback ports: too few");
            };
            http.insert(service.name(), http_address);
            grpc.insert(service.name(), grpc_address);
            if let Some(client) = service.client() {
                secrets.insert(client.id, uuid::Uuid::new_v4().simple().to_string());
            }
        }
        Ok(Layout {
            folder: folder.to_owned(),
            certificates,
            nats: nats.to_owned(),
            namespace: format!("bench_{}", uuid::Uuid::new_v4().simple()),
            http,
            grpc,
            secrets,
        })
    }

    /// `emporium serve <service>` with the settings `scripts/distributed` gives it.
    fn command(&self, binary: &Path, service: Service) -> Command {
        let name = service.name();
        let identity_http = format!("http://{}", self.http[Service::Identity.name()]);
        let mut command = clean_command(binary);
        command
            .arg("serve")
            .arg(name)
            .env("EMPORIUM_DATA_DIR", self.folder.join(name))
            .env("EMPORIUM_HTTP_ADDR", self.http[name].to_string())
            .env("EMPORIUM_GRPC_ADDR", self.grpc[name].to_string())
            .env("EMPORIUM_TELEMETRY__LOG_FORMAT", "json")
            .env("EMPORIUM_BUS_URL", &self.nats)
            .env("EMPORIUM_BUS_NAMESPACE", &self.namespace)
            .env("EMPORIUM_TLS__CA_FILE", self.certificates.join("ca.pem"))
            .env(
                "EMPORIUM_TLS__CERT_FILE",
                self.certificates.join(format!("{name}.pem")),
            )
            .env(
                "EMPORIUM_TLS__KEY_FILE",
                self.certificates.join(format!("{name}.key")),
            )
            .env("EMPORIUM_REMOTE__IDENTITY_HTTP", identity_http.as_str())
            .envs(EDGE_CACHES_OFF)
            .envs(LOGS_AT_WARN);
        // Every service but the gateway, which nothing calls over gRPC.
        for other in Service::ALL
            .iter()
            .filter(|other| !matches!(other, Service::Gateway))
        {
            command.env(
                format!(
                    "EMPORIUM_REMOTE__{}_GRPC",
                    other.name().to_ascii_uppercase()
                ),
                format!("https://{}", self.grpc[other.name()]),
            );
        }
        if let Some(client) = service.client() {
            command
                .env("EMPORIUM_REMOTE__CLIENT_ID", client.id)
                .env("EMPORIUM_REMOTE__CLIENT_SECRET", &self.secrets[client.id]);
        }
        match service {
            Service::Identity => {
                let gateway = self.http[Service::Gateway.name()];
                command
                    .env("EMPORIUM_PUBLIC_URL", identity_http.as_str())
                    // The storefront signs shoppers in from the gateway's address.
                    .env(
                        "EMPORIUM_IDENTITY__STOREFRONT_REDIRECT_URIS",
                        format!("[\"http://{gateway}/auth/callback\"]"),
                    );
                for (client, secret) in &self.secrets {
                    let key = format!(
                        "EMPORIUM_IDENTITY__CLIENT_SECRETS__{}",
                        client.to_ascii_uppercase()
                    );
                    command.env(key, secret);
                }
            }
            Service::Notifications => {
                command.env(
                    "EMPORIUM_NOTIFICATIONS__MAILBOX_DIR",
                    self.folder.join("mailbox"),
                );
            }
            Service::Gateway => {
                command.env("EMPORIUM_PUBLIC_URL", format!("http://{}", self.http[name]));
            }
            _ => {}
        }
        command
    }
}

/// A command for `binary` without the settings of the shell that runs the bench: an
/// `EMPORIUM_BUS_URL`, `RUST_LOG` or OTLP endpoint there would change what is measured.
fn clean_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name.starts_with("EMPORIUM_") || name.starts_with("OTEL_") || name == "RUST_LOG" {
            command.env_remove(&key);
        }
    }
    command
}

/// Loopback addresses with ports free a moment ago, for child processes to bind; all bound at
/// once, so that no two are the same.
fn free_addresses(count: usize) -> anyhow::Result<Vec<SocketAddr>> {
    let listeners = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .context("find free loopback ports")?;
    listeners
        .iter()
        .map(|listener| listener.local_addr().context("read a free port's address"))
        .collect()
}

/// A loopback address with a port free a moment ago.
fn free_address() -> anyhow::Result<SocketAddr> {
    let mut addresses = free_addresses(1)?;
    addresses.pop().context("find a free loopback port")
}

/// The last lines of a log, to say why a process did not start.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
