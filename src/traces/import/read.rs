//! Reading trace files as a stream: serde visitors hand each span to a
//! [`Sink`] as soon as it is parsed, so no document is ever held whole.
//!
//! One visitor reads both formats: a top-level `resourceSpans` key is
//! OTLP/JSON, `data` is Jaeger's. A file may hold one document or JSON
//! Lines (one document per line, as the OpenTelemetry Collector's file
//! exporter writes). Errors carry the file, line and column.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::calibrate::InputError;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OTLP/JSON.
    Otlp,
    /// Jaeger's JSON (the query API's and the UI's file format).
    Jaeger,
}

impl Format {
    /// Its name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Otlp => "OTLP/JSON",
            Format::Jaeger => "Jaeger JSON",
        }
    }
}

/// A span's role, OTLP's numbering (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
pub type KindCode = u8;

/// One span as read, names not yet interned.
#[derive(Debug, Clone, Default)]
pub struct Read1 {
    /// Trace id (up to 128 bits).
    pub trace: u128,
    /// Span id.
    pub id: u64,
    /// Parent span id (0: none).
    pub parent: u64,
    /// `service.name` of its resource or process.
    pub service: String,
    /// `service.instance.id` (or `hostname`), if known.
    pub instance: Option<String>,
    /// The span's name.
    pub name: String,
    /// Its kind.
    pub kind: KindCode,
    /// Start \[ns since 1970\].
    pub start: u64,
    /// End \[ns since 1970\].
    pub end: u64,
    /// Error status.
    pub error: bool,
    /// `peer.service` (a client span's callee).
    pub peer: Option<String>,
    /// `messaging.destination.name` (a producer's queue).
    pub queue: Option<String>,
}

/// Where parsed spans go.
pub trait Sink {
    /// A span.
    fn span(&mut self, span: Read1);
    /// A unit ended: a Jaeger trace (`complete`), or an OTLP document.
    fn unit_end(&mut self, complete: bool);
}

/// Reads one file into `sink`, returning its format. `expected` is the format of earlier files.
pub fn read_file(path: &Path, sink: &mut dyn Sink, expected: Option<Format>) -> Result<Format, InputError> {
    let file = std::fs::File::open(path).map_err(|e| InputError::in_file(path, format!("cannot read: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut state = State { format: expected, path, sink };
    let mut line_offset = 0usize;
    // Documents one after another (JSON Lines, or one document); each is parsed as a stream.
    loop {
        let skipped =
            skip_whitespace(&mut reader).map_err(|e| InputError::in_file(path, format!("cannot read: {e}")))?;
        line_offset += skipped;
        if reader.fill_buf().map(|b| b.is_empty()).unwrap_or(true) {
            break;
        }
        let mut counter = LineCounter { inner: &mut reader, newlines: 0 };
        let mut de = serde_json::Deserializer::from_reader(&mut counter);
        let result = Document { state: &mut state }.deserialize(&mut de);
        if let Err(e) = result {
            let mut err = InputError::in_file(path, message(&e, &state)).at_line(line_offset + e.line());
            err = err.with_hint(format!("column {}", e.column()));
            return Err(err);
        }
        // A document's last character is `}`: the rest of its line is whitespace.
        drop(de);
        line_offset += counter.newlines;
        state.sink.unit_end(false);
    }
    state.format.ok_or_else(|| {
        InputError::in_file(path, "no spans: the file is empty")
            .with_hint("give OTLP/JSON (`resourceSpans`) or Jaeger JSON (`data`) files")
    })
}

fn message(e: &serde_json::Error, state: &State) -> String {
    let what = e.to_string();
    // serde_json appends " at line L column C"; the location is given separately.
    let what = what.rsplit_once(" at line ").map_or(what.as_str(), |(m, _)| m).to_string();
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!("malformed JSON: {what}"),
        _ => match state.format {
            Some(f) => format!("not valid {}: {what}", f.name()),
            None => what,
        },
    }
}

/// Counts newlines the parser consumed, so the next document's lines are right.
struct LineCounter<'r, R> {
    inner: &'r mut R,
    newlines: usize,
}

impl<R: Read> Read for LineCounter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        Ok(n)
    }
}

