//! `Card`: a payment card checked as a checkout form checks it, or as a processor does before
//! it asks the issuer; its number never prints.

use super::Invalid;

/// A payment card. Its fields are public to read; outside `platform` only `parse` and
/// `parse_as_processor` make one. `Debug` shows the last four digits only, so a card in a log
/// line or a panic gives its number away to no one.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Card {
    /// 12 to 19 digits; the spaces and dashes it was given with are dropped.
    pub number: String,
    /// 1 to 12.
    pub exp_month: u32,
    /// The full year, such as 2030.
    pub exp_year: u32,
    /// 3 or 4 digits.
    pub cvc: String,
    /// The name on the card, trimmed; may be empty.
    pub holder: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Card(**** {})", self.last4())
    }
}

impl Card {
    /// Checks the card as a checkout form does: the number (12 to 19 digits; spaces and dashes
    /// ignored), the expiry month (1 to 12) and the CVC (3 or 4 digits). The processor checks
    /// again, with the Luhn checksum and the date, and decides.
    pub fn parse(
        number: &str,
        exp_month: u32,
        exp_year: u32,
        cvc: &str,
        holder: &str,
    ) -> Result<Card, Invalid> {
        Card::check(number, exp_month, exp_year, cvc, holder, None)
    }

    /// Checks the card as a processor does before it asks the issuer: what `parse` checks, the
    /// number's Luhn checksum, and an expiry that has not passed as of `today` (year, month)
    /// and is at most 30 years ahead. The card is good through its expiry month.
    pub fn parse_as_processor(
        number: &str,
        exp_month: u32,
        exp_year: u32,
        cvc: &str,
        holder: &str,
        today: (u32, u32),
    ) -> Result<Card, Invalid> {
        Card::check(number, exp_month, exp_year, cvc, holder, Some(today))
    }

    /// The number's last four digits, which may be shown.
    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }

    /// Both kinds of check, in the order their errors are reported: number, checksum, month,
    /// expiry, CVC. `today` is `None` for the form's checks, which skip checksum and expiry.
    fn check(
        number: &str,
        exp_month: u32,
        exp_year: u32,
        cvc: &str,
        holder: &str,
        today: Option<(u32, u32)>,
    ) -> Result<Card, Invalid> {
        let digits: String = number
            .chars()
            .filter(|character| !matches!(character, ' ' | '-'))
            .collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(Invalid::new("card.number", "must be 12 to 19 digits"));
        }
        if today.is_some() && !passes_luhn(&digits) {
            return Err(Invalid::new("card.number", "fails the Luhn check"));
        }
        if !(1..=12).contains(&exp_month) {
            return Err(Invalid::new("card.exp_month", "must be 1 to 12"));
        }
        if let Some((year, month)) = today
            && (exp_year < year || (exp_year == year && exp_month < month) || exp_year > year + 30)
        {
            return Err(Invalid::new(
                "card.exp_year",
                "the card has expired or the year is implausible",
            ));
        }
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(Invalid::new("card.cvc", "must be 3 or 4 digits"));
        }
        Ok(Card {
            number: digits,
            exp_month,
            exp_year,
            cvc: cvc.to_owned(),
            holder: holder.trim().to_owned(),
        })
    }
}

/// Whether a string of ASCII digits passes the Luhn checksum; anything else does not.
fn passes_luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (index, byte) in digits.bytes().rev().enumerate() {
        let Some(digit) = char::from(byte).to_digit(10) else {
            return false;
        };
        sum += if index % 2 == 1 {
            let doubled = digit * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            digit
        };
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}
