//! Load balancing across `k` queues: the E_k/M/1 (and E_k/M/c) queue each
//! instance sees behind a round-robin balancer, and the M/M/1 queues of a
//! uniformly random split.

use super::gimc::{Gimc, erlang_lst, gimc, gimc_sigma};
use super::{StationMetrics, mm1, positive, station};

// ---------------------------------------------------------------------------
// Load balancing across k single-server queues
// ---------------------------------------------------------------------------

/// The GI/M/1 root `sigma` for Erlang-`k` interarrivals (mean
/// `k / lambda_total`) and exponential service at rate `mu`: the unique
/// solution in `(0, 1)` of `sigma = A*(mu (1 - sigma))` with
/// `A*(s) = (lambda_total / (lambda_total + s))^k`.
///
/// `sigma` is the probability an arrival finds its server busy: the
/// one-server case of [`gimc_sigma`]. `k = 1` gives `sigma = rho`.
///
/// Returns `None` for invalid inputs, `k == 0`, or
/// `rho = lambda_total / (k mu) >= 1`.
pub fn round_robin_sigma(lambda_total: f64, k: u32, mu: f64) -> Option<f64> {
    if !positive(lambda_total) || k == 0 {
        return None;
    }
    // One server of the GI/M/c root, with each instance's Erlang-k gaps.
    gimc_sigma(lambda_total / f64::from(k), erlang_lst(k, lambda_total), 1, mu)
}

/// Round-robin dispatch to `k` identical single-server FCFS queues with
/// exponential service at rate `mu`, fed by one Poisson(`lambda_total`)
/// stream.
///
/// Each server receives every `k`-th arrival, so its interarrival times are
/// Erlang-`k` with mean `k / lambda_total`: an E_k/M/1 (GI/M/1) queue. With
/// `sigma` from [`round_robin_sigma`]: `W = 1 / (mu (1 - sigma))`,
/// `Wq = sigma / (mu (1 - sigma))`. Since `sigma < rho` for `k > 1`, this
/// beats random splitting ([`random_split_mm1`]) but not one shared queue
/// ([`mmc`](crate::theory::mmc)).
///
/// The result describes all `k` servers together, like [`mmc`](crate::theory::mmc):
/// `throughput = lambda_total`, `L` and `Lq` are totals over the `k` queues,
/// `utilisation = lambda_total / (k mu)` per server.
///
/// Returns `None` for invalid inputs, `k == 0`, or `rho >= 1`.
/// `lambda_total = 0` gives an idle system (`Wq = 0`).
pub fn round_robin_mm1(lambda_total: f64, k: u32, mu: f64) -> Option<StationMetrics> {
    if lambda_total == 0.0 && positive(mu) && k > 0 {
        return Some(station(0.0, 1.0 / mu, k, 0.0));
    }
    let sigma = round_robin_sigma(lambda_total, k, mu)?;
    let wq = sigma / (mu * (1.0 - sigma));
    Some(station(lambda_total, 1.0 / mu, k, wq))
}

/// Round-robin dispatch of a Poisson(`lambda_total`) stream to `k`
/// identical instances of `c` exponential servers (rate `mu`) each, every
/// instance with its own FCFS queue: each instance is the E_k/M/c queue
/// [`gimc`](crate::theory::gimc) solves exactly, with arrival rate
/// `lambda_total / k` and Erlang-`k` interarrival times (`k` phases at rate
/// `lambda_total`). The result describes one instance. `c = 1` gives
/// [`round_robin_sigma`] as its `sigma` and `prob_wait`.
///
/// Returns `None` for invalid inputs, `k == 0`, `c == 0`, or
/// `lambda_total >= k c mu`.
pub fn round_robin_gimc(lambda_total: f64, k: u32, mu: f64, c: u32) -> Option<Gimc> {
    if k == 0 || !super::nonneg(lambda_total) {
        return None;
    }
    gimc(lambda_total / f64::from(k), erlang_lst(k, lambda_total), c, mu)
}

