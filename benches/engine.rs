//! Benchmarks of the hot paths: the whole run (TOML to summary) on M/M/1 and
//! the three-tier model, the engine's basic build against its general one,
//! balancing over large fleets, and the pieces each event touches (event
//! list, sampling, histogram recording). Throughput is in model events (arrivals + service
//! completions), the unit the issue targets quote.
//!
//! Run with `cargo bench --bench engine`; `capsim run MODEL --perf` prints
//! the same figure for any model.

use std::hint::black_box;

use capsim::dist::Dist;
use capsim::kernel::{EventKind, EventQueue};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;

const MM1: &str = r#"
[simulation]
requests = 200000
seed = 1
[workload.main]
target = "server.handle"
rate = "0.9/s"
[services.server.ops.handle]
demand = "exp(1s)"
"#;

fn whole_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    let web = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/web-3tier.toml")).unwrap();
    let web = web.replace("replications = 5", "replications = 1").replace("duration = \"60s\"", "duration = \"20s\"");
    for (name, text) in [("mm1_rho0.9", MM1.to_string()), ("web_3tier", web)] {
        let net = capsim::model::from_str(&text).unwrap();
        let events = capsim::kernel::simulate(&net, 0).events;
        group.throughput(Throughput::Elements(events));
        group.bench_function(name, |b| {
            b.iter(|| {
                let net = capsim::model::from_str(black_box(&text)).unwrap();
                capsim::run::run(&net).summary
            })
        });
    }
    group.finish();
}

/// The engine built for basic networks against the general build, on the
/// peer benchmark's three-tier model (one replication of 10 s).
fn builds(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(20);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/models/three-tier.toml");
    let net = capsim::model::load(&path, &["simulation.duration=\"10s\"".to_string()]).unwrap();
    assert!(capsim::kernel::is_basic(&net));
    group.throughput(Throughput::Elements(capsim::kernel::simulate(&net, 0).events));
    group.bench_function("three_tier_basic", |b| b.iter(|| capsim::kernel::simulate(black_box(&net), 0).events));
    group.bench_function("three_tier_general", |b| {
        b.iter(|| capsim::kernel::simulate_general(black_box(&net), 0).events)
    });
    group.finish();
}

/// Balancing over large fleets (benches/models/fleet.toml: one service of
/// 8-thread instances at 70% load): least connections and join-shortest-queue
/// pick through a tournament tree in O(log n); round robin for reference.
fn balancing(c: &mut Criterion) {
    let mut group = c.benchmark_group("balance");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(3));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/models/fleet.toml");
    for n in [1_000u32, 10_000] {
        // About 300,000 events a run, whatever the fleet.
        let seconds = 3_000_000 / (112 * n);
        for (name, policy) in
            [("round_robin", "round_robin"), ("least_connections", "least_connections"), ("jsq", "join_shortest_queue")]
        {
            let set = [
                format!("services.pool.instances={n}"),
                format!("workload.main.rate=\"{}/s\"", n * 28 / 5),
                format!("services.pool.balance=\"{policy}\""),
                "simulation.warmup=\"1s\"".to_string(),
                format!("simulation.duration=\"{seconds}s\""),
            ];
            let net = capsim::model::load(&path, &set).unwrap();
            group.throughput(Throughput::Elements(capsim::kernel::simulate(&net, 0).events));
            group.bench_function(format!("{name}_{n}_instances"), |b| {
                b.iter(|| capsim::kernel::simulate(black_box(&net), 0).events)
            });
        }
    }
    group.finish();
}

fn pieces(c: &mut Criterion) {
    let mut group = c.benchmark_group("pieces");
    group.throughput(Throughput::Elements(1000));
    // Depth 64: an open model's few dozen pending events; 10,000: a closed
    // model of 10,000 users, where the heap no longer fits in L1.
    for depth in [64u64, 10_000] {
        group.bench_function(format!("event_queue_push_pop_1000_at_depth_{depth}"), |b| {
            let mut q = EventQueue::new(depth as usize * 2, 0);
            for t in 0..depth {
                q.schedule(t * 1000, EventKind::Arrival { class: 0 });
            }
            let mut now = 0;
            b.iter(|| {
                for _ in 0..1000 {
                    let ev = q.pop().unwrap();
                    now = ev.time;
                    q.schedule(now + depth * 1000, ev.kind);
                }
                black_box(now)
            })
        });
    }
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    for text in ["exp(5ms)", "lognormal(mean=25ms, cv=0.5)", "gamma(mean=10ms, cv=0.7)"] {
        let d = Dist::parse(text).unwrap();
        group.bench_function(format!("sample_1000_{text}"), |b| {
            b.iter(|| (0..1000).map(|_| d.sample(&mut rng)).sum::<f64>())
        });
    }
    group.bench_function("histogram_record_1000", |b| {
        let mut h = capsim::stats::latency_histogram();
        b.iter(|| {
            for i in 0..1000u64 {
                h.saturating_record(1_000 + i * 7_919);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, whole_runs, builds, balancing, pieces);
criterion_main!(benches);
