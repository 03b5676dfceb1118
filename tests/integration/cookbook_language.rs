//! The cookbook pages that use arms with steps, `do` and reads on the
//! primary: each model runs, and its lesson holds against its own intervals.

use std::path::Path;

use capsim::model::load;

use crate::support::assert_agrees;

fn model(name: &str, overrides: &[&str]) -> capsim::Network {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cookbook").join(name);
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load(&path, &overrides).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn utilisation(s: &capsim::stats::Summary, name: &str) -> capsim::stats::Estimate {
    s.services.iter().find(|x| x.name == name).unwrap().utilisation
}

#[test]
fn cache_aside_database_carries_the_misses_and_redis_every_get_and_a_set_per_miss() {
    let (rate, hit) = (600.0, 0.8);
    let s = capsim::run::run(&model("cache-aside.toml", &[])).summary;
    assert_agrees("profile throughput", &s.classes[0].throughput_per_s, rate, 0.02);
    // (1 - h) x rate queries of 12 ms on 8 cores.
    assert_agrees("postgres", &utilisation(&s, "pg"), (1.0 - hit) * rate * 0.012 / 8.0, 0.1);
    // Every get (0.1 ms) and a set (0.12 ms) per miss on one thread.
    assert_agrees("redis", &utilisation(&s, "redis"), rate * 0.0001 + (1.0 - hit) * rate * 0.00012, 0.05);
    // A cold cache: half the gets miss, and Postgres carries 2.5 times the load.
    let cold = capsim::run::run(&model(
        "cache-aside.toml",
        &["services.api.ops.cached_user.steps.1.branch.0.p=0.5", "services.api.ops.cached_user.steps.1.branch.1.p=0.5"],
    ))
    .summary;
    assert_agrees("postgres, cold cache", &utilisation(&cold, "pg"), 0.5 * rate * 0.012 / 8.0, 0.05);
}

#[test]
fn primary_replicas_a_replica_adds_read_capacity_instead_of_replacing_the_primary() {
    let net = model("primary-replicas.toml", &[]);
    let s = capsim::run::run(&net).summary;
    let db = &s.databases[0];
    assert_agrees("reads", &db.reads_per_s, 1400.0, 0.02);
    // Both sides read, and are about equally busy (theory equalises them).
    let (p, r) = (utilisation(&s, "pg_primary"), utilisation(&s, "pg_replica"));
    let theory = capsim::analysis::analyse(&net);
    assert!((p.value - r.value).abs() < 0.03, "primary {} vs replica {}", p.value, r.value);
    assert!((p.value - theory.services[1].utilisation).abs() < 0.02, "primary {} vs theory", p.value);
    // A primary read is never stale: the stale share of all reads is below the replicas'.
    let share = db.primary_reads_per_s.as_ref().unwrap().value / db.reads_per_s.value;
    assert!(share > 0.4 && share < 0.5, "the primary, which also writes, serves a bit less than half: {share}");
    assert!(db.stale_ratio_all.as_ref().unwrap().value < db.stale_ratio.value);
    // Headroom: one more replica raises it; read from the replicas only and
    // one replica cannot hold the load.
    let headroom = |n: &capsim::Network| capsim::analysis::analyse(n).bottleneck.headroom.unwrap();
    let one = headroom(&net);
    let two = headroom(&model("primary-replicas.toml", &["services.pg_replica.instances=2"]));
    assert!(two > 1.4 * one, "a second replica: {one:.3} -> {two:.3}");
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cookbook/primary-replicas.toml"))
            .unwrap();
    let replicas_only = capsim::model::from_str(&text.replace("primary_read = \"pg_primary.select\"", "")).unwrap();
    assert!(headroom(&replicas_only) < 1.0, "replicas only: {}", headroom(&replicas_only));
    assert!(one > 1.3, "with the primary reading too: {one}");
}
