//! Empirical distributions, built from data rather than a formula: uniform
//! resampling of listed values ([`Dist::empirical`]) and a piecewise-linear
//! inverse CDF through percentile points ([`Dist::empirical_percentiles`]).

use rand::distr::Uniform;

use super::{Dist, DistError, Kind, Knot, err, fmt_duration, non_negative};

impl Dist {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::tests::{N, check_moments, draw};

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
}
