//! Maximum-likelihood fits to samples, with standard errors, and the
//! goodness of fit (KS distance, percentile errors) against the samples.
//!
//! Where the likelihood equations have closed forms or reduce to one
//! equation in the sufficient statistics (exponential, log-normal, gamma,
//! Erlang, Pareto) the full samples are used. Weibull's profile equation and
//! the hyperexponential's EM iterate over the data many times; beyond
//! [`THIN`] samples they run on [`THIN`] evenly spaced order statistics,
//! which represent the sample's CDF to within 1/[`THIN`], far below the
//! sampling error of the estimates at that size. The log-likelihood (hence
//! AIC) is always summed over every sample. Standard errors come from the
//! observed information (closed form where known, else a numerical Hessian
//! on the thinned sample scaled by n/m, information being additive).

use rayon::prelude::*;
use statrs::function::gamma::{digamma, ln_gamma};

use super::families::{Family, Model};
use super::optimise::{bisect, nelder_mead, standard_errors};

/// Order statistics kept for iterative fits and the KS distance.
pub(super) const THIN: usize = 100_000;

/// Samples in seconds, sorted, with their sufficient statistics.
#[derive(Debug, Clone)]
pub struct Sample {
    sorted: Vec<f64>,
    /// (rank in `sorted`, value): every sample, or [`THIN`] evenly spaced ones.
    thin: Vec<(usize, f64)>,
    sum: f64,
    sum_ln: f64,
}

/// A model fitted by maximum likelihood.
#[derive(Debug, Clone)]
pub(super) struct Fitted {
    /// The model.
    pub model: Model,
    /// Standard error of each of `model.params()`, where known.
    pub se: Vec<Option<f64>>,
    /// Log-likelihood of all samples (densities in 1/s).
    pub loglik: f64,
}

/// Sums `f` over `xs` in fixed chunks, in parallel, in a fixed order: the
/// same total whatever the number of threads.
fn par_sum(xs: &[f64], f: &(dyn Fn(f64) -> f64 + Sync)) -> f64 {
    xs.par_chunks(1 << 16).map(|c| c.iter().map(|&x| f(x)).sum::<f64>()).collect::<Vec<f64>>().iter().sum()
}

impl Sample {
    /// Sorts the values (all finite and positive, at least two).
    pub fn new(mut values: Vec<f64>) -> Sample {
        values.par_sort_unstable_by(f64::total_cmp);
        let n = values.len();
        let thin = if n <= THIN {
            values.iter().copied().enumerate().collect()
        } else {
            (0..THIN)
                .map(|j| {
                    let r = ((j as f64 + 0.5) * n as f64 / THIN as f64) as usize;
                    (r, values[r])
                })
                .collect()
        };
        let sum = par_sum(&values, &|x| x);
        let sum_ln = par_sum(&values, &f64::ln);
        Sample { sorted: values, thin, sum, sum_ln }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The sample mean.
    pub fn mean(&self) -> f64 {
        self.sum / self.len() as f64
    }

    /// The sorted samples.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// The sample's `q` quantile (nearest rank).
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.len();
        let r = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.sorted[r - 1]
    }

    /// Points of the empirical CDF for charts: (value, fraction at or below).
    pub fn ecdf_points(&self) -> Vec<(f64, f64)> {
        let n = self.len() as f64;
        self.thin.iter().map(|&(r, x)| (x, (r as f64 + 1.0) / n)).collect()
    }

