//! Invalid models get an error naming the line and key, with a hint; never a panic.

use capsim::model::from_str;

const GOOD: &str = r#"
[simulation]
duration = "100s"

[workload.main]
target = "api.get"
rate = "10/s"

[services.api]
threads = 4

[services.api.ops.get]
demand = "exp(5ms)"
steps = [{ call = "db.read" }]

[services.db.ops.read]
demand = "exp(1ms)"
"#;

/// Replaces `from` with `to` in the good model and expects an error at
/// `line` whose text contains every one of `needles`.
#[track_caller]
fn expect_error(from: &str, to: &str, line: Option<usize>, needles: &[&str]) {
    assert!(GOOD.contains(from), "test setup: `{from}` not in the model");
    let text = GOOD.replacen(from, to, 1);
    let err = from_str(&text).expect_err("the model should be refused");
    let shown = err.to_string();
    assert_eq!(err.line, line, "wrong line in:\n{shown}");
    for n in needles {
        assert!(shown.contains(n), "`{n}` missing from:\n{shown}");
    }
}

#[test]
fn the_good_model_compiles() {
    from_str(GOOD).unwrap();
}

#[test]
fn unknown_key_names_the_key_and_the_allowed_ones() {
    expect_error("threads = 4", "thread = 4", Some(10), &["unknown field `thread`", "instances", "services.api"]);
}

#[test]
fn wrong_type_is_located() {
    expect_error("threads = 4", "threads = true", Some(10), &["invalid type", "services.api.threads"]);
}

#[test]
fn bad_unit_gets_a_hint() {
    expect_error("rate = \"10/s\"", "rate = \"10\"", Some(7), &["not a rate", "900/s"]);
    expect_error("duration = \"100s\"", "duration = \"100\"", Some(3), &["no unit", "100s"]);
}

#[test]
fn call_to_a_missing_operation_suggests_the_right_one() {
    expect_error(
        "call = \"db.read\"",
        "call = \"db.reed\"",
        Some(14),
        &["no operation named \"db.reed\"", "did you mean \"db.read\"", "steps[0].call"],
    );
}

#[test]
fn zero_workers_are_refused() {
    expect_error("threads = 4", "threads = 0", Some(10), &["must be at least 1"]);
}

#[test]
fn negative_rate_is_refused() {
    expect_error("rate = \"10/s\"", "rate = \"-10/s\"", Some(7), &["cannot be negative"]);
}

#[test]
fn branch_probabilities_must_sum_to_one() {
    expect_error(
        "steps = [{ call = \"db.read\" }]",
        "steps = [{ branch = [{ p = 0.5, call = \"db.read\" }, { p = 0.3 }] }]",
        Some(14),
        &["sum to 0.8", "hint"],
    );
}

#[test]
fn call_cycle_that_never_ends_is_refused() {
    expect_error(
        "[services.db.ops.read]\ndemand = \"exp(1ms)\"",
        "[services.db.ops.read]\ndemand = \"exp(1ms)\"\nsteps = [{ call = \"api.get\" }]",
        Some(14),
        &["call cycle that never ends", "api.get -> db.read -> api.get"],
    );
}

#[test]
fn probabilistic_loops_are_allowed() {
    let text = GOOD.replacen(
        "[services.db.ops.read]\ndemand = \"exp(1ms)\"",
        "[services.db.ops.read]\ndemand = \"exp(1ms)\"\nsteps = [{ branch = [{ p = 0.1, call = \"api.get\" }, { p = 0.9 }] }]",
        1,
    );
    let net = from_str(&text).unwrap();
    // Each visit to api.get makes 1 call to db.read, which returns to api.get with p = 0.1.
    assert!((net.visits[0][0] - 1.0 / 0.9).abs() < 1e-9);
}

#[test]
fn bad_distribution_is_located() {
    expect_error("demand = \"exp(5ms)\"", "demand = \"expo(5ms)\"", Some(13), &["unknown distribution"]);
}

#[test]
fn missing_run_length_and_missing_workload_are_explained() {
    expect_error("duration = \"100s\"", "seed = 1", None, &["how long to simulate", "duration"]);
    let no_workload = GOOD.replacen("[workload.main]\ntarget = \"api.get\"\nrate = \"10/s\"", "", 1);
    let err = from_str(&no_workload).unwrap_err();
    assert!(err.to_string().contains("no request class"), "{err}");
}

