//! The imported model as TOML text: what the traces measured, with a
//! comment on every number that says where it came from, and on every
//! number traces cannot give (threads, cores) what to do.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::graph::{Graph, RESERVOIR};
use super::read::Format;
use super::{Imported, Options};
use crate::calibrate::fit::{self, Sample};
use crate::format::{format_duration, round_sig6, sig3};

/// A TOML bare key from any name: letters, digits, `_` and `-`, never empty.
fn key(name: &str) -> String {
    let k: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if k.is_empty() { "_".into() } else { k }
}

/// Gives each name a distinct key, in order.
fn unique(taken: &mut HashSet<String>, name: &str) -> String {
    let base = key(name);
    let mut k = base.clone();
    let mut n = 2;
    while !taken.insert(k.clone()) {
        k = format!("{base}_{n}");
        n += 1;
    }
    k
}

fn note(name: &str, k: &str) -> String {
    if name == k { String::new() } else { format!("  # traces call it `{name}`") }
}

pub(super) fn model(g: &Graph, options: &Options, format: Format, sources: &[String]) -> Imported {
    let names = &g.names;
    // Keys for services, operations, classes and queues.
    let mut service_keys: BTreeMap<u32, String> = BTreeMap::new();
    let mut taken = HashSet::new();
    for op in &g.ops {
        service_keys.entry(op.service).or_insert_with(|| unique(&mut taken, names.get(op.service)));
    }
    let mut op_keys: Vec<String> = Vec::new();
    let mut per_service: HashMap<u32, HashSet<String>> = HashMap::new();
    for op in &g.ops {
        op_keys.push(unique(per_service.entry(op.service).or_default(), names.get(op.name)));
    }
    let target = |op: u32| format!("{}.{}", service_keys[&g.ops[op as usize].service], op_keys[op as usize]);

    // Rates: root spans over the time they span.
    let roots: u64 = g.classes.values().map(|c| c.count).sum();
    let first = g.classes.values().map(|c| c.first).min().unwrap_or(0);
    let last = g.classes.values().map(|c| c.last).max().unwrap_or(0);
    let window = (last - first) as f64 / 1e9;
    let measured_total = if roots >= 2 && window > 0.0 { Some((roots - 1) as f64 / window) } else { None };
    let total = options.rate.or(measured_total.map(|r| r / options.sample_rate));
    let mut report = String::new();
    let _ = writeln!(
        report,
        "read {} span(s) in {} trace(s) ({}) from {}",
        g.counts.spans,
        g.counts.traces,
        format.name(),
        sources.join(", ")
    );

    let mut out = String::new();
    let _ = writeln!(out, "# Imported by `capsim import` from {} ({}).", sources.join(", "), format.name());
    let _ = writeln!(
        out,
        "# {} spans in {} traces: {} services, {} operations, {} entry point(s).",
        g.counts.spans,
        g.counts.traces,
        service_keys.len(),
        g.ops.len(),
        g.classes.len()
    );
    let _ = writeln!(out, "#");
    let _ = writeln!(out, "# From the traces: the call graph and mean calls per span; each operation's own time");
    let _ = writeln!(out, "# (its spans' durations minus the time their children cover), fitted by maximum");
    let _ = writeln!(out, "# likelihood with AIC choosing the family; arrival rates from the root spans' timestamps.");
    let _ = writeln!(out, "# Traces cannot tell threads, cores or instances' sizes: every service says what");
    let _ = writeln!(out, "# concurrency the traces showed; set threads and cores from your deployment.");
    let _ = writeln!(out, "# Own time includes any waiting a span does not show as a child (locks, pools, CPU");
    let _ = writeln!(out, "# contention): where the load was high, it overstates the CPU demand.");
    if options.sample_rate < 1.0 {
        let _ = writeln!(
            out,
            "# Sampling: --sample-rate {} divided the rates and the concurrency figures by it; \
             the call graph, counts per span and own times do not depend on it.",
            options.sample_rate
        );
    }
    let _ = writeln!(out, "\n[simulation]\nduration = \"60s\"\nwarmup = \"10s\"\nreplications = 5\nseed = 1\n");

    // Workload.
    let mut class_keys = HashSet::new();
    for (&(class, op), stats) in &g.classes {
        let k = unique(&mut class_keys, names.get(class));
        let share = stats.count as f64 / roots as f64;
        let _ = writeln!(out, "[workload.{k}]{}", note(names.get(class), &k));
        let _ = writeln!(out, "target = \"{}\"", target(op));
        match (total, options.rate) {
            (Some(t), Some(_)) => {
                let _ = writeln!(
                    out,
                    "rate = \"{}/s\"  # --rate {} x {:.4} of the root spans",
                    round_sig6(t * share),
                    round_sig6(t),
                    share
                );
            }
            (Some(t), None) => {
                let _ = writeln!(
                    out,
                    "rate = \"{}/s\"  # {} root span(s) in {}{}",
                    round_sig6(t * share),
                    stats.count,
                    format_duration(window),
                    if options.sample_rate < 1.0 {
                        format!(", divided by --sample-rate {}", options.sample_rate)
                    } else {
                        String::new()
                    }
                );
            }
            (None, _) => {
                let _ = writeln!(out, "rate = \"1/s\"  # the traces span no time: set the rate (or pass --rate)");
            }
        }
        let _ = writeln!(out, "# arrivals: Poisson (the default); traces show the mean rate only\n");
    }

    // Queues: one per (queue name, consumer).
    let mut queue_keys: BTreeMap<(u32, u32), String> = BTreeMap::new();
    let mut taken_queues = HashSet::new();
    for &(_, callee, queue) in g.calls.keys() {
        if queue != u32::MAX {
            queue_keys.entry((queue, callee)).or_insert_with(|| unique(&mut taken_queues, names.get(queue)));
        }
    }
    for (&(queue, consumer), k) in &queue_keys {
        let _ = writeln!(out, "[queues.{k}]{}", note(names.get(queue), k));
        let _ = writeln!(out, "consumer = \"{}\"\n", target(consumer));
    }

    // Services and their operations.
    let seconds = if window > 0.0 { window } else { 1.0 };
    for (&service, skey) in &service_keys {
        let stats = g.services.get(&service).cloned().unwrap_or_default();
        let instances = stats.instances.len().max(1);
        let busy_total: f64 = stats.busy.values().sum();
        let peak = stats.busy.values().copied().fold(0.0, f64::max) / 1e9 / options.sample_rate;
        let mean = busy_total / 1e9 / seconds / options.sample_rate;
        let per = peak / instances as f64;
        let threads = ((2.0 * per).ceil() as u64).max(1);
        let _ = writeln!(out, "[services.{skey}]{}", note(names.get(service), skey));
        let _ = writeln!(
            out,
            "instances = {instances}  # {}",
            if stats.instances.is_empty() {
                "the traces name no service.instance.id: set the instances".to_string()
            } else {
                "distinct service.instance.id seen in the traces".to_string()
            }
        );
        let _ = writeln!(
            out,
            "# measured concurrency (spans in progress) per instance: {} on average, {} in the busiest second",
            sig3(mean / instances as f64),
            sig3(per)
        );
        let _ = writeln!(out, "# set threads and cores: traces cannot tell them (twice the peak is a placeholder)");
        let _ = writeln!(out, "threads = {threads}\ncores = {threads}\n");
        for (i, op) in g.ops.iter().enumerate().filter(|(_, o)| o.service == service) {
            let okey = &op_keys[i];
            let _ = writeln!(out, "[services.{skey}.ops.{okey}]{}", note(names.get(op.name), okey));
            let mean_own = op.own_sum / op.count as f64 / 1e9;
            let mean_duration = op.duration_sum / op.count as f64 / 1e9;
            let _ = writeln!(
                out,
                "# {} span(s); mean duration {}, mean own time {}{}",
                op.count,
                format_duration(mean_duration),
                format_duration(mean_own),
                if op.errors > 0 { format!("; {} failed", op.errors) } else { String::new() }
            );
            if op.own_zero > 0 {
                let _ = writeln!(
                    out,
                    "# {:.1}% of its spans had no own time (children covered them): the fit is of the others",
                    100.0 * op.own_zero as f64 / op.count as f64
                );
            }
            out.push_str(&demand(&op.own, op.count - op.own_zero, options));
            out.push_str(&steps(g, i as u32, &target, &queue_keys));
            out.push('\n');
        }
    }
    let c = &g.counts;
    let mut problems = Vec::new();
    if c.orphans > 0 {
        problems.push(format!(
            "{} span(s) whose parent is not in the input (orphans: counted as operations, not as requests; \
             a trace cut by sampling or split across files far apart shows this)",
            c.orphans
        ));
    }
    if c.skewed > 0 {
        problems.push(format!(
            "{} child span(s) start before their parent (clock skew between hosts): tolerated, own times clipped",
            c.skewed
        ));
    }
    if c.duplicates > 0 {
        problems.push(format!("{} span(s) repeat an id within their trace: the repeats were dropped", c.duplicates));
    }
    if c.unreached > 0 {
        problems.push(format!("{} failed call(s) never reached a server span: counted, not modelled", c.unreached));
    }
    if c.unconsumed > 0 {
        problems.push(format!("{} message(s) published without a consumer span in the traces", c.unconsumed));
    }
    for p in &problems {
        let _ = writeln!(report, "note: {p}");
    }
    let _ = writeln!(
        report,
        "wrote {} service(s), {} operation(s), {} class(es){}; depends on --sample-rate: the rates{}",
        service_keys.len(),
        g.ops.len(),
        g.classes.len(),
        if queue_keys.is_empty() { String::new() } else { format!(", {} queue(s)", queue_keys.len()) },
        if options.rate.is_some() { " (none: --rate given)" } else { " and the concurrency comments" }
    );
    let _ = writeln!(report, "next: set threads and cores of every service (see the comments), then `capsim check`");
    Imported { model: out, report }
}

