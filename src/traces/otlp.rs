//! OTLP/JSON: an `ExportTraceServiceRequest` as the OpenTelemetry protocol's
//! JSON encoding writes it (lowerCamelCase keys, hex ids, enums as integers,
//! 64-bit integers as decimal strings), one resource per service instance.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::ids::{Ids, span_hex, trace_hex};
use super::{Kind, Resource, Span, Spans, Value, resource_names};
use crate::stats::ErrorCause;

/// OTLP's `SpanKind` number.
pub fn kind_number(kind: Kind) -> u8 {
    match kind {
        Kind::Server => 2,
        Kind::Client => 3,
        Kind::Producer => 4,
        Kind::Consumer => 5,
    }
}

/// The HTTP status a failure answers with, where it has one.
pub fn http_status(cause: ErrorCause) -> Option<i64> {
    match cause {
        ErrorCause::RateLimited => Some(429),
        ErrorCause::Rejected | ErrorCause::Shed | ErrorCause::CircuitOpen | ErrorCause::InstanceDown => Some(503),
        ErrorCause::Timeout => Some(504),
        ErrorCause::ServerError | ErrorCause::PoolTimeout | ErrorCause::InFlightCap | ErrorCause::QueueFull => {
            Some(500)
        }
    }
}

fn any_value(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({ "stringValue": s }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        Value::Float(f) => json!({ "doubleValue": f }),
        Value::Bool(b) => json!({ "boolValue": b }),
    }
}

fn attributes<'a>(list: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Json {
    Json::Array(list.into_iter().map(|(k, v)| json!({ "key": k, "value": any_value(v) })).collect())
}

/// A span's attributes with the failure's, as both writers show them.
pub(super) fn span_attributes(span: &Span) -> Vec<(&'static str, Value)> {
    let mut out = span.attributes.clone();
    if let Some(cause) = span.failure {
        out.push(("error.type", Value::Str(cause.name().to_string())));
        if let Some(code) = http_status(cause) {
            out.push(("http.response.status_code", Value::Int(code)));
        }
    }
    out
}

fn span_json(spans: &Spans, ids: &Ids, epoch: u64, index: usize) -> Json {
    let s = &spans.spans[index];
    let mut j = json!({
        "traceId": trace_hex(ids.trace(s.trace)),
        "spanId": span_hex(ids.span(index as u32)),
    });
    let m = j.as_object_mut().expect("an object");
    if let Some(p) = s.parent {
        m.insert("parentSpanId".into(), json!(span_hex(ids.span(p))));
    }
    m.insert("name".into(), json!(s.name));
    m.insert("kind".into(), json!(kind_number(s.kind)));
    m.insert("startTimeUnixNano".into(), json!((epoch + s.start).to_string()));
    m.insert("endTimeUnixNano".into(), json!((epoch + s.end).to_string()));
    let attrs = span_attributes(s);
    m.insert("attributes".into(), attributes(attrs.iter().map(|(k, v)| (*k, v))));
    if !s.events.is_empty() {
        let events = s
            .events
            .iter()
            .map(|e| {
                json!({
                    "timeUnixNano": (epoch + e.at).to_string(),
                    "name": e.name,
                    "attributes": attributes(e.attributes.iter().map(|(k, v)| (*k, v))),
                })
            })
            .collect();
        m.insert("events".into(), Json::Array(events));
    }
    if let Some(cause) = s.failure {
        m.insert("status".into(), json!({ "code": 2, "message": cause.name() }));
    }
    j
}

/// The spans as one OTLP/JSON document; times are `epoch` (ns since 1970) plus simulated time.
pub fn write(spans: &Spans, ids: &Ids, epoch: u64) -> String {
    let net = spans.network();
    let mut by_resource: BTreeMap<Resource, Vec<usize>> = BTreeMap::new();
    for (i, s) in spans.spans.iter().enumerate() {
        by_resource.entry(s.resource).or_default().push(i);
    }
    // Written span by span: the document is never a tree in memory.
    let mut text = String::from("{\"resourceSpans\":[");
    for (n, (&resource, members)) in by_resource.iter().enumerate() {
        let (service, instance) = resource_names(net, resource);
        let attrs = [
            ("service.name", Value::Str(service)),
            ("service.instance.id", Value::Str(instance)),
            ("telemetry.sdk.name", Value::Str("capsim".into())),
        ];
        let resource = json!({ "attributes": attributes(attrs.iter().map(|(k, v)| (*k, v))) });
        let scope = json!({ "name": "capsim", "version": env!("CARGO_PKG_VERSION") });
        text.push_str(if n > 0 { ",{\"resource\":" } else { "{\"resource\":" });
        text.push_str(&resource.to_string());
        text.push_str(",\"scopeSpans\":[{\"scope\":");
        text.push_str(&scope.to_string());
        text.push_str(",\"spans\":[");
        for (k, &i) in members.iter().enumerate() {
            if k > 0 {
                text.push(',');
            }
            text.push_str(&span_json(spans, ids, epoch, i).to_string());
        }
        text.push_str("]}]}");
    }
    text.push_str("]}\n");
    text
}
