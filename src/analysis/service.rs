//! One service's analytic view: which queueing model applies (M/M/c,
//! M/M/c/K, M/G/1, M/G/c, processor sharing, round robin's E_k/M/c), its
//! mean values, its chance of waiting and the percentiles of its wait.

use super::{Percentiles, ServiceTheory, layered_reason, visit};
use crate::model::Network;
use crate::policy::{Balance, Discipline};
use crate::theory::{self, StationMetrics};

fn none(service: &str, utilisation: f64, note: impl Into<String>) -> ServiceTheory {
    ServiceTheory {
        service: service.to_string(),
        model: String::new(),
        exact: false,
        utilisation,
        metrics: None,
        blocking: None,
        note: note.into(),
        wait_percentiles: None,
        response_percentiles: None,
        percentiles_exact: false,
    }
}

pub(super) fn service_theory(net: &Network, s: usize, utilisation: f64, closed: bool) -> ServiceTheory {
    let svc = &net.services[s];
    let name = svc.name.as_str();
    if closed {
        return none(name, utilisation, "visited by a closed class: see the class's Mean Value Analysis");
    }
    let v = visit(net, s);
    if v.rate == 0.0 {
        return none(name, 0.0, "no open traffic reaches it");
    }
    if let Some(reason) = layered_reason(net, s) {
        return none(name, utilisation, reason);
    }
    if let Some(f) = &svc.failures {
        let a = f.availability();
        return none(
            name,
            utilisation / a,
            format!(
                "instances fail: {:.1}% available, {:.2} of {} up on average, so the utilisation of those up is \
                 the figure shown; queueing through outages has no closed form here",
                100.0 * a,
                a * f64::from(svc.instances),
                svc.instances
            ),
        );
    }
    if utilisation >= 1.0 {
        return none(name, utilisation, "saturated (utilisation >= 1): queues grow without bound, no steady state");
    }
    // Consumers that only take messages share one queue across instances: one pooled station.
    let pooled = svc.consumes != crate::model::NONE
        && net.sync_visits.iter().all(|v| svc.ops.clone().all(|o| v[o as usize] == 0.0));
    let n = if pooled { 1 } else { svc.instances };
    let lambda = v.rate / f64::from(n);
    let scv = if v.mean > 0.0 { v.second / (v.mean * v.mean) - 1.0 } else { 0.0 };
    let priorities = net
        .classes
        .iter()
        .zip(&net.visits)
        .filter(|(c, vis)| svc.ops.clone().any(|o| vis[o as usize] > 0.0) && c.open_rate().is_some())
        .map(|(c, _)| c.priority)
        .collect::<std::collections::BTreeSet<_>>();
    // How the balancer splits a Poisson stream.
    let (split_exact, split_note) = match (n, svc.balance) {
        (1, _) if pooled && svc.instances > 1 => {
            (true, format!("the consumers of all {} instances share one queue", svc.instances))
        }
        (1, _) => (true, String::new()),
        (_, Balance::Random) => (true, format!("random balancing splits the Poisson stream into {n} Poisson streams")),
        (_, Balance::RoundRobin) => (
            false,
            format!(
                "round robin gives each of the {n} instances every {n}-th request (Erlang arrivals), treated as Poisson"
            ),
        ),
        (_, other) => (
            false,
            format!(
                "balance = \"{}\" has no closed form; shown: random splitting over {n} instances (an upper bound on waits)",
                other.key()
            ),
        ),
    };
    let scale = |m: StationMetrics| StationMetrics {
        throughput: m.throughput * f64::from(n),
        mean_queue_len: m.mean_queue_len * f64::from(n),
        mean_in_system: m.mean_in_system * f64::from(n),
        ..m
    };
    let with =
        |model: String, exact: bool, m: Option<StationMetrics>, blocking: Option<f64>, note: String| ServiceTheory {
            service: name.to_string(),
            model,
            exact: exact && split_exact,
            utilisation,
            metrics: m.map(scale),
            blocking,
            note: [split_note.clone(), note].into_iter().filter(|x| !x.is_empty()).collect::<Vec<_>>().join("; "),
            wait_percentiles: None,
            response_percentiles: None,
            percentiles_exact: false,
        };

    if svc.threads > svc.cores {
        if svc.cores == 1 && svc.queue_limit == u32::MAX {
            let response = theory::ps_response(lambda, v.mean, v.mean);
            let m = response.map(|r| StationMetrics {
                utilisation: lambda * v.mean,
                mean_wait: 0.0,
                mean_response: r,
                mean_queue_len: 0.0,
                mean_in_system: lambda * r,
                throughput: lambda,
            });
            return with(
                "M/G/1-PS".into(),
                true,
                m,
                None,
                format!(
                    "processor sharing on 1 core (insensitive to the distribution); exact while the {} threads rarely all fill",
                    svc.threads
                ),
            );
        }
        return none(
            name,
            utilisation,
            "more threads than cores on several cores (limited processor sharing): no closed form",
        );
    }
    let c = if pooled { svc.instances * svc.threads } else { svc.threads };
    let queue_limit = if pooled { net.queues[svc.consumes as usize].capacity } else { svc.queue_limit };
    if priorities.len() > 1 && svc.discipline == Discipline::Priority {
        return none(
            name,
            utilisation,
            "several priority classes: see the Cobham formula in `capsim::theory` for single servers",
        );
    }
    if queue_limit != u32::MAX {
        if v.exponential {
            let k = c.saturating_add(queue_limit);
            let m = theory::mmck(lambda, 1.0 / v.mean, c, k);
            let metrics = m.as_ref().map(|m| StationMetrics {
                utilisation: m.utilisation,
                mean_wait: m.mean_response - v.mean,
                mean_response: m.mean_response,
                mean_queue_len: m.mean_queue_len,
                mean_in_system: m.mean_in_system,
                throughput: m.throughput,
            });
            return with(format!("M/M/{c}/{k}"), true, metrics, m.map(|m| m.blocking), String::new());
        }
        return none(name, utilisation, "a queue limit with non-exponential service (M/G/c/K): no closed form");
    }
    if v.exponential {
        let mu = 1.0 / v.mean;
        if c == 1 && n > 1 && svc.balance == Balance::RoundRobin {
            return round_robin_theory(v.rate, n, mu, with);
        }
        return ServiceTheory {
            wait_percentiles: Percentiles::from(|q| theory::mmc_wait_quantile(lambda, mu, c, q)),
            response_percentiles: Percentiles::from(|q| theory::mmc_response_quantile(lambda, mu, c, q)),
            percentiles_exact: split_exact,
            ..with(format!("M/M/{c}"), true, theory::mmc(lambda, mu, c), None, String::new())
        };
    }
    let st = if c == 1 {
        with("M/G/1".into(), true, theory::mg1(lambda, v.mean, scv), None, "Pollaczek-Khinchine".into())
    } else {
        with(
            format!("M/G/{c}"),
            false,
            theory::mgc_approx(lambda, v.mean, scv, c),
            None,
            "Allen-Cunneen approximation: the M/M/c wait scaled by (1 + cv^2)/2".into(),
        )
    };
    // Percentiles by the two-moment approximation (theory::tails): the
    // chance of waiting is rho for M/G/1 and Erlang C for M/G/c.
    let prob_wait = if c == 1 { Some(lambda * v.mean) } else { theory::erlang_c(c, lambda * v.mean) };
    let (Some(p), Some(m)) = (prob_wait, st.metrics) else { return st };
    ServiceTheory {
        wait_percentiles: Percentiles::from(|q| theory::wait_quantile_approx(p, m.mean_wait, q)),
        response_percentiles: Percentiles::from(|q| theory::response_quantile_approx(p, m.mean_wait, v.mean, scv, q)),
        ..st
    }
}

