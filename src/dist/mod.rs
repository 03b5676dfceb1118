//! Service-time and inter-arrival distributions.
//!
//! This module owns [`Dist`]: the text syntax that names a distribution
//! (`"exp(5ms)"`, `"lognormal(median=10ms, p99=100ms)"`, ...), the validation
//! of its parameters, its exact analytic moments (mean, squared coefficient of
//! variation) for the queueing-theory cross-checks, and sampling on the
//! simulator's hot path.
//!
//! As in `rand_distr`, parameters are validated once, when a [`Dist`] is built;
//! [`Dist::sample`] cannot fail and always returns a finite, non-negative
//! number of seconds. Samplers are prebuilt and dispatched with a `match`, so
//! sampling never allocates.
//!
//! Syntax (names and argument names are case-insensitive, whitespace is free,
//! durations need a unit such as `5ms` or `2.5s`):
//!
//! | family | forms |
//! |---|---|
//! | exponential | `exp(5ms)`, `exp(mean=5ms)`, `exp(rate=200/s)` |
//! | constant | `const(10ms)` (also `constant`, `det`) |
//! | uniform | `uniform(1ms, 5ms)`, `uniform(min=1ms, max=5ms)` |
//! | normal, truncated at 0 | `normal(mean=10ms, sd=2ms)` |
//! | log-normal | `lognormal(mean=20ms, cv=0.5)`, `lognormal(median=10ms, p99=100ms)` |
//! | gamma | `gamma(mean=10ms, cv=0.5)`, `gamma(shape=2, scale=5ms)` |
//! | Erlang | `erlang(k=3, mean=30ms)` |
//! | Weibull | `weibull(shape=1.5, scale=10ms)`, `weibull(shape=1.5, mean=10ms)` |
//! | Pareto | `pareto(alpha=2.5, min=1ms)` |
//! | hyperexponential | `hyperexp(p=0.9, mean1=1ms, mean2=50ms)`, `hyperexp(mean=10ms, cv=3)` |
//! | empirical | `empirical(1ms, 2ms, 5ms)`, `empirical(p0=1ms, p50=10ms, p100=300ms)` |

use std::f64::consts::{PI, SQRT_2};
use std::fmt;
use std::str::FromStr;

use rand::Rng;
use rand::distr::{Bernoulli, StandardUniform, Uniform};
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, Normal, Pareto, Weibull};
use statrs::function::erf::erfc;
use statrs::function::gamma::{gamma, ln_gamma};

use crate::units::{parse_duration, parse_rate};

/// Quantile of the standard normal distribution at 0.99.
const Z_P99: f64 = 2.326_347_874_040_840_8;

const FAMILIES: &str = "exp, const, uniform, normal, lognormal, gamma, erlang, weibull, pareto, hyperexp or empirical";

/// Why a distribution could not be built; the message says how to write it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DistError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, DistError> {
    Err(DistError(msg.into()))
}

/// One point of an empirical inverse CDF: `value` is the `pct`-th percentile.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Knot {
    pct: f64,
    value: f64,
}

/// The family and its prebuilt sampler. Time-valued parameters are kept in
/// seconds, before [`Dist::factor`] is applied; they are kept for `Display`.
#[derive(Debug, Clone)]
enum Kind {
    Exp {
        /// The mean, as `rand_distr::Exp` stores it.
        lambda_inverse: f64,
    },
    Const(f64),
    Uniform {
        min: f64,
        max: f64,
        sampler: Uniform<f64>,
    },
    /// Normal(mu, sd) conditioned on being non-negative.
    Normal {
        mu: f64,
        sd: f64,
        sampler: Normal<f64>,
    },
    LogNormal(LogNormal<f64>),
    Gamma {
        shape: f64,
        scale: f64,
        sampler: Gamma<f64>,
    },
    Erlang {
        k: u32,
        sampler: Gamma<f64>,
    },
    Weibull {
        shape: f64,
        scale: f64,
        sampler: Weibull<f64>,
    },
    Pareto {
        alpha: f64,
        min: f64,
        sampler: Pareto<f64>,
    },
    /// With probability `p` exp(mean1), otherwise exp(mean2).
    HyperExp {
        p: f64,
        mean1: f64,
        mean2: f64,
        first: Bernoulli,
    },
    /// Uniform resampling of the listed values.
    Samples {
        values: Box<[f64]>,
        index: Uniform<usize>,
    },
    /// Piecewise-linear inverse CDF; knots sorted by `pct`, from 0 to 100.
    Percentiles {
        knots: Box<[Knot]>,
    },
}

/// A non-negative distribution of durations in seconds, with exact moments.
///
/// Build one with [`Dist::parse`] (or `str::parse`) or the constructors;
/// draw with [`Dist::sample`].
#[derive(Debug, Clone)]
pub struct Dist {
    kind: Kind,
    /// Every sample of `kind` is multiplied by this (see [`Dist::scaled`]).
    factor: f64,
    /// Exact mean in seconds, `factor` included.
    mean: f64,
    /// Exact squared coefficient of variation (scale-free).
    scv: f64,
}

impl Dist {
    /// Checks the moments and wraps the kind. `mean` must be finite.
    fn build(family: &str, kind: Kind, mean: f64, scv: f64) -> Result<Dist, DistError> {
        if !(mean.is_finite() && mean >= 0.0) || scv.is_nan() {
            return err(format!(
                "{family}: these parameters make the mean overflow; use smaller or less extreme values"
            ));
        }
        Ok(Dist { kind, factor: 1.0, mean, scv: scv.max(0.0) })
    }

    /// Parses the text syntax described in the [module documentation](self),
    /// e.g. `"exp(5ms)"` or `"gamma(mean=10ms, cv=0.5)"`.
    pub fn parse(text: &str) -> Result<Dist, DistError> {
        let call = Call::parse(text)?;
        call.build()
    }

    /// Exponential distribution with the given mean (seconds, > 0).
    pub fn exponential(mean_s: f64) -> Result<Dist, DistError> {
        positive("exp", "mean", mean_s)?;
        // What `rand_distr::Exp::new(1 / mean)` keeps, to draw the same numbers.
        let lambda_inverse = 1.0 / (1.0 / mean_s);
        Dist::build("exp", Kind::Exp { lambda_inverse }, mean_s, 1.0)
    }

    /// Always `value_s` seconds (>= 0).
    pub fn constant(value_s: f64) -> Result<Dist, DistError> {
        non_negative("const", "value", value_s)?;
        Dist::build("const", Kind::Const(value_s), value_s, 0.0)
    }

    /// Uniform between `min_s` and `max_s` seconds (0 <= min <= max).
    pub fn uniform(min_s: f64, max_s: f64) -> Result<Dist, DistError> {
        non_negative("uniform", "min", min_s)?;
        non_negative("uniform", "max", max_s)?;
        if min_s > max_s {
            return err(format!(
                "uniform: min ({}) must not exceed max ({}): write uniform(min={}, max={})",
                fmt_duration(min_s),
                fmt_duration(max_s),
                fmt_duration(max_s),
                fmt_duration(min_s)
            ));
        }
        let sampler = Uniform::new_inclusive(min_s, max_s).or_else(|e| err(format!("uniform: {e}")))?;
        let mean = min_s / 2.0 + max_s / 2.0;
        let scv = if mean > 0.0 {
            let r = (max_s - min_s) / mean;
            r * r / 12.0
        } else {
            0.0
        };
        let kind = Kind::Uniform { min: min_s, max: max_s, sampler };
        Dist::build("uniform", kind, mean, scv)
    }

    /// Normal(`mu_s`, `sd_s`) truncated at zero: negative draws are redrawn.
    /// `mu_s` is the mean *before* truncation; [`Dist::mean`] is the mean after.
    pub fn normal(mu_s: f64, sd_s: f64) -> Result<Dist, DistError> {
        if !(mu_s > 0.0 && mu_s.is_finite()) {
            return err("normal: mean must be positive (the distribution is truncated at zero): \
                 write e.g. normal(mean=10ms, sd=2ms)");
        }
        if !(sd_s > 0.0 && sd_s.is_finite()) {
            return err("normal: sd must be positive; for a fixed value use const(10ms)");
        }
        let sampler = Normal::new(mu_s, sd_s).or_else(|e| err(format!("normal: {e}")))?;
        // X ~ N(mu, sd) | X >= 0. With a = mu/sd, P(X >= 0) = Phi(a) >= 1/2 and
        // lambda = phi(a)/Phi(a): E = mu + sd lambda, Var = sd^2 (1 - a lambda - lambda^2).
        let a = mu_s / sd_s;
        let tail = 0.5 * erfc(-a / SQRT_2);
        let density = (-0.5 * a * a).exp() / (2.0 * PI).sqrt();
        let lambda = density / tail;
        let mean = mu_s + sd_s * lambda;
        // (lambda underflows to 0 when zero is far below the mean: no truncation.)
        let var_ratio = if lambda > 0.0 { (1.0 - a * lambda - lambda * lambda).max(0.0) } else { 1.0 };
        let sd_over_mean = sd_s / mean;
        let scv = sd_over_mean * sd_over_mean * var_ratio;
        let kind = Kind::Normal { mu: mu_s, sd: sd_s, sampler };
        Dist::build("normal", kind, mean, scv)
    }

