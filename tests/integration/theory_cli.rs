//! `capsim theory` and `capsim run --theory`: the analytic values are the
//! closed forms the engine tests use, and they land inside the simulated
//! confidence intervals where theory is exact.

use std::process::Command;

use capsim::theory;

fn capsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

fn theory_json(model: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["theory", model, "--format", "json"];
    args.extend_from_slice(extra);
    let out = capsim(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
}

#[test]
fn mm1_theory_is_the_closed_form() {
    let v = theory_json("models/mm1.toml", &[]);
    let t = theory::mm1(0.9, 1.0).unwrap();
    let s = &v["services"][0];
    assert_eq!(s["model"], "M/M/1");
    assert_eq!(s["exact"], true);
    assert!(close(s["metrics"]["mean_response"].as_f64().unwrap(), t.mean_response));
    assert!(close(s["metrics"]["mean_queue_len"].as_f64().unwrap(), t.mean_queue_len));
    assert!(close(v["classes"][0]["mean_response"].as_f64().unwrap(), t.mean_response));
    assert!(close(v["bottleneck"]["headroom"].as_f64().unwrap(), 1.0 / 0.9));
}

#[test]
fn mmc_and_queue_limits_use_erlang_formulas() {
    let v = theory_json("models/mmc.toml", &[]);
    let t = theory::mmc(90.0, 12.5, 8).unwrap();
    assert_eq!(v["services"][0]["model"], "M/M/8");
    assert!(close(v["services"][0]["metrics"]["mean_wait"].as_f64().unwrap(), t.mean_wait));
    let v = theory_json("models/mmc.toml", &["--set", "services.app.queue_limit=2"]);
    let k = theory::mmck(90.0, 12.5, 8, 10).unwrap();
    assert_eq!(v["services"][0]["model"], "M/M/8/10");
    assert!(close(v["services"][0]["blocking"].as_f64().unwrap(), k.blocking));
}

#[test]
fn closed_model_uses_mean_value_analysis() {
    let v = theory_json("models/closed-users.toml", &[]);
    let t = theory::mva(60, 2.0, &[0.015, 0.020]);
    assert!(close(v["classes"][0]["mean_response"].as_f64().unwrap(), t.response));
    assert!(close(v["classes"][0]["throughput"].as_f64().unwrap(), t.throughput));
}

#[test]
fn layered_services_say_why_there_is_no_estimate() {
    let v = theory_json("models/web-3tier.toml", &[]);
    let app = &v["services"][0];
    assert!(app["metrics"].is_null());
    assert!(app["note"].as_str().unwrap().contains("holds its thread while it waits"), "{app}");
    assert!(v["classes"][0]["note"].as_str().unwrap().contains("at least"));
}

#[test]
fn run_with_theory_puts_theory_inside_the_interval() {
    let out = capsim(&["run", "models/mm1.toml", "--theory", "-r", "10", "--set", "workload.main.rate=0.5/s"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("theory beside simulation"), "{text}");
    for row in ["server utilisation", "server wait (M/M/1)", "main mean response"] {
        let line = text.lines().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("no `{row}` in {text}"));
        assert!(line.trim_end().ends_with("yes"), "{line}");
    }
}
