//! What one replication's kernel tallies: counts, sums and time-weighted
//! areas per class, service, pool, cache, database, guarded call and queue
//! ([`RunStats`]), latency histograms, and the causes of failure.

use hdrhistogram::Histogram;

use super::durations::DurationCounts;
use super::sketch::{LatencySketch, MERGE_BITS as SKETCH_MERGE_BITS};
use serde::{Deserialize, Serialize};

use super::serde_nan::vec_nan_as_null;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCause {
    /// A full queue turned it away (HTTP 503).
    Rejected,
    /// `max_in_flight` was reached: the model is saturated.
    InFlightCap,
    /// No pool connection within the pool's `wait_timeout`.
    PoolTimeout,
    /// A caller gave up waiting for a call (HTTP 504).
    Timeout,
    /// An operation failed by its `error_rate` (HTTP 500).
    ServerError,
    /// A rate limiter's bucket was empty (HTTP 429).
    RateLimited,
    /// A circuit breaker was open.
    CircuitOpen,
    /// Load shedding: the expected wait exceeded the service's `shed_wait` (HTTP 503).
    Shed,
    /// A publish found its queue full (HTTP 503).
    QueueFull,
    /// The instance serving it failed, or no instance was up (HTTP 502/503).
    InstanceDown,
}

impl ErrorCause {
    /// Every cause, in report order.
    pub const ALL: [ErrorCause; 10] = [
        ErrorCause::Rejected,
        ErrorCause::InFlightCap,
        ErrorCause::PoolTimeout,
        ErrorCause::Timeout,
        ErrorCause::ServerError,
        ErrorCause::RateLimited,
        ErrorCause::CircuitOpen,
        ErrorCause::Shed,
        ErrorCause::QueueFull,
        ErrorCause::InstanceDown,
    ];
    /// Number of causes.
    pub const COUNT: usize = Self::ALL.len();

    /// Name used in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::Rejected => "rejected",
            ErrorCause::InFlightCap => "in_flight_cap",
            ErrorCause::PoolTimeout => "pool_timeout",
            ErrorCause::Timeout => "timeout",
            ErrorCause::ServerError => "server_error",
            ErrorCause::RateLimited => "rate_limited",
            ErrorCause::CircuitOpen => "circuit_open",
            ErrorCause::Shed => "shed",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::InstanceDown => "instance_down",
        }
    }
}

/// Largest latency recorded exactly \[ns\]: 100 hours. Longer ones saturate.
pub(super) const MAX_LATENCY_NS: u64 = 360_000_000_000_000;

/// A latency histogram in nanoseconds, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3).expect("static bounds are valid")
}

/// Counts of latencies in the buckets of [`latency_histogram`], for the
/// event loop: recording is a shift, a count of leading zeros and an
/// increment, where `Histogram::record` also keeps its minimum, maximum and
/// total up to date. [`LatencyCounts::add_to`] replays the counts
/// into a histogram, which then equals, in every count and in `min`, `max` and
/// every quantile, one that recorded the same values itself.
#[derive(Debug, Clone)]
pub struct LatencyCounts {
    counts: Vec<u64>,
}

/// `latency_histogram`'s layout: 2^11 sub-buckets (3 significant digits),
/// the lower half of each bucket but the first unused, unit 1 ns.
const SUB_BUCKET_MAGNITUDE: u32 = 11;
const SUB_BUCKET_HALF_MAGNITUDE: u32 = SUB_BUCKET_MAGNITUDE - 1;
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_MAGNITUDE) - 1;

impl Default for LatencyCounts {
    fn default() -> Self {
        // Whole buckets up to the one holding the largest trackable value.
        let buckets = (Self::index(MAX_LATENCY_NS) >> SUB_BUCKET_HALF_MAGNITUDE) + 1;
        LatencyCounts { counts: vec![0; buckets << SUB_BUCKET_HALF_MAGNITUDE] }
    }
}

