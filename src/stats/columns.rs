//! Every metric that becomes a column, defined once per entity: its name,
//! what it means (with its unit), how one run measures it and how a summary
//! estimates it across replications. `runs.csv`, `summary.csv`,
//! `capsim run --format csv` and the column list in `docs/output.md` all
//! read these tables, so a new metric is one line here (plus its field in
//! the metrics and the summary).

use super::{
    CacheMetrics, CacheSummary, CallMetrics, CallSummary, ClassMetrics, ClassSummary, DatabaseMetrics, DatabaseSummary,
    Estimate, PoolMetrics, PoolSummary, QueueMetrics, QueueSummary, ServiceMetrics, ServiceSummary,
};

/// One metric of an entity measured per run as `R` and summarised as `S`.
pub(crate) struct Metric<R: 'static, S: 'static> {
    /// Column name (the unit is its suffix: `_s`, `_per_s`; fractions have none).
    pub(crate) name: &'static str,
    /// What it means, for the docs.
    pub(crate) meaning: &'static str,
    /// Its value in one run.
    pub(crate) run: fn(&R) -> f64,
    /// Its estimate across replications; `None` for counts that only runs.csv keeps.
    pub(crate) estimate: Option<fn(&S) -> &Estimate>,
    /// Whether the sweep's `summary.csv` has it (every estimated metric is in
    /// `run --format csv`; summary.csv keeps a shorter list per point).
    pub(crate) in_summary_csv: bool,
}

/// Shorthand for a table row.
macro_rules! metric {
    ($name:literal, $meaning:literal, $run:expr, $est:expr, $sum:literal) => {
        Metric { name: $name, meaning: $meaning, run: $run, estimate: Some($est), in_summary_csv: $sum }
    };
    ($name:literal, $meaning:literal, $run:expr) => {
        Metric { name: $name, meaning: $meaning, run: $run, estimate: None, in_summary_csv: false }
    };
}

/// A request class. Its `errors_CAUSE` columns follow these, one per cause.
pub(crate) const CLASS: &[Metric<ClassMetrics, ClassSummary>] = &[
    metric!(
        "throughput_per_s",
        "successful requests per second",
        |c| c.throughput_per_s,
        |c| &c.throughput_per_s,
        true
    ),
    metric!(
        "latency_mean_s",
        "mean latency of successful requests [s]",
        |c| c.latency_mean_s,
        |c| &c.latency_s.mean,
        true
    ),
    metric!("latency_p50_s", "median latency [s]", |c| c.latency_p50_s, |c| &c.latency_s.p50, true),
    metric!("latency_p90_s", "90th percentile latency [s]", |c| c.latency_p90_s, |c| &c.latency_s.p90, true),
    metric!("latency_p95_s", "95th percentile latency [s]", |c| c.latency_p95_s, |c| &c.latency_s.p95, true),
    metric!("latency_p99_s", "99th percentile latency [s]", |c| c.latency_p99_s, |c| &c.latency_s.p99, true),
    metric!("latency_p999_s", "99.9th percentile latency [s]", |c| c.latency_p999_s, |c| &c.latency_s.p999, true),
    metric!("latency_max_s", "largest latency [s]", |c| c.latency_max_s, |c| &c.latency_s.max, false),
    metric!("error_ratio", "failed requests over finished ones", |c| c.error_ratio, |c| &c.error_ratio, true),
    metric!(
        "mean_in_system",
        "time-average requests in the system",
        |c| c.mean_in_system,
        |c| &c.mean_in_system,
        false
    ),
    metric!(
        "mean_sojourn_s",
        "mean time in the system of finished requests, failures included [s]",
        |c| c.mean_sojourn_s,
        |c| &c.mean_sojourn_s,
        false
    ),
    metric!("completed", "successful requests in the window", |c| c.completed as f64),
    metric!("failed", "failed requests in the window", |c| c.failed as f64),
];

/// What a latency column of a class without that latency estimates (a
/// design whose class does not publish): nothing, an empty cell.
const MISSING: Estimate = Estimate { value: f64::NAN, ci95: None, ci95_low: None, ci95_high: None };

