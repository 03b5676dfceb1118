//! The candidate families as fitted models: CDF, quantile, log-density,
//! moments, their parameters, and the capsim text form to paste into a model.
//!
//! A [`Model`] holds parameters in seconds. Its text form ([`Model::paste`])
//! uses the forms `capsim::dist` already reads, rounded to five significant
//! figures (far finer than any standard error), and is checked by parsing it
//! back with [`Dist::parse`].

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Gamma as GammaDist, Normal};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

use crate::dist::Dist;

use super::optimise::bisect;

/// The families `capsim fit` can try, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// One parameter: the mean (cv = 1).
    Exponential,
    /// log X normal: any cv, heavy right tail.
    Lognormal,
    /// Any cv; lighter tail than the log-normal.
    Gamma,
    /// Any cv; tail between exponential and log-normal.
    Weibull,
    /// Gamma with a whole shape `k`: sum of `k` exponential phases (cv <= 1).
    Erlang,
    /// Two exponential phases mixed (cv >= 1).
    Hyperexp,
    /// Power-law tail above a minimum.
    Pareto,
    /// The data themselves, as a piecewise-linear quantile function.
    Empirical,
}

impl Family {
    /// Every family, in listing order.
    pub const ALL: [Family; 8] = [
        Family::Exponential,
        Family::Lognormal,
        Family::Gamma,
        Family::Weibull,
        Family::Erlang,
        Family::Hyperexp,
        Family::Pareto,
        Family::Empirical,
    ];

    /// The name used by `--family` and in output.
    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Weibull => "weibull",
            Family::Erlang => "erlang",
            Family::Hyperexp => "hyperexp",
            Family::Pareto => "pareto",
            Family::Empirical => "empirical",
        }
    }

    /// A family by name or alias (case-insensitive).
    pub fn lookup(name: &str) -> Option<Family> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "exp" | "exponential" => Family::Exponential,
            "lognormal" => Family::Lognormal,
            "gamma" => Family::Gamma,
            "weibull" => Family::Weibull,
            "erlang" => Family::Erlang,
            "hyperexp" | "hyperexponential" => Family::Hyperexp,
            "pareto" => Family::Pareto,
            "empirical" => Family::Empirical,
            _ => return None,
        })
    }

    /// Free parameters, as AIC counts them (Erlang's whole `k` counts as one).
    pub fn parameters(self) -> usize {
        match self {
            Family::Exponential => 1,
            Family::Hyperexp => 3,
            Family::Empirical => 0,
            _ => 2,
        }
    }
}

/// A fitted distribution, parameters in seconds (each variant's line names its fields).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// Exponential with this mean.
    Exponential { mean: f64 },
    /// exp(Normal(mu, sigma)); `mu` is the log of the median in seconds.
    Lognormal { mu: f64, sigma: f64 },
    /// Gamma(shape, scale).
    Gamma { shape: f64, scale: f64 },
    /// Weibull(shape, scale).
    Weibull { shape: f64, scale: f64 },
    /// Erlang: `k` phases with total mean `mean`.
    Erlang { k: u32, mean: f64 },
    /// exp(mean1) with probability `p`, else exp(mean2).
    Hyperexp { p: f64, mean1: f64, mean2: f64 },
    /// Pareto with tail index `alpha` and minimum `min`.
    Pareto { alpha: f64, min: f64 },
    /// Piecewise-linear quantile function through (probability, value) knots,
    /// from probability 0 to 1.
    Empirical { knots: Vec<(f64, f64)> },
}

/// One named parameter value; `seconds` says whether it is a duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamValue {
    /// Name as printed.
    pub name: &'static str,
    /// Value (seconds if `seconds`).
    pub value: f64,
    /// Whether the value is a duration.
    pub seconds: bool,
}

fn param(name: &'static str, value: f64, seconds: bool) -> ParamValue {
    ParamValue { name, value, seconds }
}