impl LatencyCounts {
    /// The bucket of `value` (HdrHistogram's `index_for`).
    #[inline(always)]
    pub(super) fn index(value: u64) -> usize {
        let bucket = 64 - SUB_BUCKET_MAGNITUDE - (value | SUB_BUCKET_MASK).leading_zeros();
        let sub_bucket = (value >> bucket) as usize;
        ((bucket as usize + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub_bucket - (1 << SUB_BUCKET_HALF_MAGNITUDE)
    }

    /// The smallest value of bucket `index` (HdrHistogram's `value_for`).
    pub(super) fn value(index: usize) -> u64 {
        let half = 1usize << SUB_BUCKET_HALF_MAGNITUDE;
        let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) as i32 - 1;
        let sub_bucket = (index & (half - 1)) + half;
        if bucket < 0 { (sub_bucket - half) as u64 } else { (sub_bucket as u64) << bucket }
    }

    /// Counts one latency \[ns\], as `Histogram::saturating_record(latency.max(1))`
    /// would: a value past the last bucket counts as the largest trackable one.
    #[inline]
    pub fn record(&mut self, latency: u64) {
        let index = Self::index(latency.max(1));
        match self.counts.get_mut(index) {
            Some(c) => *c += 1,
            None => self.counts[Self::index(MAX_LATENCY_NS)] += 1,
        }
    }

    /// The counts as a [`LatencySketch`]: its buckets are these, eight at a
    /// time (one pass, empty runs of eight skipped as in `add_to`).
    pub fn sketch(&self) -> LatencySketch {
        LatencySketch::from_buckets(
            self.counts
                .chunks(1 << SKETCH_MERGE_BITS)
                .enumerate()
                .map(|(i, chunk)| (i as u32, chunk.iter().sum::<u64>()))
                .filter(|b| b.1 > 0)
                .collect(),
        )
    }

    /// Adds the counted latencies to `h`, a [`latency_histogram`].
    pub fn add_to(&self, h: &mut Histogram<u64>) {
        // Most buckets are empty: skip them eight at a time.
        for (chunk, counts) in self.counts.chunks(8).enumerate() {
            if counts.iter().fold(0, |any, &n| any | n) == 0 {
                continue;
            }
            for (i, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                h.record_n(Self::value(chunk * 8 + i), n).expect("a bucket's own value is in range");
            }
        }
    }
}

/// One request class in one replication.
#[derive(Debug, Clone)]
pub struct ClassRun {
    /// Requests that arrived in the observation window.
    pub arrivals: u64,
    /// Requests that completed successfully in the window.
    pub completed: u64,
    /// Requests that failed in the window, by cause.
    pub errors: [u64; ErrorCause::COUNT],
    /// Latencies of successful requests \[ns\].
    pub latency: Histogram<u64>,
    /// The same latencies as a sketch, for percentiles pooled over replications.
    pub latency_sketch: LatencySketch,
    /// Sum of successful latencies \[s\] (exact mean, unlike the histogram).
    pub latency_sum: f64,
    /// Sum of time in system of all finished requests, failed ones included \[s\].
    pub sojourn_sum: f64,
    /// Reply bytes received by the class's calls.
    pub bytes: f64,
    /// Time-average number of this class's requests in the system.
    pub mean_in_system: f64,
    /// Requests in the system when the window opened (arrived during the warm-up).
    pub in_flight_start: u64,
    /// Requests still in the system when the window closed.
    pub in_flight_end: u64,
    /// Time in system so far of the requests in it when the window opened \[s\]
    /// (`sojourn_sum` counts them whole; the in-system area only from the opening).
    pub sojourn_carried_in: f64,
    /// Time in system so far of the requests still in it when the window closed \[s\].
    pub sojourn_carried_out: f64,
    /// Completion latencies: from a request's arrival until every message
    /// published on its behalf has been processed (its reply included), for
    /// requests whose reply and messages all succeeded. `None` for a class
    /// that never publishes.
    pub completion: Option<LatencyTally>,
    /// Seen-done latencies: from a request's arrival until its client's polls
    /// have seen each of its polled messages done. `None` for a class
    /// without a polled publish.
    pub seen_done: Option<LatencyTally>,
}

/// Latencies of one kind, for a class that has them: a histogram, the exact
/// sum and the count.
#[derive(Debug, Clone)]
pub struct LatencyTally {
    /// Latencies \[ns\].
    pub histogram: Histogram<u64>,
    /// Their sum \[s\] (exact mean, unlike the histogram).
    pub sum: f64,
    /// How many.
    pub count: u64,
    /// The same latencies as a sketch, for percentiles pooled over replications.
    pub sketch: LatencySketch,
}

impl Default for LatencyTally {
    fn default() -> Self {
        LatencyTally { histogram: latency_histogram(), sum: 0.0, count: 0, sketch: LatencySketch::default() }
    }
}

/// One service in one replication, summed over its instances.
#[derive(Debug, Clone, Default)]
pub struct ServiceRun {
    /// What an HPA did (services with `hpa` only).
    pub scaling: Option<super::ScalingCounts>,
    /// Requests, cold starts and idle instances (`serverless` services only).
    pub serverless: Option<super::ServerlessCounts>,
    /// Jobs that reached the service.
    pub arrivals: u64,
    /// Jobs turned away by a full queue.
    pub rejected: u64,
    /// Jobs lost with a failed instance (held or waiting there when it failed).
    pub lost: u64,
    /// Waits of the jobs lost from a failed instance's queue \[s\] (not in `wait_sum`,
    /// which counts the jobs that got a thread).
    pub wait_lost: f64,
    /// Operation executions finished.
    pub completed: u64,
    /// Jobs that got a thread.
    pub started: u64,
    /// Computing jobs whose thread a higher-priority arrival took.
    pub preempted: u64,
    /// CPU-limit periods in which instances had CPU work to do (the kernel's `nr_periods`).
    pub cpu_periods: u64,
    /// Of them, periods in which the quota ran out (`nr_throttled`).
    pub throttled_periods: u64,
    /// Instance-time throttled \[s\], summed over instances.
    pub throttled_s: f64,
    /// Stop-the-world pauses started.
    pub pauses: u64,
    /// Instance-time paused \[s\], summed over instances.
    pub paused_s: f64,
    /// Their total wait for a thread \[s\].
    pub wait_sum: f64,
    /// Time-average share of the active instances' time with every thread held.
    pub all_busy: f64,
    /// Time-average threads held.
    pub mean_busy_threads: f64,
    /// Time-average busy cores.
    pub mean_busy_cores: f64,
    /// Time-average waiting jobs.
    pub mean_queue_len: f64,
    /// Time-average active instances (those the balancer sends work to).
    pub mean_instances: f64,
    /// Time-average instances paid for (active and starting up).
    pub mean_billed: f64,
    /// Time-average active instances that are down (failed, not yet repaired).
    pub mean_down: f64,
    /// Instance failures.
    pub failures: u64,
    /// Jobs at the service (holding a thread or waiting for one, messages
    /// included) when the window opened.
    pub in_flight_start: u64,
    /// Jobs at the service when the window closed.
    pub in_flight_end: u64,
    /// Waits of the jobs waiting when the window opened, so far \[s\]
    /// (`wait_sum` counts them whole; the queue-length area only from the opening).
    pub wait_carried_in: f64,
    /// Waits so far of the jobs still waiting when the window closed \[s\].
    pub wait_carried_out: f64,
}

/// One operation's executions for one request class in one replication:
/// those that held a thread and ended (done or failed). Counted once, at
/// the operation's end; a service's, a class's at a service and an
/// operation's figures are sums of these. Sums in integer nanoseconds: one
/// addition on the hot path, no conversion.
#[derive(Debug, Clone, Default)]
pub struct OpClassRun {
    /// Their waits for a thread (the count is the executions; those past the
    /// bottom bucket, the ones that waited).
    pub waits: DurationCounts,
    /// Their total wait \[ns\].
    pub wait_ns: u128,
    /// Their residence: from reaching the service to the operation's end.
    pub residence: DurationCounts,
    /// Their total residence \[ns\].
    pub residence_ns: u128,
}

impl OpClassRun {
    /// Adds `other`'s executions to these.
    pub fn add(&mut self, other: &OpClassRun) {
        self.waits.add(&other.waits);
        self.wait_ns += other.wait_ns;
        self.residence.add(&other.residence);
        self.residence_ns += other.residence_ns;
    }
}

/// One pool (all its instances) in one replication.
#[derive(Debug, Clone, Default)]
pub struct PoolRun {
    /// Requests for a connection.
    pub attempts: u64,
    /// Of them, those that found every connection held and waited.
    pub waited: u64,
    /// Waits of the connections granted, zero ones included.
    pub waits: DurationCounts,
    /// Connections granted.
    pub acquired: u64,
    /// Their total wait \[s\].
    pub wait_sum: f64,
    /// Waits that timed out.
    pub timeouts: u64,
    /// Time-average connections in use, all instances.
    pub mean_busy: f64,
    /// Fraction of time a pool instance had every connection in use (averaged over instances).
    pub exhausted: f64,
}

/// One cache in one replication.
#[derive(Debug, Clone, Default)]
pub struct CacheRun {
    /// Reads (lookups).
    pub reads: u64,
    /// Reads that found a live entry.
    pub hits: u64,
    /// Hits on an entry older than the key's last write.
    pub stale: u64,
    /// Writes.
    pub writes: u64,
}

/// One replicated database in one replication.
#[derive(Debug, Clone, Default)]
pub struct DatabaseRun {
    /// Reads, by a replica or (with `primary_read`) by the primary.
    pub reads: u64,
    /// Reads served by the primary.
    pub primary_reads: u64,
    /// Reads of a key whose latest write had not reached the replicas.
    pub stale: u64,
    /// Writes committed on the primary.
    pub writes: u64,
}

/// One guarded call site (timeout, retries or breaker) in one replication.
#[derive(Debug, Clone, Default)]
pub struct GuardRun {
    /// Rounds sent, retries included.
    pub attempts: u64,
    /// Of which retries.
    pub retries: u64,
    /// Rounds the caller gave up on.
    pub timeouts: u64,
    /// Rounds the open breaker stopped (failed fast or served by the fallback).
    pub short_circuited: u64,
    /// Times the breaker opened.
    pub opened: u64,
    /// Fraction of the window the breaker was open or half-open.
    pub open_fraction: f64,
    /// Copies a hedged site sent (its twins not counted).
    pub copies: u64,
    /// Twins a hedged site sent.
    pub hedges: u64,
    /// Pairs whose twin replied first.
    pub hedge_wins: u64,
    /// Losers cancelled.
    pub cancelled: u64,
}

/// One message queue in one replication.
#[derive(Debug, Clone)]
pub struct QueueRun {
    /// Messages accepted.
    pub published: u64,
    /// Publishes refused by a full queue.
    pub refused: u64,
    /// Messages whose consumer op finished.
    pub consumed: u64,
    /// Messages whose consumer op failed.
    pub failed: u64,
    /// Time-average messages waiting.
    pub mean_depth: f64,
    /// Sum of waits in the queue of consumed messages \[s\].
    pub wait_sum: f64,
    /// Publish-to-done times of consumed messages \[ns\].
    pub latency: Histogram<u64>,
    /// Sum of publish-to-done times \[s\].
    pub latency_sum: f64,
    /// Polls sent.
    pub polls: u64,
    /// Messages whose client learnt by polling that they were done.
    pub seen: u64,
    /// Sum of publish-to-seen times \[s\].
    pub seen_sum: f64,
    /// Time-average messages waiting over the window's first and second half
    /// (duration-bound runs; `None` otherwise).
    pub halves_depth: Option<(f64, f64)>,
}

impl Default for QueueRun {
    fn default() -> Self {
        QueueRun {
            published: 0,
            refused: 0,
            consumed: 0,
            failed: 0,
            mean_depth: 0.0,
            wait_sum: 0.0,
            latency: latency_histogram(),
            latency_sum: 0.0,
            polls: 0,
            seen: 0,
            seen_sum: 0.0,
            halves_depth: None,
        }
    }
}

/// A time series: one value per interval, warm-up included. Latencies in
/// seconds, NaN (`null` in JSON) when nothing completed in the interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Interval length \[s\].
    pub interval_s: f64,
    /// End of each interval \[s of simulated time\].
    pub t_s: Vec<f64>,
    /// Per class, in model order.
    pub classes: Vec<ClassSeries>,
    /// Per service, in model order.
    pub services: Vec<ServiceSeries>,
    /// Per broker queue: mean messages waiting in each interval.
    pub queue_depth: Vec<Vec<f64>>,
    /// Per call site (as `calls`), the hedges sent per second in each
    /// interval; `None` for a site without a hedge, and empty when no call is hedged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hedges_per_s: Vec<Option<Vec<f64>>>,
}

