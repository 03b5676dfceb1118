//! Running a model: replications in parallel (rayon), collected in
//! replication order, and combined into a [`Summary`] whose every mean and
//! percentile carries a 95% confidence interval.
//!
//! The summary is the stable output schema (JSON and CSV are views of it);
//! see `docs/output.md`.

use hdrhistogram::Histogram;
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::kernel;
use crate::model::{self, Arrivals, Network};
use crate::stats::{ErrorCause, Estimate, RunMetrics, Series, latency_histogram};

/// Results of all replications of one model.
pub struct Outcome {
    /// What the reports show.
    pub summary: Summary,
    /// Each replication's metrics, in replication order.
    pub runs: Vec<RunMetrics>,
    /// Per class, successful latencies of all replications merged \[ns\].
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
    // An automatic warm-up is chosen from pilots of every replication, then
    // applied to all of them alike.
    let (auto, chosen) = if net.settings.warmup_auto {
        let replications: Vec<u32> = (0..net.settings.replications).collect();
        let choice = crate::warmup::choose(net, &replications);
        let mut n = net.clone();
        n.settings.warmup = choice.truncation_s;
        n.settings.warmup_auto = false;
        (Some(n), Some(choice))
    } else {
        (None, None)
    };
    let net = auto.as_ref().unwrap_or(net);
    // Each replication is reduced to its metrics, its series and its share of
    // the merged latency histograms as soon as it ends, so memory does not
    // grow with the replications (a histogram is about 330 kB). Rayon's
    // reduce keeps the replications' order; histogram counts add exactly.
    let empty =
        || Merged { runs: Vec::new(), series: Vec::new(), latency: vec![latency_histogram(); net.classes.len()] };
    let merged = (0..net.settings.replications)
        .into_par_iter()
        .fold(empty, |mut acc, r| {
            let stats = kernel::simulate(net, r);
            acc.runs.push(RunMetrics::new(net, &stats));
            for (merged, class) in acc.latency.iter_mut().zip(&stats.classes) {
                merged.add(&class.latency).expect("same bounds");
            }
            acc.series.extend(stats.series);
            acc
        })
        .reduce(empty, |mut a, b| {
            a.runs.extend(b.runs);
            a.series.extend(b.series);
            for (x, y) in a.latency.iter_mut().zip(&b.latency) {
                x.add(y).expect("same bounds");
            }
            a
        });
    let Merged { runs, series, latency } = merged;
    let mut summary = summarise(net, &runs);
    if let Some(choice) = chosen {
        if choice.unsettled {
            summary.warnings.push(format!(
                "the automatic warm-up found no point where the response times settle ({} found its smallest standard error in the second half of the pilot run): the run looks non-stationary, so its means depend on its length. Check the utilisation column, or run longer",
                choice.method
            ));
        }
        summary.warmup_auto = Some(choice);
    }
    summary.series = Series::mean(&series.iter().collect::<Vec<_>>());
    Outcome { summary, runs, latency }
}

/// Replications reduced so far: metrics and series in replication order,
/// successful latencies per class merged.
struct Merged {
    runs: Vec<RunMetrics>,
    series: Vec<Series>,
    latency: Vec<Histogram<u64>>,
}

/// Simulates replication `replication` of `net` alone, choosing its own
/// automatic warm-up when the model asks for one (sweeps run replications
/// one by one; `run` chooses one warm-up for all replications instead).
pub fn simulate_replication(net: &Network, replication: u32) -> crate::stats::RunStats {
    if !net.settings.warmup_auto {
        return kernel::simulate(net, replication);
    }
    let choice = crate::warmup::choose(net, &[replication]);
    let mut n = net.clone();
    n.settings.warmup = choice.truncation_s;
    n.settings.warmup_auto = false;
    kernel::simulate(&n, replication)
}

