//! From replications to a [`Summary`]: estimates across replications,
//! costs, and the warnings a reader needs (a tail too rare to estimate, a
//! queue still growing).

use super::sketch::widened_by_sections;
use super::summary::{
    CacheSummary, CallSummary, ClassAtServiceSummary, ClassKind, ClassSummary, CostSummary, DatabaseSummary, Latency,
    OperationSummary, PoolSummary, QueueSummary, ServiceSummary, Summary,
};
use super::{DurationMetrics, ErrorCause, Estimate, LatencyMetrics, Pooled, RunMetrics};
use crate::model::{self, Arrivals, DEADLOCK_WARNING, Network};
use crate::policy::Discipline;

fn est(runs: &[RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> Estimate {
    let samples: Vec<f64> = runs.iter().map(f).collect();
    Estimate::from_samples(&samples)
}

/// Combines replications into a summary.
pub fn summarise(net: &Network, runs: &[RunMetrics]) -> Summary {
    let latencies: Vec<(Latency, Option<f64>)> = (0..net.classes.len())
        .map(|c| latency(runs, |r| Some(r.classes[c].reply())).expect("every class has a reply latency"))
        .collect();
    let classes = classes(net, runs, &latencies);
    let services = services(net, runs);
    let per_hour = services.iter().map(|s| s.cost_per_hour).sum();
    let cost = CostSummary { per_hour, per_million_requests: est(runs, |r| r.cost_per_million) };
    let tails: Vec<Option<f64>> = latencies.iter().map(|l| l.1).collect();
    let warnings = warnings(net, runs, &classes, &services, &tails);
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
        operations: operations(net, runs),
        pools: pools(net, runs),
        caches: caches(net, runs),
        databases: databases(net, runs),
        calls: calls(net, runs),
        queues: queues(net, runs),
        series: None,
        recovery: None,
        cost,
        warnings,
    }
}

/// Per request class.
fn classes(net: &Network, runs: &[RunMetrics], latencies: &[(Latency, Option<f64>)]) -> Vec<ClassSummary> {
    net.classes
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
                latency_s: latencies[c].0.clone(),
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
                completion_s: latency(runs, |r| r.classes[c].completion.clone()).map(|l| l.0),
                seen_done_s: latency(runs, |r| r.classes[c].seen_done.clone()).map(|l| l.0),
            }
        })
        .collect()
}

/// One latency's estimates across replications, from each run's statistics
/// (`pick`); `None` when the runs do not measure it. Reply, completion and
/// seen-done latencies are all built here, the same way: the mean averaged
/// over replications, the largest of them all, the percentiles pooled (see
/// `sketch`); with the independent latencies the replications are worth
/// beyond the p99.
fn latency(
    runs: &[RunMetrics],
    pick: impl Fn(&RunMetrics) -> Option<LatencyMetrics>,
) -> Option<(Latency, Option<f64>)> {
    let per_run: Vec<LatencyMetrics> = runs.iter().map(pick).collect::<Option<_>>()?;
    let m = |f: fn(&LatencyMetrics) -> f64| Estimate::from_samples(&per_run.iter().map(f).collect::<Vec<_>>());
    let pooled = Pooled::new(per_run.iter().map(|r| &r.sketch).collect());
    let p99 = pooled.percentile(0.99);
    let at = |q: f64, estimate: Option<Estimate>, f: fn(&LatencyMetrics) -> f64| {
        let per_replication: Vec<f64> = per_run.iter().map(f).collect();
        widened_by_sections(estimate.unwrap_or_else(|| pooled.percentile(q).estimate), &per_replication)
    };
    let latency = Latency {
        mean: m(|x| x.mean_s),
        p50: at(0.5, None, |x| x.p50_s),
        p90: at(0.9, None, |x| x.p90_s),
        p95: at(0.95, None, |x| x.p95_s),
        p99: at(0.99, Some(p99.estimate), |x| x.p99_s),
        p999: at(0.999, None, |x| x.p999_s),
        max: Estimate::exact(per_run.iter().map(|x| x.max_s).filter(|x| !x.is_nan()).fold(f64::NAN, f64::max)),
    };
    Some((latency, p99.effective_samples.map(|n| n * (1.0 - 0.99))))
}