impl Model {
    /// Its family.
    pub fn family(&self) -> Family {
        match self {
            Model::Exponential { .. } => Family::Exponential,
            Model::Lognormal { .. } => Family::Lognormal,
            Model::Gamma { .. } => Family::Gamma,
            Model::Weibull { .. } => Family::Weibull,
            Model::Erlang { .. } => Family::Erlang,
            Model::Hyperexp { .. } => Family::Hyperexp,
            Model::Pareto { .. } => Family::Pareto,
            Model::Empirical { .. } => Family::Empirical,
        }
    }

    /// The parameters as fitted (the empirical model lists none: its knots are in the paste line).
    pub fn params(&self) -> Vec<ParamValue> {
        match *self {
            Model::Exponential { mean } => vec![param("mean", mean, true)],
            Model::Lognormal { mu, sigma } => vec![param("median", mu.exp(), true), param("sigma", sigma, false)],
            Model::Gamma { shape, scale } => vec![param("shape", shape, false), param("scale", scale, true)],
            Model::Weibull { shape, scale } => vec![param("shape", shape, false), param("scale", scale, true)],
            Model::Erlang { k, mean } => vec![param("k", f64::from(k), false), param("mean", mean, true)],
            Model::Hyperexp { p, mean1, mean2 } => {
                vec![param("p", p, false), param("mean1", mean1, true), param("mean2", mean2, true)]
            }
            Model::Pareto { alpha, min } => vec![param("alpha", alpha, false), param("min", min, true)],
            Model::Empirical { .. } => Vec::new(),
        }
    }

