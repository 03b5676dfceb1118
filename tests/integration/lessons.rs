//! Each teaching model's lesson, asserted with numbers, so the models keep
//! teaching what their opening comments promise.

use std::path::Path;

use capsim::stats::Summary;

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
    let chatty = run("chatty-feed.toml", &["workload.feed.rate=300/s"]);
    let batched = run("batched-feed.toml", &["workload.feed.rate=300/s"]);
    // The model implies 12 x (1 ms + 1 ms) = 24 ms of posts work per chatty
    // page against 1 ms + 12 x 1 ms = 13 ms batched, in 12 calls against 1.
    let posts = |s: &Summary| s.services.iter().find(|v| v.name == "posts").unwrap().clone();
    let calls = posts(&chatty).throughput_per_s.value / posts(&batched).throughput_per_s.value;
    assert!((calls - 12.0).abs() < 0.5, "calls ratio {calls:.2}");
    let work = posts(&chatty).utilisation.value / posts(&batched).utilisation.value;
    assert!((work - 24.0 / 13.0).abs() < 0.06, "posts work ratio {work:.3}, want {:.3}", 24.0 / 13.0);
    // Without any queueing a page takes 5 + 24 ms chatty, 5 + 13 ms batched;
    // the chatty page also queues 12 times at a 90%-busy service.
    let (c, b) = (&chatty.classes[0].latency_s, &batched.classes[0].latency_s);
    assert!(b.mean.value > 0.018 && b.mean.value < 0.0205, "batched mean {:?}", b.mean);
    assert!(c.mean.value > 0.029 + 12.0 * 0.001, "chatty mean {:?}", c.mean);
    assert!(b.p99.value < 0.4 * c.p99.value, "batched p99 {:?} against chatty p99 {:?}", b.p99, c.p99);
}

