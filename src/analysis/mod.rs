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
use crate::policy::WritePolicy;
use crate::theory::StationMetrics;

mod class;
mod platform;
mod service;

use class::class_theory;
use service::service_theory;

/// Percentiles of a wait or a response time \[s\].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Percentiles {
    /// The percentiles `quantile` gives, if it gives them all.
    fn from(quantile: impl Fn(f64) -> Option<f64>) -> Option<Percentiles> {
        Some(Percentiles { p50: quantile(0.5)?, p90: quantile(0.9)?, p95: quantile(0.95)?, p99: quantile(0.99)? })
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
    /// Probability that a request finds every thread of its instance busy
    /// and waits (of admitted requests, under a queue limit), where theory has it.
    pub prob_wait: Option<f64>,
    /// Whether `prob_wait` is exact (Erlang C, M/M/c/K, GI/M/c, M/G/1's `rho`)
    /// or approximate (Erlang C for M/G/c).
    pub prob_wait_exact: bool,
    /// Long-run share of time every thread of an instance is busy; it differs
    /// from `prob_wait` when arrivals are not Poisson (round robin).
    pub all_busy: Option<f64>,
    /// Per class at this station, where the discipline treats classes apart (priorities).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ClassAtService>,
    /// Whether the station's departures form a Poisson stream when its
    /// arrivals do (M/M/c, processor sharing, infinite servers), so that the
    /// stations after it see Poisson arrivals as the sum over stations assumes.
    #[serde(skip)]
    pub departures_poisson: bool,
    /// For processor sharing and delay stations, where a request's time is
    /// its work stretched by the others': the time per second of work.
    #[serde(skip)]
    pub stretch: Option<f64>,
}

/// One class at a station that treats classes apart.
#[derive(Debug, Clone, Serialize)]
pub struct ClassAtService {
    /// Class name.
    pub class: String,
    /// Mean time before service starts, or for preemption, the mean time at
    /// the station beyond the class's own service \[s\].
    pub mean_wait: f64,
    /// Mean time at the station \[s\].
    pub mean_response: f64,
}

/// The expected hit ratio of one cache.
#[derive(Debug, Clone, Serialize)]
pub struct CacheTheory {
    /// Cache name.
    pub cache: String,
    /// Steady-state hit ratio from TTL theory (`theory::ttl_hit_ratio`), when open traffic reads it.
    pub hit_ratio: Option<f64>,
    /// How it was obtained, or why not.
    pub note: String,
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
    /// Per cache, in model order.
    pub caches: Vec<CacheTheory>,
    /// The utilisation law.
    pub bottleneck: Bottleneck,
}

/// Service time per visit of a service: (mean, second moment, all exponential with one mean?).
pub(super) struct Visit {
    rate: f64,
    mean: f64,
    second: f64,
    exponential: bool,
}

/// Why a service's thread holding time is not its CPU demand, if it is not.
pub(super) fn layered_reason(net: &Network, service: usize) -> Option<String> {
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

/// Per-visit service time of `service`, mixed over its operations by visit
/// rate, for every class or `only` one.
pub(super) fn visit(net: &Network, service: usize, only: Option<usize>) -> Visit {
    let svc = &net.services[service];
    let mut rate = 0.0;
    let mut mean = 0.0;
    let mut second = 0.0;
    let mut means = Vec::new();
    let mut exponential = true;
    for (c, visits) in net.visits.iter().enumerate() {
        if only.is_some_and(|k| k != c) {
            continue;
        }
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
            // A compute step inside an arm runs on a share `r` of the visits: r X.
            let program = op.steps.start as usize..op.steps.end as usize;
            let computes = net.steps[program.clone()].iter().zip(&net.reach[program]).filter_map(|(s, &r)| match s {
                Step::Compute { dist, .. } => Some((dist, r)),
                _ => None,
            });
            for (d, r) in op.demand.iter().map(|d| (d, 1.0)).chain(computes) {
                m += r * d.mean();
                var += r * d.second_moment() - (r * d.mean()).powi(2);
                parts += if r < 1.0 { 2 } else { 1 };
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
pub(super) fn sync_cpu(net: &Network, class: usize, op: usize) -> f64 {
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
    let caches = net
        .caches
        .iter()
        .map(|c| CacheTheory {
            cache: c.name.clone(),
            hit_ratio: c.expected_hit_ratio,
            note: match c.expected_hit_ratio {
                Some(_) => format!(
                    "TTL cache in steady state: {} keys, Zipf {}, ttl {}, writes {}; approximate (misses in flight ignored); \
                     the services behind its miss path are loaded by the misses",
                    c.keys,
                    c.zipf,
                    crate::format::format_duration(c.ttl),
                    match c.on_write {
                        WritePolicy::Invalidate => "invalidate",
                        WritePolicy::Update => "update",
                        WritePolicy::Ignore => "ignored",
                    }
                ),
                None => "no open workload reads it: every read counted as a miss".into(),
            },
        })
        .collect();
    Analysis { services, classes, caches, bottleneck: Bottleneck { services: ranked, headroom } }
}