/// A wait's or residence's estimates across replications, from each run's
/// statistics (`pick`): each the mean of the replications that measured
/// any, with a Student-t interval; the largest of them all.
fn durations(runs: &[RunMetrics], pick: impl Fn(&RunMetrics) -> &DurationMetrics) -> Latency {
    let measured: Vec<&DurationMetrics> = runs.iter().map(pick).filter(|d| d.count > 0).collect();
    let m = |f: fn(&DurationMetrics) -> f64| Estimate::from_samples(&measured.iter().map(|d| f(d)).collect::<Vec<_>>());
    if measured.is_empty() {
        let none = Estimate::exact(f64::NAN);
        return Latency { mean: none, p50: none, p90: none, p95: none, p99: none, p999: none, max: none };
    }
    Latency {
        mean: m(|d| d.mean_s),
        p50: m(|d| d.p50_s),
        p90: m(|d| d.p90_s),
        p95: m(|d| d.p95_s),
        p99: m(|d| d.p99_s),
        p999: m(|d| d.p999_s),
        max: Estimate::exact(measured.iter().map(|d| d.max_s).fold(f64::NAN, f64::max)),
    }
}

/// Whether any request of class `c` visits an operation of service `s`.
fn reaches(net: &Network, c: usize, s: usize) -> bool {
    net.services[s].ops.clone().any(|o| net.visits[c][o as usize] > 0.0)
}

/// Per operation.
fn operations(net: &Network, runs: &[RunMetrics]) -> Vec<OperationSummary> {
    net.ops
        .iter()
        .enumerate()
        .map(|(o, op)| OperationSummary {
            name: op.name.clone(),
            throughput_per_s: est(runs, |r| r.ops[o].throughput_per_s),
            residence_s: durations(runs, |r| &r.ops[o].residence_s),
        })
        .collect()
}

