//! Percentile estimates against M/M/1's exact response-time distribution
//! (Exp(mu - lambda), so the p99 is ln(100) / (mu - lambda)): the pooled
//! p99's 95% interval covers the truth in about 95% of repetitions at the
//! shipped run length, or else the tail warning fires. Seeds are fixed, so
//! the figures are deterministic; see docs/output.md for the method.

use crate::support::simulate;

/// M/M/1 with a 1 s mean service time at `rate`, as models/mm1.toml runs it.
fn mm1(rate: f64, replications: u32, seed: u64) -> String {
    format!(
        "[simulation]\nduration = \"20000s\"\nwarmup = \"1000s\"\nreplications = {replications}\nseed = {seed}\n\
         [workload.main]\ntarget = \"server.handle\"\nrate = \"{rate}/s\"\n\
         [services.server]\nthreads = 1\n[services.server.ops.handle]\ndemand = \"exp(1s)\"\n"
    )
}

/// Over `repetitions` seeds: the share of p99 intervals covering the exact
/// p99, and the share of runs that warned the p99 is rough.
fn coverage(rate: f64, replications: u32, repetitions: u64) -> (f64, f64) {
    let exact = 100f64.ln() / (1.0 - rate);
    let (mut covered, mut warned) = (0, 0);
    for seed in 1..=repetitions {
        let s = simulate(&mm1(rate, replications, seed)).summary;
        let p99 = &s.classes[0].latency_s.p99;
        assert!(p99.is_asymmetric(), "a pooled percentile carries its own interval");
        covered += usize::from(p99.low() <= exact && exact <= p99.high());
        warned += usize::from(s.warnings.iter().any(|w| w.contains("its p99") && w.contains("rough")));
    }
    (covered as f64 / repetitions as f64, warned as f64 / repetitions as f64)
}

#[test]
fn p99_interval_covers_the_exact_p99_at_utilisation_0_9() {
    let (covered, _) = coverage(0.9, 5, 200);
    assert!((0.90..=0.97).contains(&covered), "coverage {covered}");
}

#[test]
fn p99_interval_covers_the_readme_example_at_utilisation_0_95() {
    // The README's `--set workload.main.rate=0.95/s --replications 10`.
    let (covered, _) = coverage(0.95, 10, 200);
    assert!((0.90..=0.97).contains(&covered), "coverage {covered}");
}

#[test]
fn too_short_a_run_for_the_tail_says_so() {
    // Five replications at 0.95 cover less often (87%): (nearly) every run must say its p99 is rough.
    let (covered, warned) = coverage(0.95, 5, 200);
    assert!(covered < 0.9 && warned >= 0.98, "coverage {covered}, warned {warned}");
}

#[test]
fn percentiles_pool_the_replications() {
    // The pooled p99 is not the mean of the replications' p99s, which a short window biases low.
    let out = simulate(&mm1(0.95, 10, 42));
    let per_replication: f64 = out.runs.iter().map(|r| r.classes[0].latency_p99_s).sum::<f64>() / 10.0;
    let pooled = out.summary.classes[0].latency_s.p99.value;
    let exact = 100f64.ln() / 0.05;
    assert!((pooled - exact).abs() < (per_replication - exact).abs(), "pooled {pooled}, mean {per_replication}");
}
