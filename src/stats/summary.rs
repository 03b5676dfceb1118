//! The summary of a model run: the stable output schema that JSON, CSV, the
//! terminal table, charts and the report are views of (documented in
//! `docs/output.md`). Every mean and percentile is an [`Estimate`] across
//! replications.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{Estimate, Series};

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
    /// Per operation ("service.op"), in model order.
    #[serde(default)]
    pub operations: Vec<OperationSummary>,
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
    /// Whether and how fast the run came back after its trigger (`simulation.recovery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<super::RecoverySummary>,
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
    /// For a class that publishes: the completion latency \[s\], from a
    /// request's arrival until the last message published on its behalf
    /// (directly, through calls or by its messages' consumers) was
    /// processed, of requests whose reply and messages all succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_s: Option<Latency>,
    /// For a class whose publishes poll: the seen-done latency \[s\], from a
    /// request's arrival until its client's polls had seen each polled
    /// message done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_done_s: Option<Latency>,
}

/// Latency statistics \[s\]: the mean with a Student-t interval over
/// replications; percentiles pooled over replications with asymmetric
/// intervals (`ci95_low`, `ci95_high`; see `stats::sketch`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Largest, over all replications (no interval).
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

/// Which latency of a request: the reply its client got, or the completion
/// of all its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyKind {
    /// From arrival to the reply (for a publish, the 202).
    Reply,
    /// From arrival until the request's published messages were processed;
    /// the reply latency for a class that does not publish (its work is done
    /// when it replies).
    Completion,
}

impl LatencyKind {
    /// This latency of class `c`.
    pub fn of(self, c: &ClassSummary) -> &Latency {
        match self {
            LatencyKind::Reply => &c.latency_s,
            LatencyKind::Completion => c.completion_s.as_ref().unwrap_or(&c.latency_s),
        }
    }
}

/// A statistic of one latency, as an SLO constrains it and a chart draws it:
/// "p99" (of the reply) or "p99 completion".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Reply or completion.
    pub kind: LatencyKind,
    /// Which statistic.
    pub stat: LatencyStat,
}

impl Measure {
    /// The same latency, another statistic.
    pub fn with(self, stat: LatencyStat) -> Measure {
        Measure { stat, ..self }
    }

    /// This statistic of class `c`.
    pub fn of(self, c: &ClassSummary) -> &Estimate {
        self.stat.of(self.kind.of(c))
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            LatencyKind::Reply => write!(f, "{}", self.stat),
            LatencyKind::Completion => write!(f, "{} completion", self.stat),
        }
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
    /// Threads per instance (`null`: unlimited).
    #[serde(with = "unlimited_as_null")]
    pub threads: u32,
    /// Cores per instance (`null`: unlimited, a delay station).
    #[serde(with = "unlimited_as_null")]
    pub cores: u32,
    /// Speed factor.
    pub speed: f64,
    /// Fraction of the usable cores (`min(threads, cores)` per active
    /// instance) busy: see [`super::utilisation`].
    pub utilisation: Estimate,
    /// Fraction of all the cores paid for (`cores` per billed instance) busy, for cost.
    #[serde(default)]
    pub paid_core_utilisation: Estimate,
    /// Fraction of the threads held.
    pub thread_utilisation: Estimate,
    /// Time-average requests waiting for a thread, all instances.
    pub mean_queue_len: Estimate,
    /// Mean wait for a thread \[s\].
    pub mean_wait_s: Estimate,
    /// Probability that a job waited for a thread: the share of those that
    /// got one that found every thread busy (Erlang C's C(c, a) for M/M/c).
    #[serde(default)]
    pub prob_wait: Estimate,
    /// The wait for a thread \[s\], zero waits included: its mean (as
    /// `mean_wait_s`) and percentiles, each the mean of the replications'
    /// own with a Student-t interval.
    #[serde(default)]
    pub wait_s: Latency,
    /// Share of time every thread of an instance is held, over the active
    /// instances: P(wait) seen by time, which equals `prob_wait` (seen by
    /// arrivals) only for Poisson arrivals.
    #[serde(default)]
    pub all_threads_busy: Estimate,
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
    /// Computing jobs preempted by a higher priority per second, for
    /// `discipline = "priority_preemptive"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempted_per_s: Option<Estimate>,
    /// The CPU limit (`cpu_limit`) and its throttling, if the service has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<super::CpuLimitSummary>,
    /// Stop-the-world pauses (`pauses`), if the service has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pauses: Option<super::PausesSummary>,
    /// What an HPA did, for services with `hpa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<super::ScalingSummary>,
    /// Cold starts, instances and cost, for services with `serverless`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<super::ServerlessSummary>,
    /// Per request class that reaches the service, in model order.
    #[serde(default)]
    pub classes: Vec<ClassAtServiceSummary>,
}

/// One request class at one service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassAtServiceSummary {
    /// Class name.
    pub name: String,
    /// Probability that the class's jobs waited for a thread.
    pub prob_wait: Estimate,
    /// Their wait for a thread \[s\], as the service's `wait_s`.
    pub wait_s: Latency,
    /// The class's operations finished per second.
    pub throughput_per_s: Estimate,
    /// Mean time they held a thread \[s\] (computing and in calls).
    pub held_s: Estimate,
}

/// One operation, over all its service's instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperationSummary {
    /// "service.op".
    pub name: String,
    /// Executions that held a thread and ended, per second.
    pub throughput_per_s: Estimate,
    /// Residence \[s\]: from reaching the service (the wait for a thread
    /// included) to the operation's end, its calls and pool waits included;
    /// percentiles as the service's `wait_s`.
    pub residence_s: Latency,
}

/// A thread or core count, `null` in JSON when unlimited.
mod unlimited_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::model::UNLIMITED;

    pub(super) fn serialize<S: Serializer>(n: &u32, s: S) -> Result<S::Ok, S::Error> {
        if *n == UNLIMITED { s.serialize_none() } else { s.serialize_u32(*n) }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(Option::<u32>::deserialize(d)?.unwrap_or(UNLIMITED))
    }
}

impl ServiceSummary {
    /// Cores per instance its threads can use, the unit of its utilisation.
    pub fn usable_cores(&self) -> u32 {
        crate::model::usable_cores(self.threads, self.cores)
    }
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
    /// Probability that a request for a connection found every one held.
    #[serde(default)]
    pub prob_wait: Estimate,
    /// Connections granted per second.
    #[serde(default)]
    pub acquired_per_s: Estimate,
    /// The wait for a connection \[s\] of the requests granted one, zero
    /// waits included; percentiles as the service's `wait_s`.
    #[serde(default)]
    pub wait_s: Latency,
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
    /// The backlog grew from the window's first half to its second, clear
    /// of the noise: the consumers do not keep up.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backlog_growing: bool,
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
    /// The hedge and its twins, if the site is hedged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hedge: Option<super::HedgeSummary>,
}

/// One replicated database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseSummary {
    /// Database name.
    pub name: String,
    /// Fraction of replica reads of a key whose latest write had not replicated yet.
    pub stale_ratio: Estimate,
    /// Reads per second (by the replicas, and the primary with `primary_read`).
    pub reads_per_s: Estimate,
    /// Primary writes per second.
    pub writes_per_s: Estimate,
    /// With `primary_read`: reads the primary served per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_reads_per_s: Option<Estimate>,
    /// With `primary_read`: fraction of all reads that were stale (a primary read never is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_ratio_all: Option<Estimate>,
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

/// Zero with no interval: the default of fields older files lack.
fn zero_estimate() -> Estimate {
    Estimate::exact(0.0)
}
