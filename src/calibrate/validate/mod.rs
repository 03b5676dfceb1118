//! `capsim validate`: a model against load-test measurements, metric by
//! metric, at every measured load.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | a measured load level ([`Level`]), the metrics ([`Metric`]), tolerances and their defaults, the comparison and its verdicts ([`Validation`]) |
//! | `neutral.rs` | the neutral CSV: one row per load level, any subset of metric columns |
//! | `k6.rs` | k6's `--summary-export` JSON (one file per level) |
//! | `locust.rs` | Locust's `*_stats.csv` (one file per level) and `*_stats_history.csv` (levels from plateaus of the user count) |
//! | `simulate.rs` | which model value a load sets, and the model run at every level with common random numbers |
//! | `render.rs` | the aligned table, validation.csv and validation.json |
//!
//! Defaults (docs/calibration.md says why): throughput, mean and
//! utilisation within 10% of the measured value, p50 and p95 within 15%,
//! p99 within 20%; the error ratio within 0.01 absolute (ratios near zero
//! make relative errors meaningless).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::InputError;
use crate::stats::{Estimate, Summary};

mod k6;
mod locust;
mod neutral;
mod render;
mod simulate;

pub use render::{csv, json, load_text, table, verdict};
pub use simulate::{NotRun, Target, simulate_levels, target};

/// What a load level counts: an arrival rate (open test) or users (closed test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadKind {
    /// Requests per second offered (`load_per_s`; an open class's `rate`).
    Rate,
    /// Concurrent users, each waiting for its response and thinking (`users`; a closed class).
    Users,
}

impl LoadKind {
    /// The load's column name in the neutral CSV and in validation.csv.
    pub fn column(self) -> &'static str {
        match self {
            LoadKind::Rate => "load_per_s",
            LoadKind::Users => "users",
        }
    }
}

/// Where a level was read: the file and, for a CSV row, its line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origin {
    /// The file as the user named it.
    pub file: PathBuf,
    /// 1-based line (a CSV row), or none (a k6 file).
    pub line: Option<usize>,
}

impl Origin {
    /// An error located at this level.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        let err = InputError::in_file(&self.file, message);
        match self.line {
            Some(l) => err.at_line(l),
            None => err,
        }
    }
}

/// One measured load level: the load and what the test measured there.
/// Durations in seconds, ratios and utilisations as fractions.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Requests per second or users (see [`Measurements::kind`]).
    pub load: f64,
    /// Where it was read.
    pub origin: Origin,
    /// Measured values, in [`Metric`] order for the fixed metrics, then
    /// utilisations in the file's column order.
    pub values: Vec<(Metric, f64)>,
}

impl Level {
    /// A level with no metric yet.
    pub fn new(load: f64, origin: Origin) -> Level {
        Level { load, origin, values: Vec::new() }
    }

    /// Records a measured value (skipped when `None`).
    pub fn set(&mut self, metric: Metric, value: Option<f64>) {
        if let Some(v) = value {
            self.values.push((metric, v));
        }
    }

    /// The measured value of `metric`, if the test measured it.
    pub fn get(&self, metric: &Metric) -> Option<f64> {
        self.values.iter().find(|(m, _)| m == metric).map(|(_, v)| *v)
    }
}

/// All measured levels, in load order.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurements {
    /// What the loads count.
    pub kind: LoadKind,
    /// The levels, sorted by load (files in the order given for equal loads).
    pub levels: Vec<Level>,
    /// Things the readers could not use, said once (e.g. Locust's cumulative percentiles).
    pub notes: Vec<String>,
}

/// A metric a load test measures and the model predicts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Successful requests per second.
    Throughput,
    /// Mean response time of successful requests.
    Mean,
    /// Median response time.
    P50,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
    /// Fraction of requests that failed.
    ErrorRatio,
    /// CPU utilisation of a service: busy cores over all its cores, as
    /// monitoring shows it (`paid_core_utilisation` in capsim's outputs).
    Util(String),
}

/// The fixed metrics (every one but utilisation), in table order.
pub const FIXED_METRICS: [Metric; 6] =
    [Metric::Throughput, Metric::Mean, Metric::P50, Metric::P95, Metric::P99, Metric::ErrorRatio];

impl Metric {
    /// The metric's name in tables, validation.csv and `--tolerance`.
    pub fn name(&self) -> String {
        match self {
            Metric::Throughput => "throughput".into(),
            Metric::Mean => "mean".into(),
            Metric::P50 => "p50".into(),
            Metric::P95 => "p95".into(),
            Metric::P99 => "p99".into(),
            Metric::ErrorRatio => "error_ratio".into(),
            Metric::Util(s) => format!("util:{s}"),
        }
    }

    /// Whether values are durations (seconds).
    pub fn is_latency(&self) -> bool {
        matches!(self, Metric::Mean | Metric::P50 | Metric::P95 | Metric::P99)
    }

