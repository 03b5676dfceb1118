//! Stations whose service (or arrival) times are general: the exact M/G/1
//! (Pollaczek–Khinchine), the Kingman and Allen–Cunneen approximations for
//! G/G/1 and G/G/c, M/G/c, processor sharing, and M/G/1 with non-preemptive
//! (Cobham) and preemptive-resume priorities.

use super::{StationMetrics, mmc, nonneg, positive, station};

// ---------------------------------------------------------------------------
// M/G/1, approximations, processor sharing
// ---------------------------------------------------------------------------

/// M/G/1 FCFS queue by the Pollaczek–Khinchine mean-value formula.
///
/// Poisson arrivals at rate `lambda`; i.i.d. service with mean
/// `mean_service` and squared coefficient of variation `scv = Var[S]/E[S]^2`
/// (0 deterministic, 1 exponential). With `rho = lambda E[S] < 1`:
/// `Wq = lambda E[S^2] / (2 (1 - rho)) = rho E[S] (1 + scv) / (2 (1 - rho))`.
/// Exact; `scv = 1` gives M/M/1 and `scv = 0` (M/D/1) halves its wait.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn mg1(lambda: f64, mean_service: f64, scv: f64) -> Option<StationMetrics> {
    if !nonneg(lambda) || !positive(mean_service) || !nonneg(scv) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    let wq = rho * mean_service * (1.0 + scv) / (2.0 * (1.0 - rho));
    Some(station(lambda, mean_service, 1, wq))
}

/// Kingman's G/G/1 approximation (heavy-traffic formula).
///
/// Renewal arrivals at rate `lambda` with interarrival squared coefficient of
/// variation `scv_arrival`, service mean `mean_service` with SCV
/// `scv_service`: `Wq ≈ rho / (1 - rho) * (ca^2 + cs^2) / 2 * E[S]`.
/// Exact for M/G/1 (`ca^2 = 1`); an approximation otherwise, accurate as
/// `rho -> 1`.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn gg1_kingman(lambda: f64, scv_arrival: f64, mean_service: f64, scv_service: f64) -> Option<StationMetrics> {
    if !nonneg(lambda) || !nonneg(scv_arrival) || !positive(mean_service) || !nonneg(scv_service) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    let wq = rho / (1.0 - rho) * (scv_arrival + scv_service) / 2.0 * mean_service;
    Some(station(lambda, mean_service, 1, wq))
}

/// Allen–Cunneen G/G/c approximation:
/// `Wq ≈ Wq(M/M/c) * (ca^2 + cs^2) / 2`, with `Wq(M/M/c)` from [`mmc`] at the
/// same `lambda`, `mu = 1 / mean_service` and `c`.
///
/// Exact for M/M/c (`ca^2 = cs^2 = 1`) and for M/G/1 (`c = 1`, `ca^2 = 1`);
/// otherwise typically within ~10% for moderate SCVs.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`,
/// `c == 0`, or `rho >= 1`.
pub fn ggc_allen_cunneen(
    lambda: f64,
    scv_arrival: f64,
    mean_service: f64,
    scv_service: f64,
    c: u32,
) -> Option<StationMetrics> {
    if !nonneg(scv_arrival) || !nonneg(scv_service) || !positive(mean_service) {
        return None;
    }
    let base = mmc(lambda, 1.0 / mean_service, c)?;
    let wq = base.mean_wait * (scv_arrival + scv_service) / 2.0;
    Some(station(lambda, mean_service, c, wq))
}

/// M/G/c approximation (Allen–Cunneen / Lee–Longton with Poisson arrivals):
/// `Wq ≈ Wq(M/M/c) * (1 + scv_service) / 2`.
///
/// Exact for M/M/c and for M/G/1; an approximation for `c > 1` with
/// non-exponential service. Returns `None` as [`ggc_allen_cunneen`].
pub fn mgc_approx(lambda: f64, mean_service: f64, scv_service: f64, c: u32) -> Option<StationMetrics> {
    ggc_allen_cunneen(lambda, 1.0, mean_service, scv_service, c)
}

/// M/G/1 processor sharing: mean response of a job of size `job_size`
/// (seconds of work), `E[T(x)] = x / (1 - rho)` with
/// `rho = lambda * mean_service`.
///
/// Insensitive: depends on the service distribution only through its mean.
/// Passing `job_size = mean_service` gives the overall mean response
/// `E[S] / (1 - rho)`, the same as M/M/1.
///
/// Returns `None` for negative/non-finite inputs, `mean_service <= 0`, or
/// `rho >= 1`.
pub fn ps_response(lambda: f64, mean_service: f64, job_size: f64) -> Option<f64> {
    if !nonneg(lambda) || !positive(mean_service) || !nonneg(job_size) {
        return None;
    }
    let rho = lambda * mean_service;
    if rho >= 1.0 {
        return None;
    }
    Some(job_size / (1.0 - rho))
}

