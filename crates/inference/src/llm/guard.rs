//! What keeps prompts and answers from leaking: personal data redacted before a prompt or an
//! answer reaches a log or a span (e-mail addresses, card numbers, telephone numbers), and
//! texts shortened for the same places.

use std::sync::LazyLock;

use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("a valid pattern")
});
/// 13 to 19 digits, spaces or dashes between them: a card number when its Luhn sum checks.
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").expect("a valid pattern"));
/// A telephone number: an optional `+`, then 9 to 15 digits with spaces, dots, dashes or
/// brackets between them.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\(?\d(?:[ .\-()]{0,2}\d){8,14}\b").expect("a valid pattern"));

/// `text` with e-mail addresses, card numbers and telephone numbers replaced by what they are.
pub fn redact(text: &str) -> String {
    let text = EMAIL.replace_all(text, "[email]");
    let text = CARD.replace_all(&text, |found: &regex::Captures<'_>| {
        let number = &found[0];
        match luhn(number) {
            true => "[card]".to_owned(),
            false => number.to_owned(),
        }
    });
    PHONE.replace_all(&text, "[phone]").into_owned()
}

/// Whether the digits of `number` pass the Luhn check that card numbers carry.
fn luhn(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(at, &digit)| match at % 2 {
            1 if digit * 2 > 9 => digit * 2 - 9,
            1 => digit * 2,
            _ => digit,
        })
        .sum();
    digits.len() >= 13 && sum.is_multiple_of(10)
}

/// At most `most` characters of `text`, with `…` when it was longer.
pub fn shorten(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_cards_and_telephones_are_redacted_and_other_numbers_kept() {
        let said = "I am ada@example.com, card 4242 4242 4242 4242, call +44 20 7946 0958; \
                    order o-123, 3 aprons at 12.50, tracking 1234567890123";
        let redacted = redact(said);
        assert_eq!(
            redacted,
            "I am [email], card [card], call [phone]; order o-123, 3 aprons at 12.50, \
             tracking [phone]"
        );
        assert!(!redact("4242-4242-4242-4242").contains("4242"));
        assert_eq!(shorten("kettle", 3), "ket…");
        assert_eq!(shorten("pot", 3), "pot");
    }
}
