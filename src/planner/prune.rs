//! What theory says about a candidate before it is simulated: the
//! utilisation law (exact in the mean for open load: a station at or past
//! 100% saturates, one past the ceiling breaks it), and where capsim theory
//! has the SLO's percentile of a class (a class that visits one station:
//! M/M/c exactly, M/G/c by Allen-Cunneen approximately), whether that
//! percentile misses the SLO by more than theory's error could explain.
//! Layered services (a thread held across a call, a pool, a cache in front)
//! have no percentile in theory: only the utilisation law prunes them, and
//! simulation decides.

use crate::analysis::{self, Percentiles};
use crate::experiment::spec::SloInfo;
use crate::model::Network;
use crate::stats::LatencyStat;

/// Factor by which an exact theory percentile must exceed the SLO to reject
/// a candidate unsimulated: a margin for the simulation's own finite window.
pub const EXACT_MARGIN: f64 = 1.1;
/// The same for an approximate percentile (Allen-Cunneen and tail approximations).
pub const APPROX_MARGIN: f64 = 2.0;

/// Theory's judgement of one candidate at one load.
#[derive(Debug, Clone, PartialEq)]
pub enum Theory {
    /// Rejected without simulation, and why ("api saturates: 112% (utilisation law)").
    Rejects(String),
    /// Simulation decides; theory's value of the SLO statistic, if it has one, and whether exact.
    Open {
        /// The SLO's latency statistic by theory \[s\].
        latency: Option<f64>,
        /// Whether it is exact.
        exact: bool,
    },
}

/// The busiest service by the utilisation law, and its utilisation.
pub fn busiest(net: &Network) -> Option<(String, f64)> {
    let a = analysis::analyse(net);
    a.bottleneck.services.first().cloned()
}

/// Theory's judgement of `net` against `slo` and a utilisation ceiling.
pub fn judge(net: &Network, slo: &SloInfo, ceiling: Option<f64>) -> Theory {
    let a = analysis::analyse(net);
    if let Some((service, u)) = a.bottleneck.services.first() {
        if *u >= 1.0 {
            return Theory::Rejects(format!("{service} saturates: {:.0}% busy (utilisation law)", u * 100.0));
        }
        if let Some(c) = ceiling
            && *u > c
        {
            return Theory::Rejects(format!(
                "{service} at {:.0}% > the {:.0}% ceiling (utilisation law)",
                u * 100.0,
                c * 100.0
            ));
        }
    }
    let Some((stat, limit)) = slo.latency else { return Theory::Open { latency: None, exact: false } };
    // The slowest class the SLO applies to, where theory has its statistic for every one.
    let mut worst: Option<(f64, bool)> = None;
    for c in a.classes.iter().filter(|c| slo.class.as_ref().is_none_or(|n| n == &c.class)) {
        let value = match stat {
            LatencyStat::Mean => c.mean_response,
            _ => c.response_percentiles.as_ref().and_then(|p| percentile(p, stat)),
        };
        let exact = c.percentiles_exact;
        match value {
            Some(v) if worst.is_none_or(|(w, _)| v > w) => worst = Some((v, exact)),
            Some(_) => {}
            None => return Theory::Open { latency: None, exact: false },
        }
    }
    let Some((v, exact)) = worst else { return Theory::Open { latency: None, exact: false } };
    let margin = if exact { EXACT_MARGIN } else { APPROX_MARGIN };
    if v > limit * margin {
        let how = if exact { "exact" } else { "approximate" };
        return Theory::Rejects(format!(
            "theory's {stat} {} > {} ({how})",
            crate::format::format_duration(v),
            crate::format::format_duration(limit)
        ));
    }
    Theory::Open { latency: Some(v), exact }
}

fn percentile(p: &Percentiles, stat: LatencyStat) -> Option<f64> {
    match stat {
        LatencyStat::P50 => Some(p.p50),
        LatencyStat::P90 => Some(p.p90),
        LatencyStat::P95 => Some(p.p95),
        LatencyStat::P99 => Some(p.p99),
        _ => None,
    }
}