/// The completion latency of a class that publishes (in some design, for a sweep).
pub(crate) const COMPLETION: &[Metric<ClassMetrics, ClassSummary>] = &[
    metric!(
        "completion_mean_s",
        "classes that publish: mean completion latency, arrival until the last message published on the request's behalf was processed [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.mean_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.mean),
        true
    ),
    metric!(
        "completion_p50_s",
        "median completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.p50_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.p50),
        true
    ),
    metric!(
        "completion_p90_s",
        "90th percentile completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.p90_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.p90),
        true
    ),
    metric!(
        "completion_p95_s",
        "95th percentile completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.p95_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.p95),
        true
    ),
    metric!(
        "completion_p99_s",
        "99th percentile completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.p99_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.p99),
        true
    ),
    metric!(
        "completion_p999_s",
        "99.9th percentile completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.p999_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.p999),
        true
    ),
    metric!(
        "completion_max_s",
        "largest completion latency [s]",
        |c| c.completion.as_ref().map_or(f64::NAN, |l| l.max_s),
        |c| c.completion_s.as_ref().map_or(&MISSING, |l| &l.max),
        false
    ),
];

/// The seen-done latency of a class whose publishes poll (in some design, for a sweep).
pub(crate) const SEEN_DONE: &[Metric<ClassMetrics, ClassSummary>] = &[
    metric!(
        "seen_done_mean_s",
        "publishes with `poll`: mean seen-done latency, arrival until the client's polls saw each polled message done [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.mean_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.mean),
        true
    ),
    metric!(
        "seen_done_p50_s",
        "median seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.p50_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.p50),
        true
    ),
    metric!(
        "seen_done_p90_s",
        "90th percentile seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.p90_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.p90),
        true
    ),
    metric!(
        "seen_done_p95_s",
        "95th percentile seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.p95_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.p95),
        true
    ),
    metric!(
        "seen_done_p99_s",
        "99th percentile seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.p99_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.p99),
        true
    ),
    metric!(
        "seen_done_p999_s",
        "99.9th percentile seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.p999_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.p999),
        true
    ),
    metric!(
        "seen_done_max_s",
        "largest seen-done latency [s]",
        |c| c.seen_done.as_ref().map_or(f64::NAN, |l| l.max_s),
        |c| c.seen_done_s.as_ref().map_or(&MISSING, |l| &l.max),
        false
    ),
];

/// A class's latency tables beyond the reply's: completion when
/// `publishes`, seen-done when `polls` (flags for a class across a sweep's designs).
pub(crate) fn async_tables(
    publishes: bool,
    polls: bool,
) -> impl Iterator<Item = &'static [Metric<ClassMetrics, ClassSummary>]> {
    [(publishes, COMPLETION), (polls, SEEN_DONE)].into_iter().filter(|(on, _)| *on).map(|(_, t)| t)
}

/// A service, over all its instances.
pub(crate) const SERVICE: &[Metric<ServiceMetrics, ServiceSummary>] = &[
    metric!(
        "utilisation",
        "busy share of the usable cores: min(threads, cores) per instance up",
        |s| s.utilisation,
        |s| &s.utilisation,
        true
    ),
    metric!(
        "paid_core_utilisation",
        "busy share of all the cores paid for (cores per billed instance), for cost",
        |s| s.paid_core_utilisation,
        |s| &s.paid_core_utilisation,
        true
    ),
    metric!(
        "thread_utilisation",
        "share of threads held (computing or waiting for calls)",
        |s| s.thread_utilisation,
        |s| &s.thread_utilisation,
        true
    ),
    metric!(
        "mean_queue_len",
        "time-average requests waiting for a thread",
        |s| s.mean_queue_len,
        |s| &s.mean_queue_len,
        true
    ),
    metric!("mean_wait_s", "mean wait for a thread [s]", |s| s.mean_wait_s, |s| &s.mean_wait_s, true),
    metric!(
        "mean_in_service",
        "time-average requests holding a thread",
        |s| s.mean_in_service,
        |s| &s.mean_in_service,
        false
    ),
    metric!("throughput_per_s", "requests served per second", |s| s.throughput_per_s, |s| &s.throughput_per_s, false),
    metric!("rejected_per_s", "requests turned away per second", |s| s.rejected_per_s, |s| &s.rejected_per_s, false),
    metric!("mean_instances", "time-average instances up", |s| s.mean_instances, |s| &s.mean_instances, true),
    metric!("mean_down", "time-average instances down", |s| s.mean_down, |s| &s.mean_down, false),
    metric!(
        "failures_per_hour",
        "instance failures per hour",
        |s| s.failures_per_hour,
        |s| &s.failures_per_hour,
        false
    ),
    metric!("prob_wait", "share of jobs that waited for a thread", |s| s.prob_wait, |s| &s.prob_wait, true),
    metric!("wait_p99_s", "99th percentile of the wait for a thread [s]", |s| s.wait_s.p99_s, |s| &s.wait_s.p99, true),
    metric!(
        "all_threads_busy",
        "share of time every thread of an instance is held",
        |s| s.all_busy,
        |s| &s.all_threads_busy,
        false
    ),
];