/// Per service.
fn services(net: &Network, runs: &[RunMetrics]) -> Vec<ServiceSummary> {
    let offered = model::offered_cpu_load(net);
    net.services
        .iter()
        .enumerate()
        .map(|(s, svc)| {
            let m = |f: fn(&crate::stats::ServiceMetrics) -> f64| est(runs, move |r| f(&r.services[s]));
            let (cpu_limit, pauses) = super::platform::summaries(svc, s, runs);
            ServiceSummary {
                name: svc.name.clone(),
                instances: svc.instances,
                threads: svc.threads,
                cores: svc.cores,
                speed: svc.speed,
                utilisation: m(|x| x.utilisation),
                paid_core_utilisation: m(|x| x.paid_core_utilisation),
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
                prob_wait: m(|x| x.prob_wait),
                wait_s: durations(runs, |r| &r.services[s].wait_s),
                all_threads_busy: m(|x| x.all_busy),
                preempted_per_s: (svc.discipline == Discipline::PriorityPreemptive).then(|| m(|x| x.preempted_per_s)),
                cpu_limit,
                pauses,
                scaling: svc.autoscale.as_ref().is_some_and(|a| a.hpa.is_some()).then(|| {
                    let sc = |f: fn(&super::ScalingMetrics) -> f64| {
                        est(runs, move |r| r.services[s].scaling.as_ref().map_or(f64::NAN, f))
                    };
                    super::ScalingSummary {
                        scale_ups_per_hour: sc(|x| x.scale_ups_per_hour),
                        scale_downs_per_hour: sc(|x| x.scale_downs_per_hour),
                        max_replicas: sc(|x| x.max_replicas),
                    }
                }),
                serverless: svc.serverless.as_ref().map(|_| {
                    let sv = |f: fn(&super::ServerlessMetrics) -> f64| {
                        est(runs, move |r| r.services[s].serverless.as_ref().map_or(f64::NAN, f))
                    };
                    super::ServerlessSummary {
                        cold_start_ratio: sv(|x| x.cold_start_ratio),
                        mean_busy_instances: sv(|x| x.mean_busy_instances),
                        mean_idle_instances: sv(|x| x.mean_idle_instances),
                        requests_per_s: sv(|x| x.requests_per_s),
                        instance_starts_per_s: sv(|x| x.instance_starts_per_s),
                        requests_per_busy_instance: sv(|x| x.requests_per_busy_instance),
                        gb_s_per_s: sv(|x| x.gb_s_per_s),
                        cost_per_hour: sv(|x| x.cost_per_hour),
                    }
                }),
                classes: net
                    .classes
                    .iter()
                    .enumerate()
                    .filter(|&(c, _)| reaches(net, c, s))
                    .map(|(c, class)| ClassAtServiceSummary {
                        name: class.name.clone(),
                        prob_wait: est(runs, |r| r.services[s].classes[c].prob_wait),
                        wait_s: durations(runs, |r| &r.services[s].classes[c].wait_s),
                        throughput_per_s: est(runs, |r| r.services[s].classes[c].throughput_per_s),
                        held_s: est(runs, |r| r.services[s].classes[c].held_mean_s),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Per connection pool.
fn pools(net: &Network, runs: &[RunMetrics]) -> Vec<PoolSummary> {
    net.pools
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
                prob_wait: m(|x| x.prob_wait),
                acquired_per_s: m(|x| x.acquired_per_s),
                wait_s: durations(runs, |r| &r.pools[p].wait_s),
                timeouts_per_s: m(|x| x.timeouts_per_s),
            }
        })
        .collect()
}

/// Per cache.
fn caches(net: &Network, runs: &[RunMetrics]) -> Vec<CacheSummary> {
    net.caches
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
        .collect()
}

/// Per replicated database.
fn databases(net: &Network, runs: &[RunMetrics]) -> Vec<DatabaseSummary> {
    net.databases
        .iter()
        .enumerate()
        .map(|(i, db)| {
            let m = |f: fn(&crate::stats::DatabaseMetrics) -> f64| est(runs, move |r| f(&r.databases[i]));
            DatabaseSummary {
                name: db.name.clone(),
                stale_ratio: m(|x| x.stale_ratio),
                reads_per_s: m(|x| x.reads_per_s),
                writes_per_s: m(|x| x.writes_per_s),
                primary_reads_per_s: (db.primary_read_op != crate::model::NONE)
                    .then(|| m(|x| x.primary_reads_per_s.unwrap_or(0.0))),
                stale_ratio_all: (db.primary_read_op != crate::model::NONE)
                    .then(|| m(|x| x.stale_ratio_all.unwrap_or(0.0))),
            }
        })
        .collect()
}

/// Per guarded call.
fn calls(net: &Network, runs: &[RunMetrics]) -> Vec<CallSummary> {
    net.guarded
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
                hedge: net
                    .hedges
                    .get(net.calls[g.call as usize].hedge as usize)
                    .map(|h| super::hedge::summary(h, i, runs)),
            }
        })
        .collect()
}

/// Per message queue.
fn queues(net: &Network, runs: &[RunMetrics]) -> Vec<QueueSummary> {
    net.queues
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
                backlog_growing: backlog_grew(net, runs, i).is_some(),
            }
        })
        .collect()
}

/// The model's warnings, and what the runs show: a cap reached, a saturated
/// service, a replication stopped early, a queue still growing, a tail too
/// rare to estimate.
fn warnings(
    net: &Network,
    runs: &[RunMetrics],
    classes: &[ClassSummary],
    services: &[ServiceSummary],
    tails: &[Option<f64>],
) -> Vec<String> {
    let mut warnings = net.warnings.clone();
    let capped: Vec<f64> = runs.iter().filter_map(|r| r.cap_hit_at_s).collect();
    if let Some(first) = capped.iter().copied().reduce(f64::min) {
        warnings.push(format!(
            "max_in_flight ({}) was reached in {} of {} replication(s), first at t = {}: arrivals beyond it failed as `in_flight_cap`, so latency is understated. The system cannot keep up; see the utilisation column",
            net.settings.max_in_flight,
            capped.len(),
            runs.len(),
            crate::format::format_duration(first)
        ));
    }
    for (i, s) in services.iter().enumerate() {
        if s.utilisation.value >= 0.98 && !warnings.iter().any(|w| w.contains(&format!("`{}`", s.name))) {
            warnings.push(saturated(net, i, s.utilisation.value));
        }
    }

    for (r, run) in runs.iter().enumerate() {
        if let Some(reason) = &run.stopped {
            warnings
                .push(format!("replication {r} stopped early: {reason}; its numbers cover only the time simulated"));
        }
    }
    // Threads all held while the CPU idles, in a model whose calls can
    // cycle: a deadlock. Then the growing queue and the missing tail are
    // its symptoms, not saturation or a short run.
    let stuck: Vec<String> = services
        .iter()
        .filter(|s| s.thread_utilisation.value >= 0.99 && s.utilisation.value < 0.05)
        .map(|s| format!("`{}`", s.name))
        .collect();
    let may_deadlock = net.warnings.iter().any(|w| w.starts_with(DEADLOCK_WARNING));
    if may_deadlock && !stuck.is_empty() {
        warnings.push(format!(
            "deadlocked: every thread of {} was held waiting on calls while the CPU stayed idle, so requests pile up and almost none complete. This is the call cycle above, not a saturated service",
            stuck.join(" and ")
        ));
        return warnings;
    }
    warnings.extend(growing_queue_warning(net, runs));
    warnings.extend(growing_backlog_warnings(net, runs));
    for (i, (class, c)) in net.classes.iter().zip(classes).enumerate() {
        if !class.polling
            && let Some(w) = tail_warning(c, tails[i], runs.len(), net.settings.duration)
        {
            warnings.push(w);
        }
    }
    warnings
}

