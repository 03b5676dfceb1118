//! Per-run metrics: the scalars one replication measured, derived from its
//! tallies. Compact (no histograms), so sweeps keep and shards store them.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::durations::DurationMetrics;
use super::serde_nan::{nan_as_null, vec_nan_as_null};
use super::sketch::LatencySketch;
use super::tally::{LatencyTally, OpClassRun, RunStats};
use super::utilisation;

/// Latency quantile levels kept per run for percentile (CDF) curves.
pub const CDF_LEVELS: [f64; 17] =
    [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999];

/// Scalar metrics of one replication: compact (no histograms), so a sweep's
/// memory grows with the runs in flight, not the runs finished. Replications
/// are aggregated from these, and sweep shards store them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Observation window \[s\].
    pub observed_s: f64,
    /// Model events processed.
    pub events: u64,
    /// When `max_in_flight` was first reached \[s\].
    pub cap_hit_at_s: Option<f64>,
    /// Per class, in model order.
    pub classes: Vec<ClassMetrics>,
    /// Per service, in model order.
    pub services: Vec<ServiceMetrics>,
    /// Per operation, in model order.
    #[serde(default)]
    pub ops: Vec<OpMetrics>,
    /// Per pool, in model order.
    #[serde(default)]
    pub pools: Vec<PoolMetrics>,
    /// Per cache, in model order.
    #[serde(default)]
    pub caches: Vec<CacheMetrics>,
    /// Per replicated database, in model order.
    #[serde(default)]
    pub databases: Vec<DatabaseMetrics>,
    /// Per guarded call site, in model order.
    #[serde(default)]
    pub calls: Vec<CallMetrics>,
    /// Per message queue, in model order.
    #[serde(default)]
    pub queues: Vec<QueueMetrics>,
    /// Price of the fleet per hour, time-averaged when autoscaled.
    #[serde(default)]
    pub cost_per_hour: f64,
    /// Cost per million successful requests.
    #[serde(with = "nan_as_null")]
    pub cost_per_million: f64,
    /// Why the run stopped early (a limit), if it did: such a run failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Requests in the system averaged over the window's first and second half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves_in_system: Option<(f64, f64)>,
    /// Whether and when the run came back after its trigger, for a model
    /// with `simulation.recovery` (the sweep's executor answers it from the
    /// run's series, which are not kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<super::RunRecovery>,
}

/// One class in one replication. Latencies in seconds; NaN when nothing completed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Successful requests per second.
    pub throughput_per_s: f64,
    /// Mean latency of successful requests \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_mean_s: f64,
    /// Median latency of successful requests \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p50_s: f64,
    /// 90th percentile latency \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p90_s: f64,
    /// 95th percentile latency \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p95_s: f64,
    /// 99th percentile latency \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p99_s: f64,
    /// 99.9th percentile latency \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p999_s: f64,
    /// Largest latency of a successful request \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_max_s: f64,
    /// Failed requests over finished ones (0 when none finished).
    pub error_ratio: f64,
    /// Failed / finished, per [`ErrorCause`](crate::stats::ErrorCause).
    pub errors: Vec<f64>,
    /// Time-average requests of the class in the system.
    pub mean_in_system: f64,
    /// Mean time in the system of finished requests, failures included \[s\].
    #[serde(with = "nan_as_null")]
    pub mean_sojourn_s: f64,
    /// Successful requests in the window.
    pub completed: u64,
    /// Failed requests in the window, all causes.
    pub failed: u64,
    /// Reply bytes moved over the network per finished request.
    #[serde(default)]
    pub bytes_per_request: f64,
    /// Latency at each of [`CDF_LEVELS`].
    #[serde(with = "vec_nan_as_null")]
    pub quantiles_s: Vec<f64>,
    /// Requests that arrived in the window.
    #[serde(default)]
    pub arrived: u64,
    /// Requests in the system when the window opened.
    #[serde(default)]
    pub in_flight_start: u64,
    /// Requests in the system when the window closed.
    #[serde(default)]
    pub in_flight_end: u64,
    /// Successful latencies, counted for pooled percentiles across replications.
    #[serde(default)]
    pub latency_sketch: LatencySketch,
    /// Completion latency (arrival until the last message published on the
    /// request's behalf was processed), for a class that publishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<LatencyMetrics>,
    /// Seen-done latency (arrival until the client's polls saw the work
    /// done), for a class whose publishes poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_done: Option<LatencyMetrics>,
}

