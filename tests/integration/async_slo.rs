//! An SLO on asynchronous work: a showdown-like sweep in which the
//! event-driven design is judged by when its work is done, not by its 202,
//! and a backlog that grows through the window fails the SLO.

use std::path::{Path, PathBuf};

use crate::experiments::{ok, read, run, scratch};

/// An API that does 20 ms of work itself, or answers 202 after 1 ms and
/// publishes the work to 4-thread workers (one instance holds 200 messages/s).
const MODEL: &str = r#"
[simulation]
duration = "60s"
warmup = "5s"
replications = 3
seed = 11

[workload.web]
target = "api.handle"
rate = "100/s"

[services.api]
threads = 16
cores = 16
cost_per_hour = 0.8

[services.api.ops.handle]
demand = "exp(20ms)"

[services.api.ops.accept]
demand = "const(1ms)"
steps = [{ publish = "jobs" }]

[queues.jobs]
consumer = "workers.process"

[services.workers]
enabled = false
threads = 4
cores = 4
cost_per_hour = 0.2

[services.workers.ops.process]
demand = "exp(20ms)"
"#;

/// The sweep's experiment with `slo` as its `[slo]` table, beside the model.
fn experiment(dir: &Path, slo: &str) -> PathBuf {
    std::fs::write(dir.join("api.toml"), MODEL).unwrap();
    let path = dir.join("async.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[experiment]
name = "async-slo"
question = "Do the workers keep up?"
model = "api.toml"
replications = 3
seed = 5

[[axes]]
path = "workload.web.rate"
values = ["100/s", "180/s", "400/s"]

[slo]
class = "web"
{slo}

[designs.synchronous]
description = "the api does the work"

[designs.few-workers]
set = {{ "workload.web.target" = "api.accept", "services.workers.enabled" = true, "services.workers.instances" = 1 }}

[designs.enough-workers]
set = {{ "workload.web.target" = "api.accept", "services.workers.enabled" = true, "services.workers.instances" = 4 }}
"#
        ),
    )
    .unwrap();
    path
}

/// Sweeps `slo` and returns the results folder and its results.json.
fn sweep(name: &str, slo: &str) -> (PathBuf, serde_json::Value) {
    let dir = scratch(name);
    let exp = experiment(&dir, slo);
    let out = dir.join("out");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()]));
    let results = serde_json::from_str(&read(&out, "results.json")).unwrap();
    (out, results)
}

/// (design, load) -> (meets the SLO, p99 reply, p99 completion if the class publishes).
fn verdicts(results: &serde_json::Value) -> Vec<(String, String, bool, f64, Option<f64>)> {
    results["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let class = &p["summary"]["classes"][0];
            (
                p["design"].as_str().unwrap().to_string(),
                p["axis_values"][0].as_str().unwrap().to_string(),
                p["meets_slo"].as_bool().unwrap(),
                class["latency_s"]["p99"]["value"].as_f64().unwrap(),
                class["completion_s"]["p99"]["value"].as_f64(),
            )
        })
        .collect()
}

