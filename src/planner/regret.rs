//! The choice under uncertain load: low, mid and high are taken as the ends
//! of the `confidence` interval and its median, weighted 0.3, 0.4 and 0.3
//! (Swanson's rule for three points of a distribution). At each load the
//! regret of a plan is what it costs against the cheapest plan that meets
//! the SLO there: over-provisioned, the extra dollars per hour; missing the
//! SLO, `under_weight` times the price of the plan that would have met it
//! (an outage, or buying capacity in a hurry, priced above idle capacity).
//! The plan with the least expected regret is chosen; its risk is the
//! chance that the load exceeds the highest of the three it meets.

use serde::Serialize;

/// Weights of low, mid and high.
pub const WEIGHTS: [f64; 3] = [0.3, 0.4, 0.3];

/// One plan's regret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regret {
    /// Regret at low, mid and high \[$ per hour\].
    pub at: [f64; 3],
    /// Their weighted mean.
    pub expected: f64,
    /// Probability that the load exceeds the highest of low, mid, high the plan meets.
    pub risk: f64,
}

/// The regret of a plan costing `cost` that meets the SLO at `meets[s]`,
/// against the cheapest plan meeting each load (`best[s]`, `None` when none does).
pub fn regret(cost: f64, meets: [bool; 3], best: [Option<f64>; 3], under_weight: f64, confidence: f64) -> Regret {
    let mut at = [0.0; 3];
    for s in 0..3 {
        at[s] = match (meets[s], best[s]) {
            (true, Some(b)) => cost - b,
            (true, None) => 0.0,
            (false, Some(b)) => under_weight * b,
            // Nothing meets this load: every plan misses alike.
            (false, None) => 0.0,
        };
    }
    let expected = at.iter().zip(WEIGHTS).map(|(r, w)| r * w).sum();
    let tail = (1.0 - confidence) / 2.0;
    let risk = if meets[2] {
        tail
    } else if meets[1] {
        0.5
    } else if meets[0] {
        1.0 - tail
    } else {
        1.0
    };
    Regret { at, expected, risk }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_costs_more_than_idling() {
        let best = [Some(1.0), Some(1.5), Some(2.0)];
        let safe = regret(2.0, [true; 3], best, 4.0, 0.9);
        let lean = regret(1.5, [true, true, false], best, 4.0, 0.9);
        assert!((safe.expected - (0.3 * 1.0 + 0.4 * 0.5)).abs() < 1e-12);
        assert!((lean.expected - (0.3 * 0.5 + 0.3 * 8.0)).abs() < 1e-12);
        assert!(safe.expected < lean.expected);
        assert!((safe.risk - 0.05).abs() < 1e-12 && lean.risk == 0.5);
    }
}
