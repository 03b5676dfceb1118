//! Queueing theory applied to a model: for every service where a closed form
//! (or a standard approximation) exists, the analytic utilisation, wait,
//! response time and queue length; for request classes, the network's mean
//! response time (open Jackson-style networks, or exact Mean Value Analysis
//! for a closed class); and the utilisation-law bottleneck. Where no
//! estimate applies, the reason is given in words.
//!
//! `capsim theory MODEL` prints this alone; `capsim run --theory` prints it
//! beside the simulated values.

use serde::Serialize;

use crate::model::{Action, Arrivals, Network, Step};
use crate::policy::Balance;
use crate::theory::{self, StationMetrics};

/// Percentiles of a wait or a response time \[s\].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Percentiles {
    /// The percentiles `quantile` gives, if it gives them all.
    fn from(quantile: impl Fn(f64) -> Option<f64>) -> Option<Percentiles> {
        Some(Percentiles { p50: quantile(0.5)?, p95: quantile(0.95)?, p99: quantile(0.99)? })
    }
}

/// The analytic view of one service.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceTheory {
    /// Service name.
    pub service: String,
    /// The queueing model used, e.g. "M/M/8" (empty when none applies).
    pub model: String,
    /// True for an exact result, false for an approximation.
    pub exact: bool,
    /// Utilisation law: the fraction of its usable cores (`min(threads, cores)`
    /// per instance, as the simulated utilisation) the open workload keeps busy (always available).
    pub utilisation: f64,
    /// Station metrics over all instances (queue lengths summed), when a model applies.
    pub metrics: Option<StationMetrics>,
    /// Blocking probability, for a queue limit.
    pub blocking: Option<f64>,
    /// Why no estimate (or what the approximation assumes).
    pub note: String,
    /// Percentiles of the wait for a thread, where theory has them.
    pub wait_percentiles: Option<Percentiles>,
    /// Percentiles of the time at the station (wait and service).
    pub response_percentiles: Option<Percentiles>,
    /// Whether those percentiles are exact (M/M/c) or approximate (M/G/c: see `theory::tails`).
    pub percentiles_exact: bool,
}

/// The analytic view of one request class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassTheory {
    /// Class name.
    pub class: String,
    /// Mean response time \[s\], when every station on the way has an estimate.
    pub mean_response: Option<f64>,
    /// Throughput [requests/s] (closed classes via MVA; open classes: the offered rate).
    pub throughput: Option<f64>,
    /// How it was obtained, or why not.
    pub note: String,
    /// Percentiles of the response time, for a class that visits one station once.
    pub response_percentiles: Option<Percentiles>,
    /// Whether they are exact.
    pub percentiles_exact: bool,
}

/// The utilisation law's answer: how far the workload can grow.
#[derive(Debug, Clone, Serialize)]
pub struct Bottleneck {
    /// Services by offered utilisation of their usable cores, busiest first: (name, utilisation).
    pub services: Vec<(String, f64)>,
    /// Factor by which the open workload can grow before the busiest service saturates.
    pub headroom: Option<f64>,
}

/// Everything theory says about a model.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Per service, in model order.
    pub services: Vec<ServiceTheory>,
    /// Per class, in model order.
    pub classes: Vec<ClassTheory>,
    /// The utilisation law.
    pub bottleneck: Bottleneck,
}

/// Service time per visit of a service: (mean, second moment, all exponential with one mean?).
struct Visit {
    rate: f64,
    mean: f64,
    second: f64,
    exponential: bool,
}

/// Why a service's thread holding time is not its CPU demand, if it is not.
fn layered_reason(net: &Network, service: usize) -> Option<String> {
    let svc = &net.services[service];
    // Only operations some request actually runs.
    let used = |o: usize| net.visits.iter().any(|v| v[o] > 0.0);
    for (o, op) in net.ops.iter().enumerate().take(svc.ops.end as usize).skip(svc.ops.start as usize) {
        if !used(o) {
            continue;
        }
        for step in &net.steps[op.steps.start as usize..op.steps.end as usize] {
            let calls = match step {
                Step::Act(Action::Call { .. })
                | Step::CacheRead { .. }
                | Step::DbRead { .. }
                | Step::DbWrite { .. } => true,
                Step::Branch { arms, .. } => net.arms[arms.start as usize..arms.end as usize]
                    .iter()
                    .any(|a| matches!(a.action, Action::Call { .. })),
                _ => false,
            };
            if calls {
                return Some(format!(
                    "`{}` holds its thread while it waits for its calls, so the holding time includes downstream latency (a layered queue): no closed form",
                    op.name
                ));
            }
        }
    }
    None
}

