//! What an answer cost: the tokens read and written at the provider's price. The table holds
//! the list prices of well-known models (US dollars a million tokens, as published in 2026); a
//! provider's own `prices` setting comes first, and a model found in neither costs nothing (a
//! server of one's own).

use serde::{Deserialize, Serialize};

use super::Usage;

/// US dollars a million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// List prices by model name prefix; the longest prefix that matches wins.
const TABLE: &[(&str, Price)] = &[
    (
        "gpt-4o-mini",
        Price {
            input: 0.15,
            output: 0.60,
        },
    ),
    (
        "gpt-4o",
        Price {
            input: 2.50,
            output: 10.00,
        },
    ),
    (
        "gpt-4.1-nano",
        Price {
            input: 0.10,
            output: 0.40,
        },
    ),
    (
        "gpt-4.1-mini",
        Price {
            input: 0.40,
            output: 1.60,
        },
    ),
    (
        "gpt-4.1",
        Price {
            input: 2.00,
            output: 8.00,
        },
    ),
    (
        "claude-3-5-haiku",
        Price {
            input: 0.80,
            output: 4.00,
        },
    ),
    (
        "claude-haiku-4",
        Price {
            input: 1.00,
            output: 5.00,
        },
    ),
    (
        "claude-sonnet-4",
        Price {
            input: 3.00,
            output: 15.00,
        },
    ),
    (
        "claude-opus-4",
        Price {
            input: 15.00,
            output: 75.00,
        },
    ),
];

/// The price of `model`: `configured` when set, else the table's, else nothing.
pub fn price(model: &str, configured: Option<Price>) -> Price {
    configured.unwrap_or_else(|| {
        TABLE
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(
                Price {
                    input: 0.0,
                    output: 0.0,
                },
                |(_, price)| *price,
            )
    })
}

/// What `usage` cost at `price`, in US dollars.
pub fn of(usage: Usage, price: Price) -> f64 {
    (f64::from(usage.input_tokens) * price.input + f64::from(usage.output_tokens) * price.output)
        / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_prices_a_model_and_a_setting_comes_first() {
        let usage = Usage {
            input_tokens: 1_000,
            output_tokens: 500,
        };
        let mini = price("gpt-4o-mini-2024-07-18", None);
        assert_eq!(mini.input, 0.15);
        assert!((of(usage, mini) - 0.00045).abs() < 1e-12);
        assert_eq!(price("llama3.2", None).output, 0.0);
        let own = Price {
            input: 1.0,
            output: 2.0,
        };
        assert_eq!(price("gpt-4o", Some(own)), own);
    }
}
