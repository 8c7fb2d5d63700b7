//! Versioned domain events and the envelope they travel in: the CloudEvents attributes (id, type,
//! source, subject, time, data) plus the W3C `traceparent` of the change that caused them.
//!
//! Serde only: no IO, no runtime. A service writes `Envelope::new(id, &event, now)` to its outbox
//! in the same transaction as the change; a consumer reads `envelope.decode::<E>()`.
//! An event's `TYPE` carries its version (`emporium.orders.order_placed.v1`): a change that breaks
//! readers is a new type, published beside the old one until no reader needs it.

pub mod catalog;
pub mod checkout;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The domains events belong to: the second token of every subject. A bus keeps a stream per
/// domain.
pub const DOMAINS: &[&str] = &[
    "catalog",
    "inventory",
    "payments",
    "shipping",
    "orders",
    "functions",
];

/// The CloudEvents version of the envelope.
pub const SPEC_VERSION: &str = "1.0";

/// A domain event: its payload type names its CloudEvents `type`, `source` and bus subject.
pub trait Event: Serialize + DeserializeOwned {
    /// The CloudEvents `type`, with the version: `emporium.<service>.<what_happened>.v<N>`.
    const TYPE: &'static str;
    /// The CloudEvents `source`: the service that publishes it, `/emporium/<service>`.
    const SOURCE: &'static str;
    /// The bus subject it is published on: `emporium.<service>.<what_happened>`.
    const SUBJECT: &'static str;

    /// The CloudEvents `subject`: the entity the event is about, such as an order id.
    fn about(&self) -> String;
}

/// A CloudEvents 1.0 envelope (JSON format) with a W3C trace context extension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub specversion: String,
    /// Unique per event; consumers deduplicate by it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub subject: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub datacontenttype: String,
    pub data: serde_json::Value,
    /// The trace of the change that caused this event (CloudEvents distributed tracing extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// An envelope did not hold the event asked for.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("expected an event of type {expected}, got {actual}")]
    WrongType {
        expected: &'static str,
        actual: String,
    },
    #[error("the data of event {id} does not match {kind}: {source}")]
    BadData {
        id: String,
        kind: String,
        source: serde_json::Error,
    },
}

impl Envelope {
    /// Wraps `event`; `unix_millis` is when the change happened.
    pub fn new<E: Event>(id: String, event: &E, unix_millis: i64) -> Envelope {
        Envelope {
            specversion: SPEC_VERSION.to_owned(),
            id,
            kind: E::TYPE.to_owned(),
            source: E::SOURCE.to_owned(),
            subject: event.about(),
            time: rfc3339(unix_millis),
            datacontenttype: "application/json".to_owned(),
            // Our events are plain structs of strings and numbers; they always serialize.
            data: serde_json::to_value(event).unwrap_or(serde_json::Value::Null),
            traceparent: None,
        }
    }

    pub fn with_traceparent(mut self, traceparent: Option<String>) -> Envelope {
        self.traceparent = traceparent;
        self
    }

    /// True when the envelope holds an `E`.
    pub fn is<E: Event>(&self) -> bool {
        self.kind == E::TYPE
    }

    /// The event inside, if it is an `E`.
    pub fn decode<E: Event>(&self) -> Result<E, DecodeError> {
        if !self.is::<E>() {
            return Err(DecodeError::WrongType {
                expected: E::TYPE,
                actual: self.kind.clone(),
            });
        }
        serde_json::from_value(self.data.clone()).map_err(|source| DecodeError::BadData {
            id: self.id.clone(),
            kind: self.kind.clone(),
            source,
        })
    }
}

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC (`2026-11-28T13:20:42.515Z`).
pub fn rfc3339(unix_millis: i64) -> String {
    let seconds = unix_millis.div_euclid(1000);
    let millis = unix_millis.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
