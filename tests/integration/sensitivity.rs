//! `capsim sensitivity`: on an M/M/1 queue the elasticities of the mean
//! response W = S / (1 - λS) match their closed forms (with respect to the
//! rate ρ/(1-ρ), to the service time 1/(1-ρ)) within the estimates' own
//! intervals; the command writes its folder and tornado charts without
//! clobbering a user's, and says whether the choice of design flips.

use std::sync::atomic::AtomicBool;

use capsim::compare::Kind;
use capsim::experiment::execute::simulate_networks;
use capsim::sensitivity::{self, Setting, Vary};

use crate::experiments::{ok, run, scratch};

const MM1: &str = r#"
[simulation]
duration = "20000s"
warmup = "1000s"
replications = 20
seed = 7

[workload.main]
target = "server.handle"
rate = "0.6/s"

[services.server]
threads = 1

[services.server.ops.handle]
demand = "exp(1s)"
"#;

/// The sensitivity of model `text` to the parameters at `paths`, ±10% each.
fn sensitivity_of(name: &str, text: &str, paths: &[&str]) -> sensitivity::Sensitivity {
    let dir = scratch(&format!("sensitivity-{name}"));
    let model = dir.join(format!("{name}.toml"));
    std::fs::write(&model, text).unwrap();
    let varies: Vec<Vary> = paths.iter().map(|p| Vary { path: (*p).into(), fraction: 0.1 }).collect();
    let settings = [Setting { name: "model".into(), overrides: vec![] }];
    let plan = sensitivity::plan(&model, &settings, &varies, 0.1).unwrap();
    let runs = simulate_networks(&plan.networks, &|i| plan.describe(i), &|| {}, &AtomicBool::new(false)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    sensitivity::analyse(name, &plan, &runs, "main", None)
}

#[test]
fn elasticities_of_the_mm1_response_match_the_analytic_derivatives() {
    let s = sensitivity_of("mm1", MM1, &["workload.main.rate", "services.server.ops.handle.demand"]);
    let rho: f64 = 0.6;
    // W = S / (1 - λS): d ln W / d ln λ = ρ/(1-ρ), d ln W / d ln S = 1/(1-ρ).
    // The estimate is a central difference over ±10%, which differs from
    // the derivative by its own (known) amount: that is allowed on top of
    // the interval, and is small here (0.006).
    let central = |lo: f64, hi: f64| {
        let w = |r: f64| 1.0 / (1.0 - r);
        (w(rho * hi).ln() - w(rho * lo).ln()) / (hi / lo).ln()
    };
    for (p, derivative, difference) in
        [(0, rho / (1.0 - rho), central(0.9, 1.1)), (1, 1.0 / (1.0 - rho), 1.0 + central(0.9, 1.1))]
    {
        let param = &s.settings[0].parameters[p];
        let e = param.effects.iter().find(|e| e.metric.kind == Kind::Mean).unwrap().elasticity;
        let ci = e.ci95.unwrap();
        eprintln!("{}: elasticity {:.4} ± {:.4}, derivative {derivative:.4}", param.path, e.value, ci);
        assert!(ci < 0.15, "{}: the interval ({ci}) is too wide to test anything", param.path);
        assert!(
            (e.value - derivative).abs() <= ci + (difference - derivative).abs(),
            "{}: elasticity {} ± {ci}, analytic {derivative} (central difference {difference})",
            param.path,
            e.value
        );
    }
    // Throughput follows the rate one for one, and does not depend on the service time.
    let throughput = |p: usize| {
        s.settings[0].parameters[p].effects.iter().find(|e| e.metric.kind == Kind::Throughput).unwrap().elasticity
    };
    assert!((throughput(0).value - 1.0).abs() <= throughput(0).ci95.unwrap() + 0.01);
    assert!(throughput(1).value.abs() <= throughput(1).ci95.unwrap() + 0.01);
}

/// A cache's hit ratio is an arm's `p`: varied ±10%, the miss arm takes
/// the rest, so the mean response (1 − h) × 100 ms of a hit-or-miss path
/// moves from 28 ms to 12 ms around h = 0.8.
#[test]
fn an_arm_probability_is_varied_with_its_sibling_taking_the_rest() {
    let model = r#"
[simulation]
duration = "400s"
replications = 5
seed = 3

[workload.main]
target = "api.get"
rate = "100/s"

[services.api]
threads = "unlimited"

[services.api.ops.get]
steps = [{ branch = [{ p = 0.8 }, { p = 0.2, call = "db.query" }] }]

[services.db]
threads = "unlimited"

[services.db.ops.query]
demand = "const(100ms)"
"#;
    let s = sensitivity_of("cache", model, &["services.api.ops.get.steps.0.branch.0.p"]);
    assert!(s.skipped.is_empty(), "{:?}", s.skipped.iter().map(|s| &s.reason).collect::<Vec<_>>());
    let e = s.settings[0].parameters[0].effects.iter().find(|e| e.metric.kind == Kind::Mean).unwrap().elasticity;
    // ln(12/28) / ln(0.88/0.72).
    let expected = (0.012f64 / 0.028).ln() / (0.88f64 / 0.72).ln();
    let ci = e.ci95.unwrap();
    assert!(ci < 0.3, "the interval ({ci}) is too wide to test anything");
    assert!((e.value - expected).abs() <= ci, "elasticity {} ± {ci}, expected {expected}", e.value);
}

#[test]
fn the_command_writes_its_folder_and_tornado_charts_and_never_a_users_folder() {
    let dir = scratch("sensitivity-cli");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/web-3tier.toml");
    let out = dir.join("sens");
    let args = ["sensitivity", model, "-r", "2", "--duration", "10s", "-q", "-o", out.to_str().unwrap()];
    let first = run(&args);
    ok(&first);
    let table = String::from_utf8_lossy(&first.stdout);
    // Every quantity of the model is varied, a branch probability with its
    // sibling taking the rest; the queue limit (never reached) is left out, saying why.
    assert!(table.contains("services.app.ops.get_page.demand") && table.contains("workload.web.rate"), "{table}");
    assert!(table.contains("services.app.queue_limit: no effect"), "{table}");
    assert!(table.contains("services.app.ops.get_page.steps.1.branch.0.p ") && !table.contains("refuses"), "{table}");
    for f in [
        "sensitivity.csv",
        "sensitivity.json",
        "tornado-p99.png",
        "tornado-p99.svg",
        "tornado-throughput.svg",
        "tornado-cost.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap()).unwrap();
    assert_eq!(json["format"], "capsim-sensitivity-1");
    // Its own folder is replaced; a user's is refused with exit 2 and left alone.
    ok(&run(&args));
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "mine").unwrap();
    let refused = run(&["sensitivity", model, "-r", "2", "--duration", "10s", "-q", "-o", mine.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(mine.join("notes.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // A parameter the model does not have is an error before any run.
    let bad = run(&["sensitivity", model, "--vary", "services.app.nope=±20%"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("has no `services.app.nope`"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_experiment_says_when_the_choice_of_design_flips_and_compares_with_its_baseline() {
    // Eight threads (cheaper) meet p99 <= 500 ms at 70/s with a demand of
    // 80 ms (70% busy), but not with 20% more demand (84% busy): then the
    // dearer twelve-thread design is the cheapest that meets the SLO.
    let dir = scratch("sensitivity-flip");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mmc.toml"), dir.join("mmc.toml")).unwrap();
    let exp = dir.join("flip.toml");
    std::fs::write(
        &exp,
        r#"
[experiment]
name = "flip"
model = "mmc.toml"
replications = 3
seed = 3
baseline = "eight"
set = { "simulation.duration" = "200s", "simulation.warmup" = "20s" }

[[axes]]
path = "workload.main.rate"
values = ["40/s", "70/s"]

[slo]
p99 = "500ms"

[capacity]
target_load = "70/s"

[sensitivity]
vary = ["services.app.ops.handle.demand=±20%"]

[designs.eight]
set = { "services.app.cost_per_hour" = 1.0 }

[designs.twelve]
set = { "services.app.threads" = 12, "services.app.cost_per_hour" = 1.5 }
"#,
    )
    .unwrap();
    let out = run(&["sensitivity", exp.to_str().unwrap(), "-q", "-f", "json"]);
    ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranking = &json["ranking"];
    assert_eq!(ranking["nominal"], "eight", "{ranking}");
    let flips = ranking["flips"].as_array().unwrap();
    assert_eq!(flips.len(), 1, "{ranking}");
    assert_eq!((flips[0]["end"].as_str(), flips[0]["chosen"].as_str()), (Some("high"), Some("twelve")));
    assert!(ranking["sentence"].as_str().unwrap().contains("is 20% higher, `twelve` beats `eight`"));

    // The sweep's results compare `twelve` with `eight` at every point, paired.
    let results = dir.join("results");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "--no-charts", "-o", results.to_str().unwrap()]));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["experiment"]["baseline"], "eight");
    for p in r["points"].as_array().unwrap() {
        let vs = &p["vs_baseline"];
        if p["design"] == "eight" {
            assert!(vs.is_null());
            continue;
        }
        let cost = vs.as_array().unwrap().iter().find(|row| row["metric"]["kind"] == "cost_per_hour").unwrap();
        assert!((cost["relative"].as_f64().unwrap() - 0.5).abs() < 1e-9 && cost["significant"] == true, "{cost}");
        assert_eq!(cost["pairs"], 3);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
