//! One meaning of utilisation (#20): busy cores over the cores a service's
//! threads can use, `min(threads, cores)` per instance. A single-threaded
//! Redis on a 2-vCPU instance is measured against one core: the table, the
//! time series, theory and a sweep's bottleneck all say so, and the share
//! of the paid cores is reported apart.

use crate::experiments::{ok, read, run, scratch};
use crate::support::{assert_agrees, summary};

/// Requests per second offered to the api.
const RATE: f64 = 1700.0;
/// The api's CPU per request \[s\]: 4 instances x 4 cores.
const API_DEMAND: f64 = 0.0056;
/// Redis's CPU per request on the reference machine \[s\]; the m7i.large runs it 1.3x faster.
const REDIS_DEMAND: f64 = 0.00065;
const M7I_SPEED: f64 = 1.3;

/// An api with many threads and cores, each request calling a
/// single-threaded Redis on a 2-vCPU instance (`cores` unset: the
/// instance type's vCPUs; `speed` from the type).
fn redis_model(rate: f64, replications: u32, series: &str) -> String {
    format!(
        r#"
        [simulation]
        duration = "60s"
        warmup = "5s"
        replications = {replications}
        seed = 11
        {series}

        [workload.web]
        target = "api.get"
        rate = "{rate}/s"

        [services.api]
        instances = 4
        threads = 32
        cores = 4
        cost_per_hour = 0.192

        [services.api.ops.get]
        demand = "exp({api_ms}ms)"
        steps = [ {{ call = "redis.get" }} ]

        [services.redis]
        instance_type = "m7i.large"
        threads = 1

        [services.redis.ops.get]
        demand = "exp({redis_ms}ms)"
        "#,
        api_ms = API_DEMAND * 1e3,
        redis_ms = REDIS_DEMAND * 1e3,
    )
}

/// The utilisation law: lambda x visits x demand / (min(threads, cores) x instances).
fn law(rate: f64, visits: f64, demand: f64, threads: u32, cores: u32, instances: u32) -> f64 {
    rate * visits * demand / (f64::from(threads.min(cores)) * f64::from(instances))
}

#[test]
fn a_single_threaded_service_on_two_cores_is_busy_on_the_core_it_can_use() {
    let s = summary(&redis_model(RATE, 10, ""));
    let redis = s.services.iter().find(|v| v.name == "redis").expect("redis");
    assert_eq!((redis.threads, redis.cores), (1, 2), "the instance type's 2 vCPUs");
    let expected = law(RATE, 1.0, REDIS_DEMAND / M7I_SPEED, 1, 2, 1);
    assert!((expected - 0.85).abs() < 1e-12);
    assert_agrees("redis utilisation", &redis.utilisation, expected, 0.01);
    // Every core paid for: one instance of 2 cores, half of them usable.
    assert_agrees("redis paid-core utilisation", &redis.paid_core_utilisation, expected / 2.0, 0.01);
    let ratio = redis.utilisation.value / redis.paid_core_utilisation.value;
    assert!((ratio - 2.0).abs() < 1e-9, "usable over paid is cores over usable cores: {ratio}");

    // Threads no fewer than cores: the two shares are one.
    let api = s.services.iter().find(|v| v.name == "api").expect("api");
    assert_agrees("api utilisation", &api.utilisation, law(RATE, 1.0, API_DEMAND, 32, 4, 4), 0.01);
    assert_eq!(api.utilisation.value, api.paid_core_utilisation.value);

    // Theory's utilisation law is the same number, and names the same bottleneck.
    let net = capsim::model::from_str(&redis_model(RATE, 10, "")).unwrap();
    let theory = capsim::analysis::analyse(&net);
    assert!((theory.services[1].utilisation - expected).abs() < 1e-12, "{}", theory.services[1].utilisation);
    assert_eq!(theory.bottleneck.services[0].0, "redis");
    assert_eq!(capsim::stats::utilisation::busiest(&s.services).map(|v| v.name.as_str()), Some("redis"));
}