impl Series {
    /// The interval-by-interval mean of several replications' series (NaN
    /// values skipped), over the intervals all of them reached.
    pub fn mean(all: &[&Series]) -> Option<Series> {
        let first = *all.first()?;
        let n = all.iter().map(|s| s.t_s.len()).min().unwrap_or(0);
        let avg = |pick: &dyn Fn(&Series) -> &Vec<f64>| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    let values: Vec<f64> = all.iter().map(|s| pick(s)[i]).filter(|v| !v.is_nan()).collect();
                    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
                })
                .collect()
        };
        Some(Series {
            interval_s: first.interval_s,
            t_s: first.t_s[..n].to_vec(),
            classes: (0..first.classes.len())
                .map(|c| ClassSeries {
                    throughput_per_s: avg(&|s| &s.classes[c].throughput_per_s),
                    errors_per_s: avg(&|s| &s.classes[c].errors_per_s),
                    p50_s: avg(&|s| &s.classes[c].p50_s),
                    p99_s: avg(&|s| &s.classes[c].p99_s),
                })
                .collect(),
            services: (0..first.services.len())
                .map(|v| ServiceSeries {
                    utilisation: avg(&|s| &s.services[v].utilisation),
                    queue: avg(&|s| &s.services[v].queue),
                    instances: avg(&|s| &s.services[v].instances),
                    throttled: first.services[v]
                        .throttled
                        .as_ref()
                        .map(|_| avg(&|s| s.services[v].throttled.as_ref().expect("every replication records it"))),
                    paused: first.services[v]
                        .paused
                        .as_ref()
                        .map(|_| avg(&|s| s.services[v].paused.as_ref().expect("every replication records it"))),
                    busy_instances: first.services[v].busy_instances.as_ref().map(|_| {
                        avg(&|s| s.services[v].busy_instances.as_ref().expect("every replication records it"))
                    }),
                    idle_instances: first.services[v].idle_instances.as_ref().map(|_| {
                        avg(&|s| s.services[v].idle_instances.as_ref().expect("every replication records it"))
                    }),
                })
                .collect(),
            queue_depth: (0..first.queue_depth.len()).map(|q| avg(&|s| &s.queue_depth[q])).collect(),
            hedges_per_s: (0..first.hedges_per_s.len())
                .map(|g| {
                    first.hedges_per_s[g].as_ref().map(|_| {
                        avg(&|s| s.hedges_per_s[g].as_ref().expect("every replication records the same sites"))
                    })
                })
                .collect(),
        })
    }
}

