//! `capsim plan`: the planner's answers against queueing theory (M/M/c by
//! Erlang C, random balancing over M/M/1 instances with headroom), a pool
//! only simulation can size, the exhaustive grid's answer with far fewer
//! runs, uncertain load, the same plan for any thread count, and bad input.

use std::path::{Path, PathBuf};
use std::process::Output;

use capsim::planner::spec::Headroom;
use capsim::theory::{mm1_response_quantile, mmc_response_quantile};

use super::experiments::{ok, read, run, scratch};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes a model and an experiment into `dir`; returns the experiment's path.
fn write(dir: &Path, model: &str, experiment: &str) -> PathBuf {
    std::fs::write(dir.join("model.toml"), model).unwrap();
    let path = dir.join("plan.toml");
    std::fs::write(&path, experiment).unwrap();
    path
}

fn plan_json(exp: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["plan", exp.to_str().unwrap(), "-q", "-f", "json"];
    args.extend(extra);
    let out = run(&args);
    ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn best_setting(plan: &serde_json::Value, path: &str) -> u32 {
    let settings = plan["best"][0]["settings"].as_array().unwrap();
    let value = settings.iter().find(|s| s[0] == path).unwrap()[1].as_str().unwrap();
    value.parse().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const MMC: &str = r#"
[simulation]
duration = "200s"
warmup = "10s"
seed = 11
[workload.main]
target = "app.handle"
rate = "90/s"
[services.app]
threads = 8
cores = 64
cost_per_hour = 0.5
[services.app.ops.handle]
demand = "exp(80ms)"
"#;

#[test]
fn the_minimum_thread_count_of_an_mmc_station_is_erlang_cs() {
    // Theory's p99 of the M/M/c response (Erlang C wait + service) for c = 9
    // and 10; the SLO between them makes 10 the answer theory gives.
    let (lambda, mu) = (90.0, 12.5);
    let p99 = |c: u32| mmc_response_quantile(lambda, mu, c, 0.99).unwrap();
    let slo = (p99(9) * p99(10)).sqrt();
    let expected = (1..=30).find(|&c| mmc_response_quantile(lambda, mu, c, 0.99).is_some_and(|q| q <= slo)).unwrap();
    assert_eq!(expected, 10);
    let dir = scratch("plan-mmc");
    let exp = write(
        &dir,
        MMC,
        &format!(
            "[experiment]\nmodel = \"model.toml\"\nreplications = 3\nseed = 5\n\n[slo]\np99 = \"{}ms\"\n\n[search]\ntarget_load = \"90/s\"\n\n[search.vary]\n\"services.app.threads\" = {{ from = 1, to = 30 }}\n",
            slo * 1000.0
        ),
    );
    let plan = plan_json(&exp, &[]);
    assert_eq!(best_setting(&plan, "services.app.threads"), expected, "{plan:#}");
    // The answer was simulated, and its interval sits inside the SLO.
    let at = &plan["best"][0]["at"][0];
    assert_eq!(at["decided"]["simulation"]["capped"], false, "{at}");
    assert!(at["latency"]["value"].as_f64().unwrap() <= slo);
    // Theory rules out 1..=7 (saturated) before anything runs.
    assert!(plan["pruned_by_theory"].as_u64().unwrap() >= 7, "{plan:#}");
}

const RANDOM: &str = r#"
[simulation]
duration = "150s"
warmup = "10s"
seed = 4
[workload.main]
target = "app.handle"
rate = "40/s"
[services.app]
instances = 5
threads = 1
cores = 1
balance = "random"
cost_per_hour = 0.1
[services.app.ops.handle]
demand = "exp(50ms)"
"#;

fn random_split_experiment(dir: &Path, slo: f64, search_extra: &str) -> PathBuf {
    write(
        dir,
        RANDOM,
        &format!(
            "[experiment]\nmodel = \"model.toml\"\nreplications = 3\nseed = 9\n\n[slo]\np99 = \"{}ms\"\n\n[search]\n{search_extra}\n\n[search.vary]\n\"services.app.instances\" = {{ from = 1, to = 20 }}\n",
            slo * 1000.0
        ),
    )
}

#[test]
fn headroom_adds_instances_exactly_where_theory_says() {
    // Random balancing splits Poisson arrivals into Poisson streams: each
    // instance is an M/M/1 at 40/n per second, exactly.
    let (lambda, mu) = (40.0, 20.0);
    let p99 = |n: u32| mm1_response_quantile(lambda / f64::from(n), mu, 0.99);
    let slo = (p99(3).unwrap() * p99(4).unwrap()).sqrt();
    let meets = |up: u32| up > 0 && p99(up).is_some_and(|q| q <= slo);
    let theory = |h: Headroom| (1..=20).find(|&n| meets(h.left(n))).unwrap();
    let dir = scratch("plan-headroom");
    for (h, toml) in [
        (Headroom::None, ""),
        (Headroom::InstancesDown(1), "headroom = { instances_down = 1 }"),
        (Headroom::Zones { zones: 3, down: 1 }, "headroom = { zones = 3, zones_down = 1 }"),
    ] {
        let exp = random_split_experiment(&dir, slo, &format!("target_load = \"40/s\"\n{toml}"));
        let plan = plan_json(&exp, &[]);
        assert_eq!(best_setting(&plan, "services.app.instances"), theory(h), "{toml}: {plan:#}");
    }
    // One instance down needs one more; a third of the instances down (zones) needs two more here.
    assert_eq!(theory(Headroom::InstancesDown(1)), theory(Headroom::None) + 1);
    assert_eq!(theory(Headroom::Zones { zones: 3, down: 1 }), theory(Headroom::None) + 2);
}

#[test]
fn uncertain_load_is_chosen_by_least_regret() {
    let dir = scratch("plan-regret");
    let exp = random_split_experiment(
        &dir,
        0.5,
        "target_load = { low = \"30/s\", mid = \"40/s\", high = \"55/s\", confidence = 0.9 }",
    );
    let plan = plan_json(&exp, &[]);
    let best = &plan["best"][0];
    // Missing the SLO weighs 4x an idle dollar: the plan meets the high load, at a 5% risk.
    assert!(best["at"].as_array().unwrap().iter().all(|a| a["meets"] == true), "{plan:#}");
    assert!((best["regret"]["risk"].as_f64().unwrap() - 0.05).abs() < 1e-9);
    let regrets: Vec<f64> =
        plan["best"].as_array().unwrap().iter().map(|b| b["regret"]["expected"].as_f64().unwrap()).collect();
    assert!(regrets.windows(2).all(|w| w[0] <= w[1]), "{regrets:?}");
    assert!(plan["best"].as_array().unwrap().len() >= 2, "the cheaper, riskier plans are ranked too");
}

#[test]
fn a_pool_behind_the_service_is_sized_by_simulation() {
    // Theory sees no queue at the pool (the app holds its thread across the
    // call: a layered queue, no closed form) and the utilisation law passes
    // every size, so theory alone would take one connection.
    let dir = scratch("plan-pool");
    std::fs::copy(root().join("models/pool-exhaustion.toml"), dir.join("model.toml")).unwrap();
    let exp = dir.join("plan.toml");
    std::fs::write(
        &exp,
        "[experiment]\nmodel = \"model.toml\"\nreplications = 3\nseed = 8\nset = { \"services.db.ops.query.demand\" = \"exp(12ms)\", \"simulation.duration\" = \"15s\", \"simulation.warmup\" = \"2s\" }\n\n[slo]\np99 = \"100ms\"\nerror_ratio = 0.001\n\n[search]\ntarget_load = \"800/s\"\n\n[search.vary]\n\"pools.db_conns.size\" = { from = 1, to = 8 }\n",
    )
    .unwrap();
    let plan = plan_json(&exp, &[]);
    let size = best_setting(&plan, "pools.db_conns.size");
    assert!(size > 1, "{plan:#}");
    assert_eq!(plan["pruned_by_theory"], 0);
    assert!(plan["best"][0]["at"][0]["decided"]["simulation"].is_object());
    let rejected = &plan["rejected"][0];
    assert!(rejected["at"][0]["decided"]["simulation"].is_object(), "{plan:#}");
    assert!(rejected["why_not"].as_str().unwrap().contains("at 800/s"), "{rejected}");
    // The exhaustive grid agrees.
    let grid = plan_json(&exp, &["--exhaustive"]);
    assert_eq!(best_setting(&grid, "pools.db_conns.size"), size);
}

#[test]
fn the_planner_matches_the_exhaustive_grid_with_ten_times_fewer_runs() {
    let dir = scratch("plan-grid");
    let text = read(&root().join("experiments"), "plan-api-tier.toml")
        .replace("../models/showdown.toml", &root().join("models/showdown.toml").display().to_string())
        .replace("best = 3", "best = 3\nbudget = 100000");
    let exp = dir.join("plan.toml");
    std::fs::write(&exp, text).unwrap();
    let plan = plan_json(&exp, &[]);
    let grid = plan_json(&exp, &["--exhaustive"]);
    let names = |p: &serde_json::Value| -> Vec<String> {
        p["best"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&plan), names(&grid));
    let (runs, grid_runs) = (plan["runs"].as_u64().unwrap(), grid["runs"].as_u64().unwrap());
    assert!(grid_runs >= 10 * runs, "planner {runs} runs, grid {grid_runs}");
    assert_eq!(plan["grid_runs"].as_u64().unwrap(), 160 * 2 * 3);
}

#[test]
fn the_same_seed_gives_the_same_plan_for_any_thread_count() {
    let dir = scratch("plan-threads");
    let exp = root().join("experiments/plan-api-tier.toml");
    for j in ["1", "2"] {
        ok(&run(&["plan", exp.to_str().unwrap(), "-q", "-j", j, "-o", dir.join(j).to_str().unwrap()]));
    }
    for file in ["plan.json", "candidates.csv"] {
        assert_eq!(read(&dir.join("1"), file), read(&dir.join("2"), file), "{file}");
    }
    let csv = read(&dir.join("1"), "candidates.csv");
    assert!(csv.starts_with("status,rank,candidate,services.api.instance_type,services.api.instances,"), "{csv}");
    assert!(dir.join("1/plan.png").exists() && dir.join("1/report.html").exists());
    assert!(read(&dir.join("1"), "report.html").contains("Planning: the cheapest configuration"));
}

fn refused(dir: &Path, search: &str) -> Output {
    let exp = random_split_experiment(dir, 0.5, "");
    let text = std::fs::read_to_string(&exp).unwrap();
    let text =
        text.replace("[search]\n\n\n[search.vary]\n\"services.app.instances\" = { from = 1, to = 20 }\n", search);
    std::fs::write(&exp, text).unwrap();
    run(&["plan", exp.to_str().unwrap(), "-q"])
}

#[test]
fn bad_searches_are_refused_with_their_place_and_a_way_out() {
    let dir = scratch("plan-bad");
    let out = refused(
        &dir,
        "[search]\ntarget_load = \"40/s\"\n[search.vary]\n\"services.app.instanses\" = { from = 1, to = 4 }\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("did you mean `services.app.instances`?") && e.contains("plan.toml:12"), "{e}");

    let out = refused(&dir, "[search]\ntarget_load = \"40/s\"\n[search.vary]\n\"services.app.threads\" = []\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the domain is empty"), "{}", stderr(&out));

    let out = refused(
        &dir,
        "[search]\ntarget_load = \"40/s\"\n[search.vary]\n\"services.app.instances\" = { from = 5, to = 2 }\n",
    );
    assert!(stderr(&out).contains("the domain is empty: from = 5 is above to = 2"), "{}", stderr(&out));

    // Too large for the budget: say so, and which bounds theory suggests.
    let out = refused(
        &dir,
        "[search]\ntarget_load = \"40/s\"\nbudget = 30\n[search.vary]\n\"services.app.instances\" = { from = 1, to = 20 }\n\"services.app.threads\" = [1, 2, 3, 4]\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("more than the budget of 30") && e.contains("from = 3 loses nothing"), "{e}");

    // Infeasible: the constraint no candidate meets, and the best miss; exit 1.
    let out = refused(
        &dir,
        "[search]\ntarget_load = \"40/s\"\n[search.vary]\n\"services.app.instances\" = { from = 1, to = 3 }\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("no candidate meets p99 <= 500 ms at 40/s") && e.contains("the best miss is 3 x app: "), "{e}");
}
