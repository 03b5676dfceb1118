//! `capsim fit`: fits recover known distributions from seeded samples,
//! percentiles and Prometheus buckets, choose the right family where the
//! sample size makes it identifiable, paste lines that parse back to the
//! fitted mean and cv, and refuse bad input with a located error, exit 2
//! and nothing written.

use std::path::PathBuf;
use std::process::{Command, Output};

use capsim::calibrate::fit::{self, Family, Sample};
use capsim::dist::Dist;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::Value;

fn capsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capsim")).args(args).output().expect("the binary runs")
}

fn dir(test: &str) -> PathBuf {
    let d =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-fitting-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn draw(spec: &str, n: usize, seed: u64) -> Vec<f64> {
    let d = Dist::parse(spec).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| d.sample(&mut rng)).collect()
}

fn fit_of(spec: &str, n: usize, seed: u64) -> fit::Fit {
    fit::fit_samples(spec.to_string(), Sample::new(draw(spec, n, seed)), &Family::ALL)
}

fn candidate(f: &fit::Fit, family: Family) -> &fit::Candidate {
    f.candidates.iter().find(|c| c.family == family).unwrap()
}

/// Each parameter of the chosen candidate within 4 of its standard errors of the truth.
fn within_se(c: &fit::Candidate, truth: &[(&str, f64)]) {
    for (name, t) in truth {
        let p = c.parameters.iter().find(|p| p.name == *name).unwrap();
        let se = p.se.unwrap_or_else(|| panic!("{:?}: no standard error for {name}", c.family));
        assert!((p.value - t).abs() <= 4.0 * se, "{:?}: {name} = {} ± {se}, truth {t}", c.family, p.value);
        assert!(se < 0.05 * t, "{:?}: {name} has a large standard error {se}", c.family);
    }
}

#[test]
fn lognormal_and_gamma_are_told_apart_at_n_20000() {
    let ln = fit_of("lognormal(median=12ms, p99=80ms)", 20_000, 1);
    assert_eq!(ln.chosen, Some(Family::Lognormal));
    let sigma = (80f64 / 12.0).ln() / 2.326_347_874_040_840_8;
    within_se(candidate(&ln, Family::Lognormal), &[("median", 0.012), ("sigma", sigma)]);
    let g = fit_of("gamma(shape=2.5, scale=6ms)", 20_000, 2);
    assert_eq!(g.chosen, Some(Family::Gamma));
    within_se(candidate(&g, Family::Gamma), &[("shape", 2.5), ("scale", 0.006)]);
    // The wrong family is far behind, not a coin toss.
    let aic = |f: &fit::Fit, fam| candidate(f, fam).aic.unwrap();
    assert!(aic(&ln, Family::Gamma) - aic(&ln, Family::Lognormal) > 20.0);
    assert!(aic(&g, Family::Lognormal) - aic(&g, Family::Gamma) > 20.0);
}

#[test]
fn exponential_and_hyperexponential_are_told_apart() {
    let e = fit_of("exp(10ms)", 20_000, 3);
    assert_eq!(e.chosen, Some(Family::Exponential));
    within_se(candidate(&e, Family::Exponential), &[("mean", 0.01)]);
    let h = fit_of("hyperexp(p=0.9, mean1=2ms, mean2=50ms)", 20_000, 4);
    assert_eq!(h.chosen, Some(Family::Hyperexp));
    within_se(candidate(&h, Family::Hyperexp), &[("p", 0.9), ("mean1", 0.002), ("mean2", 0.05)]);
    // The chosen paste line is the hyperexponential's.
    assert!(h.paste.as_deref().unwrap().starts_with("demand = \"hyperexp(p="), "{:?}", h.paste);
}

#[test]
fn weibull_erlang_and_pareto_samples_are_recognised() {
    let w = fit_of("weibull(shape=0.8, scale=5ms)", 20_000, 5);
    assert_eq!(w.chosen, Some(Family::Weibull));
    within_se(candidate(&w, Family::Weibull), &[("shape", 0.8), ("scale", 0.005)]);
    let p = fit_of("pareto(alpha=2.5, min=1ms)", 20_000, 6);
    assert_eq!(p.chosen, Some(Family::Pareto));
    within_se(candidate(&p, Family::Pareto), &[("alpha", 2.5), ("min", 0.001)]);
    let e = fit_of("erlang(k=4, mean=20ms)", 20_000, 7);
    let c = candidate(&e, Family::Erlang);
    assert_eq!(c.parameters[0].value, 4.0);
    within_se(c, &[("mean", 0.02)]);
}

