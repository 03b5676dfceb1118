//! Balancing over large fleets: least connections and join-shortest-queue
//! pick through a tournament tree from 64 active instances on, and must
//! pick exactly what scanning every instance picks, through autoscaling,
//! failures, full queues, priorities and consumers taking messages. (In the
//! test build every pick through the tree is also checked against the scan.)

/// One service of `instances` 4-thread instances at `load` of its threads.
fn fleet(instances: u32, balance: &str, load: f64, extra: &str) -> String {
    let rate = load * 4.0 * f64::from(instances);
    format!(
        r#"
[simulation]
duration = "20s"
warmup = "2s"
replications = 1
seed = 3

[workload.main]
target = "pool.handle"
rate = "{:.3}/s"
priority = 0

[workload.low]
target = "pool.handle"
rate = "{:.3}/s"
priority = 1

[services.pool]
instances = {instances}
threads = 4
balance = "{balance}"
{extra}

[services.pool.ops.handle]
demand = "exp(1s)"
"#,
        rate * 0.8,
        rate * 0.2
    )
}

/// Competing consumers that also take direct calls, failing now and then.
fn consumers(balance: &str) -> String {
    format!(
        r#"
[simulation]
duration = "30s"
warmup = "2s"
replications = 1
seed = 5

[workload.direct]
target = "workers.resize"
rate = "250/s"

[workload.uploads]
target = "api.upload"
rate = "150/s"

[queues.resize]
consumer = "workers.resize"

[services.api]
instances = 2
threads = 64

[services.api.ops.upload]
demand = "exp(1ms)"
steps = [{{ publish = "resize" }}]

[services.workers]
instances = 100
threads = 6
balance = "{balance}"
failures = {{ mttf = "exp(300s)", mttr = "exp(2s)", detect = "0.5s" }}

[services.workers.ops.resize]
demand = "exp(1s)"
"#
    )
}

#[test]
fn the_tree_picks_what_scanning_every_instance_picks() {
    let mut models = Vec::new();
    for balance in ["least_connections", "join_shortest_queue"] {
        // Just below, at and above the threshold, and well above it.
        for n in [63, 64, 65, 300] {
            models.push((format!("{balance}, {n} instances"), fleet(n, balance, 0.8, "")));
        }
        models.push((
            format!("{balance}, overloaded, priorities, short queues"),
            fleet(100, balance, 1.05, "discipline = \"priority\"\nqueue_limit = 3"),
        ));
        models.push((format!("{balance}, processor sharing"), fleet(80, balance, 0.6, "cores = 2")));
        // The fleet grows past the threshold and shrinks below it.
        models.push((
            format!("{balance}, autoscaled"),
            fleet(
                40,
                balance,
                0.9,
                "autoscale = { metric = \"utilisation\", target = 0.5, min = 10, max = 150, window = \"2s\", delay = \"1s\", cooldown = \"2s\" }",
            )
            .replace("rate = ", "profile = { points = [[\"0s\", 0.2], [\"6s\", 2.0], [\"12s\", 0.2]], period = \"20s\" }\nrate = "),
        ));
        // Noticed at once, or after the balancer sent a dead instance work.
        for detect in ["0s", "0.3s"] {
            models.push((
                format!("{balance}, failures noticed after {detect}"),
                fleet(
                    90,
                    balance,
                    0.8,
                    &format!("failures = {{ mttf = \"exp(400s)\", mttr = \"exp(1s)\", detect = \"{detect}\" }}"),
                ),
            ));
        }
        models.push((format!("{balance}, consumers"), consumers(balance)));
    }
    for (name, text) in models {
        let net = capsim::model::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let metrics = |stats| serde_json::to_string(&capsim::stats::RunMetrics::new(&net, &stats)).unwrap();
        let scanned = capsim::kernel::simulate_scanning(&net, 0);
        assert!(scanned.events > 2_000, "{name}: only {} events", scanned.events);
        let scanned = metrics(scanned);
        assert_eq!(metrics(capsim::kernel::simulate(&net, 0)), scanned, "{name}");
        if capsim::kernel::is_basic(&net) {
            assert_eq!(metrics(capsim::kernel::simulate_general(&net, 0)), scanned, "{name}: general build");
        }
    }
}