/// One class over time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassSeries {
    /// Successful requests per second in each interval.
    pub throughput_per_s: Vec<f64>,
    /// Failed requests per second in each interval.
    pub errors_per_s: Vec<f64>,
    /// Median latency of the successful requests finished in each interval \[s\].
    #[serde(with = "vec_nan_as_null")]
    pub p50_s: Vec<f64>,
    /// 99th percentile latency of the successful requests finished in each interval \[s\].
    #[serde(with = "vec_nan_as_null")]
    pub p99_s: Vec<f64>,
}

/// One service over time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceSeries {
    /// Utilisation in each interval, as the summary's (see [`super::utilisation`]):
    /// busy cores over the usable cores of the instances up, time-weighted within the interval.
    pub utilisation: Vec<f64>,
    /// Mean requests waiting for a thread, all instances.
    pub queue: Vec<f64>,
    /// Active instances at the end of the interval.
    pub instances: Vec<f64>,
    /// Share of the instances' time throttled by a CPU limit in each interval (limited services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled: Option<Vec<f64>>,
    /// Share of the instances' time paused in each interval (services with pauses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Vec<f64>>,
    /// Mean platform instances serving at least one request in each interval (serverless services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_instances: Option<Vec<f64>>,
    /// Mean platform instances idle, kept warm, in each interval (serverless services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_instances: Option<Vec<f64>>,
}

