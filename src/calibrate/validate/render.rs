//! A validation for people (an aligned table per load level, then one
//! verdict line) and for machines: validation.csv (tidy, one row per load
//! and metric) and validation.json (the whole [`Validation`]).

use std::fmt::Write;

use crate::format::{format_duration, sig3, whole_or_sig3};

use super::{Comparison, LoadKind, Tolerance, Validation};

/// The load as people read it: "250/s" or "60 users".
pub fn load_text(kind: LoadKind, load: f64) -> String {
    match kind {
        LoadKind::Rate => format!("{}/s", whole_or_sig3(load)),
        LoadKind::Users => format!("{} users", whole_or_sig3(load)),
    }
}

/// A value of `metric` for people.
fn value_text(metric: &str, v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    match metric {
        "throughput" => format!("{}/s", sig3(v)),
        "mean" | "p50" | "p95" | "p99" => format_duration(v),
        "error_ratio" => format!("{:.2}%", v * 100.0),
        _ => format!("{:.1}%", v * 100.0),
    }
}

fn error_text(c: &Comparison) -> String {
    if !c.error.is_finite() {
        return "n/a".into();
    }
    match c.tolerance {
        Tolerance::Relative(_) => format!("{:+.1}%", c.error * 100.0),
        Tolerance::Absolute(_) => format!("{:+.2}pp", c.error * 100.0),
    }
}

fn tolerance_text(t: Tolerance) -> String {
    match t {
        Tolerance::Relative(v) => format!("±{}%", whole_or_sig3(v * 100.0)),
        Tolerance::Absolute(v) => format!("±{}pp", whole_or_sig3(v * 100.0)),
    }
}

/// The aligned tables, one per level, and the verdict.
pub fn table(v: &Validation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} against {} level(s), class `{}`, load set at {} (seed {}, {} replication(s) per level, the same random numbers at every level)",
        v.model,
        v.levels.len(),
        v.class,
        v.rate_path,
        v.seed,
        v.replications
    );
    for level in &v.levels {
        let origin = match level.origin.line {
            Some(l) => format!("{}:{l}", level.origin.file.display()),
            None => level.origin.file.display().to_string(),
        };
        let _ = writeln!(out, "\nload {} ({origin})", load_text(v.load_kind, level.load));
        let head = ["metric", "measured", "simulated", "95% interval", "error", "tolerance", "verdict", "in interval"];
        let rows: Vec<[String; 8]> = level
            .comparisons
            .iter()
            .map(|c| {
                [
                    c.metric.clone(),
                    value_text(&c.metric, c.measured),
                    value_text(&c.metric, c.simulated),
                    format!("{} – {}", value_text(&c.metric, c.ci95_low), value_text(&c.metric, c.ci95_high)),
                    error_text(c),
                    tolerance_text(c.tolerance),
                    if c.within { "ok" } else { "BEYOND" }.to_string(),
                    if c.in_interval { "yes" } else { "no" }.to_string(),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..head.len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([head[i].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i] - c.chars().count();
                // Names left, numbers right.
                if i == 0 || i >= 6 {
                    let _ = write!(s, " {c}{}", " ".repeat(pad + 1));
                } else {
                    let _ = write!(s, " {}{c} ", " ".repeat(pad));
                }
            }
            s.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&head.map(String::from)));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
    }
    for note in &v.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    let _ = writeln!(out, "\n{}", verdict(v));
    out
}

/// One line: all within tolerance, or which metrics are beyond it and where.
pub fn verdict(v: &Validation) -> String {
    let failures: Vec<String> = v
        .failures()
        .map(|(load, c)| {
            format!(
                "{} at {} ({} against {})",
                c.metric,
                load_text(v.load_kind, load),
                error_text(c),
                tolerance_text(c.tolerance)
            )
        })
        .collect();
    // The first few name the problem; the table and validation.csv list them all.
    const SHOWN: usize = 5;
    let more = match failures.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    if failures.is_empty() {
        format!("validation passed: all {} comparisons within tolerance", v.count())
    } else {
        format!(
            "validation failed: {} of {} comparisons beyond tolerance: {}{more}",
            failures.len(),
            v.count(),
            failures[..failures.len().min(SHOWN)].join("; ")
        )
    }
}

/// validation.csv: `load,metric,measured,simulated,ci95_low,ci95_high,error,tolerance,basis,within,in_interval`,
/// in seconds, fractions and requests per second; errors and tolerances as
/// fractions (relative) or in the metric's unit (absolute, per `basis`).
pub fn csv(v: &Validation) -> String {
    let mut out = format!(
        "{},metric,measured,simulated,ci95_low,ci95_high,error,tolerance,basis,within,in_interval\n",
        v.load_kind.column()
    );
    let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
    for level in &v.levels {
        for c in &level.comparisons {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                level.load,
                c.metric,
                num(c.measured),
                num(c.simulated),
                num(c.ci95_low),
                num(c.ci95_high),
                num(c.error),
                c.tolerance.value(),
                c.tolerance.basis(),
                c.within,
                c.in_interval
            );
        }
    }
    out
}

/// validation.json: the whole validation.
pub fn json(v: &Validation) -> String {
    let mut text = serde_json::to_string_pretty(v).expect("a validation serialises");
    text.push('\n');
    text
}
