//! The LLM gateway's figures: what it adds to a chat completion over calling the provider
//! directly, and how fast a cached answer comes back. The provider is the stand-in
//! (`inference::standin`) in this process; the shop in one process has it as its only provider.
//! A request with a temperature is never cached, so it goes to the provider every time; the same
//! request without one is answered from the cache after the first.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use super::measure::{self, Target};
use super::shop;

/// Runs of each kind, taken in turn, so that the machine's drift falls on both.
const ROUNDS: usize = 3;

/// What was measured: p50 and p99 in µs of each run, in the order they ran.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub direct: Vec<(u64, u64)>,
    pub gateway: Vec<(u64, u64)>,
    pub cached: Vec<(u64, u64)>,
}

fn body(temperature: Option<f32>) -> bytes::Bytes {
    let mut body = serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "is there a linen apron in the shop?"}],
    });
    if let Some(temperature) = temperature {
        body["temperature"] = serde_json::json!(temperature);
    }
    body.to_string().into()
}

/// The shop's settings: the stand-in its one provider, and budgets no bench reaches.
fn settings(standin: &str) -> String {
    format!(
        "[inference.llm]\ncaller_requests_per_minute = 1000000000\n\
         caller_tokens_per_hour = 1000000000000\n\n\
         [[inference.llm.providers]]\nname = \"standin\"\nkind = \"openai\"\n\
         url = \"{standin}/v1\"\nmodel = \"gpt-4o-mini\"\n"
    )
}

impl super::Bench<'_> {
    /// The stand-in called directly and through the shop, in turn, then cached answers.
    pub(super) async fn llm(&mut self) -> anyhow::Result<Figures> {
        let duration = Duration::from_secs(self.args.seconds);
        let standin = inference::standin::StandIn::start("127.0.0.1:0".parse()?, "").await?;
        let folder = self.folder.join("llm");
        std::fs::create_dir_all(&folder)?;
        let config = folder.join("emporium.toml");
        std::fs::write(&config, settings(&standin.url))?;
        let config = config.to_string_lossy().into_owned();
        let mut environment: Vec<(&str, &str)> = shop::LOGS_AT_WARN.to_vec();
        environment.push(("EMPORIUM_CONFIG", &config));
        eprintln!("bench: the LLM gateway, the shop in one process before the stand-in");
        let shop = shop::one_process(&self.binary, &folder, &environment).await?;
        let http = super::client()?;
        let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
        let token = crate::load::sign_up(&http, &shop.base, &email)
            .await
            .context("sign a shopper up")?;
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let direct = Target {
            url: format!("{}/v1/chat/completions", standin.url),
            headers: HeaderMap::new(),
            body: Some(body(Some(0.5))),
        };
        let through = Target {
            url: format!("{}/v1/chat/completions", shop.base),
            headers: headers.clone(),
            body: Some(body(Some(0.5))),
        };
        let cached = Target {
            body: Some(body(None)),
            ..through.clone()
        };
        let mut figures = Figures::default();
        for _ in 0..ROUNDS {
            for (target, into) in [
                (&direct, &mut figures.direct),
                (&through, &mut figures.gateway),
                (&cached, &mut figures.cached),
            ] {
                let timing = (super::WARM_UP, duration);
                let sample =
                    measure::closed_loop(target, 1, timing, &shop.pids(), self.ticks_per_second)
                        .await?;
                anyhow::ensure!(
                    sample.errors == 0 && sample.requests > 0,
                    "{}: {:?}",
                    target.url,
                    sample.first_error
                );
                into.push((sample.p50_micros, sample.p99_micros));
            }
        }
        Ok(figures)
    }
}

fn median(runs: &[(u64, u64)]) -> f64 {
    let mut p50s: Vec<u64> = runs.iter().map(|(p50, _)| *p50).collect();
    p50s.sort_unstable();
    p50s.get(p50s.len() / 2).copied().unwrap_or_default() as f64
}

/// The LLM gateway's section of the document.
pub fn markdown(figures: &Figures) -> String {
    let met = |ok: bool| if ok { "**met**" } else { "not met" };
    let added = (median(&figures.gateway) - median(&figures.direct)) / 1000.0;
    let cached = median(&figures.cached) / 1000.0;
    let runs = |runs: &[(u64, u64)]| {
        runs.iter()
            .map(|(p50, p99)| format!("{:.2} / {:.2}", *p50 as f64 / 1000.0, *p99 as f64 / 1000.0))
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "\n## The LLM gateway\n\nA chat completion (not streamed) at one connection, {ROUNDS} \
         runs of each in turn: the stand-in provider called directly, the same request through \
         the shop's `/v1/chat/completions` (a temperature, so never cached), and the request \
         without a temperature (answered from the cache).\n\n\
         | request | p50 / p99 of each run (ms) |\n|---|---|\n\
         | the provider directly | {} |\n| through the gateway | {} |\n| a cache hit | {} |\n\n\
         - What the gateway adds, p50 (medians): {added:.2} ms (target ≤ 1 ms: {}).\n\
         - A cache hit, p50 (median): {cached:.2} ms (target < 1 ms: {}).\n",
        runs(&figures.direct),
        runs(&figures.gateway),
        runs(&figures.cached),
        met(added <= 1.0),
        met(cached < 1.0),
    )
}