#[test]
fn a_class_with_both_rate_and_users_is_refused() {
    expect_error("rate = \"10/s\"", "rate = \"10/s\"\nusers = 5", Some(5), &["exactly one of"]);
}

#[test]
fn syntax_errors_point_at_the_line() {
    expect_error("threads = 4", "threads = = 4", Some(10), &["10 | threads = = 4"]);
}

#[test]
fn saturated_model_warns_and_still_runs_in_bounded_memory() {
    let text = GOOD.replacen("rate = \"10/s\"", "rate = \"2000/s\"", 1).replacen(
        "duration = \"100s\"",
        "duration = \"20s\"\nmax_in_flight = 1000",
        1,
    );
    let net = from_str(&text).unwrap();
    assert!(net.warnings.iter().any(|w| w.contains("`api` is saturated")), "{:?}", net.warnings);
    let s = capsim::run::run(&net).summary;
    assert!(s.classes[0].errors["in_flight_cap"].value > 0.1);
    assert!(s.warnings.iter().any(|w| w.contains("max_in_flight (1000) was reached")), "{:?}", s.warnings);
}

#[test]
fn resilience_options_are_checked_where_they_are_written() {
    expect_error(
        r#"steps = [{ call = "db.read" }]"#,
        r#"steps = [{ call = "db.read", retry = { attempts = 0 } }]"#,
        Some(14),
        &["attempts", "at least 1"],
    );
    expect_error(
        r#"steps = [{ call = "db.read" }]"#,
        r#"steps = [{ call = "db.read", breaker = { failure_rate = 1.5, window = "10s", open_for = "1s" } }]"#,
        Some(14),
        &["probability"],
    );
    expect_error(
        r#"steps = [{ call = "db.read" }]"#,
        r#"steps = [{ call = "db.read", timeout = "0s" }]"#,
        Some(14),
        &["timeout", "longer than zero"],
    );
    expect_error(
        r#"steps = [{ call = "db.read" }]"#,
        r#"steps = [{ compute = "exp(1ms)", timeout = "1s" }]"#,
        Some(14),
        &["apply to calls only"],
    );
}

#[test]
fn failures_need_a_time_to_failure_that_is_not_zero() {
    expect_error(
        "threads = 4\n",
        "threads = 4\nfailures = { mttf = \"const(0s)\", mttr = \"exp(1m)\" }\n",
        Some(11),
        &["services.api.failures.mttf", "under 1 ms"],
    );
    expect_error("threads = 4\n", "threads = 4\nfailures = { mttf = \"exp(1h)\" }\n", Some(11), &["mttr"]);
}

#[test]
fn a_saturation_warning_says_what_bounds_the_queue() {
    let warning = |from: &str, to: &str| {
        let net = from_str(&GOOD.replace("rate = \"10/s\"", "rate = \"1000/s\"").replacen(from, to, 1)).unwrap();
        net.warnings.iter().find(|w| w.contains("`api` is saturated")).cloned().expect("a saturation warning")
    };
    assert!(warning("threads = 4", "threads = 4").contains("grows without bound until max_in_flight"));
    assert!(warning("threads = 4", "threads = 4\nqueue_limit = 50").contains("rejected at its queue limit of 50"));
}

/// Writes the good model to a file, for errors that need one.
fn good_model_file(name: &str) -> std::path::PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-bad-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("api.toml");
    std::fs::write(&path, GOOD).unwrap();
    path
}