#[test]
fn a_single_thread_near_saturation_is_warned_about() {
    // 99.5% of its one usable core (49.8% of its two paid ones): saturated.
    let s = summary(&redis_model(1990.0, 4, ""));
    let w = s.warnings.iter().find(|w| w.contains("`redis`")).unwrap_or_else(|| panic!("{:?}", s.warnings));
    assert!(w.starts_with("service `redis` ran at 9") && w.contains("saturated"), "{w}");
}

#[test]
fn the_time_series_reads_the_tables_utilisation_interval_by_interval() {
    let dir = scratch("series-util");
    let model = dir.join("redis.toml");
    std::fs::write(&model, redis_model(RATE, 3, "series = \"1s\"")).unwrap();
    let csv = dir.join("series.csv");
    let out = run(&["run", model.to_str().unwrap(), "--format", "json", "--series", csv.to_str().unwrap()]);
    ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = read(&dir, "series.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect()).collect();
    // The rows after the 5 s warm-up cover the window exactly: with a fleet
    // that never changes, their mean is the table's value.
    let window: Vec<&Vec<f64>> = rows.iter().filter(|r| r[0] > 5.0).collect();
    assert_eq!(window.len(), 60);
    for (i, name) in ["api", "redis"].into_iter().enumerate() {
        let col = header.iter().position(|h| *h == format!("service.{name}.utilisation")).unwrap();
        let mean = window.iter().map(|r| r[col]).sum::<f64>() / window.len() as f64;
        let table = json["services"][i]["utilisation"]["value"].as_f64().unwrap();
        assert!((mean - table).abs() <= 1e-9 * table, "{name}: series {mean}, table {table}");
    }
    let paid = json["services"][1]["paid_core_utilisation"]["value"].as_f64().unwrap();
    let table = json["services"][1]["utilisation"]["value"].as_f64().unwrap();
    assert!((table / paid - 2.0).abs() < 1e-9, "redis: {table} of its usable core, {paid} of its paid ones");
}

#[test]
fn a_sweep_names_the_single_threaded_service_as_its_bottleneck_as_theory_does() {
    let dir = scratch("util-sweep");
    std::fs::write(dir.join("redis.toml"), redis_model(RATE, 2, "")).unwrap();
    let exp = dir.join("sweep.toml");
    std::fs::write(
        &exp,
        r#"
[experiment]
name = "redis-bottleneck"
question = "How far does one Redis thread carry the api?"
model = "redis.toml"
replications = 2
seed = 4
set = { "simulation.duration" = "20s", "simulation.warmup" = "2s" }

[[axes]]
path = "workload.web.rate"
values = ["800/s", "1400/s", "1950/s"]

[slo]
p99 = "100ms"
"#,
    )
    .unwrap();
    let out = dir.join("results");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()]));
    let results: serde_json::Value = serde_json::from_str(&read(&out, "results.json")).unwrap();
    let bottleneck = &results["capacity"]["designs"][0]["bottleneck"];
    assert_eq!(bottleneck[0], "redis", "{bottleneck}");
    // At the highest load within the SLO (1,400/s or above), redis is at
    // least 70% busy on its one usable core (the api 49%); it used to read 35%.
    let u = bottleneck[1].as_f64().unwrap();
    assert!(u > 0.6 && u < 1.0, "{bottleneck}");
    // The report's busiest service at every point is the same one.
    let html = read(&out, "report.html");
    let points = &html[html.find("id=\"points\"").expect("the points table")..];
    assert!(points.matches("<code>redis</code>").count() >= 3, "every point names redis");
    assert!(!points.contains("<code>api</code>"), "no point names the api");
    // summary.csv keeps both shares.
    let summary_csv = read(&out, "summary.csv");
    assert!(summary_csv.lines().next().unwrap().contains("service.redis.paid_core_utilisation"));

    let theory = run(&["theory", dir.join("redis.toml").to_str().unwrap()]);
    ok(&theory);
    let text = String::from_utf8_lossy(&theory.stdout);
    assert!(text.contains("`redis` saturates first"), "{text}");
}
