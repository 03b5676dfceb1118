//! Networks of stations: exact Mean Value Analysis of closed networks with
//! the utilisation-law and asymptotic bounds, and open Jackson networks, with
//! the small linear solver their traffic equations (and the model's visit
//! counts) use.

use serde::{Deserialize, Serialize};

use super::{StationMetrics, mmc, nonneg, positive};

// ---------------------------------------------------------------------------
// Closed networks: MVA
// ---------------------------------------------------------------------------

/// Result of exact Mean Value Analysis at the requested population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MvaResult {
    /// System throughput `X(N)` (completions per second at the reference
    /// point, i.e. cycles through the think station).
    pub throughput: f64,
    /// Mean response time `R(N) = sum_i R_i`, excluding think time.
    pub response: f64,
    /// Residence time per station `R_i = D_i (1 + Q_i(N - 1))` (all visits).
    pub residence: Vec<f64>,
    /// Mean number of jobs at each station, `Q_i = X R_i`.
    pub queue_len: Vec<f64>,
    /// Utilisation of each station, `U_i = X D_i`.
    pub utilisation: Vec<f64>,
}

/// Exact Mean Value Analysis (Reiser–Lavenberg) of a closed, single-class
/// product-form network.
///
/// `users` jobs cycle between a delay (think) station with mean think time
/// `think` and single-server queueing stations with service demands
/// `demands[i] = V_i * S_i` (visits × mean service), each FCFS with
/// exponential service or processor sharing with any distribution.
/// Recursion from `n = 1` to `users`:
/// `R_i(n) = D_i (1 + Q_i(n-1))`, `X(n) = n / (Z + sum R_i(n))`,
/// `Q_i(n) = X(n) R_i(n)`. Interactive response time law `N = X (Z + R)`
/// holds exactly. With one user `X = 1 / (Z + D)`; as `users` grows,
/// `X -> 1 / max D_i`.
///
/// Cost O(users × stations). Inputs are assumed non-negative with
/// `think + sum(demands) > 0`; other inputs give meaningless (NaN/inf)
/// numbers rather than a panic. With `users = 0` the throughput and queues
/// are zero and `residence = demands` (what a first job would see).
pub fn mva(users: u32, think: f64, demands: &[f64]) -> MvaResult {
    let mut queue_len = vec![0.0; demands.len()];
    let mut residence = demands.to_vec();
    let mut throughput = 0.0;
    for n in 1..=users {
        for ((r, &d), &q) in residence.iter_mut().zip(demands).zip(&queue_len) {
            *r = d * (1.0 + q);
        }
        let response: f64 = residence.iter().sum();
        throughput = f64::from(n) / (think + response);
        for (q, &r) in queue_len.iter_mut().zip(&residence) {
            *q = throughput * r;
        }
    }
    MvaResult {
        throughput,
        response: residence.iter().sum(),
        utilisation: demands.iter().map(|&d| throughput * d).collect(),
        residence,
        queue_len,
    }
}

/// Utilisation law bound: a network's throughput can never exceed
/// `1 / max_i D_i` (the bottleneck saturates first).
///
/// Returns `None` if `demands` is empty, or any demand is negative or
/// non-finite, or all are zero (no bound).
pub fn utilisation_law_max_throughput(demands: &[f64]) -> Option<f64> {
    if demands.is_empty() || !demands.iter().all(|&d| nonneg(d)) {
        return None;
    }
    let d_max = demands.iter().copied().fold(0.0, f64::max);
    positive(d_max).then(|| 1.0 / d_max)
}

/// Asymptotic (operational) bounds for a closed interactive network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AsymptoticBounds {
    /// `X(N) <= min(N / (D + Z), 1 / D_max)`.
    pub max_throughput: f64,
    /// `R(N) >= max(D, N D_max - Z)`.
    pub min_response: f64,
    /// Population where the two throughput asymptotes cross,
    /// `N* = (D + Z) / D_max`.
    pub knee_users: f64,
}