/// Per-visit service time of `service`, mixed over its operations by visit rate.
fn visit(net: &Network, service: usize) -> Visit {
    let svc = &net.services[service];
    let mut rate = 0.0;
    let mut mean = 0.0;
    let mut second = 0.0;
    let mut means = Vec::new();
    let mut exponential = true;
    for (c, visits) in net.visits.iter().enumerate() {
        let Some(r) = net.admitted_rate(c) else { continue };
        for op_id in svc.ops.clone() {
            let op = &net.ops[op_id as usize];
            let w = r * visits[op_id as usize];
            if w == 0.0 {
                continue;
            }
            // Demand and compute steps are independent: means and variances add.
            let mut m = 0.0;
            let mut var = 0.0;
            let mut parts = 0;
            for d in op.demand.iter().chain(
                net.steps[op.steps.start as usize..op.steps.end as usize].iter().filter_map(|s| match s {
                    Step::Compute { dist, .. } => Some(dist),
                    _ => None,
                }),
            ) {
                m += d.mean();
                var += d.second_moment() - d.mean() * d.mean();
                parts += 1;
                exponential &= d.is_exponential();
            }
            // A batch of b items: one per-item sample scaled by b (b is the
            // mean batch per visit; exact when every caller sends the same batch).
            if let Some(p) = &op.per_item {
                let b = net.item_visits[c][op_id as usize] / visits[op_id as usize];
                m += b * p.mean();
                var += b * b * (p.second_moment() - p.mean() * p.mean());
                parts += 2;
            }
            exponential &= parts == 1;
            rate += w;
            mean += w * m;
            second += w * (var + m * m);
            means.push(m);
        }
    }
    if rate > 0.0 {
        mean /= rate;
        second /= rate;
    }
    exponential &= means.windows(2).all(|w| (w[0] - w[1]).abs() <= 1e-12 * w[0].abs().max(1e-300));
    Visit { rate, mean, second, exponential }
}

/// CPU seconds a request of `class` spends in `op` within its response
/// (work reached through a publish happens after it).
fn sync_cpu(net: &Network, class: usize, op: usize) -> f64 {
    let all = net.visits[class][op];
    if all == 0.0 { 0.0 } else { net.cpu_per_request(class, op) * net.sync_visits[class][op] / all }
}