/// The `demand = ...` line: the family AIC chose for the own times.
fn demand(own: &[f64], positive: u64, options: &Options) -> String {
    if own.len() < 2 {
        return if let Some(&x) = own.first() {
            format!("demand = \"{}\"  # one span with own time\n", paste_constant(x))
        } else {
            "# no own time: the operation only waits for its calls\n".into()
        };
    }
    let fit = fit::fit_samples("own time".into(), Sample::new(own.to_vec()), &options.families);
    let chosen = fit.candidates.iter().find(|c| Some(c.family) == fit.chosen);
    match (&fit.paste, chosen) {
        (Some(line), Some(c)) => format!(
            "{line}  # own time, {} of {} family fits chose by AIC (KS {}){}\n",
            c.family.name(),
            fit.candidates.len(),
            sig3(c.ks),
            if positive as usize > RESERVOIR {
                format!("; fitted to {RESERVOIR} sampled spans")
            } else {
                String::new()
            }
        ),
        _ => {
            let mean = own.iter().sum::<f64>() / own.len() as f64;
            format!("demand = \"{}\"  # no family fitted; the mean own time\n", paste_constant(mean))
        }
    }
}

fn paste_constant(seconds: f64) -> String {
    format!("constant({}ms)", round_sig6(seconds * 1e3))
}

