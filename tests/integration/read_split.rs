//! Reads spread over a database's primary and its replicas
//! (`primary_read`): a fixed share behaves as two independent M/M/c
//! stations at the split rates, the least loaded policy as the pooled
//! servers, staleness counts replica reads only, and theory splits the load
//! as the simulation does.

use capsim::model::from_str;
use capsim::theory;

use crate::support::{assert_agrees, summary};

/// Reads at `rate` over a primary of `p_threads` and one replica instance
/// per entry of `replicas` threads, every read `exp(10ms)`; `extra` goes
/// under `[databases.main]`.
fn model(rate: f64, p_threads: u32, replicas: u32, r_threads: u32, extra: &str, writes: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "2000s"
        warmup = "50s"
        replications = 8
        seed = 7

        [workload.read]
        target = "api.get"
        rate = "{rate}/s"

        [workload.write]
        target = "api.put"
        rate = "{writes}/s"

        [databases.main]
        keys = 1000
        zipf = 1.0
        lag = "exp(2s)"
        read = "replica.query"
        write = "primary.update"
        primary_read = "primary.query"
        {extra}

        [services.api]
        threads = "unlimited"
        cores = 64
        [services.api.ops.get]
        steps = [{{ read = "main" }}]
        [services.api.ops.put]
        steps = [{{ write = "main" }}]

        [services.primary]
        threads = {p_threads}
        [services.primary.ops.query]
        demand = "exp(10ms)"
        [services.primary.ops.update]
        demand = "exp(10ms)"

        [services.replica]
        instances = {replicas}
        threads = {r_threads}
        balance = "least_connections"
        [services.replica.ops.query]
        demand = "exp(10ms)"
        "#
    )
}

#[test]
fn a_fixed_primary_share_makes_two_independent_mmc_stations() {
    let (rate, share) = (500.0, 0.3);
    let s = summary(&model(rate, 2, 1, 4, "primary_share = 0.3", 0.0));
    let (primary, replica) = (&s.services[1], &s.services[2]);
    let p = theory::mmc(share * rate, 100.0, 2).unwrap();
    let r = theory::mmc((1.0 - share) * rate, 100.0, 4).unwrap();
    assert_agrees("primary utilisation", &primary.utilisation, p.utilisation, 0.02);
    assert_agrees("replica utilisation", &replica.utilisation, r.utilisation, 0.02);
    assert_agrees("primary wait (M/M/2)", &primary.mean_wait_s, p.mean_wait, 0.1);
    assert_agrees("replica wait (M/M/4)", &replica.mean_wait_s, r.mean_wait, 0.1);
    let db = &s.databases[0];
    assert_agrees("primary reads", db.primary_reads_per_s.as_ref().unwrap(), share * rate, 0.02);
}

#[test]
fn reads_spread_by_load_behave_as_the_pooled_servers() {
    // One primary and one replica of 3 threads each: 6 servers at 80%.
    let rate = 480.0;
    let s = summary(&model(rate, 3, 1, 3, "", 0.0));
    let pooled = theory::mmc(rate, 100.0, 6).unwrap();
    let apart = theory::mmc(rate / 2.0, 100.0, 3).unwrap();
    let latency = &s.classes[0].latency_s.mean;
    // Joining the less loaded of two queues is not quite one queue: within
    // 10% of M/M/6, and far from two M/M/3 taking half each.
    let gap = (latency.value - pooled.mean_response).abs() / pooled.mean_response;
    assert!(gap < 0.10, "mean read {} vs M/M/6 {}", latency.value, pooled.mean_response);
    assert!(latency.value < 0.9 * apart.mean_response, "pooling gains: {} vs {}", latency.value, apart.mean_response);
    // Symmetric sides share the reads evenly.
    assert_agrees("primary share of reads", s.databases[0].primary_reads_per_s.as_ref().unwrap(), rate / 2.0, 0.02);
}