#[test]
fn read_replicas_carry_the_reads_and_popular_rows_go_stale() {
    let two = run("read-replicas.toml", &[]);
    let service = |s: &Summary, name: &str| s.services.iter().find(|v| v.name == name).unwrap().clone();
    // The primary only sees the 60 writes/s; reads are spread over 2 replicas.
    assert!(service(&two, "primary").throughput_per_s.value < 62.0);
    assert!(service(&two, "replica").throughput_per_s.value > 880.0);
    assert!(two.classes[0].latency_s.p99.value < 0.1, "{:?}", two.classes[0].latency_s.p99);
    // One replica cannot carry 900 reads/s of 12 ms on 8 threads (135%).
    let one = run("read-replicas.toml", &["services.replica.instances=1"]);
    assert!(service(&one, "replica").utilisation.value > 0.99);
    assert!(one.classes[0].latency_s.p99.value > 20.0 * two.classes[0].latency_s.p99.value);
    // Zipf popularity makes stale reads over 100 times more common than uniform keys.
    let uniform = run("read-replicas.toml", &["databases.catalog.zipf=0"]);
    let (z, u) = (two.databases[0].stale_ratio.value, uniform.databases[0].stale_ratio.value);
    assert!(z > 0.1 && z > 100.0 * u, "stale reads: Zipf {z:.4}, uniform {u:.6}");
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

#[test]
fn a_slow_database_under_aggressive_retries_collapses_unless_budgeted() {
    let slow = "services.db.ops.query.demand=exp(36ms)";
    let normal = run("retry-storm.toml", &[]);
    let storm = run("retry-storm.toml", &[slow]);
    let guarded = run(
        "retry-storm.toml",
        &[
            slow,
            "services.api.ops.handle.steps.0.retry.budget=0.1",
            r#"services.api.ops.handle.steps.0.breaker={failure_rate=0.5, window="10s", open_for="2s"}"#,
        ],
    );
    assert!(normal.classes[0].error_ratio.value < 0.001);
    // 90% of the database's capacity would still be enough without retries;
    // with them, timed-out queries run on as orphans and nothing succeeds.
    assert!(storm.classes[0].error_ratio.value > 0.95, "{:?}", storm.classes[0].error_ratio);
    assert!(storm.calls[0].attempts_per_s.value > 3.0 * 400.0, "{:?}", storm.calls[0].attempts_per_s);
    // A budget and a breaker keep most requests alive on the same hardware.
    assert!(guarded.classes[0].error_ratio.value < 0.3, "{:?}", guarded.classes[0].error_ratio);
    assert!(guarded.calls[0].retries_per_s.value < 0.11 * 400.0);
}

#[test]
fn a_per_client_rate_limit_protects_users_from_the_crawler() {
    let open = run("rate-limited-api.toml", &[]);
    let limited = run("rate-limited-api.toml", &[r#"services.api.rate_limit={rate="20/s", burst=40}"#]);
    let users = |s: &Summary| s.classes.iter().find(|c| c.name == "users").unwrap().clone();
    // Without a limiter the crawler's 10,000/s overload the API for everyone.
    assert!(users(&open).error_ratio.value > 0.5);
    assert!(users(&open).latency_s.p99.value > 0.1);
    // With one, users see an idle API and the crawler gets 429s.
    assert!(users(&limited).error_ratio.value < 0.001);
    assert!(users(&limited).latency_s.p99.value < 0.02);
    let crawler = limited.classes.iter().find(|c| c.name == "crawler").unwrap();
    assert!(crawler.errors["rate_limited"].value > 0.99);
}

#[test]
fn a_queue_frees_the_api_from_a_slow_synchronous_endpoint() {
    let sync = run("async-image-processing.toml", &[]);
    let queued = run("async-image-processing.toml", &["workload.uploads.target=api.upload_async"]);
    let class = |s: &Summary, name: &str| s.classes.iter().find(|c| c.name == name).unwrap().clone();
    // Synchronous uploads hold most of the api's threads: browsing queues behind them.
    assert!(class(&sync, "browse").latency_s.p99.value > 0.5, "{:?}", class(&sync, "browse").latency_s.p99);
    // With a queue the api answers 202 at once and browsing is fast again.
    assert!(class(&queued, "browse").latency_s.p99.value < 0.05);
    assert!(class(&queued, "uploads").latency_s.p99.value < 0.05);
    // The image is still ready about 10 s after the upload; the client learns
    // it a few seconds later, for about 3.6 polls.
    let q = &queued.queues[0];
    assert!((9.5..12.0).contains(&q.latency_mean_s.value), "{:?}", q.latency_mean_s);
    assert!(q.seen_done_s.value > q.latency_mean_s.value && q.seen_done_s.value < q.latency_mean_s.value + 5.0);
    assert!((3.0..4.5).contains(&q.polls_per_message.value), "{:?}", q.polls_per_message);
}

#[test]
fn an_autoscaled_fleet_follows_the_day_late_but_cheaper_than_peak_sizing() {
    let scaled = run("autoscaling-diurnal.toml", &["simulation.replications=1"]);
    let fixed = run(
        "autoscaling-diurnal.toml",
        &["simulation.replications=1", "services.api.autoscale.min=7", "services.api.instances=7"],
    );
    let series = scaled.series.as_ref().unwrap();
    let instances = &series.services[0].instances;
    let most = instances.iter().cloned().fold(0.0, f64::max);
    // 18 busy cores at the peak need 7 instances of 4 cores at 70%; at night 2 suffice.
    assert!((6.0..=8.0).contains(&most), "peak fleet {most}");
    assert_eq!(instances[12], 2.0, "night (1 h)");
    // The lunchtime jump arrives before the new instances: p99 spikes while they boot.
    let p99_between = |from: f64, to: f64| {
        series
            .t_s
            .iter()
            .zip(&series.classes[0].p99_s)
            .filter(|(t, _)| (from * 3600.0..to * 3600.0).contains(*t))
            .map(|(_, p)| *p)
            .fold(0.0, f64::max)
    };
    let (spike, before) = (p99_between(12.01, 12.5), p99_between(11.0, 11.5));
    assert!(spike > 1.5 * before, "p99 at lunchtime {spike} against {before} before it");
    // Paying for the average fleet costs about half of sizing for the peak.
    assert!(scaled.cost.per_hour < 0.6 * fixed.cost.per_hour, "{} vs {}", scaled.cost.per_hour, fixed.cost.per_hour);
}

#[test]
fn one_failed_server_of_three_hurts_the_tail_and_n_plus_one_rides_through() {
    let never = "services.app.failures.mttf=exp(100000000h)";
    let p99 = |s: &Summary| s.classes[0].latency_s.p99.value;
    let p999 = |s: &Summary| s.classes[0].latency_s.p999.value;
    let three = run("instance-failures.toml", &["simulation.replications=4"]);
    let three_sound = run("instance-failures.toml", &[never, "simulation.duration=4h"]);
    assert!(p99(&three) > 1.25 * p99(&three_sound), "{} against {}", p99(&three), p99(&three_sound));
    assert!(p999(&three) > 3.0 * p999(&three_sound), "{} against {}", p999(&three), p999(&three_sound));
    let four = run("instance-failures.toml", &["services.app.instances=4"]);
    let four_sound = run("instance-failures.toml", &["services.app.instances=4", never, "simulation.duration=4h"]);
    assert!(p99(&four) < 1.1 * p99(&four_sound), "{} against {}", p99(&four), p99(&four_sound));
    assert!(p999(&four) < 1.5 * p999(&four_sound), "{} against {}", p999(&four), p999(&four_sound));
    assert!(four.cost.per_hour > 1.3 * three.cost.per_hour);

    // Round robin sends a third of the traffic to a dead server for the 30 s
    // the health check needs: failures per hour x 30 s / 3 of all requests.
    let rr = run("instance-failures.toml", &["services.app.balance=round_robin"]);
    let failures_per_hour = 3.0 / (62.0 / 60.0);
    let expected = failures_per_hour * 30.0 / 3600.0 / 3.0;
    let got = rr.classes[0].errors["instance_down"].value;
    assert!((got - expected).abs() < 0.25 * expected, "round robin lost {got}, expected about {expected}");
    // Least connections sees a dead server as idle and sends it more.
    assert!(three.classes[0].errors["instance_down"].value > 1.5 * got);
}