// ---------------------------------------------------------------------------
// Priorities
// ---------------------------------------------------------------------------

/// Checks `(lambda, E[S], E[S^2])` triples and returns total load.
fn priority_load(classes: &[(f64, f64, f64)]) -> Option<f64> {
    let mut rho = 0.0;
    for &(lambda, mean, second) in classes {
        // E[S^2] >= E[S]^2 (variance is non-negative), with rounding slack.
        if !nonneg(lambda) || !positive(mean) || !nonneg(second) {
            return None;
        }
        if second < mean * mean * (1.0 - 1e-12) {
            return None;
        }
        rho += lambda * mean;
    }
    (rho < 1.0).then_some(rho)
}

/// M/G/1 with non-preemptive (head-of-line) priorities, Cobham's formula.
///
/// `classes[k] = (lambda_k, E[S_k], E[S_k^2])`, index 0 the highest
/// priority; Poisson arrivals per class, FCFS within a class. With
/// `sigma_k = sum_{i<=k} rho_i` and mean residual work
/// `W0 = sum_i lambda_i E[S_i^2] / 2`, the mean wait (before service) of
/// class `k` is `W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k))`. Add `E[S_k]`
/// for the response. One class reduces to Pollaczek–Khinchine ([`mg1`]).
///
/// Returns `None` if any triple is invalid (negative rate, non-positive mean,
/// `E[S^2] < E[S]^2`) or the total load is `>= 1`. An empty slice gives an
/// empty vector.
pub fn mg1_nonpreemptive_priority(classes: &[(f64, f64, f64)]) -> Option<Vec<f64>> {
    priority_load(classes)?;
    let w0: f64 = classes.iter().map(|&(l, _, s2)| l * s2 / 2.0).sum();
    let mut above = 0.0;
    let mut waits = Vec::with_capacity(classes.len());
    for &(lambda, mean, _) in classes {
        let upto = above + lambda * mean;
        waits.push(w0 / ((1.0 - above) * (1.0 - upto)));
        above = upto;
    }
    Some(waits)
}