    fn thin_values(&self) -> impl Iterator<Item = f64> + '_ {
        self.thin.iter().map(|t| t.1)
    }

    /// Log-likelihood of every sample under `model`.
    pub fn loglik(&self, model: &Model) -> f64 {
        par_sum(&self.sorted, &*model.ln_pdf())
    }

    /// The thinned log-likelihood scaled to the full sample size.
    fn thin_loglik(&self, model: &Model) -> f64 {
        let f = model.ln_pdf();
        let s: f64 = self.thin_values().map(&f).sum();
        s * self.len() as f64 / self.thin.len() as f64
    }

    /// The Kolmogorov–Smirnov distance sup |F_n - F| (exact up to one over the number of order statistics kept, 100,000 at most).
    pub fn ks(&self, model: &Model) -> f64 {
        let n = self.len() as f64;
        self.thin
            .iter()
            .map(|&(r, x)| {
                let f = model.cdf(x);
                (f - r as f64 / n).abs().max(((r + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max)
    }

    /// The levels of p50, p90, p99, p99.9 with at least 10 samples above
    /// them (a percentile of fewer is noise), for the percentile error.
    pub fn checked_levels(&self) -> Vec<f64> {
        [0.5, 0.9, 0.99, 0.999].into_iter().filter(|q| (1.0 - q) * self.len() as f64 >= 10.0).collect()
    }

    /// The largest relative error of the model's percentiles at [`Sample::checked_levels`].
    pub fn max_percentile_error(&self, model: &Model) -> f64 {
        self.checked_levels()
            .into_iter()
            .map(|q| (model.quantile(q) / self.quantile(q) - 1.0).abs())
            .fold(0.0, f64::max)
    }
}

/// Fits `family` to the samples by maximum likelihood; `None` for the
/// empirical family, which has no likelihood (see [`empirical`]).
pub(super) fn fit(family: Family, s: &Sample) -> Option<Fitted> {
    let n = s.len() as f64;
    let mean = s.mean();
    let mean_ln = s.sum_ln / n;
    let (model, se) = match family {
        Family::Exponential => (Model::Exponential { mean }, vec![Some(mean / n.sqrt())]),
        Family::Lognormal => {
            let var = par_sum(&s.sorted, &|x| (x.ln() - mean_ln).powi(2)) / n;
            let sigma = var.sqrt();
            let median = mean_ln.exp();
            (
                Model::Lognormal { mu: mean_ln, sigma },
                vec![Some(median * sigma / n.sqrt()), Some(sigma / (2.0 * n).sqrt())],
            )
        }
        Family::Gamma => {
            let shape = gamma_shape(mean.ln() - mean_ln);
            let m = Model::Gamma { shape, scale: mean / shape };
            let se = numerical_se(s, &m, |t| Model::Gamma { shape: t[0], scale: t[1] });
            (m, se)
        }
        Family::Erlang => {
            // The best whole k is next to the gamma shape (the profile likelihood is unimodal).
            let shape = gamma_shape(mean.ln() - mean_ln);
            let ll = |k: u32| {
                let kf = f64::from(k);
                let scale = mean / kf;
                (kf - 1.0) * s.sum_ln - s.sum / scale - n * kf * scale.ln() - n * ln_gamma(kf)
            };
            let (lo, hi) = ((shape.floor() as u32).max(1), (shape.ceil() as u32).max(1));
            let k = if ll(hi) > ll(lo) { hi } else { lo };
            (Model::Erlang { k, mean }, vec![None, Some(mean / (n * f64::from(k)).sqrt())])
        }
        Family::Weibull => {
            let m = weibull(s);
            let se = numerical_se(s, &m, |t| Model::Weibull { shape: t[0], scale: t[1] });
            (m, se)
        }
        Family::Hyperexp => {
            let m = hyperexp(s, mean);
            let se = numerical_se(s, &m, |t| Model::Hyperexp { p: t[0], mean1: t[1], mean2: t[2] });
            (m, se)
        }
        Family::Pareto => {
            let min = s.sorted[0];
            let alpha = n / (s.sum_ln - n * min.ln());
            // The minimum of n Pareto samples is Pareto(n alpha, min): its sd is about min/(n alpha).
            (Model::Pareto { alpha, min }, vec![Some(alpha / n.sqrt()), Some(min / (n * alpha))])
        }
        Family::Empirical => return None,
    };
    let loglik = s.loglik(&model);
    Some(Fitted { model, se, loglik })
}

/// The gamma shape k solving ln k - digamma(k) = `s` (s > 0 by Jensen's inequality).
fn gamma_shape(s: f64) -> f64 {
    bisect(|k| s - (k.ln() - digamma(k)), 1e-4, 1e9)
}

fn numerical_se(s: &Sample, at: &Model, build: impl Fn(&[f64]) -> Model) -> Vec<Option<f64>> {
    let theta: Vec<f64> = at.params().iter().map(|p| p.value).collect();
    standard_errors(&|t: &[f64]| if t.iter().all(|v| *v > 0.0) { s.thin_loglik(&build(t)) } else { f64::NAN }, &theta)
}

/// Weibull by its profile equation in the shape k:
/// sum x^k ln x / sum x^k - 1/k = mean ln x, on values divided by their
/// geometric mean so that x^k cannot overflow.
fn weibull(s: &Sample) -> Model {
    let m = s.thin.len() as f64;
    let gm = (s.thin_values().map(f64::ln).sum::<f64>() / m).exp();
    let ys: Vec<f64> = s.thin_values().map(|x| x / gm).collect();
    let mean_ln_y = ys.iter().map(|y| y.ln()).sum::<f64>() / m;
    let g = |k: f64| {
        let (mut a, mut b) = (0.0, 0.0);
        for &y in &ys {
            let p = y.powf(k);
            a += p * y.ln();
            b += p;
        }
        a / b - 1.0 / k - mean_ln_y
    };
    let shape = bisect(g, 0.02, 200.0);
    let scale = gm * (ys.iter().map(|y| y.powf(shape)).sum::<f64>() / m).powf(1.0 / shape);
    Model::Weibull { shape, scale }
}

/// Two-phase hyperexponential by EM (which never leaves the parameter
/// space), then Nelder–Mead on the likelihood to finish where EM crawls.
fn hyperexp(s: &Sample, mean: f64) -> Model {
    let xs: Vec<f64> = s.thin_values().collect();
    let m = xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / m;
    let scv = var / (mean * mean);
    let (mut p, mut m1, mut m2) = if scv > 1.0 {
        let p1 = (1.0 + ((scv - 1.0) / (scv + 1.0)).sqrt()) / 2.0;
        (p1, mean / (2.0 * p1), mean / (2.0 * (1.0 - p1)))
    } else {
        (0.5, 0.5 * mean, 1.5 * mean)
    };
    for _ in 0..300 {
        let (mut w, mut wx, mut vx) = (0.0, 0.0, 0.0);
        for &x in &xs {
            let a = p / m1 * (-x / m1).exp();
            let b = (1.0 - p) / m2 * (-x / m2).exp();
            let r = if a + b > 0.0 { a / (a + b) } else { f64::from(u8::from(m1 > m2)) };
            w += r;
            wx += r * x;
            vx += (1.0 - r) * x;
        }
        let (np, nm1, nm2) = (w / m, wx / w, vx / (m - w));
        if !(np > 0.0 && np < 1.0 && nm1 > 0.0 && nm2 > 0.0) {
            break;
        }
        let change = ((np - p).abs() + (nm1 / m1 - 1.0).abs() + (nm2 / m2 - 1.0).abs()).abs();
        (p, m1, m2) = (np, nm1, nm2);
        if change < 1e-10 {
            break;
        }
    }
    let build = |c: &[f64]| Model::Hyperexp { p: 1.0 / (1.0 + (-c[0]).exp()), mean1: c[1].exp(), mean2: c[2].exp() };
    let start = [(p / (1.0 - p)).ln(), m1.ln(), m2.ln()];
    let (best, _) = nelder_mead(&|c: &[f64]| -s.thin_loglik(&build(c)), &start, 0.05);
    let model = build(&best);
    // The first phase is the short one, so that the table reads the same way every time.
    match model {
        Model::Hyperexp { p, mean1, mean2 } if mean1 > mean2 => {
            Model::Hyperexp { p: 1.0 - p, mean1: mean2, mean2: mean1 }
        }
        other => other,
    }
}

/// The empirical candidate: the sample's percentiles at fixed levels (those
/// the sample size supports) joined linearly, from the minimum to the maximum.
pub(super) fn empirical(s: &Sample) -> Model {
    const LEVELS: [f64; 21] = [
        0.001, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995,
        0.9999, 0.99999,
    ];
    let n = s.len() as f64;
    let mut knots = vec![(0.0, s.sorted[0])];
    knots.extend(LEVELS.iter().filter(|&&q| q * n >= 1.0 && (1.0 - q) * n >= 1.0).map(|&q| (q, s.quantile(q))));
    knots.push((1.0, s.sorted[s.len() - 1]));
    Model::Empirical { knots }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn draw(spec: &str, n: usize, seed: u64) -> Sample {
        let d = crate::dist::Dist::parse(spec).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Sample::new((0..n).map(|_| d.sample(&mut rng)).collect())
    }

    /// Each parameter within 4 standard errors of the truth.
    fn recovers(spec: &str, family: Family, truth: &[f64]) {
        let s = draw(spec, 20_000, 42);
        let f = fit(family, &s).unwrap();
        for ((p, se), t) in f.model.params().iter().zip(&f.se).zip(truth) {
            let Some(se) = se else { continue };
            assert!((p.value - t).abs() <= 4.0 * se, "{spec}: {} = {} ± {se}, truth {t}", p.name, p.value);
            assert!(*se < 0.1 * t.abs(), "{spec}: {} has se {se}", p.name);
        }
    }

    #[test]
    fn fits_recover_their_parameters_within_standard_errors() {
        recovers("exp(10ms)", Family::Exponential, &[0.01]);
        recovers("lognormal(median=10ms, p99=100ms)", Family::Lognormal, &[0.01, (10f64).ln() / 2.326_347_874]);
        recovers("gamma(shape=2.5, scale=4ms)", Family::Gamma, &[2.5, 0.004]);
        recovers("weibull(shape=1.7, scale=20ms)", Family::Weibull, &[1.7, 0.02]);
        recovers("erlang(k=3, mean=30ms)", Family::Erlang, &[3.0, 0.03]);
        recovers("hyperexp(p=0.8, mean1=2ms, mean2=40ms)", Family::Hyperexp, &[0.8, 0.002, 0.04]);
        recovers("pareto(alpha=2.5, min=1ms)", Family::Pareto, &[2.5, 0.001]);
        let e = fit(Family::Erlang, &draw("erlang(k=3, mean=30ms)", 20_000, 42)).unwrap();
        assert_eq!(e.model, Model::Erlang { k: 3, mean: e.model.mean() });
    }

    #[test]
    fn thinning_changes_the_weibull_fit_by_far_less_than_its_standard_error() {
        let s = draw("weibull(shape=0.8, scale=5ms)", 400_000, 7);
        assert_eq!(s.thin.len(), THIN);
        let thin = fit(Family::Weibull, &s).unwrap();
        // The exact MLE from every sample.
        let full = Sample { thin: s.sorted.iter().copied().enumerate().collect(), ..s.clone() };
        let exact = fit(Family::Weibull, &full).unwrap();
        for ((a, b), se) in thin.model.params().iter().zip(exact.model.params()).zip(&exact.se) {
            assert!((a.value - b.value).abs() < 0.05 * se.unwrap(), "{}: {} vs {}", a.name, a.value, b.value);
        }
        assert!((s.ks(&thin.model) - full.ks(&thin.model)).abs() <= 1.0 / THIN as f64);
    }

    #[test]
    fn the_empirical_model_follows_the_sample() {
        let s = draw("lognormal(mean=10ms, cv=1)", 50_000, 3);
        let e = empirical(&s);
        assert!(s.ks(&e) < 0.015, "{}", s.ks(&e));
        assert!((e.mean() / s.mean() - 1.0).abs() < 0.02);
        assert!(e.paste().is_ok());
    }
}
