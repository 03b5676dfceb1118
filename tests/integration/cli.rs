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
    let dir = std::env::temp_dir().join(format!("capsim-cli-{}", std::process::id()));
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
    let dir = std::env::temp_dir().join(format!("capsim-out-{}", std::process::id()));
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
