//! Instance failures: capacity lost while instances are down, the survivors'
//! utilisation, the health-check delay, retries over the failure, and
//! messages redelivered rather than lost.

use crate::support::{assert_agrees, summary};

/// `instances` single-threaded app servers behind `balance`, each serving
/// exp(`work`), at `rate`, failing as `failures` says (empty: never).
fn fleet(rate: &str, instances: u32, balance: &str, work: &str, failures: &str, sim: &str) -> String {
    format!(
        r#"
        [simulation]
        {sim}

        [workload.main]
        target = "app.get"
        rate = "{rate}"

        [services.app]
        instances = {instances}
        balance = "{balance}"
        {failures}

        [services.app.ops.get]
        demand = "exp({work})"
        "#
    )
}

const LONG: &str = r#"duration = "40000s"
        warmup = "100s"
        replications = 10
        seed = 91"#;

#[test]
fn a_failure_removes_capacity_and_the_survivors_utilisation_rises() {
    // 0.8 cores of work over 4 instances: 20% each when all are up.
    let healthy = summary(&fleet("10/s", 4, "least_connections", "80ms", "", LONG));
    assert_agrees("utilisation, no failures", &healthy.services[0].utilisation, 0.2, 0.02);

    // Up 400 s, down 100 s on average: availability 0.8, so 3.2 instances up
    // on average, and the same work over them is 25% each.
    let failures = r#"failures = { mttf = "exp(400s)", mttr = "exp(100s)" }"#;
    let s = summary(&fleet("10/s", 4, "least_connections", "80ms", failures, LONG));
    let app = &s.services[0];
    assert_agrees("instances up", &app.mean_instances, 3.2, 0.02);
    assert_agrees("instances down", &app.mean_down, 0.8, 0.06);
    // An alternating renewal process fails once per mttf + mttr.
    assert_agrees("failures per hour", &app.failures_per_hour, 4.0 * 3600.0 / 500.0, 0.05);
    assert_agrees("survivors' utilisation", &app.utilisation, 0.25, 0.02);
    assert!(app.utilisation.value > 1.2 * healthy.services[0].utilisation.value);
    // Requests fail when all four are down at once (0.2^4 = 0.0016 of the
    // time) and with the work on an instance when it fails (about rho each).
    let lost = s.classes[0].errors["instance_down"].value;
    assert!(lost > 0.0 && lost < 0.004, "lost fraction {lost}");
    // Cost follows the instances paid for, down ones included.
    assert_agrees("mean up + down", &app.mean_instances, 4.0 - app.mean_down.value, 0.02);
}

#[test]
fn the_balancer_sends_work_to_a_failed_instance_until_the_health_check_notices() {
    // Two instances, each down 30 s in every 300 s on average; the health
    // check needs 10 s to notice. Per instance: up (U) 0.9, down and
    // unnoticed (X) 1/30, down and noticed (D) 1/15, independently. A request
    // fails when round robin picks an X, or when no instance is in rotation:
    // U/X half the time, X/X, D/X and D/D always.
    let (u, x, d) = (0.9, 1.0 / 30.0, 1.0 / 15.0);
    let expected = 2.0 * u * x * 0.5 + x * x + 2.0 * d * x + d * d;
    let failures = r#"failures = { mttf = "exp(270s)", mttr = "const(30s)", detect = "10s" }"#;
    let s = summary(&fleet("10/s", 2, "round_robin", "1ms", failures, LONG));
    assert_agrees("failed by an unnoticed failure", &s.classes[0].errors["instance_down"], expected, 0.08);

    // Noticed at once, only both down at the same time fails requests: 0.1².
    // (Rare, long episodes: the interval is wide, but far from the 0.04 above.)
    let failures = r#"failures = { mttf = "exp(270s)", mttr = "const(30s)" }"#;
    let s = summary(&fleet("10/s", 2, "round_robin", "1ms", failures, LONG));
    assert_agrees("failed with both down", &s.classes[0].errors["instance_down"], 0.01, 0.25);
}