/// Random (Bernoulli) dispatch of a Poisson(`lambda_total`) stream to `k`
/// identical M/M/1 queues: each is M/M/1 with rate `lambda_total / k`, so
/// `W = 1 / (mu - lambda_total / k)`.
///
/// Aggregated over the `k` queues like [`round_robin_mm1`]. Returns `None`
/// for invalid inputs, `k == 0`, or `rho >= 1`.
pub fn random_split_mm1(lambda_total: f64, k: u32, mu: f64) -> Option<StationMetrics> {
    if k == 0 {
        return None;
    }
    let one = mm1(lambda_total / f64::from(k), mu)?;
    Some(station(lambda_total, 1.0 / mu, k, one.mean_wait))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::mmc;
    use crate::theory::tests::{close, consistent, same};

    #[test]
    fn round_robin_erlang_arrivals() {
        // k = 1 is M/M/1.
        close(round_robin_sigma(0.7, 1, 1.0).unwrap(), 0.7);
        same(&round_robin_mm1(0.7, 1, 1.0).unwrap(), &mm1(0.7, 1.0).unwrap());
        // k = 2, lambda = mu = 1 (rho = 1/2): sigma (2 - sigma)^2 = 1, so
        // sigma^2 - 3 sigma + 1 = 0 and sigma = (3 - sqrt 5) / 2.
        let sigma = round_robin_sigma(1.0, 2, 1.0).unwrap();
        close(sigma, (3.0 - 5.0_f64.sqrt()) / 2.0);
        assert!(sigma < 0.5);
        let m = round_robin_mm1(1.0, 2, 1.0).unwrap();
        close(m.mean_response, 1.0 / (1.0 - sigma));
        close(m.mean_wait, sigma / (1.0 - sigma));
        close(m.utilisation, 0.5);
        close(m.throughput, 1.0);
        consistent(&m, 1.0);
        // Ordering: shared queue < round robin < random split.
        for &(lambda, k) in &[(1.6, 2u32), (7.0, 8), (3.9, 4)] {
            let rr = round_robin_mm1(lambda, k, 1.0).unwrap();
            let pooled = mmc(lambda, 1.0, k).unwrap();
            let random = random_split_mm1(lambda, k, 1.0).unwrap();
            assert!(pooled.mean_response < rr.mean_response);
            assert!(rr.mean_response < random.mean_response);
            consistent(&rr, 1.0);
            consistent(&random, 1.0);
            let s = round_robin_sigma(lambda, k, 1.0).unwrap();
            close(s, (lambda / (lambda + 1.0 - s)).powi(k as i32));
            assert!(s < lambda / f64::from(k));
        }
        close(round_robin_mm1(0.0, 3, 2.0).unwrap().mean_response, 0.5);
        assert!(round_robin_mm1(2.0, 2, 1.0).is_none());
        assert!(round_robin_mm1(1.0, 0, 1.0).is_none());
    }

    #[test]
    fn round_robin_over_multi_server_instances() {
        // One thread each: the E_k/M/1 root.
        let one = round_robin_gimc(3.2, 4, 1.0, 1).unwrap();
        close(one.sigma, round_robin_sigma(3.2, 4, 1.0).unwrap());
        close(one.metrics.mean_wait * 4.0 * 0.8, round_robin_mm1(3.2, 4, 1.0).unwrap().mean_queue_len);
        // read-replicas.toml: 2 instances of 8 threads, 900/s of 12 ms (68%):
        // less waiting than random splitting's M/M/8, more than one shared M/M/16.
        let rr = round_robin_gimc(900.0, 2, 1.0 / 0.012, 8).unwrap();
        let random = mmc(450.0, 1.0 / 0.012, 8).unwrap();
        let pooled = mmc(900.0, 1.0 / 0.012, 16).unwrap();
        assert!(pooled.mean_wait < rr.metrics.mean_wait && rr.metrics.mean_wait < random.mean_wait);
        consistent(&rr.metrics, 0.012);
        // One instance is not balanced at all.
        let alone = round_robin_gimc(7.0, 1, 1.0, 8).unwrap();
        close(alone.prob_wait, crate::theory::erlang_c(8, 7.0).unwrap());
    }

    #[test]
    fn random_split_is_mm1_per_queue() {
        let m = random_split_mm1(1.5, 3, 1.0).unwrap();
        let one = mm1(0.5, 1.0).unwrap();
        close(m.mean_response, one.mean_response);
        close(m.mean_in_system, 3.0 * one.mean_in_system);
        close(m.utilisation, 0.5);
    }
}
