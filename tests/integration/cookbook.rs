//! The cookbook (docs/cookbook.md): every recipe's model checks, is linked
//! from the index and has its page, and each recipe's lesson holds, against
//! theory or the hand-worked figure its page prints.

use std::path::Path;
use std::process::Command;

use capsim::policy::WritePolicy;
use capsim::stats::{Estimate, Summary};

use crate::support::assert_agrees;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(model: &str, overrides: &[&str]) -> Summary {
    let path = root().join("models/cookbook").join(model);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let net = capsim::model::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    capsim::run::run(&net).summary
}

fn class<'a>(s: &'a Summary, name: &str) -> &'a capsim::stats::ClassSummary {
    s.classes.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no class `{name}`"))
}

fn service<'a>(s: &'a Summary, name: &str) -> &'a capsim::stats::ServiceSummary {
    s.services.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no service `{name}`"))
}

fn operation(s: &Summary, name: &str) -> Estimate {
    s.operations.iter().find(|o| o.name == name).unwrap_or_else(|| panic!("no operation `{name}`")).throughput_per_s
}

/// `value` is within `rel` of `want`, or within twice its own interval.
#[track_caller]
fn near(what: &str, e: &Estimate, want: f64, rel: f64) {
    let tol = (rel * want.abs()).max(2.0 * e.ci95.unwrap_or(0.0));
    assert!((e.value - want).abs() <= tol, "{what}: {:.5} ± {:?}, want {want:.5} (±{tol:.5})", e.value, e.ci95);
}