/// A service's CPU limit (`cpu_limit`): in `run --format csv` and runs.csv
/// when the service has one (in some design).
pub(crate) const CPU_LIMIT: &[Metric<ServiceMetrics, ServiceSummary>] = &[
    metric!(
        "cpu_throttled_periods",
        "CPU-limit periods in which the quota ran out, over periods with CPU work (nr_throttled / nr_periods)",
        |s| s.cpu_limit.as_ref().map_or(f64::NAN, |c| c.throttled_periods),
        |s| s.cpu_limit.as_ref().map_or(&MISSING, |c| &c.throttled_periods),
        false
    ),
    metric!(
        "cpu_throttled_time",
        "share of the instances' time throttled by the CPU limit",
        |s| s.cpu_limit.as_ref().map_or(f64::NAN, |c| c.throttled_time),
        |s| s.cpu_limit.as_ref().map_or(&MISSING, |c| &c.throttled_time),
        false
    ),
];

/// A service's stop-the-world pauses (`pauses`): in `run --format csv` and
/// runs.csv when the service has them (in some design).
pub(crate) const PAUSES: &[Metric<ServiceMetrics, ServiceSummary>] = &[
    metric!(
        "pauses_per_s",
        "stop-the-world pauses per second, all instances",
        |s| s.pauses.as_ref().map_or(f64::NAN, |p| p.pauses_per_s),
        |s| s.pauses.as_ref().map_or(&MISSING, |p| &p.pauses_per_s),
        false
    ),
    metric!(
        "paused_time",
        "share of the instances' time paused",
        |s| s.pauses.as_ref().map_or(f64::NAN, |p| p.paused_time),
        |s| s.pauses.as_ref().map_or(&MISSING, |p| &p.paused_time),
        false
    ),
];

/// A service's tables beyond `SERVICE`: CPU limit when `limited`, pauses
/// when `paused` (flags for a service across a sweep's designs).
pub(crate) fn platform_tables(
    limited: bool,
    paused: bool,
) -> impl Iterator<Item = &'static [Metric<ServiceMetrics, ServiceSummary>]> {
    [(limited, CPU_LIMIT), (paused, PAUSES)].into_iter().filter(|(on, _)| *on).map(|(_, t)| t)
}

/// A hedged call site: in `run --format csv` and runs.csv when the site is hedged (in some design).
pub(crate) const HEDGE: &[Metric<CallMetrics, CallSummary>] = &[
    metric!(
        "hedges_per_s",
        "second copies (hedges) sent per second",
        |c| c.hedge.as_ref().map_or(f64::NAN, |h| h.hedges_per_s),
        |c| c.hedge.as_ref().map_or(&MISSING, |h| &h.hedges_per_s),
        false
    ),
    metric!(
        "hedge_extra_load",
        "hedges per copy sent: the extra requests the callee serves",
        |c| c.hedge.as_ref().map_or(f64::NAN, |h| h.extra_load),
        |c| c.hedge.as_ref().map_or(&MISSING, |h| &h.extra_load),
        false
    ),
    metric!(
        "hedge_won",
        "share of hedges that replied first",
        |c| c.hedge.as_ref().map_or(f64::NAN, |h| h.won),
        |c| c.hedge.as_ref().map_or(&MISSING, |h| &h.won),
        false
    ),
    metric!(
        "hedge_cancelled_per_s",
        "losing copies cancelled per second",
        |c| c.hedge.as_ref().map_or(f64::NAN, |h| h.cancelled_per_s),
        |c| c.hedge.as_ref().map_or(&MISSING, |h| &h.cancelled_per_s),
        false
    ),
];

