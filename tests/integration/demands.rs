//! `capsim demands`: the utilisation law inverted. Known demands come back
//! from synthetic windows inside their intervals as often as the intervals
//! promise, the model lines name the operations, and bad windows files are
//! refused with their line and column, nothing written.

use std::path::Path;

use capsim::calibrate::demands::{ServiceWindows, Windows, estimate};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::experiments::{run, scratch};

/// Windows of two classes whose mix varies, with busy cores measured with noise.
fn synthetic(seed: u64, windows: usize, demands: [f64; 2], noise_cores: f64) -> Windows {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let noise = Normal::new(0.0, noise_cores).unwrap();
    let rates: Vec<Vec<f64>> =
        (0..windows).map(|_| vec![rng.random_range(50.0..300.0), rng.random_range(5.0..60.0)]).collect();
    let busy = rates.iter().map(|r| r[0] * demands[0] + r[1] * demands[1] + noise.sample(&mut rng)).collect();
    Windows {
        file: "synthetic.csv".into(),
        classes: vec!["browse".into(), "checkout".into()],
        rates,
        services: vec![ServiceWindows { name: "api".into(), busy, cores: None }],
    }
}

#[test]
fn intervals_cover_the_true_demands_as_often_as_they_promise() {
    let truth = [0.015, 0.040];
    let reps = 400;
    let mut covered = [0usize; 2];
    for seed in 0..reps {
        let d = estimate(&synthetic(seed, 24, truth, 0.08), None).unwrap();
        for (k, c) in d.services[0].demands.iter().enumerate() {
            if c.ci95_low_s.unwrap() <= truth[k] && truth[k] <= c.ci95_high_s.unwrap() {
                covered[k] += 1;
            }
        }
    }
    // 95% of 400: a binomial sd of 11 runs; 0.92 to 0.98 is about +-2.7 sd.
    for (k, &n) in covered.iter().enumerate() {
        let share = n as f64 / reps as f64;
        assert!((0.92..=0.98).contains(&share), "class {k}: coverage {share}");
    }
}

#[test]
fn more_windows_narrow_the_interval_like_one_over_root_n() {
    // Averaged over 40 data sets: one set's width varies with its design and noise.
    let width = |n: usize| {
        (0..40)
            .map(|seed| {
                let d = estimate(&synthetic(seed, n, [0.015, 0.040], 0.08), None).unwrap();
                let c = &d.services[0].demands[0];
                c.ci95_high_s.unwrap() - c.ci95_low_s.unwrap()
            })
            .sum::<f64>()
    };
    // sqrt(16) = 4, times t(0.975, 23) / t(0.975, 398) = 1.05.
    let ratio = width(25) / width(400);
    assert!((3.7..4.7).contains(&ratio), "16x the windows should give about 4.2x narrower intervals, got {ratio}");
}

const MODEL: &str = r#"
[simulation]
duration = "60s"

[workload.browse]
target = "api.browse"
rate = "200/s"

[workload.checkout]
target = "api.checkout"
rate = "30/s"

[services.api]
instances = 2
threads = 16
cores = 4

[services.api.ops.browse]
demand = "exp(15ms)"
steps = [{ call = "db.query", count = 2 }]

[services.api.ops.checkout]
demand = "exp(40ms)"
steps = [{ call = "db.query" }]

[services.db]
threads = 32
cores = 16

[services.db.ops.query]
demand = "exp(2ms)"
"#;

/// A windows file from exact demands (api: 15 and 40 ms; db: 4 and 2 ms per request).
fn windows_file(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("time,rate:browse,rate:checkout,util:api,busy:db\n");
    for i in 0..12 {
        let (b, c) = (100.0 + 15.0 * i as f64, 10.0 + 7.0 * ((i * 5) % 12) as f64);
        let api = (b * 0.015 + c * 0.040) / 8.0;
        let db = b * 0.004 + c * 0.002;
        text.push_str(&format!("t{i},{b},{c},{:.4}%,{db:.6}\n", api * 100.0));
    }
    let path = dir.join("windows.csv");
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.join("shop.toml"), MODEL).unwrap();
    path
}

