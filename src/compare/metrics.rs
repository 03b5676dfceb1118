//! What a comparison or a sensitivity run looks at, defined once: per
//! request class its throughput, mean, median and p99 reply latency and
//! error ratio; the utilisation of the bottleneck; the fleet's cost per hour
//! and per million requests. Each is read from one replication's
//! [`RunMetrics`], so two designs can be paired replication by replication.

use serde::{Deserialize, Serialize};

use crate::model::Network;
use crate::stats::RunMetrics;

/// The kind of a compared quantity; its name is the key `--detect` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Successful requests per second of a class.
    Throughput,
    /// Mean reply latency of a class \[s\].
    Mean,
    /// Median reply latency of a class \[s\].
    P50,
    /// 99th percentile reply latency of a class \[s\].
    P99,
    /// Failed over finished requests of a class.
    Errors,
    /// Utilisation of one service (the baseline's bottleneck).
    Utilisation,
    /// Price of the fleet per hour.
    CostPerHour,
    /// Cost per million successful requests.
    CostPerMillion,
}

/// Every kind, in the order tables list them.
pub const KINDS: [Kind; 8] = [
    Kind::Throughput,
    Kind::Mean,
    Kind::P50,
    Kind::P99,
    Kind::Errors,
    Kind::Utilisation,
    Kind::CostPerHour,
    Kind::CostPerMillion,
];

impl Kind {
    /// The name tables, CSV and `--detect` use.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Throughput => "throughput",
            Kind::Mean => "mean",
            Kind::P50 => "p50",
            Kind::P99 => "p99",
            Kind::Errors => "errors",
            Kind::Utilisation => "utilisation",
            Kind::CostPerHour => "cost_per_hour",
            Kind::CostPerMillion => "cost_per_million",
        }
    }

    /// The kind called `key`.
    pub fn from_key(key: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.key() == key.trim())
    }

    /// What the value is measured in.
    pub fn unit(self) -> Unit {
        match self {
            Kind::Throughput => Unit::PerSecond,
            Kind::Mean | Kind::P50 | Kind::P99 => Unit::Seconds,
            Kind::Errors | Kind::Utilisation => Unit::Fraction,
            Kind::CostPerHour | Kind::CostPerMillion => Unit::Dollars,
        }
    }

    /// Whether a lower value is better (latency, errors, cost); throughput
    /// and utilisation are neither better nor worse by themselves.
    pub fn lower_is_better(self) -> Option<bool> {
        match self {
            Kind::Mean | Kind::P50 | Kind::P99 | Kind::Errors | Kind::CostPerHour | Kind::CostPerMillion => Some(true),
            Kind::Throughput | Kind::Utilisation => None,
        }
    }
}

/// The unit of a quantity, for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds (printed in µs, ms or s).
    Seconds,
    /// Events per second.
    PerSecond,
    /// A share, printed as a percentage.
    Fraction,
    /// US dollars.
    Dollars,
}

impl Unit {
    /// `x` in this unit, for people.
    pub fn show(self, x: f64) -> String {
        if !x.is_finite() {
            return "-".into();
        }
        match self {
            Unit::Seconds if x < 0.0 => format!("-{}", crate::format::format_duration(-x)),
            Unit::Seconds => crate::format::format_duration(x),
            Unit::PerSecond => format!("{}/s", crate::format::sig3(x)),
            Unit::Fraction => format!("{}%", crate::format::sig3(x * 100.0)),
            Unit::Dollars if x < 0.0 => format!("-{}", crate::format::dollars(-x)),
            Unit::Dollars => crate::format::dollars(x),
        }
    }
}

/// One compared quantity: a kind and what it is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    /// What is measured.
    pub kind: Kind,
    /// The class (for per-class kinds) or service (utilisation) it is of, by
    /// name; empty for the fleet's cost.
    pub of: String,
    #[serde(skip)]
    index: usize,
}

impl Metric {
    /// "p99 web", "utilisation app (bottleneck)", "cost_per_hour".
    pub fn label(&self) -> String {
        match self.kind {
            Kind::Utilisation => format!("utilisation {} (bottleneck)", self.of),
            _ if self.of.is_empty() => self.kind.key().to_string(),
            _ => format!("{} {}", self.kind.key(), self.of),
        }
    }

    /// Its value in one replication (NaN when not measured, e.g. a latency
    /// with nothing completed).
    pub fn value(&self, run: &RunMetrics) -> f64 {
        let class = || run.classes.get(self.index);
        match self.kind {
            Kind::Throughput => class().map_or(f64::NAN, |c| c.throughput_per_s),
            Kind::Mean => class().map_or(f64::NAN, |c| c.latency_mean_s),
            Kind::P50 => class().map_or(f64::NAN, |c| c.latency_p50_s),
            Kind::P99 => class().map_or(f64::NAN, |c| c.latency_p99_s),
            Kind::Errors => class().map_or(f64::NAN, |c| c.error_ratio),
            Kind::Utilisation => run.services.get(self.index).map_or(f64::NAN, |s| s.utilisation),
            Kind::CostPerHour => run.cost_per_hour,
            Kind::CostPerMillion => run.cost_per_million,
        }
    }
}

/// The metrics of `net` in table order: per class (status polls left out)
/// throughput, mean, p50, p99 and errors; the utilisation of `bottleneck`
/// (a service index); the cost per hour and per million requests when the
/// model prices its fleet.
pub fn metrics(net: &Network, bottleneck: Option<usize>, priced: bool) -> Vec<Metric> {
    let mut out = Vec::new();
    for (c, class) in net.classes.iter().enumerate().filter(|(_, c)| !c.polling) {
        for kind in [Kind::Throughput, Kind::Mean, Kind::P50, Kind::P99, Kind::Errors] {
            out.push(Metric { kind, of: class.name.clone(), index: c });
        }
    }
    if let Some(s) = bottleneck {
        out.push(Metric { kind: Kind::Utilisation, of: net.services[s].name.clone(), index: s });
    }
    if priced {
        out.push(Metric { kind: Kind::CostPerHour, of: String::new(), index: 0 });
        out.push(Metric { kind: Kind::CostPerMillion, of: String::new(), index: 0 });
    }
    out
}

/// The busiest service over `runs` (the mean utilisation across
/// replications; of equals, the last, as [`crate::stats::utilisation::busiest`]).
pub fn bottleneck(runs: &[RunMetrics]) -> Option<usize> {
    let n = runs.first()?.services.len();
    let mean = |s: usize| runs.iter().map(|r| r.services[s].utilisation).sum::<f64>() / runs.len() as f64;
    (0..n).filter(|&s| mean(s).is_finite()).max_by(|&a, &b| mean(a).total_cmp(&mean(b)))
}

/// Whether any run has a price on its fleet.
pub fn priced(runs: &[RunMetrics]) -> bool {
    runs.iter().any(|r| r.cost_per_hour > 0.0)
}
