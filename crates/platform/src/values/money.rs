//! `Money`: an amount in integer minor units with its ISO 4217 currency; never a float.

use super::Invalid;

/// An amount of money in integer minor units (cents for USD) and its currency: never a float,
/// never negative. Only `parse` makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    minor_units: i64,
    currency: String,
}

impl Money {
    /// The most `parse` accepts: ten million in major units, the bound the REST `Money` shape
    /// publishes. A payment, which may add up many lines, has its own bound in payments.
    pub const MAX_MINOR_UNITS: i64 = 1_000_000_000;

    /// Parses an amount: not negative, at most `MAX_MINOR_UNITS`, and a currency of three
    /// upper-case letters (spaces around it are trimmed). Every error names `field`.
    pub fn parse(field: &'static str, minor_units: i64, currency: &str) -> Result<Money, Invalid> {
        if minor_units < 0 {
            return Err(Invalid::new(field, "must not be negative"));
        }
        if minor_units > Money::MAX_MINOR_UNITS {
            return Err(Invalid::new(
                field,
                format!("must be at most {} minor units", Money::MAX_MINOR_UNITS),
            ));
        }
        let currency = currency.trim();
        if !is_currency_code(currency) {
            return Err(Invalid::new(
                field,
                "currency must be an ISO 4217 code such as USD",
            ));
        }
        Ok(Money {
            minor_units,
            currency: currency.to_owned(),
        })
    }

    /// The amount in minor units.
    pub fn minor_units(&self) -> i64 {
        self.minor_units
    }

    /// The ISO 4217 code, such as USD.
    pub fn currency(&self) -> &str {
        &self.currency
    }
}

/// Checks a currency given as a field of its own (a payment's `amount.currency`): three
/// upper-case letters, taken as given, nothing trimmed.
pub fn parse_currency(field: &'static str, raw: &str) -> Result<String, Invalid> {
    if !is_currency_code(raw) {
        return Err(Invalid::new(field, "must be an ISO 4217 code such as USD"));
    }
    Ok(raw.to_owned())
}

/// Whether `code` has the form of an ISO 4217 code: three upper-case ASCII letters.
fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase())
}