#[test]
fn with_the_model_the_unknowns_are_operations_per_visit() {
    let dir = scratch("demands-model");
    let windows = windows_file(&dir);
    let model = dir.join("shop.toml");
    let out = run(&["demands", windows.to_str().unwrap(), "--model", model.to_str().unwrap(), "-f", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = &doc["services"][0];
    assert_eq!(api["name"], "api");
    assert_eq!(api["cores"], 8.0, "2 instances x 4 cores, from the model");
    assert_eq!(api["per"], "visit", "with a model the unknowns are operations");
    assert_eq!(api["demands"][0]["name"], "api.browse");
    let browse = api["demands"][0]["demand_s"].as_f64().unwrap();
    assert!((browse - 0.015).abs() < 1e-5, "{browse}");
    let lines: Vec<&str> = doc["model_lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let at = lines.iter().position(|l| l.starts_with("[services.db.ops.query]")).expect("db line");
    // Browse visits db.query twice and checkout once: 2 ms per visit explains both.
    assert_eq!(lines[at + 1], "demand = \"exp(mean=2.00ms)\"", "{lines:#?}");
    // The pasted line is a valid distribution.
    let text = lines[at + 1].trim_start_matches("demand = ").trim_matches('"');
    assert!((capsim::dist::Dist::parse(text).unwrap().mean() - 0.002).abs() < 1e-9);
}

#[test]
fn bad_windows_are_refused_with_their_place_and_nothing_is_written() {
    let dir = scratch("demands-bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let out_file = dir.join("out.txt");
    let cases: Vec<(std::path::PathBuf, Vec<&str>, &str)> = vec![
        (write("short.csv", "rate:a,util:s\n1,0.1\n2\n"), vec!["--cores", "s=1"], "short.csv:3:"),
        (write("typo.csv", "rate:a,utl:s\n1,0.1\n"), vec![], "unknown column `utl:s`"),
        (
            write("text.csv", "rate:a,util:s\n1,0.1\nx,0.2\n"),
            vec!["--cores", "s=1"],
            "text.csv:3: `rate:a`: `x` is not a number",
        ),
        (write("few.csv", "rate:a,rate:b,util:s\n1,2,0.1\n2,1,0.1\n"), vec!["--cores", "s=1"], "underdetermined"),
        (
            write("pct.csv", "rate:a,util:s\n1,63\n2,70\n3,80\n"),
            vec!["--cores", "s=1"],
            "pct.csv:2: `util:s`: utilisation 63 is above 1",
        ),
        (write("nocores.csv", "rate:a,util:s\n1,0.1\n2,0.2\n"), vec![], "no cores for service `s`"),
        (
            write("neg.csv", "rate:a,busy:s\n1,0.1\n-2,0.2\n"),
            vec![],
            "neg.csv:3: `rate:a`: a throughput cannot be negative",
        ),
    ];
    for (file, extra, expected) in cases {
        let mut args = vec!["demands", file.to_str().unwrap(), "-o", out_file.to_str().unwrap()];
        args.extend(extra);
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        assert!(stderr.contains(expected), "{}: expected {expected:?} in {stderr}", file.display());
        assert!(!out_file.exists(), "nothing is written on failure");
    }
}

#[test]
fn the_calibration_example_recovers_its_reference_demands() {
    // examples/calibration/windows.csv was generated from reference.toml
    // (api.browse 15 ms, api.checkout 40 ms, db.query 2 ms, db.write 10 ms)
    // with monitoring noise.
    let out = run(&[
        "demands",
        "examples/calibration/windows.csv",
        "--model",
        "examples/calibration/reference.toml",
        "-f",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth = [("api.browse", 0.015), ("api.checkout", 0.040), ("db.query", 0.002), ("db.write", 0.010)];
    let all: Vec<&serde_json::Value> =
        doc["services"].as_array().unwrap().iter().flat_map(|s| s["demands"].as_array().unwrap()).collect();
    for (name, value) in truth {
        let d = all.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("{name} estimated"));
        let (lo, hi) = (d["ci95_low_s"].as_f64().unwrap(), d["ci95_high_s"].as_f64().unwrap());
        assert!(lo <= value && value <= hi, "{name}: {value} outside {lo}..{hi}");
        assert!(hi - lo < 0.35 * value, "{name}: interval {lo}..{hi} too wide to be useful");
    }
}
