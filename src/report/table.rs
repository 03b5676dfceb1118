//! The terminal's tables: a run's summary, queueing theory's view, and the
//! two side by side.

use std::fmt::Write as _;

use crate::format::{dollars, format_duration, sig3};
use crate::model::UNLIMITED;
use crate::stats::{ClassKind, ClassSummary, Estimate, Latency, PoolSummary, QueueSummary, ServiceSummary, Summary};

/// One column of durations in one unit, the unit of its largest value:
/// "12.3 ± 0.4 ms" above "0.850 ± 0.02 ms", not above "850 µs".
fn duration_column<T>(items: &[&T], get: impl Fn(&T) -> Estimate) -> Vec<String> {
    let largest = items.iter().map(|&i| get(i).value.abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let (scale, unit) = match format_duration(largest).rsplit_once(' ') {
        Some((_, "µs")) => (1e6, "µs"),
        Some((_, "ms")) => (1e3, "ms"),
        Some((_, "min")) => (1.0 / 60.0, "min"),
        Some((_, "h")) => (1.0 / 3600.0, "h"),
        _ => (1.0, "s"),
    };
    // Three significant digits, however small the value is in this unit.
    let digits = |x: f64| {
        if x == 0.0 || x.abs() >= 1.0 {
            sig3(x)
        } else {
            format!("{x:.*}", (2 - x.abs().log10().floor() as i32).max(0) as usize)
        }
    };
    items
        .iter()
        .map(|&i| {
            let e = get(i);
            match (e.value.is_finite(), e.ci95) {
                (false, _) => "-".into(),
                // A percentile's interval is asymmetric: its ends, not a ±.
                (true, Some(_)) if e.is_asymmetric() => format!(
                    "{} ({}–{}) {unit}",
                    digits(e.value * scale),
                    digits(e.low() * scale),
                    digits(e.high() * scale)
                ),
                (true, Some(h)) => format!("{} ± {} {unit}", digits(e.value * scale), digits(h * scale)),
                (true, None) => format!("{} {unit}", digits(e.value * scale)),
            }
        })
        .collect()
}

fn number_est(e: &Estimate, suffix: &str) -> String {
    if !e.value.is_finite() {
        return "-".into();
    }
    match e.ci95 {
        Some(h) => format!("{}{suffix} ± {}", sig3(e.value), sig3(h)),
        None => format!("{}{suffix}", sig3(e.value)),
    }
}

/// Dollars with two significant digits below a cent (a function's bill per hour).
fn small_dollars(x: f64) -> String {
    if !x.is_finite() || x == 0.0 || x >= 0.01 {
        return crate::format::dollars(x);
    }
    let decimals = (-x.log10()).ceil() as usize + 1;
    format!("${x:.decimals$}")
}

fn percent_est(e: &Estimate) -> String {
    if !e.value.is_finite() {
        return "-".into();
    }
    let p = |x: f64| {
        let v = x * 100.0;
        if v != 0.0 && v.abs() < 0.1 { format!("{v:.3}") } else { format!("{v:.1}") }
    };
    match e.ci95 {
        Some(h) => format!("{}% ± {}", p(e.value), p(h)),
        None => format!("{}%", p(e.value)),
    }
}

/// Left-aligned first column, the others right-aligned, two spaces apart.
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn table(s: &Summary) -> String {
    let mut out = String::new();
    header(&mut out, s);
    classes(&mut out, s);
    services(&mut out, s);
    components(&mut out, s);
    notes(&mut out, s);
    out
}

/// The first line: version, model, replications, window, warm-up and seed.
fn header(out: &mut String, s: &Summary) {
    let length = if s.observed_s.ci95.unwrap_or(0.0) > 0.0 {
        format!("{} (mean)", format_duration(s.observed_s.value))
    } else {
        format_duration(s.observed_s.value)
    };
    let _ = writeln!(
        out,
        "capsim {} · {} · {} replication(s) of {} after {} warm-up · seed {}\n",
        s.capsim_version,
        s.model,
        s.replications,
        length,
        match &s.warmup_auto {
            Some(w) => format!(
                "{} (auto: {} truncated {} of {} batches)",
                format_duration(s.warmup_s),
                w.method,
                w.truncated_batches,
                w.batches
            ),
            None => format_duration(s.warmup_s),
        },
        s.seed
    );
}

/// The mean, p50, p90, p99, p99.9 and max columns of the latencies `get`
/// reads from `items`, each column in one unit.
fn latency_columns<T>(items: &[&T], get: impl Fn(&T) -> &Latency + Copy) -> [Vec<String>; 6] {
    let column = |stat: fn(&Latency) -> Estimate| duration_column(items, |i| stat(get(i)));
    [
        column(|l| l.mean),
        column(|l| l.p50),
        column(|l| l.p90),
        column(|l| l.p99),
        column(|l| l.p999),
        column(|l| Estimate::exact(l.max.value)),
    ]
}

/// Latency, throughput and errors per request class.
fn classes(out: &mut String, s: &Summary) {
    let mut rows =
        vec![["class", "throughput", "mean", "p50", "p90", "p99", "p99.9", "max", "errors"].map(String::from).to_vec()];
    // Status polls nobody sent (a publish step that never ran) make an empty row.
    let shown: Vec<&ClassSummary> =
        s.classes.iter().filter(|c| c.kind != ClassKind::Poll || c.completed + c.failed > 0).collect();
    let times = latency_columns(&shown, |c| &c.latency_s);
    for (i, c) in shown.iter().enumerate() {
        let mut row = vec![c.name.clone(), number_est(&c.throughput_per_s, "/s")];
        row.extend(times.iter().map(|t| t[i].clone()));
        row.push(percent_est(&c.error_ratio));
        rows.push(row);
    }
    out.push_str(&aligned(&rows));
    out.push('\n');
    asynchronous(out, s);
}

/// The latencies of the classes that publish: until their work was done
/// (completion) and until their client's polls saw it done.
fn asynchronous(out: &mut String, s: &Summary) {
    let latencies: Vec<(String, &Latency)> = s
        .classes
        .iter()
        .flat_map(|c| {
            let done = c.completion_s.as_ref().map(|l| (format!("{} done", c.name), l));
            let seen = c.seen_done_s.as_ref().map(|l| (format!("{} seen done", c.name), l));
            done.into_iter().chain(seen)
        })
        .collect();
    if latencies.is_empty() {
        return;
    }
    let mut rows = vec![["async work", "mean", "p50", "p90", "p99", "p99.9", "max"].map(String::from).to_vec()];
    let shown: Vec<&(String, &Latency)> = latencies.iter().collect();
    let times = latency_columns(&shown, |(_, l)| l);
    for (i, (name, _)) in latencies.iter().enumerate() {
        let mut row = vec![name.clone()];
        row.extend(times.iter().map(|t| t[i].clone()));
        rows.push(row);
    }
    out.push_str(&aligned(&rows));
    out.push('\n');
}

/// Utilisation, queues and cost per service. "cpu util" is of the cores
/// the threads can use; when some service has fewer threads than cores,
/// "paid cores" beside it shows the share of every core paid for.
fn services(out: &mut String, s: &Summary) {
    let services: Vec<&ServiceSummary> = s.services.iter().collect();
    let paid = services.iter().any(|v| v.usable_cores() < v.cores);
    let mut header = vec!["service", "instances", "threads", "cores", "cpu util"];
    header.extend(paid.then_some("paid cores"));
    header.extend(["thread util", "queue", "P(wait)", "wait", "wait p99", "in service", "cost/h"]);
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    let waits = duration_column(&services, |v| v.mean_wait_s);
    let waits_p99 = duration_column(&services, |v| v.wait_s.p99);
    let count = |n: u32| if n == UNLIMITED { "unlimited".to_string() } else { n.to_string() };
    for (i, v) in services.iter().enumerate() {
        // An autoscaled service shows its time-average fleet.
        let instances = if (v.mean_instances.value - f64::from(v.instances)).abs() > 1e-9 {
            format!("{} avg", number_est(&v.mean_instances, ""))
        } else {
            v.instances.to_string()
        };
        let mut row = vec![v.name.clone(), instances, count(v.threads), count(v.cores), percent_est(&v.utilisation)];
        row.extend(paid.then(|| percent_est(&v.paid_core_utilisation)));
        row.extend([
            percent_est(&v.thread_utilisation),
            number_est(&v.mean_queue_len, ""),
            percent_est(&v.prob_wait),
            waits[i].clone(),
            waits_p99[i].clone(),
            number_est(&v.mean_in_service, ""),
            dollars(v.cost_per_hour),
        ]);
        rows.push(row);
    }
    out.push_str(&aligned(&rows));
}

/// Pools, caches, queues, guarded calls and databases, each only when the model has them.
fn components(out: &mut String, s: &Summary) {
    if !s.pools.is_empty() {
        out.push('\n');
        let mut rows = vec![
            ["pool", "size", "instances", "in use", "exhausted", "P(wait)", "wait", "wait p99", "timeouts"]
                .map(String::from)
                .to_vec(),
        ];
        let pools: Vec<&PoolSummary> = s.pools.iter().collect();
        let waits = duration_column(&pools, |p| p.mean_wait_s);
        let waits_p99 = duration_column(&pools, |p| p.wait_s.p99);
        for (i, p) in pools.iter().enumerate() {
            rows.push(vec![
                p.name.clone(),
                p.size.to_string(),
                p.instances.to_string(),
                percent_est(&p.utilisation),
                percent_est(&p.exhausted),
                percent_est(&p.prob_wait),
                waits[i].clone(),
                waits_p99[i].clone(),
                number_est(&p.timeouts_per_s, "/s"),
            ]);
        }
        out.push_str(&aligned(&rows));
    }
    if !s.caches.is_empty() {
        out.push('\n');
        let mut rows = vec![
            ["cache", "hit ratio", "stale reads", "reads", "misses (backend)", "writes"].map(String::from).to_vec(),
        ];
        for c in &s.caches {
            rows.push(vec![
                c.name.clone(),
                percent_est(&c.hit_ratio),
                percent_est(&c.stale_ratio),
                number_est(&c.reads_per_s, "/s"),
                number_est(&c.misses_per_s, "/s"),
                number_est(&c.writes_per_s, "/s"),
            ]);
        }
        out.push_str(&aligned(&rows));
    }
    if !s.queues.is_empty() {
        out.push('\n');
        let mut rows = vec![
            ["queue", "published", "consumed", "backlog", "lag", "async mean", "async p99", "polls/msg", "seen done"]
                .map(String::from)
                .to_vec(),
        ];
        let queues: Vec<&QueueSummary> = s.queues.iter().collect();
        let lag = duration_column(&queues, |q| q.mean_wait_s);
        let mean = duration_column(&queues, |q| q.latency_mean_s);
        let p99 = duration_column(&queues, |q| q.latency_p99_s);
        let seen = duration_column(&queues, |q| q.seen_done_s);
        for (i, q) in queues.iter().enumerate() {
            rows.push(vec![
                q.name.clone(),
                number_est(&q.published_per_s, "/s"),
                number_est(&q.consumed_per_s, "/s"),
                number_est(&q.mean_depth, ""),
                lag[i].clone(),
                mean[i].clone(),
                p99[i].clone(),
                number_est(&q.polls_per_message, ""),
                seen[i].clone(),
            ]);
        }
        out.push_str(&aligned(&rows));
    }
    if !s.calls.is_empty() {
        out.push('\n');
        let mut rows = vec![
            ["call", "attempts", "retries", "timeouts", "short-circuited", "breaker open"].map(String::from).to_vec(),
        ];
        for c in &s.calls {
            rows.push(vec![
                c.name.clone(),
                number_est(&c.attempts_per_s, "/s"),
                number_est(&c.retries_per_s, "/s"),
                number_est(&c.timeouts_per_s, "/s"),
                number_est(&c.short_circuited_per_s, "/s"),
                percent_est(&c.breaker_open),
            ]);
        }
        out.push_str(&aligned(&rows));
        for c in &s.calls {
            if let Some(h) = &c.hedge {
                let _ = writeln!(
                    out,
                    "\nhedges of `{}`: {} ({} more requests), the hedge won {}, {} losers cancelled",
                    c.name,
                    number_est(&h.hedges_per_s, "/s"),
                    percent_est(&h.extra_load),
                    percent_est(&h.won),
                    number_est(&h.cancelled_per_s, "/s")
                );
            }
        }
    }
    if !s.databases.is_empty() {
        out.push('\n');
        let mut rows = vec![["database", "stale replica reads", "reads", "writes"].map(String::from).to_vec()];
        // Reads spread over the primary: its share, and staleness over all reads.
        let spread = s.databases.iter().any(|d| d.primary_reads_per_s.is_some());
        if spread {
            rows[0].extend(["by the primary", "stale of all reads"].map(String::from));
        }
        for d in &s.databases {
            let mut row = vec![
                d.name.clone(),
                percent_est(&d.stale_ratio),
                number_est(&d.reads_per_s, "/s"),
                number_est(&d.writes_per_s, "/s"),
            ];
            if spread {
                row.push(d.primary_reads_per_s.as_ref().map_or("-".into(), |e| number_est(e, "/s")));
                row.push(d.stale_ratio_all.as_ref().map_or("-".into(), percent_est));
            }
            rows.push(row);
        }
        out.push_str(&aligned(&rows));
    }
}

/// Cost, failures, errors by cause and warnings, in sentences.
fn notes(out: &mut String, s: &Summary) {
    if s.cost.per_hour > 0.0 {
        let _ = writeln!(
            out,
            "\ncost: {} per hour, {} per million requests",
            dollars(s.cost.per_hour),
            dollars(s.cost.per_million_requests.value)
        );
    }
    for v in s.services.iter().filter(|v| v.failures_per_hour.value > 0.0 || v.mean_down.value > 0.0) {
        let _ = writeln!(
            out,
            "\nfailures of `{}`: {} per hour, {} instances down on average (`instances` counts those up)",
            v.name,
            number_est(&v.failures_per_hour, ""),
            number_est(&v.mean_down, "")
        );
    }
    for v in &s.services {
        if let Some(l) = &v.cpu_limit {
            let _ = writeln!(
                out,
                "\nCPU limit of `{}`: {} cores per {} period; throttled in {} of periods, {} of the time",
                v.name,
                sig3(l.limit_cores),
                format_duration(l.period_s),
                percent_est(&l.throttled_periods),
                percent_est(&l.throttled_time)
            );
        }
        if let Some(p) = &v.pauses {
            let _ = writeln!(
                out,
                "\npauses of `{}`: {} per second, paused {} of the time (the model implies {})",
                v.name,
                number_est(&p.pauses_per_s, ""),
                percent_est(&p.paused_time),
                percent_est(&Estimate::exact(p.expected_paused_time))
            );
        }
    }
    if let Some(r) = &s.recovery {
        let after =
            if r.recovered > 0 { format!(", {} s after it on average", sig3(r.recovery_s)) } else { String::new() };
        let _ = writeln!(
            out,
            "\nrecovery after the trigger ended at {} s: {} of {} replications came back to the pre-trigger {} ({}){after}",
            sig3(r.trigger_end_s),
            r.recovered,
            r.replications,
            r.metric,
            number_est(&r.baseline, "")
        );
    }
    for (v, sc) in s.services.iter().filter_map(|v| v.scaling.as_ref().map(|sc| (v, sc))) {
        let _ = writeln!(
            out,
            "\nHPA of `{}`: {} scale-ups and {} scale-downs per hour, at most {} replicas (the series shows them over time)",
            v.name,
            number_est(&sc.scale_ups_per_hour, ""),
            number_est(&sc.scale_downs_per_hour, ""),
            number_est(&sc.max_replicas, "")
        );
    }
    for (v, sv) in s.services.iter().filter_map(|v| v.serverless.as_ref().map(|sv| (v, sv))) {
        let _ = writeln!(
            out,
            "\nServerless `{}`: {} of requests cold, {} instances busy and {} idle on average; {} per hour, \
             {} per million requests ({} GB-s/s); its instances, threads and cores above are slots",
            v.name,
            percent_est(&sv.cold_start_ratio),
            number_est(&sv.mean_busy_instances, ""),
            number_est(&sv.mean_idle_instances, ""),
            small_dollars(sv.cost_per_hour.value),
            small_dollars(sv.cost_per_hour.value / (3600.0 * sv.requests_per_s.value) * 1e6),
            number_est(&sv.gb_s_per_s, "")
        );
        if sv.requests_per_busy_instance.value > 1.0 {
            // Instances shared by several requests (`concurrency` above 1).
            let _ = writeln!(
                out,
                "  {} requests per busy instance; {} instances started per second",
                number_est(&sv.requests_per_busy_instance, ""),
                number_est(&sv.instance_starts_per_s, "")
            );
        }
    }
    for c in &s.classes {
        let causes: Vec<String> = c
            .errors
            .iter()
            .filter(|(_, e)| e.value > 0.0)
            .map(|(name, e)| format!("{name} {}", percent_est(e)))
            .collect();
        if !causes.is_empty() {
            let _ = writeln!(out, "\nerrors of `{}`: {}", c.name, causes.join(", "));
        }
    }
    for w in &s.warnings {
        let _ = writeln!(out, "\nwarning: {w}");
    }
}

/// `capsim theory`: the analytic view of a model as tables.
pub fn theory_table(a: &crate::analysis::Analysis) -> String {
    let mut out = String::new();
    // Approximate percentiles (theory::tails) carry a "≈".
    let p99 = |p: Option<crate::analysis::Percentiles>, exact: bool| {
        p.map_or("-".into(), |p| format!("{}{}", if exact { "" } else { "≈" }, format_duration(p.p99)))
    };
    let mut rows = vec![
        [
            "service",
            "model",
            "",
            "utilisation",
            "P(wait)",
            "wait",
            "wait p99",
            "response",
            "response p99",
            "queue",
            "note",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in &a.services {
        let m = s.metrics;
        rows.push(vec![
            s.service.clone(),
            if s.model.is_empty() { "-".into() } else { s.model.clone() },
            if s.metrics.is_none() {
                String::new()
            } else if s.exact {
                "exact".into()
            } else {
                "approx.".into()
            },
            format!("{:.1}%", s.utilisation * 100.0),
            s.prob_wait.map_or("-".into(), |p| {
                let approx = if s.prob_wait_exact { "" } else { "≈" };
                match p {
                    0.0 => "0%".into(),
                    p if p < 1e-5 => format!("{approx}<0.001%"),
                    p => format!("{approx}{}%", sig3(p * 100.0)),
                }
            }),
            m.map_or("-".into(), |m| format_duration(m.mean_wait)),
            p99(s.wait_percentiles, s.percentiles_exact),
            m.map_or("-".into(), |m| format_duration(m.mean_response)),
            p99(s.response_percentiles, s.percentiles_exact),
            m.map_or("-".into(), |m| sig3(m.mean_queue_len)),
            s.blocking.map_or(s.note.clone(), |b| {
                format!(
                    "blocking {:.3}%{}",
                    b * 100.0,
                    if s.note.is_empty() { String::new() } else { format!("; {}", s.note) }
                )
            }),
        ]);
    }
    out.push_str(&aligned(&rows));
    for s in a.services.iter().filter(|s| !s.classes.is_empty()) {
        let each: Vec<String> = s
            .classes
            .iter()
            .map(|k| {
                format!(
                    "`{}` wait {}, response {}",
                    k.class,
                    format_duration(k.mean_wait),
                    format_duration(k.mean_response)
                )
            })
            .collect();
        let _ = writeln!(out, "\n`{}` by class: {}", s.service, each.join("; "));
    }
    out.push('\n');
    let mut rows = vec![["class", "response", "p50", "p95", "p99", "throughput", "method"].map(String::from).to_vec()];
    for c in &a.classes {
        let pct = |get: fn(&crate::analysis::Percentiles) -> f64| {
            c.response_percentiles.map_or("-".into(), |p| {
                format!("{}{}", if c.percentiles_exact { "" } else { "≈" }, format_duration(get(&p)))
            })
        };
        rows.push(vec![
            c.class.clone(),
            c.mean_response.map_or("-".into(), format_duration),
            pct(|p| p.p50),
            pct(|p| p.p95),
            pct(|p| p.p99),
            c.throughput.map_or("-".into(), |x| format!("{}/s", sig3(x))),
            c.note.clone(),
        ]);
    }
    out.push_str(&aligned(&rows));
    for c in &a.caches {
        let ratio = c.hit_ratio.map_or("-".into(), |h| format!("≈{}%", sig3(h * 100.0)));
        let _ = writeln!(out, "\ncache `{}`: expected hit ratio {ratio} ({})", c.cache, c.note);
    }
    let b = &a.bottleneck;
    if let (Some(h), Some((first, _))) = (b.headroom, b.services.first()) {
        let order: Vec<String> =
            b.services.iter().filter(|(_, u)| *u > 0.0).map(|(s, u)| format!("{s} {:.0}%", u * 100.0)).collect();
        let _ = writeln!(
            out,
            "\nbottleneck (utilisation law): `{first}` saturates first; the open workload can grow {}x before it does (CPU utilisation: {})",
            sig3(h),
            order.join(", ")
        );
    }
    out
}

/// `capsim run --theory`: simulated values beside the analytic ones.
pub fn comparison_table(a: &crate::analysis::Analysis, s: &Summary) -> String {
    let mut rows =
        vec![["quantity", "simulated", "theory", "difference", "theory in 95% CI"].map(String::from).to_vec()];
    let mut push = |what: String, sim: &Estimate, theory: f64, text: fn(f64) -> String| {
        // A queue that theory and simulation both find (next to) empty agrees.
        let negligible = theory.abs() < 1e-9 && sim.value.abs() < 1e-9;
        let diff = if negligible {
            "0".into()
        } else if theory != 0.0 {
            format!("{:+.1}%", (sim.value - theory) / theory * 100.0)
        } else {
            "-".into()
        };
        let inside = match sim.ci95 {
            Some(_) if negligible => "yes".into(),
            Some(_) => if sim.low() <= theory && theory <= sim.high() { "yes" } else { "no" }.to_string(),
            None => "(needs 2+ replications)".into(),
        };
        let shown = match sim.ci95 {
            Some(_) if sim.is_asymmetric() => {
                format!("{} ({} to {})", text(sim.value), text(sim.low()), text(sim.high()))
            }
            Some(h) => format!("{} ± {}", text(sim.value), text(h)),
            None => text(sim.value),
        };
        rows.push(vec![what, shown, text(theory), diff, inside]);
    };
    let pct = |x: f64| format!("{:.2}%", x * 100.0);
    for (st, sv) in a.services.iter().zip(&s.services) {
        push(format!("{} utilisation", st.service), &sv.utilisation, st.utilisation, pct);
        if let Some(m) = st.metrics {
            push(format!("{} wait ({})", st.service, st.model), &sv.mean_wait_s, m.mean_wait, format_duration);
            // A chance of waiting too small to show (Erlang C at low load) has nothing to compare.
            if let Some(p) = st.prob_wait.filter(|&p| p >= 1e-6 || sv.prob_wait.value > 0.0) {
                let approx = if st.prob_wait_exact { "" } else { " (approx.)" };
                push(format!("{} P(wait){approx}", st.service), &sv.prob_wait, p, pct);
            }
            if let Some(w) = st.wait_percentiles {
                let approx = if st.percentiles_exact { "" } else { " (approx.)" };
                push(format!("{} wait p99{approx}", st.service), &sv.wait_s.p99, w.p99, format_duration);
            }
            push(format!("{} queue length", st.service), &sv.mean_queue_len, m.mean_queue_len, sig3);
        }
    }
    for (ct, cs) in a.classes.iter().zip(&s.classes) {
        if let Some(r) = ct.mean_response {
            push(format!("{} mean response", ct.class), &cs.latency_s.mean, r, format_duration);
        }
        if let Some(p) = ct.response_percentiles {
            let approx = if ct.percentiles_exact { "" } else { " (approx.)" };
            for (name, sim, theory) in [
                ("p50", &cs.latency_s.p50, p.p50),
                ("p95", &cs.latency_s.p95, p.p95),
                ("p99", &cs.latency_s.p99, p.p99),
            ] {
                push(format!("{} {name} response{approx}", ct.class), sim, theory, format_duration);
            }
        }
        // Open classes' throughput is their offered rate: only closed ones are predicted.
        if let Some(x) = ct.throughput
            && cs.kind == ClassKind::Closed
        {
            push(format!("{} throughput", ct.class), &cs.throughput_per_s, x, |v| format!("{}/s", sig3(v)));
        }
    }
    let mut out = String::from("theory beside simulation\n");
    out.push_str(&aligned(&rows));
    let missing: Vec<String> = a
        .services
        .iter()
        .filter(|x| x.metrics.is_none() && x.model.is_empty())
        .map(|x| format!("`{}`: {}", x.service, x.note))
        .chain(a.classes.iter().filter(|c| c.mean_response.is_none()).map(|c| format!("`{}`: {}", c.class, c.note)))
        .collect();
    for m in missing {
        let _ = writeln!(out, "no estimate for {m}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_of_durations_shares_one_unit() {
        let waits = [Estimate { value: 0.0123, ci95: Some(0.0004), ..Estimate::default() }, Estimate::exact(0.00085)];
        let items: Vec<&Estimate> = waits.iter().collect();
        let column = duration_column(&items, |e| *e);
        assert_eq!(column, ["12.3 ± 0.400 ms", "0.850 ms"]);
    }
}