/// The results of a model run: the stable output schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// capsim's version.
    pub capsim_version: String,
    /// The model file.
    pub model: String,
    /// Master seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Discarded warm-up per replication \[s\].
    pub warmup_s: f64,
    /// How the automatic warm-up (`simulation.warmup = "auto"`) chose `warmup_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_auto: Option<crate::warmup::WarmupChoice>,
    /// Observed simulated time per replication \[s\].
    pub observed_s: Estimate,
    /// Per request class.
    pub classes: Vec<ClassSummary>,
    /// Per service.
    pub services: Vec<ServiceSummary>,
    /// Per connection pool.
    #[serde(default)]
    pub pools: Vec<PoolSummary>,
    /// Per keyed cache.
    #[serde(default)]
    pub caches: Vec<CacheSummary>,
    /// Per replicated database.
    #[serde(default)]
    pub databases: Vec<DatabaseSummary>,
    /// Per call site with a timeout, retries or a circuit breaker.
    #[serde(default)]
    pub calls: Vec<CallSummary>,
    /// Per message queue.
    #[serde(default)]
    pub queues: Vec<QueueSummary>,
    /// The time series averaged over replications, when the model records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Series>,
    /// Cost of the deployment.
    pub cost: CostSummary,
    /// Things the user should know (saturation, the in-flight cap).
    pub warnings: Vec<String>,
}

/// One request class.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassSummary {
    /// Class name.
    pub name: String,
    /// How its requests arrive: "open", "closed" or "poll" in JSON.
    pub kind: ClassKind,
    /// Offered arrival rate of an open class [requests/s].
    pub offered_per_s: Option<f64>,
    /// Users of a closed class.
    pub users: Option<u32>,
    /// Successful requests per second.
    pub throughput_per_s: Estimate,
    /// Latency of successful requests \[s\].
    pub latency_s: Latency,
    /// Fraction of finished requests that failed.
    pub error_ratio: Estimate,
    /// Fraction of finished requests that failed, by cause.
    pub errors: IndexMap<String, Estimate>,
    /// Time-average number of requests in the system.
    pub mean_in_system: Estimate,
    /// Mean time in system of all finished requests, failed ones included \[s\]
    /// (Little's law: mean_in_system = finished rate x this).
    pub mean_sojourn_s: Estimate,
    /// Reply bytes moved over the network per request.
    #[serde(default = "zero_estimate")]
    pub bytes_per_request: Estimate,
    /// Successful requests, all replications.
    pub completed: u64,
    /// Failed requests, all replications.
    pub failed: u64,
    /// Requests that arrived in the window, all replications.
    #[serde(default)]
    pub arrived: u64,
    /// Requests in the system when the window opened (arrived in the warm-up), all replications.
    #[serde(default)]
    pub in_flight_at_start: u64,
    /// Requests still in the system when the window closed, all replications
    /// (arrived + in_flight_at_start = completed + failed + in_flight_at_end).
    #[serde(default)]
    pub in_flight_at_end: u64,
}

/// Latency statistics \[s\].
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// A latency statistic by name, as an SLO or a chart names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyStat {
    /// The mean.
    Mean,
    /// The median.
    P50,
    /// The 90th percentile.
    P90,
    /// The 95th percentile.
    P95,
    /// The 99th percentile.
    P99,
    /// The 99.9th percentile.
    P999,
    /// The largest.
    Max,
}

impl LatencyStat {
    /// The name used in files and charts ("p99").
    pub fn name(self) -> &'static str {
        match self {
            LatencyStat::Mean => "mean",
            LatencyStat::P50 => "p50",
            LatencyStat::P90 => "p90",
            LatencyStat::P95 => "p95",
            LatencyStat::P99 => "p99",
            LatencyStat::P999 => "p999",
            LatencyStat::Max => "max",
        }
    }

    /// The cumulative probability of a percentile (p999: 0.999); `None` for the mean and the maximum.
    pub fn level(self) -> Option<f64> {
        match self {
            LatencyStat::P50 => Some(0.5),
            LatencyStat::P90 => Some(0.9),
            LatencyStat::P95 => Some(0.95),
            LatencyStat::P99 => Some(0.99),
            LatencyStat::P999 => Some(0.999),
            LatencyStat::Mean | LatencyStat::Max => None,
        }
    }

    /// This statistic of `latency`.
    pub fn of(self, latency: &Latency) -> &Estimate {
        match self {
            LatencyStat::Mean => &latency.mean,
            LatencyStat::P50 => &latency.p50,
            LatencyStat::P90 => &latency.p90,
            LatencyStat::P95 => &latency.p95,
            LatencyStat::P99 => &latency.p99,
            LatencyStat::P999 => &latency.p999,
            LatencyStat::Max => &latency.max,
        }
    }
}