/// Analyses a compiled model.
pub fn analyse(net: &Network) -> Analysis {
    let offered = crate::model::offered_cpu_load(net);
    let closed_services: Vec<bool> = (0..net.services.len())
        .map(|s| {
            net.classes.iter().zip(&net.visits).any(|(c, v)| {
                matches!(c.arrivals, Arrivals::Closed { .. })
                    && net.services[s].ops.clone().any(|o| v[o as usize] > 0.0)
            })
        })
        .collect();
    let services: Vec<ServiceTheory> =
        (0..net.services.len()).map(|s| service_theory(net, s, offered[s], closed_services[s])).collect();
    let mut services = services;
    let classes = net
        .classes
        .iter()
        .enumerate()
        .map(|(c, _)| {
            let (theory, mva) = class_theory(net, c, &services);
            // Stations of a closed class get their utilisation from its MVA.
            if let Some((stations, r)) = mva {
                for (i, s) in stations.into_iter().enumerate() {
                    services[s].utilisation = r.utilisation[i];
                    services[s].model = "MVA station".into();
                    services[s].exact = true;
                    services[s].note =
                        format!("utilisation from the exact MVA of closed class `{}`", net.classes[c].name);
                }
            }
            theory
        })
        .collect();
    let mut ranked: Vec<(String, f64)> = net.services.iter().zip(&offered).map(|(s, &u)| (s.name.clone(), u)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let headroom = ranked.first().filter(|(_, u)| *u > 0.0).map(|(_, u)| 1.0 / u);
    Analysis { services, classes, bottleneck: Bottleneck { services: ranked, headroom } }
}

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

fn service_theory(net: &Network, s: usize, utilisation: f64, closed: bool) -> ServiceTheory {
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
    if priorities.len() > 1 && svc.discipline.by_priority() {
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

/// A class's estimate, and for a closed class the stations and MVA result behind it.
fn class_theory(
    net: &Network,
    c: usize,
    services: &[ServiceTheory],
) -> (ClassTheory, Option<(Vec<usize>, theory::MvaResult)>) {
    let class = &net.classes[c];
    // The response waits only for what is reached without a publish.
    let visits = &net.sync_visits[c];
    let visited: Vec<usize> =
        (0..net.services.len()).filter(|&s| net.services[s].ops.clone().any(|o| visits[o as usize] > 0.0)).collect();
    match &class.arrivals {
        Arrivals::Open { .. } => {
            let mut total = 0.0;
            let mut exact = true;
            for &s in &visited {
                let st = &services[s];
                let Some(m) = st.metrics else {
                    let floor: f64 = (0..net.ops.len()).map(|o| sync_cpu(net, c, o)).sum();
                    let note = format!(
                        "no estimate at `{}`: {}. Without any queueing a request needs at least {}",
                        st.service,
                        st.note,
                        crate::format::format_duration(floor)
                    );
                    return (
                        ClassTheory {
                            class: class.name.clone(),
                            mean_response: None,
                            throughput: class.open_rate(),
                            note,
                            response_percentiles: None,
                            percentiles_exact: false,
                        },
                        None,
                    );
                };
                exact &= st.exact;
                for op in net.services[s].ops.clone() {
                    let v = visits[op as usize];
                    if v > 0.0 {
                        total += v * m.mean_wait + sync_cpu(net, c, op as usize);
                    }
                }
            }
            let multi_class = net.classes.iter().filter(|k| k.open_rate().is_some()).count() > 1;
            let note = if exact && !multi_class {
                "sum of station response times weighted by visits (open Jackson network: exact)".to_string()
            } else {
                "sum of station response times weighted by visits (approximation)".to_string()
            };
            // One visit to a station whose traffic all runs the same
            // operation: the class's response is the station's.
            let single = match visited[..] {
                [s] => {
                    let used: Vec<usize> = net.services[s]
                        .ops
                        .clone()
                        .map(|o| o as usize)
                        .filter(|&o| net.visits.iter().any(|v| v[o] > 0.0))
                        .collect();
                    (used.len() == 1 && (visits[used[0]] - 1.0).abs() < 1e-12).then_some(&services[s])
                }
                _ => None,
            };
            (
                ClassTheory {
                    class: class.name.clone(),
                    mean_response: Some(total),
                    throughput: class.open_rate(),
                    note,
                    response_percentiles: single.and_then(|st| st.response_percentiles),
                    percentiles_exact: single.is_some_and(|st| st.percentiles_exact),
                },
                None,
            )
        }
        Arrivals::Closed { users, think } => {
            let others = net.classes.len() > 1;
            let mut demands = Vec::new();
            let mut exact = true;
            for &s in &visited {
                let svc = &net.services[s];
                if others || svc.threads != 1 || svc.instances != 1 || layered_reason(net, s).is_some() {
                    let note = format!(
                        "exact MVA needs one closed class visiting single-server stations without held calls; `{}` is not one",
                        svc.name
                    );
                    return (
                        ClassTheory {
                            class: class.name.clone(),
                            mean_response: None,
                            throughput: None,
                            note,
                            response_percentiles: None,
                            percentiles_exact: false,
                        },
                        None,
                    );
                }
                let demand: f64 = svc.ops.clone().map(|o| sync_cpu(net, c, o as usize)).sum();
                demands.push(demand);
                let ps = svc.threads > svc.cores;
                exact &= ps
                    || svc.ops.clone().all(|o| net.ops[o as usize].demand.as_ref().is_none_or(|d| d.is_exponential()));
            }
            let r = theory::mva(*users, think.mean(), &demands);
            let theory = ClassTheory {
                class: class.name.clone(),
                mean_response: Some(r.response),
                throughput: Some(r.throughput),
                response_percentiles: None,
                percentiles_exact: false,
                note: if exact {
                    "exact Mean Value Analysis (product form: exponential or processor-sharing stations)".into()
                } else {
                    "Mean Value Analysis with non-exponential FIFO stations (approximation)".into()
                },
            };
            (theory, Some((visited, r)))
        }
    }
}
