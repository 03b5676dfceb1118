//! Does the decision change? With several designs, the design chosen at the
//! nominal is compared with the one chosen when each parameter is at each
//! end of its range. The choice is capsim's capacity answer: with an SLO,
//! the cheapest design that meets it (costs equal to the cent broken by
//! the lower SLO latency); without one, the design with the lowest p99 of
//! the class shown.

use serde::{Deserialize, Serialize};

use crate::experiment::capacity::{meets, quoted};
use crate::experiment::spec::SloInfo;
use crate::stats::{LatencyKind, LatencyStat, Measure, RunMetrics, Summary, summarise};

use super::plan::{End, Plan};

/// The choice of design at one end of one parameter, where it differs from the nominal's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    /// The parameter.
    pub path: String,
    /// Which end.
    pub end: End,
    /// The design chosen there (`None`: none meets the SLO).
    pub chosen: Option<String>,
    /// In words.
    pub sentence: String,
}

/// The choice of design and whether it holds over the ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// How the design is chosen, in words.
    pub criterion: String,
    /// The design chosen at the nominal (`None`: none meets the SLO).
    pub nominal: Option<String>,
    /// Each end where the choice differs.
    pub flips: Vec<Flip>,
    /// The answer in a sentence.
    pub sentence: String,
}

/// The index of the design chosen among `summaries`.
fn choose(summaries: &[Summary], class: &str, slo: Option<&SloInfo>) -> Option<usize> {
    match slo {
        Some(slo) => {
            let measure = quoted(slo);
            let latency = |s: &Summary| {
                let c = s.classes.iter().find(|c| slo.class.as_ref().is_none_or(|n| n == &c.name))?;
                Some(measure.of(c).value)
            };
            let ok: Vec<usize> = (0..summaries.len()).filter(|&d| meets(slo, &summaries[d]) == Some(true)).collect();
            let cheapest = ok.iter().map(|&d| summaries[d].cost.per_hour).fold(f64::INFINITY, f64::min);
            ok.into_iter().filter(|&d| summaries[d].cost.per_hour - cheapest < 0.005).min_by(|&a, &b| {
                let (x, y) = (latency(&summaries[a]).unwrap_or(f64::NAN), latency(&summaries[b]).unwrap_or(f64::NAN));
                x.total_cmp(&y)
            })
        }
        None => {
            let p99 = Measure { kind: LatencyKind::Reply, stat: LatencyStat::P99 };
            let value = |s: &Summary| s.classes.iter().find(|c| c.name == class).map_or(f64::NAN, |c| p99.of(c).value);
            (0..summaries.len())
                .filter(|&d| value(&summaries[d]).is_finite())
                .min_by(|&a, &b| value(&summaries[a]).total_cmp(&value(&summaries[b])))
        }
    }
}

/// The choice at the nominal and at every end of every parameter.
pub(super) fn rank(plan: &Plan, runs: &[Vec<RunMetrics>], class: &str, slo: Option<&SloInfo>) -> Ranking {
    let names: Vec<&str> = plan.settings.iter().map(|s| s.name.as_str()).collect();
    let at = |end: Option<(usize, End)>| {
        let summaries: Vec<Summary> = (0..plan.settings.len())
            .map(|s| {
                let i = plan.index(s, end);
                summarise(&plan.networks[i], &runs[i])
            })
            .collect();
        choose(&summaries, class, slo)
    };
    let name = |d: Option<usize>| d.map(|d| names[d].to_string());
    let nominal = at(None);
    let mut flips = Vec::new();
    for (p, vary) in plan.varies.iter().enumerate() {
        for end in [End::Low, End::High] {
            let chosen = at(Some((p, end)));
            if chosen == nominal {
                continue;
            }
            let pct = crate::format::round_sig6(vary.fraction * 100.0);
            let direction = if end == End::Low { "lower" } else { "higher" };
            let condition = format!("if `{}` is {pct}% {direction}", vary.path);
            let sentence = match (chosen, nominal) {
                (Some(c), Some(n)) => format!("{condition}, `{}` beats `{}`", names[c], names[n]),
                (Some(c), None) => format!("{condition}, `{}` meets the SLO", names[c]),
                (None, Some(n)) => format!("{condition}, no design meets the SLO (not even `{}`)", names[n]),
                (None, None) => continue,
            };
            flips.push(Flip { path: vary.path.clone(), end, chosen: name(chosen), sentence });
        }
    }
    let criterion = match slo {
        Some(slo) => format!("the cheapest design that meets the SLO ({})", slo.text),
        None => format!("the design with the lowest p99 latency of `{class}`"),
    };
    let sentence = match (&nominal, flips.is_empty()) {
        (Some(n), true) => {
            format!("the choice of `{}`, {criterion}, holds for every parameter within its range", names[*n])
        }
        (None, true) => "no design meets the SLO at the nominal, nor at any end of the ranges".to_string(),
        (Some(n), false) => format!(
            "the choice of `{}`, {criterion}, does not hold: {}",
            names[*n],
            flips.iter().map(|f| f.sentence.as_str()).collect::<Vec<_>>().join("; ")
        ),
        (None, false) => format!(
            "no design meets the SLO at the nominal, but {}",
            flips.iter().map(|f| f.sentence.as_str()).collect::<Vec<_>>().join("; ")
        ),
    };
    Ranking { criterion, nominal: name(nominal), flips, sentence }
}
