//! One service's analytic view: which queueing model applies (M/M/c,
//! M/M/c/K, M/G/1, M/G/c, processor sharing, round robin's E_k/M/c), its
//! mean values, its chance of waiting and the percentiles of its wait.

use super::{ClassAtService, Percentiles, ServiceTheory, layered_reason, visit};
use crate::model::Network;
use crate::policy::{Balance, Discipline};
use crate::theory::{self, StationMetrics};

pub(super) fn none(service: &str, utilisation: f64, note: impl Into<String>) -> ServiceTheory {
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
        prob_wait: None,
        prob_wait_exact: false,
        all_busy: None,
        classes: Vec::new(),
        departures_poisson: false,
        stretch: None,
    }
}

pub(super) fn service_theory(net: &Network, s: usize, utilisation: f64, closed: bool) -> ServiceTheory {
    super::platform::beyond_the_station(net, s, utilisation, station_theory(net, s, utilisation, closed))
}

fn station_theory(net: &Network, s: usize, utilisation: f64, closed: bool) -> ServiceTheory {
    let svc = &net.services[s];
    let name = svc.name.as_str();
    if closed {
        return none(name, utilisation, "visited by a closed class: see the class's Mean Value Analysis");
    }
    let v = visit(net, s, None);
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
    let c = if pooled { svc.instances * svc.threads } else { svc.threads };
    let queue_limit = if pooled { net.queues[svc.consumes as usize].capacity } else { svc.queue_limit };
    let round_robin = n > 1 && svc.balance == Balance::RoundRobin;
    // How the balancer splits a Poisson stream.
    let (split_exact, split_note) = match (n, svc.balance) {
        (1, _) if pooled && svc.instances > 1 => {
            (true, format!("the consumers of all {} instances share one queue", svc.instances))
        }
        (1, _) => (true, String::new()),
        (_, Balance::Random) => (true, format!("random balancing splits the Poisson stream into {n} Poisson streams")),
        (_, _) if svc.is_delay() => (true, String::new()),
        (_, Balance::RoundRobin) if v.exponential && queue_limit == u32::MAX && svc.threads <= svc.cores => (
            true,
            format!("round robin gives each of the {n} instances every {n}-th request: Erlang-{n} arrivals (GI/M/{c})"),
        ),
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
            ..none(name, utilisation, "")
        };

    if svc.is_delay() {
        // M/G/inf: nobody waits, the response is the service time, and the
        // number in service is Poisson with mean lambda E[S] (insensitive).
        let metrics = StationMetrics {
            utilisation,
            mean_wait: 0.0,
            mean_response: v.mean,
            mean_queue_len: 0.0,
            mean_in_system: lambda * v.mean,
            throughput: lambda,
        };
        let exp = |q: f64| Some(-(1.0 - q).ln() * v.mean);
        return ServiceTheory {
            prob_wait: Some(0.0),
            prob_wait_exact: true,
            all_busy: Some(0.0),
            wait_percentiles: Percentiles::from(|_| Some(0.0)),
            response_percentiles: if v.exponential { Percentiles::from(exp) } else { None },
            percentiles_exact: true,
            departures_poisson: split_exact,
            stretch: Some(1.0),
            ..with(
                "M/G/inf".into(),
                true,
                Some(metrics),
                None,
                "infinite servers (a delay): no waiting; the number in service is Poisson with mean lambda E[S]".into(),
            )
        };
    }
    if svc.discipline == Discipline::Ps && svc.queue_limit == u32::MAX && svc.cores > 1 {
        // M/G/c-PS: the number present moves as M/M/c's (a symmetric queue,
        // insensitive to the distribution), so its mean response is M/M/c's.
        let m = theory::mmc(lambda, 1.0 / v.mean, svc.cores).map(|m| StationMetrics {
            mean_wait: 0.0,
            mean_queue_len: 0.0,
            utilisation,
            ..m
        });
        return ServiceTheory {
            prob_wait: Some(0.0),
            prob_wait_exact: true,
            departures_poisson: split_exact,
            stretch: m.map(|m| m.mean_response / v.mean),
            ..with(
                format!("M/G/{}-PS", svc.cores),
                true,
                m,
                None,
                format!(
                    "processor sharing on {} cores (insensitive): the mean response is M/M/{}'s; by job size, \
                     x / E[S] times it is an approximation",
                    svc.cores, svc.cores
                ),
            )
        };
    }
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
            return ServiceTheory {
                departures_poisson: split_exact,
                prob_wait: Some(0.0),
                prob_wait_exact: true,
                // A job of size x stays x / (1 - rho): exact for every size.
                stretch: Some(1.0 / (1.0 - lambda * v.mean)),
                ..with(
                    "M/G/1-PS".into(),
                    true,
                    m,
                    None,
                    if svc.threads == crate::model::UNLIMITED {
                        "processor sharing on 1 core (insensitive to the distribution): a job of size x stays x / (1 - rho)"
                            .to_string()
                    } else {
                        format!(
                            "processor sharing on 1 core (insensitive to the distribution); exact while the {} threads rarely all fill",
                            svc.threads
                        )
                    },
                )
            };
        }
        return none(
            name,
            utilisation,
            "more threads than cores on several cores (limited processor sharing): no closed form",
        );
    }
    let priorities = net
        .classes
        .iter()
        .zip(&net.visits)
        .filter(|(c, vis)| svc.ops.clone().any(|o| vis[o as usize] > 0.0) && c.open_rate().is_some())
        .map(|(c, _)| c.priority)
        .collect::<std::collections::BTreeSet<_>>();
    if priorities.len() > 1 && svc.discipline.by_priority() {
        if c == 1
            && queue_limit == u32::MAX
            && (n == 1 || svc.balance == Balance::Random)
            && let Some(st) = priority_theory(net, s, n, with)
        {
            return st;
        }
        return none(
            name,
            utilisation,
            "several priority classes on more than one thread, under a queue limit or behind a balancer that is not \
             random: no closed form (the M/G/1 priority formulas need one server and Poisson arrivals)",
        );
    }
    if queue_limit != u32::MAX {
        if v.exponential {
            let k = c.saturating_add(queue_limit);
            let mu = 1.0 / v.mean;
            let m = theory::mmck(lambda, mu, c, k);
            let metrics = m.as_ref().map(|m| StationMetrics {
                utilisation: m.utilisation,
                mean_wait: m.mean_response - v.mean,
                mean_response: m.mean_response,
                mean_queue_len: m.mean_queue_len,
                mean_in_system: m.mean_in_system,
                throughput: m.throughput,
            });
            return ServiceTheory {
                prob_wait: m.map(|m| m.prob_wait),
                prob_wait_exact: split_exact,
                wait_percentiles: Percentiles::from(|q| theory::mmck_wait_quantile(lambda, mu, c, k, q)),
                percentiles_exact: split_exact,
                ..with(format!("M/M/{c}/{k}"), true, metrics, m.map(|m| m.blocking), String::new())
            };
        }
        return none(name, utilisation, "a queue limit with non-exponential service (M/G/c/K): no closed form");
    }
    if v.exponential {
        let mu = 1.0 / v.mean;
        if round_robin {
            return round_robin_theory(v.rate, n, mu, c, with);
        }
        let prob_wait = theory::erlang_c(c, lambda / mu);
        return ServiceTheory {
            wait_percentiles: Percentiles::from(|q| theory::mmc_wait_quantile(lambda, mu, c, q)),
            response_percentiles: Percentiles::from(|q| theory::mmc_response_quantile(lambda, mu, c, q)),
            percentiles_exact: split_exact,
            prob_wait,
            prob_wait_exact: split_exact,
            all_busy: prob_wait,
            departures_poisson: split_exact,
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
    // The chance of waiting is rho for M/G/1 (exact, by PASTA) and Erlang C
    // for M/G/c (approximate); percentiles by the two-moment approximation
    // (theory::tails).
    let prob_wait = if c == 1 { Some(lambda * v.mean) } else { theory::erlang_c(c, lambda * v.mean) };
    let (Some(p), Some(m)) = (prob_wait, st.metrics) else { return st };
    ServiceTheory {
        wait_percentiles: Percentiles::from(|q| theory::wait_quantile_approx(p, m.mean_wait, q)),
        response_percentiles: Percentiles::from(|q| theory::response_quantile_approx(p, m.mean_wait, v.mean, scv, q)),
        prob_wait,
        prob_wait_exact: c == 1 && split_exact,
        all_busy: prob_wait,
        ..st
    }
}

/// Round robin over `n` instances of `c` threads with exponential service:
/// each instance sees every `n`-th arrival of the Poisson stream, Erlang-`n`
/// interarrivals, an E_n/M/c queue solved exactly at arrival epochs
/// (`theory::round_robin_gimc`). A wait that happens is exponential with rate
/// `c mu (1 - sigma)`, so the wait and response percentiles are exact too.
fn round_robin_theory(
    rate: f64,
    n: u32,
    mu: f64,
    c: u32,
    with: impl Fn(String, bool, Option<StationMetrics>, Option<f64>, String) -> ServiceTheory,
) -> ServiceTheory {
    let Some(g) = theory::round_robin_gimc(rate, n, mu, c) else {
        return with(format!("E{n}/M/{c}"), true, None, None, String::new());
    };
    ServiceTheory {
        wait_percentiles: Percentiles::from(|q| g.wait_quantile(q)),
        response_percentiles: Percentiles::from(|q| g.response_quantile(q)),
        percentiles_exact: true,
        prob_wait: Some(g.prob_wait),
        prob_wait_exact: true,
        all_busy: Some(g.all_busy),
        ..with(format!("E{n}/M/{c}"), true, Some(g.metrics), None, String::new())
    }
}

/// Several priority classes at single-thread instances fed Poisson streams:
/// M/G/1 priorities, non-preemptive (Cobham's formula) or preemptive-resume,
/// classes of one priority level sharing a FCFS queue.
fn priority_theory(
    net: &Network,
    s: usize,
    n: u32,
    with: impl Fn(String, bool, Option<StationMetrics>, Option<f64>, String) -> ServiceTheory,
) -> Option<ServiceTheory> {
    // (priority, class, rate per instance, E[S], E[S^2]) of each class that visits.
    let mut visitors = Vec::new();
    for (k, class) in net.classes.iter().enumerate() {
        let v = visit(net, s, Some(k));
        if v.rate > 0.0 {
            visitors.push((class.priority, k, v.rate / f64::from(n), v.mean, v.second));
        }
    }
    // One (lambda, E[S], E[S^2]) per priority level, highest (lowest number) first.
    let mut levels: Vec<(u8, f64, f64, f64)> = Vec::new();
    for &(p, _, rate, mean, second) in &visitors {
        match levels.iter_mut().find(|l| l.0 == p) {
            Some(l) => {
                l.2 = (l.1 * l.2 + rate * mean) / (l.1 + rate);
                l.3 = (l.1 * l.3 + rate * second) / (l.1 + rate);
                l.1 += rate;
            }
            None => levels.push((p, rate, mean, second)),
        }
    }
    levels.sort_by_key(|l| l.0);
    let triples: Vec<(f64, f64, f64)> = levels.iter().map(|l| (l.1, l.2, l.3)).collect();
    let preemptive = net.services[s].discipline == Discipline::PriorityPreemptive;
    // Time at the station beyond a class's own service, per level; for
    // preemption, a class of mean m at a level below load sigma stays
    // m / (1 - sigma) + R / ((1 - sigma)(1 - sigma')) (theory::mg1_preemptive_priority).
    let above: Vec<f64> =
        triples.iter().scan(0.0, |acc, &(l, m, _)| Some(std::mem::replace(acc, *acc + l * m))).collect();
    let extra = |level: usize, m: f64, responses: &[f64]| {
        let (_, level_mean, _) = triples[level];
        responses[level] - level_mean / (1.0 - above[level]) + m / (1.0 - above[level]) - m
    };
    let responses = if preemptive {
        theory::mg1_preemptive_priority(&triples)?
    } else {
        theory::mg1_nonpreemptive_priority(&triples)?
    };
    let mut classes = Vec::new();
    let (mut lambda, mut mean, mut wait) = (0.0, 0.0, 0.0);
    for &(p, k, rate, m, _) in &visitors {
        let level = levels.iter().position(|l| l.0 == p).expect("every visitor has its level");
        let w = if preemptive { extra(level, m, &responses) } else { responses[level] };
        classes.push(ClassAtService { class: net.classes[k].name.clone(), mean_wait: w, mean_response: w + m });
        lambda += rate;
        mean += rate * m;
        wait += rate * w;
    }
    let (mean, wait) = (mean / lambda, wait / lambda);
    let rho = lambda * mean;
    let metrics = StationMetrics {
        utilisation: rho,
        mean_wait: wait,
        mean_response: wait + mean,
        mean_queue_len: lambda * wait,
        mean_in_system: lambda * (wait + mean),
        throughput: lambda,
    };
    Some(ServiceTheory {
        classes,
        // Work-conserving: the server is busy (and a request waits) with probability rho.
        prob_wait: Some(rho),
        prob_wait_exact: true,
        all_busy: Some(rho),
        ..with(
            if preemptive { "M/G/1 preemptive priority" } else { "M/G/1 priority" }.into(),
            true,
            Some(metrics),
            None,
            if preemptive {
                format!("{} priority levels, preemptive-resume", levels.len())
            } else {
                format!("{} priority levels, non-preemptive (Cobham's formula)", levels.len())
            },
        )
    })
}