/// Round robin over `n` single-thread instances with exponential service: each
/// instance sees every `n`-th arrival of the Poisson stream, Erlang-`n`
/// interarrivals, an E_n/M/1 queue solved exactly by its GI/M/1 root `sigma`.
/// The response time is then exponential with rate `mu (1 - sigma)` and the wait
/// is 0 with probability `1 - sigma`: the M/M/1 distributions with `rho = sigma`.
fn round_robin_theory(
    rate: f64,
    n: u32,
    mu: f64,
    with: impl Fn(String, bool, Option<StationMetrics>, Option<f64>, String) -> ServiceTheory,
) -> ServiceTheory {
    let per_instance = theory::round_robin_mm1(rate, n, mu).map(|m| StationMetrics {
        throughput: m.throughput / f64::from(n),
        mean_queue_len: m.mean_queue_len / f64::from(n),
        mean_in_system: m.mean_in_system / f64::from(n),
        ..m
    });
    let sigma = theory::round_robin_sigma(rate, n, mu);
    let as_mm1 = |quantile: fn(f64, f64, u32, f64) -> Option<f64>| {
        Percentiles::from(|q| sigma.and_then(|s| quantile(s * mu, mu, 1, q)))
    };
    ServiceTheory {
        exact: true,
        note: format!("round robin gives each of the {n} instances every {n}-th request: Erlang-{n} arrivals (GI/M/1)"),
        wait_percentiles: as_mm1(theory::mmc_wait_quantile),
        response_percentiles: as_mm1(theory::mmc_response_quantile),
        percentiles_exact: true,
        ..with(format!("E{n}/M/1"), true, per_instance, None, String::new())
    }
}