    /// P(X <= x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        match *self {
            Model::Exponential { mean } => -(-x / mean).exp_m1(),
            Model::Lognormal { mu, sigma } => 0.5 * statrs::function::erf::erfc(-(x.ln() - mu) / (sigma * 2f64.sqrt())),
            Model::Gamma { shape, scale } => gamma_lr(shape, x / scale),
            Model::Weibull { shape, scale } => -(-(x / scale).powf(shape)).exp_m1(),
            Model::Erlang { k, mean } => gamma_lr(f64::from(k), x * f64::from(k) / mean),
            Model::Hyperexp { p, mean1, mean2 } => 1.0 - p * (-x / mean1).exp() - (1.0 - p) * (-x / mean2).exp(),
            Model::Pareto { alpha, min } => {
                if x <= min {
                    0.0
                } else {
                    1.0 - (min / x).powf(alpha)
                }
            }
            Model::Empirical { ref knots } => empirical_cdf(knots, x),
        }
    }

    /// P(X > x), computed directly where 1 - F(x) would round to 0.
    pub fn sf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 1.0;
        }
        if x == f64::INFINITY {
            return 0.0;
        }
        match *self {
            Model::Exponential { mean } => (-x / mean).exp(),
            Model::Lognormal { mu, sigma } => 0.5 * statrs::function::erf::erfc((x.ln() - mu) / (sigma * 2f64.sqrt())),
            Model::Gamma { shape, scale } => gamma_ur(shape, x / scale),
            Model::Weibull { shape, scale } => (-(x / scale).powf(shape)).exp(),
            Model::Erlang { k, mean } => gamma_ur(f64::from(k), x * f64::from(k) / mean),
            Model::Hyperexp { p, mean1, mean2 } => p * (-x / mean1).exp() + (1.0 - p) * (-x / mean2).exp(),
            Model::Pareto { alpha, min } => {
                if x <= min {
                    1.0
                } else {
                    (min / x).powf(alpha)
                }
            }
            Model::Empirical { .. } => 1.0 - self.cdf(x),
        }
    }

    /// The log-density as a function, constants computed once (the
    /// likelihood of ten million samples calls it ten million times).
    /// The empirical model has no density: it returns NaN.
    pub fn ln_pdf(&self) -> Box<dyn Fn(f64) -> f64 + Sync + '_> {
        match *self {
            Model::Exponential { mean } => {
                let c = -mean.ln();
                Box::new(move |x| c - x / mean)
            }
            Model::Lognormal { mu, sigma } => {
                let c = -sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
                Box::new(move |x: f64| {
                    let l = x.ln();
                    let z = (l - mu) / sigma;
                    c - l - 0.5 * z * z
                })
            }
            Model::Gamma { shape, scale } => gamma_ln_pdf(shape, scale),
            Model::Erlang { k, mean } => gamma_ln_pdf(f64::from(k), mean / f64::from(k)),
            Model::Weibull { shape, scale } => {
                let c = shape.ln() - shape * scale.ln();
                Box::new(move |x: f64| c + (shape - 1.0) * x.ln() - (x / scale).powf(shape))
            }
            Model::Hyperexp { p, mean1, mean2 } => {
                let (a, b) = (p / mean1, (1.0 - p) / mean2);
                Box::new(move |x| (a * (-x / mean1).exp() + b * (-x / mean2).exp()).ln())
            }
            Model::Pareto { alpha, min } => {
                let c = alpha.ln() + alpha * min.ln();
                Box::new(move |x: f64| if x < min { f64::NEG_INFINITY } else { c - (alpha + 1.0) * x.ln() })
            }
            Model::Empirical { .. } => Box::new(|_| f64::NAN),
        }
    }

    /// The value below which a fraction `q` (0 < q < 1) of durations fall.
    pub fn quantile(&self, q: f64) -> f64 {
        match *self {
            Model::Exponential { mean } => -mean * (-q).ln_1p(),
            Model::Lognormal { mu, sigma } => {
                let z = Normal::standard().inverse_cdf(q);
                (mu + sigma * z).exp()
            }
            Model::Weibull { shape, scale } => scale * (-(-q).ln_1p()).powf(1.0 / shape),
            Model::Pareto { alpha, min } => min * (-(-q).ln_1p() / alpha).exp(),
            Model::Gamma { shape, scale } => gamma_quantile(shape, scale, q),
            Model::Erlang { k, mean } => gamma_quantile(f64::from(k), mean / f64::from(k), q),
            Model::Hyperexp { mean1, mean2, .. } => {
                let hi = -mean1.max(mean2) * (-q).ln_1p() * 2.0 + 1e-300;
                bisect(|x| self.cdf(x) - q, hi * 1e-18, hi)
            }
            Model::Empirical { ref knots } => empirical_quantile(knots, q),
        }
    }

    /// The exact mean in seconds (infinite for Pareto with alpha <= 1).
    pub fn mean(&self) -> f64 {
        match *self {
            Model::Exponential { mean } | Model::Erlang { mean, .. } => mean,
            Model::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Model::Gamma { shape, scale } => shape * scale,
            Model::Weibull { shape, scale } => scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape),
            Model::Hyperexp { p, mean1, mean2 } => p * mean1 + (1.0 - p) * mean2,
            Model::Pareto { alpha, min } => {
                if alpha > 1.0 {
                    alpha * min / (alpha - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Model::Empirical { ref knots } => {
                knots.windows(2).map(|w| (w[1].0 - w[0].0) * (w[0].1 / 2.0 + w[1].1 / 2.0)).sum()
            }
        }
    }

    /// The coefficient of variation, sd / mean (infinite where the variance is).
    pub fn cv(&self) -> f64 {
        let scv = match *self {
            Model::Exponential { .. } => 1.0,
            Model::Lognormal { sigma, .. } => (sigma * sigma).exp_m1(),
            Model::Gamma { shape, .. } => 1.0 / shape,
            Model::Erlang { k, .. } => 1.0 / f64::from(k),
            Model::Weibull { shape, .. } => (ln_gamma(1.0 + 2.0 / shape) - 2.0 * ln_gamma(1.0 + 1.0 / shape)).exp_m1(),
            Model::Hyperexp { p, mean1, mean2 } => {
                let m = self.mean();
                2.0 * (p * mean1 * mean1 + (1.0 - p) * mean2 * mean2) / (m * m) - 1.0
            }
            Model::Pareto { alpha, .. } => {
                if alpha > 2.0 {
                    1.0 / (alpha * (alpha - 2.0))
                } else {
                    f64::INFINITY
                }
            }
            Model::Empirical { ref knots } => {
                let m = self.mean();
                let e2: f64 = knots
                    .windows(2)
                    .map(|w| {
                        let (a, b) = (w[0].1, w[1].1);
                        (w[1].0 - w[0].0) * (a * a + a * b + b * b) / 3.0
                    })
                    .sum();
                e2 / (m * m) - 1.0
            }
        };
        scv.max(0.0).sqrt()
    }

    /// The line to paste into a model, in a form [`Dist::parse`] reads; or
    /// why there is none (a Pareto with an infinite mean cannot be simulated).
    pub fn paste(&self) -> Result<String, String> {
        let text = match *self {
            Model::Exponential { mean } => format!("exp(mean={})", duration(mean)),
            Model::Lognormal { .. } => format!("lognormal(mean={}, cv={})", duration(self.mean()), sig(self.cv())),
            Model::Gamma { .. } => format!("gamma(mean={}, cv={})", duration(self.mean()), sig(self.cv())),
            Model::Weibull { shape, .. } => format!("weibull(shape={}, mean={})", sig(shape), duration(self.mean())),
            Model::Erlang { k, mean } => format!("erlang(k={k}, mean={})", duration(mean)),
            Model::Hyperexp { p, mean1, mean2 } => {
                format!("hyperexp(p={}, mean1={}, mean2={})", probability(p), duration(mean1), duration(mean2))
            }
            Model::Pareto { alpha, min } => {
                if alpha <= 1.0 {
                    return Err(format!(
                        "alpha={} <= 1 has an infinite mean, which no queue can serve; no line to paste",
                        sig(alpha)
                    ));
                }
                format!("pareto(alpha={}, min={})", sig(alpha), duration(min))
            }
            Model::Empirical { ref knots } => {
                let points: Vec<String> =
                    knots.iter().map(|&(q, v)| format!("p{}={}", sig_pct(q * 100.0), duration(v))).collect();
                format!("empirical({})", points.join(", "))
            }
        };
        Dist::parse(&text).map(|_| text).map_err(|e| e.0)
    }

    /// The same shape with every duration multiplied by `s`.
    pub fn scaled(&self, s: f64) -> Model {
        match self.clone() {
            Model::Exponential { mean } => Model::Exponential { mean: mean * s },
            Model::Lognormal { mu, sigma } => Model::Lognormal { mu: mu + s.ln(), sigma },
            Model::Gamma { shape, scale } => Model::Gamma { shape, scale: scale * s },
            Model::Weibull { shape, scale } => Model::Weibull { shape, scale: scale * s },
            Model::Erlang { k, mean } => Model::Erlang { k, mean: mean * s },
            Model::Hyperexp { p, mean1, mean2 } => Model::Hyperexp { p, mean1: mean1 * s, mean2: mean2 * s },
            Model::Pareto { alpha, min } => Model::Pareto { alpha, min: min * s },
            Model::Empirical { knots } => {
                Model::Empirical { knots: knots.into_iter().map(|(q, v)| (q, v * s)).collect() }
            }
        }
    }
}

/// The model of `family` from its parameters in the order of [`Model::params`]
/// (Erlang's `k` rounded), for numerical derivatives of a likelihood.
pub(crate) fn from_params(family: Family, v: &[f64]) -> Model {
    match family {
        Family::Exponential => Model::Exponential { mean: v[0] },
        Family::Lognormal => Model::Lognormal { mu: v[0].ln(), sigma: v[1] },
        Family::Gamma => Model::Gamma { shape: v[0], scale: v[1] },
        Family::Weibull => Model::Weibull { shape: v[0], scale: v[1] },
        Family::Erlang => Model::Erlang { k: v[0].round().max(1.0) as u32, mean: v[1] },
        Family::Hyperexp => Model::Hyperexp { p: v[0], mean1: v[1], mean2: v[2] },
        Family::Pareto => Model::Pareto { alpha: v[0], min: v[1] },
        Family::Empirical => Model::Empirical { knots: vec![(0.0, 1.0), (1.0, 1.0)] },
    }
}

/// A family's shape, apart from its time scale, in unconstrained
/// coordinates (logs, a logit): what the percentile and histogram fits
/// search over. Erlang's whole `k` is searched separately ([`erlang_ks`]).
pub(crate) fn shape_dims(family: Family) -> usize {
    match family {
        Family::Lognormal | Family::Gamma | Family::Weibull | Family::Pareto => 1,
        Family::Hyperexp => 2,
        _ => 0,
    }
}

/// The model of `family` with shape coordinates `c` and unit time scale;
/// Erlang takes `k` as its first coordinate.
pub(crate) fn with_shape(family: Family, c: &[f64]) -> Model {
    match family {
        Family::Exponential => Model::Exponential { mean: 1.0 },
        Family::Lognormal => Model::Lognormal { mu: 0.0, sigma: c[0].exp() },
        Family::Gamma => Model::Gamma { shape: c[0].exp(), scale: 1.0 },
        Family::Weibull => Model::Weibull { shape: c[0].exp(), scale: 1.0 },
        Family::Erlang => Model::Erlang { k: c[0] as u32, mean: 1.0 },
        Family::Hyperexp => {
            let p = 1.0 / (1.0 + (-c[0]).exp());
            Model::Hyperexp { p, mean1: 1.0, mean2: c[1].exp() }
        }
        Family::Pareto => Model::Pareto { alpha: c[0].exp(), min: 1.0 },
        Family::Empirical => Model::Empirical { knots: vec![(0.0, 1.0), (1.0, 1.0)] },
    }
}

/// Starting points for the shape search: a coarse grid wide enough for
/// service times (cv from about 0.05 to 30).
pub(crate) fn shape_grid(family: Family) -> Vec<Vec<f64>> {
    let line = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
        (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
    };
    match family {
        Family::Lognormal => line(-3.5, 1.5, 26).into_iter().map(|c| vec![c]).collect(),
        Family::Gamma | Family::Weibull => line(-3.0, 6.0, 37).into_iter().map(|c| vec![c]).collect(),
        Family::Pareto => line(0.01, 3.0, 31).into_iter().map(|c| vec![c]).collect(),
        Family::Hyperexp => {
            let mut grid = Vec::new();
            for a in line(-5.0, 7.0, 13) {
                for b in line(0.5, 8.0, 16) {
                    grid.push(vec![a, b]);
                }
            }
            grid
        }
        Family::Erlang => erlang_ks().map(|k| vec![f64::from(k)]).collect(),
        Family::Exponential | Family::Empirical => vec![Vec::new()],
    }
}

/// The Erlang phase counts tried (cv down to 0.05).
pub(crate) fn erlang_ks() -> impl Iterator<Item = u32> {
    1..=400
}

fn gamma_ln_pdf(shape: f64, scale: f64) -> Box<dyn Fn(f64) -> f64 + Sync> {
    let c = -ln_gamma(shape) - shape * scale.ln();
    Box::new(move |x: f64| c + (shape - 1.0) * x.ln() - x / scale)
}

fn gamma_quantile(shape: f64, scale: f64, q: f64) -> f64 {
    match GammaDist::new(shape, 1.0 / scale) {
        Ok(g) => g.inverse_cdf(q),
        Err(_) => f64::NAN,
    }
}

/// Linear interpolation of the CDF between knots (probability, value).
fn empirical_cdf(knots: &[(f64, f64)], x: f64) -> f64 {
    let i = knots.partition_point(|k| k.1 <= x);
    if i == 0 {
        return 0.0;
    }
    if i == knots.len() {
        return 1.0;
    }
    let (a, b) = (knots[i - 1], knots[i]);
    a.0 + (b.0 - a.0) * (x - a.1) / (b.1 - a.1)
}

fn empirical_quantile(knots: &[(f64, f64)], q: f64) -> f64 {
    let i = knots.partition_point(|k| k.0 <= q).clamp(1, knots.len() - 1);
    let (a, b) = (knots[i - 1], knots[i]);
    if b.0 == a.0 { b.1 } else { a.1 + (b.1 - a.1) * (q - a.0) / (b.0 - a.0) }
}

/// A number rounded to five significant figures, in Rust's shortest form.
pub(crate) fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (4 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.digits$}");
    let rounded: f64 = text.parse().unwrap_or(v);
    format!("{rounded}")
}

