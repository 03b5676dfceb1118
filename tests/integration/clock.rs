//! Time is an integer number of nanoseconds in a u64 (about 584 years), and
//! events are ordered by a u128 key `time << 64 | sequence`: a simulated year,
//! or a century, at nanosecond resolution must neither overflow nor wrap.

use capsim::kernel::{EventKind, EventQueue, NS, Time, to_time};
use capsim::stats::RunMetrics;

const YEAR_S: f64 = 365.0 * 86400.0;

/// One server with an exponential demand of 1 s, visited at `rate`.
fn sparse(duration: &str, warmup: &str, rate: &str) -> String {
    format!(
        r#"
        [simulation]
        duration = "{duration}"
        warmup = "{warmup}"
        seed = 365

        [workload.main]
        target = "server.handle"
        rate = "{rate}"

        [services.server.ops.handle]
        demand = "exp(1s)"
        "#
    )
}

/// Runs one replication and checks that arrivals match rate x time and that
/// no time wrapped: a wrapped clock shows as absurd or missing latencies.
#[track_caller]
fn check(text: &str, observed_s: f64, rate_per_s: f64) {
    let net = capsim::model::from_str(text).unwrap();
    let stats = capsim::kernel::simulate(&net, 0);
    let m = RunMetrics::new(&net, &stats);
    assert_eq!(stats.observed, observed_s, "observed window");
    let c = &stats.classes[0];
    let expected = rate_per_s * observed_s;
    assert!(
        (c.arrivals as f64 - expected).abs() <= 5.0 * expected.sqrt(),
        "{} arrivals, expected {expected:.0} ± {:.0}",
        c.arrivals,
        5.0 * expected.sqrt()
    );
    // Nearly every arrival finished (a few may straddle the window's edges).
    assert!(c.arrivals.abs_diff(c.completed) <= 3, "{} arrived, {} completed", c.arrivals, c.completed);
    // M/M/1 at rho = rate x 1 s: the mean response is 1 / (1 - rho) s, the
    // longest a few seconds. A time that wrapped would be ~584 years or lost.
    let k = &m.classes[0];
    let exact = 1.0 / (1.0 - rate_per_s);
    let tolerance = 5.0 * exact / (c.completed as f64).sqrt();
    assert!((k.latency_mean_s - exact).abs() <= tolerance, "mean latency {} s, exact {exact} s", k.latency_mean_s);
    assert!(k.latency_max_s < 60.0 && k.latency_p50_s > 0.1, "max {} s, p50 {} s", k.latency_max_s, k.latency_p50_s);
    let rho = rate_per_s;
    let util = m.services[0].utilisation;
    assert!((util - rho).abs() <= 5.0 * rho / (c.completed as f64).sqrt(), "utilisation {util}, rho {rho}");
    assert!((k.mean_in_system - rho * exact).abs() <= 0.1 * rho * exact, "L = {}", k.mean_in_system);
}

#[test]
fn a_year_at_nanosecond_resolution_runs_without_overflow() {
    // 365 d = 3.15e16 ns, 1/585 of u64; one arrival an hour: 8,760 requests.
    assert_eq!(to_time(YEAR_S), 31_536_000_000_000_000);
    check(&sparse("365d", "0s", "1/h"), YEAR_S, 1.0 / 3600.0);
    // The observation window can start late: a month of warm-up.
    check(&sparse("365d", "30d", "1/h"), YEAR_S, 1.0 / 3600.0);
}

#[test]
fn a_century_at_nanosecond_resolution_runs_without_overflow() {
    // 36,500 d = 3.15e18 ns, a sixth of u64; one arrival a day.
    check(&sparse("36500d", "1d", "1/d"), 100.0 * YEAR_S, 1.0 / 86400.0);
}

#[test]
fn the_event_list_orders_the_far_end_of_the_clock_by_time_then_sequence() {
    // time << 64 | seq: the time's top bits must not spill into, or be lost
    // from, the comparison, up to u64::MAX (the "far future" of saturated samples).
    let mut q = EventQueue::default();
    let year = to_time(YEAR_S);
    let times: [Time; 7] = [Time::MAX, year, Time::MAX - 1, 0, year + 1, Time::MAX, 1 << 63];
    for (i, &t) in times.iter().enumerate() {
        q.schedule(t, EventKind::Arrival { class: i as u32 });
    }
    let order: Vec<(Time, EventKind)> = std::iter::from_fn(|| q.pop()).map(|e| (e.time, e.kind)).collect();
    let class = |i: u32| EventKind::Arrival { class: i };
    assert_eq!(
        order,
        vec![
            (0, class(3)),
            (year, class(1)),
            (year + 1, class(4)),
            (1 << 63, class(6)),
            (Time::MAX - 1, class(2)),
            (Time::MAX, class(0)),
            (Time::MAX, class(5)),
        ]
    );
    assert!((584.0..585.0).contains(&(Time::MAX as f64 / NS / YEAR_S)), "the clock ends after 584 years");
}
