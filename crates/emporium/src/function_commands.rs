//! `emporium fn deploy|list|logs|traffic|rollback|dead|replay`: functions deployed and watched
//! on a running shop through its admin REST API, as an operator's script would.
//!
//! The shop is `--url` (default: this folder's shop, `public_url`); the token is `--token` (or
//! `EMPORIUM_TOKEN`), or one minted for the admin client from this data folder's identity
//! database, as `emporium token --admin` does.

use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::Settings;

#[derive(Debug, Args)]
pub struct FunctionArgs {
    /// The shop's base URL; default: `public_url` of these settings.
    #[arg(long, global = true)]
    url: Option<String>,
    /// An access token with `functions.admin`; default: one minted for the admin client from
    /// this data folder.
    #[arg(long, global = true, env = "EMPORIUM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: FunctionCommand,
}

#[derive(Debug, Subcommand)]
pub enum FunctionCommand {
    /// Uploads a module as the function's next immutable version (it takes all the traffic
    /// unless --keep-traffic) and, when any trigger is named, sets the triggers.
    Deploy {
        name: String,
        /// The WebAssembly module (`guests/wasm/*.wasm`).
        module: PathBuf,
        /// Grants its own key-value space.
        #[arg(long)]
        kv: bool,
        /// An event type it may emit (`emporium.functions.<what>.v1`); repeat for several.
        #[arg(long)]
        emit: Vec<String>,
        /// Linear memory limit, in MiB.
        #[arg(long)]
        memory_mb: Option<u64>,
        #[arg(long)]
        fuel: Option<u64>,
        #[arg(long)]
        cpu_ms: Option<u64>,
        #[arg(long)]
        wall_ms: Option<u64>,
        #[arg(long)]
        concurrency: Option<u32>,
        #[arg(long, default_value = "")]
        note: String,
        /// The new version gets no traffic until `emporium fn traffic`.
        #[arg(long)]
        keep_traffic: bool,
        /// An edge route, `before:/path` or `after:/path`; repeat for several.
        #[arg(long)]
        edge: Vec<String>,
        /// Serves it at `/fn/<name>`.
        #[arg(long)]
        http: bool,
        /// An event type that triggers it; repeat for several.
        #[arg(long)]
        event: Vec<String>,
    },
    /// Lists the functions with their versions, traffic, triggers and usage.
    List,
    /// Prints a function's latest invocations, newest first, with their log lines.
    Logs {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Splits the traffic: `1=90 2=10`.
    Traffic { name: String, shares: Vec<String> },
    /// Sends all traffic back to the version before the one serving most (or `--to`).
    Rollback {
        name: String,
        #[arg(long)]
        to: Option<u32>,
    },
    /// Lists the events that could not be delivered to a function.
    Dead { name: String },
    /// Delivers a dead event again.
    Replay { name: String, event_id: String },
}

pub async fn run(settings: Settings, args: FunctionArgs) -> anyhow::Result<()> {
    let resource = ("functions", proto::scopes::FUNCTIONS_ADMIN);
    let shop = Shop::connect(settings, args.url.clone(), args.token.clone(), resource).await?;
    match args.command {
        FunctionCommand::List => print!(
            "{}",
            describe_list(&shop.call(reqwest::Method::GET, "", None).await?)
        ),
        FunctionCommand::Logs { name, limit } => {
            let path = format!("/{name}/invocations?limit={limit}");
            print!(
                "{}",
                describe_invocations(&shop.call(reqwest::Method::GET, &path, None).await?)
            );
        }
        FunctionCommand::Traffic { name, shares } => {
            let traffic = shares
                .iter()
                .map(|share| parse_share(share))
                .collect::<anyhow::Result<Vec<Value>>>()?;
            let answer = shop
                .call(
                    reqwest::Method::PUT,
                    &format!("/{name}/traffic"),
                    Some(json!({"traffic": traffic})),
                )
                .await?;
            println!("{name}: traffic {}", describe_traffic(&answer));
        }
        FunctionCommand::Rollback { name, to } => {
            let answer = shop
                .call(
                    reqwest::Method::POST,
                    &format!("/{name}/rollback"),
                    Some(json!({"version": to})),
                )
                .await?;
            println!("{name}: traffic {}", describe_traffic(&answer));
        }
        FunctionCommand::Dead { name } => {
            let answer = shop
                .call(
                    reqwest::Method::GET,
                    &format!("/{name}/dead-deliveries"),
                    None,
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&answer["deliveries"])?);
        }
        FunctionCommand::Replay { name, event_id } => {
            shop.call(
                reqwest::Method::POST,
                &format!("/{name}/dead-deliveries/{event_id}/replay"),
                None,
            )
            .await?;
            println!("{name}: {event_id} will be delivered again");
        }
        deploy @ FunctionCommand::Deploy { .. } => self::deploy(&shop, deploy).await?,
    }
    Ok(())
}

/// A token for the admin client with `scope` only, minted from this data folder's identity
/// database, as `emporium token --admin` does.
async fn admin_token(settings: &Settings, scope: &str) -> anyhow::Result<String> {
    let identity = identity::Identity::build(settings.services.identity.clone())
        .await
        .context("open this data folder's identity database to mint a token (or pass --token)")?;
    Ok(identity
        .mint_access_token(crate::ADMIN_CLIENT_ID, crate::ADMIN_CLIENT_ID, scope)
        .await?)
}

/// A running shop's admin REST API under `/api/v1/admin/<resource>`, for the operator commands.
pub(crate) struct Shop {
    http: reqwest::Client,
    base: String,
    token: String,
    resource: &'static str,
}

