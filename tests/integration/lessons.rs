//! Each teaching model's lesson, asserted with numbers, so the models keep
//! teaching what their opening comments promise.

use std::path::Path;

use capsim::run::Summary;

fn run(model: &str, overrides: &[&str]) -> Summary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(model);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let net = capsim::model::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    capsim::run::run(&net).summary
}

/// Mean time a visit spends at a service (waiting plus in service), by Little's law.
fn residence(s: &Summary, service: &str) -> f64 {
    let v = s.services.iter().find(|v| v.name == service).unwrap();
    (v.mean_in_service.value + v.mean_queue_len.value) / v.throughput_per_s.value
}

#[test]
fn pool_exhaustion_hurts_the_app_tier_more_than_the_database() {
    let normal = run("pool-exhaustion.toml", &[]);
    let slow = run("pool-exhaustion.toml", &["services.db.ops.query.demand=exp(15ms)"]);
    let db_factor = residence(&slow, "db") / residence(&normal, "db");
    let app_factor = slow.classes[0].latency_s.mean.value / normal.classes[0].latency_s.mean.value;
    assert!((2.7..3.3).contains(&db_factor), "the database itself slows 3x, got {db_factor:.2}");
    assert!(app_factor > 2.0 * db_factor, "app latency grew {app_factor:.1}x, the database {db_factor:.1}x");
    assert!(slow.pools[0].exhausted.value > 0.7, "{:?}", slow.pools[0].exhausted);
    assert!(normal.pools[0].exhausted.value < 0.05);
}

#[test]
fn batching_beats_twelve_round_trips() {
    let chatty = run("feed.toml", &["workload.feed.rate=300/s"]);
    let batched = run(
        "feed.toml",
        &[
            "workload.feed.rate=300/s",
            "services.feed.ops.page.steps.0.count=1",
            "services.posts.ops.get.demand=gamma(mean=14ms, cv=0.3)",
        ],
    );
    let (c, b) = (chatty.classes[0].latency_s.p99.value, batched.classes[0].latency_s.p99.value);
    assert!(b < 0.6 * c, "batched p99 {b:.4} s is not clearly below chatty p99 {c:.4} s");
    // The chatty page makes 12 times as many calls to the posts service.
    let calls = |s: &Summary| s.services[1].throughput_per_s.value;
    assert!((calls(&chatty) / calls(&batched) - 12.0).abs() < 0.5);
}

#[test]
fn closed_users_level_off_at_the_bottleneck() {
    let few = run("closed-users.toml", &["workload.users.users=20", "simulation.duration=500s"]);
    let many = run("closed-users.toml", &["workload.users.users=300", "simulation.duration=500s"]);
    // The database (20 ms per request) caps throughput at 50/s however many users come.
    assert!(many.classes[0].throughput_per_s.value > 48.0 && many.classes[0].throughput_per_s.value < 50.5);
    assert!(few.classes[0].throughput_per_s.value < 10.0);
    assert!(many.classes[0].latency_s.mean.value > 10.0 * few.classes[0].latency_s.mean.value);
}
