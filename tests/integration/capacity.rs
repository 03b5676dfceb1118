//! Capacity answers as `capsim sweep` gives them: the max load as a range
//! that holds the exact value of an M/M/1 queue, the bisection's runs in
//! runs.csv and in the run counts, ties on price named, and one answer per
//! target load.

use std::path::Path;

use super::experiments::{capsim, ok, read, run, scratch, small_experiment};

fn json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(dir, "results.json")).unwrap()
}

/// An M/M/1 queue (1 s mean service) swept over four loads, refined by
/// four bisection steps, under a one-statistic SLO.
fn mm1_experiment(dir: &Path, seed: u32, slo: &str) -> std::path::PathBuf {
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mm1.toml"), dir.join("mm1.toml")).unwrap();
    let path = dir.join(format!("mm1-{seed}.toml"));
    let text = format!(
        r#"
[experiment]
model = "mm1.toml"
replications = 5
seed = {seed}
set = {{ "simulation.duration" = "1000s", "simulation.warmup" = "200s" }}

[[axes]]
path = "workload.main.rate"
values = ["0.5/s", "0.7/s", "0.9/s", "1.1/s"]

[slo]
{slo}

[capacity]
bisect = 4
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_max_load_range_holds_the_exact_capacity_of_an_mm1_queue() {
    // With a 1 s mean service time the response time is exponential with
    // rate 1 - lambda: its mean is 1 / (1 - lambda) and its p99 ln(100) / (1 - lambda).
    // Both SLOs below are met exactly up to lambda = 5/6.
    let truth = 5.0 / 6.0;
    let p99_limit = 100f64.ln() * 6.0;
    let dir = scratch("mm1-range");
    let mut estimates_alone_missed = 0;
    for slo in ["mean = \"6s\"".to_string(), format!("p99 = \"{p99_limit:.4}s\"")] {
        for seed in 1..=10 {
            let exp = mm1_experiment(&dir, seed, &slo);
            let out = dir.join(format!("out-{seed}"));
            ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "--no-charts", "--force", "-o", out.to_str().unwrap()]));
            let d = &json(&out)["capacity"]["designs"][0];
            let at = |key: &str| d[key].as_f64().unwrap_or_else(|| panic!("{slo}, seed {seed}: no {key} in {d}"));
            let (low, high, estimate, fails_at) =
                (at("max_load_low"), at("max_load_high"), at("max_load"), at("fails_at"));
            assert!(low <= truth && truth <= high, "{slo}, seed {seed}: {low}-{high} misses {truth}");
            assert!(low <= estimate && estimate < fails_at && fails_at <= high, "{slo}, seed {seed}: {d}");
            // Bisection narrowed the grid's range (0.5 to 1.1 at its widest).
            assert!(high - low <= 0.3 + 1e-9, "{slo}, seed {seed}: {low}-{high}");
            if !(estimate <= truth && truth <= fails_at) {
                estimates_alone_missed += 1;
            }
        }
    }
    // What the range is for: from the point estimates alone ([max_load,
    // fails_at]), some of these runs would have placed the capacity wrongly.
    assert!(estimates_alone_missed > 0, "every run's point estimates bracket the truth: the test lost its edge");
}

#[test]
fn bisection_runs_are_in_runs_csv_flagged_and_counted() {
    let dir = scratch("bisection-rows");
    let exp = small_experiment(&dir, "[capacity]\nbisect = 2\n");
    let out = dir.join("results");
    let o = run(&["sweep", exp.to_str().unwrap(), "--no-charts", "-o", out.to_str().unwrap()]);
    ok(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Two designs may each need 2 steps x 3 replications; only `eight` has
    // a range to narrow (twelve meets the SLO everywhere).
    assert!(stderr.contains("= 18 runs, then up to 12 bisection runs"), "{stderr}");
    assert!(stderr.contains("24 runs (18 on the grid, 6 bisection) in"), "{stderr}");
    let results = json(&out);
    assert_eq!(results["experiment"]["runs_total"], 18);
    assert_eq!(results["experiment"]["bisection_runs"], 6);

    let runs = read(&out, "runs.csv");
    let mut rows = csv::Reader::from_reader(runs.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (index, design, rate, step) = (col("run"), col("design"), col("workload.main.rate"), col("bisection_step"));
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 18 + 6);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[index].parse::<usize>().unwrap(), i, "runs are numbered in order, bisection after the grid");
        if i < 18 {
            assert_eq!(&row[step], "", "grid run {i} is not flagged");
            continue;
        }
        assert_eq!(&row[design], "eight");
        assert_eq!(row[step].parse::<u32>().unwrap(), if i < 21 { 1 } else { 2 });
        let load: f64 = row[rate].trim_end_matches("/s").parse().unwrap();
        assert!(70.0 < load && load < 120.0, "bisection run {i} at {load}/s, outside the range it narrows");
    }
}

/// The small experiment with prices: `eight`, `twelve` and `twelve-near`
/// cost the same to the cent, `twelve-dear` a cent more.
fn priced(dir: &Path, capacity: &str) -> std::path::PathBuf {
    small_experiment(
        dir,
        &format!(
            r#"
[designs.twelve-near]
set = {{ "services.app.threads" = 12, "services.app.cost_per_hour" = 1.004 }}

[designs.twelve-dear]
set = {{ "services.app.threads" = 12, "services.app.cost_per_hour" = 1.006 }}

{capacity}
"#
        ),
    )
}

