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
    // The chance of waiting is Erlang C, and the wait's p90 its exponential tail.
    assert!(close(v["services"][0]["prob_wait"].as_f64().unwrap(), theory::erlang_c(8, 7.2).unwrap()));
    assert_eq!(v["services"][0]["prob_wait_exact"], true);
    let p90 = theory::mmc_wait_quantile(90.0, 12.5, 8, 0.9).unwrap();
    assert!(close(v["services"][0]["wait_percentiles"]["p90"].as_f64().unwrap(), p90));
    let v = theory_json("models/mmc.toml", &["--set", "services.app.queue_limit=2"]);
    let k = theory::mmck(90.0, 12.5, 8, 10).unwrap();
    assert_eq!(v["services"][0]["model"], "M/M/8/10");
    assert!(close(v["services"][0]["blocking"].as_f64().unwrap(), k.blocking));
    // Of the admitted requests, those that find all 8 threads busy wait.
    assert!(close(v["services"][0]["prob_wait"].as_f64().unwrap(), k.prob_wait));
    let p99 = theory::mmck_wait_quantile(90.0, 12.5, 8, 10, 0.99).unwrap();
    assert!(close(v["services"][0]["wait_percentiles"]["p99"].as_f64().unwrap(), p99));
    // The table shows the column.
    let out = capsim(&["theory", "models/mmc.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("P(wait)") && text.contains(&format!("{:.1}%", 100.0 * theory::erlang_c(8, 7.2).unwrap())));
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

#[test]
fn theory_gives_response_and_wait_percentiles_where_it_has_them() {
    // M/M/1 at 0.9: the response is Exp(0.1/s), so its p99 is 10 ln(100) s.
    let v = theory_json("models/mm1.toml", &[]);
    let class = &v["classes"][0];
    assert!(close(class["response_percentiles"]["p99"].as_f64().unwrap(), 10.0 * 100f64.ln()));
    assert_eq!(class["percentiles_exact"], true);
    let wait_p99 = v["services"][0]["wait_percentiles"]["p99"].as_f64().unwrap();
    assert!(close(wait_p99, theory::mmc_wait_quantile(0.9, 1.0, 1, 0.99).unwrap()));
    // M/G/1 (gamma service): approximate, and flagged so in the table.
    let out =
        capsim(&["theory", "models/mm1.toml", "--set", "services.server.ops.handle.demand=gamma(mean=1s, cv=0.5)"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("M/G/1") && text.contains('≈'), "{text}");
    // `run --theory` compares the simulated percentiles, inside their intervals.
    let out = capsim(&["run", "models/mm1.toml", "--set", "workload.main.rate=0.5/s", "--theory"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for p in ["p50", "p95", "p99"] {
        let row =
            text.lines().find(|l| l.starts_with(&format!("main {p} response"))).unwrap_or_else(|| panic!("{text}"));
        assert!(row.trim_end().ends_with("yes"), "{row}");
    }
}

#[test]
fn a_policy_without_a_closed_form_is_named_as_the_model_writes_it() {
    let model =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-p2-{}.toml", std::process::id()));
    std::fs::write(
        &model,
        "[simulation]\nduration = \"10s\"\n[workload.w]\ntarget = \"api.get\"\nrate = \"100/s\"\n\
         [services.api]\ninstances = 4\nbalance = \"power_of_two\"\n[services.api.ops.get]\ndemand = \"exp(20ms)\"\n",
    )
    .unwrap();
    let out = capsim(&["theory", model.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("balance = \"power_of_two\" has no closed form"), "{text}");
    assert!(!text.contains("PowerOfTwo"), "{text}");
}

#[test]
fn load_behind_a_cache_counts_the_expected_misses_not_every_read() {
    // cache-ttl.toml with 4 database threads: 500 reads/s of 8 ms would be
    // 100% of them if every read missed, but about 92% hit.
    let args = ["--set", "services.db.threads=4", "--set", "simulation.warmup=\"3000s\""];
    let v = theory_json("models/cache-ttl.toml", &args);
    let hit = v["caches"][0]["hit_ratio"].as_f64().unwrap();
    let expected = theory::ttl_hit_ratio(20_000, 1.0, 300.0, 500.0, 50.0, capsim::policy::WritePolicy::Ignore).unwrap();
    assert!(close(hit, expected), "{hit} vs {expected}");
    let db = v["services"].as_array().unwrap().iter().find(|s| s["service"] == "db").unwrap();
    let offered = (500.0 * (1.0 - hit) * 0.008 + 50.0 * 0.005) / 4.0;
    assert!(close(db["utilisation"].as_f64().unwrap(), offered), "{db}");
    assert!(offered < 0.2);
    // No false saturation warning, and the simulated utilisation is the one expected.
    let mut run = vec!["run", "models/cache-ttl.toml", "--format", "json", "-r", "5"];
    run.extend_from_slice(&args);
    let out = capsim(&run);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("saturated"));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let db = s["services"].as_array().unwrap().iter().find(|s| s["name"] == "db").unwrap();
    assert!(close(db["offered_load"].as_f64().unwrap(), offered));
    let simulated: capsim::stats::Estimate = serde_json::from_value(db["utilisation"].clone()).unwrap();
    crate::support::assert_agrees("database utilisation", &simulated, offered, 0.02);
}
