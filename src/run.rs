//! Running a model: replications in parallel (rayon), collected in
//! replication order, and combined into a [`Summary`] whose every mean and
//! percentile carries a 95% confidence interval.
//!
//! The summary is the stable output schema (JSON and CSV are views of it);
//! see `docs/output.md`.

use hdrhistogram::Histogram;
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::kernel;
use crate::model::{self, Arrivals, Network};
use crate::stats::{ErrorCause, Estimate, RunStats, latency_histogram};

/// Results of all replications of one model.
pub struct Outcome {
    /// What the reports show.
    pub summary: Summary,
    /// Each replication's raw statistics, in replication order.
    pub runs: Vec<RunStats>,
    /// Per class, successful latencies of all replications merged [ns].
    pub latency: Vec<Histogram<u64>>,
}

impl Outcome {
    /// Model events processed over all replications.
    pub fn events(&self) -> u64 {
        self.runs.iter().map(|r| r.events).sum()
    }
}

/// Simulates every replication of `net` (in parallel) and summarises them.
pub fn run(net: &Network) -> Outcome {
    let runs: Vec<RunStats> =
        (0..net.settings.replications).into_par_iter().map(|r| kernel::simulate(net, r)).collect();
    let summary = summarise(net, &runs);
    let latency = (0..net.classes.len())
        .map(|c| {
            let mut merged = latency_histogram();
            for run in &runs {
                merged.add(&run.classes[c].latency).expect("same bounds");
            }
            merged
        })
        .collect();
    Outcome { summary, runs, latency }
}

/// The results of a model run: the stable output schema.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// capsim's version.
    pub capsim_version: &'static str,
    /// The model file.
    pub model: String,
    /// Master seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Discarded warm-up per replication [s].
    pub warmup_s: f64,
    /// Observed simulated time per replication [s].
    pub observed_s: Estimate,
    /// Per request class.
    pub classes: Vec<ClassSummary>,
    /// Per service.
    pub services: Vec<ServiceSummary>,
    /// Cost of the deployment.
    pub cost: CostSummary,
    /// Things the user should know (saturation, the in-flight cap).
    pub warnings: Vec<String>,
}

/// One request class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassSummary {
    /// Class name.
    pub name: String,
    /// "open" or "closed".
    pub kind: &'static str,
    /// Offered arrival rate of an open class [requests/s].
    pub offered_per_s: Option<f64>,
    /// Users of a closed class.
    pub users: Option<u32>,
    /// Successful requests per second.
    pub throughput_per_s: Estimate,
    /// Latency of successful requests [s].
    pub latency_s: Latency,
    /// Fraction of finished requests that failed.
    pub error_ratio: Estimate,
    /// Fraction of finished requests that failed, by cause.
    pub errors: IndexMap<&'static str, Estimate>,
    /// Time-average number of requests in the system.
    pub mean_in_system: Estimate,
    /// Mean time in system of all finished requests, failed ones included [s]
    /// (Little's law: mean_in_system = finished rate x this).
    pub mean_sojourn_s: Estimate,
    /// Successful requests, all replications.
    pub completed: u64,
    /// Failed requests, all replications.
    pub failed: u64,
}

/// Latency statistics [s].
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Mean.
    pub mean: Estimate,
    /// Median.
    pub p50: Estimate,
    /// 90th percentile.
    pub p90: Estimate,
    /// 95th percentile.
    pub p95: Estimate,
    /// 99th percentile.
    pub p99: Estimate,
    /// 99.9th percentile.
    pub p999: Estimate,
    /// Largest (mean over replications of each one's maximum).
    pub max: Estimate,
}

/// One service, over all its instances.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    /// Service name.
    pub name: String,
    /// Instances.
    pub instances: u32,
    /// Threads per instance.
    pub threads: u32,
    /// Cores per instance.
    pub cores: u32,
    /// Speed factor.
    pub speed: f64,
    /// Fraction of the cores busy.
    pub utilisation: Estimate,
    /// Fraction of the threads held.
    pub thread_utilisation: Estimate,
    /// Time-average requests waiting for a thread, all instances.
    pub mean_queue_len: Estimate,
    /// Mean wait for a thread [s].
    pub mean_wait_s: Estimate,
    /// Time-average threads held, all instances.
    pub mean_in_service: Estimate,
    /// Operations completed per second.
    pub throughput_per_s: Estimate,
    /// Jobs rejected by a full queue per second.
    pub rejected_per_s: Estimate,
    /// CPU load offered by the open classes, as a fraction of capacity (from the model, not simulated).
    pub offered_load: f64,
    /// Price of all instances per hour.
    pub cost_per_hour: f64,
}

/// Cost of the deployment.
#[derive(Debug, Clone, Serialize)]
pub struct CostSummary {
    /// All services' instances per hour.
    pub per_hour: f64,
    /// Per million successful requests.
    pub per_million_requests: Estimate,
}

fn est(runs: &[RunStats], f: impl Fn(&RunStats) -> f64) -> Estimate {
    let samples: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&samples)
}

fn quantile(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return f64::NAN;
    }
    h.median_equivalent(h.value_at_quantile(q)) as f64 / kernel::NS
}

