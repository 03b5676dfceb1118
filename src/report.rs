//! Views of a [`Summary`]: a terminal table for people, JSON and a tidy
//! (long) CSV for tools. The JSON schema is documented in `docs/output.md`.

use std::fmt::Write as _;

use crate::run::Summary;
use crate::stats::Estimate;
use crate::units::{format_duration, sig3};

/// Output formats of `capsim run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// The summary as one JSON document.
    Json,
    /// One row per (scope, name, metric): `scope,name,metric,value,ci95`.
    Csv,
}

/// Renders a summary in `format`.
pub fn render(summary: &Summary, format: Format) -> String {
    match format {
        Format::Table => table(summary),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(summary).expect("summary serialises");
            s.push('\n');
            s
        }
        Format::Csv => csv(summary),
    }
}

/// Picks one unit for a duration and its interval: "19.8 ± 0.6 s".
fn duration_est(e: &Estimate) -> String {
    if !e.value.is_finite() {
        return "-".into();
    }
    let text = format_duration(e.value);
    let Some(h) = e.ci95 else { return text };
    let (scale, unit) = match text.rsplit_once(' ') {
        Some((_, "µs")) => (1e6, "µs"),
        Some((_, "ms")) => (1e3, "ms"),
        Some((_, "min")) => (1.0 / 60.0, "min"),
        Some((_, "h")) => (1.0 / 3600.0, "h"),
        _ => (1.0, "s"),
    };
    format!("{} ± {} {unit}", sig3(e.value * scale), sig3(h * scale))
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

fn money(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 100.0 {
        format!("${x:.0}")
    } else {
        format!("${x:.2}")
    }
}

/// Left-aligned first column, the others right-aligned, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
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

fn table(s: &Summary) -> String {
    let mut out = String::new();
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
        format_duration(s.warmup_s),
        s.seed
    );
    let mut rows =
        vec![["class", "throughput", "mean", "p50", "p90", "p99", "p99.9", "max", "errors"].map(String::from).to_vec()];
    for c in &s.classes {
        let l = &c.latency_s;
        rows.push(vec![
            c.name.clone(),
            number_est(&c.throughput_per_s, "/s"),
            duration_est(&l.mean),
            duration_est(&l.p50),
            duration_est(&l.p90),
            duration_est(&l.p99),
            duration_est(&l.p999),
            duration_est(&Estimate { value: l.max.value, ci95: None }),
            percent_est(&c.error_ratio),
        ]);
    }
    out.push_str(&aligned(&rows));
    out.push('\n');

    let mut rows = vec![
        [
            "service",
            "instances",
            "threads",
            "cores",
            "cpu util",
            "thread util",
            "queue",
            "wait",
            "in service",
            "cost/h",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for v in &s.services {
        rows.push(vec![
            v.name.clone(),
            v.instances.to_string(),
            v.threads.to_string(),
            v.cores.to_string(),
            percent_est(&v.utilisation),
            percent_est(&v.thread_utilisation),
            number_est(&v.mean_queue_len, ""),
            duration_est(&v.mean_wait_s),
            number_est(&v.mean_in_service, ""),
            money(v.cost_per_hour),
        ]);
    }
    out.push_str(&aligned(&rows));
    if s.cost.per_hour > 0.0 {
        let _ = writeln!(
            out,
            "\ncost: {} per hour, {} per million requests",
            money(s.cost.per_hour),
            money(s.cost.per_million_requests.value)
        );
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
    out
}

fn csv(s: &Summary) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["scope", "name", "metric", "value", "ci95"]).expect("in-memory write");
    let mut put = |scope: &str, name: &str, metric: &str, e: &Estimate| {
        let ci = e.ci95.map_or(String::new(), |h| h.to_string());
        w.write_record([scope, name, metric, &e.value.to_string(), &ci]).expect("in-memory write");
    };
    for c in &s.classes {
        let l = &c.latency_s;
        put("class", &c.name, "throughput_per_s", &c.throughput_per_s);
        for (m, e) in [
            ("latency_mean_s", &l.mean),
            ("latency_p50_s", &l.p50),
            ("latency_p90_s", &l.p90),
            ("latency_p95_s", &l.p95),
            ("latency_p99_s", &l.p99),
            ("latency_p999_s", &l.p999),
            ("latency_max_s", &l.max),
            ("error_ratio", &c.error_ratio),
            ("mean_in_system", &c.mean_in_system),
            ("mean_sojourn_s", &c.mean_sojourn_s),
        ] {
            put("class", &c.name, m, e);
        }
        for (cause, e) in &c.errors {
            put("class", &c.name, &format!("errors_{cause}"), e);
        }
    }
    for v in &s.services {
        for (m, e) in [
            ("utilisation", &v.utilisation),
            ("thread_utilisation", &v.thread_utilisation),
            ("mean_queue_len", &v.mean_queue_len),
            ("mean_wait_s", &v.mean_wait_s),
            ("mean_in_service", &v.mean_in_service),
            ("throughput_per_s", &v.throughput_per_s),
            ("rejected_per_s", &v.rejected_per_s),
        ] {
            put("service", &v.name, m, e);
        }
        put("service", &v.name, "cost_per_hour", &Estimate { value: v.cost_per_hour, ci95: None });
    }
    put("model", "cost", "per_hour", &Estimate { value: s.cost.per_hour, ci95: None });
    put("model", "cost", "per_million_requests", &s.cost.per_million_requests);
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("csv is utf-8")
}
