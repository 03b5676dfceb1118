//! What a hedged call site costs and buys, per run and across
//! replications: twins sent per second, the extra load they add (twins per
//! copy), the share of pairs the twin won, and losers cancelled. Present
//! only for hedged call sites, so other models' outputs do not change.

use serde::{Deserialize, Serialize};

use super::{Estimate, GuardRun, RunMetrics};
use crate::config::HedgeAfter;
use crate::model::Hedge;

/// A hedged call site in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HedgeMetrics {
    /// Twins sent per second.
    pub hedges_per_s: f64,
    /// Twins per copy sent: the extra requests the callee serves.
    pub extra_load: f64,
    /// Share of the twins that replied first.
    pub won: f64,
    /// Losers cancelled per second.
    pub cancelled_per_s: f64,
}

impl HedgeMetrics {
    /// A hedged site's metrics from its tallies over `observed` seconds.
    pub(crate) fn of(g: &GuardRun, observed: f64) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        HedgeMetrics {
            hedges_per_s: g.hedges as f64 / observed,
            extra_load: ratio(g.hedges, g.copies),
            won: ratio(g.hedge_wins, g.hedges),
            cancelled_per_s: g.cancelled as f64 / observed,
        }
    }
}

/// A hedged call site across replications.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HedgeSummary {
    /// The fixed delay before a twin \[s\], if `after` is a duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f64>,
    /// The quantile of the site's latency, if `after` is a percentile ("p95": 0.95).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_quantile: Option<f64>,
    /// Whether losers are cancelled.
    pub cancel: bool,
    /// Twins sent per second.
    pub hedges_per_s: Estimate,
    /// Twins per copy sent.
    pub extra_load: Estimate,
    /// Share of the twins that replied first.
    pub won: Estimate,
    /// Losers cancelled per second.
    pub cancelled_per_s: Estimate,
}

/// Guarded site `i`'s hedge summary.
pub(crate) fn summary(hedge: &Hedge, i: usize, runs: &[RunMetrics]) -> HedgeSummary {
    let est = |f: fn(&HedgeMetrics) -> f64| {
        let v: Vec<f64> = runs.iter().map(|r| r.calls[i].hedge.as_ref().map_or(0.0, f)).collect();
        Estimate::from_samples(&v)
    };
    let (after_s, after_quantile) = match hedge.after {
        HedgeAfter::Delay(d) => (Some(d), None),
        HedgeAfter::Quantile(q) => (None, Some(q)),
    };
    HedgeSummary {
        after_s,
        after_quantile,
        cancel: hedge.cancel,
        hedges_per_s: est(|h| h.hedges_per_s),
        extra_load: est(|h| h.extra_load),
        won: est(|h| h.won),
        cancelled_per_s: est(|h| h.cancelled_per_s),
    }
}