/// Combines replications into a summary.
pub fn summarise(net: &Network, runs: &[RunStats]) -> Summary {
    let classes = net
        .classes
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let finished = |r: &RunStats| {
                let s = &r.classes[c];
                s.completed + s.errors.iter().sum::<u64>()
            };
            let ratio = |num: u64, den: u64| if den == 0 { 0.0 } else { num as f64 / den as f64 };
            let q = |p: f64| est(runs, |r| quantile(&r.classes[c].latency, p));
            let (kind, offered, users) = match class.arrivals {
                Arrivals::Open { .. } => ("open", class.open_rate(), None),
                Arrivals::Closed { users, .. } => ("closed", None, Some(users)),
            };
            ClassSummary {
                name: class.name.clone(),
                kind,
                offered_per_s: offered,
                users,
                throughput_per_s: est(runs, |r| r.classes[c].completed as f64 / r.observed),
                latency_s: Latency {
                    mean: est(runs, |r| {
                        let s = &r.classes[c];
                        if s.completed == 0 { f64::NAN } else { s.latency_sum / s.completed as f64 }
                    }),
                    p50: q(0.5),
                    p90: q(0.9),
                    p95: q(0.95),
                    p99: q(0.99),
                    p999: q(0.999),
                    max: est(runs, |r| {
                        let h = &r.classes[c].latency;
                        if h.is_empty() { f64::NAN } else { h.max() as f64 / kernel::NS }
                    }),
                },
                error_ratio: est(runs, |r| ratio(r.classes[c].errors.iter().sum(), finished(r))),
                errors: ErrorCause::ALL
                    .iter()
                    .map(|&cause| {
                        (cause.name(), est(runs, |r| ratio(r.classes[c].errors[cause as usize], finished(r))))
                    })
                    .collect(),
                mean_in_system: est(runs, |r| r.classes[c].mean_in_system),
                mean_sojourn_s: est(runs, |r| {
                    let n = finished(r);
                    if n == 0 { f64::NAN } else { r.classes[c].sojourn_sum / n as f64 }
                }),
                completed: runs.iter().map(|r| r.classes[c].completed).sum(),
                failed: runs.iter().map(|r| r.classes[c].errors.iter().sum::<u64>()).sum(),
            }
        })
        .collect();

    let offered = model::offered_cpu_load(net);
    let services: Vec<ServiceSummary> = net
        .services
        .iter()
        .enumerate()
        .map(|(s, svc)| {
            let n = f64::from(svc.instances);
            ServiceSummary {
                name: svc.name.clone(),
                instances: svc.instances,
                threads: svc.threads,
                cores: svc.cores,
                speed: svc.speed,
                utilisation: est(runs, |r| r.services[s].mean_busy_cores / (n * f64::from(svc.cores))),
                thread_utilisation: est(runs, |r| r.services[s].mean_busy_threads / (n * f64::from(svc.threads))),
                mean_queue_len: est(runs, |r| r.services[s].mean_queue_len),
                mean_wait_s: est(runs, |r| {
                    let st = &r.services[s];
                    if st.started == 0 { 0.0 } else { st.wait_sum / st.started as f64 }
                }),
                mean_in_service: est(runs, |r| r.services[s].mean_busy_threads),
                throughput_per_s: est(runs, |r| r.services[s].completed as f64 / r.observed),
                rejected_per_s: est(runs, |r| r.services[s].rejected as f64 / r.observed),
                offered_load: offered[s],
                cost_per_hour: n * svc.cost_per_hour,
            }
        })
        .collect();

    let per_hour: f64 = services.iter().map(|s| s.cost_per_hour).sum();
    let cost = CostSummary {
        per_hour,
        per_million_requests: est(runs, |r| {
            let ok: u64 = r.classes.iter().map(|c| c.completed).sum();
            if ok == 0 { f64::NAN } else { per_hour / 3600.0 / (ok as f64 / r.observed) * 1e6 }
        }),
    };

    let mut warnings = net.warnings.clone();
    let capped: Vec<f64> = runs.iter().filter_map(|r| r.cap_hit_at).collect();
    if let Some(first) = capped.iter().copied().reduce(f64::min) {
        warnings.push(format!(
            "max_in_flight ({}) was reached in {} of {} replication(s), first at t = {}: arrivals beyond it failed as `in_flight_cap`, so latency is understated. The system cannot keep up; see the utilisation column",
            net.settings.max_in_flight,
            capped.len(),
            runs.len(),
            crate::units::format_duration(first)
        ));
    }
    for s in &services {
        if s.utilisation.value >= 0.98 && !warnings.iter().any(|w| w.contains(&format!("`{}`", s.name))) {
            warnings.push(format!(
                "service `{}` ran at {:.1}% CPU utilisation: it is saturated and its queue may not have reached steady state",
                s.name,
                s.utilisation.value * 100.0
            ));
        }
    }

    Summary {
        capsim_version: env!("CARGO_PKG_VERSION"),
        model: net.file.clone(),
        seed: net.settings.seed,
        replications: net.settings.replications,
        warmup_s: net.settings.warmup,
        observed_s: est(runs, |r| r.observed),
        classes,
        services,
        cost,
        warnings,
    }
}