/// One latency's statistics in one replication \[s\]; NaN when nothing was measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyMetrics {
    /// Mean.
    #[serde(with = "nan_as_null")]
    pub mean_s: f64,
    /// Median.
    #[serde(with = "nan_as_null")]
    pub p50_s: f64,
    /// 90th percentile.
    #[serde(with = "nan_as_null")]
    pub p90_s: f64,
    /// 95th percentile.
    #[serde(with = "nan_as_null")]
    pub p95_s: f64,
    /// 99th percentile.
    #[serde(with = "nan_as_null")]
    pub p99_s: f64,
    /// 99.9th percentile.
    #[serde(with = "nan_as_null")]
    pub p999_s: f64,
    /// Largest.
    #[serde(with = "nan_as_null")]
    pub max_s: f64,
    /// Latencies measured.
    pub count: u64,
    /// The latencies themselves, for percentiles pooled over replications.
    #[serde(default)]
    pub sketch: LatencySketch,
}

impl LatencyMetrics {
    /// The statistics of `count` latencies whose histogram is `h`, sketch
    /// `sketch` and exact sum `sum` \[s\].
    fn new(h: &Histogram<u64>, sketch: &LatencySketch, sum: f64, count: u64) -> LatencyMetrics {
        let [p50_s, p90_s, p95_s, p99_s, p999_s] = quantiles(h, [0.5, 0.9, 0.95, 0.99, 0.999]);
        LatencyMetrics {
            mean_s: if count == 0 { f64::NAN } else { sum / count as f64 },
            p50_s,
            p90_s,
            p95_s,
            p99_s,
            p999_s,
            max_s: if h.is_empty() { f64::NAN } else { h.max() as f64 / 1e9 },
            count,
            sketch: sketch.clone(),
        }
    }
}

impl ClassMetrics {
    /// The reply latency's statistics, in the shape of the others.
    pub fn reply(&self) -> LatencyMetrics {
        LatencyMetrics {
            mean_s: self.latency_mean_s,
            p50_s: self.latency_p50_s,
            p90_s: self.latency_p90_s,
            p95_s: self.latency_p95_s,
            p99_s: self.latency_p99_s,
            p999_s: self.latency_p999_s,
            max_s: self.latency_max_s,
            count: self.completed,
            sketch: self.latency_sketch.clone(),
        }
    }
}

/// One service in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMetrics {
    /// What an HPA did (services with `hpa` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<super::ScalingMetrics>,
    /// Cold starts, instances and cost (services with `serverless` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<super::ServerlessMetrics>,
    /// Time-average busy cores over the usable cores (`min(threads, cores)`)
    /// of the active instances: see [`super::utilisation`].
    pub utilisation: f64,
    /// Time-average busy cores over all the cores of the billed instances.
    #[serde(default)]
    pub paid_core_utilisation: f64,
    /// Time-average threads held (computing or waiting for calls) over the threads of the active instances.
    pub thread_utilisation: f64,
    /// Time-average jobs waiting for a thread, all instances (messages waiting for this consumer included).
    pub mean_queue_len: f64,
    /// Mean wait for a thread of the jobs that got one \[s\].
    pub mean_wait_s: f64,
    /// Time-average threads held, all instances.
    pub mean_in_service: f64,
    /// Operations finished (threads released) per second.
    pub throughput_per_s: f64,
    /// Jobs turned away (full queue, rate limit, shedding) per second.
    pub rejected_per_s: f64,
    /// Time-average active instances.
    #[serde(default)]
    pub mean_instances: f64,
    /// Time-average instances paid for (active and starting up).
    #[serde(default)]
    pub mean_billed: f64,
    /// Time-average active instances down after a failure.
    #[serde(default)]
    pub mean_down: f64,
    /// Instance failures per hour of simulated time.
    #[serde(default)]
    pub failures_per_hour: f64,
    /// Jobs that reached the service in the window.
    #[serde(default)]
    pub arrived: u64,
    /// Operations finished (threads released) in the window.
    #[serde(default)]
    pub completed: u64,
    /// Jobs turned away (full queue, rate limit, shedding) in the window.
    #[serde(default)]
    pub rejected: u64,
    /// Jobs lost with a failed instance in the window.
    #[serde(default)]
    pub lost: u64,
    /// Jobs at the service when the window opened.
    #[serde(default)]
    pub in_flight_start: u64,
    /// Jobs at the service when the window closed.
    #[serde(default)]
    pub in_flight_end: u64,
    /// Jobs that got a thread after waiting, over all that got one (0 when none did).
    #[serde(default)]
    pub prob_wait: f64,
    /// Waits for a thread of the jobs that got one, zero waits included.
    #[serde(default)]
    pub wait_s: DurationMetrics,
    /// Share of the active instances' time with every thread held.
    #[serde(default)]
    pub all_busy: f64,
    /// Computing jobs preempted by a higher priority, per second.
    #[serde(default)]
    pub preempted_per_s: f64,
    /// Throttling under the service's CPU limit, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<super::CpuLimitMetrics>,
    /// The service's stop-the-world pauses, if it has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pauses: Option<super::PausesMetrics>,
    /// Per request class, in model order.
    #[serde(default)]
    pub classes: Vec<ClassAtServiceMetrics>,
}