#[test]
fn adding_a_replica_adds_read_capacity_to_the_primary() {
    // The primary alone (2 threads) holds at most 200 reads/s; with a replica of 2 threads, 400.
    let net = from_str(&model(300.0, 2, 1, 2, "", 0.0)).unwrap();
    let s = capsim::run::run(&net).summary;
    assert!(s.warnings.iter().all(|w| !w.contains("saturat")), "{:?}", s.warnings);
    assert_agrees("read throughput", &s.classes[0].throughput_per_s, 300.0, 0.02);
    assert_agrees("primary utilisation", &s.services[1].utilisation, 0.75, 0.03);
    assert_agrees("replica utilisation", &s.services[2].utilisation, 0.75, 0.03);
}

#[test]
fn stale_reads_are_counted_for_replica_reads_only() {
    // Every read on the primary: nothing is stale, however much is written.
    let s = summary(&model(100.0, 4, 1, 4, "primary_share = 1.0", 50.0));
    let db = &s.databases[0];
    assert_eq!(db.stale_ratio_all.as_ref().unwrap().value, 0.0);
    assert_eq!(db.primary_reads_per_s.as_ref().unwrap().value, db.reads_per_s.value);
    // Half on the primary: stale replica reads as before, half as many among all reads.
    let s = summary(&model(100.0, 4, 1, 4, "primary_share = 0.5", 50.0));
    let db = &s.databases[0];
    assert!(db.stale_ratio.value > 0.05, "replica reads see the lag: {}", db.stale_ratio.value);
    let share = db.primary_reads_per_s.as_ref().unwrap().value / db.reads_per_s.value;
    let expected = db.stale_ratio.value * (1.0 - share);
    let all = db.stale_ratio_all.as_ref().unwrap();
    assert!((all.value - expected).abs() < 0.1 * expected, "stale of all reads {} vs {expected}", all.value);
}

#[test]
fn theory_splits_reads_as_the_simulation_does() {
    // A fixed share: exact.
    let net = from_str(&model(500.0, 2, 1, 4, "primary_share = 0.3", 40.0)).unwrap();
    let a = capsim::analysis::analyse(&net);
    let s = capsim::run::run(&net).summary;
    for i in [1, 2] {
        assert_agrees(&net.services[i].name, &s.services[i].utilisation, a.services[i].utilisation, 0.02);
    }
    // By load, with writes on the primary: theory equalises the two sides'
    // load, which the simulation approaches under load (within 3% here).
    let net = from_str(&model(600.0, 4, 1, 4, "", 40.0)).unwrap();
    let a = capsim::analysis::analyse(&net);
    let s = capsim::run::run(&net).summary;
    assert!((a.services[1].utilisation - a.services[2].utilisation).abs() < 1e-9);
    let total = |u: [f64; 2]| u[0] * 4.0 + u[1] * 4.0;
    let (sim, th) = (
        [s.services[1].utilisation.value, s.services[2].utilisation.value],
        [a.services[1].utilisation, a.services[2].utilisation],
    );
    assert!((total(sim) - total(th)).abs() < 0.02 * total(th), "busy servers {sim:?} vs {th:?}");
    for k in 0..2 {
        assert!((sim[k] - th[k]).abs() < 0.03, "utilisation {sim:?} vs theory {th:?}");
    }
}

#[test]
fn primary_reads_are_checked_where_they_are_written() {
    let good = model(100.0, 2, 1, 2, "", 0.0);
    let err =
        from_str(&good.replace(r#"primary_read = "primary.query""#, r#"primary_read = "replica.query""#)).unwrap_err();
    assert!(err.to_string().contains("`primary_read` is an operation of the primary `primary`"), "{err}");
    assert!(err.line.is_some());
    let err = from_str(&good.replace(r#"primary_read = "primary.query""#, "primary_share = 0.5")).unwrap_err();
    assert!(err.to_string().contains("`primary_share` needs `primary_read`"), "{err}");
    let err =
        from_str(&good.replace(r#"primary_read = "primary.query""#, r#"primary_read = "primary.qery""#)).unwrap_err();
    assert!(err.to_string().contains("did you mean \"primary.query\""), "{err}");
}