    /// Log-normal with the given mean (seconds) and coefficient of variation.
    pub fn lognormal(mean_s: f64, cv: f64) -> Result<Dist, DistError> {
        positive("lognormal", "mean", mean_s)?;
        positive_cv("lognormal", cv)?;
        let sampler = LogNormal::from_mean_cv(mean_s, cv).or_else(|e| err(format!("lognormal: {e}")))?;
        Dist::build("lognormal", Kind::LogNormal(sampler), mean_s, cv * cv)
    }

    /// Log-normal with the given median and 99th percentile (seconds, p99 > median).
    pub fn lognormal_quantiles(median_s: f64, p99_s: f64) -> Result<Dist, DistError> {
        positive("lognormal", "median", median_s)?;
        positive("lognormal", "p99", p99_s)?;
        if p99_s <= median_s {
            return err(format!(
                "lognormal: p99 ({}) must be greater than median ({}), e.g. lognormal(median=10ms, p99=100ms)",
                fmt_duration(p99_s),
                fmt_duration(median_s)
            ));
        }
        let sigma = (p99_s / median_s).ln() / Z_P99;
        let s2 = sigma * sigma;
        let sampler = LogNormal::new(median_s.ln(), sigma).or_else(|e| err(format!("lognormal: {e}")))?;
        Dist::build("lognormal", Kind::LogNormal(sampler), median_s * (s2 / 2.0).exp(), s2.exp_m1())
    }

    /// Gamma with a dimensionless `shape` and a `scale` in seconds.
    pub fn gamma(shape: f64, scale_s: f64) -> Result<Dist, DistError> {
        positive("gamma", "shape", shape)?;
        positive("gamma", "scale", scale_s)?;
        Dist::gamma_raw(shape, scale_s, shape * scale_s, 1.0 / shape)
    }

    /// Gamma with the given mean (seconds) and coefficient of variation.
    pub fn gamma_mean_cv(mean_s: f64, cv: f64) -> Result<Dist, DistError> {
        positive("gamma", "mean", mean_s)?;
        positive_cv("gamma", cv)?;
        let scv = cv * cv;
        Dist::gamma_raw(1.0 / scv, mean_s * scv, mean_s, scv)
    }

    fn gamma_raw(shape: f64, scale: f64, mean: f64, scv: f64) -> Result<Dist, DistError> {
        if !(shape > 0.0 && shape.is_finite() && scale > 0.0 && scale.is_finite()) {
            return err("gamma: cv is too extreme; use a cv between 1e-6 and 1e6");
        }
        let sampler = Gamma::new(shape, scale).or_else(|e| err(format!("gamma: {e}")))?;
        let kind = Kind::Gamma { shape, scale, sampler };
        Dist::build("gamma", kind, mean, scv)
    }

    /// Erlang: the sum of `k` exponential phases, with total mean `mean_s`.
    pub fn erlang(k: u32, mean_s: f64) -> Result<Dist, DistError> {
        if k == 0 {
            return err("erlang: k must be a whole number >= 1, e.g. erlang(k=3, mean=30ms)");
        }
        positive("erlang", "mean", mean_s)?;
        let kf = f64::from(k);
        let sampler = Gamma::new(kf, mean_s / kf).or_else(|e| err(format!("erlang: {e}")))?;
        Dist::build("erlang", Kind::Erlang { k, sampler }, mean_s, 1.0 / kf)
    }

    /// Weibull with a dimensionless `shape` and a `scale` in seconds.
    pub fn weibull(shape: f64, scale_s: f64) -> Result<Dist, DistError> {
        positive("weibull", "shape", shape)?;
        positive("weibull", "scale", scale_s)?;
        let g1 = gamma(1.0 + 1.0 / shape);
        Dist::weibull_raw(shape, scale_s, scale_s * g1)
    }

    /// Weibull with a dimensionless `shape` and the given mean in seconds.
    pub fn weibull_mean(shape: f64, mean_s: f64) -> Result<Dist, DistError> {
        positive("weibull", "shape", shape)?;
        positive("weibull", "mean", mean_s)?;
        let g1 = gamma(1.0 + 1.0 / shape);
        Dist::weibull_raw(shape, mean_s / g1, mean_s)
    }

    fn weibull_raw(shape: f64, scale: f64, mean: f64) -> Result<Dist, DistError> {
        if !(scale > 0.0 && scale.is_finite() && mean.is_finite()) {
            return err(format!(
                "weibull: shape={shape} is too small (the mean overflows); use a shape of 0.02 or more"
            ));
        }
        let scv = (ln_gamma(1.0 + 2.0 / shape) - 2.0 * ln_gamma(1.0 + 1.0 / shape)).exp_m1();
        let sampler = Weibull::new(scale, shape).or_else(|e| err(format!("weibull: {e}")))?;
        let kind = Kind::Weibull { shape, scale, sampler };
        Dist::build("weibull", kind, mean, scv)
    }

    /// Pareto with tail index `alpha` (> 1) and minimum `min_s` seconds.
    pub fn pareto(alpha: f64, min_s: f64) -> Result<Dist, DistError> {
        if !alpha.is_finite() {
            return err("pareto: alpha must be a finite number, e.g. pareto(alpha=2.5, min=1ms)");
        }
        if alpha <= 1.0 {
            return err(format!(
                "pareto: alpha={alpha} gives an infinite mean, so no queue can reach steady state; \
                 use alpha > 1 (alpha between 1 and 2 has infinite variance), e.g. pareto(alpha=2.5, min=1ms)"
            ));
        }
        positive("pareto", "min", min_s)?;
        let sampler = Pareto::new(min_s, alpha).or_else(|e| err(format!("pareto: {e}")))?;
        let mean = alpha * min_s / (alpha - 1.0);
        let scv = if alpha > 2.0 { 1.0 / (alpha * (alpha - 2.0)) } else { f64::INFINITY };
        let kind = Kind::Pareto { alpha, min: min_s, sampler };
        Dist::build("pareto", kind, mean, scv)
    }

    /// Two-phase hyperexponential: exp(`mean1_s`) with probability `p`,
    /// otherwise exp(`mean2_s`).
    pub fn hyperexp(p: f64, mean1_s: f64, mean2_s: f64) -> Result<Dist, DistError> {
        if !(0.0..=1.0).contains(&p) {
            return err(format!(
                "hyperexp: p={p} is not a probability; use 0 <= p <= 1, e.g. hyperexp(p=0.9, mean1=1ms, mean2=50ms)"
            ));
        }
        positive("hyperexp", "mean1", mean1_s)?;
        positive("hyperexp", "mean2", mean2_s)?;
        let first = Bernoulli::new(p).or_else(|e| err(format!("hyperexp: {e}")))?;
        let mean = p * mean1_s + (1.0 - p) * mean2_s;
        let (r1, r2) = (mean1_s / mean, mean2_s / mean);
        let scv = 2.0 * (p * r1 * r1 + (1.0 - p) * r2 * r2) - 1.0;
        let kind = Kind::HyperExp { p, mean1: mean1_s, mean2: mean2_s, first };
        Dist::build("hyperexp", kind, mean, scv)
    }

    /// Two-phase hyperexponential with the given mean and cv (>= 1), fitted
    /// with balanced means (each phase contributes half of the mean).
    pub fn hyperexp_mean_cv(mean_s: f64, cv: f64) -> Result<Dist, DistError> {
        positive("hyperexp", "mean", mean_s)?;
        if !(cv >= 1.0 && cv.is_finite()) {
            return err(format!(
                "hyperexp: cv={cv} is below 1, but a hyperexponential is at least as variable as an \
                 exponential; use cv >= 1, or gamma(mean=.., cv=..) for cv < 1"
            ));
        }
        let c2 = cv * cv;
        let p1 = (1.0 + ((c2 - 1.0) / (c2 + 1.0)).sqrt()) / 2.0;
        let p2 = 1.0 - p1;
        let (mean1, mean2) = (mean_s / (2.0 * p1), mean_s / (2.0 * p2));
        if !(mean2.is_finite() && mean1 > 0.0) {
            return err(format!("hyperexp: cv={cv} is too large to fit; use a cv below 1e7"));
        }
        let mut dist = Dist::hyperexp(p1, mean1, mean2)?;
        dist.mean = mean_s;
        dist.scv = c2;
        Ok(dist)
    }