/// Independent requests' worth beyond the p99 below which it is called
/// rough, when replications measure that worth: the p99's 95% interval is
/// then wider than about +-13%, and with only a few its coverage suffers too
/// (M/M/1 at utilisation 0.95 with 5 replications of 20,000 s: about 2, and
/// 84% coverage). See docs/output.md.
pub const EFFECTIVE_TAIL_SAMPLES: f64 = 25.0;

/// Requests beyond the p99 below which it is called rough with one
/// replication, which cannot measure their correlation.
pub const RAW_TAIL_SAMPLES: f64 = 100.0;

/// A warning when the p99 of `class` rests on too few requests beyond it:
/// with replications the effective number `beyond` (from how much they
/// disagree, see `sketch`), in which correlated requests count for less,
/// which is what makes a short run's tail at high utilisation
/// untrustworthy however many requests it saw; with one replication the raw
/// count. It names the observation time that would be enough (the
/// effective count grows in proportion to it).
fn tail_warning(
    class: &ClassSummary,
    beyond: Option<f64>,
    replications: usize,
    duration: Option<f64>,
) -> Option<String> {
    let p99 = &class.latency_s.p99;
    let per_replication = class.completed as f64 / replications.max(1) as f64;
    if per_replication <= 0.0 {
        return None;
    }
    let (beyond, enough, basis) = match beyond {
        Some(b) => {
            (b, EFFECTIVE_TAIL_SAMPLES, "independent requests' worth (judged by how much the replications disagree)")
        }
        None if replications > 1 => return None,
        None => (
            per_replication * 0.01,
            RAW_TAIL_SAMPLES,
            "requests (one replication: run 2 or more to measure their correlation and the interval)",
        ),
    };
    if beyond >= enough {
        return None;
    }
    let factor = enough / beyond.max(1e-9);
    let fmt = crate::format::format_duration;
    let interval = if p99.is_asymmetric() {
        format!(", 95% interval {} to {}", fmt(p99.low()), fmt(p99.high()))
    } else {
        String::new()
    };
    let times = crate::format::sig3(factor);
    let longer = match duration {
        Some(d) => format!(
            "simulation.duration = \"{}s\" (or {times}x the replications)",
            crate::format::round_up_sig2(d * factor)
        ),
        None => format!("{times}x the replications"),
    };
    Some(format!(
        "class `{}`: its p99 ({}{interval}) rests on about {beyond:.0} {basis} beyond it, fewer than {enough:.0}: a rough estimate, which may still sit below the truth. About {times}x the observed time would be enough: {longer}",
        class.name,
        fmt(p99.value),
    ))
}

