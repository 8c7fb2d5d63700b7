//! Log lines that name the request they were written in without its span.
//!
//! A request's span in the log layer costs every request: the registry makes it, formats its
//! fields and enters it on every poll, though most requests write no line at all. So the log
//! layer leaves request spans out (`listed_in_logs`), and a line takes the request from the
//! task it was written in (`context::handle_in`) when it is written: in a JSON line, as the first
//! entries of `spans`, where the request's span used to be; in a text line, at its end. A
//! request's span is then made only when its trace is kept, for the trace.

use std::fmt;

use serde_json::{Map, Value, json};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::context::{Handling, current_handling};

/// `F`'s lines with the requests they were written in; `json` says whether `F` writes JSON.
pub(super) struct WithRequests<F> {
    pub inner: F,
    pub json: bool,
}

impl<S, N, F> FormatEvent<S, N> for WithRequests<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(handling) = current_handling() else {
            return self.inner.format_event(context, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(context, Writer::new(&mut line), event)?;
        match self.json {
            true => writer.write_str(&json_line(&line, &handling)),
            false => writer.write_str(&text_line(&line, &handling)),
        }
    }
}

/// The requests from the outermost in, as a JSON line lists spans.
fn requests(handling: &Handling) -> Vec<Value> {
    let mut requests = Vec::new();
    let mut next = Some(handling);
    while let Some(request) = next {
        let mut entry = json!({
            "name": "request",
            "kind": request.kind,
            "handler": request.handler,
            "trace_id": format!("{:032x}", request.trace_id),
        });
        if !request.request_id.is_empty() {
            entry["request_id"] = Value::from(request.request_id.as_str());
        }
        requests.push(entry);
        next = request.outer.as_deref();
    }
    requests.reverse();
    requests
}

fn json_line(line: &str, handling: &Handling) -> String {
    let Ok(mut object) = serde_json::from_str::<Map<String, Value>>(line) else {
        return line.to_owned();
    };
    let mut spans = requests(handling);
    if let Some(Value::Array(inner)) = object.remove("spans") {
        spans.extend(inner);
    }
    object.insert("spans".to_owned(), Value::Array(spans));
    match serde_json::to_string(&object) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        Err(_) => line.to_owned(),
    }
}

fn text_line(line: &str, handling: &Handling) -> String {
    format!(
        "{} {}={:?} trace_id={:032x}\n",
        line.trim_end(),
        handling.kind,
        handling.handler,
        handling.trace_id
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn handling() -> Handling {
        let outer = Handling {
            kind: "http",
            handler: "DELETE /api/v1/products/{sku}".to_owned(),
            request_id: "r1".to_owned(),
            trace_id: 0xab,
            outer: None,
        };
        Handling {
            kind: "grpc",
            handler: "/emporium.catalog.v1.Catalog/DeleteProduct".to_owned(),
            request_id: "r1".to_owned(),
            trace_id: 0xab,
            outer: Some(Arc::new(outer)),
        }
    }

    #[test]
    fn a_json_line_lists_the_requests_from_the_outermost_before_its_own_spans() {
        let line = "{\"level\":\"INFO\",\"fields\":{\"message\":\"product deleted\"},\
                    \"spans\":[{\"name\":\"saga\",\"order_id\":\"o1\"}]}\n";
        let written = json_line(line, &handling());
        assert!(written.ends_with('\n') && !written.ends_with("\n\n"));
        let parsed: Value = serde_json::from_str(&written).unwrap();
        let spans = parsed["spans"].as_array().unwrap();
        let kinds: Vec<&Value> = spans.iter().map(|span| &span["kind"]).collect();
        assert_eq!(kinds, [&json!("http"), &json!("grpc"), &Value::Null]);
        assert_eq!(spans[0]["trace_id"], format!("{:032x}", 0xab));
        assert_eq!(spans[1]["request_id"], "r1");
        assert_eq!(spans[2]["order_id"], "o1");
        assert_eq!(parsed["fields"]["message"], "product deleted");
    }

    #[test]
    fn a_line_with_no_spans_gets_them_and_a_text_line_ends_with_the_request() {
        let written = json_line("{\"level\":\"WARN\"}\n", &handling());
        let parsed: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(parsed["spans"].as_array().unwrap().len(), 2);
        let text = text_line("INFO catalog: product deleted\n", &handling());
        assert_eq!(
            text,
            format!(
                "INFO catalog: product deleted \
                 grpc=\"/emporium.catalog.v1.Catalog/DeleteProduct\" trace_id={:032x}\n",
                0xab
            )
        );
    }
}
