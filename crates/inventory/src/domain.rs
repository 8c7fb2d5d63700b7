//! Inventory's pure rules: reservation lines, their states and what may follow what.

use std::collections::BTreeMap;

/// A field failed validation; the message names the field (`platform::values`, shared by every
/// service).
pub use platform::values::Invalid;

/// The most lines one reservation may hold.
pub const MAX_LINES: usize = 100;
/// The most units of one sku one reservation may hold.
pub const MAX_QUANTITY: u32 = 10_000;

/// What a reservation holds: quantities by sku, each sku once, in sku order (so that every
/// transaction locks rows in the same order and two reservations cannot deadlock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lines(BTreeMap<String, i64>);

impl Lines {
    /// Checks and merges `(sku, quantity)` pairs; a sku given twice counts its quantities together.
    pub fn parse(pairs: impl IntoIterator<Item = (String, u32)>) -> Result<Lines, Invalid> {
        let mut lines = BTreeMap::new();
        for (sku, quantity) in pairs {
            let sku = sku.trim().to_ascii_uppercase();
            let well_formed = (3..=32).contains(&sku.len())
                && !sku.starts_with('-')
                && sku
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-');
            if !well_formed {
                return Err(Invalid::new("lines.sku", format!("`{sku}` is not a sku")));
            }
            if quantity == 0 || quantity > MAX_QUANTITY {
                return Err(Invalid::new(
                    "lines.quantity",
                    format!("must be 1 to {MAX_QUANTITY}"),
                ));
            }
            *lines.entry(sku).or_insert(0) += i64::from(quantity);
        }
        if lines.is_empty() {
            return Err(Invalid::new(
                "lines",
                "a reservation holds at least one line",
            ));
        }
        if lines.len() > MAX_LINES {
            return Err(Invalid::new("lines", format!("at most {MAX_LINES} lines")));
        }
        if lines
            .values()
            .any(|quantity| *quantity > i64::from(MAX_QUANTITY))
        {
            return Err(Invalid::new(
                "lines.quantity",
                format!("must be 1 to {MAX_QUANTITY}"),
            ));
        }
        Ok(Lines(lines))
    }

    /// Lines read back from the store, already checked when they were written.
    pub(crate) fn from_stored(lines: BTreeMap<String, i64>) -> Lines {
        Lines(lines)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, i64)> {
        self.0
            .iter()
            .map(|(sku, quantity)| (sku.as_str(), *quantity))
    }

    pub fn skus(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Where a reservation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Held,
    Committed,
    Released,
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Held => "held",
            State::Committed => "committed",
            State::Released => "released",
            State::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        match raw {
            "held" => Some(State::Held),
            "committed" => Some(State::Committed),
            "released" => Some(State::Released),
            "expired" => Some(State::Expired),
            _ => None,
        }
    }
}

/// What a request to move a reservation to `target` comes to, from `current`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Do it: held stock moves.
    Apply,
    /// It is there already; answer as if it had just been done (retries are safe).
    AlreadyDone,
    /// It cannot happen from here.
    Refuse,
}

/// The reservation state machine: held → committed, held → released, held → expired, and
/// committed → released, which puts the sold stock back on hand (the compensation of a checkout
/// that failed after its stock was committed, say when the commit's answer was lost).
/// Releasing what was released or expired is a no-op, so compensations can repeat.
pub fn transition(current: State, target: State) -> Transition {
    match (current, target) {
        (State::Held, State::Committed | State::Released | State::Expired) => Transition::Apply,
        (State::Committed, State::Released) => Transition::Apply,
        (State::Committed, State::Committed) => Transition::AlreadyDone,
        (State::Released | State::Expired, State::Released | State::Expired) => {
            Transition::AlreadyDone
        }
        _ => Transition::Refuse,
    }
}

/// The time-to-live of a reservation, bounded: a zero asks for the default.
pub fn ttl_seconds(asked: u32) -> Result<i64, Invalid> {
    match asked {
        0 => Ok(15 * 60),
        seconds if seconds > 24 * 3600 => {
            Err(Invalid::new("ttl_seconds", "must be at most one day"))
        }
        seconds => Ok(i64::from(seconds)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_merged_sorted_and_checked() {
        let lines = Lines::parse([
            ("kit-2".to_owned(), 2),
            ("KIT-1".to_owned(), 1),
            ("KIT-2".to_owned(), 3),
        ])
        .unwrap();
        assert_eq!(
            lines.iter().collect::<Vec<_>>(),
            vec![("KIT-1", 1), ("KIT-2", 5)]
        );
        assert_eq!(Lines::parse([]).unwrap_err().field, "lines");
        assert_eq!(
            Lines::parse([("KIT-1".to_owned(), 0)]).unwrap_err().field,
            "lines.quantity"
        );
        assert_eq!(
            Lines::parse([("no".to_owned(), 1)]).unwrap_err().field,
            "lines.sku"
        );
        assert!(
            Lines::parse([("KIT-1".to_owned(), MAX_QUANTITY), ("KIT-1".to_owned(), 1)]).is_err()
        );
    }

    #[test]
    fn the_state_machine_allows_only_moves_from_held_and_safe_repeats() {
        use State::*;
        assert_eq!(transition(Held, Committed), Transition::Apply);
        assert_eq!(transition(Held, Released), Transition::Apply);
        assert_eq!(transition(Held, Expired), Transition::Apply);
        assert_eq!(transition(Committed, Committed), Transition::AlreadyDone);
        assert_eq!(transition(Released, Released), Transition::AlreadyDone);
        assert_eq!(transition(Expired, Released), Transition::AlreadyDone);
        assert_eq!(transition(Committed, Released), Transition::Apply);
        assert_eq!(transition(Committed, Expired), Transition::Refuse);
        assert_eq!(transition(Released, Committed), Transition::Refuse);
        assert_eq!(transition(Expired, Committed), Transition::Refuse);
    }

    #[test]
    fn ttls_default_and_cap() {
        assert_eq!(ttl_seconds(0).unwrap(), 900);
        assert_eq!(ttl_seconds(30).unwrap(), 30);
        assert!(ttl_seconds(86_401).is_err());
    }
}
