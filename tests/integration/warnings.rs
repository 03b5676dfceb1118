//! Warnings say what is actually wrong: a saturated bottleneck of a closed
//! workload is not an unbounded queue, and a loss system (no queue) turning
//! arrivals away is doing its job, not asking for more instances.

use crate::support::summary;

#[test]
fn a_saturated_closed_network_is_called_its_bottleneck_not_unsteady() {
    // 200 users with no think time against one thread: the queue is bounded by the users.
    let s = summary(
        r#"
[simulation]
duration = "200s"
replications = 2
seed = 3

[workload.users]
target = "db.query"
users = 200
think = "exp(1ms)"

[services.db]
threads = 1

[services.db.ops.query]
demand = "exp(10ms)"
"#,
    );
    let w = s.warnings.join("\n");
    assert!(w.contains("bottleneck of the closed workload"), "{w}");
    assert!(!w.contains("steady state"), "the users bound the queue: {w}");
}

#[test]
fn a_loss_system_is_not_told_to_add_instances() {
    // Erlang B: two threads, no queue, offered 2.5 erlangs.
    let s = summary(
        r#"
[simulation]
duration = "2000s"
replications = 2
seed = 3

[workload.calls]
target = "trunk.call"
rate = "2.5/s"

[services.trunk]
threads = 2
queue_limit = 0

[services.trunk.ops.call]
demand = "exp(1s)"
"#,
    );
    let w = s.warnings.join("\n");
    assert!(w.contains("no queue (queue_limit = 0)"), "{w}");
    assert!(!w.contains("Add instances") && !w.contains("steady state"), "rejection is a loss system's point: {w}");
    // And the number it points at is Erlang B's.
    let blocked = s.classes[0].error_ratio.value;
    let erlang_b = capsim::theory::erlang_b(2, 2.5);
    assert!((blocked - erlang_b).abs() < 0.03, "blocked {blocked}, Erlang B {erlang_b}");
}

/// `a` calls `b`, which calls `a` back half the time; `threads` each.
fn call_cycle(threads: u32, rate: &str) -> String {
    format!(
        r#"
[simulation]
duration = "100s"
replications = 2
seed = 1

[workload.main]
target = "a.x"
rate = "{rate}"

[services.a]
threads = {threads}

[services.a.ops.x]
demand = "exp(10ms)"
steps = [{{ call = "b.y" }}]

[services.b]
threads = {threads}

[services.b.ops.y]
demand = "exp(10ms)"
steps = [{{ branch = [{{ p = 0.5, call = "a.x" }}, {{ p = 0.5 }}] }}]
"#
    )
}

#[test]
fn a_cycle_of_thread_holding_calls_is_called_a_deadlock_not_saturation() {
    let s = summary(&call_cycle(1, "5/s"));
    let w = s.warnings.join("\n");
    assert!(w.contains("form a cycle: `a` (1 thread(s)) calls `b` (1 thread(s)) calls `a`"), "{w}");
    assert!(w.contains("deadlocked: every thread of `a` and `b`"), "{w}");
    assert!(!w.contains("Check the utilisation column") && !w.contains("rough estimate"), "symptoms, not causes: {w}");
}

#[test]
fn a_call_cycle_with_threads_to_spare_is_a_risk_not_a_deadlock() {
    let s = summary(&call_cycle(64, "5/s"));
    let w = s.warnings.join("\n");
    assert!(w.contains("form a cycle"), "the risk is still named: {w}");
    assert!(!w.contains("deadlocked"), "it ran: {w}");
    assert!(s.classes[0].throughput_per_s.value > 4.5, "{:?}", s.classes[0].throughput_per_s);
}

#[test]
fn a_call_cycle_of_services_without_a_thread_limit_cannot_deadlock() {
    // Found writing the CDN recipe: an edge with unlimited threads calling
    // itself was warned of a cycle "(4294967295 thread(s))".
    let model = call_cycle(1, "5/s").replace("threads = 1", "threads = \"unlimited\"");
    let s = summary(&model);
    let w = s.warnings.join("\n");
    assert!(!w.contains("form a cycle") && !w.contains("deadlocked"), "{w}");
    assert!(s.classes[0].throughput_per_s.value > 4.5, "{:?}", s.classes[0].throughput_per_s);
    // One limited service on the cycle is enough for the risk.
    let one_limited = call_cycle(1, "5/s").replacen("threads = 1", "threads = \"unlimited\"", 1);
    let w = summary(&one_limited).warnings.join("\n");
    assert!(w.contains("form a cycle: `b` (1 thread(s)) calls `a` (unlimited threads) calls `b`"), "{w}");
}

const WITH_A_SPARE_CACHE: &str = r#"
[simulation]
duration = "20s"
replications = 2

[workload.main]
target = "api.get"
rate = "10/s"

[services.api]
cost_per_hour = 0.1

[services.api.ops.get]
demand = "exp(5ms)"

[services.cache]
instances = 3
cost_per_hour = 0.5

[services.cache.ops.get]
demand = "exp(1ms)"
"#;

#[test]
fn a_service_nothing_reaches_is_named_with_its_bill() {
    let s = summary(WITH_A_SPARE_CACHE);
    let w = s.warnings.join("\n");
    assert!(w.contains("service `cache` is never reached"), "{w}");
    assert!(w.contains("3 instance(s) are billed at $0.50 per hour each"), "{w}");
    assert!((s.cost.per_hour - 1.6).abs() < 1e-9, "still billed: {}", s.cost.per_hour);
}

#[test]
fn a_switched_off_service_costs_nothing_and_must_not_be_reached() {
    let off = WITH_A_SPARE_CACHE.replace("[services.cache]\n", "[services.cache]\nenabled = false\n");
    let s = summary(&off);
    assert!(!s.warnings.iter().any(|w| w.contains("cache")), "{:?}", s.warnings);
    assert!((s.cost.per_hour - 0.1).abs() < 1e-9, "only the api is billed: {}", s.cost.per_hour);
    let reached = off.replace("demand = \"exp(5ms)\"", "demand = \"exp(5ms)\"\nsteps = [{ call = \"cache.get\" }]");
    let err = capsim::model::from_str(&reached).expect_err("a switched-off service cannot be called");
    let shown = err.to_string();
    assert!(shown.contains("`services.cache.enabled`: service `cache` is switched off"), "{shown}");
    assert_eq!(err.line, Some(reached.lines().position(|l| l == "enabled = false").unwrap() + 1), "{shown}");
}