    /// The default tolerance; see the module documentation.
    pub fn default_tolerance(&self) -> Tolerance {
        match self {
            Metric::Throughput | Metric::Mean | Metric::Util(_) => Tolerance::Relative(0.10),
            Metric::P50 | Metric::P95 => Tolerance::Relative(0.15),
            Metric::P99 => Tolerance::Relative(0.20),
            Metric::ErrorRatio => Tolerance::Absolute(0.01),
        }
    }

    /// The simulated estimate of this metric for `class` in `summary`.
    fn simulated(&self, summary: &Summary, class: &str) -> Estimate {
        let missing = Estimate::exact(f64::NAN);
        if let Metric::Util(service) = self {
            return summary.services.iter().find(|s| &s.name == service).map_or(missing, |s| s.paid_core_utilisation);
        }
        let Some(c) = summary.classes.iter().find(|c| c.name == class) else { return missing };
        match self {
            Metric::Throughput => c.throughput_per_s,
            Metric::Mean => c.latency_s.mean,
            Metric::P50 => c.latency_s.p50,
            Metric::P95 => c.latency_s.p95,
            Metric::P99 => c.latency_s.p99,
            Metric::ErrorRatio => c.error_ratio,
            Metric::Util(_) => unreachable!("handled above"),
        }
    }
}

/// How far a simulated value may be from the measured one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "basis", content = "value", rename_all = "snake_case")]
pub enum Tolerance {
    /// |simulated - measured| / measured at most this fraction.
    Relative(f64),
    /// |simulated - measured| at most this (ratios).
    Absolute(f64),
}

impl Tolerance {
    /// The bound, as a fraction (relative) or in the metric's unit (absolute).
    pub fn value(self) -> f64 {
        match self {
            Tolerance::Relative(v) | Tolerance::Absolute(v) => v,
        }
    }

    /// "relative" or "absolute".
    pub fn basis(self) -> &'static str {
        match self {
            Tolerance::Relative(_) => "relative",
            Tolerance::Absolute(_) => "absolute",
        }
    }

    /// The signed error of `simulated` against `measured` on this basis:
    /// relative to the measured value, or the plain difference.
    pub fn error(self, measured: f64, simulated: f64) -> f64 {
        match self {
            Tolerance::Absolute(_) => simulated - measured,
            Tolerance::Relative(_) if measured == 0.0 => {
                if simulated == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            Tolerance::Relative(_) => (simulated - measured) / measured,
        }
    }
}

/// The tolerances in force: the defaults, with `--tolerance` overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tolerances {
    /// Overrides by metric key: a metric name, or `util` for every service.
    overrides: Vec<(String, Tolerance)>,
}

impl Tolerances {
    /// Parses `--tolerance METRIC=PCT` flags, e.g. `p99=25%`, `util=12%`,
    /// `util:db=20%`, `error_ratio=2%` (or `error_ratio=0.02`). Relative
    /// tolerances need the `%` sign, so `0.25` is never misread as 0.25%.
    pub fn parse(flags: &[String]) -> Result<Tolerances, InputError> {
        let mut overrides = Vec::new();
        for flag in flags {
            let bad = |msg: String| {
                InputError::new(msg).with_key(format!("--tolerance {flag}")).with_hint(
                    "write METRIC=PCT, e.g. --tolerance p99=25%; metrics: throughput, mean, p50, p95, p99, error_ratio (absolute: 1% or 0.01), util, util:SERVICE",
                )
            };
            let (key, value) = flag.split_once('=').ok_or_else(|| bad("no `=` in the tolerance".into()))?;
            let key = key.trim().to_ascii_lowercase();
            let metric = metric_from_key(&key).ok_or_else(|| bad(format!("`{key}` is not a metric")))?;
            let value = value.trim();
            let (number, percent) = match value.strip_suffix('%') {
                Some(n) => (n.trim(), true),
                None => (value, false),
            };
            let number: f64 = number
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad(format!("`{value}` is not a non-negative number")))?;
            let tolerance = match (metric, percent) {
                (Some(Metric::ErrorRatio), true) => Tolerance::Absolute(number / 100.0),
                (Some(Metric::ErrorRatio), false) => Tolerance::Absolute(number),
                (_, true) => Tolerance::Relative(number / 100.0),
                (_, false) => {
                    return Err(bad(format!(
                        "`{value}` has no `%`: write e.g. {key}={number}% (relative tolerances are percentages)"
                    )));
                }
            };
            overrides.push((key, tolerance));
        }
        Ok(Tolerances { overrides })
    }

    /// The tolerance of `metric`: the last override naming it (`util:S`
    /// before `util`), else its default.
    pub fn of(&self, metric: &Metric) -> Tolerance {
        let name = metric.name();
        let find = |key: &str| self.overrides.iter().rev().find(|(k, _)| k == key).map(|(_, t)| *t);
        find(&name)
            .or_else(|| matches!(metric, Metric::Util(_)).then(|| find("util")).flatten())
            .unwrap_or_else(|| metric.default_tolerance())
    }
}

