//! The JSON Jaeger's UI loads from a file ("JSON File" on its search page):
//! the query API's `{"data": [trace, ...]}` with times in microseconds,
//! `CHILD_OF` references and one process per service instance.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::ids::{Ids, span_hex, trace_hex};
use super::otlp::span_attributes;
use super::{Kind, Resource, Spans, Value, resource_names};

fn tag(key: &str, v: &Value) -> Json {
    match v {
        Value::Str(s) => json!({ "key": key, "type": "string", "value": s }),
        Value::Int(i) => json!({ "key": key, "type": "int64", "value": i }),
        Value::Float(f) => json!({ "key": key, "type": "float64", "value": f }),
        Value::Bool(b) => json!({ "key": key, "type": "bool", "value": b }),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Server => "server",
        Kind::Client => "client",
        Kind::Producer => "producer",
        Kind::Consumer => "consumer",
    }
}

/// The spans as one Jaeger JSON document, a trace per request; times are
/// `epoch` (ns since 1970) plus simulated time, in microseconds.
pub fn write(spans: &Spans, ids: &Ids, epoch: u64) -> String {
    let net = spans.network();
    let us = |t: u64| (epoch + t) / 1000;
    let mut traces: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, s) in spans.spans.iter().enumerate() {
        traces.entry(s.trace).or_default().push(i);
    }
    // Written trace by trace: the document is never a tree in memory.
    let mut text = String::from("{\"data\":[");
    for (n, (&trace, members)) in traces.iter().enumerate() {
        let one = {
            let trace_id = trace_hex(ids.trace(trace));
            let mut processes: BTreeMap<Resource, String> = BTreeMap::new();
            for &i in members {
                let n = processes.len();
                processes.entry(spans.spans[i].resource).or_insert_with(|| format!("p{}", n + 1));
            }
            let list: Vec<Json> = members
                .iter()
                .map(|&i| {
                    let s = &spans.spans[i];
                    let references: Vec<Json> = s
                        .parent
                        .map(|p| json!({ "refType": "CHILD_OF", "traceID": trace_id, "spanID": span_hex(ids.span(p)) }))
                        .into_iter()
                        .collect();
                    let mut tags = vec![tag("span.kind", &Value::Str(kind_name(s.kind).into()))];
                    tags.extend(span_attributes(s).iter().map(|(k, v)| tag(k, v)));
                    if let Some(cause) = s.failure {
                        tags.push(tag("error", &Value::Bool(true)));
                        tags.push(tag("otel.status_code", &Value::Str("ERROR".into())));
                        tags.push(tag("otel.status_description", &Value::Str(cause.name().into())));
                    }
                    let logs: Vec<Json> = s
                        .events
                        .iter()
                        .map(|e| {
                            let mut fields = vec![tag("event", &Value::Str(e.name.into()))];
                            fields.extend(e.attributes.iter().map(|(k, v)| tag(k, v)));
                            json!({ "timestamp": us(e.at), "fields": fields })
                        })
                        .collect();
                    json!({
                        "traceID": trace_id,
                        "spanID": span_hex(ids.span(i as u32)),
                        "flags": 1,
                        "operationName": s.name,
                        "references": references,
                        "startTime": us(s.start),
                        "duration": us(s.end) - us(s.start),
                        "tags": tags,
                        "logs": logs,
                        "processID": processes[&s.resource],
                        "warnings": null,
                    })
                })
                .collect();
            let procs: serde_json::Map<String, Json> = processes
                .iter()
                .map(|(&r, id)| {
                    let (service, instance) = resource_names(net, r);
                    let tags = vec![tag("service.instance.id", &Value::Str(instance))];
                    (id.clone(), json!({ "serviceName": service, "tags": tags }))
                })
                .collect();
            json!({ "traceID": trace_id, "spans": list, "processes": procs, "warnings": null })
        };
        if n > 0 {
            text.push(',');
        }
        text.push_str(&one.to_string());
    }
    text.push_str("],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}\n");
    text
}
