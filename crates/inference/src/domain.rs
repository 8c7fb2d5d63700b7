//! The registry's rules, without IO: a model's versions and their stages, the moves between
//! stages, and which version answers a request and which only watches it.

pub mod agreement;
pub mod drift;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// A rule a request broke, naming the field and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// Where a version is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Registered and evaluated; may take canary or shadow traffic.
    Candidate,
    /// Answers the model's requests; one version of a model at a time.
    Production,
    /// Out of service; kept, with its figures, to roll back to or to audit.
    Archived,
}

/// One version of a model, as the registry keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub model: String,
    pub number: u32,
    /// What runs: an embedder's name (`minilm-static`).
    pub artefact: String,
    /// The SHA-256 of the artefact (the weights), hex.
    pub sha256: String,
    /// Where the artefact came from, and under which licence.
    pub source: String,
    pub licence: String,
    /// Figures of the offline evaluation (`ndcg@10` for an embedder), by name.
    pub evaluation: Vec<(String, f64)>,
    pub stage: Stage,
    pub created_at_ms: i64,
    /// When it was promoted (milliseconds): a roll back restores the version promoted before
    /// the current one, keeping its time, and clears the time of the one rolled back from, so
    /// that no later roll back brings that one back.
    pub promoted_at_ms: Option<i64>,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Candidate => "candidate",
            Stage::Production => "production",
            Stage::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        [Stage::Candidate, Stage::Production, Stage::Archived]
            .into_iter()
            .find(|stage| stage.as_str() == text)
    }
}

/// A change of stage the registry makes: `(version number, new stage)`.
pub type Move = (u32, Stage);

/// The moves that make `number` production: a candidate, or an archived version brought back;
/// the production version, if any, is archived. The store stamps the promotion's time.
pub fn promote(versions: &[Version], number: u32) -> Result<Vec<Move>, Invalid> {
    let target = find(versions, number)?;
    if target.stage == Stage::Production {
        return Err(invalid(
            "version",
            format!("{} version {number} is in production already", target.model),
        ));
    }
    let mut moves: Vec<Move> = production(versions)
        .map(|current| (current.number, Stage::Archived))
        .into_iter()
        .collect();
    moves.push((number, Stage::Production));
    Ok(moves)
}

/// The moves that put back the version that was production before the current one, and
/// archive the current one.
pub fn roll_back(versions: &[Version]) -> Result<Vec<Move>, Invalid> {
    let current = production(versions)
        .ok_or_else(|| invalid("model", "no version is in production: nothing to roll back"))?;
    let before = versions
        .iter()
        .filter(|version| version.stage == Stage::Archived)
        .filter(|version| version.promoted_at_ms < current.promoted_at_ms)
        .filter(|version| version.promoted_at_ms.is_some())
        .max_by_key(|version| version.promoted_at_ms)
        .ok_or_else(|| {
            invalid(
                "model",
                format!(
                    "{} version {} is the first in production: there is none to roll back to",
                    current.model, current.number
                ),
            )
        })?;
    Ok(vec![
        (current.number, Stage::Archived),
        (before.number, Stage::Production),
    ])
}

/// The move that takes `number` out of service. Production cannot be retired: promote another
/// version or roll back first, so the model always has one that answers.
pub fn retire(versions: &[Version], number: u32) -> Result<Move, Invalid> {
    let target = find(versions, number)?;
    match target.stage {
        Stage::Production => Err(invalid(
            "version",
            format!(
                "{} version {number} is in production: promote another or roll back before retiring it",
                target.model
            ),
        )),
        Stage::Archived => Err(invalid(
            "version",
            format!("{} version {number} is archived already", target.model),
        )),
        Stage::Candidate => Ok((number, Stage::Archived)),
    }
}

/// The version in production, if any.
pub fn production(versions: &[Version]) -> Option<&Version> {
    versions
        .iter()
        .find(|version| version.stage == Stage::Production)
}

fn find(versions: &[Version], number: u32) -> Result<&Version, Invalid> {
    versions
        .iter()
        .find(|version| version.number == number)
        .ok_or_else(|| {
            let model = versions
                .first()
                .map_or("the model", |version| version.model.as_str());
            invalid("version", format!("{model} has no version {number}"))
        })
}

/// How a model's live requests are shared: production answers, a canary answers a share of
/// them instead, and a shadow sees every request answered but its answers are only compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// `(version, share of requests in basis points, 1 to 5,000)`: at most half the traffic.
    pub canary: Option<(u32, u32)>,
    pub shadow: Option<u32>,
}

/// The most of a model's traffic a canary may take, in basis points.
pub const MOST_CANARY_BASIS_POINTS: u32 = 5_000;

/// `traffic` when its versions are candidates of the model and its share is in range.
pub fn check_traffic(traffic: Traffic, versions: &[Version]) -> Result<Traffic, Invalid> {
    let candidate = |field: &'static str, number: u32| -> Result<(), Invalid> {
        let version = find(versions, number).map_err(|error| invalid(field, error.reason))?;
        match version.stage {
            Stage::Candidate => Ok(()),
            stage => Err(invalid(
                field,
                format!("version {number} is {stage:?}, not a candidate").to_lowercase(),
            )),
        }
    };
    if let Some((number, basis_points)) = traffic.canary {
        candidate("canary", number)?;
        if !(1..=MOST_CANARY_BASIS_POINTS).contains(&basis_points) {
            return Err(invalid(
                "canary",
                format!(
                    "a share of {basis_points} basis points: 1 to {MOST_CANARY_BASIS_POINTS} (0.01% to 50%)"
                ),
            ));
        }
    }
    if let Some(number) = traffic.shadow {
        candidate("shadow", number)?;
    }
    Ok(traffic)
}

/// Which version answers one request, and which watches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub answer: u32,
    pub shadow: Option<u32>,
}

/// The route of a request of a model whose production version is `production`, given `roll`,
/// uniform in `0..10_000` and drawn per request.
pub fn route(production: u32, traffic: Traffic, roll: u32) -> Route {
    let answer = match traffic.canary {
        Some((canary, basis_points)) if roll < basis_points => canary,
        _ => production,
    };
    // A shadow that answers this request already has nothing to be compared with.
    let shadow = traffic.shadow.filter(|shadow| *shadow != answer);
    Route { answer, shadow }
}
