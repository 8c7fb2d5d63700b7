//! The cart's pure rules: which quantities and skus a cart accepts.

/// A field failed validation; the message names the field (`platform::values`, shared by every
/// service).
pub use platform::values::Invalid;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_quantity_per_line: u32,
    pub(crate) max_lines: u32,
}

/// Checks a sku's form (the catalog decides whether it exists); upper-cases it.
pub(crate) fn parse_sku(raw: &str) -> Result<String, Invalid> {
    let sku = raw.trim().to_ascii_uppercase();
    let well_formed = (3..=32).contains(&sku.len())
        && !sku.starts_with('-')
        && sku
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-');
    if !well_formed {
        return Err(Invalid::new(
            "sku",
            "must be 3 to 32 letters, digits and dashes",
        ));
    }
    Ok(sku)
}

/// A quantity to add: at least one, at most the per-line limit.
pub(crate) fn parse_quantity(quantity: u32, limits: Limits) -> Result<i64, Invalid> {
    if quantity == 0 {
        return Err(Invalid::new("quantity", "must be at least 1"));
    }
    if quantity > limits.max_quantity_per_line {
        return Err(Invalid::new(
            "quantity",
            format!(
                "must be at most {} per product",
                limits.max_quantity_per_line
            ),
        ));
    }
    Ok(i64::from(quantity))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_quantity_per_line: 99,
        max_lines: 50,
    };

    #[test]
    fn quantities_must_be_between_one_and_the_limit() {
        assert_eq!(parse_quantity(1, LIMITS).unwrap(), 1);
        assert_eq!(parse_quantity(99, LIMITS).unwrap(), 99);
        assert_eq!(parse_quantity(0, LIMITS).unwrap_err().field, "quantity");
        assert_eq!(parse_quantity(100, LIMITS).unwrap_err().field, "quantity");
        assert_eq!(
            parse_quantity(u32::MAX, LIMITS).unwrap_err().field,
            "quantity"
        );
    }

    #[test]
    fn skus_are_checked_for_form() {
        assert_eq!(parse_sku("kit-00001").unwrap(), "KIT-00001");
        assert!(parse_sku("").is_err());
        assert!(parse_sku("a b c").is_err());
        assert!(parse_sku("' OR 1=1 --").is_err());
    }
}
