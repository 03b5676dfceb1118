//! The small numerical tools the fits share: Nelder–Mead minimisation,
//! bisection, the observed information (a numerical Hessian) and its inverse.
//!
//! They are deterministic (no random restarts), so the same input always
//! gives the same fit. Written here rather than taken from a crate because
//! each is a few lines and the fits need nothing more.

/// Minimises `f` from `start` with Nelder–Mead (standard coefficients), the
/// initial simplex stepping each coordinate by `step`; restarts once from the
/// best point, which guards against a collapsed simplex. Non-finite values of
/// `f` count as +infinity, so constraints can be written as `f64::INFINITY`.
pub(crate) fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, start: &[f64], step: f64) -> (Vec<f64>, f64) {
    let first = nelder_mead_once(f, start, step, 4000);
    nelder_mead_once(f, &first.0, step / 10.0, 4000)
}

fn nelder_mead_once(f: &dyn Fn(&[f64]) -> f64, start: &[f64], step: f64, max_iter: usize) -> (Vec<f64>, f64) {
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), eval(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step;
        let v = eval(&x);
        simplex.push((x, v));
    }
    for _ in 0..max_iter {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        let spread = simplex.iter().map(|(x, _)| dist(x, &simplex[0].0)).fold(0.0, f64::max);
        if (worst - best).abs() <= 1e-13 * (best.abs() + 1e-300) + 1e-300 && spread < 1e-10 || spread < 1e-13 {
            break;
        }
        let centroid: Vec<f64> =
            (0..n).map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64).collect();
        let along =
            |t: f64| -> Vec<f64> { (0..n).map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j])).collect() };
        let reflected = along(-1.0);
        let fr = eval(&reflected);
        if fr < simplex[0].1 {
            let expanded = along(-2.0);
            let fe = eval(&expanded);
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let (contracted, fc) = if fr < worst {
                let c = along(-0.5);
                let v = eval(&c);
                (c, v)
            } else {
                let c = along(0.5);
                let v = eval(&c);
                (c, v)
            };
            if fc < worst.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                let best_x = simplex[0].0.clone();
                for (x, v) in simplex.iter_mut().skip(1) {
                    for j in 0..n {
                        x[j] = best_x[j] + 0.5 * (x[j] - best_x[j]);
                    }
                    *v = eval(x);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// The root of an increasing function `g` between `lo` and `hi` (bisection
/// on a log scale when both are positive; 200 halvings reach f64 precision).
pub(crate) fn bisect(g: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let log = lo > 0.0;
    for _ in 0..200 {
        let mid = if log { (lo * hi).sqrt() } else { 0.5 * (lo + hi) };
        if mid <= lo || mid >= hi {
            break;
        }
        if g(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Standard errors from the observed information: the inverse of minus the
/// Hessian of the log-likelihood `loglik` at the maximum `theta` (central
/// differences, steps relative to each parameter). `None` where the
/// information is not positive definite (a boundary or flat likelihood).
pub(crate) fn standard_errors(loglik: &dyn Fn(&[f64]) -> f64, theta: &[f64]) -> Vec<Option<f64>> {
    let n = theta.len();
    let h: Vec<f64> = theta.iter().map(|t| 1e-4 * t.abs().max(1e-12)).collect();
    let at = |d: &[(usize, f64)]| {
        let mut x = theta.to_vec();
        for &(i, s) in d {
            x[i] += s;
        }
        loglik(&x)
    };
    let f0 = loglik(theta);
    let mut info = vec![vec![0.0; n]; n];
    for i in 0..n {
        let d2 = (at(&[(i, h[i])]) - 2.0 * f0 + at(&[(i, -h[i])])) / (h[i] * h[i]);
        info[i][i] = -d2;
        for j in 0..i {
            let d = (at(&[(i, h[i]), (j, h[j])]) - at(&[(i, h[i]), (j, -h[j])]) - at(&[(i, -h[i]), (j, h[j])])
                + at(&[(i, -h[i]), (j, -h[j])]))
                / (4.0 * h[i] * h[j]);
            info[i][j] = -d;
            info[j][i] = -d;
        }
    }
    match invert(info) {
        Some(cov) => (0..n).map(|i| (cov[i][i] > 0.0 && cov[i][i].is_finite()).then(|| cov[i][i].sqrt())).collect(),
        None => vec![None; n],
    }
}

/// Gauss–Jordan inverse with partial pivoting; `None` if singular.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c] == 0.0 || !a[p][c].is_finite() {
            return None;
        }
        a.swap(c, p);
        inv.swap(c, p);
        let d = a[c][c];
        for j in 0..n {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..n {
            if r != c {
                let m = a[r][c];
                for j in 0..n {
                    a[r][j] -= m * a[c][j];
                    inv[r][j] -= m * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (x, v) = nelder_mead(&f, &[-1.2, 1.0], 0.5);
        assert!((x[0] - 1.0).abs() < 1e-5 && (x[1] - 1.0).abs() < 1e-5, "{x:?}");
        assert!(v < 1e-10);
    }

    #[test]
    fn standard_errors_of_a_normal_likelihood_are_exact() {
        // log L of n normal observations in (mu, sd) at the MLE: se(mu) = sd/sqrt(n), se(sd) = sd/sqrt(2n).
        let (n, s2) = (1000.0, 4.0);
        let ll = |t: &[f64]| -n * t[1].ln() - n * (s2 + (t[0] - 3.0).powi(2)) / (2.0 * t[1] * t[1]);
        let se = standard_errors(&ll, &[3.0, 2.0]);
        assert!((se[0].unwrap() - 2.0 / n.sqrt()).abs() < 1e-6, "{se:?}");
        assert!((se[1].unwrap() - 2.0 / (2.0 * n).sqrt()).abs() < 1e-6, "{se:?}");
        assert!((bisect(|x| x * x - 2.0, 0.1, 10.0) - 2f64.sqrt()).abs() < 1e-15);
    }
}