#[test]
fn a_tie_on_price_is_named_with_its_tie_break() {
    let dir = scratch("tie");
    let exp = priced(&dir, "[capacity]\ntarget_load = \"70/s\"\n");
    let out = dir.join("results");
    let o = run(&[
        "sweep",
        exp.to_str().unwrap(),
        "-q",
        "--set",
        "services.app.cost_per_hour=1",
        "-o",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Common random numbers: the twelves' p99s are equal, and lower than eight's.
    let sentence = "At 70 req/s, eight, twelve and twelve-near tie as the cheapest designs that meet the SLO ($1.00 per hour); of them, twelve has the lowest p99 (";
    assert!(stdout.contains(sentence), "{stdout}");
    let capacity = &json(&out)["capacity"];
    assert_eq!(capacity["targets"][0]["cheapest"], serde_json::json!(["eight", "twelve", "twelve-near"]));
    assert_eq!(capacity["targets"][0]["lowest_latency"], "twelve");
    assert_eq!(capacity["cheapest_at_target"], "twelve");
    let html = read(&out, "report.html");
    assert!(html.contains("<strong>eight</strong>, <strong>twelve</strong> and <strong>twelve-near</strong> tie as the cheapest designs that meet the SLO there ($1.00 per hour); of them, <strong>twelve</strong> has the lowest p99"), "the report names the tie");

    // Half a cent apart is a tie (twelve-near); a cent apart is not (twelve-dear).
    let o = run(&[
        "sweep",
        exp.to_str().unwrap(),
        "-q",
        "--no-charts",
        "--force",
        "--set",
        "services.app.cost_per_hour=1.2",
        "-o",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let sentence = "At 70 req/s, the cheapest design that meets the SLO is twelve-near ($1.00 per hour, p99 ";
    assert!(stdout.contains(sentence), "{stdout}");
    assert_eq!(json(&out)["capacity"]["targets"][0]["cheapest"], serde_json::json!(["twelve-near"]));
}

#[test]
fn each_target_load_gets_its_answer_and_its_charts() {
    let dir = scratch("targets");
    // 100/s is not on the grid: it is simulated too.
    let exp = priced(&dir, "[capacity]\ntarget_load = [\"70/s\", \"40/s\", \"100/s\"]\n");
    let out = dir.join("results");
    let o = capsim()
        .args(["sweep", exp.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()])
        .args(["--set", "services.app.cost_per_hour=1"])
        .output()
        .unwrap();
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    for load in ["70", "40", "100"] {
        assert_eq!(stdout.matches(&format!("- At {load} req/s, ")).count(), 1, "{stdout}");
    }
    // Eight threads hold 100/s only at rho = 1: the twelves are the answer there.
    assert!(stdout.contains("At 100 req/s, twelve and twelve-near tie as the cheapest"), "{stdout}");
    let results = json(&out);
    let capacity = &results["capacity"];
    let loads: Vec<f64> = capacity["targets"].as_array().unwrap().iter().map(|t| t["load"].as_f64().unwrap()).collect();
    assert_eq!(loads, [70.0, 40.0, 100.0]);
    assert_eq!(capacity["target_load"], 70.0);
    assert_eq!(results["experiment"]["axes"][0]["values"], serde_json::json!(["40/s", "70/s", "100/s", "120/s"]));
    for load in ["70", "40", "100"] {
        for chart in ["cost-vs-latency", "latency-percentiles", "utilisation", "latency-breakdown"] {
            let path = out.join("charts").join(format!("{chart}-at-{load}.svg"));
            let svg = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(svg.contains(&format!("at {load} requests/s (the target load)")), "{}", path.display());
        }
    }
    assert!(
        !out.join("charts/cost-vs-latency.svg").exists(),
        "with several targets every comparison chart names its load"
    );
    let html = read(&out, "report.html");
    for load in ["70", "40", "100"] {
        assert!(html.contains(&format!("<p>Target load: {load} requests/s; ")), "the report answers at {load}/s");
    }
}

#[test]
fn results_written_before_ranges_are_reported_with_the_range_of_their_estimates() {
    let dir = scratch("old-results");
    let exp = small_experiment(&dir, "");
    let out = dir.join("results");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "--no-charts", "-o", out.to_str().unwrap()]));
    let mut results = json(&out);
    for d in results["capacity"]["designs"].as_array_mut().unwrap() {
        let d = d.as_object_mut().unwrap();
        d.remove("max_load_low");
        d.remove("max_load_high");
        // Before ranges, eight's answer was "up to 70, fails at 120".
        if d["design"] == "eight" {
            assert_eq!((d["max_load"].as_f64(), d["fails_at"].as_f64()), (Some(70.0), Some(120.0)));
        }
    }
    std::fs::write(out.join("results.json"), serde_json::to_string(&results).unwrap()).unwrap();
    ok(&run(&["report", out.to_str().unwrap()]));
    let html = read(&out, "report.html");
    assert!(html.contains("<td class=\"num\">70–120 requests/s</td>"), "eight's range is its estimates'");
    assert!(html.contains("≥ 120 requests/s (every load tried)"), "twelve met the SLO everywhere");
    assert!(!html.contains("undecided"));
}
