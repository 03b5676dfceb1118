//! Platform behaviour per instance: CPU limits with CFS quota semantics
//! (hand-worked periods, a saturated limit) and stop-the-world pauses (the
//! renewal share, and the latency they add on a delay station).

use crate::support::{assert_agrees, summary};

/// One single-threaded pod serving `demand` at `rate` (`process`), with `extra` keys.
fn pod(rate: &str, process: &str, demand: &str, extra: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.main]
        target = "pod.handle"
        rate = "{rate}"
        process = "{process}"

        [services.pod]
        {extra}

        [services.pod.ops.handle]
        demand = "{demand}"
        "#
    )
}

/// A job alone with demand D under limit L per period P runs L·P per period:
/// ceil(D / (L·P)) − 1 whole periods, then the rest (arrivals on period boundaries).
#[test]
fn a_throttled_job_takes_whole_periods_then_the_rest() {
    for (limit, period, demand_ms) in
        [(0.5_f64, 0.1_f64, 120.0_f64), (0.6, 0.05, 100.0), (0.25, 0.02, 4.0), (0.3, 0.1, 31.0)]
    {
        let quota_ms = limit * period * 1e3;
        let whole = (demand_ms / quota_ms).ceil() - 1.0;
        let expected = (whole * period * 1e3 + (demand_ms - whole * quota_ms)) / 1e3;
        let extra =
            format!("threads = 1\ncores = 1\ncpu_limit = \"{}m\"\ncpu_period = \"{}ms\"", limit * 1e3, period * 1e3);
        let s = summary(&pod("1/s", "deterministic", &format!("const({demand_ms}ms)"), &extra, "duration = \"50s\""));
        let latency = s.classes[0].latency_s.mean.value;
        assert!(
            (latency - expected).abs() < 1e-8,
            "D = {demand_ms} ms, L = {limit}, P = {period} s: {latency} s, not {expected} s"
        );
        // Every period the job touches but its last is throttled.
        let cpu = s.services[0].cpu_limit.as_ref().expect("reported");
        let touched = whole + 1.0;
        assert!(
            (cpu.throttled_periods.value - whole / touched).abs() < 1e-9,
            "throttled periods {:?}",
            cpu.throttled_periods
        );
        // 49 requests in the 50 s window, each throttled (P − L·P) per whole period.
        let throttled_s = 49.0 * whole * (period - quota_ms / 1e3);
        assert!(
            (cpu.throttled_time.value - throttled_s / 50.0).abs() < 1e-9,
            "throttled time {:?}",
            cpu.throttled_time
        );
    }
}

/// A limit below the cores lets the same work run on two threads at once
/// and still stalls both: two jobs on two cores use a 100 ms quota of
/// "1000m" in 50 ms.
#[test]
fn parallel_jobs_use_the_quota_faster() {
    let text = r#"
        [simulation]
        duration = "20s"

        [workload.main]
        target = "pod.handle"
        rate = "1/s"
        process = "deterministic"

        [workload.twin]
        target = "pod.handle"
        rate = "1/s"
        process = "deterministic"

        [services.pod]
        threads = 2
        cores = 2
        cpu_limit = "1000m"

        [services.pod.ops.handle]
        demand = "const(80ms)"
        "#;
    let s = summary(text);
    // Both run 0–50 ms (100 ms of CPU), stall to 100 ms, then run 30 ms more.
    for c in &s.classes {
        assert!((c.latency_s.mean.value - 0.130).abs() < 1e-8, "{}: {}", c.name, c.latency_s.mean.value);
    }
}

/// A pod that always has work runs exactly its limit: every period is
/// throttled, for 1 − L/cores of the time, and its throughput is L / E[D].
#[test]
fn a_saturated_limit_is_throttled_every_period() {
    let text = r#"
        [simulation]
        duration = "2000s"
        warmup = "10s"
        replications = 5
        seed = 7

        [workload.main]
        target = "pod.handle"
        users = 3
        think = "const(1us)"

        [services.pod]
        threads = 1
        cores = 1
        cpu_limit = "400m"

        [services.pod.ops.handle]
        demand = "exp(30ms)"
        "#;
    let s = summary(text);
    let pod = &s.services[0];
    let cpu = pod.cpu_limit.as_ref().expect("reported");
    assert!(cpu.throttled_periods.value > 0.999, "throttled periods {:?}", cpu.throttled_periods);
    assert!((cpu.throttled_time.value - 0.6).abs() < 1e-3, "throttled time {:?}", cpu.throttled_time);
    // Utilisation counts the cores the pod used, not the time its work was stalled.
    assert!((pod.utilisation.value - 0.4).abs() < 1e-3, "utilisation {:?}", pod.utilisation);
    assert_agrees("throughput", &pod.throughput_per_s, 0.4 / 0.030, 0.02);
}

