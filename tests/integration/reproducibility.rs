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
