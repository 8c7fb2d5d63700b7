//! The shop as a cluster runs it: every service its own `emporium serve <service>` process of the
//! real binary, on its own ports and database (PostgreSQL when `EMPORIUM_TEST_POSTGRES_URL` is
//! set, SQLite files when not), events on NATS JetStream (`EMPORIUM_TEST_NATS_URL`), carts, the
//! gateway's rate limits and product cache and the functions' key-value spaces in Redis when
//! `EMPORIUM_TEST_REDIS_URL` is set, gRPC
//! between the processes over mutual TLS, and tokens from the identity process by client
//! credentials.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use emporium::Service;

const BINARY: &str = env!("CARGO_BIN_EXE_emporium");

/// The processes, in the order they start: identity first, since the rest fetch its keys and
/// ask it for tokens; the gateway last.
const ORDER: [Service; 12] = [
    Service::Identity,
    Service::Catalog,
    Service::Inventory,
    Service::Payments,
    Service::Shipping,
    Service::Cart,
    Service::Orders,
    Service::Notifications,
    Service::Recommendations,
    Service::Functions,
    Service::Inference,
    Service::Gateway,
];

/// A running process per service; each is killed when this is dropped.
pub struct Cluster {
    pub dir: PathBuf,
    pub http: BTreeMap<&'static str, SocketAddr>,
    pub grpc: BTreeMap<&'static str, SocketAddr>,
    /// What the identity process printed on its first start.
    pub identity_printed: String,
    _processes: Vec<Process>,
}

/// A child process that is killed, and waited for, when this is dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A failed test shows what each process logged at `error`, which a CI log would otherwise lose
/// with the scratch folder.
impl Drop for Cluster {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for service in ORDER {
            let log = std::fs::read_to_string(self.dir.join(format!("{}.log", service.name())))
                .unwrap_or_default();
            let errors: Vec<&str> = log
                .lines()
                .filter(|line| line.contains("\"level\":\"ERROR\""))
                .take(20)
                .collect();
            if !errors.is_empty() {
                eprintln!("{} logged:\n{}", service.name(), errors.join("\n"));
            }
        }
    }
}