/// A renewal cycle is a gap then a pause: the paused share is
/// E[duration] / (E[every] + E[duration]), one pause per cycle per instance.
#[test]
fn the_paused_share_is_the_renewal_ratio() {
    let extra =
        "instances = 2\nthreads = 4\npauses = { every = \"exp(2s)\", duration = \"lognormal(mean=100ms, cv=0.5)\" }";
    let sim = "duration = \"20000s\"\nreplications = 10\nseed = 3";
    let s = summary(&pod("20/s", "poisson", "exp(10ms)", extra, sim));
    let p = s.services[0].pauses.as_ref().expect("reported");
    let share = 0.1 / 2.1;
    assert!((p.expected_paused_time - share).abs() < 1e-12);
    assert_agrees("paused share", &p.paused_time, share, 0.02);
    assert_agrees("pauses per second", &p.pauses_per_s, 2.0 / 2.1, 0.02);
}

/// On a delay station every request is independent: with work S, gaps
/// exp(1/ξ) and pauses D, a request waits out the pause it arrives in
/// (probability p = E[D]/(E[every]+E[D]), residual E[D²]/2E[D]) and meets
/// Poisson(ξS) pauses while it computes: E[T] = S(1 + ξE[D]) + p·E[D²]/2E[D].
#[test]
fn pauses_add_the_residual_and_the_pauses_met_while_computing() {
    let extra = "threads = \"unlimited\"\npauses = { every = \"exp(1s)\", duration = \"exp(50ms)\" }";
    let sim = "duration = \"20000s\"\nreplications = 10\nseed = 5";
    let s = summary(&pod("20/s", "poisson", "const(100ms)", extra, sim));
    let (work, xi, d) = (0.1, 1.0, 0.05);
    let p = d / (1.0 + d);
    // Exponential pauses: E[D²] / 2E[D] = E[D].
    let expected = work * (1.0 + xi * d) + p * d;
    assert_agrees("mean latency", &s.classes[0].latency_s.mean, expected, 0.01);
}

/// Without pauses or limits the outputs carry neither.
#[test]
fn services_without_them_report_neither() {
    let s = summary(&pod("1/s", "deterministic", "const(10ms)", "", "duration = \"10s\""));
    assert!(s.services[0].cpu_limit.is_none() && s.services[0].pauses.is_none());
}

/// A front end calling `leaf` with `hedge`, the leaf a delay station whose
/// work is 1 ms, or 100 ms with probability 1/20.
fn hedged(hedge: &str, leaf: &str, sim: &str) -> String {
    let slow_one_in_20 = format!("empirical({}100ms)", "1ms, ".repeat(19));
    format!(
        r#"
        [simulation]
        {sim}

        [workload.main]
        target = "front.get"
        rate = "100/s"

        [services.front]
        threads = "unlimited"

        [services.front.ops.get]
        steps = [{{ call = "leaf.get", hedge = {hedge} }}]

        [services.leaf]
        {leaf}

        [services.leaf.ops.get]
        demand = "{slow_one_in_20}"
        "#
    )
}

/// Hedging at 10 ms: a copy is hedged when it is slow (P = 1/20), and a
/// request is slow only if both copies are, so the latency is min(D1,
/// 10 ms + D2): 1 ms w.p. 0.95, 11 ms w.p. 0.05 × 0.95, 100 ms w.p. 0.05².
#[test]
fn a_hedge_goes_out_when_the_first_copy_is_slow_and_the_faster_copy_wins() {
    let sim = "duration = \"2000s\"\nreplications = 10\nseed = 4";
    let s = summary(&hedged("{ after = \"10ms\" }", "threads = \"unlimited\"", sim));
    let h = s.calls[0].hedge.as_ref().expect("reported");
    assert_agrees("hedges per copy", &h.extra_load, 0.05, 0.05);
    assert_agrees("hedges per second", &h.hedges_per_s, 5.0, 0.05);
    // The twin wins unless it too is slow (then the first, 10 ms ahead, wins).
    assert_agrees("hedges won", &h.won, 0.95, 0.02);
    let mean = 0.95 * 0.001 + 0.05 * (0.95 * 0.011 + 0.05 * 0.100);
    assert_agrees("mean latency", &s.classes[0].latency_s.mean, mean, 0.03);
    // p99 is a hedged pair (11 ms), p99.9 still both slow (0.25% > 0.1%).
    let l = &s.classes[0].latency_s;
    assert!((l.p99.value - 0.011).abs() < 0.0002, "p99 {:?}", l.p99);
    assert!((l.p999.value - 0.100).abs() < 0.001, "p99.9 {:?}", l.p999);
}

