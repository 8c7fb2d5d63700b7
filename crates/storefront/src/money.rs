//! Prices as a shopper reads them.

use proto::common::Money;

/// `$53.99` for dollars, `€12.00` for euros, `12.00 CHF` for the rest.
pub(crate) fn format(money: Option<&Money>) -> String {
    let Some(money) = money else {
        return String::new();
    };
    let sign = if money.minor_units < 0 { "-" } else { "" };
    let units = money.minor_units.unsigned_abs();
    let amount = format!("{}.{:02}", units / 100, units % 100);
    match money.currency.as_str() {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

/// Whole units of a price as a form writes them (`53.99` is 5399 minor units); `None` when
/// the text is no amount.
pub(crate) fn parse_minor_units(text: &str) -> Option<i64> {
    let text = text.trim().trim_start_matches('$');
    if text.is_empty() {
        return None;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if fraction.len() > 2 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok().filter(|whole: &i64| *whole >= 0)?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor_units: i64, currency: &str) -> Money {
        Money {
            minor_units,
            currency: currency.to_owned(),
        }
    }

    #[test]
    fn prices_read_as_people_write_them() {
        assert_eq!(format(Some(&money(5399, "USD"))), "$53.99");
        assert_eq!(format(Some(&money(5, "EUR"))), "€0.05");
        assert_eq!(format(Some(&money(-1200, "CHF"))), "-12.00 CHF");
        assert_eq!(format(None), "");
    }

    #[test]
    fn form_amounts_become_minor_units() {
        assert_eq!(parse_minor_units("53.99"), Some(5399));
        assert_eq!(parse_minor_units("$20"), Some(2000));
        assert_eq!(parse_minor_units("7.5"), Some(750));
        assert_eq!(parse_minor_units(""), None);
        assert_eq!(parse_minor_units("1.999"), None);
        assert_eq!(parse_minor_units("-3"), None);
        assert_eq!(parse_minor_units("ten"), None);
    }
}
