//! Which metrics become CSV columns, and in what order. One list per section
//! gives both the header and the values: `*_run` for one run (`runs.csv`),
//! `*_summary` for a point's estimates with their intervals (`summary.csv`).

use crate::stats::{
    CacheMetrics, CallMetrics, ClassMetrics, DatabaseMetrics, Estimate, PoolMetrics, QueueMetrics, ServiceMetrics,
};
use crate::stats::{
    CacheSummary, CallSummary, ClassSummary, DatabaseSummary, PoolSummary, QueueSummary, ServiceSummary,
};

pub(crate) fn class_run(c: &ClassMetrics) -> [(&'static str, f64); 13] {
    [
        ("throughput_per_s", c.throughput_per_s),
        ("latency_mean_s", c.latency_mean_s),
        ("latency_p50_s", c.latency_p50_s),
        ("latency_p90_s", c.latency_p90_s),
        ("latency_p95_s", c.latency_p95_s),
        ("latency_p99_s", c.latency_p99_s),
        ("latency_p999_s", c.latency_p999_s),
        ("latency_max_s", c.latency_max_s),
        ("error_ratio", c.error_ratio),
        ("mean_in_system", c.mean_in_system),
        ("mean_sojourn_s", c.mean_sojourn_s),
        ("completed", c.completed as f64),
        ("failed", c.failed as f64),
    ]
}

pub(crate) fn service_run(s: &ServiceMetrics) -> [(&'static str, f64); 10] {
    [
        ("utilisation", s.utilisation),
        ("thread_utilisation", s.thread_utilisation),
        ("mean_queue_len", s.mean_queue_len),
        ("mean_wait_s", s.mean_wait_s),
        ("mean_in_service", s.mean_in_service),
        ("throughput_per_s", s.throughput_per_s),
        ("rejected_per_s", s.rejected_per_s),
        ("mean_instances", s.mean_instances),
        ("mean_down", s.mean_down),
        ("failures_per_hour", s.failures_per_hour),
    ]
}

pub(crate) fn pool_run(p: &PoolMetrics) -> [(&'static str, f64); 4] {
    [
        ("utilisation", p.utilisation),
        ("exhausted", p.exhausted),
        ("mean_wait_s", p.mean_wait_s),
        ("timeouts_per_s", p.timeouts_per_s),
    ]
}

pub(crate) fn cache_run(c: &CacheMetrics) -> [(&'static str, f64); 5] {
    [
        ("hit_ratio", c.hit_ratio),
        ("stale_ratio", c.stale_ratio),
        ("reads_per_s", c.reads_per_s),
        ("misses_per_s", c.misses_per_s),
        ("writes_per_s", c.writes_per_s),
    ]
}

pub(crate) fn database_run(d: &DatabaseMetrics) -> [(&'static str, f64); 3] {
    [("stale_ratio", d.stale_ratio), ("reads_per_s", d.reads_per_s), ("writes_per_s", d.writes_per_s)]
}

pub(crate) fn call_run(c: &CallMetrics) -> [(&'static str, f64); 6] {
    [
        ("attempts_per_s", c.attempts_per_s),
        ("retries_per_s", c.retries_per_s),
        ("timeouts_per_s", c.timeouts_per_s),
        ("short_circuited_per_s", c.short_circuited_per_s),
        ("breaker_opens", c.breaker_opens),
        ("breaker_open", c.breaker_open),
    ]
}

pub(crate) fn queue_run(q: &QueueMetrics) -> [(&'static str, f64); 11] {
    [
        ("published_per_s", q.published_per_s),
        ("refused_per_s", q.refused_per_s),
        ("consumed_per_s", q.consumed_per_s),
        ("failed_per_s", q.failed_per_s),
        ("mean_depth", q.mean_depth),
        ("mean_wait_s", q.mean_wait_s),
        ("latency_mean_s", q.latency_mean_s),
        ("latency_p50_s", q.latency_p50_s),
        ("latency_p99_s", q.latency_p99_s),
        ("polls_per_message", q.polls_per_message),
        ("seen_done_s", q.seen_done_s),
    ]
}

pub(crate) fn class_summary(c: &ClassSummary) -> [(&'static str, &Estimate); 8] {
    let l = &c.latency_s;
    [
        ("throughput_per_s", &c.throughput_per_s),
        ("latency_mean_s", &l.mean),
        ("latency_p50_s", &l.p50),
        ("latency_p90_s", &l.p90),
        ("latency_p95_s", &l.p95),
        ("latency_p99_s", &l.p99),
        ("latency_p999_s", &l.p999),
        ("error_ratio", &c.error_ratio),
    ]
}

pub(crate) fn service_summary(s: &ServiceSummary) -> [(&'static str, &Estimate); 5] {
    [
        ("utilisation", &s.utilisation),
        ("thread_utilisation", &s.thread_utilisation),
        ("mean_queue_len", &s.mean_queue_len),
        ("mean_wait_s", &s.mean_wait_s),
        ("mean_instances", &s.mean_instances),
    ]
}

pub(crate) fn pool_summary(p: &PoolSummary) -> [(&'static str, &Estimate); 4] {
    [
        ("utilisation", &p.utilisation),
        ("exhausted", &p.exhausted),
        ("mean_wait_s", &p.mean_wait_s),
        ("timeouts_per_s", &p.timeouts_per_s),
    ]
}

pub(crate) fn cache_summary(c: &CacheSummary) -> [(&'static str, &Estimate); 5] {
    [
        ("hit_ratio", &c.hit_ratio),
        ("stale_ratio", &c.stale_ratio),
        ("reads_per_s", &c.reads_per_s),
        ("misses_per_s", &c.misses_per_s),
        ("writes_per_s", &c.writes_per_s),
    ]
}

pub(crate) fn database_summary(d: &DatabaseSummary) -> [(&'static str, &Estimate); 3] {
    [("stale_ratio", &d.stale_ratio), ("reads_per_s", &d.reads_per_s), ("writes_per_s", &d.writes_per_s)]
}

pub(crate) fn call_summary(c: &CallSummary) -> [(&'static str, &Estimate); 6] {
    [
        ("attempts_per_s", &c.attempts_per_s),
        ("retries_per_s", &c.retries_per_s),
        ("timeouts_per_s", &c.timeouts_per_s),
        ("short_circuited_per_s", &c.short_circuited_per_s),
        ("breaker_opens", &c.breaker_opens),
        ("breaker_open", &c.breaker_open),
    ]
}

pub(crate) fn queue_summary(q: &QueueSummary) -> [(&'static str, &Estimate); 11] {
    [
        ("published_per_s", &q.published_per_s),
        ("refused_per_s", &q.refused_per_s),
        ("consumed_per_s", &q.consumed_per_s),
        ("failed_per_s", &q.failed_per_s),
        ("mean_depth", &q.mean_depth),
        ("mean_wait_s", &q.mean_wait_s),
        ("latency_mean_s", &q.latency_mean_s),
        ("latency_p50_s", &q.latency_p50_s),
        ("latency_p99_s", &q.latency_p99_s),
        ("polls_per_message", &q.polls_per_message),
        ("seen_done_s", &q.seen_done_s),
    ]
}