/// The series counts every hedge where the summary does: with no warm-up
/// and whole intervals, their mean over the intervals is the summary's
/// rate; the CSV has a column per hedged site and the charts a timeline.
#[test]
fn the_series_counts_the_hedges_interval_by_interval() {
    let sim = "duration = \"200s\"\nwarmup = \"0s\"\nreplications = 3\nseed = 4\nseries = \"10s\"";
    let net =
        capsim::model::from_str(&hedged("{ after = \"10ms\" }", "threads = \"unlimited\"", sim)).expect("compiles");
    let outcome = capsim::run::run(&net);
    let s = &outcome.summary;
    let series = s.series.as_ref().expect("a series");
    let hedges = series.hedges_per_s[0].as_ref().expect("the hedged site is recorded");
    assert_eq!(hedges.len(), 20);
    let mean = hedges.iter().sum::<f64>() / 20.0;
    let summary = s.calls[0].hedge.as_ref().expect("reported").hedges_per_s.value;
    assert!((mean - summary).abs() < 1e-9 * summary, "series {mean} against summary {summary}");
    assert!(hedges.iter().all(|&h| h > 2.0 && h < 8.0), "about 5/s in every interval: {hedges:?}");
    let csv = capsim::report::series_csv(s).expect("a series");
    assert!(csv.lines().next().expect("a header").ends_with(",call.front.get -> leaf.get.hedges_per_s"), "{csv}");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("platform-hedges");
    let _ = std::fs::remove_dir_all(&dir);
    let charts = capsim::charts::run_charts(s, &outcome.latency, &dir).expect("drawn");
    assert!(charts.iter().any(|c| c.name == "timeline-hedges"), "a hedges timeline");
}

/// `after = "p90"` hedges at the site's observed p90 once warmed up: with
/// one copy in 20 slow, that p90 is the fast path, so it hedges the slow
/// ones as a fixed delay just above the fast path would.
#[test]
fn a_percentile_hedge_learns_its_delay() {
    let sim = "duration = \"500s\"\nreplications = 5\nseed = 6";
    let s = summary(&hedged("{ after = \"p90\" }", "threads = \"unlimited\"", sim));
    let h = s.calls[0].hedge.as_ref().expect("reported");
    assert_eq!(h.after_quantile, Some(0.9));
    // Hedged at ~1 ms: the slow 5% (and no fast copy, which replies at 1 ms).
    assert!((h.extra_load.value - 0.05).abs() < 0.005, "extra load {:?}", h.extra_load);
    assert!(s.classes[0].latency_s.p99.value < 0.003, "p99 {:?}", s.classes[0].latency_s.p99);
}

/// Cancelling the loser frees its thread when it is still queued: on a
/// single-threaded leaf the losers that would wait behind a slow copy leave
/// instead of computing, so the leaf serves less work than without cancel.
#[test]
fn cancelled_losers_cost_less_than_losers_left_to_finish() {
    let sim = "duration = \"500s\"\nreplications = 5\nseed = 8";
    let leaf = "instances = 4\nthreads = 1\nbalance = \"round_robin\"";
    let with = summary(&hedged("{ after = \"10ms\", cancel = true }", leaf, sim));
    let without = summary(&hedged("{ after = \"10ms\", cancel = false }", leaf, sim));
    let (hw, hn) = (with.calls[0].hedge.as_ref().unwrap(), without.calls[0].hedge.as_ref().unwrap());
    assert!(hw.cancelled_per_s.value > 0.0 && hn.cancelled_per_s.value == 0.0);
    let busy = |s: &capsim::stats::Summary| s.services[2 - 1].utilisation.value;
    assert!(busy(&with) < busy(&without), "cancel {} vs left {}", busy(&with), busy(&without));
}

/// Theory's view of a limited or paused pod: its closed form leaves the
/// mechanism out, so it is no longer exact and says so; a limit or pauses
/// the load cannot fit in make it saturated, whatever the cores say.
#[test]
fn theory_names_what_a_limit_or_pauses_leave_out_and_when_they_saturate() {
    let theory = |rate: &str, extra: &str| {
        let text = pod(rate, "poisson", "exp(30ms)", &format!("threads = 1\ncores = 1\n{extra}"), "duration = \"10s\"");
        let net = capsim::model::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        capsim::analysis::analyse(&net).services.remove(0)
    };
    let plain = theory("10/s", "");
    assert!(plain.exact && plain.metrics.is_some(), "M/M/1 without a limit: {plain:?}");

    // 0.3 cores of work under a 0.4-core limit: M/M/1's figures, marked approximate.
    let limited = theory("10/s", "cpu_limit = \"400m\"");
    assert!(!limited.exact && limited.metrics.is_some());
    assert!(limited.note.contains("CPU limit not included") && limited.note.contains("75%"), "{}", limited.note);
    // 0.6 cores of work under the same limit: saturated, though one core would do.
    let saturated = theory("20/s", "cpu_limit = \"400m\"");
    assert!(saturated.metrics.is_none() && saturated.note.contains("saturated by its CPU limit"), "{saturated:?}");

    // Paused 1/21 of the time: 60% load fits, 96% does not; the residual of exp(50ms) is 50 ms.
    let pauses = "pauses = { every = \"exp(1s)\", duration = \"exp(50ms)\" }";
    let paused = theory("20/s", pauses);
    assert!(!paused.exact && paused.note.contains("4.8% of the time") && paused.note.contains("0.050 s"), "{paused:?}");
    let over = theory("32/s", pauses);
    assert!(over.metrics.is_none() && over.note.contains("saturated with its pauses"), "{over:?}");
}