/// The operation's calls and publishes, in the order they start on average.
fn steps(g: &Graph, op: u32, target: &dyn Fn(u32) -> String, queues: &BTreeMap<(u32, u32), String>) -> String {
    let parents = g.ops[op as usize].count as f64;
    let mut calls: Vec<(f64, u32, u32, f64)> = g
        .calls
        .iter()
        .filter(|(k, _)| k.0 == op)
        .map(|(&(_, callee, queue), s)| (s.offset_sum / s.count as f64, callee, queue, s.count as f64 / parents))
        .collect();
    if calls.is_empty() {
        return String::new();
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = String::from("steps = [\n");
    for (_, callee, queue, mean) in calls {
        let to = target(callee);
        if queue != u32::MAX {
            let q = &queues[&(queue, callee)];
            if mean >= 0.5 {
                let _ = writeln!(out, "  {{ publish = \"{q}\" }},  # {} message(s) per span", sig3(mean));
            } else {
                let _ =
                    writeln!(out, "  # {{ publish = \"{q}\" }},  # only {} message(s) per span: left out", sig3(mean));
            }
            continue;
        }
        let whole = mean.floor();
        let frac = ((mean - whole) * 1e4).round() / 1e4;
        let (whole, frac) = if frac >= 1.0 { (whole + 1.0, 0.0) } else { (whole, frac) };
        if whole >= 1.0 {
            let count = if whole > 1.0 { format!(", count = {whole}") } else { String::new() };
            let _ = writeln!(out, "  {{ call = \"{to}\"{count} }},  # {} call(s) per span on average", sig3(mean));
        }
        if frac > 0.0 {
            let _ = writeln!(
                out,
                "  {{ branch = [ {{ p = {} }}, {{ p = {frac}, call = \"{to}\" }} ] }},{}",
                round_sig6(1.0 - frac),
                if whole >= 1.0 {
                    "  # the fraction above the whole calls".to_string()
                } else {
                    format!("  # {} call(s) per span on average", sig3(mean))
                }
            );
        }
    }
    out.push_str("]\n");
    out
}