#[test]
fn the_event_driven_design_fails_a_completion_slo_when_its_consumers_are_too_few() {
    let (out, results) = sweep("completion", r#"completion_p99 = "150ms""#);
    let verdicts = verdicts(&results);
    let at = |design: &str, load: &str| verdicts.iter().find(|v| v.0 == design && v.1 == load).unwrap().clone();
    // Every 202 comes back in about a millisecond, so a reply SLO would pass them all.
    for design in ["few-workers", "enough-workers"] {
        for load in ["100/s", "180/s", "400/s"] {
            assert!(at(design, load).3 < 0.005, "{:?}", at(design, load));
        }
    }
    // One worker instance (4 consumers, 200 messages/s): its work is done in
    // time at 50% load, not at 90% (a stable but long queue) nor at 200%.
    let (_, _, meets, _, done) = at("few-workers", "100/s");
    assert!(meets && done.unwrap() < 0.15, "{:?}", at("few-workers", "100/s"));
    for load in ["180/s", "400/s"] {
        let (_, _, meets, _, done) = at("few-workers", load);
        assert!(!meets && done.unwrap() > 0.15, "{:?}", at("few-workers", load));
    }
    // Four instances keep up at every load; so does the synchronous design,
    // whose completion latency is its reply (it publishes nothing).
    for load in ["100/s", "180/s", "400/s"] {
        assert!(at("enough-workers", load).2, "{:?}", at("enough-workers", load));
        let sync = at("synchronous", load);
        assert!(sync.2 && sync.4.is_none(), "{sync:?}");
    }
    let findings: Vec<&str> =
        results["capacity"]["findings"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(findings.contains(&"The SLO is p99 completion <= 150 ms for `web`."), "{findings:?}");
    let few = results["capacity"]["designs"].as_array().unwrap().iter().find(|d| d["design"] == "few-workers").unwrap();
    assert_eq!((few["max_load"].as_f64(), few["fails_at"].as_f64()), (Some(100.0), Some(180.0)), "{few}");
    assert_eq!(results["experiment"]["slo"]["completion"], serde_json::json!(["p99", 0.15]));
    // The charts draw, and say, the latency the SLO names.
    let chart = read(&out, "charts/latency-vs-load.svg");
    assert!(chart.contains("completion latency") && chart.contains("SLO: p99 completion ≤ 150 ms"), "{chart}");
    assert!(read(&out, "charts/cost-vs-latency.svg").contains("p99 completion latency"));
    // The report's table of points: the completion latency, and the 202's beside it.
    let report = read(&out, "report.html");
    assert!(report.contains("Completion latency") && report.contains(">reply p99</th>"));
    // Both CSVs carry the completion columns, empty where the class publishes nothing.
    let summary = read(&out, "summary.csv");
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "class.web.completion_p99_s").expect("a completion column");
    let row = |design: &str| summary.lines().find(|l| l.starts_with(&format!("{design},100/s"))).unwrap().to_string();
    assert_eq!(row("synchronous").split(',').nth(column), Some(""));
    let few: f64 = row("few-workers").split(',').nth(column).unwrap().parse().unwrap();
    assert!((few - at("few-workers", "100/s").4.unwrap()).abs() < 1e-9);
    assert!(read(&out, "runs.csv").lines().next().unwrap().contains("class.web.completion_p99_s"));
}

#[test]
fn a_growing_backlog_fails_the_slo_however_fast_the_replies() {
    // A reply SLO only: the 202s meet it everywhere, but at 400/s one worker
    // instance falls further behind all through the window.
    let (_, results) = sweep("backlog", r#"p99 = "100ms""#);
    let verdicts = verdicts(&results);
    let points = results["points"].as_array().unwrap();
    for (v, p) in verdicts.iter().zip(points) {
        let growing = p["summary"]["queues"].as_array().unwrap().iter().any(|q| q["backlog_growing"] == true);
        let overloaded = v.0 == "few-workers" && v.1 == "400/s";
        assert_eq!(growing, overloaded, "{v:?}");
        assert_eq!(v.2, !overloaded, "{v:?}");
        assert!(v.3 < 0.1, "{v:?}");
    }
    let overloaded = &points[verdicts.iter().position(|v| v.0 == "few-workers" && v.1 == "400/s").unwrap()];
    let warnings = overloaded["summary"]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with("queue `jobs`: its backlog grew from")),
        "{warnings:?}"
    );
}

#[test]
fn completion_slo_keys_are_checked_where_they_are_written() {
    let dir = scratch("completion-keys");
    let cases = [
        ("completion_p99 = \"soon\"", "`slo.completion_p99`", 15),
        ("completion_p99 = \"1s\"\ncompletion_mean = \"1s\"", "sets a completion latency limit twice", 16),
        ("p99 = \"1s\"\np50 = \"1s\"", "sets a reply latency limit twice", 16),
        ("completion_p98 = \"1s\"", "unknown field `completion_p98`", 15),
        ("error_ratio = 2.0", "error_ratio is a fraction", 15),
    ];
    for (slo, needle, line) in cases {
        let exp = experiment(&dir, slo);
        let out = run(&["check", exp.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{slo}: {err}");
        assert!(err.contains(needle), "{slo}: `{needle}` missing from {err}");
        assert!(err.contains(&format!("async.toml:{line}:")), "{slo}: not located at line {line}: {err}");
    }
}