/// One request class at one service in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassAtServiceMetrics {
    /// The class's jobs that waited for a thread, over those that got one.
    pub prob_wait: f64,
    /// Their waits for a thread.
    pub wait_s: DurationMetrics,
    /// The class's operations finished per second.
    pub throughput_per_s: f64,
    /// Mean time a finished operation of the class held its thread \[s\].
    #[serde(with = "nan_as_null")]
    pub held_mean_s: f64,
}

/// One operation in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpMetrics {
    /// Executions that held a thread and ended, per second.
    pub throughput_per_s: f64,
    /// Their residence: from reaching the service (its wait for a thread
    /// included) to the operation's end, its calls included.
    pub residence_s: DurationMetrics,
}

/// One pool in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolMetrics {
    /// Mean wait for a connection of the requests granted one \[s\].
    pub mean_wait_s: f64,
    /// Requests for a connection that found every one held, over all requests.
    #[serde(default)]
    pub prob_wait: f64,
    /// Connections granted per second.
    #[serde(default)]
    pub acquired_per_s: f64,
    /// Waits of the connections granted, zero ones included.
    #[serde(default)]
    pub wait_s: DurationMetrics,
    /// Waits for a connection that timed out, per second.
    pub timeouts_per_s: f64,
    /// Time-average connections held over `size` × pool instances (for a pool per
    /// service instance, as many as the service's maximum instances).
    pub utilisation: f64,
    /// Fraction of time a pool instance had every connection held, averaged over the instances.
    pub exhausted: f64,
}

/// One cache in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheMetrics {
    /// Reads that found a live entry, over all reads.
    pub hit_ratio: f64,
    /// Hits on an entry older than the key's latest write, over all reads.
    pub stale_ratio: f64,
    /// Reads (lookups) per second.
    pub reads_per_s: f64,
    /// Reads that missed, per second.
    pub misses_per_s: f64,
    /// Writes per second.
    pub writes_per_s: f64,
}

/// One replicated database in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseMetrics {
    /// Replica reads of a key whose latest write had not reached the replicas, over replica reads.
    pub stale_ratio: f64,
    /// Reads per second (by the replicas, and the primary with `primary_read`).
    pub reads_per_s: f64,
    /// Writes committed on the primary per second.
    pub writes_per_s: f64,
    /// With `primary_read`: reads the primary served per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_reads_per_s: Option<f64>,
    /// With `primary_read`: stale reads over all reads (a primary read never is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_ratio_all: Option<f64>,
}

