//! Helpers: run model text and compare estimates with theory, with
//! tolerances derived from each estimate's own confidence interval.

use capsim::run::Outcome;
use capsim::stats::Estimate;
use capsim::stats::Summary;

/// Compiles and runs model text.
pub fn simulate(text: &str) -> Outcome {
    let net = capsim::model::from_str(text).unwrap_or_else(|e| panic!("model does not compile: {e}\n{text}"));
    capsim::run::run(&net)
}

/// Summary only.
pub fn summary(text: &str) -> Summary {
    simulate(text).summary
}

/// Asserts that a simulated estimate agrees with a theoretical value.
///
/// The 95% half-width is about 2.3 standard errors with 10 replications, so
/// twice it is about 4.5 standard errors: a correct simulator fails this less
/// than once in 10,000 seeds, while a bias of a few percent cannot hide,
/// because the interval itself must be narrower than `max_rel_ci` of the value.
#[track_caller]
pub fn assert_agrees(what: &str, sim: &Estimate, theory: f64, max_rel_ci: f64) {
    let ci = sim.ci95.unwrap_or_else(|| panic!("{what}: needs replications for a confidence interval"));
    assert!(
        ci <= max_rel_ci * theory.abs(),
        "{what}: the interval ±{ci:.5} is wider than {:.1}% of {theory:.5}; run longer so the test can detect errors",
        max_rel_ci * 100.0
    );
    let diff = (sim.value - theory).abs();
    assert!(
        diff <= 2.0 * ci,
        "{what}: simulated {:.5} ± {ci:.5}, theory {theory:.5} (off by {:.2} half-widths)",
        sim.value,
        diff / ci
    );
}

/// Little's law for every class: time-average number in system equals the
/// finished-request rate times the mean time in system, within the
/// statistics of both sides (and the edge effect of requests straddling the
/// window, which is negligible for long runs).
#[track_caller]
pub fn assert_littles_law(s: &Summary) {
    // A class that finished nothing (status polls nobody sent) has no mean sojourn.
    for c in s.classes.iter().filter(|c| c.completed + c.failed > 0) {
        let l = c.mean_in_system.value;
        let rate = (c.completed + c.failed) as f64 / (s.replications as f64 * s.observed_s.value);
        let lw = rate * c.mean_sojourn_s.value;
        let tol = 0.02 * l.max(0.01);
        assert!((l - lw).abs() <= tol, "Little's law for `{}`: L = {l:.4}, lambda W = {lw:.4}", c.name);
    }
}