    /// Resamples uniformly from `samples_s` (seconds, at least one, all >= 0).
    pub fn empirical(samples_s: &[f64]) -> Result<Dist, DistError> {
        if samples_s.is_empty() {
            return err("empirical needs at least one sample, e.g. empirical(1ms, 2ms, 5ms)");
        }
        for &x in samples_s {
            non_negative("empirical", "every sample", x)?;
        }
        let n = samples_s.len() as f64;
        let (lo, hi) = samples_s.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let (mean, scv) = if lo == hi {
            (lo, 0.0)
        } else {
            let mean = samples_s.iter().map(|x| x / n).sum::<f64>();
            let scv = samples_s
                .iter()
                .map(|x| {
                    let d = (x - mean) / mean;
                    d * d
                })
                .sum::<f64>()
                / n;
            (mean, scv)
        };
        let index = Uniform::new(0, samples_s.len()).or_else(|e| err(format!("empirical: {e}")))?;
        let kind = Kind::Samples { values: samples_s.into(), index };
        Dist::build("empirical", kind, mean, scv)
    }

    /// Piecewise-linear inverse CDF through `(percentile, seconds)` points.
    /// Percentiles are in 0..=100; 0 and 100 are required, values must not
    /// decrease as the percentile grows. Points may be given in any order.
    pub fn empirical_percentiles(points: &[(f64, f64)]) -> Result<Dist, DistError> {
        const EXAMPLE: &str = "e.g. empirical(p0=1ms, p50=10ms, p99=100ms, p100=300ms)";
        let mut knots: Vec<Knot> = Vec::with_capacity(points.len());
        for &(pct, value) in points {
            if !(0.0..=100.0).contains(&pct) {
                return err(format!("empirical: percentile p{pct} is outside 0..100; {EXAMPLE}"));
            }
            non_negative("empirical", &format!("p{pct}"), value)?;
            // `+ 0.0` turns a -0 percentile into 0.
            knots.push(Knot { pct: pct + 0.0, value });
        }
        knots.sort_by(|a, b| a.pct.total_cmp(&b.pct));
        for w in knots.windows(2) {
            if w[0].pct == w[1].pct {
                return err(format!("empirical: p{} is given twice", w[0].pct));
            }
            if w[1].value < w[0].value {
                return err(format!(
                    "empirical: values must not decrease as the percentile grows, but p{}={} is below p{}={}",
                    w[1].pct,
                    fmt_duration(w[1].value),
                    w[0].pct,
                    fmt_duration(w[0].value)
                ));
            }
        }
        let (Some(first), Some(last)) = (knots.first().copied(), knots.last().copied()) else {
            return err(format!("empirical needs percentile points, {EXAMPLE}"));
        };
        if first.pct != 0.0 || last.pct != 100.0 {
            return err(format!("empirical: p0= (the minimum) and p100= (the maximum) are required; {EXAMPLE}"));
        }
        let (mean, scv) = if first.value == last.value {
            (first.value, 0.0)
        } else {
            // Within a segment the value is uniform on [a, b], with probability w.
            let segments = || knots.windows(2).map(|w| ((w[1].pct - w[0].pct) / 100.0, w[0].value, w[1].value));
            let mean: f64 = segments().map(|(w, a, b)| w * (a / 2.0 + b / 2.0)).sum();
            let scv: f64 = segments()
                .map(|(w, a, b)| {
                    let width = (b - a) / mean;
                    let mid = (a / 2.0 + b / 2.0 - mean) / mean;
                    w * (width * width / 12.0 + mid * mid)
                })
                .sum();
            (mean, scv)
        };
        let kind = Kind::Percentiles { knots: knots.into_boxed_slice() };
        Dist::build("empirical", kind, mean, scv)
    }

    /// Draws one value in seconds: always finite and `>= 0`.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The exponential, by far the most used, is drawn in the caller: the
        // call through the whole `match` cost as much as the draw itself.
        if let Kind::Exp { lambda_inverse } = self.kind {
            // `Exp1.sample` is `rand_distr::Exp::sample` without the call
            // through `Rng::sample`, which the compiler did not inline.
            let x: f64 = Exp1.sample(rng);
            return Self::clamp(x * lambda_inverse * self.factor);
        }
        self.sample_other(rng)
    }

    /// `sample` for every kind but the exponential.
    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = match &self.kind {
            Kind::Exp { lambda_inverse } => {
                let x: f64 = Exp1.sample(rng);
                x * lambda_inverse
            }
            Kind::Const(v) => *v,
            Kind::Uniform { sampler, .. } => sampler.sample(rng),
            Kind::Normal { sampler, .. } => loop {
                // mu > 0, so each draw is kept with probability >= 1/2.
                let x = sampler.sample(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Kind::LogNormal(d) => d.sample(rng),
            Kind::Gamma { sampler, .. } | Kind::Erlang { sampler, .. } => sampler.sample(rng),
            Kind::Weibull { sampler, .. } => sampler.sample(rng),
            Kind::Pareto { sampler, .. } => sampler.sample(rng),
            Kind::HyperExp { mean1, mean2, first, .. } => {
                let mean = if first.sample(rng) { *mean1 } else { *mean2 };
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            Kind::Samples { values, index } => values[index.sample(rng)],
            Kind::Percentiles { knots } => {
                let u: f64 = StandardUniform.sample(rng);
                let u = u * 100.0;
                let n = knots.len();
                let i = knots.partition_point(|k| k.pct <= u).clamp(1, n - 1) - 1;
                let (a, b) = (knots[i], knots[i + 1]);
                a.value + (b.value - a.value) * ((u - a.pct) / (b.pct - a.pct))
            }
        };
        Self::clamp(x * self.factor)
    }

    /// Defensive: a NaN or negative value becomes 0, an overflow f64::MAX.
    #[inline(always)]
    fn clamp(y: f64) -> f64 {
        if y >= 0.0 { y.min(f64::MAX) } else { 0.0 }
    }

    /// Exact mean, in seconds.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Exact squared coefficient of variation, Var/mean²; `f64::INFINITY`
    /// when the variance is infinite (Pareto with alpha <= 2).
    pub fn scv(&self) -> f64 {
        self.scv
    }

    /// Coefficient of variation, sd/mean.
    pub fn cv(&self) -> f64 {
        self.scv.sqrt()
    }

    /// E\[X²\] = mean² (1 + scv), in seconds².
    pub fn second_moment(&self) -> f64 {
        if self.mean == 0.0 {
            return 0.0;
        }
        self.mean * self.mean * (1.0 + self.scv)
    }

    /// Whether samples are exactly exponentially distributed (M/M/c theory applies).
    pub fn is_exponential(&self) -> bool {
        match &self.kind {
            Kind::Exp { .. } => true,
            Kind::Erlang { k, .. } => *k == 1,
            Kind::Gamma { shape, .. } | Kind::Weibull { shape, .. } => *shape == 1.0,
            Kind::HyperExp { p, mean1, mean2, .. } => mean1 == mean2 || *p == 0.0 || *p == 1.0,
            _ => false,
        }
    }

    /// Whether every sample is the same value (M/D/c theory applies).
    pub fn is_deterministic(&self) -> bool {
        self.scv == 0.0
    }

    /// The same family with every sample multiplied by `factor`, e.g.
    /// `demand.scaled(1.0 / speed)` for a CPU that is `speed` times faster.
    ///
    /// # Panics
    ///
    /// If `factor` is not finite and positive: that is a caller bug, since the
    /// configuration must validate speeds before building the model.
    pub fn scaled(&self, factor: f64) -> Dist {
        assert!(factor.is_finite() && factor > 0.0, "Dist::scaled: factor must be finite and positive, got {factor}");
        Dist { kind: self.kind.clone(), factor: self.factor * factor, mean: self.mean * factor, scv: self.scv }
    }
}

impl fmt::Display for Dist {
    /// Canonical text that [`Dist::parse`] reads back to the same distribution.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |seconds: f64| fmt_duration(seconds * self.factor);
        match &self.kind {
            Kind::Exp { .. } => write!(f, "exp(mean={})", fmt_duration(self.mean)),
            Kind::Const(v) => write!(f, "const({})", d(*v)),
            Kind::Uniform { min, max, .. } => {
                write!(f, "uniform(min={}, max={})", d(*min), d(*max))
            }
            Kind::Normal { mu, sd, .. } => write!(f, "normal(mean={}, sd={})", d(*mu), d(*sd)),
            Kind::LogNormal(_) => {
                write!(f, "lognormal(mean={}, cv={})", fmt_duration(self.mean), fmt_number(self.cv()))
            }
            Kind::Gamma { shape, scale, .. } => {
                write!(f, "gamma(shape={}, scale={})", fmt_number(*shape), d(*scale))
            }
            Kind::Erlang { k, .. } => write!(f, "erlang(k={k}, mean={})", fmt_duration(self.mean)),
            Kind::Weibull { shape, scale, .. } => {
                write!(f, "weibull(shape={}, scale={})", fmt_number(*shape), d(*scale))
            }
            Kind::Pareto { alpha, min, .. } => {
                write!(f, "pareto(alpha={}, min={})", fmt_number(*alpha), d(*min))
            }
            Kind::HyperExp { p, mean1, mean2, .. } => {
                write!(f, "hyperexp(p={}, mean1={}, mean2={})", fmt_number(*p), d(*mean1), d(*mean2))
            }
            Kind::Samples { values, .. } => {
                f.write_str("empirical(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&d(*v))?;
                }
                f.write_str(")")
            }
            Kind::Percentiles { knots } => {
                f.write_str("empirical(")?;
                for (i, k) in knots.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "p{}={}", fmt_number(k.pct), d(k.value))?;
                }
                f.write_str(")")
            }
        }
    }
}