/// One guarded call site in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallMetrics {
    /// Rounds sent per second, retries included.
    pub attempts_per_s: f64,
    /// Retries sent per second.
    pub retries_per_s: f64,
    /// Rounds the caller gave up on (timed out), per second.
    pub timeouts_per_s: f64,
    /// Rounds stopped by an open breaker (failed fast or served by the fallback), per second.
    pub short_circuited_per_s: f64,
    /// Times the breaker opened in the window.
    pub breaker_opens: f64,
    /// Fraction of the window the breaker was open or half-open.
    pub breaker_open: f64,
    /// A hedged site's twins, if it is hedged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hedge: Option<super::HedgeMetrics>,
}

/// One message queue in one replication. Latencies in seconds; NaN when nothing was consumed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueMetrics {
    /// Messages accepted per second.
    pub published_per_s: f64,
    /// Publishes refused by a full queue, per second.
    pub refused_per_s: f64,
    /// Messages whose consumer op finished successfully, per second.
    pub consumed_per_s: f64,
    /// Messages whose consumer op failed, per second.
    pub failed_per_s: f64,
    /// Time-average messages waiting.
    pub mean_depth: f64,
    /// Mean wait in the queue for a consumer thread, of messages processed or failed \[s\].
    #[serde(with = "nan_as_null")]
    pub mean_wait_s: f64,
    /// Mean time from publish to processed, of consumed messages \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_mean_s: f64,
    /// Median time from publish to processed \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p50_s: f64,
    /// 99th percentile time from publish to processed \[s\].
    #[serde(with = "nan_as_null")]
    pub latency_p99_s: f64,
    /// Status polls sent per message that a poll saw done.
    #[serde(with = "nan_as_null")]
    pub polls_per_message: f64,
    /// Mean time from publish until a poll saw the message done \[s\].
    #[serde(with = "nan_as_null")]
    pub seen_done_s: f64,
    /// Time-average messages waiting over the window's first and second half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halves_depth: Option<(f64, f64)>,
}

/// Latencies \[s\] at ascending `levels`, in one pass over the histogram
/// (each `value_at_quantile` would scan it from the start); NaN when empty.
fn quantiles<const N: usize>(h: &Histogram<u64>, levels: [f64; N]) -> [f64; N] {
    debug_assert!(levels.is_sorted(), "value_at_quantiles stops at a smaller level");
    let mut out = [f64::NAN; N];
    if !h.is_empty() {
        for (o, v) in out.iter_mut().zip(h.value_at_quantiles(levels)) {
            *o = h.median_equivalent(v) as f64 / 1e9;
        }
    }
    out
}