impl std::fmt::Display for LatencyStat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a class's requests arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassKind {
    /// Open arrivals at a rate.
    Open,
    /// A fixed number of users with think time.
    Closed,
    /// Status polls for published messages.
    Poll,
}

/// One service, over all its instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Mean wait for a thread \[s\].
    pub mean_wait_s: Estimate,
    /// Time-average threads held, all instances.
    pub mean_in_service: Estimate,
    /// Operations completed per second.
    pub throughput_per_s: Estimate,
    /// Jobs rejected by a full queue per second.
    pub rejected_per_s: Estimate,
    /// CPU load offered by the open classes, as a fraction of capacity (from the model, not simulated).
    pub offered_load: f64,
    /// Time-average instances in service (differs from `instances` when autoscaled).
    #[serde(default)]
    pub mean_instances: Estimate,
    /// Price of the instances per hour (time-averaged when autoscaled).
    pub cost_per_hour: f64,
    /// Time-average instances down after a failure (not counted in `mean_instances`).
    #[serde(default)]
    pub mean_down: Estimate,
    /// Instance failures per hour.
    #[serde(default)]
    pub failures_per_hour: Estimate,
    /// Reached only through a message queue: its time is not in any response.
    #[serde(default)]
    pub asynchronous: bool,
    /// Jobs that reached the service in the window (calls, forwards, retries, messages), all replications.
    #[serde(default)]
    pub arrived: u64,
    /// Operations finished (threads released) in the window, all replications.
    #[serde(default)]
    pub completed: u64,
    /// Jobs turned away (full queue, rate limit, shedding) in the window, all replications.
    #[serde(default)]
    pub rejected: u64,
    /// Jobs lost with a failed instance (held or waiting there) in the window, all replications.
    #[serde(default)]
    pub lost: u64,
    /// Jobs at the service (holding or waiting for a thread) when the window opened, all replications.
    #[serde(default)]
    pub in_flight_at_start: u64,
    /// Jobs at the service when the window closed, all replications
    /// (arrived + in_flight_at_start = completed + rejected + lost + in_flight_at_end).
    #[serde(default)]
    pub in_flight_at_end: u64,
}

/// One connection pool, over all its instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolSummary {
    /// Pool name.
    pub name: String,
    /// Connections per pool instance.
    pub size: u32,
    /// Pool instances (one per instance of the owning service, or 1 when shared).
    pub instances: u32,
    /// Fraction of connections in use.
    pub utilisation: Estimate,
    /// Fraction of time a pool instance had no free connection.
    pub exhausted: Estimate,
    /// Mean wait for a connection \[s\].
    pub mean_wait_s: Estimate,
    /// Waits that timed out, per second.
    pub timeouts_per_s: Estimate,
}

/// One message queue and its consumers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Queue name.
    pub name: String,
    /// Messages accepted per second.
    pub published_per_s: Estimate,
    /// Publishes refused (queue full) per second.
    pub refused_per_s: Estimate,
    /// Messages consumed successfully per second.
    pub consumed_per_s: Estimate,
    /// Messages whose consumer failed per second.
    pub failed_per_s: Estimate,
    /// Time-average messages waiting (the backlog).
    pub mean_depth: Estimate,
    /// Mean wait of a message before a consumer takes it (consumer lag).
    pub mean_wait_s: Estimate,
    /// Publish-to-done time of the asynchronous work.
    pub latency_mean_s: Estimate,
    /// Its median.
    pub latency_p50_s: Estimate,
    /// Its 99th percentile.
    pub latency_p99_s: Estimate,
    /// Status polls per message, for publish steps with `poll`.
    pub polls_per_message: Estimate,
    /// Publish until the client's poll sees the work done.
    pub seen_done_s: Estimate,
}

/// One call site with a timeout, retries or a breaker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallSummary {
    /// "caller.op -> callee.op".
    pub name: String,
    /// Rounds sent per second, retries included.
    pub attempts_per_s: Estimate,
    /// Retries per second.
    pub retries_per_s: Estimate,
    /// Rounds abandoned by the caller's timeout per second.
    pub timeouts_per_s: Estimate,
    /// Rounds stopped by the open breaker per second.
    pub short_circuited_per_s: Estimate,
    /// Times the breaker opened per replication.
    pub breaker_opens: Estimate,
    /// Fraction of time the breaker was open or half-open.
    pub breaker_open: Estimate,
}

