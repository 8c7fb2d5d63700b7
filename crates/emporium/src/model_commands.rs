//! `emporium model list|promote|rollback|retire|traffic`: the model registry of a running shop
//! through its admin REST API (`/api/v1/admin/models`), as an operator's script would. The shop
//! and the token are found as for `emporium fn`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::Settings;
use crate::function_commands::Shop;

#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The shop's base URL; default: `public_url` of these settings.
    #[arg(long, global = true)]
    url: Option<String>,
    /// An access token with `models.admin`; default: one minted for the admin client from this
    /// data folder.
    #[arg(long, global = true, env = "EMPORIUM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Lists the models with their versions (stage, artefact, checksum, evaluation) and traffic.
    List,
    /// Makes a version production; the one before is archived.
    Promote { model: String, version: u32 },
    /// Puts back the version that was production before the current one.
    Rollback { model: String },
    /// Archives a candidate.
    Retire { model: String, version: u32 },
    /// Sets the canary (`--canary 2:10` sends 10% of requests to version 2) and the shadow;
    /// neither removes both.
    Traffic {
        model: String,
        /// `VERSION:PERCENT`, the percent from 0.01 to 50.
        #[arg(long)]
        canary: Option<String>,
        /// A candidate that sees every request and is only compared.
        #[arg(long)]
        shadow: Option<u32>,
    },
}

pub async fn run(settings: Settings, args: ModelArgs) -> anyhow::Result<()> {
    let resource = ("models", proto::scopes::MODELS_ADMIN);
    let shop = Shop::connect(settings, args.url, args.token, resource).await?;
    let post = reqwest::Method::POST;
    let answer = match args.command {
        ModelCommand::List => {
            let list = shop.call(reqwest::Method::GET, "", None).await?;
            for model in list["models"].as_array().into_iter().flatten() {
                print!("{}", describe(model));
            }
            return Ok(());
        }
        ModelCommand::Promote { model, version } => {
            let body = json!({"version": version});
            shop.call(post, &format!("/{model}/promote"), Some(body))
                .await?
        }
        ModelCommand::Rollback { model } => {
            shop.call(post, &format!("/{model}/rollback"), None).await?
        }
        ModelCommand::Retire { model, version } => {
            let body = json!({"version": version});
            shop.call(post, &format!("/{model}/retire"), Some(body))
                .await?
        }
        ModelCommand::Traffic {
            model,
            canary,
            shadow,
        } => {
            let mut body = json!({"shadow_version": shadow});
            if let Some(canary) = canary {
                let (version, basis_points) = parse_canary(&canary)?;
                body["canary_version"] = json!(version);
                body["canary_basis_points"] = json!(basis_points);
            }
            shop.call(
                reqwest::Method::PUT,
                &format!("/{model}/traffic"),
                Some(body),
            )
            .await?
        }
    };
    print!("{}", describe(&answer));
    Ok(())
}

/// `VERSION:PERCENT` as `(version, basis points)`.
fn parse_canary(text: &str) -> anyhow::Result<(u32, u32)> {
    let refused = || {
        anyhow::anyhow!(
            "--canary {text}: VERSION:PERCENT, such as 2:10 (the percent from 0.01 to 50)"
        )
    };
    let (version, percent) = text.split_once(':').ok_or_else(refused)?;
    let version: u32 = version.parse().map_err(|_| refused())?;
    let percent: f64 = percent
        .trim_end_matches('%')
        .parse()
        .map_err(|_| refused())?;
    let basis_points = (percent * 100.0).round();
    if !(1.0..=5_000.0).contains(&basis_points) {
        return Err(refused());
    }
    Ok((version, basis_points as u32))
}

/// A model as lines for a person: each version, then the traffic.
fn describe(model: &Value) -> String {
    let mut text = format!(
        "{} ({})\n",
        model["name"].as_str().unwrap_or("?"),
        model["kind"].as_str().unwrap_or("?")
    );
    for version in model["versions"].as_array().into_iter().flatten() {
        let sha256 = version["sha256"].as_str().unwrap_or_default();
        text += &format!(
            "  v{} {:<10} {:<18} sha256:{} {} {}\n",
            version["number"],
            version["stage"].as_str().unwrap_or("?"),
            version["artefact"].as_str().unwrap_or("?"),
            &sha256[..sha256.len().min(12)],
            version["licence"].as_str().unwrap_or("?"),
            version["evaluation"],
        );
    }
    let traffic = &model["traffic"];
    if let Some(canary) = traffic["canary_version"].as_u64() {
        let percent = traffic["canary_basis_points"].as_f64().unwrap_or(0.0) / 100.0;
        text += &format!("  canary: v{canary} takes {percent}% of requests\n");
    }
    if let Some(shadow) = traffic["shadow_version"].as_u64() {
        text += &format!("  shadow: v{shadow} sees every request, only compared\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canary_is_a_version_and_a_percent_of_requests() {
        assert_eq!(parse_canary("2:10").unwrap(), (2, 1_000));
        assert_eq!(parse_canary("3:0.5%").unwrap(), (3, 50));
        assert!(
            parse_canary("2:60")
                .unwrap_err()
                .to_string()
                .contains("0.01 to 50")
        );
        assert!(parse_canary("2").is_err());
        assert!(parse_canary("x:10").is_err());
    }
}