/// M/G/1 with preemptive-resume priorities: mean response time per class.
///
/// Same input as [`mg1_nonpreemptive_priority`]. A class only sees higher
/// classes and itself, so with `R_k = sum_{i<=k} lambda_i E[S_i^2] / 2`:
/// `T_k = E[S_k] / (1 - sigma_{k-1}) + R_k / ((1 - sigma_{k-1}) (1 - sigma_k))`.
/// The top class behaves as an M/G/1 queue on its own.
///
/// Returns `None` as [`mg1_nonpreemptive_priority`].
pub fn mg1_preemptive_priority(classes: &[(f64, f64, f64)]) -> Option<Vec<f64>> {
    priority_load(classes)?;
    let mut above = 0.0;
    let mut residual = 0.0;
    let mut responses = Vec::with_capacity(classes.len());
    for &(lambda, mean, second) in classes {
        let upto = above + lambda * mean;
        residual += lambda * second / 2.0;
        responses.push(mean / (1.0 - above) + residual / ((1.0 - above) * (1.0 - upto)));
        above = upto;
    }
    Some(responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::mm1;
    use crate::theory::tests::{close, consistent, same};

    #[test]
    fn mg1_pollaczek_khinchine() {
        same(&mg1(0.9, 1.0, 1.0).unwrap(), &mm1(0.9, 1.0).unwrap());
        same(&mg1(3.0, 0.25, 1.0).unwrap(), &mm1(3.0, 4.0).unwrap());
        let md1 = mg1(0.9, 1.0, 0.0).unwrap();
        close(md1.mean_wait, 0.5 * mm1(0.9, 1.0).unwrap().mean_wait);
        consistent(&md1, 1.0);
        // scv = 4 (e.g. hyperexponential): (1 + 4) / 2 = 2.5 times the M/M/1 wait of 1.
        close(mg1(0.5, 1.0, 4.0).unwrap().mean_wait, 2.5);
        assert!(mg1(1.0, 1.0, 1.0).is_none());
        assert!(mg1(0.5, 1.0, -1.0).is_none());
    }

    #[test]
    fn approximations_are_exact_where_they_should_be() {
        // Kingman with Poisson arrivals is P-K.
        same(&gg1_kingman(0.7, 1.0, 1.0, 0.3).unwrap(), &mg1(0.7, 1.0, 0.3).unwrap());
        // Allen-Cunneen with exponential everything is M/M/c.
        same(&ggc_allen_cunneen(7.0, 1.0, 1.0, 1.0, 10).unwrap(), &mmc(7.0, 1.0, 10).unwrap());
        same(&mgc_approx(7.0, 0.5, 1.0, 4).unwrap(), &mmc(7.0, 2.0, 4).unwrap());
        // c = 1 is P-K.
        same(&mgc_approx(0.6, 1.0, 0.0, 1).unwrap(), &mg1(0.6, 1.0, 0.0).unwrap());
        // M/D/c: half the M/M/c wait.
        let mdc = mgc_approx(7.0, 1.0, 0.0, 10).unwrap();
        close(mdc.mean_wait, 0.5 * mmc(7.0, 1.0, 10).unwrap().mean_wait);
        consistent(&mdc, 1.0);
        // D/D/1 never waits.
        close(gg1_kingman(0.9, 0.0, 1.0, 0.0).unwrap().mean_wait, 0.0);
        assert!(gg1_kingman(1.0, 1.0, 1.0, 1.0).is_none());
        assert!(mgc_approx(10.0, 1.0, 1.0, 10).is_none());
    }

    #[test]
    fn processor_sharing() {
        close(ps_response(0.5, 1.0, 3.0).unwrap(), 6.0);
        close(ps_response(0.9, 1.0, 1.0).unwrap(), mm1(0.9, 1.0).unwrap().mean_response);
        close(ps_response(0.5, 1.0, 0.0).unwrap(), 0.0);
        assert!(ps_response(1.0, 1.0, 1.0).is_none());
    }

    #[test]
    fn cobham_priorities() {
        // One class equals M/G/1 (here deterministic service, E[S^2] = E[S]^2).
        let w = mg1_nonpreemptive_priority(&[(0.8, 1.0, 1.0)]).unwrap();
        assert_eq!(w.len(), 1);
        close(w[0], mg1(0.8, 1.0, 0.0).unwrap().mean_wait);
        // Exponential service: E[S^2] = 2 E[S]^2.
        let w = mg1_nonpreemptive_priority(&[(0.5, 0.5, 0.5)]).unwrap();
        close(w[0], mm1(0.5, 2.0).unwrap().mean_wait);

        // Hand-computed two classes: W0 = (0.2*2 + 0.3*2)/2 = 0.5,
        // sigma = 0.2, 0.5: W1 = 0.5/0.8, W2 = 0.5/(0.8*0.5).
        let classes = [(0.2, 1.0, 2.0), (0.3, 1.0, 2.0)];
        let w = mg1_nonpreemptive_priority(&classes).unwrap();
        close(w[0], 0.625);
        close(w[1], 1.25);
        // Kleinrock's conservation law: sum rho_k W_k = rho W0 / (1 - rho),
        // i.e. the FCFS M/G/1 wait weighted by rho.
        let fcfs = mg1(0.5, 1.0, 1.0).unwrap().mean_wait;
        close(0.2 * w[0] + 0.3 * w[1], 0.5 * fcfs);

        assert_eq!(mg1_nonpreemptive_priority(&[]), Some(vec![]));
        assert!(mg1_nonpreemptive_priority(&[(0.6, 1.0, 2.0), (0.4, 1.0, 2.0)]).is_none());
        // E[S^2] < E[S]^2 is impossible.
        assert!(mg1_nonpreemptive_priority(&[(0.1, 1.0, 0.5)]).is_none());
    }

    #[test]
    fn preemptive_priorities() {
        let classes = [(0.2, 1.0, 2.0), (0.3, 1.0, 2.0)];
        let t = mg1_preemptive_priority(&classes).unwrap();
        // Top class is M/M/1 on its own.
        close(t[0], mm1(0.2, 1.0).unwrap().mean_response);
        // T2 = 1/0.8 + (0.2 + 0.3)/(0.8 * 0.5).
        close(t[1], 1.25 + 1.25);
        // Single class: M/G/1.
        let t = mg1_preemptive_priority(&[(0.6, 1.0, 1.5)]).unwrap();
        close(t[0], mg1(0.6, 1.0, 0.5).unwrap().mean_response);
    }
}