impl FromStr for Dist {
    type Err = DistError;

    fn from_str(text: &str) -> Result<Dist, DistError> {
        Dist::parse(text)
    }
}

// ---------------------------------------------------------------------------
// Validation and formatting helpers.

fn positive(family: &str, what: &str, v: f64) -> Result<(), DistError> {
    if v.is_nan() || v.is_infinite() {
        err(format!("{family}: {what} must be a finite number"))
    } else if v <= 0.0 {
        err(format!("{family}: {what} must be positive"))
    } else {
        Ok(())
    }
}

fn non_negative(family: &str, what: &str, v: f64) -> Result<(), DistError> {
    if v.is_nan() || v.is_infinite() {
        err(format!("{family}: {what} must be a finite number"))
    } else if v < 0.0 {
        err(format!("{family}: {what} must be zero or positive"))
    } else {
        Ok(())
    }
}

fn positive_cv(family: &str, cv: f64) -> Result<(), DistError> {
    if !(cv > 0.0 && cv.is_finite()) {
        return err(format!("{family}: cv must be positive (sd/mean, e.g. cv=0.5); for a fixed value use const(10ms)"));
    }
    Ok(())
}

/// A dimensionless number in Rust's shortest round-trip form.
fn fmt_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) { format!("{v}") } else { format!("{v:e}") }
}

/// A duration with the largest unit that reads back to exactly `seconds`.
fn fmt_duration(seconds: f64) -> String {
    if seconds == 0.0 {
        return "0s".to_string();
    }
    const UNITS: [(&str, f64); 3] = [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)];
    if seconds < 1.0
        && let Some(&(unit, scale)) = UNITS.iter().find(|(_, s)| seconds >= *s).or(UNITS.last())
    {
        // The shortest decimal v with v * scale == seconds, as parse_duration computes it.
        let v = seconds / scale;
        for digits in 0..17 {
            if let Ok(candidate) = format!("{v:.digits$e}").parse::<f64>()
                && candidate * scale == seconds
            {
                return format!("{}{unit}", fmt_number(candidate));
            }
        }
    }
    format!("{}s", fmt_number(seconds))
}

// ---------------------------------------------------------------------------
// Parsing.

/// `name(args)` split into positional and named arguments.
struct Call<'a> {
    family: Family,
    usage: &'static str,
    positional: Vec<&'a str>,
    /// (lower-cased key, key as written, value)
    named: Vec<(String, &'a str, &'a str)>,
}

/// The distribution families a model file can name: a closed set, so
/// `build` handles each one and a new family cannot be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Exp,
    Const,
    Uniform,
    Normal,
    Lognormal,
    Gamma,
    Erlang,
    Weibull,
    Pareto,
    Hyperexp,
    Empirical,
}

impl Family {
    /// The family a (lower-case) name or alias stands for.
    fn lookup(name: &str) -> Option<Family> {
        Some(match name {
            "exp" | "exponential" => Family::Exp,
            "const" | "constant" | "det" | "deterministic" => Family::Const,
            "uniform" => Family::Uniform,
            "normal" => Family::Normal,
            "lognormal" => Family::Lognormal,
            "gamma" => Family::Gamma,
            "erlang" => Family::Erlang,
            "weibull" => Family::Weibull,
            "pareto" => Family::Pareto,
            "hyperexp" | "hyperexponential" => Family::Hyperexp,
            "empirical" => Family::Empirical,
            _ => return None,
        })
    }

    /// The canonical name, as error messages say it.
    fn name(self) -> &'static str {
        match self {
            Family::Exp => "exp",
            Family::Const => "const",
            Family::Uniform => "uniform",
            Family::Normal => "normal",
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Erlang => "erlang",
            Family::Weibull => "weibull",
            Family::Pareto => "pareto",
            Family::Hyperexp => "hyperexp",
            Family::Empirical => "empirical",
        }
    }

    /// Usage examples, for error messages.
    fn usage(self) -> &'static str {
        match self {
            Family::Exp => "exp(5ms), exp(mean=5ms) or exp(rate=200/s)",
            Family::Const => "const(10ms)",
            Family::Uniform => "uniform(1ms, 5ms) or uniform(min=1ms, max=5ms)",
            Family::Normal => "normal(mean=10ms, sd=2ms)",
            Family::Lognormal => "lognormal(mean=20ms, cv=0.5) or lognormal(median=10ms, p99=100ms)",
            Family::Gamma => "gamma(mean=10ms, cv=0.5) or gamma(shape=2, scale=5ms)",
            Family::Erlang => "erlang(k=3, mean=30ms)",
            Family::Weibull => "weibull(shape=1.5, scale=10ms) or weibull(shape=1.5, mean=10ms)",
            Family::Pareto => "pareto(alpha=2.5, min=1ms)",
            Family::Hyperexp => "hyperexp(p=0.9, mean1=1ms, mean2=50ms) or hyperexp(mean=10ms, cv=3)",
            Family::Empirical => "empirical(1ms, 2ms, 5ms) or empirical(p0=1ms, p50=10ms, p99=100ms, p100=300ms)",
        }
    }
}