#[test]
fn every_paste_line_parses_back_to_the_fitted_mean_and_cv() {
    let d = dir("paste");
    let file = d.join("pareto.txt");
    let lines: Vec<String> =
        draw("pareto(alpha=2.5, min=1ms)", 5000, 8).iter().map(|x| format!("{}us", x * 1e6)).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = capsim(&["fit", "--samples", file.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let candidates = doc["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), Family::ALL.len());
    for c in candidates {
        let line = c["paste"].as_str().unwrap_or_else(|| panic!("{} has no paste line: {}", c["family"], c["note"]));
        let dist = Dist::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let (mean, cv) = (c["mean"].as_f64().unwrap(), c["cv"].as_f64().unwrap());
        assert!((dist.mean() / mean - 1.0).abs() < 1e-4, "{line}: mean {} vs fitted {mean}", dist.mean());
        assert!((dist.cv() / cv - 1.0).abs() < 1e-4, "{line}: cv {} vs fitted {cv}", dist.cv());
    }
    assert_eq!(doc["chosen"], "pareto");
    assert_eq!(doc["criterion"], "aic");
    assert_eq!(doc["n"], 5000);
    let pasted = doc["paste"].as_str().unwrap();
    assert!(pasted.starts_with("demand = \"pareto(alpha="), "{pasted}");
    let se = &candidates[1]["parameters"][1]["se"];
    assert!(se.as_f64().is_some_and(|v| v > 0.0), "lognormal sigma has a standard error: {se}");
}

#[test]
fn a_percentile_fit_reproduces_a_lognormals_percentiles_within_1_percent() {
    let truth = Dist::parse("lognormal(mean=15ms, cv=1.2)").unwrap();
    // Exact percentiles of the log-normal: exp(mu + sigma z).
    let s2 = (1.0f64 + 1.44).ln();
    let (mu, sigma) = ((0.015f64).ln() - s2 / 2.0, s2.sqrt());
    let z = [(50.0, 0.0), (90.0, 1.281_551_565_545), (99.0, 2.326_347_874_041), (99.9, 3.090_232_306_168)];
    let mut spec = format!("mean={}ms", truth.mean() * 1e3);
    for (p, z) in z {
        spec.push_str(&format!(",p{p}={:.6}ms", (mu + sigma * z).exp() * 1e3));
    }
    let out = capsim(&["fit", "--percentiles", &spec, "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["chosen"], "lognormal");
    assert_eq!(doc["criterion"], "quantile_loss");
    let ln = doc["candidates"].as_array().unwrap().iter().find(|c| c["family"] == "lognormal").unwrap();
    assert!(ln["max_percentile_error"].as_f64().unwrap() < 0.01, "{}", ln["max_percentile_error"]);
    assert!((ln["mean"].as_f64().unwrap() / 0.015 - 1.0).abs() < 0.01);
    assert!((ln["cv"].as_f64().unwrap() / 1.2 - 1.0).abs() < 0.01);
    // The other families cannot match all five statistics.
    let gamma = doc["candidates"].as_array().unwrap().iter().find(|c| c["family"] == "gamma").unwrap();
    assert!(gamma["max_percentile_error"].as_f64().unwrap() > 0.05);
}

/// Prometheus's default buckets (client_golang's DefBuckets).
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

fn exposition(spec: &str, n: usize, seed: u64, metric: &str, labels: &str) -> String {
    let xs = draw(spec, n, seed);
    let mut text = format!("# HELP {metric} Request latency.\n# TYPE {metric} histogram\n");
    for b in BUCKETS {
        let c = xs.iter().filter(|&&x| x <= b).count();
        text.push_str(&format!("{metric}_bucket{{{labels},le=\"{b}\"}} {c}\n"));
    }
    text.push_str(&format!("{metric}_bucket{{{labels},le=\"+Inf\"}} {n}\n"));
    text.push_str(&format!("{metric}_sum{{{labels}}} {}\n", xs.iter().sum::<f64>()));
    text.push_str(&format!("{metric}_count{{{labels}}} {n}\n"));
    text
}

#[test]
fn bucket_fits_recover_a_known_distribution() {
    let d = dir("buckets");
    let file = d.join("metrics.prom");
    let mut text = exposition("gamma(shape=2.5, scale=20ms)", 50_000, 9, "rpc_seconds", "job=\"api\",code=\"200\"");
    text.push_str(&exposition("exp(300ms)", 1000, 10, "rpc_seconds", "job=\"batch\",code=\"200\""));
    std::fs::write(&file, text).unwrap();
    let chart = d.join("fit.svg");
    let out = capsim(&[
        "fit",
        "--prometheus",
        file.to_str().unwrap(),
        "--metric",
        "rpc_seconds",
        "--label",
        "job=api",
        "--format",
        "json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["chosen"], "gamma");
    assert_eq!(doc["criterion"], "censored_aic");
    assert_eq!(doc["n"], 50_000);
    let g = doc["candidates"].as_array().unwrap().iter().find(|c| c["family"] == "gamma").unwrap();
    for (i, truth) in [2.5, 0.02].into_iter().enumerate() {
        let p = &g["parameters"][i];
        let (v, se) = (p["value"].as_f64().unwrap(), p["se"].as_f64().unwrap());
        assert!((v - truth).abs() <= 4.0 * se && se < 0.05 * truth, "{}: {v} ± {se} vs {truth}", p["name"]);
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.contains("<svg") && svg.contains("gamma (chosen)"), "the chart names the chosen family");
}

#[test]
fn the_table_says_what_chose_and_the_chart_is_drawn_as_png() {
    let d = dir("table");
    let file = d.join("ms.csv");
    let mut text = String::from("id,latency_ms\n");
    for (i, x) in draw("gamma(mean=10ms, cv=0.5)", 2000, 11).iter().enumerate() {
        text.push_str(&format!("{i},{}\n", x * 1e3));
    }
    std::fs::write(&file, text).unwrap();
    let (png, out_file) = (d.join("fit.png"), d.join("fit.txt"));
    let out = capsim(&[
        "fit",
        "--samples",
        file.to_str().unwrap(),
        "--column",
        "latency_ms",
        "--unit",
        "ms",
        "--family",
        "gamma,lognormal",
        "--family",
        "exp",
        "--chart",
        png.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "-o writes the file, not standard output");
    let table = std::fs::read_to_string(&out_file).unwrap();
    assert!(table.contains("the lowest AIC"), "{table}");
    assert!(table.contains("gamma *"), "{table}");
    assert!(!table.contains("weibull"), "--family restricts the candidates: {table}");
    assert!(table.contains("demand = \"gamma(mean="), "{table}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
}

/// Runs `capsim fit ARGS --chart C -o O`; expects exit 2, stderr containing
/// every `needle`, and neither file written.
fn refused(test: &str, args: &[&str], needles: &[&str]) {
    let d = dir(test);
    let (chart, out_file) = (d.join("chart.png"), d.join("out.txt"));
    let mut all: Vec<&str> = vec!["fit"];
    all.extend(args);
    all.extend(["--chart", chart.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    let out = capsim(&all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{test}: {err}");
    for n in needles {
        assert!(err.contains(n), "{test}: `{n}` not in: {err}");
    }
    assert!(!chart.exists() && !out_file.exists(), "{test}: a file was written");
}

fn write(test: &str, name: &str, text: &str) -> String {
    let path = dir(test).join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn many(unit: &str) -> String {
    (1..=20).map(|i| format!("{i}{unit}\n")).collect()
}

#[test]
fn bad_samples_are_refused_with_their_line() {
    let f = write("malformed", "d.txt", &format!("{}12ms\nfast\n", many("ms")));
    refused("malformed", &["--samples", &f], &["d.txt:22: ", "`fast` is not a duration"]);
    let f = write("negative", "d.txt", &format!("{}-3ms\n", many("ms")));
    refused("negative", &["--samples", &f], &["d.txt:21: ", "must be positive"]);
    let f = write("zero", "d.txt", &format!("0ms\n{}", many("ms")));
    refused("zero", &["--samples", &f], &["d.txt:1: ", "must be positive"]);
    let f = write("unitless", "d.txt", &many(""));
    refused("unitless", &["--samples", &f], &["d.txt:1: ", "--unit ms"]);
    let f = write("column", "d.csv", "id,ms\n1,3\n2,4\n");
    refused(
        "column",
        &["--samples", &f, "--column", "latency"],
        &["d.csv:1: ", "`--column`", "no column `latency`", "id, ms"],
    );
    let f = write(
        "csvrow",
        "d.csv",
        &format!("id,ms\n{}5,x\n", (1..=20).map(|i| format!("{i},{i}\n")).collect::<String>()),
    );
    refused("csvrow", &["--samples", &f, "--column", "ms", "--unit", "ms"], &["d.csv:22: ", "`ms`"]);
    let f = write("few", "d.txt", "1ms\n2ms\n3ms\n");
    refused("few", &["--samples", &f], &["d.txt: ", "too few"]);
    let f = write("family", "d.txt", &many("ms"));
    refused("family", &["--samples", &f, "--family", "cauchy"], &["`--family`", "unknown family `cauchy`"]);
}

#[test]
fn bad_percentiles_are_refused_by_key() {
    refused("increasing", &["--percentiles", "p50=12ms,p90=30ms,p99=25ms"], &["`p99`", "must increase"]);
    refused("key", &["--percentiles", "p50=12ms,max=1s"], &["`max`", "unknown statistic"]);
    refused("unit", &["--percentiles", "p50=12,p90=30"], &["`p50`", "no unit"]);
}

#[test]
fn bad_histograms_are_refused_with_their_line() {
    let good = exposition("exp(50ms)", 1000, 12, "rpc_seconds", "job=\"api\"");
    let f = write("metric", "m.prom", &good);
    refused(
        "metric",
        &["--prometheus", &f, "--metric", "http_seconds"],
        &["m.prom: ", "no histogram `http_seconds`", "rpc_seconds"],
    );
    refused(
        "label",
        &["--prometheus", &f, "--metric", "rpc_seconds", "--label", "job=web"],
        &["no series", "job=\"api\""],
    );
    // The le="0.1" bucket (line 7) made smaller than le="0.05".
    let lines: Vec<&str> = good.lines().collect();
    let count: u64 = lines[5].rsplit(' ').next().unwrap().parse().unwrap();
    let broken =
        good.replace(lines[6], &lines[6].replace(lines[6].rsplit(' ').next().unwrap(), &(count - 1).to_string()));
    let f = write("cumulative", "m.prom", &broken);
    refused("cumulative", &["--prometheus", &f, "--metric", "rpc_seconds"], &["m.prom:7: ", "must be cumulative"]);
}