/// The metric a `--tolerance` key names: `Some(None)` for `util` (every service).
fn metric_from_key(key: &str) -> Option<Option<Metric>> {
    if key == "util" {
        return Some(None);
    }
    if let Some(service) = key.strip_prefix("util:") {
        return (!service.is_empty()).then(|| Some(Metric::Util(service.to_string())));
    }
    FIXED_METRICS.iter().find(|m| m.name() == key).map(|m| Some(m.clone()))
}

/// One metric at one load: measured against simulated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The metric's name (`p99`, `util:db`).
    pub metric: String,
    /// What the test measured.
    pub measured: f64,
    /// The model's estimate (mean over replications, or pooled percentile).
    #[serde(serialize_with = "nan_as_null")]
    pub simulated: f64,
    /// Lower end of the simulated value's 95% interval.
    #[serde(serialize_with = "nan_as_null")]
    pub ci95_low: f64,
    /// Upper end of the simulated value's 95% interval.
    #[serde(serialize_with = "nan_as_null")]
    pub ci95_high: f64,
    /// Signed error: (simulated - measured) / measured, or simulated - measured for an absolute tolerance.
    #[serde(serialize_with = "nan_as_null")]
    pub error: f64,
    /// The tolerance applied.
    pub tolerance: Tolerance,
    /// Whether |error| is within the tolerance.
    pub within: bool,
    /// Whether the measured value lies inside the simulated 95% interval
    /// (informational: with enough replications the interval is narrow, and
    /// a measurement has noise of its own).
    pub in_interval: bool,
}

/// Every metric at one load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelResult {
    /// The load.
    pub load: f64,
    /// Where the measurements of this level were read.
    pub origin: Origin,
    /// The comparisons, in metric order.
    pub comparisons: Vec<Comparison>,
}

/// The whole validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    /// "capsim-validation-1": marks a folder written by `capsim validate`.
    pub format: String,
    /// capsim's version.
    pub capsim_version: String,
    /// The model file.
    pub model: String,
    /// The model value every load set.
    pub rate_path: String,
    /// The class whose metrics are compared.
    pub class: String,
    /// What the loads count.
    pub load_kind: LoadKind,
    /// The seed shared by every level (common random numbers).
    pub seed: u64,
    /// Replications per level.
    pub replications: u32,
    /// Every level, in load order.
    pub levels: Vec<LevelResult>,
    /// Notes on measurements that could not be used.
    pub notes: Vec<String>,
}

/// The format tag in validation.json.
pub const FORMAT: &str = "capsim-validation-1";

impl Validation {
    /// The comparisons beyond tolerance, with their load.
    pub fn failures(&self) -> impl Iterator<Item = (f64, &Comparison)> {
        self.levels.iter().flat_map(|l| l.comparisons.iter().filter(|c| !c.within).map(move |c| (l.load, c)))
    }

    /// Number of comparisons.
    pub fn count(&self) -> usize {
        self.levels.iter().map(|l| l.comparisons.len()).sum()
    }
}

/// Compares every measured metric of `level` with `summary`.
pub fn compare(level: &Level, summary: &Summary, class: &str, tolerances: &Tolerances) -> LevelResult {
    let comparisons = level
        .values
        .iter()
        .map(|(metric, measured)| {
            let estimate = metric.simulated(summary, class);
            let tolerance = tolerances.of(metric);
            let error = tolerance.error(*measured, estimate.value);
            let (low, high) = (estimate.low(), estimate.high());
            Comparison {
                metric: metric.name(),
                measured: *measured,
                simulated: estimate.value,
                ci95_low: low,
                ci95_high: high,
                error,
                tolerance,
                within: error.abs() <= tolerance.value(),
                in_interval: (low..=high).contains(measured),
            }
        })
        .collect();
    LevelResult { load: level.load, origin: level.origin.clone(), comparisons }
}

/// The validation of `measurements` against one summary per level.
pub fn validation(
    model: &str,
    target: &Target,
    measurements: &Measurements,
    summaries: &[Summary],
    tolerances: &Tolerances,
) -> Validation {
    let levels =
        measurements.levels.iter().zip(summaries).map(|(l, s)| compare(l, s, &target.class, tolerances)).collect();
    let first = summaries.first();
    Validation {
        format: FORMAT.to_string(),
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.to_string(),
        rate_path: target.path.clone(),
        class: target.class.clone(),
        load_kind: measurements.kind,
        seed: first.map_or(0, |s| s.seed),
        replications: first.map_or(0, |s| s.replications),
        levels,
        notes: measurements.notes.clone(),
    }
}