/// The hedge table for a call site if `hedged`.
pub(crate) fn hedge_tables(hedged: bool) -> impl Iterator<Item = &'static [Metric<CallMetrics, CallSummary>]> {
    hedged.then_some(HEDGE).into_iter()
}

/// A service's Kubernetes HPA: columns only for services with `hpa` (in
/// some design), after the service's; empty where a design has none.
pub(crate) const SCALING: &[Metric<ServiceMetrics, ServiceSummary>] = &[
    metric!(
        "scale_ups_per_hour",
        "HPA syncs that added replicas, per hour",
        |s| s.scaling.as_ref().map_or(f64::NAN, |x| x.scale_ups_per_hour),
        |s| s.scaling.as_ref().map_or(&MISSING, |x| &x.scale_ups_per_hour),
        true
    ),
    metric!(
        "scale_downs_per_hour",
        "HPA syncs that removed replicas, per hour",
        |s| s.scaling.as_ref().map_or(f64::NAN, |x| x.scale_downs_per_hour),
        |s| s.scaling.as_ref().map_or(&MISSING, |x| &x.scale_downs_per_hour),
        true
    ),
    metric!(
        "max_replicas",
        "most replicas the HPA asked for",
        |s| s.scaling.as_ref().map_or(f64::NAN, |x| x.max_replicas),
        |s| s.scaling.as_ref().map_or(&MISSING, |x| &x.max_replicas),
        true
    ),
];

/// A serverless service: columns only for services with `serverless`,
/// after the service's.
pub(crate) const SERVERLESS: &[Metric<ServiceMetrics, ServiceSummary>] = &[
    metric!(
        "cold_start_ratio",
        "share of requests that paid a cold start (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.cold_start_ratio),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.cold_start_ratio),
        true
    ),
    metric!(
        "mean_busy_instances",
        "time-average instances serving or starting for a request (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.mean_busy_instances),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.mean_busy_instances),
        true
    ),
    metric!(
        "mean_idle_instances",
        "time-average instances kept alive with no request (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.mean_idle_instances),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.mean_idle_instances),
        true
    ),
    metric!(
        "requests_per_s",
        "requests started per second (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.requests_per_s),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.requests_per_s),
        true
    ),
    metric!(
        "instance_starts_per_s",
        "instances started (whole cold starts) per second (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.instance_starts_per_s),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.instance_starts_per_s),
        true
    ),
    metric!(
        "requests_per_busy_instance",
        "time-average requests on a busy instance (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.requests_per_busy_instance),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.requests_per_busy_instance),
        true
    ),
    metric!(
        "gb_s_per_s",
        "GB-seconds billed per second: busy instances x memory (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.gb_s_per_s),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.gb_s_per_s),
        true
    ),
    metric!(
        "serverless_cost_per_hour",
        "requests and GB-seconds at their prices, dollars per hour (serverless)",
        |s| s.serverless.as_ref().map_or(f64::NAN, |x| x.cost_per_hour),
        |s| s.serverless.as_ref().map_or(&MISSING, |x| &x.cost_per_hour),
        true
    ),
];

/// A connection pool, over all its instances.
pub(crate) const POOL: &[Metric<PoolMetrics, PoolSummary>] = &[
    metric!("utilisation", "share of connections held", |p| p.utilisation, |p| &p.utilisation, true),
    metric!("exhausted", "share of time with every connection held", |p| p.exhausted, |p| &p.exhausted, true),
    metric!("mean_wait_s", "mean wait for a connection [s]", |p| p.mean_wait_s, |p| &p.mean_wait_s, true),
    metric!(
        "timeouts_per_s",
        "waits for a connection that timed out, per second",
        |p| p.timeouts_per_s,
        |p| &p.timeouts_per_s,
        true
    ),
    metric!("prob_wait", "share of requests for a connection that waited", |p| p.prob_wait, |p| &p.prob_wait, true),
    metric!(
        "wait_p99_s",
        "99th percentile of the wait for a connection [s]",
        |p| p.wait_s.p99_s,
        |p| &p.wait_s.p99,
        true
    ),
];