#[test]
fn an_override_error_names_the_set_argument_not_a_line_the_file_lacks() {
    let path = good_model_file("set");
    for (item, needles) in [
        ("services.api.instancs=4", &["`--set services.api.instancs=4`", "unknown field `instancs`"][..]),
        ("services.apii.threads=4", &["`--set services.apii.threads=4`", "did you mean `services.api`?"][..]),
        ("workload.main.target=api.gett", &["`--set workload.main.target=api.gett`", "did you mean \"api.get\""][..]),
    ] {
        let err = capsim::model::load(&path, &[item.to_string()]).expect_err("the override should be refused");
        let shown = err.to_string();
        assert_eq!((err.line, err.snippet.as_deref()), (None, None), "no line of the file to point at:\n{shown}");
        for n in needles {
            assert!(shown.contains(n), "`{n}` missing from:\n{shown}");
        }
    }
    // An error the file has by itself is still the file's, at its line.
    std::fs::write(&path, GOOD.replace("threads = 4", "threads = 0")).unwrap();
    let err = capsim::model::load(&path, &["workload.main.rate=20/s".to_string()]).unwrap_err();
    assert_eq!(err.line, Some(10), "{err}");
}

#[test]
fn an_experiment_override_error_points_at_the_experiment_file() {
    let path = good_model_file("experiment");
    let exp = path.with_file_name("exp.toml");
    std::fs::write(
        &exp,
        "[experiment]\nmodel = \"api.toml\"\nreplications = 1\n\n[designs.today]\nset = { \"services.api.threads\" = 2 }\n\n[designs.bigger]\nset = { \"services.apii.threads\" = 8 }\n",
    )
    .unwrap();
    let err = capsim::experiment::spec::Experiment::load(&exp, &[]).expect_err("the typo should be refused");
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("{}:9:10: `designs.bigger.set`", exp.display())), "{shown}");
    assert!(shown.contains("did you mean `services.api`?"), "{shown}");
}

#[test]
fn a_huge_instance_count_is_reported_at_its_own_line() {
    expect_error(
        "threads = 4",
        "threads = 4\ninstances = 100000000 # a typo",
        Some(11),
        &["at most 10000 instances", "11 | instances = 100000000", "^^^^^^^^^"],
    );
}

#[test]
fn a_cpu_limit_above_the_cores_is_refused() {
    expect_error(
        "threads = 4",
        "threads = 4\ncores = 2\ncpu_limit = \"2500m\"",
        Some(12),
        &["services.api.cpu_limit", "above the instance's 2 cores"],
    );
    expect_error("threads = 4", "threads = 4\ncpu_limit = \"0m\"", Some(11), &["above zero"]);
    expect_error("threads = 4", "threads = 4\ncpu_limit = \"lots\"", Some(11), &["600m"]);
}

#[test]
fn a_cpu_period_needs_a_limit_and_a_sane_length() {
    expect_error(
        "threads = 4",
        "threads = 4\ncpu_period = \"50ms\"",
        Some(11),
        &["services.api.cpu_period", "without a `cpu_limit`"],
    );
    expect_error(
        "threads = 4",
        "threads = 4\ncpu_limit = \"1\"\ncpu_period = \"5s\"",
        Some(12),
        &["services.api.cpu_period", "1ms to 1s"],
    );
}

#[test]
fn nonsense_pauses_are_refused() {
    expect_error(
        "threads = 4",
        "threads = 4\npauses = { every = \"exp(10us)\", duration = \"const(1ms)\" }",
        Some(11),
        &["services.api.pauses.every", "1 ms"],
    );
    expect_error(
        "threads = 4",
        "threads = 4\npauses = { every = \"exp(1s)\" }",
        Some(11),
        &["missing field `duration`"],
    );
    expect_error(
        "threads = 4",
        "threads = 4\ndiscipline = \"priority_preemptive\"\npauses = { every = \"exp(1s)\", duration = \"const(1ms)\" }",
        Some(12),
        &["priority_preemptive"],
    );
}

#[test]
fn a_hedge_on_a_step_that_waits_for_no_reply_is_refused() {
    expect_error(
        "steps = [{ call = \"db.read\" }]",
        "steps = [{ forward = \"db.read\", hedge = { after = \"10ms\" } }]",
        Some(14),
        &["hedge", "forward", "nothing to hedge"],
    );
    expect_error(
        "steps = [{ call = \"db.read\" }]",
        "steps = [{ call = \"db.read\", hedge = { after = \"10ms\", max = 2 } }]",
        Some(14),
        &["max = 1"],
    );
    expect_error(
        "steps = [{ call = \"db.read\" }]",
        "steps = [{ call = \"db.read\", hedge = { after = \"p100\" } }]",
        Some(14),
        &["percentile"],
    );
}
