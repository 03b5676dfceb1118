//! The parametric families: one validated constructor per form a model file
//! can write, from [`Dist::exponential`] to [`Dist::hyperexp_mean_cv`].
//!
//! Each constructor checks its parameters, computes the exact mean and
//! squared coefficient of variation in closed form, prebuilds the sampler and
//! hands all three to `Dist::build`; after that, sampling cannot fail.

use std::f64::consts::{PI, SQRT_2};

use rand::distr::{Bernoulli, Uniform};
use rand_distr::{Gamma, LogNormal, Normal, Pareto, Weibull};
use statrs::function::erf::erfc;
use statrs::function::gamma::{gamma, ln_gamma};

use super::{Dist, DistError, Kind, err, fmt_duration, non_negative, positive, positive_cv};

/// Quantile of the standard normal distribution at 0.99.
const Z_P99: f64 = 2.326_347_874_040_840_8;

impl Dist {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::tests::{N, check_moments, draw};

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
}