impl RunMetrics {
    /// Extracts the metrics of one replication of `net`.
    pub fn new(net: &crate::model::Network, run: &RunStats) -> RunMetrics {
        let ratio = |num: u64, den: u64| if den == 0 { 0.0 } else { num as f64 / den as f64 };
        let classes_n = net.classes.len();
        let classes = run
            .classes
            .iter()
            .map(|c| {
                let failed: u64 = c.errors.iter().sum();
                let finished = c.completed + failed;
                let h = &c.latency;
                let reply = LatencyMetrics::new(h, &c.latency_sketch, c.latency_sum, c.completed);
                let tallied = |t: &LatencyTally| LatencyMetrics::new(&t.histogram, &t.sketch, t.sum, t.count);
                ClassMetrics {
                    throughput_per_s: c.completed as f64 / run.observed,
                    latency_mean_s: reply.mean_s,
                    latency_p50_s: reply.p50_s,
                    latency_p90_s: reply.p90_s,
                    latency_p95_s: reply.p95_s,
                    latency_p99_s: reply.p99_s,
                    latency_p999_s: reply.p999_s,
                    latency_max_s: reply.max_s,
                    error_ratio: ratio(failed, finished),
                    errors: c.errors.iter().map(|&e| ratio(e, finished)).collect(),
                    mean_in_system: c.mean_in_system,
                    mean_sojourn_s: if finished == 0 { f64::NAN } else { c.sojourn_sum / finished as f64 },
                    completed: c.completed,
                    failed,
                    bytes_per_request: if finished == 0 { 0.0 } else { c.bytes / finished as f64 },
                    quantiles_s: quantiles(h, CDF_LEVELS).to_vec(),
                    arrived: c.arrivals,
                    in_flight_start: c.in_flight_start,
                    in_flight_end: c.in_flight_end,
                    latency_sketch: c.latency_sketch.clone(),
                    completion: c.completion.as_ref().map(tallied),
                    seen_done: c.seen_done.as_ref().map(tallied),
                }
            })
            .collect();
        let services = run
            .services
            .iter()
            .zip(&net.services)
            .map(|(s, svc)| {
                // A window too short to weigh the fleet counts its starting size.
                let n = if s.mean_instances > 0.0 { s.mean_instances } else { f64::from(svc.instances) };
                let billed = if s.mean_billed > 0.0 { s.mean_billed } else { f64::from(svc.instances) };
                // Its executions, per class and all together.
                let by_class: Vec<OpClassRun> = (0..classes_n)
                    .map(|c| {
                        let mut sum = OpClassRun::default();
                        svc.ops.clone().for_each(|o| sum.add(&run.op_classes[o as usize * classes_n + c]));
                        sum
                    })
                    .collect();
                let mean_wait = if s.started == 0 { 0.0 } else { s.wait_sum / s.started as f64 };
                let mut all = OpClassRun::default();
                by_class.iter().for_each(|c| all.add(c));
                let platform = super::platform::run_metrics(s, svc, run.observed, n);
                ServiceMetrics {
                    scaling: s.scaling.as_ref().map(|c| super::ScalingMetrics::new(c, run.observed)),
                    serverless: s
                        .serverless
                        .as_ref()
                        .zip(svc.serverless.as_ref())
                        .map(|(c, sv)| super::ServerlessMetrics::new(c, s.mean_busy_threads, run.observed, sv)),
                    mean_instances: n,
                    mean_billed: s.mean_billed,
                    mean_down: s.mean_down,
                    failures_per_hour: s.failures as f64 / run.observed * 3600.0,
                    utilisation: utilisation::utilisation(s.mean_busy_cores, n, svc.usable_cores()),
                    paid_core_utilisation: utilisation::paid_core_utilisation(s.mean_busy_cores, billed, svc.cores),
                    thread_utilisation: s.mean_busy_threads / (n * f64::from(svc.threads)),
                    mean_queue_len: s.mean_queue_len,
                    mean_wait_s: mean_wait,
                    mean_in_service: s.mean_busy_threads,
                    throughput_per_s: s.completed as f64 / run.observed,
                    rejected_per_s: s.rejected as f64 / run.observed,
                    arrived: s.arrivals,
                    completed: s.completed,
                    rejected: s.rejected,
                    lost: s.lost,
                    in_flight_start: s.in_flight_start,
                    in_flight_end: s.in_flight_end,
                    prob_wait: ratio(all.waits.positive(), all.waits.count()),
                    // One mean wait, `mean_wait_s`'s (the percentiles count executions that ended).
                    wait_s: DurationMetrics { mean_s: mean_wait, ..DurationMetrics::new(&all.waits, 0.0) },
                    all_busy: s.all_busy,
                    preempted_per_s: s.preempted as f64 / run.observed,
                    cpu_limit: platform.0,
                    pauses: platform.1,
                    classes: by_class
                        .iter()
                        .map(|c| {
                            let count = c.waits.count();
                            ClassAtServiceMetrics {
                                prob_wait: ratio(c.waits.positive(), count),
                                wait_s: DurationMetrics::new(&c.waits, c.wait_ns as f64 / 1e9),
                                throughput_per_s: count as f64 / run.observed,
                                held_mean_s: if count == 0 {
                                    f64::NAN
                                } else {
                                    (c.residence_ns - c.wait_ns) as f64 / 1e9 / count as f64
                                },
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let ops = run
            .op_classes
            .chunks(classes_n.max(1))
            .take(net.ops.len())
            .map(|per_class| {
                let mut o = OpClassRun::default();
                per_class.iter().for_each(|c| o.add(c));
                OpMetrics {
                    throughput_per_s: o.residence.count() as f64 / run.observed,
                    residence_s: DurationMetrics::new(&o.residence, o.residence_ns as f64 / 1e9),
                }
            })
            .collect();
        let pools = run
            .pools
            .iter()
            .zip(&net.pools)
            .map(|(p, pool)| {
                let instances = pool.per.map_or(1, |s| net.services[s as usize].max_instances());
                PoolMetrics {
                    mean_wait_s: if p.acquired == 0 { 0.0 } else { p.wait_sum / p.acquired as f64 },
                    prob_wait: ratio(p.waited, p.attempts),
                    acquired_per_s: p.acquired as f64 / run.observed,
                    wait_s: DurationMetrics::new(&p.waits, p.wait_sum),
                    timeouts_per_s: p.timeouts as f64 / run.observed,
                    utilisation: p.mean_busy / (f64::from(pool.size) * f64::from(instances)),
                    exhausted: p.exhausted,
                }
            })
            .collect();
        let caches = run
            .caches
            .iter()
            .map(|c| CacheMetrics {
                hit_ratio: ratio(c.hits, c.reads),
                stale_ratio: ratio(c.stale, c.reads),
                reads_per_s: c.reads as f64 / run.observed,
                misses_per_s: (c.reads - c.hits) as f64 / run.observed,
                writes_per_s: c.writes as f64 / run.observed,
            })
            .collect();
        let databases = run
            .databases
            .iter()
            .zip(&net.databases)
            .map(|(d, db)| {
                let spread = db.primary_read_op != crate::model::NONE;
                DatabaseMetrics {
                    stale_ratio: ratio(d.stale, d.reads - d.primary_reads),
                    reads_per_s: d.reads as f64 / run.observed,
                    writes_per_s: d.writes as f64 / run.observed,
                    primary_reads_per_s: spread.then(|| d.primary_reads as f64 / run.observed),
                    stale_ratio_all: spread.then(|| ratio(d.stale, d.reads)),
                }
            })
            .collect();
        let calls = run
            .guards
            .iter()
            .zip(&net.guarded)
            .map(|(g, site)| CallMetrics {
                hedge: (net.calls[site.call as usize].hedge != crate::model::NONE)
                    .then(|| super::HedgeMetrics::of(g, run.observed)),
                attempts_per_s: g.attempts as f64 / run.observed,
                retries_per_s: g.retries as f64 / run.observed,
                timeouts_per_s: g.timeouts as f64 / run.observed,
                short_circuited_per_s: g.short_circuited as f64 / run.observed,
                breaker_opens: g.opened as f64,
                breaker_open: g.open_fraction,
            })
            .collect();
        let per = |sum: f64, n: u64| if n == 0 { f64::NAN } else { sum / n as f64 };
        let queues = run
            .queues
            .iter()
            .map(|q| (q, quantiles(&q.latency, [0.5, 0.99])))
            .map(|(q, [p50, p99])| QueueMetrics {
                published_per_s: q.published as f64 / run.observed,
                refused_per_s: q.refused as f64 / run.observed,
                consumed_per_s: q.consumed as f64 / run.observed,
                failed_per_s: q.failed as f64 / run.observed,
                mean_depth: q.mean_depth,
                mean_wait_s: per(q.wait_sum, q.consumed + q.failed),
                latency_mean_s: per(q.latency_sum, q.consumed),
                latency_p50_s: p50,
                latency_p99_s: p99,
                polls_per_message: per(q.polls as f64, q.seen),
                seen_done_s: per(q.seen_sum, q.seen),
                halves_depth: q.halves_depth,
            })
            .collect();
        // Status polls are overhead of the requests they follow, not requests of their own.
        let ok: u64 = run.classes.iter().zip(&net.classes).filter(|(_, c)| !c.polling).map(|(r, _)| r.completed).sum();
        let per_hour: f64 = run.services.iter().zip(&net.services).map(|(s, v)| s.mean_billed * v.cost_per_hour).sum();
        RunMetrics {
            observed_s: run.observed,
            events: run.events,
            cap_hit_at_s: run.cap_hit_at,
            classes,
            services,
            ops,
            pools,
            caches,
            databases,
            calls,
            queues,
            cost_per_hour: per_hour,
            cost_per_million: if ok == 0 { f64::NAN } else { per_hour / 3600.0 / (ok as f64 / run.observed) * 1e6 },
            stopped: run.stopped.clone(),
            halves_in_system: run.halves_in_system,
            recovery: None,
        }
    }
}
