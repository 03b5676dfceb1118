//! Summary statistics as dashboards show them (`mean=15ms,p50=12ms,
//! p90=30ms,p99=80ms`, any subset, `p99.9` for the 99.9th) and the fit to
//! them by a quantile loss.
//!
//! The loss is the sum over the given statistics of (ln(model / given))²:
//! a relative error, so p50 and p99 weigh alike whatever their size, and
//! symmetric (10% over costs what 10% under does). The time scale of every
//! family enters each statistic as a factor, so the best scale for a shape
//! is the geometric mean of the ratios, in closed form; only the shape is
//! searched (a grid, then Nelder–Mead).

use serde::Serialize;

use super::super::InputError;
use super::families::{self, Family, Model};
use super::optimise::nelder_mead;
use super::{Candidate, Criterion, Evidence, Fit};

/// The statistics given with `--percentiles`.
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    /// The mean, seconds.
    pub mean: Option<f64>,
    /// The percentiles, increasing.
    pub points: Vec<Point>,
}

/// One given percentile.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The key as given, e.g. "p99.9".
    pub key: String,
    /// Level, 0 < q < 1.
    pub q: f64,
    /// Value, seconds.
    pub value: f64,
}

impl Targets {
    /// Parses `mean=15ms,p50=12ms,...` (`median` is p50); `default` is the
    /// seconds per unit of bare numbers (`--unit`).
    pub fn parse(text: &str, default: Option<f64>) -> Result<Targets, InputError> {
        let key_err = |key: &str, msg: String| InputError::new(msg).with_key(key.to_string());
        let mut mean = None;
        let mut points: Vec<Point> = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(InputError::new(format!("`{item}` is not KEY=VALUE"))
                    .with_key("--percentiles")
                    .with_hint("write e.g. \"mean=15ms,p50=12ms,p90=30ms,p99=80ms\""));
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            let seconds = super::samples::parse_value(value, default).map_err(|e| key_err(&key, e))?;
            if key == "mean" || key == "avg" {
                if mean.replace(seconds).is_some() {
                    return Err(key_err(&key, "the mean is given twice".into()));
                }
                continue;
            }
            let level =
                if key == "median" { Some(50.0) } else { key.strip_prefix('p').and_then(|p| p.parse::<f64>().ok()) };
            let Some(level) = level.filter(|l| *l > 0.0 && *l < 100.0) else {
                return Err(key_err(&key, format!("unknown statistic `{key}`")).with_hint(
                    "use mean, median, or pNN with 0 < NN < 100 (p50, p90, p99, p99.9); min (p0) and max (p100) cannot be fitted",
                ));
            };
            // Rounded so that p99.9 is 0.999 exactly, not 99.9 / 100.
            let q = (level * 1e6).round() / 1e8;
            if points.iter().any(|p| p.q == q) {
                return Err(key_err(&key, format!("p{level} is given twice")));
            }
            points.push(Point { key, q, value: seconds });
        }
        if mean.is_none() && points.is_empty() {
            return Err(InputError::new("no statistics given")
                .with_key("--percentiles")
                .with_hint("write e.g. \"mean=15ms,p50=12ms,p90=30ms,p99=80ms\""));
        }
        points.sort_by(|a, b| a.q.total_cmp(&b.q));
        for w in points.windows(2) {
            if w[1].value <= w[0].value {
                return Err(key_err(
                    &w[1].key,
                    format!(
                        "{}={} is not above {}={}: percentiles must increase",
                        w[1].key,
                        families::duration(w[1].value),
                        w[0].key,
                        families::duration(w[0].value)
                    ),
                )
                .with_hint("check the units and that the values come from the same panel and time range"));
            }
        }
        Ok(Targets { mean, points })
    }

    /// Number of statistics given.
    pub fn count(&self) -> usize {
        self.points.len() + usize::from(self.mean.is_some())
    }

    /// ln of each given statistic, mean first.
    fn logs(&self) -> Vec<f64> {
        self.mean.iter().chain(self.points.iter().map(|p| &p.value)).map(|v| v.ln()).collect()
    }

    /// ln of the model's corresponding statistics.
    fn model_logs(&self, m: &Model) -> Vec<f64> {
        let mean = self.mean.map(|_| m.mean());
        mean.into_iter().chain(self.points.iter().map(|p| m.quantile(p.q))).map(f64::ln).collect()
    }

    /// The loss of `m` scaled at its best, and that scale.
    fn best_scale(&self, m: &Model) -> (f64, f64) {
        let (given, model) = (self.logs(), self.model_logs(m));
        let shift = given.iter().zip(&model).map(|(g, m)| g - m).sum::<f64>() / given.len() as f64;
        let loss = given.iter().zip(&model).map(|(g, m)| (m + shift - g).powi(2)).sum::<f64>();
        (if loss.is_finite() { loss } else { f64::INFINITY }, shift.exp())
    }

    /// Largest relative error of the model's percentiles (the mean excluded).
    fn max_error(&self, m: &Model) -> f64 {
        self.points.iter().map(|p| (m.quantile(p.q) / p.value - 1.0).abs()).fold(0.0, f64::max)
    }

    /// Largest |F(x_p) - p| over the given percentiles: KS at the points known.
    fn ks(&self, m: &Model) -> f64 {
        self.points.iter().map(|p| (m.cdf(p.value) - p.q).abs()).fold(0.0, f64::max)
    }
}

