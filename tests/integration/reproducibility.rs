//! Same model and seed give the same numbers, bit for bit, whatever the
//! thread count; a new component does not shift the others' draws.

use crate::support::summary;

const MODEL: &str = r#"
[simulation]
duration = "500s"
replications = 4
seed = 99

[workload.main]
target = "app.get"
rate = "50/s"

[services.app]
instances = 3
threads = 4
cores = 2
balance = "power_of_two"

[services.app.ops.get]
demand = "gamma(mean=30ms, cv=0.7)"
steps = [{ branch = [{ p = 0.3, call = "db.read", count = 2 }, { p = 0.7 }] }]

[services.db]
threads = 2

[services.db.ops.read]
demand = "exp(4ms)"
"#;

fn json(text: &str, threads: usize) -> String {
    let net = capsim::model::from_str(text).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let s = pool.install(|| capsim::run::run(&net).summary);
    serde_json::to_string(&s).unwrap()
}

#[test]
fn same_seed_same_bits_for_any_thread_count() {
    let one = json(MODEL, 1);
    assert_eq!(one, json(MODEL, 2));
    assert_eq!(one, json(MODEL, 3));
}

#[test]
fn different_seed_different_numbers() {
    assert_ne!(json(MODEL, 1), json(&MODEL.replace("seed = 99", "seed = 100"), 1));
}

#[test]
fn adding_a_class_leaves_other_streams_alone() {
    // A second class on its own service: the first class's arrivals and the
    // app's demands come from streams named after them, so the first class's
    // arrival count is unchanged.
    let extra = format!(
        "{MODEL}\n[workload.other]\ntarget = \"batch.run\"\nrate = \"1/s\"\n\n[services.batch.ops.run]\ndemand = \"exp(1s)\"\n"
    );
    let before = summary(MODEL);
    let after = summary(&extra);
    assert_eq!(before.classes[0].completed, after.classes[0].completed);
    assert_eq!(before.classes[0].latency_s.p99, after.classes[0].latency_s.p99);
}

/// Every shipped model, with the peer benchmark's: the engine built for
/// basic networks (`kernel::is_basic`) gives the general engine's bits.
#[test]
fn the_basic_engine_gives_the_general_engines_bits() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut basic = Vec::new();
    for dir in ["models", "benches/peers/models"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("model folder exists") {
            let path = entry.expect("readable entry").path();
            if path.extension().is_none_or(|e| e != "toml") || path.file_name().is_some_and(|n| n == "catalog.toml") {
                continue;
            }
            let overrides = ["simulation.requests=5000".to_string()];
            let net = capsim::model::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
            if !capsim::kernel::is_basic(&net) {
                continue;
            }
            let metrics = |stats| serde_json::to_string(&capsim::stats::RunMetrics::new(&net, &stats)).unwrap();
            let specialised = metrics(capsim::kernel::simulate(&net, 1));
            assert_eq!(specialised, metrics(capsim::kernel::simulate_general(&net, 1)), "{}", path.display());
            basic.push(path);
        }
    }
    // The four peer models and the textbook ones are basic.
    assert!(basic.len() >= 6, "only {} basic models: {basic:?}", basic.len());
}

/// Each mechanism that the basic engine leaves out makes a network general.
#[test]
fn any_mechanism_the_basic_engine_leaves_out_makes_a_network_general() {
    let net = |text: &str| capsim::model::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!capsim::kernel::is_basic(&net(MODEL)), "MODEL has more threads than cores");
    let basic = MODEL.replace("cores = 2\n", "");
    assert!(capsim::kernel::is_basic(&net(&basic)));
    let with = |table: &str, line: &str| basic.replacen(table, &format!("{table}\n{line}"), 1);
    for (what, text) in [
        ("run limit", with("[simulation]", "max_events = 100000")),
        ("per-client arrivals", with("[workload.main]", "clients = 10")),
        ("bursts", with("[workload.main]", "bursts = { factor = 3, every = \"exp(60s)\", lasting = \"exp(5s)\" }")),
        ("rate limit", with("[services.db]", "rate_limit = { rate = \"100/s\", burst = 10 }")),
        ("instance failures", with("[services.db]", "failures = { mttf = \"exp(100s)\", mttr = \"exp(1s)\" }")),
        ("load shedding", with("[services.db]", "shed_wait = \"50ms\"")),
        ("injected errors", with("[services.db.ops.read]", "error_rate = 0.01")),
        ("per-item work", with("[services.db.ops.read]", "per_item = \"exp(1ms)\"")),
    ] {
        assert!(!capsim::kernel::is_basic(&net(&text)), "{what}: {text}");
    }
}