/// Everything one replication measured.
#[derive(Debug, Clone)]
pub struct RunStats {
    /// Length of the observation window \[s\].
    pub observed: f64,
    /// Model events processed (arrivals and service completions, warm-up included).
    pub events: u64,
    /// Per class, in model order.
    pub classes: Vec<ClassRun>,
    /// Per service, in model order.
    pub services: Vec<ServiceRun>,
    /// Per operation and request class: `op_classes[op * classes + class]`.
    pub op_classes: Vec<OpClassRun>,
    /// Per pool, in model order.
    pub pools: Vec<PoolRun>,
    /// Per cache, in model order.
    pub caches: Vec<CacheRun>,
    /// Per replicated database, in model order.
    pub databases: Vec<DatabaseRun>,
    /// Per guarded call site, in model order.
    pub guards: Vec<GuardRun>,
    /// Per message queue, in model order.
    pub queues: Vec<QueueRun>,
    /// The time series, when the model asks for one.
    pub series: Option<Series>,
    /// When `max_in_flight` was first reached [s of simulated time], if it was.
    pub cap_hit_at: Option<f64>,
    /// Why the run stopped before its end (`simulation.max_events` or `max_wall`), if it did.
    pub stopped: Option<String>,
    /// Requests in the system, all classes, averaged over the first and the
    /// second half of the window (duration-bound runs; `None` otherwise).
    pub halves_in_system: Option<(f64, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_counts_give_the_histogram_that_records_itself() {
        // Every bucket edge, both sides, then a spread of odd values,
        // zero and values past the largest trackable one.
        let mut values = vec![0, 1, 2, MAX_LATENCY_NS, MAX_LATENCY_NS + 1, u64::MAX];
        for shift in 0..64 {
            let edge = 1u64 << shift;
            values.extend([edge - 1, edge, edge + 1, edge.saturating_mul(3) / 2]);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 50));
        }
        let mut direct = latency_histogram();
        let mut counts = LatencyCounts::default();
        for &v in &values {
            direct.saturating_record(v.max(1));
            counts.record(v);
        }
        assert_eq!(counts.counts.len(), direct.distinct_values());
        let mut replayed = latency_histogram();
        counts.add_to(&mut replayed);
        assert_eq!(replayed, direct);
        assert_eq!((replayed.min(), replayed.max(), replayed.len()), (direct.min(), direct.max(), direct.len()));
        for q in [0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(replayed.value_at_quantile(q), direct.value_at_quantile(q), "q = {q}");
        }
    }
}