impl Shop {
    /// The shop at `url` (default: these settings' `public_url`), called with `token` (default:
    /// one with `scope`, minted for the admin client from this data folder).
    pub(crate) async fn connect(
        mut settings: Settings,
        url: Option<String>,
        token: Option<String>,
        (resource, scope): (&'static str, &str),
    ) -> anyhow::Result<Shop> {
        // A token minted here names the shop's public URL as its issuer: `--url` when given.
        let default_url = url
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.http_addr));
        settings.resolve(&default_url);
        let base = url.unwrap_or_else(|| settings.public_url.clone());
        let token = match token {
            Some(token) => token,
            None => admin_token(&settings, scope).await?,
        };
        Ok(Shop {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token,
            resource,
        })
    }

    /// `method /api/v1/admin/<resource><path>`; the JSON answer, or an error with the
    /// problem's detail.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1/admin/{}{path}", self.base, self.resource);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("reach {url}"))?;
        let status = response.status();
        let text = response.text().await?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            let detail = answer["detail"].as_str().unwrap_or(&text);
            anyhow::bail!("{status}: {detail}");
        }
        Ok(answer)
    }
}

async fn deploy(shop: &Shop, command: FunctionCommand) -> anyhow::Result<()> {
    let FunctionCommand::Deploy {
        name,
        module,
        kv,
        emit,
        memory_mb,
        fuel,
        cpu_ms,
        wall_ms,
        concurrency,
        note,
        keep_traffic,
        edge,
        http,
        event,
    } = command
    else {
        unreachable!("deploy is called for Deploy only")
    };
    let bytes = std::fs::read(&module).with_context(|| format!("read {}", module.display()))?;
    let body = json!({
        "module_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        "limits": {"memory_bytes": memory_mb.map(|mb| mb * 1024 * 1024), "fuel": fuel, "cpu_ms": cpu_ms, "wall_ms": wall_ms, "concurrency": concurrency},
        "grants": {"kv": kv, "emit": emit},
        "note": note,
        "keep_traffic": keep_traffic,
    });
    let deployed = shop
        .call(
            reqwest::Method::POST,
            &format!("/{name}/versions"),
            Some(body),
        )
        .await?;
    let version = deployed["versions"]
        .as_array()
        .and_then(|versions| versions.last())
        .cloned()
        .unwrap_or_default();
    println!(
        "{name}: version {} ({}), traffic {}",
        version["version"],
        version["digest"].as_str().unwrap_or_default(),
        describe_traffic(&deployed)
    );
    if !edge.is_empty() || http || !event.is_empty() {
        let routes = edge
            .iter()
            .map(|route| parse_edge(route))
            .collect::<anyhow::Result<Vec<Value>>>()?;
        let triggers = json!({"edge": routes, "http": http, "events": event});
        shop.call(
            reqwest::Method::PUT,
            &format!("/{name}/triggers"),
            Some(triggers.clone()),
        )
        .await?;
        println!("{name}: triggers {triggers}");
    }
    Ok(())
}

/// `before:/path` as an edge route.
fn parse_edge(route: &str) -> anyhow::Result<Value> {
    let (phase, prefix) = route
        .split_once(':')
        .with_context(|| format!("--edge `{route}`: write it as before:/path or after:/path"))?;
    Ok(json!({"phase": phase, "path_prefix": prefix}))
}

/// `2=90` as a share.
fn parse_share(share: &str) -> anyhow::Result<Value> {
    let parsed = share.split_once('=').and_then(|(version, percent)| {
        Some((version.parse::<u32>().ok()?, percent.parse::<u32>().ok()?))
    });
    let (version, percent) = parsed
        .with_context(|| format!("`{share}`: write a share as VERSION=PERCENT, such as 2=10"))?;
    Ok(json!({"version": version, "percent": percent}))
}

fn describe_traffic(function: &Value) -> String {
    let shares: Vec<String> = function["traffic"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|share| format!("v{}={}%", share["version"], share["percent"]))
        .collect();
    shares.join(" ")
}

fn describe_list(list: &Value) -> String {
    let mut out = String::from(
        "name                 versions  traffic          invocations  errors  p99 ms   GB-s\n",
    );
    for function in list["functions"].as_array().into_iter().flatten() {
        let usage = &function["usage"];
        out.push_str(&format!(
            "{:<20} {:>8}  {:<16} {:>11}  {:>6}  {:>6.2}  {:.6}\n",
            function["name"].as_str().unwrap_or_default(),
            function["versions"].as_array().map_or(0, Vec::len),
            describe_traffic(function),
            usage["invocations"],
            usage["errors"],
            usage["p99_ms"].as_f64().unwrap_or_default(),
            usage["gb_seconds"].as_f64().unwrap_or_default(),
        ));
    }
    out
}

fn describe_invocations(list: &Value) -> String {
    let mut out = String::new();
    for invocation in list["invocations"].as_array().into_iter().flatten() {
        let outcome = match invocation["fault"].as_str() {
            Some("") | None => "ok".to_owned(),
            Some(fault) => fault.to_owned(),
        };
        out.push_str(&format!(
            "{} v{} {} {:.2} ms fuel {} {}{} [{}]\n",
            invocation["at_ms"],
            invocation["version"],
            invocation["trigger"].as_str().unwrap_or_default(),
            invocation["duration_ms"].as_f64().unwrap_or_default(),
            invocation["fuel"],
            if invocation["cold"] == true {
                "cold "
            } else {
                ""
            },
            outcome,
            invocation["replica"].as_str().unwrap_or_default(),
        ));
        for line in invocation["logs"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "    {} {}\n",
                line["level"].as_str().unwrap_or_default(),
                line["message"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}