/// A warning when the requests in the system grew from the window's first
/// half to its second: a queue still growing (non-stationary), whose means
/// depend on the run's length. Time-varying workloads are left out (their
/// load changes by design).
fn growing_queue_warning(net: &Network, runs: &[RunMetrics]) -> Option<String> {
    if varies_by_design(net) {
        return None;
    }
    let halves: Vec<(f64, f64)> = runs.iter().map(|r| r.halves_in_system).collect::<Option<_>>()?;
    let (first, second) = grew(&halves)?;
    Some(format!(
        "the requests in the system grew from {first:.1} on average in the first half of the window to {second:.1} in the second: a queue is still growing, so the run is not in steady state and its means depend on its length. Check the utilisation column (a saturated service), or use simulation.warmup = \"auto\" and a longer run"
    ))
}

/// A warning per message queue whose backlog grew through the window: its
/// consumers do not keep up, and an SLO fails.
fn growing_backlog_warnings(net: &Network, runs: &[RunMetrics]) -> Vec<String> {
    net.queues
        .iter()
        .enumerate()
        .filter_map(|(i, q)| {
            let (first, second) = backlog_grew(net, runs, i)?;
            Some(format!(
                "queue `{}`: its backlog grew from {first:.1} messages on average in the first half of the window to {second:.1} in the second: its consumers do not keep up, so the work published to it finishes ever later (and fails any SLO). Add consumers, or check the consumer service's utilisation",
                q.name
            ))
        })
        .collect()
}

/// Queue `i`'s mean backlog in the first and the second half of the window
/// when it grew (see [`grew`]); `None` also when a run did not reach its end
/// or the load varies by design.
fn backlog_grew(net: &Network, runs: &[RunMetrics], i: usize) -> Option<(f64, f64)> {
    if varies_by_design(net) {
        return None;
    }
    grew(&runs.iter().map(|r| r.queues[i].halves_depth).collect::<Option<Vec<_>>>()?)
}

/// Whether a workload's load changes over time by design (a rate curve,
/// bursts or a replayed trace), so that growth is no sign of overload.
fn varies_by_design(net: &Network) -> bool {
    net.classes.iter().any(|c| c.modulation.is_some() || c.trace.is_some())
}

/// The mean level in the first and the second half of the window when it
/// grew from one to the other, clear of its noise (per-replication halves).
fn grew(halves: &[(f64, f64)]) -> Option<(f64, f64)> {
    if halves.is_empty() {
        return None;
    }
    let first = Estimate::from_samples(&halves.iter().map(|h| h.0).collect::<Vec<_>>()).value;
    let diffs = Estimate::from_samples(&halves.iter().map(|h| h.1 - h.0).collect::<Vec<_>>());
    let second = first + diffs.value;
    // With replications, the growth must stand clear of its own noise.
    let significant = diffs.ci95.is_none_or(|ci| diffs.value > 1.5 * ci);
    let (ratio, grew) = if halves.len() > 1 { (1.2, 1.0) } else { (1.5, 2.0) };
    (second >= ratio * first && diffs.value >= grew && significant).then_some((first, second))
}

/// What a service busy nearly all the time means, by what bounds its queue:
/// a queue limit turns the excess away, a closed workload's users bound it
/// (adding users adds waiting, not throughput), else it may still grow.
fn saturated(net: &Network, service: usize, utilisation: f64) -> String {
    let s = &net.services[service];
    let pct = utilisation * 100.0;
    let reached_by = |c: usize| s.ops.clone().any(|o| net.visits[c][o as usize] > 0.0);
    let open = net
        .classes
        .iter()
        .enumerate()
        .any(|(c, class)| reached_by(c) && matches!(class.arrivals, Arrivals::Open { .. }));
    if s.queue_limit == 0 {
        format!(
            "service `{}` ran at {pct:.1}% CPU utilisation with no queue (queue_limit = 0): arrivals that find every thread busy are turned away, and its rejected_per_s counts them",
            s.name
        )
    } else if s.queue_limit != u32::MAX {
        format!(
            "service `{}` ran at {pct:.1}% CPU utilisation: it is saturated, and arrivals beyond its queue limit of {} per instance are turned away (rejected_per_s)",
            s.name, s.queue_limit
        )
    } else if !open {
        format!(
            "service `{}` ran at {pct:.1}% CPU utilisation: it is the bottleneck of the closed workload, whose users bound its queue; more users add waiting there, not throughput",
            s.name
        )
    } else {
        format!(
            "service `{}` ran at {pct:.1}% CPU utilisation: it is saturated and its queue may not have reached steady state",
            s.name
        )
    }
}