impl Cluster {
    /// Starts a process per service, each given `settings` (`EMPORIUM_...` variables) as well.
    pub async fn start(nats_url: &str, settings: &[(&str, &str)]) -> Cluster {
        test_support::install_crypto();
        let dir = test_support::scratch_dir("cluster");
        let names: Vec<&str> = Service::ALL
            .iter()
            .map(|service| service.name())
            .chain([emporium::ADMIN_IDENTITY])
            .collect();
        platform::tls::write_certificates(&dir.join("certs"), &names).unwrap();
        let engine = test_support::engines().pop().unwrap();
        let mut http = BTreeMap::new();
        let mut grpc = BTreeMap::new();
        for service in ORDER {
            http.insert(service.name(), test_support::reserved_address());
            grpc.insert(service.name(), test_support::reserved_address());
        }
        let secrets: BTreeMap<&str, String> = ["gateway", "orders", "notifications"]
            .into_iter()
            .map(|client| {
                (
                    client,
                    format!("{client}-{}", uuid::Uuid::new_v4().simple()),
                )
            })
            .collect();
        let namespace = format!("cluster_{}", uuid::Uuid::new_v4().simple());
        let redis = std::env::var("EMPORIUM_TEST_REDIS_URL")
            .ok()
            .filter(|url| !url.is_empty());

        let mut processes = Vec::new();
        for service in ORDER {
            let name = service.name();
            let data_dir = dir.join(name);
            std::fs::create_dir_all(&data_dir).unwrap();
            let certs = dir.join("certs");
            let mut command = std::process::Command::new(BINARY);
            command
                .arg("serve")
                .arg(name)
                .env_remove("EMPORIUM_CONFIG")
                .env("EMPORIUM_DATA_DIR", &data_dir)
                .env("EMPORIUM_HTTP_ADDR", http[name].to_string())
                .env("EMPORIUM_GRPC_ADDR", grpc[name].to_string())
                .env("EMPORIUM_TELEMETRY__LOG_FORMAT", "json")
                .env("EMPORIUM_TELEMETRY__LOG_FILTER", "warn")
                .env("EMPORIUM_BUS_URL", nats_url)
                .env("EMPORIUM_BUS_NAMESPACE", &namespace)
                .env("EMPORIUM_TLS__CA_FILE", certs.join("ca.pem"))
                .env("EMPORIUM_TLS__CERT_FILE", certs.join(format!("{name}.pem")))
                .env("EMPORIUM_TLS__KEY_FILE", certs.join(format!("{name}.key")))
                .env(
                    "EMPORIUM_REMOTE__IDENTITY_HTTP",
                    format!("http://{}", http["identity"]),
                )
                .stdout(std::fs::File::create(dir.join(format!("{name}.out"))).unwrap())
                .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
                .envs(settings.iter().copied());
            for other in ORDER
                .iter()
                .filter(|other| !matches!(other, Service::Gateway))
            {
                command.env(
                    format!(
                        "EMPORIUM_REMOTE__{}_GRPC",
                        other.name().to_ascii_uppercase()
                    ),
                    format!("https://{}", grpc[other.name()]),
                );
            }
            // The services that keep state in Redis when there is one.
            if let Some(redis) = &redis
                && matches!(
                    service,
                    Service::Cart | Service::Gateway | Service::Functions
                )
            {
                let upper = name.to_ascii_uppercase();
                command
                    .env(format!("EMPORIUM_{upper}__REDIS_URL"), redis)
                    .env(
                        format!("EMPORIUM_{upper}__REDIS_PREFIX"),
                        format!("{namespace}:{name}:"),
                    );
            }
            if !matches!(service, Service::Gateway) {
                let url = test_support::fresh_database_url(engine).await.unwrap();
                command.env(
                    format!("EMPORIUM_{}__DATABASE_URL", name.to_ascii_uppercase()),
                    url,
                );
            }
            match service {
                Service::Identity => {
                    command
                        .env("EMPORIUM_PUBLIC_URL", format!("http://{}", http[name]))
                        .env("EMPORIUM_IDENTITY__ARGON2_MEMORY_KIB", "256")
                        // The storefront signs shoppers in from the gateway's address.
                        .env(
                            "EMPORIUM_IDENTITY__STOREFRONT_REDIRECT_URIS",
                            format!("[\"http://{}/auth/callback\"]", http["gateway"]),
                        );
                    for (client, secret) in &secrets {
                        command.env(
                            format!(
                                "EMPORIUM_IDENTITY__CLIENT_SECRETS__{}",
                                client.to_ascii_uppercase()
                            ),
                            secret,
                        );
                    }
                }
                Service::Notifications => {
                    command.env("EMPORIUM_NOTIFICATIONS__MAILBOX_DIR", dir.join("mailbox"));
                }
                Service::Gateway => {
                    command.env("EMPORIUM_PUBLIC_URL", format!("http://{}", http[name]));
                }
                _ => {}
            }
            if let Some(secret) = secrets.get(name) {
                command
                    .env("EMPORIUM_REMOTE__CLIENT_ID", name)
                    .env("EMPORIUM_REMOTE__CLIENT_SECRET", secret);
            }
            let mut child = Process(command.spawn().unwrap());
            wait_until_ready(&mut child.0, name, http[name], &dir).await;
            processes.push(child);
        }
        let identity_printed = std::fs::read_to_string(dir.join("identity.out")).unwrap();
        Cluster {
            dir,
            http,
            grpc,
            identity_printed,
            _processes: processes,
        }
    }

    /// The settings of a caller that presents `name`'s certificate.
    pub fn tls(&self, name: &str) -> platform::tls::TlsConfig {
        crate::distributed::mtls(&self.dir.join("certs"), name)
    }

    /// The `(first, second)` of a `label: first / second` line that identity printed.
    pub fn printed_pair(&self, label: &str) -> (String, String) {
        let line = self
            .identity_printed
            .lines()
            .find(|line| line.starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` in:\n{}", self.identity_printed));
        let (_, pair) = line.split_once(':').unwrap();
        let (first, second) = pair.split_once(" / ").unwrap();
        (first.trim().to_owned(), second.trim().to_owned())
    }
}

async fn wait_until_ready(
    child: &mut std::process::Child,
    name: &str,
    http: SocketAddr,
    dir: &Path,
) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(response) = client.get(format!("http://{http}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
            panic!("{name} stopped at start ({status}):\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    panic!("{name} is not ready after 60 s:\n{log}");
}
