//! `capsim validate` as a team runs it in CI: a model passes against
//! measurements it produced itself (another seed: only noise differs) in
//! each format, fails with exit 1 naming the metric when a demand is 30%
//! off, uses common random numbers (a level is `capsim run` at that load,
//! whatever the thread count), and refuses bad input with exit 2 and
//! nothing written.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use capsim::stats::Summary;

use crate::experiments::{run, scratch};

/// An open model: an app tier calling a database.
const OPEN: &str = r#"
[simulation]
duration = "120s"
warmup = "10s"
replications = 5
seed = 1

[workload.w]
target = "app.handle"
rate = "50/s"

[services.app]
threads = 2

[services.app.ops.handle]
demand = "exp(10ms)"
steps = [{ call = "db.read" }]

[services.db]
threads = 4

[services.db.ops.read]
demand = "exp(4ms)"
"#;

/// A closed model: users who think for a second between requests.
const CLOSED: &str = r#"
[simulation]
duration = "120s"
warmup = "10s"
replications = 5
seed = 1

[workload.users]
target = "app.handle"
users = 10
think = "exp(1s)"

[services.app]
threads = 1

[services.app.ops.handle]
demand = "exp(20ms)"
"#;

const LOADS: [f64; 3] = [40.0, 80.0, 120.0];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The model at `setting`, run with seed 7: the "load test".
fn measured(model: &Path, setting: String) -> Summary {
    let net = capsim::model::load(model, &[setting, "simulation.seed=7".into()]).unwrap();
    capsim::run::run(&net).summary
}

/// The neutral CSV of the open model at [`LOADS`], from seed 7.
fn neutral_csv(model: &Path, dir: &Path) -> PathBuf {
    let mut text = String::from("load_per_s,throughput_per_s,mean_s,p50_s,p95_s,p99_s,error_ratio,util:app,util:db\n");
    for load in LOADS {
        let s = measured(model, format!("workload.w.rate={load}/s"));
        let (c, lat) = (&s.classes[0], &s.classes[0].latency_s);
        let util = |name: &str| s.services.iter().find(|x| x.name == name).unwrap().utilisation.value;
        writeln!(
            text,
            "{load},{},{},{},{},{},{},{},{}",
            c.throughput_per_s.value,
            lat.mean.value,
            lat.p50.value,
            lat.p95.value,
            lat.p99.value,
            c.error_ratio.value,
            util("app"),
            util("db")
        )
        .unwrap();
    }
    write(dir, "levels.csv", &text)
}