/// Stems of the files with extension `ext` in `dir`.
fn stems(dir: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn every_recipe_checks_is_linked_and_has_its_page() {
    let index = std::fs::read_to_string(root().join("docs/cookbook.md")).expect("docs/cookbook.md");
    let models = stems(&root().join("models/cookbook"), "toml");
    let pages = stems(&root().join("docs/cookbook"), "md");
    assert!(models.len() >= 11, "expected the cookbook's models, found {models:?}");
    for stem in &models {
        let rel = format!("models/cookbook/{stem}.toml");
        let out =
            Command::new(env!("CARGO_BIN_EXE_capsim")).args(["check", &rel]).current_dir(root()).output().unwrap();
        assert!(out.status.success(), "capsim check {rel}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(index.contains(&format!("(cookbook/{stem}.md)")), "docs/cookbook.md does not link {stem}.md");
        assert!(pages.contains(stem), "{rel} has no page docs/cookbook/{stem}.md");
        let text = std::fs::read_to_string(root().join(&rel)).unwrap();
        assert!(
            text.contains("# Try:") && text.contains(&format!("capsim run {rel}")),
            "{rel}: its header should say what to try, with `capsim run {rel}`"
        );
    }
    for stem in &pages {
        assert!(models.contains(stem), "docs/cookbook/{stem}.md has no model models/cookbook/{stem}.toml");
        let page = std::fs::read_to_string(root().join("docs/cookbook").join(format!("{stem}.md"))).unwrap();
        assert!(page.contains(&format!("models/cookbook/{stem}.toml")), "{stem}.md does not name its model");
        assert!(page.contains("## Your numbers"), "{stem}.md has no `## Your numbers` section");
    }
}

#[test]
fn every_recipe_runs_without_warnings_at_its_defaults() {
    for stem in stems(&root().join("models/cookbook"), "toml") {
        let s = run(&format!("{stem}.toml"), &[]);
        assert!(s.warnings.is_empty(), "{stem}.toml warns at its defaults: {:#?}", s.warnings);
        for c in &s.classes {
            assert!(c.completed > 0, "{stem}.toml: class `{}` completed nothing", c.name);
        }
    }
}

#[test]
fn n_plus_one_costs_the_database_n_plus_one_queries_a_page() {
    let chatty = run("n-plus-one.toml", &[]);
    let join = run("n-plus-one.toml", &["workload.orders.target=api.orders_join"]);
    let pages = class(&chatty, "orders").throughput_per_s.value;
    assert_agrees("queries per second, N+1", &service(&chatty, "db").throughput_per_s, 21.0 * pages, 0.02);
    let pages = class(&join, "orders").throughput_per_s.value;
    assert_agrees("queries per second, join", &service(&join, "db").throughput_per_s, pages, 0.02);
    // Hardly any queueing: a page takes its own 3 ms, 21 round trips of 0.4 ms
    // and 0.3 + 20 x 0.25 ms of queries; the join 3 + 0.4 + 2 ms.
    near("N+1 page mean", &class(&chatty, "orders").latency_s.mean, 0.003 + 21.0 * 0.0004 + 0.0053, 0.03);
    near("join page mean", &class(&join, "orders").latency_s.mean, 0.003 + 0.0004 + 0.002, 0.03);
}

/// Erlang's loss formula B(c, a): the share of arrivals that find all c servers busy.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

#[test]
fn a_bulkhead_keeps_the_slow_dependency_from_starving_the_fast_one() {
    let with = run("bulkhead.toml", &[]);
    // Browsing does not notice the payment incident.
    let browse = class(&with, "browse");
    assert_eq!(browse.failed, 0, "{:?}", browse.errors);
    assert!(browse.latency_s.p99.value < 0.05, "browse p99 {:?}", browse.latency_s.p99);
    // Checkouts overflow the 8-connection bulkhead per instance: an Erlang
    // loss system with 12.5 checkouts/s x 2 s = 25 erlangs offered to each
    // (round robin makes the arrivals a little smoother than Poisson).
    let lost = &class(&with, "checkout").error_ratio;
    near("checkouts refused by the bulkhead", lost, erlang_b(8, 25.0), 0.03);
    assert!(with.pools[0].exhausted.value > 0.6, "{:?}", with.pools[0].exhausted);
    // Without the bulkhead the checkouts take every api thread and browsing starves.
    let without = run("bulkhead.toml", &["pools.payments.size=1000"]);
    let browse = class(&without, "browse");
    assert!(browse.error_ratio.value > 0.2 && browse.latency_s.p99.value > 1.0, "{:?}", browse.latency_s.p99);
    // On a normal day (150 ms) the bulkhead refuses almost nothing.
    let normal = run("bulkhead.toml", &["services.payments.ops.charge.demand=lognormal(mean=150ms, cv=0.5)"]);
    assert!(class(&normal, "checkout").error_ratio.value < 0.005);
}

#[test]
fn a_timeout_caps_the_fan_out_and_turns_its_tail_into_errors() {
    // P(one call is later than 150 ms) for hyperexp(p=0.98, 20 ms; 0.02, 1 s):
    // recs is a delay station, so a call's time is its service time.
    let q = 0.98 * (-0.150f64 / 0.020).exp() + 0.02 * (-0.150f64 / 1.0).exp();
    let timed = run("fan-out-timeout.toml", &[]);
    let home = class(&timed, "home");
    assert_agrees("pages failed by the timeout", &home.error_ratio, 1.0 - (1.0 - q).powi(10), 0.1);
    // The successful pages waited at most the timeout, plus the profile call and their CPU.
    assert!(home.latency_s.max.value < 0.150 + 0.03, "max {:?}", home.latency_s.max);
    let nine = run("fan-out-timeout.toml", &["services.web.ops.home.steps.1.quorum=9"]);
    let two_late = 1.0 - (1.0 - q).powi(10) - 10.0 * q * (1.0 - q).powi(9);
    assert_agrees("pages with two late calls", &class(&nine, "home").error_ratio, two_late, 0.2);
    let patient = run("fan-out-timeout.toml", &["services.web.ops.home.steps.1.timeout=1h"]);
    let home = class(&patient, "home");
    assert_eq!(home.failed, 0);
    assert!(
        home.latency_s.p99.value > 1.0,
        "without a timeout the p99 waits for a slow call: {:?}",
        home.latency_s.p99
    );
}

#[test]
fn a_queue_levels_the_burst_and_the_workers_run_flat_out_until_it_is_gone() {
    let s = run("load-leveller.toml", &[]);
    let orders = class(&s, "orders");
    assert_eq!(orders.failed, 0);
    assert!(orders.latency_s.p99.value < 0.02, "the 202 stays fast: {:?}", orders.latency_s.p99);
    let q = &s.queues[0];
    assert_agrees("consumed = published", &q.consumed_per_s, q.published_per_s.value, 0.03);
    // Mean rate 150 x (0.2 + 0.8 x 0.15) = 48/s at 100 ms on 8 workers.
    assert_agrees("workers' mean utilisation", &service(&s, "workers").utilisation, 48.0 * 0.1 / 8.0, 0.04);
    // Through a cycle: busy from the burst's start until the backlog
    // (70/s x 60 s = 4,200 at its peak) drains 73 s after it ends.
    let series = s.series.as_ref().expect("the model records a series");
    let workers = s.services.iter().position(|v| v.name == "workers").unwrap();
    let util = &series.services[workers].utilisation;
    for (i, t) in series.t_s.iter().enumerate() {
        let phase = t % 300.0;
        if (20.0..=120.0).contains(&phase) {
            assert!(util[i] > 0.97, "workers at t = {t} s: {:.3}", util[i]);
        }
    }
    let peak = series.queue_depth[0].iter().cloned().fold(0.0, f64::max);
    assert!((3500.0..4600.0).contains(&peak), "peak backlog {peak:.0}, about 70 x 60 = 4,200 expected");
    // Without the queue the api waits on the workers and overflows.
    let sync = run("load-leveller.toml", &["workload.orders.target=api.order_sync"]);
    assert!(class(&sync, "orders").error_ratio.value > 0.1);
}

#[test]
fn the_outbox_never_fails_the_request_and_delivers_every_event() {
    let s = run("outbox.toml", &[]);
    assert_agrees("dual writes failing after the commit", &class(&s, "dual").error_ratio, 0.01, 0.3);
    assert_eq!(class(&s, "outbox").failed, 0);
    let q = &s.queues[0];
    assert_eq!(q.failed_per_s.value, 0.0, "1% refusals, 5 attempts: no event lost");
    assert_agrees("every outbox row published", &q.consumed_per_s, q.published_per_s.value, 0.03);
    // One more database write per order: insert + insert-with-event + mark-sent.
    let orders = class(&s, "dual").throughput_per_s.value / (1.0 - 0.01) + class(&s, "outbox").throughput_per_s.value;
    near("database statements", &service(&s, "db").throughput_per_s, 1.5 * orders, 0.03);
    // The request is faster: it no longer waits on the broker (5 ms + a round trip).
    let (dual, outbox) = (&class(&s, "dual").latency_s.mean, &class(&s, "outbox").latency_s.mean);
    assert!(dual.value - outbox.value > 0.004, "dual {dual:?}, outbox {outbox:?}");
    // A broker in trouble: the relay retries, the requests never notice.
    let bad = run("outbox.toml", &["services.kafka.ops.produce.error_rate=0.2"]);
    assert_eq!(class(&bad, "outbox").failed, 0);
    assert_agrees("dual writes failing", &class(&bad, "dual").error_ratio, 0.2, 0.1);
    assert!(bad.queues[0].failed_per_s.value < 0.1, "0.2^5 of 100/s: {:?}", bad.queues[0].failed_per_s);
}

#[test]
fn the_origin_behind_a_cdn_sees_only_the_misses() {
    let s = run("cdn-edge.toml", &["caches.pages.ttl=60s", "simulation.warmup=600s", "simulation.duration=60s"]);
    let cache = &s.caches[0];
    let theory = capsim::theory::ttl_hit_ratio(200_000, 0.9, 60.0, 3000.0, 0.0, WritePolicy::Invalidate).unwrap();
    near("hit ratio against the TTL cache's theory", &cache.hit_ratio, theory, 0.01);
    assert_agrees("origin renders = misses", &service(&s, "origin").throughput_per_s, cache.misses_per_s.value, 0.03);
    near("misses = (1 - h) x rate", &cache.misses_per_s, (1.0 - theory) * 3000.0, 0.04);
    // A hit is answered at the edge in 1 ms.
    near("p50 (a hit)", &class(&s, "pages").latency_s.p50, 0.001, 0.01);
}

#[test]
fn retries_ride_out_bursts_but_not_the_quota() {
    let retried = run("third-party-api.toml", &[]);
    let single = run("third-party-api.toml", &["services.shop.ops.checkout.steps.0.retry.attempts=1"]);
    let (r, o) = (class(&retried, "checkout").error_ratio.value, class(&single, "checkout").error_ratio.value);
    assert!(o > 0.005 && r < o / 3.0, "429s without retries {o:.4}, with {r:.4}");
    // Over the quota, 100 calls/s succeed whatever the retries do, and the rest fail.
    for attempts in ["4", "1"] {
        let over = run(
            "third-party-api.toml",
            &["workload.checkout.rate=130/s", &format!("services.shop.ops.checkout.steps.0.retry.attempts={attempts}")],
        );
        let c = class(&over, "checkout");
        near("successful checkouts at the quota", &c.throughput_per_s, 100.0, 0.01);
        near("refused share", &c.error_ratio, 1.0 - 100.0 / 130.0, 0.05);
    }
}

#[test]
fn a_thread_pool_saturates_at_threads_over_latency_and_an_event_loop_does_not() {
    let s = run("event-loop.toml", &[]);
    // 2 instances x 16 threads, each held 2 ms + 100 ms: 313.7 requests/s.
    let threaded = class(&s, "threaded");
    near("thread pool's throughput", &threaded.throughput_per_s, 32.0 / 0.102, 0.015);
    assert!(service(&s, "threaded").thread_utilisation.value > 0.99);
    assert!(threaded.error_ratio.value > 0.15, "the rest is rejected: {:?}", threaded.error_ratio);
    let evented = class(&s, "evented");
    assert_eq!(evented.failed, 0);
    near("event loop's throughput", &evented.throughput_per_s, 400.0, 0.01);
    assert_agrees("event loop's CPU", &service(&s, "evented").utilisation, 400.0 * 0.002 / 4.0, 0.05);
    assert!(evented.latency_s.p99.value < 0.25, "{:?}", evented.latency_s.p99);
}

#[test]
fn connections_bound_the_database_until_the_cores_do() {
    let s = run("database-connections.toml", &[]);
    // 2,000 queries/s x 2 ms over 8 cores; connections held 5.3 ms each over 24.
    assert_agrees("database cores", &service(&s, "pg").utilisation, 2000.0 * 0.002 / 8.0, 0.02);
    assert_agrees("pool in use", &s.pools[0].utilisation, 2000.0 * 0.0053 / 24.0, 0.02);
    assert_eq!(class(&s, "web").failed, 0);
    // A pool of 8: 8 / 5.3 ms = 1,509 queries/s, with the cores 38% busy.
    let small = run("database-connections.toml", &["pools.pgbouncer.size=8"]);
    assert_agrees("queries through 8 connections", &service(&small, "pg").throughput_per_s, 8.0 / 0.0053, 0.02);
    assert_agrees("cores behind 8 connections", &service(&small, "pg").utilisation, 8.0 / 0.0053 * 0.002 / 8.0, 0.02);
    assert!(class(&small, "web").error_ratio.value > 0.2);
}

#[test]
fn write_behind_answers_at_cache_speed_for_the_same_database_work() {
    let s = run("write-caches.toml", &[]);
    // Write-through: 1 ms + (0.3 + 6 ms) database + (0.3 + 0.06 ms) Redis;
    // write-behind: 1 ms + the Redis set.
    near("write-through mean", &class(&s, "through").latency_s.mean, 0.001 + 0.0063 + 0.00036, 0.03);
    near("write-behind mean", &class(&s, "behind").latency_s.mean, 0.001 + 0.00036, 0.03);
    let writes = class(&s, "through").throughput_per_s.value + class(&s, "behind").throughput_per_s.value;
    assert_agrees("database writes", &operation(&s, "db.write"), writes, 0.03);
    // The database lags the cache by the flusher's queue: one write's time, here.
    near("write-behind lag", &s.queues[0].latency_mean_s, 0.0063, 0.05);
    // Updating the entry keeps reads hitting; deleting it sends them to the database.
    let deleting = run("write-caches.toml", &["caches.profiles.on_write=invalidate"]);
    assert!(s.caches[0].hit_ratio.value > deleting.caches[0].hit_ratio.value + 0.05);
}

#[test]
fn the_servers_model_obeys_the_utilisation_law() {
    let s = run("servers.toml", &[]);
    let rate = class(&s, "web").throughput_per_s.value;
    for (name, per_request_s, cores) in [
        ("nginx", 60e-6, 4.0),
        ("node", 1.5e-3, 6.0),
        ("jvm", 4e-3, 12.0),
        ("pg", 0.1 * 3e-3, 8.0),
        ("redis", 40e-6, 1.0),
    ] {
        near(&format!("{name} utilisation"), &service(&s, name).utilisation, rate * per_request_s / cores, 0.05);
    }
    near("external API calls", &service(&s, "maps").throughput_per_s, 0.05 * rate, 0.06);
}