/// One replicated database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseSummary {
    /// Database name.
    pub name: String,
    /// Fraction of replica reads of a key whose latest write had not replicated yet.
    pub stale_ratio: Estimate,
    /// Replica reads per second.
    pub reads_per_s: Estimate,
    /// Primary writes per second.
    pub writes_per_s: Estimate,
}

/// One keyed cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheSummary {
    /// Cache name.
    pub name: String,
    /// Fraction of reads that found a live entry.
    pub hit_ratio: Estimate,
    /// Fraction of reads served an entry older than the key's last write.
    pub stale_ratio: Estimate,
    /// Reads per second.
    pub reads_per_s: Estimate,
    /// Misses per second: the load on the backend.
    pub misses_per_s: Estimate,
    /// Writes per second.
    pub writes_per_s: Estimate,
}

/// Cost of the deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostSummary {
    /// All services' instances per hour.
    pub per_hour: f64,
    /// Per million successful requests.
    pub per_million_requests: Estimate,
}

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    let samples: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&samples)
}

/// Combines replications into a summary.
pub fn summarise(net: &Network, runs: &[RunMetrics]) -> Summary {
    let classes = net
        .classes
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let m = |f: fn(&crate::stats::ClassMetrics) -> f64| est(runs, move |r| f(&r.classes[c]));
            let (kind, offered, users) = match class.arrivals {
                Arrivals::Open { .. } if class.polling => (ClassKind::Poll, None, None),
                Arrivals::Open { .. } => (ClassKind::Open, class.open_rate(), None),
                Arrivals::Closed { users, .. } => (ClassKind::Closed, None, Some(users)),
            };
            ClassSummary {
                name: class.name.clone(),
                kind,
                offered_per_s: offered,
                users,
                throughput_per_s: m(|x| x.throughput_per_s),
                latency_s: Latency {
                    mean: m(|x| x.latency_mean_s),
                    p50: m(|x| x.latency_p50_s),
                    p90: m(|x| x.latency_p90_s),
                    p95: m(|x| x.latency_p95_s),
                    p99: m(|x| x.latency_p99_s),
                    p999: m(|x| x.latency_p999_s),
                    max: m(|x| x.latency_max_s),
                },
                error_ratio: m(|x| x.error_ratio),
                errors: ErrorCause::ALL
                    .iter()
                    .map(|&cause| (cause.name().to_string(), est(runs, |r| r.classes[c].errors[cause as usize])))
                    .collect(),
                mean_in_system: m(|x| x.mean_in_system),
                mean_sojourn_s: m(|x| x.mean_sojourn_s),
                bytes_per_request: m(|x| x.bytes_per_request),
                completed: runs.iter().map(|r| r.classes[c].completed).sum(),
                failed: runs.iter().map(|r| r.classes[c].failed).sum(),
                arrived: runs.iter().map(|r| r.classes[c].arrived).sum(),
                in_flight_at_start: runs.iter().map(|r| r.classes[c].in_flight_start).sum(),
                in_flight_at_end: runs.iter().map(|r| r.classes[c].in_flight_end).sum(),
            }
        })
        .collect();

    let offered = model::offered_cpu_load(net);
    let services: Vec<ServiceSummary> = net
        .services
        .iter()
        .enumerate()
        .map(|(s, svc)| {
            let m = |f: fn(&crate::stats::ServiceMetrics) -> f64| est(runs, move |r| f(&r.services[s]));
            ServiceSummary {
                name: svc.name.clone(),
                instances: svc.instances,
                threads: svc.threads,
                cores: svc.cores,
                speed: svc.speed,
                utilisation: m(|x| x.utilisation),
                thread_utilisation: m(|x| x.thread_utilisation),
                mean_queue_len: m(|x| x.mean_queue_len),
                mean_wait_s: m(|x| x.mean_wait_s),
                mean_in_service: m(|x| x.mean_in_service),
                throughput_per_s: m(|x| x.throughput_per_s),
                rejected_per_s: m(|x| x.rejected_per_s),
                offered_load: offered[s],
                mean_instances: m(|x| x.mean_instances),
                cost_per_hour: est(runs, |r| r.services[s].mean_billed).value * svc.cost_per_hour,
                mean_down: m(|x| x.mean_down),
                failures_per_hour: m(|x| x.failures_per_hour),
                asynchronous: {
                    let reached =
                        |visits: &Vec<Vec<f64>>| visits.iter().any(|v| svc.ops.clone().any(|o| v[o as usize] > 0.0));
                    reached(&net.visits) && !reached(&net.sync_visits)
                },
                arrived: runs.iter().map(|r| r.services[s].arrived).sum(),
                completed: runs.iter().map(|r| r.services[s].completed).sum(),
                rejected: runs.iter().map(|r| r.services[s].rejected).sum(),
                lost: runs.iter().map(|r| r.services[s].lost).sum(),
                in_flight_at_start: runs.iter().map(|r| r.services[s].in_flight_start).sum(),
                in_flight_at_end: runs.iter().map(|r| r.services[s].in_flight_end).sum(),
            }
        })
        .collect();

    let pools = net
        .pools
        .iter()
        .enumerate()
        .map(|(p, pool)| {
            let m = |f: fn(&crate::stats::PoolMetrics) -> f64| est(runs, move |r| f(&r.pools[p]));
            PoolSummary {
                name: pool.name.clone(),
                size: pool.size,
                instances: pool.per.map_or(1, |s| net.services[s as usize].max_instances()),
                utilisation: m(|x| x.utilisation),
                exhausted: m(|x| x.exhausted),
                mean_wait_s: m(|x| x.mean_wait_s),
                timeouts_per_s: m(|x| x.timeouts_per_s),
            }
        })
        .collect();
    let caches = net
        .caches
        .iter()
        .enumerate()
        .map(|(i, cache)| {
            let m = |f: fn(&crate::stats::CacheMetrics) -> f64| est(runs, move |r| f(&r.caches[i]));
            CacheSummary {
                name: cache.name.clone(),
                hit_ratio: m(|x| x.hit_ratio),
                stale_ratio: m(|x| x.stale_ratio),
                reads_per_s: m(|x| x.reads_per_s),
                misses_per_s: m(|x| x.misses_per_s),
                writes_per_s: m(|x| x.writes_per_s),
            }
        })
        .collect();
    let databases = net
        .databases
        .iter()
        .enumerate()
        .map(|(i, db)| {
            let m = |f: fn(&crate::stats::DatabaseMetrics) -> f64| est(runs, move |r| f(&r.databases[i]));
            DatabaseSummary {
                name: db.name.clone(),
                stale_ratio: m(|x| x.stale_ratio),
                reads_per_s: m(|x| x.reads_per_s),
                writes_per_s: m(|x| x.writes_per_s),
            }
        })
        .collect();
    let calls = net
        .guarded
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let m = |f: fn(&crate::stats::CallMetrics) -> f64| est(runs, move |r| f(&r.calls[i]));
            CallSummary {
                name: g.name.clone(),
                attempts_per_s: m(|x| x.attempts_per_s),
                retries_per_s: m(|x| x.retries_per_s),
                timeouts_per_s: m(|x| x.timeouts_per_s),
                short_circuited_per_s: m(|x| x.short_circuited_per_s),
                breaker_opens: m(|x| x.breaker_opens),
                breaker_open: m(|x| x.breaker_open),
            }
        })
        .collect();
    let queues = net
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let m = |f: fn(&crate::stats::QueueMetrics) -> f64| est(runs, move |r| f(&r.queues[i]));
            QueueSummary {
                name: q.name.clone(),
                published_per_s: m(|x| x.published_per_s),
                refused_per_s: m(|x| x.refused_per_s),
                consumed_per_s: m(|x| x.consumed_per_s),
                failed_per_s: m(|x| x.failed_per_s),
                mean_depth: m(|x| x.mean_depth),
                mean_wait_s: m(|x| x.mean_wait_s),
                latency_mean_s: m(|x| x.latency_mean_s),
                latency_p50_s: m(|x| x.latency_p50_s),
                latency_p99_s: m(|x| x.latency_p99_s),
                polls_per_message: m(|x| x.polls_per_message),
                seen_done_s: m(|x| x.seen_done_s),
            }
        })
        .collect();
    let per_hour = services.iter().map(|s| s.cost_per_hour).sum();
    let cost = CostSummary { per_hour, per_million_requests: est(runs, |r| r.cost_per_million) };

    let mut warnings = net.warnings.clone();
    let capped: Vec<f64> = runs.iter().filter_map(|r| r.cap_hit_at_s).collect();
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

    for (r, run) in runs.iter().enumerate() {
        if let Some(reason) = &run.stopped {
            warnings
                .push(format!("replication {r} stopped early: {reason}; its numbers cover only the time simulated"));
        }
    }
    warnings.extend(growing_queue_warning(net, runs));
    for (class, c) in net.classes.iter().zip(&classes as &Vec<ClassSummary>) {
        if !class.polling
            && let Some(w) = percentile_warning(
                &c.name,
                0.99,
                c.completed as f64 / runs.len().max(1) as f64,
                c.throughput_per_s.value,
            )
        {
            warnings.push(w);
        }
    }

    Summary {
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        model: net.file.clone(),
        seed: net.settings.seed,
        replications: net.settings.replications,
        warmup_s: net.settings.warmup,
        warmup_auto: None,
        observed_s: est(runs, |r| r.observed_s),
        classes,
        services,
        pools,
        caches,
        databases,
        calls,
        queues,
        series: None,
        cost,
        warnings,
    }
}