/// Skips whitespace between documents; returns the newlines skipped.
fn skip_whitespace<R: BufRead>(r: &mut R) -> std::io::Result<usize> {
    let mut lines = 0;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(lines);
        }
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        let all = n == buf.len();
        r.consume(n);
        if !all {
            return Ok(lines);
        }
    }
}

struct State<'a> {
    format: Option<Format>,
    path: &'a Path,
    sink: &'a mut dyn Sink,
}

impl State<'_> {
    fn claim<E: de::Error>(&mut self, f: Format) -> Result<(), E> {
        match self.format {
            Some(g) if g != f => Err(E::custom(format!(
                "this is {} but earlier input was {}: files mixing formats cannot be imported together",
                f.name(),
                g.name()
            ))),
            _ => {
                self.format = Some(f);
                Ok(())
            }
        }
    }
}

struct Document<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OTLP/JSON object with `resourceSpans` or a Jaeger object with `data`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resourceSpans" => {
                    self.state.claim(Format::Otlp)?;
                    map.next_value_seed(Each { state: &mut *self.state, what: Item::Resource })?;
                    seen = true;
                }
                "data" => {
                    self.state.claim(Format::Jaeger)?;
                    map.next_value_seed(Each { state: &mut *self.state, what: Item::JaegerTrace })?;
                    seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !seen {
            return Err(de::Error::custom(format!(
                "{}: neither `resourceSpans` (OTLP/JSON) nor `data` (Jaeger JSON) at the top level",
                self.state.path.display()
            )));
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Item {
    Resource,
    JaegerTrace,
}

/// A sequence whose every element is handled as it is parsed.
struct Each<'s, 'a> {
    state: &'s mut State<'a>,
    what: Item,
}

impl<'de> DeserializeSeed<'de> for Each<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.what {
            Item::Resource => while seq.next_element_seed(ResourceSpans { sink: &mut *self.state.sink })?.is_some() {},
            Item::JaegerTrace => {
                while let Some(trace) = seq.next_element::<JaegerTrace>()? {
                    trace.emit(self.state.sink).map_err(de::Error::custom)?;
                    self.state.sink.unit_end(true);
                }
            }
        }
        Ok(())
    }
}

/// A hex id of up to 32 digits; `None` when empty.
fn hex_id(text: &str, what: &str) -> Result<u128, String> {
    let t = text.trim();
    if t.len() > 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} `{t}` is not a hex id of at most 32 digits"));
    }
    if t.is_empty() { Ok(0) } else { u128::from_str_radix(t, 16).map_err(|e| e.to_string()) }
}