fn nan_as_null<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() { s.serialize_f64(*v) } else { s.serialize_none() }
}

/// What the readers need to know of the model: which load the class takes,
/// and its services (for `util:SERVICE` columns).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Rate for an open class, users for a closed one.
    pub kind: LoadKind,
    /// The model's service names.
    pub services: &'a [String],
}

/// Reads the measurement files: a `.json` file is k6's summary export, a
/// CSV whose header has `User Count` is Locust's history, one with
/// `Request Count` is Locust's stats, anything else the neutral CSV. Levels
/// come back sorted by load.
pub fn read(paths: &[PathBuf], ctx: Context) -> Result<Measurements, InputError> {
    let mut levels = Vec::new();
    let mut notes = Vec::new();
    let mut kind: Option<(LoadKind, &Path)> = None;
    for path in paths {
        let (file_kind, mut found) = read_one(path, ctx, &mut notes)?;
        match kind {
            Some((k, first)) if k != file_kind => {
                return Err(InputError::in_file(
                    path,
                    format!(
                        "this file's loads are {} but {}'s are {}",
                        file_kind.column(),
                        first.display(),
                        k.column()
                    ),
                )
                .with_hint("one validation compares one kind of load test: open (requests/s) or closed (users)"));
            }
            _ => kind = Some((file_kind, path)),
        }
        levels.append(&mut found);
    }
    if levels.is_empty() {
        let file = paths.first().map_or_else(PathBuf::new, PathBuf::clone);
        return Err(
            InputError::in_file(&file, "no load level found").with_hint("a level needs a load and at least one metric")
        );
    }
    levels.sort_by(|a, b| a.load.total_cmp(&b.load));
    Ok(Measurements { kind: kind.map_or(ctx.kind, |(k, _)| k), levels, notes })
}

fn read_one(path: &Path, ctx: Context, notes: &mut Vec<String>) -> Result<(LoadKind, Vec<Level>), InputError> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        return Ok((ctx.kind, vec![k6::read(path, ctx, notes)?]));
    }
    let table = super::input::Table::read(path)?;
    if table.column("User Count").is_some() {
        Ok((ctx.kind, locust::read_history(&table, ctx, notes)?))
    } else if table.column("Request Count").is_some() {
        Ok((ctx.kind, vec![locust::read_stats(&table, ctx)?]))
    } else {
        neutral::read(&table, ctx)
    }
}

/// A measured value that must be a positive number (durations, throughput).
fn positive(value: f64, what: &str) -> Result<f64, String> {
    if value > 0.0 && value.is_finite() { Ok(value) } else { Err(format!("{what} must be positive, not {value}")) }
}

/// A measured fraction: 0 to 1 (utilisation may exceed 1 only if the test
/// says so, which a model cannot reproduce, so it is refused too).
fn fraction(value: f64, what: &str) -> Result<f64, String> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{what} must be between 0 and 1 (or 0% and 100%), not {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_default_and_override() {
        let t =
            Tolerances::parse(&["p99=25%".into(), "util=12%".into(), "util:db=30%".into(), "error_ratio=2%".into()])
                .unwrap();
        assert_eq!(t.of(&Metric::P99), Tolerance::Relative(0.25));
        assert_eq!(t.of(&Metric::P95), Tolerance::Relative(0.15));
        assert_eq!(t.of(&Metric::Mean), Tolerance::Relative(0.10));
        assert_eq!(t.of(&Metric::Util("app".into())), Tolerance::Relative(0.12));
        assert_eq!(t.of(&Metric::Util("db".into())), Tolerance::Relative(0.30));
        assert_eq!(t.of(&Metric::ErrorRatio), Tolerance::Absolute(0.02));
        assert_eq!(Tolerances::default().of(&Metric::ErrorRatio), Tolerance::Absolute(0.01));
        let err = Tolerances::parse(&["p99=0.25".into()]).unwrap_err();
        assert!(err.to_string().contains("p99=0.25%"), "{err}");
        assert!(Tolerances::parse(&["p98=5%".into()]).is_err());
        assert!(Tolerances::parse(&["p99=-5%".into()]).is_err());
    }

    #[test]
    fn errors_are_relative_or_absolute() {
        assert!((Tolerance::Relative(0.1).error(100.0, 110.0) - 0.1).abs() < 1e-12);
        assert!((Tolerance::Relative(0.1).error(100.0, 85.0) + 0.15).abs() < 1e-12);
        assert!((Tolerance::Absolute(0.01).error(0.002, 0.005) - 0.003).abs() < 1e-12);
        assert_eq!(Tolerance::Relative(0.1).error(0.0, 0.0), 0.0);
        assert_eq!(Tolerance::Relative(0.1).error(0.0, 0.3), f64::INFINITY);
    }
}