fn unknown_family(name: &str) -> DistError {
    DistError(format!("unknown distribution \"{name}\": use {FAMILIES}"))
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl<'a> Call<'a> {
    fn parse(text: &'a str) -> Result<Call<'a>, DistError> {
        let text = text.trim();
        if text.is_empty() {
            return err(format!("empty distribution: write e.g. exp(5ms) or const(10ms) (families: {FAMILIES})"));
        }
        let Some(open) = text.find('(') else {
            let word = text.split_whitespace().next().unwrap_or(text);
            return match Family::lookup(&word.to_ascii_lowercase()) {
                Some(f) => err(format!("{}: put the arguments in parentheses, e.g. {}", f.name(), f.usage())),
                None => Err(unknown_family(word)),
            };
        };
        let name = text[..open].trim();
        if name.is_empty() {
            return err(format!("missing distribution name before \"(\": write e.g. exp(5ms) (families: {FAMILIES})"));
        }
        let family = Family::lookup(&name.to_ascii_lowercase()).ok_or_else(|| unknown_family(name))?;
        let (fam, usage) = (family.name(), family.usage());
        let rest = &text[open + 1..];
        let Some(close) = rest.rfind(')') else {
            return err(format!("{fam}: missing closing parenthesis in \"{text}\": write e.g. {usage}"));
        };
        let trailing = rest[close + 1..].trim();
        if !trailing.is_empty() {
            return err(format!("{fam}: unexpected \"{trailing}\" after the closing parenthesis: write e.g. {usage}"));
        }
        let inner = &rest[..close];
        if inner.contains(['(', ')']) {
            return err(format!("{fam}: unexpected parenthesis inside the arguments: write e.g. {usage}"));
        }
        let mut call = Call { family, usage, positional: Vec::new(), named: Vec::new() };
        if inner.trim().is_empty() {
            return Ok(call);
        }
        for arg in inner.split(',') {
            let arg = arg.trim();
            if arg.is_empty() {
                return err(format!("{fam}: empty argument (a stray comma?) in \"{text}\": write e.g. {usage}"));
            }
            match arg.split_once('=') {
                Some((key, value)) => {
                    let (key, value) = (key.trim(), value.trim());
                    if key.is_empty() || value.is_empty() {
                        return err(format!(
                            "{fam}: \"{arg}\" needs a name and a value, like mean=5ms: write e.g. {usage}"
                        ));
                    }
                    call.named.push((key.to_ascii_lowercase(), key, value));
                }
                None => call.positional.push(arg),
            }
        }
        Ok(call)
    }

    /// Maps positional arguments onto `positional` names and named ones onto
    /// the canonical keys (each with its aliases).
    fn resolve(&self, positional: &[&'static str], keys: &[(&'static str, &[&str])]) -> Result<Params<'a>, DistError> {
        let (fam, usage) = (self.family.name(), self.usage);
        if self.positional.len() > positional.len() {
            return if positional.is_empty() {
                err(format!("{fam} takes named arguments, like name=value: write e.g. {usage}"))
            } else {
                err(format!("{fam}: too many arguments: write e.g. {usage}"))
            };
        }
        let mut values: Vec<(&'static str, &'a str)> =
            positional.iter().copied().zip(self.positional.iter().copied()).collect();
        for (key, written, value) in &self.named {
            let Some((canon, _)) = keys.iter().find(|(c, aliases)| c == key || aliases.contains(&key.as_str())) else {
                let names: Vec<String> = keys.iter().map(|(c, _)| format!("{c}=")).collect();
                let names = match names.as_slice() {
                    [init @ .., last] if !init.is_empty() => {
                        format!("{} or {last}", init.join(", "))
                    }
                    _ => names.join(""),
                };
                return err(format!("{fam}: unknown argument \"{written}\": use {names}, e.g. {usage}"));
            };
            if values.iter().any(|(c, _)| c == canon) {
                return err(format!("{fam}: {canon} is given twice"));
            }
            values.push((canon, value));
        }
        Ok(Params { family: fam, usage, values })
    }

    fn build(&self) -> Result<Dist, DistError> {
        match self.family {
            Family::Exp => {
                let p = self.resolve(&["mean"], &[("mean", &[]), ("rate", &["lambda"])])?;
                match p.form(&[&["mean"], &["rate"]])? {
                    0 => Dist::exponential(p.duration("mean")?),
                    _ => {
                        let rate = p.rate("rate")?;
                        if rate <= 0.0 {
                            return err("exp: rate must be positive, e.g. exp(rate=200/s)");
                        }
                        Dist::exponential(1.0 / rate)
                    }
                }
            }
            Family::Const => {
                let p = self.resolve(&["value"], &[("value", &[])])?;
                p.form(&[&["value"]])?;
                Dist::constant(p.duration("value")?)
            }
            Family::Uniform => {
                let p = self.resolve(&["min", "max"], &[("min", &[]), ("max", &[])])?;
                p.form(&[&["min", "max"]])?;
                Dist::uniform(p.duration("min")?, p.duration("max")?)
            }
            Family::Normal => {
                let p = self.resolve(&[], &[("mean", &["mu"]), ("sd", &["sigma", "stddev"])])?;
                p.form(&[&["mean", "sd"]])?;
                Dist::normal(p.duration("mean")?, p.duration("sd")?)
            }
            Family::Lognormal => {
                let p = self.resolve(&[], &[("mean", &[]), ("cv", &[]), ("median", &["p50"]), ("p99", &[])])?;
                match p.form(&[&["mean", "cv"], &["median", "p99"]])? {
                    0 => Dist::lognormal(p.duration("mean")?, p.number("cv")?),
                    _ => Dist::lognormal_quantiles(p.duration("median")?, p.duration("p99")?),
                }
            }
            Family::Gamma => {
                let p = self.resolve(&[], &[("mean", &[]), ("cv", &[]), ("shape", &["k"]), ("scale", &["theta"])])?;
                match p.form(&[&["mean", "cv"], &["shape", "scale"]])? {
                    0 => Dist::gamma_mean_cv(p.duration("mean")?, p.number("cv")?),
                    _ => Dist::gamma(p.number("shape")?, p.duration("scale")?),
                }
            }
            Family::Erlang => {
                let p = self.resolve(&[], &[("k", &["shape", "phases"]), ("mean", &[])])?;
                p.form(&[&["k", "mean"]])?;
                let k = p.number("k")?;
                if !(k >= 1.0 && k.fract() == 0.0 && k <= f64::from(u32::MAX)) {
                    return err(format!(
                        "erlang: k={k} must be a whole number >= 1, e.g. erlang(k=3, mean=30ms); \
                         for other shapes use gamma(shape=.., scale=..)"
                    ));
                }
                Dist::erlang(k as u32, p.duration("mean")?)
            }
            Family::Weibull => {
                let p = self.resolve(&[], &[("shape", &["k"]), ("scale", &["lambda"]), ("mean", &[])])?;
                match p.form(&[&["shape", "scale"], &["shape", "mean"]])? {
                    0 => Dist::weibull(p.number("shape")?, p.duration("scale")?),
                    _ => Dist::weibull_mean(p.number("shape")?, p.duration("mean")?),
                }
            }
            Family::Pareto => {
                let p = self.resolve(&[], &[("alpha", &["shape"]), ("min", &["scale", "xm"])])?;
                p.form(&[&["alpha", "min"]])?;
                Dist::pareto(p.number("alpha")?, p.duration("min")?)
            }
            Family::Hyperexp => {
                let p =
                    self.resolve(&[], &[("p", &["p1"]), ("mean1", &[]), ("mean2", &[]), ("mean", &[]), ("cv", &[])])?;
                match p.form(&[&["p", "mean1", "mean2"], &["mean", "cv"]])? {
                    0 => Dist::hyperexp(p.number("p")?, p.duration("mean1")?, p.duration("mean2")?),
                    _ => Dist::hyperexp_mean_cv(p.duration("mean")?, p.number("cv")?),
                }
            }
            Family::Empirical => self.build_empirical(),
        }
    }

    fn build_empirical(&self) -> Result<Dist, DistError> {
        let usage = self.usage;
        match (self.positional.is_empty(), self.named.is_empty()) {
            (true, true) => err(format!("empirical needs at least one sample or percentile point: write e.g. {usage}")),
            (false, false) => err(format!(
                "empirical takes either a list of samples or percentile points, not both: write e.g. {usage}"
            )),
            (false, true) => {
                let samples = self
                    .positional
                    .iter()
                    .map(|v| parse_duration(v).map_err(|e| DistError(format!("empirical: sample {e}"))))
                    .collect::<Result<Vec<f64>, DistError>>()?;
                Dist::empirical(&samples)
            }
            (true, false) => {
                let mut points = Vec::with_capacity(self.named.len());
                for (key, written, value) in &self.named {
                    let pct =
                        key.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()).filter(|p| (0.0..=100.0).contains(p));
                    let Some(pct) = pct else {
                        return err(format!(
                            "empirical: unknown argument \"{written}\": use percentile points \
                             p0=, p50=, p99.9=, p100= (percent between 0 and 100), e.g. {usage}"
                        ));
                    };
                    let seconds = parse_duration(value).map_err(|e| DistError(format!("empirical: {written}: {e}")))?;
                    points.push((pct, seconds));
                }
                Dist::empirical_percentiles(&points)
            }
        }
    }
}

/// Resolved arguments: canonical key -> text value.
struct Params<'a> {
    family: &'static str,
    usage: &'static str,
    values: Vec<(&'static str, &'a str)>,
}

