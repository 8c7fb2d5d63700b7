//! `emporium`: the whole shop in one process (`up`, the default), or chosen services (`serve`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use emporium::{Node, Service, Settings};
use platform::Shutdown;

/// mimalloc: a request allocates many small, short-lived buffers; glibc's malloc spent about a
/// tenth of the CPU on them under load (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Emporium, a reference backend: an online shop of cooperating services.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML file with settings; `EMPORIUM_...` environment variables override it.
    #[arg(long, short, global = true, env = "EMPORIUM_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every service in this process on SQLite files under the data folder (the default).
    Up,
    /// Runs the chosen services in this process; the others are reached over gRPC.
    Serve {
        #[arg(required = true, value_enum)]
        services: Vec<Service>,
    },
    /// Loads a running shop with checkouts (or, with `--scenario shop`, shoppers on journeys
    /// through it) and reports throughput and latency.
    Load(emporium::load::LoadArgs),
    /// Starts the shop in one process, as a process per service and beside a bare axum server,
    /// runs the published comparisons (product read and page, checkouts against this disk's
    /// fsyncs, telemetry's price, memory) and writes them as a Markdown table.
    Bench(emporium::bench::BenchArgs),
    /// Scores a running shop's search on the labelled benchmark (keyword, vector, hybrid) and
    /// prints the table.
    SearchQuality(emporium::quality::QualityArgs),
    /// Makes a development certificate authority (or reuses the one in the folder) and a
    /// certificate per service for mTLS, plus one for operators' tools (`admin`).
    Certs {
        /// The folder to write `ca.pem`, `ca.key`, `<name>.pem` and `<name>.key` to.
        #[arg(long, default_value = "certs")]
        dir: PathBuf,
        /// Whom to issue certificates for; every service and `admin` when none are named.
        names: Vec<String>,
    },
    /// Registers, lists and removes clients from outside at identity (OAuth 2.0 apps).
    Client {
        #[command(subcommand)]
        command: emporium::clients::ClientCommand,
    },
    /// Deploys functions to a running shop and shows what they do: deploy, list, logs,
    /// traffic, rollback, dead, replay.
    Fn(emporium::function_commands::FunctionArgs),
    /// The model registry of a running shop: list, promote, rollback, retire, traffic (canary
    /// and shadow).
    Model(emporium::model_commands::ModelArgs),
    /// Runs a stand-in for the LLM providers (OpenAI's chat completions and Anthropic's
    /// Messages API, made-up answers, tool calls) to point `[[inference.llm.providers]]` at.
    LlmStandin {
        /// Where to listen; port 0 takes any free one.
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: std::net::SocketAddr,
        /// The API key it asks for; none when empty.
        #[arg(long, default_value = "")]
        key: String,
    },
    /// Checks this machine and these settings (the data folder, the ports, the databases and
    /// servers they name, mTLS files, the local model, the tools the tests use) and says what
    /// to fix; fails when the shop could not start as set.
    Doctor,
    /// Makes a service on the golden path (`new service <name>`), wired into the binary, the
    /// chart, the dashboards, the alerts, the catalog and the docs, or an example function
    /// (`new function <name>`).
    New {
        #[command(subcommand)]
        what: emporium::scaffold::New,
    },
    /// Prints an access token for curl: the development user's, or the admin client's.
    Token {
        /// A client-credentials token for the admin client instead of the user's.
        #[arg(long)]
        admin: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let command = match cli.command.unwrap_or(Command::Up) {
        Command::Doctor => return doctor(cli.config.as_deref()),
        // Writes files of a checkout; a shop's settings play no part.
        Command::New { what } => return scaffold(what),
        command => command,
    };
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("emporium: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emporium: start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command, settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("emporium: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match command {
        Command::Up => serve(settings, Service::ALL).await,
        Command::Serve { services } => serve(settings, &services).await,
        Command::Token { admin } => token(settings, admin).await,
        Command::Doctor | Command::New { .. } => {
            unreachable!("`doctor` and `new` run before the settings are required")
        }
        Command::Client { command } => emporium::clients::run(settings, command).await,
        Command::Fn(args) => emporium::function_commands::run(settings, args).await,
        Command::Model(args) => emporium::model_commands::run(settings, args).await,
        Command::Certs { dir, names } => certs(&dir, &names),
        Command::LlmStandin { addr, key } => llm_standin(addr, &key).await,
        Command::Bench(args) => emporium::bench::run(&args).await,
        Command::SearchQuality(args) => {
            print!("{}", emporium::quality::run(&args).await?.table());
            Ok(())
        }
        Command::Load(args) if args.scenario == emporium::load::Scenario::Shop => {
            let report = emporium::load::run_shop(&args).await?;
            print!("{}", report.describe());
            for file in &report.files {
                println!("wrote {}", file.display());
            }
            Ok(())
        }
        Command::Load(args) => {
            let report = emporium::load::run(&args).await?;
            println!(
                "checkouts: {} confirmed, {} failed, {} errors in {:.1} s = {:.0} confirmed/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms",
                report.confirmed,
                report.failed,
                report.errors,
                report.elapsed.as_secs_f64(),
                report.per_second(),
                report.percentile(50.0).as_secs_f64() * 1000.0,
                report.percentile(90.0).as_secs_f64() * 1000.0,
                report.percentile(99.0).as_secs_f64() * 1000.0,
            );
            println!("{}", report.describe_errors());
            for sample in &report.error_samples {
                println!("  e.g. {sample}");
            }
            Ok(())
        }
    }
}

/// `emporium new service|function`.
fn scaffold(what: emporium::scaffold::New) -> std::process::ExitCode {
    match emporium::scaffold::run(what) {
        Ok(said) => {
            print!("{said}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("emporium new: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// `emporium doctor`: the settings' own errors are one of its findings, not a reason to stop.
fn doctor(config: Option<&std::path::Path>) -> std::process::ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = Settings::load(config).map_err(|error| error.to_string());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emporium: start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let checks = runtime.block_on(emporium::doctor::run(settings));
    let (text, healthy) = emporium::doctor::report(&checks);
    print!("{text}");
    match healthy {
        true => std::process::ExitCode::SUCCESS,
        false => std::process::ExitCode::FAILURE,
    }
}

async fn serve(settings: Settings, services: &[Service]) -> anyhow::Result<()> {
    // Traces name the services a process runs: `emporium` for all of them.
    let name = if services.len() == Service::ALL.len() {
        "emporium".to_owned()
    } else {
        let names: Vec<&str> = services.iter().map(|service| service.name()).collect();
        format!("emporium-{}", names.join("-"))
    };
    let _telemetry = platform::telemetry::init(&name, &settings.telemetry)?;
    let started = std::time::Instant::now();
    let node = Node::build(settings, services, progress_bar()).await?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    print_welcome(&node, started.elapsed());
    tracing::info!(http = %node.http_address(), grpc = %node.grpc_address(), ?services, "ready");
    node.run_until_stopped(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

fn certs(dir: &std::path::Path, names: &[String]) -> anyhow::Result<()> {
    let names: Vec<&str> = if names.is_empty() {
        Service::ALL
            .iter()
            .map(|service| service.name())
            .chain([emporium::ADMIN_IDENTITY])
            .collect()
    } else {
        names.iter().map(String::as_str).collect()
    };
    for name in &names {
        anyhow::ensure!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || character == '-'),
            "`{name}`: a name holds letters, digits and `-` only"
        );
    }
    for path in platform::tls::write_certificates(dir, &names)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// A progress bar on a terminal; silence elsewhere.
fn progress_bar() -> impl FnMut(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if !terminal || total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / total;
        eprint!(
            "\rseeding the catalog [{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if done == total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

fn print_welcome(node: &Node, startup: std::time::Duration) {
    let url = &node.settings.public_url;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\nEmporium is up in {:.2} s.", startup.as_secs_f64());
    if node.settings.services.gateway.storefront.enabled {
        let _ = writeln!(out, "  Storefront     {url}/");
    }
    let _ = writeln!(out, "  REST API       {url}/api/v1/products");
    let _ = writeln!(out, "  API docs       {url}/api/docs");
    let _ = writeln!(out, "  OpenAPI        {url}/api/openapi.json");
    let _ = writeln!(
        out,
        "  OpenID         {url}/.well-known/openid-configuration"
    );
    let _ = writeln!(out, "  Metrics        {url}/metrics");
    let _ = writeln!(out, "  gRPC           http://{}", node.grpc_address());
    let _ = writeln!(
        out,
        "  Mailbox        {}",
        node.settings.services.notifications.mailbox_dir
    );
    let first = &node.first_start;
    if first.seeded_products > 0 {
        let _ = writeln!(out, "\nSeeded {} products.", first.seeded_products);
    }
    if let Some((email, password)) = &first.user {
        let _ = writeln!(out, "\nDevelopment user (shown once): {email} / {password}");
    }
    for (label, client_id) in [
        ("Admin client", emporium::ADMIN_CLIENT_ID),
        ("Gateway client", "gateway"),
    ] {
        if let Some(secret) = first.client_secrets.get(client_id) {
            let _ = writeln!(out, "{label} (shown once): {client_id} / {secret}");
        }
    }
    let _ = writeln!(
        out,
        "\nA token for curl: `emporium token` (or `emporium token --admin`). Ctrl-C stops.\n"
    );
}

async fn token(mut settings: Settings, admin: bool) -> anyhow::Result<()> {
    settings.resolve(&format!("http://{}", settings.http_addr));
    let identity = identity::Identity::build(settings.services.identity.clone()).await?;
    let token = if admin {
        identity
            .mint_access_token(
                emporium::ADMIN_CLIENT_ID,
                emporium::ADMIN_CLIENT_ID,
                &proto::scopes::joined(proto::scopes::ADMIN),
            )
            .await?
    } else {
        let user_id = identity
            .user_id_by_email(emporium::DEV_USER_EMAIL)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("no development user yet: run `emporium up` once first")
            })?;
        identity
            .mint_access_token(
                &user_id,
                identity::FIRST_PARTY_CLIENT_ID,
                &proto::scopes::joined(proto::scopes::SHOPPER),
            )
            .await?
    };
    println!("{token}");
    Ok(())
}

/// Serves the LLM stand-in until Ctrl-C or SIGTERM.
async fn llm_standin(addr: std::net::SocketAddr, key: &str) -> anyhow::Result<()> {
    let standin = inference::standin::StandIn::start(addr, key).await?;
    println!("LLM stand-in  {}", standin.url);
    println!(
        "  OpenAI-compatible: url = \"{}/v1\", kind = \"openai\"",
        standin.url
    );
    println!(
        "  Anthropic:         url = \"{}\", kind = \"anthropic\"",
        standin.url
    );
    let shutdown = platform::Shutdown::new();
    shutdown.trigger_on_signals();
    shutdown.wait().await;
    Ok(())
}
