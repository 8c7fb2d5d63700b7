//! `Address`: where a parcel goes, with every part a carrier needs.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// The most characters one part of an address may hold.
const MAX_PART_CHARS: usize = 200;

/// A postal address a carrier accepts. Its fields are public to read; outside `platform` only
/// `parse` makes one (or deserializing one that was parsed before).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// Who receives the parcel.
    pub name: String,
    /// The street and number.
    pub line1: String,
    /// Anything more (a flat, a floor); may be empty.
    pub line2: String,
    /// The city or town.
    pub city: String,
    /// The postal code, as the country writes it.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

impl Address {
    /// Checks that every part a carrier needs is there: name, line 1, city and postal code of
    /// 1 to 200 characters, a country of two letters (upper-cased). Line 2 is optional and cut
    /// to 200 characters. Parts are trimmed; errors name `address.<part>`.
    pub fn parse(
        name: &str,
        line1: &str,
        line2: &str,
        city: &str,
        postal_code: &str,
        country: &str,
    ) -> Result<Address, Invalid> {
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(Invalid::new(
                "address.country",
                "must be an ISO 3166-1 alpha-2 code such as US",
            ));
        }
        Ok(Address {
            name: required("address.name", name)?,
            line1: required("address.line1", line1)?,
            line2: line2.trim().chars().take(MAX_PART_CHARS).collect(),
            city: required("address.city", city)?,
            postal_code: required("address.postal_code", postal_code)?,
            country,
        })
    }
}

/// A part of an address that must be there: trimmed, 1 to 200 characters.
fn required(field: &'static str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    match value.chars().count() {
        0 => Err(Invalid::new(field, "is required")),
        1..=MAX_PART_CHARS => Ok(value.to_owned()),
        _ => Err(Invalid::new(field, "must be at most 200 characters")),
    }
}