fn zero_estimate() -> Estimate {
    Estimate { value: 0.0, ci95: None }
}

/// Successful requests beyond a percentile, per replication, below which it is called rough.
pub const TAIL_SAMPLES: f64 = 100.0;

/// A warning when `per_replication` successful requests leave fewer than
/// [`TAIL_SAMPLES`] beyond percentile `q` (0.99 for p99), saying how long a
/// run at `throughput_per_s` would be enough.
pub fn percentile_warning(class: &str, q: f64, per_replication: f64, throughput_per_s: f64) -> Option<String> {
    let beyond = per_replication * (1.0 - q);
    if per_replication <= 0.0 || beyond >= TAIL_SAMPLES {
        return None;
    }
    let needed = TAIL_SAMPLES / (1.0 - q);
    let label = format!("p{}", (q * 1000.0).round() / 10.0);
    let enough = if throughput_per_s > 0.0 && throughput_per_s.is_finite() {
        format!(
            "; at {} requests/s a replication needs at least {} observed (simulation.duration)",
            crate::units::sig3(throughput_per_s),
            crate::units::format_duration(needed / throughput_per_s)
        )
    } else {
        String::new()
    };
    Some(format!(
        "class `{class}`: about {per_replication:.0} successful requests per replication leave about {beyond:.1} beyond its {label} (fewer than {TAIL_SAMPLES:.0}), so the {label} is a rough estimate; it needs about {needed:.0} requests per replication{enough}"
    ))
}

