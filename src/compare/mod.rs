//! `capsim compare`: a model against variants of it, with common random
//! numbers, metric by metric: the difference, its 95% interval, the
//! relative change, whether it is significant, and if not how many
//! replications would detect a difference of the asked size. Experiments
//! with a baseline design use the same arithmetic for their "vs baseline"
//! columns.
//!
//! | file | owns |
//! |---|---|
//! | `metrics.rs` | what is compared ([`Metric`]): per class throughput, latency, errors; the bottleneck's utilisation; cost |
//! | `paired.rs` | the paired statistics ([`Paired`]): the interval of the difference, replications needed |
//! | `render.rs` | the table, CSV and JSON |

mod metrics;
mod paired;
mod render;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calibrate::InputError;
use crate::error::ModelError;
use crate::model::{self, Network};
use crate::stats::RunMetrics;

pub use metrics::{KINDS, Kind, Metric, Unit, bottleneck, metrics, priced};
pub use paired::{Detect, POWER, Paired, paired, replications_needed};
pub(crate) use render::change_text;
pub use render::{csv, json, table};

/// The difference to detect when `--detect` does not say: 5% of the baseline.
pub const DEFAULT_DETECT: Detect = Detect::Relative(0.05);

/// One variant: a name and the overrides that make it from the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Its name (the overrides as written, unless named `NAME: ...`).
    pub name: String,
    /// `path=value` overrides on top of the baseline's.
    pub overrides: Vec<String>,
}

impl Variant {
    /// Reads `--variant` text: `path=value`, several joined by `;`, with an
    /// optional `NAME:` in front, e.g. `"six: services.api.instances=6"`.
    pub fn parse(text: &str) -> Result<Variant, InputError> {
        let flag = || format!("--variant {text}");
        let (name, rest) = match text.split_once(':') {
            Some((name, rest)) if !name.contains('=') && !name.trim().is_empty() => {
                (Some(name.trim().to_string()), rest)
            }
            _ => (None, text),
        };
        let overrides: Vec<String> =
            rest.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if overrides.is_empty() || overrides.iter().any(|o| !o.contains('=')) {
            return Err(InputError::new("a variant is one or more model overrides, path=value")
                .with_key(flag())
                .with_hint("e.g. --variant \"services.api.instances=6\", or several: --variant \"bigger: services.api.instances=6; services.api.threads=16\""));
        }
        for o in &overrides {
            let path = o.split_once('=').map_or("", |(p, _)| p.trim());
            if matches!(path, "simulation.seed" | "simulation.replications") {
                return Err(InputError::new(format!("a variant cannot change `{path}`: every variant runs the baseline's replications with its seed (common random numbers)"))
                    .with_key(flag())
                    .with_hint(format!("change it for all of them with --set {path}=N (or --seed / --replications)")));
            }
        }
        Ok(Variant { name: name.unwrap_or_else(|| overrides.join("; ")), overrides })
    }
}

/// The sizes of difference to detect: one for every metric, and some per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectRules {
    /// For metrics without a rule of their own.
    pub default: Detect,
    /// Per kind.
    pub by_kind: Vec<(Kind, Detect)>,
}

impl Default for DetectRules {
    fn default() -> Self {
        DetectRules { default: DEFAULT_DETECT, by_kind: Vec::new() }
    }
}

impl DetectRules {
    /// Reads `--detect` flags: `5%` (every metric), or `KIND=VALUE` where
    /// VALUE is a percentage or an amount in the kind's unit
    /// (`p99=2ms`, `throughput=10/s`, `errors=0.001`, `cost_per_hour=0.5`).
    pub fn parse(flags: &[String]) -> Result<DetectRules, InputError> {
        let mut rules = DetectRules::default();
        for flag in flags {
            let err = |m: String| {
                InputError::new(m).with_key(format!("--detect {flag}")).with_hint(format!(
                    "write a share of the baseline (--detect 5%) or KIND=VALUE with KIND one of {} (--detect p99=2ms, --detect throughput=10/s)",
                    KINDS.map(Kind::key).join(", ")
                ))
            };
            match flag.split_once('=') {
                None => rules.default = Detect::Relative(percent(flag).ok_or_else(|| err("not a percentage".into()))?),
                Some((k, v)) => {
                    let kind = Kind::from_key(k).ok_or_else(|| err(format!("`{}` is not a metric", k.trim())))?;
                    let detect = match percent(v) {
                        Some(f) => Detect::Relative(f),
                        None => Detect::Absolute(amount(kind.unit(), v).map_err(err)?),
                    };
                    rules.by_kind.retain(|(k, _)| *k != kind);
                    rules.by_kind.push((kind, detect));
                }
            }
        }
        Ok(rules)
    }

