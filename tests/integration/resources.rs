//! Shared resources against theory: connection pools (M/M/c with waiting,
//! Erlang B without), fork-join and quorum fan-out (order statistics of
//! exponentials), and event-loop services that do not saturate on
//! downstream latency where thread-per-request services do.

use capsim::theory;

use crate::support::{assert_agrees, assert_littles_law, summary};

/// A client with plenty of threads calls a backend with plenty of threads
/// through a pool of `size` connections: the pool is the only queue.
fn pooled(size: u32, timeout: &str, rate: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "40000s"
        warmup = "2000s"
        replications = 10
        seed = 17

        [workload.main]
        target = "app.handle"
        rate = "{rate}/s"

        [pools.conns]
        size = {size}
        {timeout}

        [services.app]
        threads = 10000

        [services.app.ops.handle]
        steps = [{{ call = "db.query", pool = "conns" }}]

        [services.db]
        threads = 10000

        [services.db.ops.query]
        demand = "exp(1s)"
        "#
    )
}

#[test]
fn pool_with_unlimited_waiting_behaves_as_mmc() {
    let s = summary(&pooled(4, "", 3.2));
    let t = theory::mmc(3.2, 1.0, 4).unwrap();
    let pool = &s.pools[0];
    assert_agrees("pool wait", &pool.mean_wait_s, t.mean_wait, 0.06);
    assert_agrees("pool utilisation", &pool.utilisation, t.utilisation, 0.02);
    assert_agrees("response", &s.classes[0].latency_s.mean, t.mean_response, 0.03);
    assert_littles_law(&s);
}

#[test]
fn pool_without_waiting_room_blocks_as_erlang_b() {
    let s = summary(&pooled(4, "wait_timeout = \"0s\"", 3.2));
    let blocking = theory::erlang_b(4, 3.2);
    assert_agrees("blocking", &s.classes[0].errors["pool_timeout"], blocking, 0.04);
    // Time-average exhaustion equals blocking for Poisson arrivals (PASTA).
    assert_agrees("exhausted", &s.pools[0].exhausted, blocking, 0.04);
}

#[test]
fn pool_wait_timeout_fails_the_slow_waiters() {
    let s = summary(&pooled(2, "wait_timeout = \"100ms\"", 2.5));
    let c = &s.classes[0];
    assert!(c.errors["pool_timeout"].value > 0.2, "{:?}", c.errors);
    assert!(s.pools[0].mean_wait_s.value < 0.1);
}

fn fan_out(parallel: u32, quorum: u32) -> String {
    format!(
        r#"
        [simulation]
        duration = "40000s"
        warmup = "1000s"
        replications = 10
        seed = 23

        [workload.main]
        target = "gateway.search"
        rate = "0.5/s"

        [services.gateway]
        threads = 10000

        [services.gateway.ops.search]
        steps = [{{ call = "shard.query", parallel = {parallel}, quorum = {quorum} }}]

        [services.shard]
        threads = 10000

        [services.shard.ops.query]
        demand = "exp(1s)"
        "#
    )
}

#[test]
fn fork_join_waits_for_the_slowest_of_n() {
    // E[max of 8 exponentials] = H_8 = 1 + 1/2 + ... + 1/8.
    let s = summary(&fan_out(8, 8));
    let h8: f64 = (1..=8).map(|i| 1.0 / f64::from(i)).sum();
    assert_agrees("fork-join of 8", &s.classes[0].latency_s.mean, h8, 0.02);
    assert_littles_law(&s);
}

#[test]
fn quorum_waits_for_the_kth_reply() {
    // The 2nd of 5 replies: 1/5 + 1/4.
    let s = summary(&fan_out(5, 2));
    assert_agrees("quorum 2 of 5", &s.classes[0].latency_s.mean, 0.2 + 0.25, 0.02);
    // Stragglers keep running: every copy still reaches the shards.
    let shard = &s.services[1];
    assert_agrees("shard throughput", &shard.throughput_per_s, 2.5, 0.02);
}

