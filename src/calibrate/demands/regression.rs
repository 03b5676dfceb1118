//! Non-negative least squares with the uncertainty of its answer: Lawson
//! and Hanson's active-set method on the normal equations, OLS standard
//! errors on the free unknowns, and variance inflation factors. Small dense
//! matrices only (one unknown per class or operation of a service).

use crate::stats::student_t_quantile;

/// A non-negative least-squares fit and its uncertainty.
#[derive(Debug, Clone)]
pub(super) struct Regression {
    pub(super) demand: Vec<f64>,
    pub(super) at_bound: Vec<bool>,
    pub(super) se: Vec<Option<f64>>,
    pub(super) vif: Vec<Option<f64>>,
    /// Student's t quantile for the 95% interval.
    pub(super) t: f64,
    pub(super) r_squared: f64,
    pub(super) residual_sd: f64,
}

/// Fits `b ≈ A d` with `d ≥ 0`. Standard errors are OLS's on the free
/// demands (σ² (A_PᵀA_P)⁻¹, σ² from the residuals with n − |P| degrees of
/// freedom); a demand at the bound gets the standard error it would have if
/// it were free, so its interval \[0, t·se\] says how large it could be.
pub(super) fn regress(a: &[Vec<f64>], b: &[f64]) -> Regression {
    let n = a.len();
    let p = a[0].len();
    let g = gram(a);
    let h: Vec<f64> = (0..p).map(|i| a.iter().zip(b).map(|(row, &y)| row[i] * y).sum()).collect();
    let d = nnls(&g, &h);
    let free: Vec<usize> = (0..p).filter(|&j| d[j] > 0.0).collect();
    let rss: f64 = a.iter().zip(b).map(|(row, &y)| (y - dot(row, &d)).powi(2)).sum();
    let dof = n.saturating_sub(free.len()).max(1);
    let sigma2 = rss / dof as f64;
    let mean_b = b.iter().sum::<f64>() / n as f64;
    let tss: f64 = b.iter().map(|y| (y - mean_b).powi(2)).sum();
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { f64::NAN };

    let mut se = vec![None; p];
    let sub =
        |idx: &[usize]| -> Vec<Vec<f64>> { idx.iter().map(|&i| idx.iter().map(|&j| g[i][j]).collect()).collect() };
    if let Some(inv) = invert(&sub(&free)) {
        for (k, &j) in free.iter().enumerate() {
            se[j] = Some((sigma2 * inv[k][k]).sqrt());
        }
    }
    // A bound demand's standard error: as if freed, beside the free ones.
    for j in (0..p).filter(|j| !free.contains(j)) {
        let mut idx = free.clone();
        idx.push(j);
        if let Some(inv) = invert(&sub(&idx)) {
            se[j] = Some((sigma2 * inv[idx.len() - 1][idx.len() - 1]).sqrt());
        }
    }
    let vif = match variance_inflation(&g) {
        Some(v) => v.into_iter().map(Some).collect(),
        None => vec![None; p],
    };
    Regression {
        at_bound: d.iter().map(|&x| x == 0.0).collect(),
        demand: d,
        se,
        vif,
        t: student_t_quantile(0.975, dof),
        r_squared,
        residual_sd: sigma2.sqrt(),
    }
}

/// AᵀA, the Gram matrix of the columns of `a` (rows are observations).
pub(super) fn gram(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let p = a.first().map_or(0, Vec::len);
    let mut g = vec![vec![0.0; p]; p];
    for row in a {
        for i in 0..p {
            for j in 0..p {
                g[i][j] += row[i] * row[j];
            }
        }
    }
    g
}

/// Uncentred variance inflation factors from a Gram matrix: the diagonal of
/// the inverse of AᵀA with its columns scaled to unit length (1 for
/// orthogonal columns). `None` when a column is zero or the columns are
/// linearly dependent: the unknowns cannot be separated.
pub(super) fn variance_inflation(g: &[Vec<f64>]) -> Option<Vec<f64>> {
    let p = g.len();
    let norms: Vec<f64> = (0..p).map(|j| g[j][j].sqrt()).collect();
    if norms.contains(&0.0) {
        return None;
    }
    let scaled: Vec<Vec<f64>> = (0..p).map(|i| (0..p).map(|j| g[i][j] / (norms[i] * norms[j])).collect()).collect();
    let inv = invert(&scaled)?;
    Some((0..p).map(|j| inv[j][j]).collect())
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Lawson and Hanson's active-set NNLS on the normal equations: minimises
/// ½ dᵀGd − hᵀd subject to d ≥ 0 (G = AᵀA, h = Aᵀb).
fn nnls(g: &[Vec<f64>], h: &[f64]) -> Vec<f64> {
    let p = h.len();
    let scale = h.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
    let tol = 1e-12 * scale;
    let mut d = vec![0.0; p];
    let mut free = vec![false; p];
    let gradient = |d: &[f64]| -> Vec<f64> { (0..p).map(|i| h[i] - dot(&g[i], d)).collect() };
    for _ in 0..3 * p + 10 {
        let w = gradient(&d);
        let Some(j) = (0..p).filter(|&j| !free[j] && w[j] > tol).max_by(|&x, &y| w[x].total_cmp(&w[y])) else {
            break;
        };
        free[j] = true;
        loop {
            let idx: Vec<usize> = (0..p).filter(|&i| free[i]).collect();
            let sub: Vec<Vec<f64>> = idx.iter().map(|&i| idx.iter().map(|&k| g[i][k]).collect()).collect();
            let rhs: Vec<f64> = idx.iter().map(|&i| h[i]).collect();
            let Some(s) = solve(&sub, &rhs) else {
                // The new column is a combination of the free ones: leave it out.
                free[j] = false;
                break;
            };
            if s.iter().all(|&x| x > 0.0) {
                for (k, &i) in idx.iter().enumerate() {
                    d[i] = s[k];
                }
                break;
            }
            // Step from d towards s until the first free demand reaches 0.
            let alpha = idx
                .iter()
                .zip(&s)
                .filter(|&(_, &si)| si <= 0.0)
                .map(|(&i, &si)| d[i] / (d[i] - si))
                .fold(f64::INFINITY, f64::min);
            for (k, &i) in idx.iter().enumerate() {
                d[i] += alpha * (s[k] - d[i]);
                if d[i] <= 1e-15 * scale.max(1.0) {
                    d[i] = 0.0;
                    free[i] = false;
                }
            }
        }
    }
    d
}

/// Solves `m x = r` by Gaussian elimination with partial pivoting; `None`
/// when `m` is singular to working precision.
fn solve(m: &[Vec<f64>], r: &[f64]) -> Option<Vec<f64>> {
    let n = r.len();
    let mut a: Vec<Vec<f64>> = m.iter().zip(r).map(|(row, &x)| row.iter().copied().chain([x]).collect()).collect();
    let size = m.iter().flatten().fold(0.0f64, |s, x| s.max(x.abs()));
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * size {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

/// The inverse of a small symmetric matrix, column by column.
fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let cols: Option<Vec<Vec<f64>>> =
        (0..n).map(|j| solve(m, &(0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect::<Vec<_>>())).collect();
    let cols = cols?;
    Some((0..n).map(|i| (0..n).map(|j| cols[j][i]).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_matches_a_hand_solved_case() {
        // G = I, h = (1, -1): the unconstrained optimum (1, -1) projects to (1, 0).
        let d = nnls(&[vec![1.0, 0.0], vec![0.0, 1.0]], &[1.0, -1.0]);
        assert_eq!(d, [1.0, 0.0]);
    }
}