/// A cache.
pub(crate) const CACHE: &[Metric<CacheMetrics, CacheSummary>] = &[
    metric!("hit_ratio", "reads served from the cache", |c| c.hit_ratio, |c| &c.hit_ratio, true),
    metric!(
        "stale_ratio",
        "reads served a value older than the latest write",
        |c| c.stale_ratio,
        |c| &c.stale_ratio,
        true
    ),
    metric!("reads_per_s", "reads per second", |c| c.reads_per_s, |c| &c.reads_per_s, true),
    metric!("misses_per_s", "misses per second", |c| c.misses_per_s, |c| &c.misses_per_s, true),
    metric!("writes_per_s", "writes per second", |c| c.writes_per_s, |c| &c.writes_per_s, true),
];

/// A replicated database.
pub(crate) const DATABASE: &[Metric<DatabaseMetrics, DatabaseSummary>] = &[
    metric!("stale_ratio", "replica reads that missed the latest write", |d| d.stale_ratio, |d| &d.stale_ratio, true),
    metric!("reads_per_s", "reads per second", |d| d.reads_per_s, |d| &d.reads_per_s, true),
    metric!("writes_per_s", "writes per second", |d| d.writes_per_s, |d| &d.writes_per_s, true),
];

/// A call with a timeout, retries or a breaker.
pub(crate) const CALL: &[Metric<CallMetrics, CallSummary>] = &[
    metric!(
        "attempts_per_s",
        "attempts sent per second, retries included",
        |c| c.attempts_per_s,
        |c| &c.attempts_per_s,
        true
    ),
    metric!("retries_per_s", "retries per second", |c| c.retries_per_s, |c| &c.retries_per_s, true),
    metric!("timeouts_per_s", "attempts that timed out, per second", |c| c.timeouts_per_s, |c| &c.timeouts_per_s, true),
    metric!(
        "short_circuited_per_s",
        "calls refused by an open breaker, per second",
        |c| c.short_circuited_per_s,
        |c| &c.short_circuited_per_s,
        true
    ),
    metric!("breaker_opens", "times the breaker opened", |c| c.breaker_opens, |c| &c.breaker_opens, true),
    metric!("breaker_open", "share of time the breaker was open", |c| c.breaker_open, |c| &c.breaker_open, true),
];

/// A message queue.
pub(crate) const QUEUE: &[Metric<QueueMetrics, QueueSummary>] = &[
    metric!("published_per_s", "messages published per second", |q| q.published_per_s, |q| &q.published_per_s, true),
    metric!(
        "refused_per_s",
        "messages refused by a full queue, per second",
        |q| q.refused_per_s,
        |q| &q.refused_per_s,
        true
    ),
    metric!("consumed_per_s", "messages processed per second", |q| q.consumed_per_s, |q| &q.consumed_per_s, true),
    metric!(
        "failed_per_s",
        "messages whose processing failed, per second",
        |q| q.failed_per_s,
        |q| &q.failed_per_s,
        true
    ),
    metric!("mean_depth", "time-average messages waiting", |q| q.mean_depth, |q| &q.mean_depth, true),
    metric!("mean_wait_s", "mean wait of a message for a consumer [s]", |q| q.mean_wait_s, |q| &q.mean_wait_s, true),
    metric!(
        "latency_mean_s",
        "mean time from publish to processed [s]",
        |q| q.latency_mean_s,
        |q| &q.latency_mean_s,
        true
    ),
    metric!(
        "latency_p50_s",
        "median time from publish to processed [s]",
        |q| q.latency_p50_s,
        |q| &q.latency_p50_s,
        true
    ),
    metric!(
        "latency_p99_s",
        "99th percentile time from publish to processed [s]",
        |q| q.latency_p99_s,
        |q| &q.latency_p99_s,
        true
    ),
    metric!("polls_per_message", "status polls per message", |q| q.polls_per_message, |q| &q.polls_per_message, true),
    metric!(
        "seen_done_s",
        "mean time from publish until a poll sees the message done [s]",
        |q| q.seen_done_s,
        |q| &q.seen_done_s,
        true
    ),
];