fn tier(concurrency: &str) -> String {
    format!(
        r#"
        [simulation]
        duration = "200s"
        warmup = "20s"
        replications = 5
        seed = 29

        [workload.main]
        target = "api.handle"
        rate = "200/s"

        [services.api]
        {concurrency}

        [services.api.ops.handle]
        demand = "exp(1ms)"
        steps = [{{ call = "slow.lookup" }}]

        [services.slow]
        threads = 10000

        [services.slow.ops.lookup]
        demand = "const(100ms)"
        "#
    )
}

#[test]
fn event_loop_does_not_saturate_on_downstream_latency() {
    // 8 threads each held 101 ms serve at most ~79 requests/s: 200/s saturates them,
    // although the CPU is 20% busy. An event loop on 1 core is not bothered.
    let threaded = summary(&tier("threads = 8\ncores = 8\nqueue_limit = 100"));
    let evented = summary(&tier("concurrency = \"event_loop\"\ncores = 1"));
    assert!(threaded.classes[0].error_ratio.value > 0.5, "{:?}", threaded.classes[0].error_ratio);
    assert!(threaded.services[0].thread_utilisation.value > 0.99);
    assert!(threaded.services[0].utilisation.value < 0.3);
    assert_eq!(evented.classes[0].failed, 0);
    assert_agrees("event-loop response", &evented.classes[0].latency_s.mean, 0.101 + 0.001 * 0.2 / 0.8, 0.01);
}

#[test]
fn bad_pools_and_quorums_are_located() {
    let bad_pool = pooled(4, "", 1.0).replace("pool = \"conns\"", "pool = \"conn\"");
    let err = capsim::model::from_str(&bad_pool).unwrap_err();
    assert!(
        err.to_string().contains("no pool named `conn`") && err.to_string().contains("did you mean `conns`"),
        "{err}"
    );
    let bad_quorum = fan_out(3, 4);
    let err = capsim::model::from_str(&bad_quorum).unwrap_err();
    assert!(err.to_string().contains("quorum of 4 out of 3 parallel calls can never be met"), "{err}");
    assert!(err.line.is_some());
}

#[test]
fn network_latency_and_transfer_time_add_to_the_call() {
    let text = r#"
        [simulation]
        duration = "200s"
        replications = 2
        seed = 31

        [network]
        bandwidth = "1Gbps"

        [workload.main]
        target = "client.get"
        rate = "5/s"

        [services.client]
        threads = 1000

        [services.client.ops.get]
        steps = [{ call = "server.data", latency = "const(10ms)", response_size = "1.25MB" }]

        [services.server]
        threads = 1000

        [services.server.ops.data]
    "#;
    let s = summary(text);
    let c = &s.classes[0];
    // 10 ms round trip plus 1.25 MB at 125 MB/s: exactly 20 ms, every time.
    assert!((c.latency_s.mean.value - 0.020).abs() < 1e-6, "{:?}", c.latency_s.mean);
    assert!((c.latency_s.p99.value - 0.020).abs() < 0.020 * 0.001);
    assert_eq!(c.bytes_per_request.value, 1.25e6);
}

#[test]
fn unpaginated_responses_cost_transfer_time() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/pagination.toml");
    let run = |o: &[&str]| {
        let o: Vec<String> = o.iter().map(|s| s.to_string()).collect();
        capsim::run::run(&capsim::model::load(&path, &o).unwrap()).summary
    };
    let full = run(&[]);
    let paged = run(&[
        "services.app.ops.list.steps.0.response_size=10KB",
        "services.api.ops.orders.demand=gamma(mean=2ms, cv=0.5)",
    ]);
    let (f, p) = (&full.classes[0], &paged.classes[0]);
    assert_eq!(f.bytes_per_request.value, 50e6);
    assert_eq!(p.bytes_per_request.value, 10e3);
    // 0.4 s on the wire alone: the full response is at least 0.4 s slower than a page.
    assert!(
        f.latency_s.mean.value - p.latency_s.mean.value > 0.4 + 0.14,
        "{:?} vs {:?}",
        f.latency_s.mean,
        p.latency_s.mean
    );
    assert!(f.latency_s.p99.value > 50.0 * p.latency_s.p99.value);
}