impl<'a> Params<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Index of the form whose keys are exactly the ones given.
    fn form(&self, forms: &[&[&str]]) -> Result<usize, DistError> {
        let matches = |form: &[&str]| form.len() == self.values.len() && form.iter().all(|k| self.get(k).is_some());
        if let Some(i) = forms.iter().position(|f| matches(f)) {
            return Ok(i);
        }
        let described: Vec<String> =
            forms.iter().map(|form| and_list(&form.iter().map(|k| format!("{k}=")).collect::<Vec<_>>())).collect();
        let sep = if forms.iter().all(|f| f.len() == 1) { " or " } else { ", or " };
        let need = match described.as_slice() {
            [one] => one.clone(),
            [init @ .., last] => format!("either {}{sep}{last}", init.join(sep)),
            [] => String::new(),
        };
        // Every argument of some form is present, plus others: forms are mixed.
        let mixed = forms.iter().any(|form| form.iter().all(|k| self.get(k).is_some()));
        let mixed = if mixed { ", not a mix of them" } else { "" };
        err(format!("{} needs {need}{mixed}: write e.g. {}", self.family, self.usage))
    }

    fn text(&self, key: &str) -> Result<&'a str, DistError> {
        self.get(key).ok_or_else(|| DistError(format!("{}: missing {key}=: write e.g. {}", self.family, self.usage)))
    }

    fn duration(&self, key: &str) -> Result<f64, DistError> {
        parse_duration(self.text(key)?).map_err(|e| DistError(format!("{}: {key}: {e}", self.family)))
    }

    fn rate(&self, key: &str) -> Result<f64, DistError> {
        parse_rate(self.text(key)?).map_err(|e| DistError(format!("{}: {key}: {e}", self.family)))
    }

    fn number(&self, key: &str) -> Result<f64, DistError> {
        let text = self.text(key)?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => err(format!("{}: {key}={text} must be a finite number, e.g. {}", self.family, self.usage)),
            Err(_) if parse_duration(text).is_ok() => err(format!(
                "{}: {key} is a plain number without a unit (got \"{text}\"), e.g. {}",
                self.family, self.usage
            )),
            Err(_) => err(format!("{}: {key}=\"{text}\" is not a number, e.g. {}", self.family, self.usage)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    const N: usize = 200_000;

    fn draw(d: &Dist, seed: u64, n: usize) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| d.sample(&mut rng)).collect()
    }

    /// Sample mean within 5 standard errors of mean(); if `check_scv`, the
    /// sample scv within 5 (estimated) standard errors of scv().
    fn check_moments(spec: &str, check_scv: bool) {
        let d = Dist::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let xs = draw(&d, 0x5eed ^ spec.len() as u64, N);
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{spec}: negative or non-finite sample");
        let n = N as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
        let sd = if d.scv().is_finite() { d.mean() * d.cv() } else { m2.sqrt() };
        let se_mean = sd / n.sqrt();
        assert!(
            (mean - d.mean()).abs() <= 5.0 * se_mean + 1e-12 * d.mean(),
            "{spec}: sample mean {mean} vs exact {} (se {se_mean})",
            d.mean()
        );
        if check_scv {
            let scv = m2 / (mean * mean);
            let se_var = ((m4 - m2 * m2).max(0.0) / n).sqrt();
            let rel = if m2 > 0.0 { ((se_var / m2).powi(2) + (2.0 * se_mean / d.mean()).powi(2)).sqrt() } else { 0.0 };
            let tol = 5.0 * rel * d.scv() + 1e-9;
            assert!((scv - d.scv()).abs() <= tol, "{spec}: sample scv {scv} vs exact {} (tolerance {tol})", d.scv());
        }
    }

    #[test]
    fn exponential_moments() {
        check_moments("exp(5ms)", true);
        check_moments("exp(rate=200/s)", true);
        let d = Dist::parse("exponential(mean=5ms)").unwrap();
        assert_eq!(d.mean(), 0.005);
        assert_eq!(d.scv(), 1.0);
        assert!(d.is_exponential() && !d.is_deterministic());
        assert!((Dist::parse("exp(rate=200/s)").unwrap().mean() - 0.005).abs() < 1e-15);
    }

    #[test]
    fn constant_moments() {
        check_moments("const(10ms)", true);
        for spec in ["const(10ms)", "constant(10ms)", "det(10ms)", "const(value=10ms)"] {
            let d = Dist::parse(spec).unwrap();
            assert_eq!(d.mean(), 0.01);
            assert_eq!(d.scv(), 0.0);
            assert!(d.is_deterministic() && !d.is_exponential());
            assert!(draw(&d, 1, 100).iter().all(|&x| x == 0.01));
        }
        let zero = Dist::parse("const(0s)").unwrap();
        assert_eq!(zero.mean(), 0.0);
        assert_eq!(zero.second_moment(), 0.0);
    }

    #[test]
    fn uniform_moments() {
        check_moments("uniform(1ms, 5ms)", true);
        let d = Dist::parse("uniform(min=1ms, max=5ms)").unwrap();
        assert!((d.mean() - 0.003).abs() < 1e-15);
        assert!((d.scv() - (0.004f64.powi(2) / 12.0) / 0.003f64.powi(2)).abs() < 1e-12);
        let xs = draw(&d, 2, 10_000);
        assert!(xs.iter().all(|&x| (0.001..=0.005).contains(&x)));
        assert!(Dist::parse("uniform(2ms, 2ms)").unwrap().is_deterministic());
    }

    #[test]
    fn truncated_normal_moments() {
        check_moments("normal(mean=10ms, sd=2ms)", true);
        check_moments("normal(mean=10ms, sd=8ms)", true);
        check_moments("normal(mean=1ms, sd=5ms)", true);
        // Far from zero, truncation is negligible.
        let d = Dist::parse("normal(mean=10ms, sd=1ms)").unwrap();
        assert!((d.mean() - 0.01).abs() < 1e-15);
        assert!((d.scv() - 0.01).abs() < 1e-12);
        // Almost at zero it becomes a half-normal: mean sd sqrt(2/pi), var sd^2 (1 - 2/pi).
        let h = Dist::normal(1e-12, 1.0).unwrap();
        assert!((h.mean() - (2.0 / PI).sqrt()).abs() < 1e-9);
        assert!((h.scv() - (1.0 - 2.0 / PI) / (2.0 / PI)).abs() < 1e-9);
    }

    #[test]
    fn lognormal_moments() {
        check_moments("lognormal(mean=20ms, cv=0.5)", true);
        check_moments("lognormal(median=10ms, p99=100ms)", true);
        let d = Dist::parse("lognormal(median=10ms, p99=100ms)").unwrap();
        let xs = draw(&d, 3, N);
        let below_median = xs.iter().filter(|&&x| x < 0.01).count() as f64 / N as f64;
        let below_p99 = xs.iter().filter(|&&x| x < 0.1).count() as f64 / N as f64;
        assert!((below_median - 0.5).abs() < 0.005, "{below_median}");
        assert!((below_p99 - 0.99).abs() < 0.002, "{below_p99}");
        let m = Dist::parse("lognormal(mean=20ms, cv=0.5)").unwrap();
        assert_eq!(m.mean(), 0.02);
        assert!((m.cv() - 0.5).abs() < 1e-15);
    }

    #[test]
    fn gamma_and_erlang_moments() {
        check_moments("gamma(mean=10ms, cv=0.5)", true);
        check_moments("gamma(shape=0.5, scale=5ms)", true);
        check_moments("gamma(shape=2, scale=5ms)", true);
        check_moments("erlang(k=3, mean=30ms)", true);
        let e = Dist::parse("erlang(k=3, mean=30ms)").unwrap();
        assert_eq!(e.mean(), 0.03);
        assert!((e.scv() - 1.0 / 3.0).abs() < 1e-15);
        assert!(Dist::parse("erlang(k=1, mean=30ms)").unwrap().is_exponential());
        assert!(Dist::parse("gamma(shape=1, scale=3ms)").unwrap().is_exponential());
        let g = Dist::parse("gamma(shape=2, scale=5ms)").unwrap();
        assert!((g.mean() - 0.01).abs() < 1e-15);
        assert_eq!(g.scv(), 0.5);
    }

    #[test]
    fn weibull_moments() {
        check_moments("weibull(shape=1.5, scale=10ms)", true);
        check_moments("weibull(shape=0.7, mean=10ms)", true);
        let d = Dist::parse("weibull(shape=1.5, mean=10ms)").unwrap();
        assert_eq!(d.mean(), 0.01);
        let one = Dist::parse("weibull(shape=1, scale=10ms)").unwrap();
        assert!((one.mean() - 0.01).abs() < 1e-14);
        assert!((one.scv() - 1.0).abs() < 1e-12);
        assert!(one.is_exponential());
    }

    #[test]
    fn pareto_moments() {
        // alpha <= 4: infinite fourth moment, so only the mean is checked.
        check_moments("pareto(alpha=2.5, min=1ms)", false);
        check_moments("pareto(shape=5, scale=1ms)", true);
        let d = Dist::parse("pareto(alpha=2.5, min=1ms)").unwrap();
        assert!((d.mean() - 2.5e-3 / 1.5).abs() < 1e-15);
        assert!((d.scv() - 1.0 / 1.25).abs() < 1e-12);
        let heavy = Dist::parse("pareto(alpha=1.5, min=1ms)").unwrap();
        assert_eq!(heavy.scv(), f64::INFINITY);
        assert_eq!(heavy.second_moment(), f64::INFINITY);
        assert!(draw(&heavy, 4, N).iter().all(|x| x.is_finite() && *x >= 0.001));
    }

    #[test]
    fn hyperexp_moments() {
        check_moments("hyperexp(p=0.9, mean1=1ms, mean2=50ms)", true);
        check_moments("hyperexp(mean=10ms, cv=3)", true);
        let d = Dist::parse("hyperexp(mean=10ms, cv=3)").unwrap();
        assert_eq!(d.mean(), 0.01);
        assert_eq!(d.scv(), 9.0);
        let h = Dist::parse("hyperexp(p=0.9, mean1=1ms, mean2=50ms)").unwrap();
        let mean = 0.9 * 0.001 + 0.1 * 0.05;
        let e2 = 2.0 * (0.9 * 0.001f64.powi(2) + 0.1 * 0.05f64.powi(2));
        assert!((h.mean() - mean).abs() < 1e-15);
        assert!((h.second_moment() - e2).abs() < 1e-12 * e2);
        assert!(Dist::parse("hyperexp(mean=10ms, cv=1)").unwrap().is_exponential());
    }

    #[test]
    fn empirical_samples_moments() {
        check_moments("empirical(1ms, 2ms, 2ms, 5ms)", true);
        let d = Dist::parse("empirical(1ms, 2ms, 2ms, 5ms)").unwrap();
        assert!((d.mean() - 0.0025).abs() < 1e-15);
        let var = (1.5e-3f64.powi(2) + 2.0 * 0.5e-3f64.powi(2) + 2.5e-3f64.powi(2)) / 4.0;
        assert!((d.scv() - var / 0.0025f64.powi(2)).abs() < 1e-12);
        let xs = draw(&d, 5, 1000);
        assert!(xs.iter().all(|x| [0.001, 0.002, 0.005].contains(x)));
        let one = Dist::parse("empirical(7ms)").unwrap();
        assert!(one.is_deterministic());
        assert_eq!(one.mean(), 0.007);
    }

    #[test]
    fn empirical_percentiles_moments() {
        let spec = "empirical(p0=1ms, p50=10ms, p90=30ms, p99=100ms, p100=300ms)";
        check_moments(spec, true);
        let d = Dist::parse(spec).unwrap();
        let mean = 0.5 * 5.5e-3 + 0.4 * 20e-3 + 0.09 * 65e-3 + 0.01 * 200e-3;
        assert!((d.mean() - mean).abs() < 1e-15);
        let e2 = 0.5 * (1.0 + 10.0 + 100.0) / 3.0
            + 0.4 * (100.0 + 300.0 + 900.0) / 3.0
            + 0.09 * (900.0 + 3000.0 + 10000.0) / 3.0
            + 0.01 * (10000.0 + 30000.0 + 90000.0) / 3.0;
        let e2 = e2 * 1e-6;
        assert!((d.second_moment() - e2).abs() < 1e-9 * e2);
        let xs = draw(&d, 6, N);
        let frac = |t: f64| xs.iter().filter(|&&x| x <= t).count() as f64 / N as f64;
        assert!((frac(0.01) - 0.5).abs() < 0.005);
        assert!((frac(0.03) - 0.9).abs() < 0.004);
        assert!((frac(0.1) - 0.99).abs() < 0.002);
        assert!(xs.iter().all(|&x| (0.001..=0.3).contains(&x)));
        // Order of the points does not matter; a flat distribution is deterministic.
        let shuffled = Dist::parse("empirical(p100=300ms, p50=10ms, p0=1ms, p99=100ms, p90=30ms)");
        assert_eq!(shuffled.unwrap().mean(), d.mean());
        assert!(Dist::parse("empirical(p0=5ms, p100=5ms)").unwrap().is_deterministic());
        let u = Dist::parse("empirical(p0=1ms, p100=5ms)").unwrap();
        let uni = Dist::parse("uniform(1ms, 5ms)").unwrap();
        assert!((u.mean() - uni.mean()).abs() < 1e-15);
        assert!((u.scv() - uni.scv()).abs() < 1e-12);
    }

    const ALL: &[&str] = &[
        "exp(5ms)",
        "exp(rate=200/s)",
        "const(10ms)",
        "const(0s)",
        "uniform(1ms, 5ms)",
        "normal(mean=10ms, sd=2ms)",
        "normal(mean=1ms, sd=5ms)",
        "lognormal(mean=20ms, cv=0.5)",
        "lognormal(median=10ms, p99=100ms)",
        "gamma(mean=10ms, cv=0.5)",
        "gamma(shape=2, scale=5ms)",
        "erlang(k=3, mean=30ms)",
        "weibull(shape=1.5, scale=10ms)",
        "weibull(shape=1.5, mean=10ms)",
        "pareto(alpha=2.5, min=1ms)",
        "pareto(alpha=1.5, min=1ms)",
        "hyperexp(p=0.9, mean1=1ms, mean2=50ms)",
        "hyperexp(mean=10ms, cv=3)",
        "empirical(1ms, 2ms, 2ms, 5ms)",
        "empirical(p0=1ms, p50=10ms, p90=30ms, p99.9=100ms, p100=300ms)",
        "exp(mean=1.234567891234s)",
        "exp(mean=0.3ms)",
        "const(123456789s)",
        "const(1e-15s)",
    ];

    fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[test]
    fn display_round_trips() {
        for spec in ALL {
            let d = Dist::parse(spec).unwrap();
            for d in [d.clone(), d.scaled(0.37), d.scaled(3.0)] {
                let text = d.to_string();
                let back: Dist = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
                assert!(close(back.mean(), d.mean()), "{spec} -> {text}: mean {} vs {}", back.mean(), d.mean());
                assert!(
                    close(back.scv(), d.scv()) || (back.scv() - d.scv()).abs() < 1e-12,
                    "{spec} -> {text}: scv {} vs {}",
                    back.scv(),
                    d.scv()
                );
                assert_eq!(back.to_string(), text, "{spec}");
            }
        }
        assert_eq!(Dist::parse("exp(5ms)").unwrap().to_string(), "exp(mean=5ms)");
        assert_eq!(Dist::parse("const(2.5s)").unwrap().to_string(), "const(2.5s)");
        assert_eq!(Dist::parse("uniform(1ms, 5ms)").unwrap().to_string(), "uniform(min=1ms, max=5ms)");
        assert_eq!(Dist::parse("exp(250us)").unwrap().to_string(), "exp(mean=250us)");
    }

    #[test]
    fn parsing_is_tolerant_of_case_and_whitespace() {
        let d = Dist::parse("  EXP ( Mean = 5 ms )  ").unwrap();
        assert_eq!(d.mean(), 0.005);
        let g = Dist::parse("Gamma(SHAPE=2,scale=5ms)").unwrap();
        assert!((g.mean() - 0.01).abs() < 1e-15);
        let u = Dist::parse("uniform( 1ms ,max= 5ms )").unwrap();
        assert!((u.mean() - 0.003).abs() < 1e-15);
        assert!(Dist::parse("HyperExponential(mean=10ms, cv=2)").is_ok());
    }

    #[test]
    fn scaled_multiplies_every_sample() {
        for spec in ALL {
            let d = Dist::parse(spec).unwrap();
            let half = d.scaled(0.5);
            assert!(close(half.mean(), d.mean() * 0.5), "{spec}");
            assert_eq!(half.scv(), d.scv(), "{spec}");
            assert_eq!(half.is_exponential(), d.is_exponential());
            assert_eq!(half.is_deterministic(), d.is_deterministic());
            let (xs, ys) = (draw(&d, 7, 1000), draw(&half, 7, 1000));
            for (x, y) in xs.iter().zip(&ys) {
                assert_eq!(*y, x * 0.5, "{spec}");
            }
            let back = half.scaled(2.0);
            assert!(close(back.mean(), d.mean()), "{spec}");
        }
        let slow = Dist::parse("exp(5ms)").unwrap().scaled(1.0 / 2.0);
        assert_eq!(slow.to_string(), "exp(mean=2.5ms)");
    }

    #[test]
    fn moment_helpers_agree() {
        for spec in ALL {
            let d = Dist::parse(spec).unwrap();
            assert!(close(d.cv() * d.cv(), d.scv()) || !d.scv().is_finite(), "{spec}");
            let m2 = d.mean() * d.mean() * (1.0 + d.scv());
            assert!(close(d.second_moment(), m2) || d.mean() == 0.0, "{spec}");
        }
    }

    fn error_of(text: &str) -> String {
        match Dist::parse(text) {
            Ok(d) => panic!("{text} should be refused, got {d}"),
            Err(e) => e.to_string(),
        }
    }

    #[track_caller]
    fn assert_error(text: &str, fragments: &[&str]) {
        let e = error_of(text);
        for f in fragments {
            assert!(e.contains(f), "error for {text:?} is {e:?}, expected it to mention {f:?}");
        }
    }

    #[test]
    fn parse_errors_explain_the_fix() {
        assert_error(
            "expo(5ms)",
            &["unknown distribution \"expo\": use exp, const, uniform, normal, lognormal, gamma, \
                 erlang, weibull, pareto, hyperexp or empirical"],
        );
        assert_error("lognormal(mean=20ms)", &["lognormal needs either mean= and cv=, or median= and p99="]);
        assert_error("lognormal(mean=20ms, p99=100ms)", &["lognormal needs either"]);
        assert_error("lognormal(median=10ms, p99=5ms)", &["p99", "greater than median"]);
        assert_error("exp(0ms)", &["exp: mean must be positive"]);
        assert_error("exp(rate=0/s)", &["exp: rate must be positive"]);
        assert_error("exp(5)", &["exp: mean", "has no unit", "\"5s\""]);
        assert_error("exp(avg=5ms)", &["unknown argument \"avg\"", "mean= or rate="]);
        assert_error("exp(5ms", &["missing closing parenthesis"]);
        assert_error("exp 5ms", &["parentheses", "exp(5ms)"]);
        assert_error("exp(mean=5ms, rate=200/s)", &["exp needs either mean= or rate=, not a mix"]);
        assert_error("exp()", &["exp needs either mean= or rate=: write e.g. exp(5ms)"]);
        assert_error("exp(5ms, 6ms)", &["too many arguments"]);
        assert_error("exp(5ms) extra", &["after the closing parenthesis"]);
        assert_error("exp(5ms,)", &["empty argument"]);
        assert_error("exp(mean=)", &["needs a name and a value"]);
        assert_error("exp(mean=5ms, mean=6ms)", &["given twice"]);
        assert_error("exp(5ms, mean=6ms)", &["given twice"]);
        assert_error("", &["empty distribution"]);
        assert_error("(5ms)", &["missing distribution name"]);
        assert_error("exp((5ms))", &["parenthesis"]);
        assert_error("const(-1ms)", &["negative"]);
        assert_error("const(5 parsecs)", &["unknown time unit"]);
        assert_error("uniform(5ms, 1ms)", &["must not exceed max", "uniform(min=1ms, max=5ms)"]);
        assert_error("uniform(1ms)", &["uniform needs min= and max="]);
        assert_error("normal(mean=0ms, sd=2ms)", &["normal: mean must be positive"]);
        assert_error("normal(mean=10ms, sd=0ms)", &["sd must be positive", "const("]);
        assert_error("normal(10ms, 2ms)", &["named arguments"]);
        assert_error("gamma(mean=10ms)", &["gamma needs either mean= and cv=, or shape= and scale="]);
        assert_error("gamma(mean=10ms, cv=0)", &["cv must be positive"]);
        assert_error("gamma(shape=2ms, scale=5ms)", &["plain number"]);
        assert_error("gamma(shape=two, scale=5ms)", &["not a number"]);
        assert_error("gamma(shape=inf, scale=5ms)", &["finite"]);
        assert_error("gamma(shape=NaN, scale=5ms)", &["finite"]);
        assert_error("erlang(k=2.5, mean=30ms)", &["whole number", "gamma("]);
        assert_error("erlang(k=0, mean=30ms)", &["whole number"]);
        assert_error("erlang(mean=30ms)", &["erlang needs k= and mean="]);
        assert_error("weibull(shape=1.5)", &["weibull needs"]);
        assert_error("weibull(shape=0.001, scale=1ms)", &["too small"]);
        assert_error("pareto(alpha=1, min=1ms)", &["infinite mean", "alpha > 1"]);
        assert_error("pareto(alpha=0.5, min=1ms)", &["infinite mean"]);
        assert_error("pareto(alpha=2.5, min=0ms)", &["min must be positive"]);
        assert_error("pareto(alpha=2.5, minimum=1ms)", &["unknown argument \"minimum\"", "alpha= or min="]);
        assert_error("hyperexp(mean=10ms, cv=0.5)", &["cv >= 1", "gamma("]);
        assert_error("hyperexp(p=1.5, mean1=1ms, mean2=50ms)", &["probability"]);
        assert_error("hyperexp(p=0.9, mean1=1ms)", &["hyperexp needs either p=, mean1= and mean2=, or mean= and cv="]);
        assert_error("empirical()", &["at least one sample"]);
        assert_error("empirical(1ms, p50=2ms)", &["not both"]);
        assert_error("empirical(1ms, 2)", &["no unit"]);
        assert_error("empirical(p0=1ms, p50=10ms)", &["p100= (the maximum) are required"]);
        assert_error("empirical(p50=10ms, p100=20ms)", &["p0= (the minimum)"]);
        assert_error("empirical(p0=1ms, p50=30ms, p90=10ms, p100=40ms)", &["must not decrease", "p90=10ms"]);
        assert_error("empirical(p0=1ms, p50=10ms, p50.0=11ms, p100=40ms)", &["given twice"]);
        assert_error("empirical(p0=1ms, p150=10ms, p100=40ms)", &["unknown argument \"p150\""]);
        assert_error("empirical(q0=1ms, p100=40ms)", &["unknown argument \"q0\"", "p0="]);
        assert_error("banana", &["unknown distribution \"banana\""]);
    }

    #[test]
    fn constructors_validate_like_parse() {
        assert!(Dist::exponential(0.005).is_ok());
        assert_eq!(Dist::exponential(0.0).unwrap_err().0, "exp: mean must be positive");
        assert!(Dist::exponential(f64::NAN).is_err());
        assert!(Dist::exponential(f64::INFINITY).is_err());
        assert!(Dist::constant(-1.0).is_err());
        assert!(Dist::constant(f64::NAN).is_err());
        assert!(Dist::empirical(&[]).is_err());
        assert!(Dist::empirical(&[1.0, f64::NAN]).is_err());
        assert!(Dist::empirical_percentiles(&[]).is_err());
        assert!(Dist::empirical_percentiles(&[(0.0, 1.0), (f64::NAN, 2.0), (100.0, 3.0)]).is_err());
        assert!(Dist::hyperexp_mean_cv(1.0, 1e300).is_err());
        assert!(Dist::gamma_mean_cv(1.0, 1e300).is_err());
        assert!(Dist::lognormal(1.0, 1e300).is_err());
        assert!(Dist::uniform(0.0, f64::MAX).is_ok());
    }

    #[test]
    fn extreme_parameters_still_sample_finite_non_negative_values() {
        let specs = [
            "lognormal(median=1ns, p99=1000000s)",
            "lognormal(mean=1ns, cv=1000)",
            "weibull(shape=0.05, scale=1s)",
            "weibull(shape=1000, mean=1s)",
            "gamma(mean=1s, cv=100)",
            "gamma(mean=1s, cv=0.001)",
            "pareto(alpha=1.0001, min=1000000s)",
            "hyperexp(mean=1s, cv=1000)",
            "hyperexp(p=0, mean1=1ms, mean2=2ms)",
            "hyperexp(p=1, mean1=1ms, mean2=2ms)",
            "normal(mean=1ns, sd=1000s)",
            "uniform(0s, 1e300s)",
            "const(1e300s)",
        ];
        for spec in specs {
            let d = Dist::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(d.mean().is_finite() && d.mean() >= 0.0, "{spec}");
            assert!(!d.scv().is_nan(), "{spec}");
            let xs = draw(&d, 8, 20_000);
            assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{spec}");
            let big = d.scaled(1e300);
            assert!(draw(&big, 9, 1000).iter().all(|x| x.is_finite() && *x >= 0.0), "{spec}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let fixed = [
            "(",
            ")",
            "()",
            ")(",
            "exp(",
            "exp)",
            "exp(()",
            "exp(=)",
            "exp(,)",
            "exp(=5ms)",
            "exp(mean==5ms)",
            "exp(mean=5ms=)",
            "empirical(p=1ms)",
            "empirical(p=)",
            "empirical(pp0=1ms)",
            "µ(5ms)",
            "exp(5µs)",
            "exp(5 µ)",
            "exp(1e309s)",
            "exp(-0ms)",
            "exp(rate=-1/s)",
            "const(1e-400s)",
            "erlang(k=1e20, mean=1s)",
            "erlang(k=-1, mean=1s)",
            "empirical(p-0=1ms, p100=2ms)",
            "empirical(p0=1ms, p1e2=2ms)",
            "empirical(pnan=1ms)",
            "weibull(shape=1e-300, mean=1s)",
            "weibull(shape=1e300, scale=1s)",
            "pareto(alpha=1e300, min=1s)",
            "hyperexp(mean=1e-300s, cv=1)",
            "uniform(,)",
            "exp(5ms))",
            "normal(mean=1e300s, sd=1e-300s)",
            "\u{0}",
            "exp(\u{0})",
            "𝔢xp(5ms)",
        ];
        for text in fixed {
            if let Ok(d) = Dist::parse(text) {
                assert!(d.mean().is_finite(), "{text}");
                assert!(draw(&d, 10, 100).iter().all(|x| x.is_finite() && *x >= 0.0), "{text}");
            }
        }
        // Random strings over the syntax's alphabet.
        use rand::RngExt;
        let alphabet: Vec<char> = "expconstuniformalgwbhyrkdip0123456789.e-+_(),= /smµ%".chars().collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for _ in 0..50_000 {
            let len = rng.random_range(0..24);
            let mut s: String = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            if rng.random_bool(0.5) {
                let name = ["exp(", "uniform(", "empirical(p0=", "gamma(shape=", "hyperexp("][rng.random_range(0..5)];
                s = format!("{name}{s}");
            }
            if let Ok(d) = Dist::parse(&s) {
                let mut r = Xoshiro256PlusPlus::seed_from_u64(12);
                for _ in 0..10 {
                    let x = d.sample(&mut r);
                    assert!(x.is_finite() && x >= 0.0, "{s}");
                }
            }
        }
    }

    #[test]
    fn error_type_is_usable() {
        let e: DistError = "nope(1ms)".parse::<Dist>().unwrap_err();
        assert_eq!(e.clone(), e);
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().contains("nope"));
    }
}