/// Fits `family` to the statistics; the model and its loss.
fn fit_family(t: &Targets, family: Family) -> (Model, f64) {
    let loss_of = |c: &[f64]| t.best_scale(&families::with_shape(family, c)).0;
    let grid = families::shape_grid(family);
    let start = grid.iter().min_by(|a, b| loss_of(a).total_cmp(&loss_of(b))).cloned().unwrap_or_default();
    let best = if families::shape_dims(family) > 0 { nelder_mead(&loss_of, &start, 0.1).0 } else { start };
    let unit = families::with_shape(family, &best);
    let (loss, scale) = t.best_scale(&unit);
    (unit.scaled(scale), loss)
}

/// Fits every family to the statistics and chooses by the quantile loss.
pub fn fit(text: &str, t: Targets, families: &[Family]) -> Fit {
    let mut candidates = Vec::new();
    let mut notes = Vec::new();
    for &family in families {
        if family == Family::Empirical {
            notes.push(
                "empirical is not a candidate for percentiles: it needs the minimum and the maximum (p0, p100), \
                 which dashboards do not show"
                    .into(),
            );
            continue;
        }
        let (model, loss) = fit_family(&t, family);
        let mut c = Candidate::new(model, &[]);
        c.loss = Some(loss);
        c.ks = t.ks(&c.model);
        c.max_percentile_error = t.max_error(&c.model);
        candidates.push(c);
    }
    let count = t.count();
    // One note for all the families the statistics cannot test, not one each.
    let exact: Vec<&str> =
        candidates.iter().filter(|c| c.model.family().parameters() >= count).map(|c| c.model.family().name()).collect();
    if !exact.is_empty() {
        notes.push(format!(
            "{} statistic(s) cannot test {}: each has as many parameters or more and fits them exactly whatever \
             the data; give more percentiles to tell families apart",
            count,
            exact.join(", ")
        ));
    }
    let mut fit = Fit::choose(
        format!("percentiles \"{text}\""),
        count as u64,
        Criterion::QuantileLoss,
        candidates,
        notes,
        Evidence::Percentiles(t),
    );
    if fit.chosen.is_some_and(|f| f.parameters() >= count) {
        fit.notes.push(format!(
            "the chosen family has as many parameters as there are statistics ({count}): the data cannot contradict it"
        ));
    }
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_parse_with_units_and_are_checked() {
        let t = Targets::parse("mean=15ms, p50=12ms,p99.9=0.2s, p90=30ms", None).unwrap();
        assert_eq!(t.mean, Some(0.015));
        assert_eq!(t.points.iter().map(|p| p.q).collect::<Vec<_>>(), [0.5, 0.9, 0.999]);
        assert_eq!(Targets::parse("p50=12,p90=30", Some(1e-3)).unwrap().points[1].value, 0.03);
        let err = |s: &str| Targets::parse(s, None).unwrap_err().to_string();
        assert!(
            err("p50=12ms,p90=10ms").starts_with("`p90`: p90=10ms is not above p50=12ms"),
            "{}",
            err("p50=12ms,p90=10ms")
        );
        assert!(err("p50=12ms,p75=12ms").contains("must increase"));
        assert!(err("p50=12ms,max=1s").starts_with("`max`: unknown statistic"));
        assert!(err("p50=12").contains("no unit"));
        assert!(err("p50=12ms,p50=13ms").contains("twice"));
        assert!(err("").contains("no statistics"));
    }

    #[test]
    fn a_lognormal_is_recovered_from_three_of_its_percentiles() {
        let truth = Model::Lognormal { mu: (0.012f64).ln(), sigma: 0.7 };
        let text = format!("p50={}s,p90={}s,p99={}s", truth.quantile(0.5), truth.quantile(0.9), truth.quantile(0.99));
        let t = Targets::parse(&text, None).unwrap();
        let fit = fit(&text, t, &Family::ALL);
        assert_eq!(fit.chosen, Some(Family::Lognormal));
        let c = fit.candidates.iter().find(|c| c.family == Family::Lognormal).unwrap();
        assert!(c.max_percentile_error < 1e-6, "{}", c.max_percentile_error);
        assert!((c.mean / truth.mean() - 1.0).abs() < 1e-6);
    }
}