/// The recovery question's columns (`simulation.recovery`), in a sweep
/// whose model asks it in some design: runs.csv has the run's answer after
/// `cost_per_million`, summary.csv the point's after `cost_per_hour`; empty
/// in a design without the question. (`capsim run` answers it in its JSON.)
/// Each is (name, meaning, in runs.csv, in summary.csv).
pub(crate) const RECOVERY: [(&str, &str, bool, bool); 3] = [
    (
        "recovered",
        "1 if the run came back after its trigger (`simulation.recovery`), 0 if it stayed degraded",
        true,
        false,
    ),
    ("recovered_share", "replications that came back after the trigger, over the replications run", false, true),
    (
        "recovery_time_s",
        "time from the trigger's end to recovery (summary: mean over the replications that recovered) [s]; empty if none did",
        true,
        true,
    ),
];

/// Names of the recovery columns of runs.csv (`runs`) or summary.csv.
pub(crate) fn recovery_names(runs: bool) -> impl Iterator<Item = &'static str> {
    RECOVERY.iter().filter(move |c| if runs { c.2 } else { c.3 }).map(|c| c.0)
}

/// A run's recovery values, in [`recovery_names`] order; NaN (an empty cell) without an answer.
pub(crate) fn recovery_run_values(r: Option<&super::RunRecovery>) -> [f64; 2] {
    match r {
        Some(r) => [if r.after_s.is_some() { 1.0 } else { 0.0 }, r.after_s.unwrap_or(f64::NAN)],
        None => [f64::NAN; 2],
    }
}

/// A point's recovery values, in [`recovery_names`] order; NaN (an empty cell) without an answer.
pub(crate) fn recovery_summary_values(r: Option<&super::RecoverySummary>) -> [f64; 2] {
    match r {
        Some(r) => [f64::from(r.recovered) / f64::from(r.replications), r.recovery_s],
        None => [f64::NAN; 2],
    }
}

/// (name, value) of every metric of one run, in table order (runs.csv).
pub(crate) fn run_values<R, S>(table: &[Metric<R, S>], run: &R) -> Vec<(&'static str, f64)> {
    table.iter().map(|m| (m.name, (m.run)(run))).collect()
}

/// Column names of every metric of one run, in table order (runs.csv's header).
pub(crate) fn run_names<R, S>(table: &[Metric<R, S>]) -> impl Iterator<Item = &'static str> + '_ {
    table.iter().map(|m| m.name)
}

/// (name, estimate) of the estimated metrics, in table order: all of them
/// (`run --format csv`), or those in `summary.csv`.
pub(crate) fn estimates<'s, R, S>(
    table: &[Metric<R, S>],
    summary: &'s S,
    summary_csv_only: bool,
) -> Vec<(&'static str, &'s Estimate)> {
    table
        .iter()
        .filter(|m| m.in_summary_csv || !summary_csv_only)
        .filter_map(|m| m.estimate.map(|get| (m.name, get(summary))))
        .collect()
}

/// The column list of `docs/output.md`, made from the tables.
pub fn markdown() -> String {
    fn section<R, S>(out: &mut String, scope: &str, table: &[Metric<R, S>]) {
        for m in table {
            let files = match (m.estimate.is_some(), m.in_summary_csv) {
                (true, true) => "runs, summary, run",
                (true, false) => "runs, run",
                (false, _) => "runs",
            };
            out.push_str(&format!("| `{scope}.NAME.{}` | {} | {files} |\n", m.name, m.meaning));
        }
    }
    let mut out = String::from("| column | meaning | in |\n| --- | --- | --- |\n");
    section(&mut out, "class", CLASS);
    out.push_str("| `class.NAME.errors_CAUSE` | failed requests of each cause over finished ones | runs, run |\n");
    section(&mut out, "class", COMPLETION);
    section(&mut out, "class", SEEN_DONE);
    section(&mut out, "service", SERVICE);
    section(&mut out, "service", CPU_LIMIT);
    section(&mut out, "service", PAUSES);
    section(&mut out, "service", SCALING);
    section(&mut out, "service", SERVERLESS);
    section(&mut out, "pool", POOL);
    section(&mut out, "cache", CACHE);
    section(&mut out, "database", DATABASE);
    section(&mut out, "call", CALL);
    section(&mut out, "call", HEDGE);
    section(&mut out, "queue", QUEUE);
    for (name, meaning, runs, summary) in RECOVERY {
        let files = [(runs, "runs"), (summary, "summary")].iter().filter(|f| f.0).map(|f| f.1).collect::<Vec<_>>();
        out.push_str(&format!("| `{name}` | {meaning} | {} |\n", files.join(", ")));
    }
    out
}
