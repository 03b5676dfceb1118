//! Timeouts, retries, circuit breakers, rate limiting and load shedding,
//! each against the number its configuration implies.

use crate::support::{assert_agrees, summary};

/// A front end that adds no delay (an event loop without demand) calling
/// `back.work` with the given call options.
fn front(rate: &str, process: &str, call: &str, back: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.main]
        target = "front.page"
        rate = "{rate}"
        process = "{process}"

        [services.front]
        concurrency = "event_loop"

        [services.front.ops.page]
        steps = [{{ call = "back.work", {call} }}]

        {back}
        "#
    )
}

const LONG: &str = r#"duration = "20000s"
        warmup = "1000s"
        replications = 10
        seed = 51"#;

#[test]
fn timeouts_fail_exactly_the_slow_calls_while_orphans_keep_the_callee_busy() {
    // The callee is M/M/1 at rho 0.5: its response time is exponential with
    // rate mu - lambda = 0.5/s, so a 2 s timeout fails e^-1 of the calls.
    let back = r#"[services.back.ops.work]
        demand = "exp(1s)""#;
    let s = summary(&front("0.5/s", "poisson", r#"timeout = "2s""#, back, LONG));
    let errors = &s.classes[0].errors["timeout"];
    assert_agrees("timed-out fraction", errors, (-1.0f64).exp(), 0.03);
    // Abandoned work still runs to the end: the callee stays 50% busy.
    assert_agrees("callee utilisation", &s.services[1].utilisation, 0.5, 0.02);
    assert_agrees("timeouts per second", &s.calls[0].timeouts_per_s, 0.5 * (-1.0f64).exp(), 0.03);
}

#[test]
fn retries_multiply_the_offered_load_by_the_expected_attempts() {
    // Each attempt fails independently with p = 0.4; with 4 attempts a call
    // makes 1 + p + p^2 + p^3 attempts on average and fails with p^4.
    let back = r#"[services.back]
        threads = 1000
        [services.back.ops.work]
        demand = "const(1ms)"
        error_rate = 0.4"#;
    let s = summary(&front(
        "100/s",
        "poisson",
        r#"retry = { attempts = 4, backoff = "10ms", jitter = "full" }"#,
        back,
        r#"duration = "2000s"
        replications = 10
        seed = 53"#,
    ));
    let p: f64 = 0.4;
    let attempts = 1.0 + p + p * p + p * p * p;
    assert_agrees("attempts per second", &s.calls[0].attempts_per_s, 100.0 * attempts, 0.01);
    assert_agrees("callee arrivals", &s.services[1].throughput_per_s, 100.0 * attempts, 0.01);
    assert_agrees("retries per second", &s.calls[0].retries_per_s, 100.0 * (attempts - 1.0), 0.02);
    assert_agrees("failures after 4 attempts", &s.classes[0].errors["server_error"], p.powi(4), 0.05);
}

#[test]
fn a_retry_budget_caps_retries_at_its_fraction_of_calls() {
    let back = r#"[services.back]
        threads = 1000
        [services.back.ops.work]
        demand = "const(1ms)"
        error_rate = 0.5"#;
    let s = summary(&front(
        "100/s",
        "poisson",
        r#"retry = { attempts = 5, budget = 0.1 }"#,
        back,
        r#"duration = "2000s"
        replications = 5
        seed = 55"#,
    ));
    let ratio = s.calls[0].retries_per_s.value / 100.0;
    assert!((0.098..=0.1005).contains(&ratio), "retries per call {ratio:.4}, budget 0.1");
}

#[test]
fn a_breaker_opens_after_min_calls_and_probes_every_open_period() {
    // Every call fails. Deterministic arrivals every 100 ms: the first 10
    // calls fail and open the breaker; from then on each 5 s period lets one
    // probe through (which fails and reopens it) and short-circuits the 49
    // other calls.
    let back = r#"[services.back.ops.work]
        error_rate = 1.0"#;
    let s = summary(&front(
        "10/s",
        "deterministic",
        r#"breaker = { failure_rate = 0.5, window = "10s", min_calls = 10, open_for = "5s" }"#,
        back,
        r#"duration = "1001s"
        replications = 2
        seed = 57"#,
    ));
    let c = &s.calls[0];
    assert_eq!(c.breaker_opens.value, 1.0, "opened once from closed: {c:?}");
    let per_s = 1.0 / s.observed_s.value;
    // 10 real failures, then 200 periods of 1 probe + 49 short-circuits.
    assert!((c.short_circuited_per_s.value - 49.0 * 200.0 * per_s).abs() <= 2.0 * per_s, "{c:?}");
    assert!(c.breaker_open.value > 0.995, "{c:?}");
    assert!((s.classes[0].errors["circuit_open"].value - 0.98).abs() < 0.001);
}

#[test]
fn a_breaker_stays_closed_below_its_failure_rate_and_serves_the_fallback_when_open() {
    let back = |rate: f64| format!("[services.back.ops.work]\nerror_rate = {rate}");
    let sim = r#"duration = "2000s"
        replications = 5
        seed = 59"#;
    let closed = summary(&front(
        "10/s",
        "poisson",
        r#"breaker = { failure_rate = 0.5, window = "10s", open_for = "5s" }"#,
        &back(0.2),
        sim,
    ));
    assert_eq!(closed.calls[0].breaker_opens.value, 0.0);
    assert_agrees("errors pass through", &closed.classes[0].errors["server_error"], 0.2, 0.1);
    let fallback = summary(&front(
        "10/s",
        "poisson",
        r#"breaker = { failure_rate = 0.5, window = "10s", open_for = "5s", fallback = true }"#,
        &back(1.0),
        sim,
    ));
    // While open, calls are skipped as successes: only the calls that opened
    // it and one probe per 5 s open period (about 50 calls) fail.
    let errors = fallback.classes[0].error_ratio.value;
    assert!((0.015..0.025).contains(&errors), "{:?}", fallback.classes[0].error_ratio);
}

#[test]
fn a_token_bucket_admits_rate_times_time_plus_burst() {
    // 1000 requests/s offered for 10 s to a limiter of 100/s with bursts of 20.
    let text = r#"
        [simulation]
        duration = "10s"
        seed = 61

        [workload.main]
        target = "api.get"
        rate = "1000/s"
        process = "deterministic"

        [services.api]
        threads = 1000
        rate_limit = { rate = "100/s", burst = 20, per = "service" }

        [services.api.ops.get]
        demand = "const(1us)"
    "#;
    let s = summary(text);
    let c = &s.classes[0];
    assert!((c.completed as i64 - 1020).abs() <= 1, "admitted {}", c.completed);
    assert!((c.failed as i64 - (10_000 - 1020)).abs() <= 1, "refused {}", c.failed);
    assert!(c.errors["rate_limited"].value > 0.89);
}

#[test]
fn a_per_client_limit_stops_the_crawler_not_the_users() {
    let text = r#"
        [simulation]
        duration = "100s"
        replications = 3
        seed = 63

        [workload.users]
        target = "api.get"
        rate = "500/s"
        clients = 500

        [workload.crawler]
        target = "api.get"
        rate = "5000/s"

        [services.api]
        threads = 10000
        rate_limit = { rate = "10/s", burst = 20 }

        [services.api.ops.get]
        demand = "const(1us)"
    "#;
    let s = summary(text);
    assert!(s.classes[0].error_ratio.value < 1e-3, "users limited: {:?}", s.classes[0].error_ratio);
    // 10/s for 100 s plus the initial burst of 20, in each of 3 replications.
    assert!((s.classes[1].completed as i64 - 3 * 1020).abs() <= 3, "crawler admitted {}", s.classes[1].completed);
}

#[test]
fn honouring_retry_after_turns_429s_into_successes() {
    let text = |honor: bool| {
        format!(
            r#"
            [simulation]
            duration = "500s"
            replications = 3
            seed = 65

            [workload.main]
            target = "client.send"
            rate = "8/s"

            [services.client]
            concurrency = "event_loop"

            [services.client.ops.send]
            steps = [{{ call = "api.get", retry = {{ attempts = 3, backoff = "1ms", jitter = "none", honor_retry_after = {honor} }} }}]

            [services.api]
            threads = 1000
            rate_limit = {{ rate = "10/s", burst = 1, per = "service" }}

            [services.api.ops.get]
            demand = "const(1ms)"
            "#
        )
    };
    let impatient = summary(&text(false));
    let patient = summary(&text(true));
    // Bursty traffic at 80% of the limit with no burst allowance: retrying
    // after 1 ms hits the same empty bucket, waiting for the next token gets through.
    assert!(impatient.classes[0].errors["rate_limited"].value > 0.2);
    assert!(
        patient.classes[0].errors["rate_limited"].value < 0.3 * impatient.classes[0].errors["rate_limited"].value,
        "patient {:?} impatient {:?}",
        patient.classes[0].errors["rate_limited"],
        impatient.classes[0].errors["rate_limited"]
    );
}

#[test]
fn load_shedding_bounds_the_wait_of_admitted_requests() {
    // M/M/1 at rho 0.95 waits 190 ms on average; shedding arrivals whose
    // expected wait exceeds 50 ms keeps the admitted ones near that bound.
    let text = |shed: &str| {
        format!(
            r#"
            [simulation]
            duration = "5000s"
            warmup = "100s"
            replications = 5
            seed = 67

            [workload.main]
            target = "api.get"
            rate = "95/s"

            [services.api]
            {shed}

            [services.api.ops.get]
            demand = "exp(10ms)"
            "#
        )
    };
    let open = summary(&text(""));
    let shed = summary(&text(r#"shed_wait = "50ms""#));
    assert!(open.services[0].mean_wait_s.value > 0.15);
    assert!(shed.services[0].mean_wait_s.value < 0.05, "{:?}", shed.services[0].mean_wait_s);
    let shed_ratio = shed.classes[0].errors["shed"].value;
    assert!(shed_ratio > 0.01 && shed_ratio < 0.2, "shed {shed_ratio}");
}