    /// The rule for `kind`.
    pub fn for_kind(&self, kind: Kind) -> Detect {
        self.by_kind.iter().find(|(k, _)| *k == kind).map_or(self.default, |(_, d)| *d)
    }
}

/// "5%" as 0.05 (positive).
fn percent(text: &str) -> Option<f64> {
    let f: f64 = text.trim().strip_suffix('%')?.trim().parse().ok()?;
    (f > 0.0 && f.is_finite()).then_some(f / 100.0)
}

/// An amount in `unit`: a duration for seconds, a rate for per second, else a number.
fn amount(unit: Unit, text: &str) -> Result<f64, String> {
    let v = match unit {
        Unit::Seconds => crate::units::parse_duration(text).map_err(|e| e.0)?,
        Unit::PerSecond => crate::units::parse_rate(text).map_err(|e| e.0)?,
        Unit::Fraction | Unit::Dollars => {
            text.trim().parse::<f64>().map_err(|_| format!("`{}` is not a number", text.trim()))?
        }
    };
    if v > 0.0 && v.is_finite() { Ok(v) } else { Err(format!("`{}` is not a positive amount", text.trim())) }
}

/// One metric of one variant against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What is compared.
    pub metric: Metric,
    /// The comparison.
    #[serde(flatten)]
    pub paired: Paired,
}

/// Every metric of `variant` against `baseline` (runs in replication order,
/// replication r of each with the same seed). The bottleneck is the
/// baseline's busiest service.
pub fn rows(net: &Network, baseline: &[RunMetrics], variant: &[RunMetrics], detect: &DetectRules) -> Vec<Row> {
    let priced = priced(baseline) || priced(variant);
    metrics(net, bottleneck(baseline), priced)
        .into_iter()
        .map(|metric| {
            let b: Vec<f64> = baseline.iter().map(|r| metric.value(r)).collect();
            let v: Vec<f64> = variant.iter().map(|r| metric.value(r)).collect();
            let paired = paired(&b, &v, detect.for_kind(metric.kind));
            Row { metric, paired }
        })
        .collect()
}

/// One variant's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    /// The variant.
    #[serde(flatten)]
    pub variant: Variant,
    /// Per metric.
    pub rows: Vec<Row>,
}

/// What `capsim compare` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Format tag of the JSON.
    pub format: String,
    /// The model file.
    pub model: String,
    /// Overrides of the baseline (`--set`).
    pub baseline_overrides: Vec<String>,
    /// The seed every run shares.
    pub seed: u64,
    /// Replications (pairs) per variant.
    pub replications: u32,
    /// The sizes of difference to detect.
    pub detect: DetectRules,
    /// Each variant against the baseline.
    pub variants: Vec<VariantResult>,
}

/// The baseline's network and each variant's, in order; a variant's
/// override the model refuses is an error naming the variant.
pub fn networks(model_path: &Path, overrides: &[String], variants: &[Variant]) -> Result<Vec<Network>, ModelError> {
    let mut nets = vec![model::load(model_path, overrides)?];
    for v in variants {
        let all: Vec<String> = overrides.iter().chain(&v.overrides).cloned().collect();
        nets.push(model::load(model_path, &all).map_err(|mut e| {
            e.message = format!("in variant `{}`: {}", v.name, e.message);
            e
        })?);
    }
    Ok(nets)
}

/// The comparison from each network's runs (`runs[0]` the baseline's).
pub fn comparison(
    model: &str,
    overrides: &[String],
    variants: &[Variant],
    nets: &[Network],
    runs: &[Vec<RunMetrics>],
    detect: &DetectRules,
) -> Comparison {
    Comparison {
        format: "capsim-compare-1".into(),
        model: model.to_string(),
        baseline_overrides: overrides.to_vec(),
        seed: nets[0].settings.seed,
        replications: nets[0].settings.replications,
        detect: detect.clone(),
        variants: variants
            .iter()
            .zip(&runs[1..])
            .map(|(v, r)| VariantResult { variant: v.clone(), rows: rows(&nets[0], &runs[0], r, detect) })
            .collect(),
    }
}