fn cached(keys: u32, zipf: f64, ttl: &str, policy: &str, writes: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "4000s"
        warmup = "400s"
        replications = 10
        seed = 37

        [caches.c]
        keys = {keys}
        zipf = {zipf}
        ttl = "{ttl}"
        lookup = "redis.get"
        on_write = "{policy}"

        [workload.read]
        target = "app.read"
        rate = "100/s"

        [workload.write]
        target = "app.write"
        rate = "{writes}/s"

        [services.app]
        threads = 100000

        [services.app.ops.read]
        steps = [{{ cache = "c", miss = "db.read" }}]

        [services.app.ops.write]
        steps = [{{ write = "c" }}]

        [services.redis]
        threads = 100000

        [services.redis.ops.get]
        demand = "const(1us)"

        [services.db]
        threads = 100000

        [services.db.ops.read]
        demand = "const(1us)"
        "#
    )
}

/// Hit ratio of a TTL cache (filled on a miss, expiring T later) under
/// Poisson requests: sum over keys of p_k * (lambda p_k T) / (1 + lambda p_k T).
fn ttl_hit_ratio(keys: u32, zipf: f64, rate: f64, ttl: f64) -> f64 {
    let weights: Vec<f64> = (1..=keys).map(|k| f64::from(k).powf(-zipf)).collect();
    let total: f64 = weights.iter().sum();
    let direct: f64 = weights
        .iter()
        .map(|w| {
            let p = w / total;
            let x = rate * p * ttl;
            p * x / (1.0 + x)
        })
        .sum();
    // The library's (which offered load behind a cache uses) is the same sum.
    let library = capsim::theory::ttl_hit_ratio(keys, zipf, ttl, rate, 0.0, capsim::policy::WritePolicy::Ignore);
    assert!((library.unwrap() - direct).abs() < 1e-12);
    direct
}

#[test]
fn ttl_cache_hit_ratio_matches_theory_for_uniform_keys() {
    let s = summary(&cached(1000, 0.0, "10s", "invalidate", 0.0));
    let h = ttl_hit_ratio(1000, 0.0, 100.0, 10.0);
    assert!((h - 0.5).abs() < 1e-9);
    assert_agrees("uniform TTL hit ratio", &s.caches[0].hit_ratio, h, 0.01);
}

#[test]
fn ttl_cache_hit_ratio_matches_theory_for_zipf_keys() {
    let s = summary(&cached(5000, 1.1, "20s", "invalidate", 0.0));
    let h = ttl_hit_ratio(5000, 1.1, 100.0, 20.0);
    assert_agrees("Zipf TTL hit ratio", &s.caches[0].hit_ratio, h, 0.01);
}

#[test]
fn the_backend_sees_exactly_the_misses() {
    let s = summary(&cached(1000, 0.0, "10s", "invalidate", 0.0));
    let db = s.services.iter().find(|v| v.name == "db").unwrap();
    let c = &s.caches[0];
    // Every miss is one database read; only a read straddling the end of the
    // window can be counted on one side and not the other.
    let one_request = 1.0 / s.observed_s.value;
    assert!((db.throughput_per_s.value - c.misses_per_s.value).abs() <= one_request, "{db:?} {c:?}");
}