#[test]
fn work_in_flight_on_a_failed_instance_fails_back_to_its_caller_which_may_retry() {
    let model = |retry: &str| {
        format!(
            r#"
            [simulation]
            duration = "20000s"
            replications = 4
            seed = 92

            [workload.main]
            target = "api.get"
            rate = "50/s"

            [services.api]
            threads = 100
            cores = 100

            [services.api.ops.get]
            steps = [{{ call = "db.query"{retry} }}]

            [services.db]
            instances = 3
            threads = 4
            failures = {{ mttf = "exp(300s)", mttr = "exp(20s)", detect = "5s" }}

            [services.db.ops.query]
            demand = "exp(10ms)"
            "#
        )
    };
    let bare = summary(&model(""));
    let lost = bare.classes[0].errors["instance_down"].value;
    assert!(lost > 0.005, "failures should cost requests without retries: {lost}");
    // Backoffs of 1, 2 and 4 s outlast the 5 s health check: the last
    // attempts go to instances that are up, unless all three are down.
    let retried = summary(&model(r#", retry = { attempts = 4, backoff = "1s", factor = 2 }"#));
    let left = retried.classes[0].error_ratio.value;
    assert!(left < lost / 10.0, "retries should hide most failures: {left} left of {lost}");
    // The retries are the extra load the failures cause.
    assert!(retried.calls[0].retries_per_s.value > 0.5 * lost * 50.0);
}

#[test]
fn a_consumer_that_fails_has_its_messages_redelivered_not_lost() {
    let text = r#"
        [simulation]
        duration = "20000s"
        warmup = "100s"
        replications = 4
        seed = 93

        [workload.main]
        target = "front.submit"
        rate = "4/s"

        [queues.jobs]
        consumer = "workers.run"

        [services.front]
        concurrency = "event_loop"

        [services.front.ops.submit]
        steps = [{ publish = "jobs" }]

        [services.workers]
        instances = 3
        threads = 2
        failures = { mttf = "exp(300s)", mttr = "exp(60s)" }

        [services.workers.ops.run]
        demand = "exp(500ms)"
        "#;
    let s = summary(text);
    let q = &s.queues[0];
    assert_eq!(q.failed_per_s.value, 0.0, "a consumer's failure must not lose a message");
    assert_agrees("messages consumed", &q.consumed_per_s, 4.0, 0.02);
    // Work redone after a failure shows as extra busy time: (1 + ~rho per failure) x 2 cores.
    assert!(s.services[1].mean_down.value > 0.4);
    assert_eq!(s.classes[0].error_ratio.value, 0.0, "the 202 does not depend on the consumers");
}

#[test]
fn failures_are_reproducible_and_leave_other_services_streams_alone() {
    let failures = r#"failures = { mttf = "exp(50s)", mttr = "exp(5s)", detect = "1s" }"#;
    let sim = r#"duration = "2000s"
        replications = 2
        seed = 5"#;
    let a = summary(&fleet("40/s", 4, "power_of_two", "20ms", failures, sim));
    let b = summary(&fleet("40/s", 4, "power_of_two", "20ms", failures, sim));
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
}

#[test]
fn a_fleet_without_a_spare_instance_is_warned_about() {
    let warnings = |rate: &str| {
        let failures = r#"failures = { mttf = "exp(10h)", mttr = "exp(10m)" }"#;
        capsim::model::from_str(&fleet(rate, 3, "round_robin", "20ms", failures, "duration = \"10s\""))
            .unwrap()
            .warnings
    };
    // 70% of three instances: two left would be at 105%.
    let w = warnings("105/s");
    assert!(w.iter().any(|w| w.contains("`app` has no spare instance")), "{w:?}");
    // 60%: two left at 90% still cope.
    assert!(warnings("90/s").is_empty());
    // 99% of all three, but they are up 98.4% of the time.
    let w = warnings("148.5/s");
    assert!(w.iter().any(|w| w.contains("saturated on average once failures count")), "{w:?}");
}
