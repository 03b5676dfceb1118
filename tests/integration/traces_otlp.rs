//! Traces in and out (#24): `capsim trace --format otlp|jaeger` has the
//! shape the OTLP/JSON specification and Jaeger's file format give, with
//! every parent present and children inside their parents, and its spans
//! agree with the run's own statistics; `capsim import` turns those traces
//! back into a model whose utilisations and latencies agree with the
//! original's; bad input is refused with its location and nothing written.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = capsim(args);
    assert!(out.status.success(), "capsim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("traces").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn is_hex(s: &str, digits: usize) -> bool {
    s.len() == digits && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
}

fn nanos(v: &Value) -> u64 {
    v.as_str().expect("64-bit integers are decimal strings in OTLP/JSON").parse().unwrap()
}

/// A model with a message queue: the api answers at once and workers consume.
const QUEUED: &str = r#"
[simulation]
duration = "60s"
warmup = "5s"
replications = 5
seed = 11

[workload.orders]
target = "api.order"
rate = "200/s"

[queues.jobs]
consumer = "workers.process"

[services.api]
instances = 2
threads = 8

[services.api.ops.order]
demand = "lognormal(mean=4ms, cv=0.6)"
steps = [{ call = "db.write" }, { publish = "jobs" }]

[services.db]
threads = 8

[services.db.ops.write]
demand = "exp(2ms)"

[services.workers]
instances = 2
threads = 4

[services.workers.ops.process]
demand = "gamma(mean=30ms, cv=0.7)"
"#;

/// One span of an OTLP document, flattened.
#[derive(Debug, Clone)]
struct Flat {
    trace: String,
    id: String,
    parent: Option<String>,
    service: String,
    name: String,
    kind: u64,
    start: u64,
    end: u64,
    error: Option<String>,
}