#[test]
fn writes_make_reads_stale_unless_they_invalidate() {
    let ignored = summary(&cached(100, 0.0, "60s", "ignore", 5.0));
    let invalidated = summary(&cached(100, 0.0, "60s", "invalidate", 5.0));
    let updated = summary(&cached(100, 0.0, "60s", "update", 5.0));
    assert!(ignored.caches[0].stale_ratio.value > 0.5, "{:?}", ignored.caches[0].stale_ratio);
    assert_eq!(invalidated.caches[0].stale_ratio.value, 0.0);
    assert_eq!(updated.caches[0].stale_ratio.value, 0.0);
    // Invalidation costs hits; write-through keeps them.
    assert!(invalidated.caches[0].hit_ratio.high() < ignored.caches[0].hit_ratio.low());
    assert!(updated.caches[0].hit_ratio.value >= ignored.caches[0].hit_ratio.low());
}

#[test]
fn ttl_hit_ratio_theory_counts_writes_by_policy() {
    // 100 keys read once a second each and written every 20 s; a 20 s TTL.
    // Invalidation ends an entry at the first write; write-through restarts
    // its TTL; ignoring writes leaves the reads-only ratio.
    use capsim::policy::WritePolicy;
    for (policy, key) in
        [(WritePolicy::Invalidate, "invalidate"), (WritePolicy::Update, "update"), (WritePolicy::Ignore, "ignore")]
    {
        let s = summary(&cached(100, 0.0, "20s", key, 5.0));
        let h = capsim::theory::ttl_hit_ratio(100, 0.0, 20.0, 100.0, 5.0, policy).unwrap();
        // The miss ratio is what the theory has to get right: compare it.
        let miss = capsim::stats::Estimate { value: 1.0 - s.caches[0].hit_ratio.value, ..s.caches[0].hit_ratio };
        assert_agrees(&format!("{key} miss ratio"), &miss, 1.0 - h, 0.05);
        // And the compiled model expects it.
        let net = capsim::model::from_str(&cached(100, 0.0, "20s", key, 5.0)).unwrap();
        assert_eq!(net.caches[0].expected_hit_ratio, Some(h));
    }
}

#[test]
fn bad_caches_are_located() {
    let no_miss =
        cached(10, 0.0, "1s", "invalidate", 0.0).replace("{ cache = \"c\", miss = \"db.read\" }", "{ cache = \"c\" }");
    let err = capsim::model::from_str(&no_miss).unwrap_err();
    assert!(err.to_string().contains("a cache read needs a miss path"), "{err}");
    let unknown = cached(10, 0.0, "1s", "invalidate", 0.0).replace("cache = \"c\"", "cache = \"cc\"");
    let err = capsim::model::from_str(&unknown).unwrap_err();
    assert!(err.to_string().contains("no cache named `cc`") && err.line.is_some(), "{err}");
}

fn replicated(keys: u32, zipf: f64, lag: &str, writes: f64) -> String {
    format!(
        r#"
        [simulation]
        duration = "4000s"
        warmup = "200s"
        replications = 10
        seed = 41

        [databases.d]
        keys = {keys}
        zipf = {zipf}
        lag = "{lag}"
        read = "replica.query"
        write = "primary.update"

        [workload.read]
        target = "app.read"
        rate = "100/s"

        [workload.write]
        target = "app.write"
        rate = "{writes}/s"

        [services.app]
        concurrency = "event_loop"

        [services.app.ops.read]
        steps = [{{ read = "d" }}]

        [services.app.ops.write]
        steps = [{{ write = "d" }}]

        [services.primary]
        threads = 100000

        [services.primary.ops.update]

        [services.replica]
        instances = 3
        threads = 100000

        [services.replica.ops.query]
        demand = "const(1us)"
        "#
    )
}

/// Stale fraction of replica reads: writes to key k arrive as a Poisson
/// stream of rate W p_k, each pending for its lag, so the writes not yet
/// replicated form an M/G/infinity population with mean W p_k E[lag]; a
/// Poisson read finds at least one with probability 1 - exp(-W p_k E[lag]).
fn stale_ratio(keys: u32, zipf: f64, writes: f64, mean_lag: f64) -> f64 {
    let weights: Vec<f64> = (1..=keys).map(|k| f64::from(k).powf(-zipf)).collect();
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| {
            let p = w / total;
            p * (1.0 - (-writes * p * mean_lag).exp())
        })
        .sum()
}

