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

/// `experiments/metastable-budget.toml` run through the library: its results and runs.
fn budget_sweep() -> (capsim::experiment::spec::Experiment, capsim::experiment::results::ExperimentResults) {
    use capsim::experiment::{aggregate::assemble, execute::execute, spec::Experiment};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/metastable-budget.toml");
    let exp = Experiment::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let done = execute(&exp, &exp.runs(), &|| (), &std::sync::atomic::AtomicBool::new(false), false);
    assert!(done.failures.is_empty(), "{:?}", done.failures);
    let results = assemble(&exp, &done.records, &done.failures, "capsim sweep metastable-budget.toml");
    (exp, results)
}

#[test]
fn a_sweep_over_the_retry_budget_answers_the_recovery_question_as_run_does() {
    let (exp, results) = budget_sweep();
    let point = |design: &str| {
        let p = results.points.iter().find(|p| p.design == design).unwrap_or_else(|| panic!("no design {design}"));
        (p.design_index, p.point_index, p.summary.recovery.clone().expect("the sweep answers the recovery question"))
    };
    let (_, _, none) = point("no-budget");
    assert_eq!((none.recovered, none.replications), (0, 3), "{none:?}");
    assert!(none.recovery_s.is_nan());
    let (d, p, budget) = point("budget-10pct");
    assert_eq!((budget.recovered, budget.replications), (3, 3), "{budget:?}");
    // The same model and seed through `capsim run`: the same answer, bit for bit.
    let net = &exp.networks[d][p];
    assert_eq!(net.settings.seed, exp.seed);
    let alone = capsim::run::run(net).summary.recovery.expect("the model asks the recovery question");
    assert_eq!(budget.recovery_s.to_bits(), alone.recovery_s.to_bits(), "sweep {budget:?}, run {alone:?}");
    assert_eq!(budget.per_replication_s, alone.per_replication_s);
    assert_eq!(budget.baseline.value.to_bits(), alone.baseline.value.to_bits());
}

#[test]
fn a_sweep_writes_recovery_columns_only_when_its_model_asks_the_question() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-metastable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sweep = |experiment: &str, out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(["sweep", experiment, "-q", "--no-charts", "-o", out.to_str().unwrap()])
            .args(extra)
            .current_dir(root)
            .status()
            .unwrap();
        assert!(status.success(), "capsim sweep {experiment}");
        let read = |f: &str| {
            let text = std::fs::read_to_string(out.join(f)).unwrap();
            let mut rows = text.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
            let header = rows.next().unwrap();
            rows.map(|r| header.iter().cloned().zip(r).collect()).collect::<Vec<std::collections::HashMap<_, _>>>()
        };
        (read("summary.csv"), read("runs.csv"))
    };
    let (summary, runs) = sweep("experiments/metastable-budget.toml", "budget", &[]);
    let cell = |design: &str, column: &str| {
        let row = summary.iter().find(|r| r["design"] == design).unwrap();
        row.get(column).unwrap_or_else(|| panic!("no column {column} in {row:?}")).clone()
    };
    assert_eq!((cell("no-budget", "recovered_share"), cell("no-budget", "recovery_time_s")), ("0".into(), "".into()));
    assert_eq!(cell("budget-10pct", "recovered_share"), "1");
    // The point's time is the mean of its runs' times.
    let times: Vec<f64> = runs
        .iter()
        .filter(|r| r["design"] == "budget-10pct")
        .map(|r| {
            assert_eq!(r["recovered"], "1");
            r["recovery_time_s"].parse().unwrap()
        })
        .collect();
    let mean: f64 = cell("budget-10pct", "recovery_time_s").parse().unwrap();
    assert!((mean - times.iter().sum::<f64>() / times.len() as f64).abs() < 1e-6, "{mean} vs {times:?}");
    assert!(
        runs.iter()
            .filter(|r| r["design"] == "no-budget")
            .all(|r| r["recovered"] == "0" && r["recovery_time_s"].is_empty())
    );

    // A sweep of a model without the question has none of these columns.
    let (summary, runs) = sweep("experiments/cache-ttl.toml", "plain", &["--set", "simulation.duration=130s"]);
    for row in summary.iter().chain(&runs) {
        assert!(["recovered", "recovered_share", "recovery_time_s"].iter().all(|c| !row.contains_key(*c)));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