/// An unsigned integer given as a number or a decimal string (OTLP's 64-bit fields).
#[derive(Debug, Clone, Copy, Default)]
struct U64(u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = U64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an unsigned integer or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U64, E> {
                Ok(U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<U64, E> {
                u64::try_from(v).map(U64).map_err(|_| E::custom(format!("{v} is negative")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<U64, E> {
                if v >= 0.0 && v.is_finite() { Ok(U64(v as u64)) } else { Err(E::custom(format!("{v} is not a time"))) }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<U64, E> {
                v.trim().parse().map(U64).map_err(|_| E::custom(format!("`{v}` is not an unsigned integer")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A span kind as OTLP's integer (or, leniently, its enum name).
#[derive(Debug, Clone, Copy, Default)]
struct Kind(u8);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a span kind (0 to 5)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Kind, E> {
                if v <= 5 { Ok(Kind(v as u8)) } else { Err(E::custom(format!("span kind {v} is not 0 to 5"))) }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
                let k = match v.trim_start_matches("SPAN_KIND_").to_ascii_lowercase().as_str() {
                    "internal" => 1,
                    "server" => 2,
                    "client" => 3,
                    "producer" => 4,
                    "consumer" => 5,
                    _ => 0,
                };
                Ok(Kind(k))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue {
    string_value: Option<String>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: AnyValue,
}

fn find(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|a| a.key == key).and_then(|a| a.value.string_value.clone())
}

#[derive(Deserialize, Default)]
struct OtlpResource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

/// One `resourceSpans` element: its spans are handed on one by one (held
/// back only if `resource` comes after `scopeSpans` in the text).
struct ResourceSpans<'s> {
    sink: &'s mut dyn Sink,
}

/// The resource's names, once read.
#[derive(Default)]
struct Names {
    known: bool,
    service: String,
    instance: Option<String>,
}

impl Names {
    fn fill(&self, mut span: Read1) -> Read1 {
        span.service.clone_from(&self.service);
        span.instance.clone_from(&self.instance);
        span
    }
}

impl<'de> DeserializeSeed<'de> for ResourceSpans<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSpans<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a resourceSpans object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = Names::default();
        let mut held = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resource" => {
                    let r: OtlpResource = map.next_value()?;
                    names.service = find(&r.attributes, "service.name").unwrap_or_else(|| "unknown_service".into());
                    names.instance =
                        find(&r.attributes, "service.instance.id").or_else(|| find(&r.attributes, "host.name"));
                    names.known = true;
                }
                "scopeSpans" => {
                    map.next_value_seed(Spans { sink: &mut *self.sink, names: &names, held: &mut held, depth: 0 })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !names.known {
            names.service = "unknown_service".into();
        }
        for span in held {
            self.sink.span(names.fill(span));
        }
        Ok(())
    }
}

/// `scopeSpans` (depth 0), a scope (1), its `spans` (2): each span is converted as it is parsed.
struct Spans<'s, 'n> {
    sink: &'s mut dyn Sink,
    names: &'n Names,
    held: &'n mut Vec<Read1>,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for Spans<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.depth == 1 { d.deserialize_map(self) } else { d.deserialize_seq(self) }
    }
}

impl<'de> Visitor<'de> for Spans<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.depth == 1 { "a scopeSpans object" } else { "an array" })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth == 0 {
            while seq
                .next_element_seed(Spans { sink: &mut *self.sink, names: self.names, held: &mut *self.held, depth: 1 })?
                .is_some()
            {}
            return Ok(());
        }
        while let Some(s) = seq.next_element::<OtlpSpan>()? {
            let span = s.convert().map_err(de::Error::custom)?;
            if self.names.known {
                self.sink.span(self.names.fill(span));
            } else {
                self.held.push(span);
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "spans" {
                map.next_value_seed(Spans {
                    sink: &mut *self.sink,
                    names: self.names,
                    held: &mut *self.held,
                    depth: 2,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
struct OtlpStatus {
    #[serde(default)]
    code: Kind,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    trace_id: Option<String>,
    span_id: Option<String>,
    #[serde(default)]
    parent_span_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: Kind,
    start_time_unix_nano: Option<U64>,
    end_time_unix_nano: Option<U64>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    status: OtlpStatus,
}

impl OtlpSpan {
    fn convert(self) -> Result<Read1, String> {
        let s = self;
        let trace = s.trace_id.as_deref().map(|t| hex_id(t, "traceId")).transpose()?.unwrap_or(0);
        if trace == 0 {
            return Err(format!("span `{}` has no traceId: every span needs one", s.name));
        }
        let id = s.span_id.as_deref().map(|t| hex_id(t, "spanId")).transpose()?.unwrap_or(0);
        if id == 0 {
            return Err(format!("span `{}` has no spanId", s.name));
        }
        let parent = s.parent_span_id.as_deref().map(|t| hex_id(t, "parentSpanId")).transpose()?.unwrap_or(0);
        let (Some(start), Some(end)) = (s.start_time_unix_nano, s.end_time_unix_nano) else {
            return Err(format!("span `{}` lacks startTimeUnixNano or endTimeUnixNano", s.name));
        };
        Ok(Read1 {
            trace,
            id: id as u64,
            parent: parent as u64,
            service: String::new(),
            instance: None,
            name: s.name,
            kind: s.kind.0,
            start: start.0,
            end: end.0.max(start.0),
            error: s.status.code.0 == 2,
            peer: find(&s.attributes, "peer.service"),
            queue: find(&s.attributes, "messaging.destination.name"),
        })
    }
}

#[derive(Deserialize)]
struct JaegerTag {
    key: String,
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JaegerRef {
    #[serde(default)]
    ref_type: String,
    #[serde(rename = "spanID", default)]
    span_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JaegerSpan {
    #[serde(rename = "traceID")]
    trace_id: Option<String>,
    #[serde(rename = "spanID")]
    span_id: Option<String>,
    #[serde(default)]
    operation_name: String,
    #[serde(default)]
    references: Vec<JaegerRef>,
    start_time: Option<U64>,
    #[serde(default)]
    duration: U64,
    #[serde(default)]
    tags: Vec<JaegerTag>,
    #[serde(rename = "processID", default)]
    process_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JaegerProcess {
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    tags: Vec<JaegerTag>,
}

#[derive(Deserialize)]
struct JaegerTrace {
    #[serde(default)]
    spans: Vec<JaegerSpan>,
    #[serde(default)]
    processes: std::collections::HashMap<String, JaegerProcess>,
}

fn tag_str(tags: &[JaegerTag], key: &str) -> Option<String> {
    tags.iter().find(|t| t.key == key).and_then(|t| match &t.value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl JaegerTrace {
    fn emit(self, sink: &mut dyn Sink) -> Result<(), String> {
        for s in self.spans {
            let trace = s.trace_id.as_deref().map(|t| hex_id(t, "traceID")).transpose()?.unwrap_or(0);
            if trace == 0 {
                return Err(format!("span `{}` has no traceID: every span needs one", s.operation_name));
            }
            let id = s.span_id.as_deref().map(|t| hex_id(t, "spanID")).transpose()?.unwrap_or(0);
            if id == 0 {
                return Err(format!("span `{}` has no spanID", s.operation_name));
            }
            let Some(start) = s.start_time else {
                return Err(format!("span `{}` has no startTime", s.operation_name));
            };
            let parent = s
                .references
                .iter()
                .find(|r| r.ref_type.eq_ignore_ascii_case("CHILD_OF"))
                .or(s.references.first())
                .map(|r| hex_id(&r.span_id, "references.spanID"))
                .transpose()?
                .unwrap_or(0);
            let process = self.processes.get(&s.process_id);
            let service = process.map(|p| p.service_name.clone()).filter(|n| !n.is_empty());
            let instance = process.and_then(|p| {
                tag_str(&p.tags, "service.instance.id")
                    .or_else(|| tag_str(&p.tags, "hostname"))
                    .or_else(|| tag_str(&p.tags, "host.name"))
            });
            let kind = match tag_str(&s.tags, "span.kind").as_deref() {
                Some("internal") => 1,
                Some("server") => 2,
                Some("client") => 3,
                Some("producer") => 4,
                Some("consumer") => 5,
                _ => 0,
            };
            let error = tag_str(&s.tags, "error").is_some_and(|v| v == "true")
                || tag_str(&s.tags, "otel.status_code").is_some_and(|v| v == "ERROR");
            sink.span(Read1 {
                trace,
                id: id as u64,
                parent: parent as u64,
                service: service.unwrap_or_else(|| "unknown_service".into()),
                instance,
                name: s.operation_name,
                kind,
                start: start.0.saturating_mul(1000),
                end: start.0.saturating_add(s.duration.0).saturating_mul(1000),
                error,
                peer: tag_str(&s.tags, "peer.service"),
                queue: tag_str(&s.tags, "messaging.destination.name"),
            });
        }
        Ok(())
    }
}