/// A percentile level (e.g. 99.9) without float noise.
fn sig_pct(p: f64) -> String {
    let rounded = (p * 1e6).round() / 1e6;
    format!("{rounded}")
}

/// A probability with five significant figures in both `p` and `1 - p`, so
/// that a mixture weight such as 0.99873 keeps its small complement.
fn probability(p: f64) -> String {
    let small = p.min(1.0 - p);
    if small <= 0.0 {
        return format!("{p}");
    }
    let digits = (4 - small.log10().floor() as i32).max(0) as usize;
    let rounded: f64 = format!("{p:.digits$}").parse().unwrap_or(p);
    format!("{rounded}")
}

/// A duration with five significant figures in the largest unit below it.
pub(crate) fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return format!("{seconds}");
    }
    let (scale, unit) = if seconds >= 1.0 {
        (1.0, "s")
    } else if seconds >= 1e-3 {
        (1e-3, "ms")
    } else if seconds >= 1e-6 {
        (1e-6, "us")
    } else {
        (1e-9, "ns")
    };
    format!("{}{unit}", sig(seconds / scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn models() -> Vec<Model> {
        vec![
            Model::Exponential { mean: 0.0123456 },
            Model::Lognormal { mu: (0.012f64).ln(), sigma: 0.8 },
            Model::Gamma { shape: 2.5, scale: 0.004 },
            Model::Weibull { shape: 1.7, scale: 0.02 },
            Model::Erlang { k: 3, mean: 0.03 },
            Model::Hyperexp { p: 0.987654, mean1: 0.002, mean2: 0.2 },
            Model::Pareto { alpha: 2.5, min: 0.001 },
            Model::Empirical { knots: vec![(0.0, 0.001), (0.5, 0.01), (0.9, 0.03), (0.999, 0.1), (1.0, 0.3)] },
        ]
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for m in models() {
            for q in [0.01, 0.5, 0.9, 0.99, 0.999] {
                let x = m.quantile(q);
                assert!((m.sf(x) - (1.0 - q)).abs() < 1e-9, "{m:?} at {q}: sf {}", m.sf(x));
                assert!((m.cdf(x) - q).abs() < 1e-9, "{m:?} at {q}: cdf(quantile) = {}", m.cdf(x));
            }
        }
    }

    #[test]
    fn the_density_integrates_to_the_cdf() {
        for m in models().into_iter().filter(|m| m.family() != Family::Empirical) {
            let f = m.ln_pdf();
            let (a, b) = (m.quantile(0.2), m.quantile(0.7));
            let steps = 20_000;
            let h = (b - a) / f64::from(steps);
            // Simpson's rule.
            let sum: f64 = (0..=steps)
                .map(|i| {
                    let w = if i == 0 || i == steps {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    w * f(a + h * f64::from(i)).exp()
                })
                .sum();
            let integral = sum * h / 3.0;
            assert!((integral - 0.5).abs() < 1e-7, "{m:?}: {integral}");
        }
    }

    #[test]
    fn paste_lines_parse_back_to_the_fitted_mean_and_cv() {
        for m in models() {
            let line = m.paste().unwrap_or_else(|e| panic!("{m:?}: {e}"));
            let d = Dist::parse(&line).unwrap();
            let rel = |a: f64, b: f64| (a / b - 1.0).abs();
            assert!(rel(d.mean(), m.mean()) < 1e-4, "{line}: mean {} vs {}", d.mean(), m.mean());
            assert!(rel(d.cv(), m.cv()) < 1e-4, "{line}: cv {} vs {}", d.cv(), m.cv());
        }
        assert_eq!(Model::Exponential { mean: 0.0148 }.paste().unwrap(), "exp(mean=14.8ms)");
        assert!(Model::Pareto { alpha: 0.9, min: 0.001 }.paste().unwrap_err().contains("infinite mean"));
        assert_eq!(duration(0.000_123_456_7), "123.46us");
        assert_eq!(probability(0.998_765_43), "0.9987654");
    }
}
