//! `capsim compare`: the paired interval of a difference covers the true
//! difference at its stated rate (an M/M/1 queue at two service rates,
//! whose mean responses are known in closed form), common random numbers
//! make that interval several times narrower than independent runs would,
//! and the command prints, writes and refuses as documented.

use std::sync::atomic::AtomicBool;

use capsim::compare::{self, DetectRules, Kind, Row};
use capsim::experiment::execute::simulate_networks;
use capsim::model::{self, Network};
use capsim::stats::RunMetrics;

use crate::experiments::{ok, run, scratch};

/// An M/M/1 queue at `rate` per second with mean service `service_s`.
fn mm1(rate: f64, service_s: f64, seed: u64, replications: u32, duration: &str) -> Network {
    model::from_str(&format!(
        r#"
[simulation]
duration = "{duration}"
warmup = "400s"
replications = {replications}
seed = {seed}

[workload.main]
target = "server.handle"
rate = "{rate}/s"

[services.server]
threads = 1

[services.server.ops.handle]
demand = "exp({service_s}s)"
"#
    ))
    .expect("the M/M/1 model compiles")
}

fn runs(nets: &[Network]) -> Vec<Vec<RunMetrics>> {
    simulate_networks(nets, &|i| format!("network {i}"), &|| {}, &AtomicBool::new(false)).expect("every run finishes")
}

fn mean_row(rows: &[Row]) -> &Row {
    rows.iter().find(|r| r.metric.kind == Kind::Mean).expect("a mean latency row")
}

/// Mean response of M/M/1: S / (1 - rate S).
fn response(rate: f64, s: f64) -> f64 {
    s / (1.0 - rate * s)
}

#[test]
fn the_interval_of_a_difference_covers_the_known_difference_at_its_stated_rate() {
    // 300 independent comparisons (seeds) of 5 paired replications each:
    // W = 2 s at S = 1 s against W = 1.333 s at S = 0.8 s (rate 0.5/s).
    let (rate, s1, s2) = (0.5, 1.0, 0.8);
    let truth = response(rate, s2) - response(rate, s1);
    let trials = 300u32;
    let mut covered = 0u32;
    for seed in 0..trials {
        let nets = [mm1(rate, s1, u64::from(seed), 5, "4000s"), mm1(rate, s2, u64::from(seed), 5, "4000s")];
        let r = runs(&nets);
        let rows = compare::rows(&nets[0], &r[0], &r[1], &DetectRules::default());
        let d = &mean_row(&rows).paired.difference;
        if (d.value - truth).abs() <= d.ci95.expect("five pairs give an interval") {
            covered += 1;
        }
    }
    // Covered ~ Binomial(300, 0.95): mean 285, sd 3.8. Three sd either side:
    // a too narrow interval (or a biased difference) covers less, a
    // too wide one more.
    let (mean, sd) = (f64::from(trials) * 0.95, (f64::from(trials) * 0.95 * 0.05).sqrt());
    let c = f64::from(covered);
    eprintln!("coverage: {covered} of {trials}");
    assert!(
        (c - mean).abs() <= 3.0 * sd,
        "the 95% interval covered the true difference {truth:.4} s in {covered} of {trials} comparisons (expected {mean} ± {:.1})",
        3.0 * sd
    );
}

#[test]
fn common_random_numbers_make_the_interval_several_times_narrower() {
    // The same 10 replications of the variant, once with the baseline's seed
    // (paired: replication r of both sees the same arrivals and the same
    // service draws, scaled) and once with another seed (independent runs,
    // compared with the unpaired interval). Both intervals use the same
    // replications, so the ratio of their half-widths is the ratio of the
    // standard errors: sqrt(var(B) + var(V)) over sd(V - B) / ... With both
    // queues driven by the same draws their responses move together
    // (correlation near 1), so var(V - B) = var(B) + var(V) - 2 cov(B, V)
    // is a small part of var(B) + var(V): the interval should be several
    // times narrower. Pooled over 10 seeds so one unlucky seed cannot decide.
    let (rate, s1, s2, n) = (0.5, 1.0, 0.9, 10u32);
    let (mut paired_var, mut independent_var) = (0.0, 0.0);
    for seed in 0..10u64 {
        let nets =
            [mm1(rate, s1, seed, n, "2000s"), mm1(rate, s2, seed, n, "2000s"), mm1(rate, s2, seed + 1000, n, "2000s")];
        let r = runs(&nets);
        let mean = |runs: &[RunMetrics]| runs.iter().map(|m| m.classes[0].latency_mean_s).collect::<Vec<f64>>();
        let (b, v, w) = (mean(&r[0]), mean(&r[1]), mean(&r[2]));
        let var = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
        };
        let diffs: Vec<f64> = b.iter().zip(&v).map(|(b, v)| v - b).collect();
        paired_var += var(&diffs);
        independent_var += var(&b) + var(&w);
        // The command's own interval is the paired one.
        let rows = compare::rows(&nets[0], &r[0], &r[1], &DetectRules::default());
        let h = mean_row(&rows).paired.difference.ci95.unwrap();
        let t = capsim::stats::student_t_quantile(0.975, (n - 1) as usize);
        assert!((h - t * (var(&diffs) / f64::from(n)).sqrt()).abs() < 1e-9 * h.max(1.0));
    }
    let ratio = (independent_var / paired_var).sqrt();
    eprintln!("common random numbers: the interval of the difference is {ratio:.1} times narrower");
    assert!(ratio > 3.0, "common random numbers narrowed the interval of the difference only {ratio:.2} times");
}

#[test]
fn compare_prints_writes_and_refuses_as_documented() {
    let dir = scratch("compare-cli");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/mm1.toml");
    let csv = dir.join("cmp.csv");
    let out = run(&[
        "compare",
        model,
        "--set",
        "workload.main.rate=0.5/s",
        "--variant",
        "faster: services.server.ops.handle.demand=exp(0.8s)",
        "--variant",
        "services.server.ops.handle.demand=exp(0.999s)",
        "-r",
        "4",
        "--duration",
        "2000s",
        "-q",
        "--detect",
        "mean=0.01ms",
        "-f",
        "csv",
        "-o",
        csv.to_str().unwrap(),
    ]);
    ok(&out);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("variant,metric,of,baseline,"));
    let mean = text.lines().find(|l| l.starts_with("faster,mean,main,")).expect("a row per variant and metric");
    assert!(mean.contains(",true,"), "{mean}");
    // To detect 0.01 ms in a mean of about 2 s takes far more than the 4
    // replications run.
    let field = |line: &str, i: usize| line.split(',').nth(i).unwrap().to_string();
    let tiny = text.lines().find(|l| l.starts_with("services.server.ops.handle.demand=exp(0.999s),mean,")).unwrap();
    assert_eq!(field(tiny, 13), "0.00001", "{tiny}");
    assert!(field(tiny, 14).parse::<u32>().unwrap() > 4, "{tiny}");

    let table =
        run(&["compare", model, "--variant", "services.server.threads=2", "-r", "3", "--duration", "500s", "-q"]);
    ok(&table);
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("difference (95% CI)") && stdout.contains("mean main"), "{stdout}");

    for (args, says) in [
        (vec!["--variant", "services.server.threads"], "path=value"),
        (vec!["--variant", "simulation.seed=3"], "common random numbers"),
        (vec!["--variant", "services.nope.threads=2"], "in variant"),
        (vec!["--variant", "services.server.threads=2", "--detect", "lots"], "--detect"),
    ] {
        let mut all = vec!["compare", model];
        all.extend(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
