//! Every model shipped in models/ parses and runs briefly, so none can rot.

use std::path::Path;

use crate::support::assert_littles_law;

#[test]
fn every_shipped_model_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("models/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_none_or(|e| e != "toml") || path.file_name().is_some_and(|n| n == "catalog.toml") {
            continue;
        }
        let overrides = ["simulation.requests=20000".to_string(), "simulation.replications=2".to_string()];
        let net = capsim::model::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
        let s = capsim::run::run(&net).summary;
        // Status polls only flow when the model's requests publish with `poll`.
        for c in s.classes.iter().filter(|c| c.kind != capsim::stats::ClassKind::Poll || c.completed > 0) {
            assert!(c.completed > 0, "{}: class `{}` completed nothing", path.display(), c.name);
            assert!(c.latency_s.p99.value >= c.latency_s.p50.value, "{}: percentiles out of order", path.display());
        }
        for svc in &s.services {
            let u = svc.utilisation.value;
            assert!((0.0..=1.0).contains(&u), "{}: utilisation of `{}` is {u}", path.display(), svc.name);
        }
        assert_littles_law(&s);
        seen += 1;
    }
    assert!(seen >= 4, "expected at least 4 models, found {seen}");
}

#[test]
fn shipped_models_do_not_warn_at_their_defaults() {
    // rate-limited-api is overloaded on purpose: its lesson is what a limit
    // does to a flood, and the saturation warning says so. mm1 (utilisation
    // 0.9) and the synchronous async-image-processing have tails that move in
    // long excursions: their p99's interval is wide, and the tail warning
    // saying so is part of their lesson.
    // k8s-hpa's bursts saturate the fleet for the HPA's reaction time: its
    // p99 rests on those few excursions, which is its lesson.
    // metastable-retries never recovers from its spike, which is its lesson.
    const WARN_ON_PURPOSE: [(&str, &str); 5] = [
        ("metastable-retries.toml", "stayed degraded"),
        ("rate-limited-api.toml", "saturated"),
        ("mm1.toml", "its p99"),
        ("async-image-processing.toml", "its p99"),
        ("k8s-hpa.toml", "its p99"),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for entry in std::fs::read_dir(&dir).expect("models/ exists") {
        let path = entry.expect("readable entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || name == "catalog.toml" {
            continue;
        }
        let net = capsim::model::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        let warnings = capsim::run::run(&net).summary.warnings;
        match WARN_ON_PURPOSE.iter().find(|(n, _)| *n == name) {
            Some((_, what)) => assert!(
                !warnings.is_empty() && warnings.iter().all(|w| w.contains(what)),
                "{name} should warn only with `{what}`: {warnings:#?}"
            ),
            None => assert!(warnings.is_empty(), "{name} warns at its defaults: {warnings:#?}"),
        }
    }
}
