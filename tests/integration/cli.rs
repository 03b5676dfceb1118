//! The binary as a user runs it: exit codes, formats and overrides.

use std::path::PathBuf;
use std::process::{Command, Output};

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn temp_model(name: &str, text: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_accepts_a_good_model_and_exits_2_on_a_bad_one() {
    let ok = capsim(&["check", "models/mm1.toml"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let bad = temp_model(
        "bad.toml",
        "[simulation]\nduration = \"10s\"\n[workload.main]\ntarget = \"x.y\"\nrate = \"1/s\"\nspeling = 3\n",
    );
    let out = capsim(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:6:1"), "{err}");
    assert!(err.contains("unknown field `speling`"), "{err}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = capsim(&["run", "models/nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the model file"));
}

#[test]
fn json_output_follows_the_schema_and_honours_overrides() {
    let out = capsim(&[
        "run",
        "models/mm1.toml",
        "--set",
        "workload.main.rate=0.5/s",
        "--duration",
        "2000s",
        "--replications",
        "3",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["replications"], 3);
    assert_eq!(v["classes"][0]["name"], "main");
    assert_eq!(v["classes"][0]["offered_per_s"], 0.5);
    let p99 = &v["classes"][0]["latency_s"]["p99"];
    assert!(p99["value"].as_f64().unwrap() > 0.0 && p99["ci95"].as_f64().unwrap() > 0.0, "{p99}");
    let util = v["services"][0]["utilisation"]["value"].as_f64().unwrap();
    assert!((util - 0.5).abs() < 0.1, "utilisation {util}");
}

#[test]
fn csv_output_is_tidy() {
    let out = capsim(&["run", "models/mmc.toml", "--duration", "100s", "-r", "2", "--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("scope,name,metric,value,ci95"));
    assert!(text.lines().any(|l| l.starts_with("class,main,latency_p99_s,")));
    assert!(text.lines().all(|l| l.split(',').count() == 5));
}

#[test]
fn table_output_names_classes_and_services() {
    let out = capsim(&["run", "models/web-3tier.toml", "--duration", "5s", "-r", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["class", "p99", "web", "service", "app", "cache", "db", "cost:"] {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
}

#[test]
fn override_of_a_missing_path_is_refused() {
    let out = capsim(&["run", "models/mm1.toml", "--set", "services.nope.threads=2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `services.nope`"));
}

#[test]
fn output_file_is_written() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("result.json");
    let out = capsim(&["run", "models/mm1.toml", "--duration", "500s", "-f", "json", "-o", path.to_str().unwrap()]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["model"], "models/mm1.toml");
}

#[test]
fn a_run_gives_the_same_bytes_on_one_thread_or_two() {
    let run = |threads: &str| {
        let out = capsim(&[
            "run",
            "models/instance-failures.toml",
            "--duration",
            "2h",
            "-r",
            "3",
            "-f",
            "json",
            "-j",
            threads,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn run_memory_does_not_grow_with_replications() {
    // Each replication's histograms (about 330 kB per class) used to be kept
    // until the end: 2,000 replications peaked near 700 MB.
    let out = capsim(&["run", "models/mm1.toml", "--duration", "1s", "-r", "2000", "-f", "json", "--perf"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss: f64 = stderr
        .split("peak RSS ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    assert!(rss < 60.0, "peak RSS {rss} MB for 2,000 replications");
}

#[test]
fn the_docs_list_every_csv_column() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/output.md")).unwrap();
    let (begin, end) = ("<!-- columns:begin -->\n", "<!-- columns:end -->");
    let start = docs.find(begin).expect("docs/output.md has the column list's markers") + begin.len();
    let listed = &docs[start..docs.find(end).expect("end marker")];
    let expected = capsim::stats::columns::markdown();
    assert!(
        listed == expected,
        "docs/output.md's column list is out of date; put this between the markers:\n{expected}"
    );
}

/// Exit status 2 and every needle in stderr.
#[track_caller]
fn refused_with(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from:\n{err}");
    }
}

#[test]
fn a_file_of_the_other_kind_says_which_command_runs_it() {
    refused_with(&capsim(&["sweep", "models/mm1.toml"]), &["this is a model file", "capsim run models/mm1.toml"]);
    refused_with(
        &capsim(&["run", "experiments/cache-ttl.toml"]),
        &["this is an experiment file", "capsim sweep experiments/cache-ttl.toml"],
    );
    refused_with(&capsim(&["sweep", "nope/exp.toml"]), &["cannot read the experiment file", "experiments/"]);
}

#[test]
fn check_validates_an_experiment_and_every_design_model() {
    let ok = capsim(&["check", "experiments/cache-ttl.toml"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("= 30 runs"), "{}", String::from_utf8_lossy(&ok.stdout));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/cache-ttl.toml")).unwrap();
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cache-ttl.toml");
    let text = text.replace("../models/cache-ttl.toml", model.to_str().unwrap());
    let bad = temp_model(
        "typo-exp.toml",
        &text.replacen("[designs.", "[designs.x]\nset = { \"cachez.prices.ttl\" = \"1s\" }\n\n[designs.", 1),
    );
    refused_with(&capsim(&["check", bad.to_str().unwrap()]), &["`designs.x.set`", "did you mean `caches`?"]);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let path = temp_model("latin1.toml", "");
    std::fs::write(&path, b"[simulation]\nduration = \"10s\" # caf\xe9\n").unwrap();
    refused_with(&capsim(&["check", path.to_str().unwrap()]), &[":2:", "not UTF-8", "byte 23 of line 2 is 0xE9"]);
}

#[test]
fn a_bare_time_as_a_demand_suggests_const_and_exp() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mm1.toml")).unwrap();
    let path = temp_model("bare-demand.toml", &text.replace("demand = \"exp(1s)\"", "demand = \"15ms\""));
    refused_with(
        &capsim(&["check", path.to_str().unwrap()]),
        &["is a time, not a distribution", "const(15ms)", "exp(15ms)"],
    );
}

#[test]
fn plot_report_and_merge_on_a_folder_capsim_did_not_write_say_how_to_make_one() {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-cli-{}-notresults", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    refused_with(&capsim(&["plot", d]), &["is not a capsim results folder", "capsim sweep"]);
    refused_with(&capsim(&["report", d]), &["is not a capsim results folder"]);
    refused_with(&capsim(&["merge", d]), &["is not a capsim shard folder", "--shard I/N"]);
}

#[test]
fn a_list_of_target_loads_is_checked_and_a_bad_one_located_at_its_line() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scaling-showdown.toml")).unwrap();
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/showdown.toml");
    let text = text.replace("../models/showdown.toml", model.to_str().unwrap());
    let line = text.lines().position(|l| l.starts_with("target_load")).unwrap() + 1;
    let with = |list: &str| text.replace("target_load = \"1800/s\"", &format!("target_load = {list}"));
    let good = temp_model("target-list.toml", &with("[\"1200/s\", 1800]"));
    let out = capsim(&["check", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (list, message) in [
        ("[]", "the list of target loads is empty"),
        ("[\"1200/s\", \"1.2/ms\"]", "the target load 1.2/ms is given twice"),
        ("[\"1200/s\", \"lots\"]", "`lots` is not a number"),
    ] {
        let bad = temp_model("target-list-bad.toml", &with(list));
        refused_with(
            &capsim(&["check", bad.to_str().unwrap()]),
            &[&format!(":{line}:15: `capacity.target_load`"), message, "or a list"],
        );
    }
}