fn validate(args: &[&str]) -> Output {
    let mut all = vec!["validate"];
    all.extend(args);
    run(&all)
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[track_caller]
fn passes(out: &Output) {
    let (stdout, stderr) = text(out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("validation passed"), "{stdout}");
}

#[test]
fn a_model_passes_against_its_own_measurements_and_writes_the_folder() {
    let dir = scratch("validate-pass");
    let model = write(&dir, "open.toml", OPEN);
    let csv = neutral_csv(&model, &dir);
    let out_dir = dir.join("out");
    let out = validate(&[model.to_str().unwrap(), csv.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
    passes(&out);
    let written = std::fs::read_to_string(out_dir.join("validation.csv")).unwrap();
    let rows: Vec<&str> = written.lines().skip(1).collect();
    assert_eq!(rows.len(), 3 * 8, "three loads, eight metrics each:\n{written}");
    assert!(rows.iter().all(|r| r.contains(",true,")), "{written}");
    assert!(written.starts_with("load_per_s,metric,measured,simulated,ci95_low,ci95_high,error,tolerance,"));
    for chart in ["validation-latency", "validation-throughput", "validation-utilisation"] {
        assert!(out_dir.join(format!("{chart}.png")).exists() && out_dir.join(format!("{chart}.svg")).exists());
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("validation.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "capsim-validation-1");
    assert_eq!(json["levels"].as_array().unwrap().len(), 3);
    // Writing again replaces capsim's own folder.
    passes(&validate(&[model.to_str().unwrap(), csv.to_str().unwrap(), "-o", out_dir.to_str().unwrap(), "-q"]));
}

#[test]
fn a_demand_30_percent_off_fails_naming_the_metric_and_still_writes_the_evidence() {
    let dir = scratch("validate-fail");
    let model = write(&dir, "open.toml", OPEN);
    let csv = neutral_csv(&model, &dir);
    let out_dir = dir.join("out");
    let off = "services.app.ops.handle.demand=exp(13ms)";
    let out =
        validate(&[model.to_str().unwrap(), csv.to_str().unwrap(), "--set", off, "-o", out_dir.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // The table ends with the verdict naming the first failures; standard
    // error counts them without repeating the list.
    assert!(stdout.contains("validation failed") && stdout.contains("util:app at 40/s"), "{stdout}");
    assert!(stdout.contains("mean at 40/s") && stdout.contains("and 10 more"), "{stdout}");
    assert!(stdout.contains("mean") && stdout.contains("BEYOND"), "{stdout}");
    assert!(stderr.contains("error: 15 of 24 comparisons beyond tolerance (marked BEYOND above)"), "{stderr}");
    let written = std::fs::read_to_string(out_dir.join("validation.csv")).unwrap();
    let app = written.lines().find(|l| l.starts_with("80,util:app,")).unwrap();
    assert!(app.contains(",false,"), "{app}");
    // The database's demand is right: its utilisation stays within tolerance.
    let db = written.lines().find(|l| l.starts_with("80,util:db,")).unwrap();
    assert!(db.contains(",true,"), "{db}");
    // A tolerance loose enough for the wrong utilisation takes it off the list, and only it.
    let out = validate(&[model.to_str().unwrap(), csv.to_str().unwrap(), "--set", off, "--tolerance", "util:app=35%"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    let verdict = stdout.lines().last().unwrap();
    assert!(!verdict.contains("util:app at") && verdict.contains("mean at 40/s"), "{verdict}");
}

#[test]
fn every_level_uses_the_same_seed_equals_capsim_run_and_ignores_the_thread_count() {
    let dir = scratch("validate-crn");
    let model = write(&dir, "open.toml", OPEN);
    let csv = neutral_csv(&model, &dir);
    let (m, c) = (model.to_str().unwrap(), csv.to_str().unwrap());
    let one = validate(&[m, c, "-f", "json", "-j", "1", "--seed", "11"]);
    let two = validate(&[m, c, "-f", "json", "-j", "2", "--seed", "11"]);
    passes_json(&one);
    assert_eq!(one.stdout, two.stdout, "the thread count changed the result");
    let json: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(json["seed"], 11);
    let level = &json["levels"][1];
    assert_eq!(level["load"], 80.0);
    let single = run(&["run", m, "--set", "workload.w.rate=80/s", "--seed", "11", "-f", "json"]);
    assert!(single.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    let class = &summary["classes"][0];
    let simulated = |metric: &str| {
        level["comparisons"].as_array().unwrap().iter().find(|x| x["metric"] == metric).unwrap()["simulated"].clone()
    };
    // `capsim run` writes 12 significant digits.
    let same = |metric: &str, value: &serde_json::Value| {
        let (a, b) = (simulated(metric).as_f64().unwrap(), value.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-11 * b.abs(), "{metric}: validate {a}, run {b}");
    };
    same("mean", &class["latency_s"]["mean"]["value"]);
    same("p99", &class["latency_s"]["p99"]["value"]);
    same("throughput", &class["throughput_per_s"]["value"]);
}

#[track_caller]
fn passes_json(out: &Output) {
    let (stdout, stderr) = text(out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
}

/// k6's --summary-export of one level, from the model's own results.
fn k6_summary(s: &Summary, with_p99: bool) -> String {
    let c = &s.classes[0];
    let ms = |e: f64| e * 1e3;
    let lat = &c.latency_s;
    let p99 = if with_p99 { format!(r#", "p(99)": {}"#, ms(lat.p99.value)) } else { String::new() };
    let requests = c.throughput_per_s.value * 120.0;
    format!(
        r#"{{
  "root_group": {{ "name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": {{}}, "checks": {{}} }},
  "options": {{ "summaryTrendStats": ["avg", "min", "med", "max", "p(90)", "p(95)"{}], "summaryTimeUnit": "", "noColor": false }},
  "state": {{ "isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": 120012.5 }},
  "metrics": {{
    "http_req_duration": {{ "avg": {avg}, "min": 0.41, "med": {med}, "max": 412.2, "p(90)": {p90}, "p(95)": {p95}{p99} }},
    "http_req_duration{{expected_response:true}}": {{ "avg": {avg}, "min": 0.41, "med": {med}, "max": 412.2, "p(90)": {p90}, "p(95)": {p95}{p99} }},
    "http_req_failed": {{ "passes": 0, "fails": {requests:.0}, "value": 0 }},
    "http_reqs": {{ "count": {requests:.0}, "rate": {rate} }},
    "iterations": {{ "count": {requests:.0}, "rate": {rate} }},
    "iteration_duration": {{ "avg": {avg}, "min": 0.5, "med": {med}, "max": 413.0, "p(90)": {p90}, "p(95)": {p95} }},
    "vus": {{ "value": 3, "min": 1, "max": 12 }},
    "vus_max": {{ "value": 50, "min": 50, "max": 50 }},
    "data_received": {{ "count": 1234567, "rate": 10288.0 }},
    "checks": {{ "passes": {requests:.0}, "fails": 0, "value": 1 }}
  }}
}}
"#,
        if with_p99 { r#", "p(99)""# } else { "" },
        avg = ms(lat.mean.value),
        med = ms(lat.p50.value),
        p90 = ms(lat.p90.value),
        p95 = ms(lat.p95.value),
        rate = c.throughput_per_s.value,
    )
}

#[test]
fn k6_summaries_one_per_level_validate_and_say_when_p99_is_missing() {
    let dir = scratch("validate-k6");
    let model = write(&dir, "open.toml", OPEN);
    let mut files = Vec::new();
    for (i, load) in LOADS.into_iter().enumerate() {
        let s = measured(&model, format!("workload.w.rate={load}/s"));
        files.push(write(&dir, &format!("k6-{load}.json"), &k6_summary(&s, i != 1)));
    }
    let mut args = vec![model.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = validate(&args);
    passes(&out);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("p(99)") && stdout.contains("--summary-trend-stats"), "{stdout}");
    // Two levels with p99, one without: 6 + 5 + 6 comparisons.
    assert!(stdout.contains("all 17 comparisons"), "{stdout}");
}

#[test]
fn locust_stats_per_level_and_a_step_load_history_validate() {
    let dir = scratch("validate-locust");
    // Open test: one PREFIX_stats.csv per level.
    let model = write(&dir, "open.toml", OPEN);
    let header = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
    let mut files = Vec::new();
    for load in LOADS {
        let s = measured(&model, format!("workload.w.rate={load}/s"));
        let (c, l) = (&s.classes[0], &s.classes[0].latency_s);
        let n = (c.throughput_per_s.value * 120.0).round();
        let ms = |v: f64| (v * 1e3).round();
        let aggregate = |kind: &str, name: &str| {
            format!(
                "{kind},{name},{n},0,{},{},1,400,512.0,{},0.0,{},{},{},{},{},{},{},{},{},{},{}",
                ms(l.p50.value),
                l.mean.value * 1e3,
                c.throughput_per_s.value,
                ms(l.p50.value),
                ms(l.p50.value * 1.2),
                ms(l.p50.value * 1.4),
                ms(l.p90.value * 0.9),
                ms(l.p90.value),
                ms(l.p95.value),
                ms(l.p99.value * 0.95),
                ms(l.p99.value),
                ms(l.p999.value),
                ms(l.p999.value),
                ms(l.max.value)
            )
        };
        let text = format!("{header}\n{}\n{}\n", aggregate("GET", "/orders"), aggregate("", "Aggregated"));
        files.push(write(&dir, &format!("load{load}_stats.csv"), &text));
    }
    let mut args = vec![model.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    // Locust rounds response times to whole milliseconds: the p50 of a few ms moves by more than 15%.
    args.extend(["--tolerance", "p50=25%"]);
    passes(&validate(&args));

    // Closed test: a step-load history, 10, 20 and 40 users for 90 s each,
    // ramping through intermediate counts for 3 s between steps.
    let model = write(&dir, "closed.toml", CLOSED);
    let mut history = String::from(
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\n",
    );
    let (mut t, mut requests, mut total_ms) = (1_700_000_000.0_f64, 0.0_f64, 0.0_f64);
    let mut row = |users: u32, rate: f64, mean_s: f64, history: &mut String| {
        requests += rate;
        total_ms += rate * mean_s * 1e3;
        t += 1.0;
        let count = requests.round();
        let average = if requests > 0.0 { total_ms / requests } else { 0.0 };
        // Default history: the percentiles are cumulative since the start.
        writeln!(
            history,
            "{t},{users},,Aggregated,{rate:.2},0.00,30,35,40,45,60,80,100,120,200,250,300,{count},0,30,{average},1,300,512.0"
        )
        .unwrap();
    };
    let steps = [10_u32, 20, 40];
    for (i, users) in steps.into_iter().enumerate() {
        let s = measured(&model, format!("workload.users.users={users}"));
        let (x, r) = (s.classes[0].throughput_per_s.value, s.classes[0].latency_s.mean.value);
        if i > 0 {
            for ramp in 1..=3 {
                let between = steps[i - 1] + (users - steps[i - 1]) * ramp / 4;
                row(between, x, r, &mut history);
            }
        }
        for _ in 0..90 {
            row(users, x, r, &mut history);
        }
    }
    let file = write(&dir, "step_stats_history.csv", &history);
    let out = validate(&[model.to_str().unwrap(), file.to_str().unwrap()]);
    passes(&out);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("load 10 users") && stdout.contains("load 40 users"), "{stdout}");
    assert_eq!(stdout.matches("\nload ").count(), 3, "ramp rows are not levels: {stdout}");
    assert!(stdout.contains("all 9 comparisons"), "throughput, mean and error ratio at three levels: {stdout}");
    assert!(stdout.contains("--csv-full-history"), "{stdout}");
}

/// Runs `validate` with `-o`, expects exit 2 and nothing written, returns stderr.
#[track_caller]
fn refused(dir: &Path, args: &[&str]) -> String {
    let out_dir = dir.join("never");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", out_dir.to_str().unwrap()]);
    let out = validate(&all);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(!out_dir.exists(), "nothing is written on bad input");
    assert!(stdout.is_empty(), "{stdout}");
    stderr
}

#[test]
fn bad_input_is_located_exits_2_and_writes_nothing() {
    let dir = scratch("validate-bad");
    let model = write(&dir, "open.toml", OPEN);
    let m = model.to_str().unwrap();

    let csv = write(&dir, "short.csv", "load_per_s,mean_s\n40,0.012\n\n60\n");
    let err = refused(&dir, &[m, csv.to_str().unwrap()]);
    assert!(err.contains("short.csv:4:"), "{err}");

    let csv = write(&dir, "unknown.csv", "load_per_s,latency_s\n40,0.012\n");
    let err = refused(&dir, &[m, csv.to_str().unwrap()]);
    assert!(err.contains("`latency_s`") && err.contains("p99_s") && err.contains("util:SERVICE"), "{err}");

    let csv = write(&dir, "cell.csv", "load_per_s,mean_s\n40,12 parsecs\n");
    let err = refused(&dir, &[m, csv.to_str().unwrap()]);
    assert!(err.contains("cell.csv:2:") && err.contains("`mean_s`"), "{err}");

    // Users against an open class: the model cannot take that load.
    let csv = write(&dir, "users.csv", "users,mean_s\n10,0.012\n20,0.013\n");
    let err = refused(&dir, &[m, csv.to_str().unwrap(), "--rate-path", "workload.w.users"]);
    assert!(err.contains("users.csv:2:") && err.contains("a load level the model cannot be set to"), "{err}");
    let err = refused(&dir, &[m, csv.to_str().unwrap()]);
    assert!(err.contains("users") && err.contains("closed"), "{err}");
    let csv = write(&dir, "bad-path.csv", "load_per_s,mean_s\n10,0.012\n");
    let err = refused(&dir, &[m, csv.to_str().unwrap(), "--rate-path", "services.app.nothing"]);
    assert!(err.contains("bad-path.csv:2:") && err.contains("a load level the model cannot be set to"), "{err}");
    let closed = write(&dir, "closed.toml", CLOSED);
    let csv = write(&dir, "half.csv", "users,mean_s\n10,0.03\n2.5,0.021\n");
    let err = refused(&dir, &[closed.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(err.contains("half.csv:3:") && err.contains("not a whole number"), "{err}");

    let two = write(
        &dir,
        "two.toml",
        &OPEN.replace("[services.app]", "[workload.v]\ntarget = \"db.read\"\nrate = \"5/s\"\n\n[services.app]"),
    );
    let csv = write(&dir, "ok.csv", "load_per_s,mean_s\n40,0.012\n");
    let err = refused(&dir, &[two.to_str().unwrap(), csv.to_str().unwrap()]);
    assert!(err.contains("--rate-path") && err.contains("w, v"), "{err}");
    let err = refused(&dir, &[two.to_str().unwrap(), csv.to_str().unwrap(), "--rate-path", "workload.x.rate"]);
    assert!(err.contains("no class `x`"), "{err}");

    let k6 = write(
        &dir,
        "k6.json",
        r#"{"metrics": {"http_reqs": {"count": 100, "rate": 10.0}, "vus": {"value": 1, "min": 1, "max": 1}}}"#,
    );
    let err = refused(&dir, &[m, k6.to_str().unwrap()]);
    assert!(err.contains("k6.json") && err.contains("http_req_duration"), "{err}");

    let err = refused(&dir, &[m, csv.to_str().unwrap(), "--tolerance", "p99=0.2"]);
    assert!(err.contains("p99=0.2%"), "{err}");
}

#[test]
fn the_calibration_example_fails_as_drafted_and_passes_once_calibrated() {
    // docs/calibration.md's worked example, as a user runs it.
    let args = |model: &str| {
        vec![
            format!("examples/calibration/{model}"),
            "examples/calibration/load-test.csv".to_string(),
            "--rate-path".to_string(),
            "workload.browse.rate".to_string(),
            "-q".to_string(),
        ]
    };
    let draft = super::experiments::capsim().arg("validate").args(args("shop-draft.toml")).output().unwrap();
    let (stdout, _) = text(&draft);
    assert_eq!(draft.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("validation failed: 13 of 32 comparisons"), "{stdout}");
    let calibrated = super::experiments::capsim().arg("validate").args(args("shop.toml")).output().unwrap();
    let (stdout, stderr) = text(&calibrated);
    assert_eq!(calibrated.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("validation passed: all 32 comparisons within tolerance"), "{stdout}");
}
