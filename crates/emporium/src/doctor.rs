//! `emporium doctor`: checks this machine and these settings before a developer runs the shop
//! or its tests, and says what to fix. Each check is ok, a warning (something optional is
//! missing, and what it would enable) or a failure (the shop would not start, or a server it is
//! set to use does not answer); the command fails when any check fails.

mod reach;
mod tools;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::Path;

use crate::settings::Settings;

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Warn,
    Fail,
}

/// One check: what was looked at, what was found, and how to fix it when it is not ok.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            outcome: Outcome::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            outcome: Outcome::Warn,
            fix: Some(fix.into()),
            ..Check::ok(name, detail)
        }
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            outcome: Outcome::Fail,
            fix: Some(fix.into()),
            ..Check::ok(name, detail)
        }
    }
}

/// Every check, given the settings as they loaded (or why they did not).
pub async fn run(settings: Result<Settings, String>) -> Vec<Check> {
    let mut settings = match settings {
        Ok(settings) => settings,
        Err(error) => {
            let fix = "correct the key it names, in the file given with --config or in the EMPORIUM_ variable";
            return vec![Check::fail("settings", error, fix)];
        }
    };
    let mut checks = vec![Check::ok(
        "settings",
        "read (defaults, the file, EMPORIUM_ variables)",
    )];
    if let Err(error) = settings.remote.check() {
        checks.push(Check::fail(
            "settings",
            format!("{error:#}"),
            "name each remote.<service>_grpc after a service",
        ));
    }
    let public_url = settings.public_url.clone();
    settings.resolve(&public_url);
    checks.push(data_folder(&settings.data_dir));
    let http = port("http_addr", &settings.http_addr, false).await;
    // A shop on the HTTP port holds its gRPC port too.
    let shop_running = http.outcome == Outcome::Warn;
    checks.push(http);
    checks.push(port("grpc_addr", &settings.grpc_addr, shop_running).await);
    checks.extend(reach::servers(&settings).await);
    checks.push(tls(&settings));
    checks.extend(tools::models(&settings));
    checks.extend(tools::developer_tools());
    checks
}

/// The checks as lines for a terminal, and whether none failed.
pub fn report(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    let width = checks
        .iter()
        .map(|check| check.name.len())
        .max()
        .unwrap_or(0);
    for check in checks {
        let mark = match check.outcome {
            Outcome::Ok => "ok  ",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
        };
        let _ = writeln!(text, "{mark}  {:width$}  {}", check.name, check.detail);
        if let Some(fix) = &check.fix {
            let _ = writeln!(text, "      {:width$}  fix: {fix}", "");
        }
    }
    let failed = checks
        .iter()
        .filter(|check| check.outcome == Outcome::Fail)
        .count();
    let warned = checks
        .iter()
        .filter(|check| check.outcome == Outcome::Warn)
        .count();
    let _ = writeln!(
        text,
        "{} checks: {failed} failed, {warned} warnings",
        checks.len()
    );
    (text, failed == 0)
}

/// The data folder exists, or can be made, and takes a file.
fn data_folder(folder: &Path) -> Check {
    let name = "data folder";
    let probe = folder.join(".emporium-doctor");
    let written = std::fs::create_dir_all(folder).and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match written {
        Ok(()) => Check::ok(name, format!("{} is writable", folder.display())),
        Err(error) => Check::fail(
            name,
            format!("{} cannot be written: {error}", folder.display()),
            "set data_dir (EMPORIUM_DATA_DIR) to a folder this user may write",
        ),
    }
}

/// A listening address is free, or a shop already answers on it (`shop_running`: one answered
/// on its HTTP port).
async fn port(key: &str, address: &str, shop_running: bool) -> Check {
    match TcpListener::bind(address) {
        Ok(_) => Check::ok(key, format!("{address} is free")),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            let livez = format!("http://{address}/livez");
            let answered = shop_running || reach::http_ok(&livez).await;
            match (key, answered) {
                ("grpc_addr", true) => Check::warn(
                    key,
                    format!("{address}: the shop running here holds it"),
                    "stop it, or give this one another address",
                ),
                ("http_addr", true) => Check::warn(
                    key,
                    format!("{address}: a shop already answers there"),
                    "stop it, or give this one another address",
                ),
                _ => Check::fail(
                    key,
                    format!("{address} is taken by another program"),
                    format!(
                        "stop that program or set {key} (EMPORIUM_{}) to a free address",
                        key.to_ascii_uppercase()
                    ),
                ),
            }
        }
        Err(error) => Check::fail(
            key,
            format!("{address}: {error}"),
            format!("set {key} to host:port, such as 127.0.0.1:8080"),
        ),
    }
}

/// With mTLS on, the authority, certificate and key read.
fn tls(settings: &Settings) -> Check {
    let config = &settings.tls;
    if config.cert_file.is_empty() {
        return Check::ok(
            "mTLS",
            "off (on with tls.ca_file, tls.cert_file and tls.key_file)",
        );
    }
    match platform::tls::ClientTls::load(config) {
        Ok(_) => Check::ok("mTLS", format!("{} and its key read", config.cert_file)),
        Err(error) => Check::fail(
            "mTLS",
            format!("{error:#}"),
            "issue the files again with `emporium certs`, or correct the tls paths",
        ),
    }
}
