//! Metastable failures: after a trigger ends, a system whose retries keep
//! it overloaded stays degraded, and a retry budget lets it recover; the
//! run's `recovery` answer says which and how fast.

use std::path::Path;

fn run(overrides: &[&str]) -> capsim::stats::Summary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/metastable-retries.toml");
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let net = capsim::model::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    capsim::run::run(&net).summary
}

#[test]
fn retries_without_a_budget_keep_the_system_down_after_the_spike_and_a_budget_lets_it_recover() {
    let stuck = run(&[]);
    let r = stuck.recovery.as_ref().expect("the model asks the recovery question");
    assert_eq!((r.recovered, r.replications), (0, 3));
    assert!(r.per_replication_s.iter().all(Option::is_none) && r.recovery_s.is_nan(), "{r:?}");
    // The baseline is the pre-spike goodput: 400/s offered, nearly all served.
    assert!((380.0..=410.0).contains(&r.baseline.value), "baseline {:?}", r.baseline);
    assert!(stuck.warnings.iter().any(|w| w.contains("stayed degraded")), "{:?}", stuck.warnings);

    let budget = run(&["services.api.ops.handle.steps.0.retry.budget=0.1"]);
    let r = budget.recovery.as_ref().expect("the model asks the recovery question");
    assert_eq!((r.recovered, r.replications), (3, 3), "{r:?}");
    // The backlog built in the 30 s spike drains first: recovery takes
    // longer than nothing and well under the rest of the run.
    for t in r.per_replication_s.iter().map(|t| t.expect("recovered")) {
        assert!((5.0..=120.0).contains(&t), "recovered {t} s after the spike");
    }
    let mean = r.per_replication_s.iter().flatten().sum::<f64>() / 3.0;
    assert!((r.recovery_s - mean).abs() < 1e-9);
    assert!(!budget.warnings.iter().any(|w| w.contains("stayed degraded")), "{:?}", budget.warnings);
}

#[test]
fn a_recovery_question_the_run_cannot_answer_is_refused() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/metastable-retries.toml");
    let cases = [
        ("simulation.recovery.trigger=[\"90s\", \"60s\"]", "start < end"),
        ("simulation.duration=\"100s\"", "before a recovery"),
        ("simulation.recovery.within=1.5", "(0, 1)"),
        ("simulation.recovery.class=\"nobody\"", "no class"),
        ("simulation.warmup=\"70s\"", "warm-up"),
    ];
    for (set, message) in cases {
        let err = capsim::model::load(&path, &[set.to_string()]).unwrap_err().to_string();
        assert!(err.contains(message) && err.contains("simulation.recovery"), "{set}: {err}");
    }
}