#[test]
fn stale_replica_reads_match_theory_for_uniform_keys() {
    // Any lag distribution gives the same answer (M/G/infinity is insensitive).
    let s = summary(&replicated(100, 0.0, "lognormal(mean=1s, cv=2)", 50.0));
    let want = stale_ratio(100, 0.0, 50.0, 1.0);
    assert!((want - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
    assert_agrees("uniform stale ratio", &s.databases[0].stale_ratio, want, 0.01);
}

#[test]
fn stale_replica_reads_match_theory_for_zipf_keys() {
    let s = summary(&replicated(2000, 1.0, "exp(200ms)", 20.0));
    let want = stale_ratio(2000, 1.0, 20.0, 0.2);
    assert_agrees("Zipf stale ratio", &s.databases[0].stale_ratio, want, 0.02);
}

#[test]
fn reads_go_to_the_replicas_and_writes_to_the_primary() {
    let s = summary(&replicated(100, 0.0, "exp(1s)", 50.0));
    let throughput = |name: &str| s.services.iter().find(|v| v.name == name).unwrap().throughput_per_s.value;
    let one_request = 1.0 / s.observed_s.value;
    assert!((throughput("replica") - s.databases[0].reads_per_s.value).abs() <= one_request);
    assert!((throughput("primary") - s.databases[0].writes_per_s.value).abs() <= one_request);
    assert_agrees("replica reads", &s.databases[0].reads_per_s, 100.0, 0.01);
    assert_agrees("primary writes", &s.databases[0].writes_per_s, 50.0, 0.01);
}

#[test]
fn bad_databases_are_located() {
    let unknown = replicated(10, 0.0, "exp(1s)", 1.0).replace("{ read = \"d\" }", "{ read = \"dd\" }");
    let err = capsim::model::from_str(&unknown).unwrap_err();
    assert!(err.to_string().contains("no database named `dd`") && err.line.is_some(), "{err}");
    let no_op = replicated(10, 0.0, "exp(1s)", 1.0).replace("read = \"replica.query\"", "read = \"replica.get\"");
    let err = capsim::model::from_str(&no_op).unwrap_err();
    assert!(err.to_string().contains("replica.get") && err.key.as_deref() == Some("databases.d.read"), "{err}");
    let no_replicas = replicated(10, 0.0, "exp(1s)", 1.0).replace("instances = 3", "instances = 0");
    let err = capsim::model::from_str(&no_replicas).unwrap_err();
    assert!(err.line.is_some() && err.to_string().contains("instances"), "{err}");
}

#[test]
fn batch_demand_is_a_fixed_part_plus_a_part_per_item() {
    // One server behind a front end that adds no delay: M/G/1 with service
    // 1 ms + 5 x Exp(1 ms), mean 6 ms and variance 25 ms^2.
    let text = r#"
        [simulation]
        duration = "20000s"
        warmup = "500s"
        replications = 10
        seed = 43

        [workload.main]
        target = "front.page"
        rate = "100/s"

        [services.front]
        concurrency = "event_loop"

        [services.front.ops.page]
        steps = [{ call = "back.get", batch = 5 }]

        [services.back.ops.get]
        demand = "const(1ms)"
        per_item = "exp(1ms)"
    "#;
    let s = summary(text);
    let t = capsim::theory::mg1(100.0, 0.006, 25.0 / 36.0).unwrap();
    let back = &s.services[1];
    assert_agrees("batched utilisation", &back.utilisation, 0.6, 0.01);
    assert_agrees("batched M/G/1 wait", &back.mean_wait_s, t.mean_wait, 0.04);
    assert_agrees("batched response", &s.classes[0].latency_s.mean, t.mean_response, 0.03);
}