/// A warning when the requests in the system grew from the window's first
/// half to its second: a queue still growing (non-stationary), whose means
/// depend on the run's length. Time-varying workloads are left out (their
/// load changes by design).
fn growing_queue_warning(net: &Network, runs: &[RunMetrics]) -> Option<String> {
    if net.classes.iter().any(|c| c.modulation.is_some() || c.trace.is_some()) {
        return None;
    }
    let halves: Vec<(f64, f64)> = runs.iter().map(|r| r.halves_in_system).collect::<Option<_>>()?;
    let first = Estimate::from_samples(&halves.iter().map(|h| h.0).collect::<Vec<_>>()).value;
    let diffs = Estimate::from_samples(&halves.iter().map(|h| h.1 - h.0).collect::<Vec<_>>());
    let second = first + diffs.value;
    // With replications, the growth must stand clear of its own noise.
    let significant = diffs.ci95.is_none_or(|ci| diffs.value > 1.5 * ci);
    let (ratio, grew) = if halves.len() > 1 { (1.2, 1.0) } else { (1.5, 2.0) };
    (second >= ratio * first && diffs.value >= grew && significant).then(|| {
        format!(
            "the requests in the system grew from {first:.1} on average in the first half of the window to {second:.1} in the second: a queue is still growing, so the run is not in steady state and its means depend on its length. Check the utilisation column (a saturated service), or use simulation.warmup = \"auto\" and a longer run"
        )
    })
}