/// Asymptotic bounds analysis (Denning–Buzen operational laws) for `users`
/// jobs with think time `think` and service demands `demands`; holds for any
/// service distributions and disciplines. [`mva`] lies within them.
///
/// Returns `None` if the demands are empty, invalid or all zero, or `think`
/// is negative or non-finite.
pub fn asymptotic_bounds(users: u32, think: f64, demands: &[f64]) -> Option<AsymptoticBounds> {
    if !nonneg(think) {
        return None;
    }
    let x_max = utilisation_law_max_throughput(demands)?;
    let d_max = 1.0 / x_max;
    let d: f64 = demands.iter().sum();
    let n = f64::from(users);
    Some(AsymptoticBounds {
        max_throughput: (n / (d + think)).min(x_max),
        min_response: d.max(n * d_max - think),
        knee_users: (d + think) / d_max,
    })
}

// ---------------------------------------------------------------------------
// Open Jackson networks
// ---------------------------------------------------------------------------

/// One station of an open Jackson network: `servers` identical exponential
/// servers with mean service time `mean_service`, one FCFS queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JacksonStation {
    /// Number of identical servers `c` (at least 1).
    pub servers: u32,
    /// Mean service time per visit `E[S] = 1 / mu`, in seconds.
    pub mean_service: f64,
}

/// Solution of an open Jackson network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JacksonResult {
    /// Total arrival rate `lambda_i` at each station (external + routed).
    pub arrival_rates: Vec<f64>,
    /// M/M/c metrics of each station at its total arrival rate.
    pub stations: Vec<StationMetrics>,
    /// Mean network sojourn time `sum_i L_i / sum_i lambda0_i` (Little's law
    /// over the whole network).
    pub mean_response: f64,
}

/// Open Jackson network: Poisson external arrivals `external[i]` to station
/// `i`, Markovian routing `routing[i][j]` (probability a job leaving `i` goes
/// to `j`; it leaves the network with probability `1 - sum_j p_ij`), and
/// M/M/c stations.
///
/// Solves the traffic equations `lambda_j = lambda0_j + sum_i lambda_i p_ij`
/// by Gaussian elimination with partial pivoting, then (Jackson's theorem:
/// product form) evaluates each station as an independent M/M/c queue with
/// [`mmc`]. Mean sojourn is `sum L_i / sum lambda0_i`.
///
/// Returns `None` if the dimensions disagree, a rate or probability is
/// negative or non-finite, a row of `routing` sums above 1, the traffic
/// equations are singular (jobs can never leave), the total external rate is
/// zero, or any station is unstable.
pub fn jackson_open(external: &[f64], routing: &[Vec<f64>], stations: &[JacksonStation]) -> Option<JacksonResult> {
    let n = stations.len();
    if external.len() != n || routing.len() != n {
        return None;
    }
    if !external.iter().all(|&x| nonneg(x)) {
        return None;
    }
    let total_external: f64 = external.iter().sum();
    if !positive(total_external) {
        return None;
    }
    for row in routing {
        if row.len() != n || !row.iter().all(|&p| nonneg(p) && p <= 1.0) {
            return None;
        }
        if row.iter().sum::<f64>() > 1.0 + 1e-9 {
            return None;
        }
    }
    // Augmented system (I - P^T) lambda = lambda0, row j: lambda_j - sum_i p_ij lambda_i.
    let width = n + 1;
    let mut a = vec![0.0; n * width];
    for j in 0..n {
        for (i, row) in routing.iter().enumerate() {
            a[j * width + i] = -row[j];
        }
        a[j * width + j] += 1.0;
        a[j * width + n] = external[j];
    }
    let arrival_rates = solve_augmented(&mut a, n)?;
    let mut metrics = Vec::with_capacity(n);
    for (&lambda, st) in arrival_rates.iter().zip(stations) {
        if !positive(st.mean_service) {
            return None;
        }
        metrics.push(mmc(lambda, 1.0 / st.mean_service, st.servers)?);
    }
    let in_system: f64 = metrics.iter().map(|m| m.mean_in_system).sum();
    Some(JacksonResult { arrival_rates, stations: metrics, mean_response: in_system / total_external })
}