/// Checks every rule of the OTLP/JSON encoding the writer uses and flattens the spans.
fn otlp_schema(doc: &Value) -> Vec<Flat> {
    fn camel_keys(v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    assert!(
                        k.chars().next().unwrap().is_ascii_lowercase() && !k.contains('_'),
                        "`{path}.{k}`: OTLP/JSON keys are lowerCamelCase"
                    );
                    camel_keys(x, &format!("{path}.{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| camel_keys(x, path)),
            _ => {}
        }
    }
    fn attributes(v: &Value) -> HashMap<String, Value> {
        let list = v.as_array().expect("attributes are a list of KeyValue");
        list.iter()
            .map(|kv| {
                let value = kv["value"].as_object().expect("an AnyValue object");
                assert_eq!(value.len(), 1, "one AnyValue field: {kv}");
                let (k, x) = value.iter().next().unwrap();
                match k.as_str() {
                    "stringValue" => assert!(x.is_string()),
                    "intValue" => assert!(x.as_str().is_some_and(|s| s.parse::<i64>().is_ok()), "int64 as a string"),
                    "doubleValue" => assert!(x.is_number()),
                    "boolValue" => assert!(x.is_boolean()),
                    other => panic!("unexpected AnyValue field {other}"),
                }
                (kv["key"].as_str().expect("a key").to_string(), x.clone())
            })
            .collect()
    }
    camel_keys(doc, "");
    let mut out = Vec::new();
    for rs in doc["resourceSpans"].as_array().expect("resourceSpans") {
        let res = attributes(&rs["resource"]["attributes"]);
        let service = res["service.name"].as_str().expect("service.name on every resource").to_string();
        assert!(res.contains_key("service.instance.id"), "one resource per service instance");
        for ss in rs["scopeSpans"].as_array().expect("scopeSpans") {
            assert_eq!(ss["scope"]["name"], "capsim");
            for s in ss["spans"].as_array().expect("spans") {
                let trace = s["traceId"].as_str().unwrap();
                let id = s["spanId"].as_str().unwrap();
                assert!(is_hex(trace, 32), "traceId is 16 bytes of hex: {trace}");
                assert!(is_hex(id, 16), "spanId is 8 bytes of hex: {id}");
                let parent = s.get("parentSpanId").map(|p| p.as_str().unwrap().to_string());
                if let Some(p) = &parent {
                    assert!(is_hex(p, 16));
                }
                let kind = s["kind"].as_u64().expect("kind is an integer enum");
                assert!((1..=5).contains(&kind));
                let (start, end) = (nanos(&s["startTimeUnixNano"]), nanos(&s["endTimeUnixNano"]));
                assert!(start <= end, "{s}");
                attributes(&s["attributes"]);
                for e in s.get("events").and_then(Value::as_array).into_iter().flatten() {
                    let at = nanos(&e["timeUnixNano"]);
                    assert!(e["name"].is_string());
                    attributes(&e["attributes"]);
                    assert!(at >= start && at <= end.max(start), "event inside its span: {e}");
                }
                let error = s.get("status").map(|st| {
                    assert_eq!(st["code"], 2, "status only on failures, code ERROR");
                    st["message"].as_str().unwrap().to_string()
                });
                out.push(Flat {
                    trace: trace.into(),
                    id: id.into(),
                    parent,
                    service: service.clone(),
                    name: s["name"].as_str().unwrap().into(),
                    kind,
                    start,
                    end,
                    error,
                });
            }
        }
    }
    out
}

/// Every parent exists in the same trace; children lie inside their parents
/// (except what starts after its parent by design: a consumer after its
/// producer, a callee its caller gave up on).
fn check_tree(spans: &[Flat]) {
    let by_id: HashMap<&str, &Flat> = spans.iter().map(|s| (s.id.as_str(), s)).collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let mut checked = 0;
    for s in spans {
        let Some(p) = &s.parent else {
            assert_eq!(s.kind, 3, "roots are the workload's CLIENT spans");
            continue;
        };
        let parent = by_id.get(p.as_str()).unwrap_or_else(|| panic!("parent {p} of {s:?} is missing"));
        assert_eq!(parent.trace, s.trace, "a parent is in its child's trace");
        assert!(s.start >= parent.start, "{s:?} starts before its parent {parent:?}");
        let exempt = s.kind == 5 || parent.error.as_deref() == Some("timeout");
        if !exempt {
            assert!(s.end <= parent.end, "{s:?} ends after its parent {parent:?}");
            checked += 1;
        }
    }
    assert!(checked > 0);
}

fn otlp(model: &str, args: &[&str]) -> (Vec<Flat>, String) {
    let mut all = vec!["trace", model, "--format", "otlp"];
    all.extend_from_slice(args);
    let text = ok(&all);
    let doc: Value = serde_json::from_str(&text).expect("OTLP output parses");
    (otlp_schema(&doc), text)
}

#[test]
fn otlp_export_has_the_specified_shape_and_a_sound_tree() {
    let (spans, text) = otlp("models/web-3tier.toml", &["-n", "300", "--at", "10s"]);
    check_tree(&spans);
    let traces: HashSet<&str> = spans.iter().map(|s| s.trace.as_str()).collect();
    assert_eq!(traces.len(), 300);
    // Deterministic: the same seed gives the same bytes; another seed other ids.
    assert_eq!(text, otlp("models/web-3tier.toml", &["-n", "300", "--at", "10s"]).1);
    let other = otlp("models/web-3tier.toml", &["-n", "300", "--at", "10s", "--set", "simulation.seed=7"]).0;
    assert_ne!(other[0].trace, spans[0].trace);
    // --at: the first request arrives after 10 s of simulated time from the epoch.
    let epoch = 1_735_689_600_000_000_000u64;
    let first = spans.iter().map(|s| s.start).min().unwrap();
    assert!(first >= epoch + 10_000_000_000 && first < epoch + 11_000_000_000, "{first}");
    // The queue model: producer and consumer spans.
    let model = queued_model("shape");
    let (spans, _) = otlp(model.to_str().unwrap(), &["-n", "300", "--at", "10s"]);
    check_tree(&spans);
    assert!(spans.iter().any(|s| s.kind == 4 && s.name == "publish jobs"));
    assert!(spans.iter().any(|s| s.kind == 5 && s.service == "workers" && s.name == "process"));
}

fn queued_model(dir: &str) -> PathBuf {
    let path = scratch(dir).join("queued.toml");
    std::fs::write(&path, QUEUED).unwrap();
    path
}

#[test]
fn jaeger_export_has_the_file_format_the_ui_loads() {
    let limited = r#"services.api.rate_limit={rate="20/s", burst=40}"#;
    let text =
        ok(&["trace", "models/rate-limited-api.toml", "-n", "200", "--at", "20s", "-f", "jaeger", "--set", limited]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let data = doc["data"].as_array().expect("data: a list of traces");
    assert_eq!(data.len(), 200);
    let mut errors = HashSet::new();
    for t in data {
        let trace = t["traceID"].as_str().unwrap();
        assert!(is_hex(trace, 32));
        let processes = t["processes"].as_object().expect("processes");
        for p in processes.values() {
            assert!(p["serviceName"].is_string() && p["tags"].is_array());
        }
        let spans = t["spans"].as_array().unwrap();
        let ids: HashSet<&str> = spans.iter().map(|s| s["spanID"].as_str().unwrap()).collect();
        let mut roots = 0;
        for s in spans {
            assert_eq!(s["traceID"], trace);
            assert!(is_hex(s["spanID"].as_str().unwrap(), 16));
            assert!(s["operationName"].is_string());
            assert!(s["startTime"].is_u64() && s["duration"].is_u64(), "microseconds as integers");
            assert!(processes.contains_key(s["processID"].as_str().unwrap()));
            let refs = s["references"].as_array().unwrap();
            roots += usize::from(refs.is_empty());
            for r in refs {
                assert_eq!(r["refType"], "CHILD_OF");
                assert_eq!(r["traceID"], trace);
                assert!(ids.contains(r["spanID"].as_str().unwrap()), "the parent is in the trace");
            }
            for tag in s["tags"].as_array().unwrap() {
                let ty = tag["type"].as_str().unwrap();
                assert!(["string", "bool", "int64", "float64"].contains(&ty), "{tag}");
            }
            for log in s["logs"].as_array().unwrap() {
                assert!(log["timestamp"].is_u64() && log["fields"].is_array());
            }
            let tags = s["tags"].as_array().unwrap();
            if tags.iter().any(|t| t["key"] == "error" && t["value"] == true) {
                let cause = tags.iter().find(|t| t["key"] == "error.type").expect("a failure carries its cause");
                errors.insert(cause["value"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(roots, 1, "one root per trace");
    }
    // The limiter's 429s, by name and status code.
    assert!(errors.contains("rate_limited"), "{errors:?}");
    assert!(text.contains(r#"{"key":"http.response.status_code","type":"int64","value":429}"#));
}

/// Mean and standard error of `xs`.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn exported_spans_agree_with_the_runs_own_statistics() {
    let requests = 5000;
    let (spans, _) = otlp("models/web-3tier.toml", &["-n", &requests.to_string(), "--at", "5s"]);
    let net =
        capsim::model::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/web-3tier.toml")), &[]).unwrap();
    let summary = capsim::run::run(&net).summary;
    let class = &summary.classes[0];
    // Requests' latency: the root spans against the run's mean.
    let roots: Vec<f64> = spans.iter().filter(|s| s.parent.is_none()).map(|s| (s.end - s.start) as f64 / 1e9).collect();
    assert_eq!(roots.len(), requests);
    let (m, se) = mean_se(&roots);
    let run = &class.latency_s.mean;
    let tol = 3.0 * (se.powi(2) + (run.ci95.unwrap() / 1.96).powi(2)).sqrt();
    assert!((m - run.value).abs() < tol, "trace latency {m} against the run's {} +- {tol}", run.value);
    // Per service: SERVER spans per request (visits) and their mean duration
    // (a thread's holding time: busy threads / throughput, by Little's law).
    for s in &summary.services {
        let server: Vec<f64> = spans
            .iter()
            .filter(|x| x.kind == 2 && x.service == s.name)
            .map(|x| (x.end - x.start) as f64 / 1e9)
            .collect();
        let visits = server.len() as f64 / requests as f64;
        let run_visits = s.throughput_per_s.value / class.throughput_per_s.value;
        let se_visits = (run_visits * (1.0 - run_visits).abs().max(run_visits) / requests as f64).sqrt();
        assert!(
            (visits - run_visits).abs()
                < 4.0 * se_visits + 2.0 * s.throughput_per_s.ci95.unwrap() / class.throughput_per_s.value,
            "{}: {visits} spans per request against {run_visits}",
            s.name
        );
        let (m, se) = mean_se(&server);
        let busy = s.thread_utilisation.value * f64::from(s.threads * s.instances);
        let hold = busy / s.throughput_per_s.value;
        let rel = s.thread_utilisation.ci95.unwrap() / s.thread_utilisation.value
            + s.throughput_per_s.ci95.unwrap() / s.throughput_per_s.value;
        let tol = 3.0 * (se.powi(2) + (hold * rel / 1.96).powi(2)).sqrt();
        assert!((m - hold).abs() < tol, "{}: mean span {m} against holding time {hold} +- {tol}", s.name);
    }
}

/// The original's threads, cores and instances, as overrides for the imported model.
fn same_sizes(net: &capsim::Network) -> Vec<String> {
    let mut out = Vec::new();
    for s in &net.services {
        out.push(format!("services.{}.threads={}", s.name, s.threads));
        out.push(format!("services.{}.cores={}", s.name, s.cores));
        out.push(format!("services.{}.instances={}", s.name, s.instances));
    }
    out.push("simulation.duration=60s".into());
    out.push("simulation.warmup=5s".into());
    out
}

/// Exports `requests` requests of `model` as OTLP, imports them, runs both
/// with the same sizes and compares utilisation per service and mean latency per class.
fn round_trip(model: &Path, requests: usize, dir: &str) {
    let dir = scratch(dir);
    let traces = dir.join("traces.json");
    let imported = dir.join("imported.toml");
    let m = model.to_str().unwrap();
    ok(&["trace", m, "-n", &requests.to_string(), "--at", "5s", "-f", "otlp", "-o", traces.to_str().unwrap()]);
    let out = capsim(&["import", traces.to_str().unwrap(), "-o", imported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ok(&["check", imported.to_str().unwrap()]);
    let original = capsim::model::load(model, &[]).unwrap();
    let copy = capsim::model::load(&imported, &same_sizes(&original)).unwrap();
    let (a, b) = (capsim::run::run(&original).summary, capsim::run::run(&copy).summary);
    // What the import estimated from `requests` requests: the rate (Poisson
    // count) and each demand's mean (cv about 1 at most), each to about 1/sqrt(n).
    let estimation = 2.0 * (2.0 / requests as f64).sqrt();
    let text = std::fs::read_to_string(&imported).unwrap();
    for s in &a.services {
        let t = b.services.iter().find(|x| x.name == s.name).unwrap_or_else(|| panic!("{} imported:\n{text}", s.name));
        let (u, v) = (&s.utilisation, &t.utilisation);
        let tol = (u.ci95.unwrap().powi(2) + v.ci95.unwrap().powi(2)).sqrt() + estimation * u.value;
        assert!(
            (u.value - v.value).abs() < tol,
            "{}: utilisation {} against imported {} +- {tol}\n{text}",
            s.name,
            u.value,
            v.value
        );
    }
    for c in &a.classes {
        let d = b.classes.iter().find(|x| x.name == c.name).unwrap();
        let (l, k) = (&c.latency_s.mean, &d.latency_s.mean);
        let tol = (l.ci95.unwrap().powi(2) + k.ci95.unwrap().powi(2)).sqrt() + estimation * l.value;
        assert!(
            (l.value - k.value).abs() < tol,
            "{}: latency {} against imported {} +- {tol}\n{text}",
            c.name,
            l.value,
            k.value
        );
    }
}

#[test]
fn round_trip_of_web_3tier_keeps_utilisation_and_latency() {
    round_trip(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/web-3tier.toml"), 20_000, "rt-web");
}

#[test]
fn round_trip_of_a_model_with_a_queue_keeps_utilisation_and_latency() {
    let model = queued_model("rt-queue-model");
    round_trip(&model, 10_000, "rt-queue");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_TARGET_TMPDIR")).join("traces/rt-queue/imported.toml")).unwrap();
    assert!(text.contains("[queues.jobs]") && text.contains("consumer = \"workers.process\""), "{text}");
    assert!(text.contains("{ publish = \"jobs\" }"), "{text}");
}

#[test]
fn jaeger_files_import_like_otlp() {
    let dir = scratch("jaeger-import");
    let traces = dir.join("jaeger.json");
    let model = dir.join("model.toml");
    ok(&["trace", "models/web-3tier.toml", "-n", "2000", "-f", "jaeger", "-o", traces.to_str().unwrap()]);
    let out = capsim(&["import", traces.to_str().unwrap(), "-o", model.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&model).unwrap();
    for needle in ["[workload.web]", "target = \"app.get_page\"", "[services.db.ops.read]", "call = \"cache.get\""] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

/// Runs `capsim import` on files written from `docs`, expecting `status`.
fn import_docs(dir: &str, docs: &[&str], status: i32) -> (String, PathBuf) {
    let dir = scratch(dir);
    let mut args = vec!["import".to_string()];
    for (i, d) in docs.iter().enumerate() {
        let p = dir.join(format!("t{i}.json"));
        std::fs::write(&p, d).unwrap();
        args.push(p.to_str().unwrap().into());
    }
    let model = dir.join("model.toml");
    args.extend(["-o".into(), model.to_str().unwrap().into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = capsim(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    assert_eq!(model.exists(), status == 0, "a model is written only on success: {stderr}");
    (stderr, model)
}

fn span(trace: &str, id: &str, parent: &str, service: &str, name: &str, kind: u8, (start, end): (u64, u64)) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":"{name}","kind":{kind},"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"}}]}}]}}]}}"#
    )
}

#[test]
fn bad_trace_files_are_refused_with_their_location() {
    // Malformed JSON: the file, line and column.
    let (err, _) = import_docs("malformed", &["{\"resourceSpans\": [\n  {\"resource\": {,}}\n]}"], 2);
    assert!(err.contains("t0.json:2") && err.contains("malformed JSON") && err.contains("column"), "{err}");
    // A span without a trace id.
    let doc = span("", "00000000000000aa", "", "api", "get", 2, (1_000, 2_000));
    let (err, _) = import_docs("no-trace-id", &[&doc], 2);
    assert!(err.contains("has no traceId"), "{err}");
    // Files mixing formats.
    let jaeger = r#"{"data":[{"traceID":"ab","spans":[{"traceID":"ab","spanID":"01","operationName":"get","references":[],"startTime":1,"duration":5,"tags":[],"processID":"p1"}],"processes":{"p1":{"serviceName":"api","tags":[]}}}]}"#;
    let otlp_doc = span("0000000000000000000000000000000a", "00000000000000aa", "", "api", "get", 2, (1_000, 2_000));
    let (err, _) = import_docs("mixed", &[&otlp_doc, jaeger], 2);
    assert!(err.contains("mixing formats"), "{err}");
    // Not a trace file at all.
    let (err, _) = import_docs("neither", &["{\"spans\": []}"], 2);
    assert!(err.contains("resourceSpans"), "{err}");
}

#[test]
fn orphans_and_clock_skew_are_counted_not_fatal() {
    let t = "0000000000000000000000000000000b";
    let lines = [
        // A request: root server span, a client call and its server, the server starting 1 ms before its client (skew).
        span(t, "0000000000000001", "", "api", "get", 2, (10_000_000, 50_000_000)),
        span(t, "0000000000000002", "0000000000000001", "api", "db.read", 3, (20_000_000, 30_000_000)),
        span(t, "0000000000000003", "0000000000000002", "db", "read", 2, (19_000_000, 29_000_000)),
        // An orphan: its parent is nowhere.
        span(t, "0000000000000004", "00000000000000ff", "db", "read", 2, (60_000_000, 65_000_000)),
        // A second request, for a rate.
        span(
            "0000000000000000000000000000000c",
            "0000000000000005",
            "",
            "api",
            "get",
            2,
            (1_010_000_000, 1_020_000_000),
        ),
    ];
    let (err, model) = import_docs("orphans", &[&lines.join("\n")], 0);
    assert!(err.contains("1 span(s) whose parent is not in the input"), "{err}");
    assert!(err.contains("1 child span(s) start before their parent"), "{err}");
    let text = std::fs::read_to_string(model).unwrap();
    assert!(text.contains("call = \"db.read\""), "{text}");
    assert!(text.contains("rate = \"1/s\""), "two requests 1 s apart: {text}");
}

#[test]
fn import_never_overwrites_a_file_unless_forced() {
    let dir = scratch("clobber");
    let traces = dir.join("t.json");
    let model = dir.join("mine.toml");
    ok(&["trace", "models/web-3tier.toml", "-n", "50", "-f", "otlp", "-o", traces.to_str().unwrap()]);
    std::fs::write(&model, "my own work\n").unwrap();
    let out = capsim(&["import", traces.to_str().unwrap(), "-o", model.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "my own work\n");
    let out = capsim(&["import", traces.to_str().unwrap(), "-o", traces.to_str().unwrap(), "--force"]);
    assert_eq!(out.status.code(), Some(2), "never over an input");
    ok(&["import", traces.to_str().unwrap(), "-o", model.to_str().unwrap(), "--force"]);
    assert!(std::fs::read_to_string(&model).unwrap().contains("[workload.web]"));
}
