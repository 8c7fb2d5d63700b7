//! How a span's fields appear in the JSON log lines: what a person reads (the trace and request
//! ids, the domain's ids and values), without the attributes that are there for the spans
//! (`otel.*`, `http.*`, `rpc.*`, `messaging.*`, `db.*`, `peer.*`, `emporium.*`).
//!
//! tracing-subscriber's own JSON fields parse and write a span's fields again each time one is
//! recorded after the span was made; with the spans' attributes among them, that was a fifth of
//! a product read's CPU. Here a record of span attributes only costs nothing, and a field
//! recorded later is appended to the object as it stands.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::Writer;

/// Prefixes of the fields that are for spans, not for log lines.
const FOR_SPANS: [&str; 7] = [
    "otel.",
    "http.",
    "rpc.",
    "messaging.",
    "db.",
    "peer.",
    "emporium.",
];

/// A span's fields as a JSON object, without the spans' attributes.
#[derive(Debug, Default)]
pub(super) struct LogFields;

/// The fields kept so far, written as the members of a JSON object (without its braces) as
/// they are visited: no map of owned names and values to build and then serialise.
#[derive(Default)]
struct Kept(Vec<u8>);

impl Kept {
    fn keep(&mut self, field: &Field, value: impl serde::Serialize) {
        let name = field.name();
        if FOR_SPANS.iter().any(|prefix| name.starts_with(prefix)) {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(b',');
        }
        // Into a Vec, a name and a value of these types cannot fail to serialise.
        let _ = serde_json::to_writer(&mut self.0, name);
        self.0.push(b':');
        let _ = serde_json::to_writer(&mut self.0, &value);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members kept, as text: serde_json writes UTF-8 only.
    fn members(self) -> Result<String, fmt::Error> {
        String::from_utf8(self.0).map_err(|_| fmt::Error)
    }
}

impl Visit for Kept {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.keep(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.keep(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.keep(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.keep(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.keep(field, format!("{value:?}"));
    }
}

impl<'writer> FormatFields<'writer> for LogFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut kept = Kept::default();
        fields.record(&mut kept);
        writer.write_char('{')?;
        writer.write_str(&kept.members()?)?;
        writer.write_char('}')
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut kept = Kept::default();
        fields.record(&mut kept);
        if kept.is_empty() {
            return Ok(());
        }
        // Fields recorded later are new ones (declared empty at first), so they go at the end
        // of the object as it stands, with no parse; a repeated name keeps its last value when
        // the line is read.
        let added = kept.members()?;
        let fields = &mut current.fields;
        match fields.strip_suffix('}') {
            Some("{") | None => *fields = format!("{{{added}}}"),
            Some(_) => {
                fields.pop();
                fields.push(',');
                fields.push_str(&added);
                fields.push('}');
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// A JSON log line written inside a span whose fields were given at first and later.
    fn line() -> serde_json::Value {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = {
            let buffer = buffer.clone();
            move || Sink(buffer.clone())
        };
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .fmt_fields(LogFields)
            .with_writer(writer);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "request",
                otel.kind = "server",
                http.route = "/p",
                request_id = "r1",
                trace_id = tracing::field::Empty,
                rpc.grpc.status_code = tracing::field::Empty,
            );
            span.record("trace_id", "abc");
            span.record("rpc.grpc.status_code", 0);
            span.in_scope(|| tracing::info!("hello"));
        });
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_span_in_a_log_line_keeps_its_ids_and_leaves_the_span_attributes_out() {
        let line = line();
        let span = &line["spans"][0];
        assert_eq!(span["request_id"], "r1");
        assert_eq!(span["trace_id"], "abc", "recorded later, appended");
        assert_eq!(span["name"], "request");
        for attribute in ["otel.kind", "http.route", "rpc.grpc.status_code"] {
            assert!(span.get(attribute).is_none(), "{attribute} in {span}");
        }
    }
}