/// Gaussian elimination with partial pivoting on an `n × (n+1)` row-major
/// augmented matrix. Returns the solution, clamping rounding-level negatives
/// to zero, or `None` if singular or a clearly negative rate results.
pub(crate) fn solve_augmented(a: &mut [f64], n: usize) -> Option<Vec<f64>> {
    let width = n + 1;
    for col in 0..n {
        let pivot = (col..n).max_by(|&r, &s| a[r * width + col].abs().total_cmp(&a[s * width + col].abs()))?;
        if a[pivot * width + col].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..width {
                a.swap(pivot * width + k, col * width + k);
            }
        }
        let p = a[col * width + col];
        for r in 0..n {
            if r == col {
                continue;
            }
            let factor = a[r * width + col] / p;
            if factor != 0.0 {
                for k in col..width {
                    a[r * width + k] -= factor * a[col * width + k];
                }
            }
        }
    }
    let mut x = Vec::with_capacity(n);
    for i in 0..n {
        let v = a[i * width + n] / a[i * width + i];
        if !v.is_finite() || v < -1e-9 {
            return None;
        }
        x.push(v.max(0.0));
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::mm1;
    use crate::theory::tests::{TOL, close, consistent, same};

    #[test]
    fn mva_single_user() {
        let demands = [0.1, 0.25, 0.05];
        let d: f64 = demands.iter().sum();
        let r = mva(1, 2.0, &demands);
        close(r.throughput, 1.0 / (2.0 + d));
        close(r.response, d);
        for (i, &di) in demands.iter().enumerate() {
            close(r.residence[i], di);
            close(r.utilisation[i], di / (2.0 + d));
            close(r.queue_len[i], r.throughput * r.residence[i]);
        }
    }

    #[test]
    fn mva_hand_computed_and_laws() {
        // Two balanced stations, no think: X(2) = 2/3, R = 3, Q = 1 each.
        let r = mva(2, 0.0, &[1.0, 1.0]);
        close(r.throughput, 2.0 / 3.0);
        close(r.response, 3.0);
        close(r.queue_len[0], 1.0);
        close(r.queue_len[1], 1.0);

        let demands = [0.04, 0.1, 0.02];
        let think = 1.5;
        for users in [0u32, 1, 5, 17, 60] {
            let r = mva(users, think, &demands);
            // Interactive response time law N = X (Z + R); Little per station.
            close(f64::from(users), r.throughput * (think + r.response));
            let q_total: f64 = r.queue_len.iter().sum();
            close(q_total, r.throughput * r.response);
            let b = asymptotic_bounds(users, think, &demands).unwrap();
            assert!(r.throughput <= b.max_throughput * (1.0 + TOL));
            if users > 0 {
                assert!(r.response >= b.min_response * (1.0 - TOL));
            }
        }
        let r0 = mva(0, think, &demands);
        close(r0.throughput, 0.0);
        close(r0.response, 0.16);
    }

    #[test]
    fn mva_large_population_hits_bottleneck() {
        let demands = [0.1, 0.05, 0.02];
        let r = mva(2000, 1.0, &demands);
        close(r.throughput, 10.0);
        close(r.utilisation[0], 1.0);
        close(utilisation_law_max_throughput(&demands).unwrap(), 10.0);
        assert!(utilisation_law_max_throughput(&[]).is_none());
        assert!(utilisation_law_max_throughput(&[0.0]).is_none());
        let b = asymptotic_bounds(10, 1.0, &demands).unwrap();
        close(b.knee_users, 1.17 / 0.1);
        close(b.max_throughput, 10.0 / 1.17);
        close(b.min_response, 0.17);
    }

    #[test]
    fn jackson_tandem_is_sum_of_mm1() {
        let stations =
            [JacksonStation { servers: 1, mean_service: 0.5 }, JacksonStation { servers: 1, mean_service: 0.25 }];
        let routing = vec![vec![0.0, 1.0], vec![0.0, 0.0]];
        let r = jackson_open(&[1.0, 0.0], &routing, &stations).unwrap();
        close(r.arrival_rates[0], 1.0);
        close(r.arrival_rates[1], 1.0);
        same(&r.stations[0], &mm1(1.0, 2.0).unwrap());
        same(&r.stations[1], &mm1(1.0, 4.0).unwrap());
        close(r.mean_response, 1.0 + 1.0 / 3.0);
    }

    #[test]
    fn jackson_feedback_loop() {
        // 10% of jobs return: lambda = lambda0 / 0.9.
        let stations = [JacksonStation { servers: 1, mean_service: 0.5 }];
        let r = jackson_open(&[1.0], &[vec![0.1]], &stations).unwrap();
        close(r.arrival_rates[0], 1.0 / 0.9);
        let m = mm1(1.0 / 0.9, 2.0).unwrap();
        same(&r.stations[0], &m);
        // Sojourn = visits * W per visit = (1/0.9) * 1/(2 - 1/0.9) = 1.25.
        close(r.mean_response, 1.25);
        consistent(&r.stations[0], 0.5);
    }

    #[test]
    fn jackson_general_network() {
        // Web -> {app 70%, exit 30%}; app -> {db 50%, web 20%, exit 30%};
        // db -> app 100%. Hand-solved traffic equations with lambda0 = (2, 0, 0):
        // w = 2 + 0.2 a, a = 0.7 w + d, d = 0.5 a  =>  a = 0.7 w / 0.5 = 1.4 w,
        // w = 2 + 0.28 w  =>  w = 2 / 0.72.
        let stations = [
            JacksonStation { servers: 2, mean_service: 0.2 },
            JacksonStation { servers: 4, mean_service: 0.5 },
            JacksonStation { servers: 1, mean_service: 0.3 },
        ];
        let routing = vec![vec![0.0, 0.7, 0.0], vec![0.2, 0.0, 0.5], vec![0.0, 1.0, 0.0]];
        let r = jackson_open(&[2.0, 0.0, 0.0], &routing, &stations).unwrap();
        let w = 2.0 / 0.72;
        close(r.arrival_rates[0], w);
        close(r.arrival_rates[1], 1.4 * w);
        close(r.arrival_rates[2], 0.7 * w);
        for (i, st) in stations.iter().enumerate() {
            let expect = mmc(r.arrival_rates[i], 1.0 / st.mean_service, st.servers).unwrap();
            same(&r.stations[i], &expect);
            consistent(&r.stations[i], st.mean_service);
        }
        let l: f64 = r.stations.iter().map(|m| m.mean_in_system).sum();
        close(r.mean_response, l / 2.0);
    }

    #[test]
    fn jackson_rejects_bad_networks() {
        let one = [JacksonStation { servers: 1, mean_service: 0.5 }];
        // No exit: singular.
        assert!(jackson_open(&[1.0], &[vec![1.0]], &one).is_none());
        // Row sums above one.
        let two = [one[0], one[0]];
        assert!(jackson_open(&[1.0, 0.0], &[vec![0.6, 0.6], vec![0.0, 0.0]], &two).is_none());
        // Overloaded by feedback: lambda = 1/0.5 = 2 >= mu = 2.
        assert!(jackson_open(&[1.0], &[vec![0.5]], &one).is_none());
        // Dimension mismatch and no traffic.
        assert!(jackson_open(&[1.0, 0.0], &[vec![0.0]], &one).is_none());
        assert!(jackson_open(&[0.0], &[vec![0.0]], &one).is_none());
    }
}
