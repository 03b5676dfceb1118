//! Workloads that change over time (rate curves, bursts, trace replay),
//! the time series that shows them, and autoscaling that follows them.

use crate::support::{assert_agrees, summary};

fn varying(workload: &str, service: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.web]
        target = "api.get"
        {workload}

        [services.api]
        {service}

        [services.api.ops.get]
        demand = "exp(20ms)"
        "#
    )
}

#[test]
fn a_stepped_rate_curve_is_followed_interval_by_interval() {
    let s = summary(&varying(
        r#"rate = "100/s"
        profile = { points = [["0s", 1.0], ["600s", 3.0], ["1200s", 0.5]], shape = "steps", period = "1800s" }"#,
        "threads = 100\ncores = 100",
        r#"duration = "18000s"
        replications = 5
        seed = 81
        series = "300s""#,
    ));
    // Long-run mean: (1 + 3 + 0.5) / 3 of 100/s.
    assert_agrees("mean rate", &s.classes[0].throughput_per_s, 150.0, 0.01);
    let series = s.series.as_ref().unwrap();
    let t = &series.classes[0].throughput_per_s;
    for (i, want) in [100.0, 100.0, 300.0, 300.0, 50.0, 50.0].iter().enumerate() {
        for period in 0..10 {
            let got = t[period * 6 + i];
            assert!((got - want).abs() < 0.05 * want, "interval {i} of period {period}: {got} against {want}");
        }
    }
}

#[test]
fn bursts_raise_the_mean_rate_as_on_off_theory_says() {
    // Off for 40 s on average, on (x5) for 10 s: mean factor (40 + 5 x 10) / 50 = 1.8.
    let s = summary(&varying(
        r#"rate = "20/s"
        bursts = { factor = 5, every = "exp(40s)", lasting = "exp(10s)" }"#,
        "threads = 100\ncores = 100",
        r#"duration = "100000s"
        replications = 10
        seed = 83"#,
    ));
    assert_agrees("bursty mean rate", &s.classes[0].throughput_per_s, 36.0, 0.02);
    assert_eq!(s.classes[0].offered_per_s, Some(36.0));
}

#[test]
fn a_trace_is_replayed_exactly() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let times: Vec<String> = (0..1000).map(|i| format!("{}", f64::from(i) * 0.25 + 0.1)).collect();
    std::fs::write(dir.join("arrivals.csv"), format!("t\n{}\n", times.join("\n"))).unwrap();
    let model = dir.join("model.toml");
    std::fs::write(
        &model,
        varying(
            r#"trace = "arrivals.csv""#,
            "threads = 1",
            r#"duration = "300s"
        seed = 85"#,
        ),
    )
    .unwrap();
    let net = capsim::model::load(&model, &[]).unwrap();
    let s = capsim::run::run(&net).summary;
    assert_eq!(s.classes[0].completed, 1000);
    let trace = dir.join("bad.csv");
    std::fs::write(&trace, "0.5\n0.25\n").unwrap();
    let err = capsim::model::load(&model, &["workload.web.trace=bad.csv".into()]).unwrap_err();
    assert!(err.to_string().contains("line 2") && err.to_string().contains("in order"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn autoscaling_reacts_after_window_plus_delay_and_stays_in_bounds() {
    // Load triples at 1200 s. The first window ending after that (1260 s)
    // asks for a third instance, which serves from 1260 + 120 = 1380 s.
    let s = summary(&varying(
        r#"rate = "100/s"
        profile = { points = [["0s", 1.0], ["1200s", 3.0], ["2400s", 1.0]], shape = "steps" }"#,
        r#"instances = 2
        threads = 8
        cores = 4
        cost_per_hour = 1.0
        autoscale = { target = 0.6, min = 2, max = 3, window = "60s", delay = "120s", cooldown = "180s" }"#,
        r#"duration = "3600s"
        replications = 3
        seed = 87
        series = "60s""#,
    ));
    let series = s.series.as_ref().unwrap();
    let instances = &series.services[0].instances;
    for (t, n) in series.t_s.iter().zip(instances) {
        assert!((2.0..=3.0).contains(n), "{n} instances at {t} s");
        let want = if (1380.0..=2460.0).contains(t) { 3.0 } else { 2.0 };
        // Around the scale-in the replications may differ by one window.
        if !(2400.0..=2580.0).contains(t) {
            assert_eq!(*n, want, "at {t} s");
        }
    }
    // Cost follows the fleet: 2 instances, 3 for about 1080-1200 s of the
    // hour, and the third is paid from its launch, 120 s before it serves.
    let mean = s.services[0].mean_instances.value;
    assert!((2.29..2.36).contains(&mean), "mean instances {mean}");
    let billed = mean + 120.0 / 3600.0;
    assert!((s.cost.per_hour - billed).abs() < 0.01, "{} per hour for {billed} instances", s.cost.per_hour);
}

#[test]
fn bad_profiles_are_located() {
    let text = varying(
        r#"rate = "100/s"
        profile = { points = [["10s", 1.0], ["5s", 2.0]] }"#,
        "",
        r#"duration = "10s""#,
    );
    let err = capsim::model::from_str(&text).unwrap_err();
    assert!(err.to_string().contains("increasing time order") && err.line.is_some(), "{err}");
    let text = varying(
        r#"rate = "100/s""#,
        "autoscale = { target = 0.7, min = 3, max = 2, window = \"1m\" }",
        r#"duration = "10s""#,
    );
    let err = capsim::model::from_str(&text).unwrap_err();
    assert!(err.to_string().contains("min <= instances <= max"), "{err}");
}

#[test]
fn a_curve_that_does_not_repeat_offers_its_mean_over_the_observed_window() {
    // 1x for 600 s, 2x for 600 s, then 1x again until the end at 1800 s
    // (the last factor holds after the last point).
    let s = summary(&varying(
        r#"rate = "100/s"
        profile = { points = [["0s", 1.0], ["600s", 2.0], ["1200s", 1.0]], shape = "steps" }"#,
        "threads = 100\ncores = 100",
        r#"duration = "1800s"
        replications = 5
        seed = 89"#,
    ));
    let offered = s.classes[0].offered_per_s.unwrap();
    assert!((offered - 400.0 / 3.0).abs() < 0.1, "offered {offered}");
    assert_agrees("throughput", &s.classes[0].throughput_per_s, 400.0 / 3.0, 0.01);
}
