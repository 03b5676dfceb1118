//! A comparison for people (aligned tables, one per variant), for
//! spreadsheets (CSV, one row per variant and metric) and for tools (JSON).

use crate::report::{aligned, tidy_json, tidy_text};

use super::{Comparison, Paired, Row, Unit};

/// "+1.2 ms ± 0.3 ms": a difference with its interval's half-width.
pub(crate) fn difference_text(unit: Unit, p: &Paired) -> String {
    let d = p.difference.value;
    let sign = if d > 0.0 { "+" } else { "" };
    match p.difference.ci95 {
        Some(h) => format!("{sign}{} ± {}", unit.show(d), unit.show(h)),
        None => format!("{sign}{}", unit.show(d)),
    }
}

/// "+3.1% (+1.0% to +5.2%)".
pub(crate) fn change_text(p: &Paired) -> String {
    let pct = |x: f64| {
        if !x.is_finite() {
            return "-".to_string();
        }
        let v = x * 100.0;
        let sign = if v > 0.0 { "+" } else { "" };
        format!("{sign}{}%", crate::format::sig3(v))
    };
    if !p.relative.is_finite() {
        return "-".into();
    }
    if p.relative_low.is_finite() {
        format!("{} ({} to {})", pct(p.relative), pct(p.relative_low), pct(p.relative_high))
    } else {
        pct(p.relative)
    }
}

/// "yes", "no", or "no: 40 replications detect 5%".
pub(crate) fn verdict_text(unit: Unit, p: &Paired, relative: Option<f64>) -> String {
    if p.significant {
        return "yes".into();
    }
    if p.pairs < 2 {
        return "no (one replication: no interval)".into();
    }
    let size = match relative {
        Some(f) => format!("{}%", crate::format::round_sig6(f * 100.0)),
        None => unit.show(p.detect),
    };
    match p.replications_needed {
        Some(n) => format!("no: {} replications detect {size}", crate::format::group_thousands(f64::from(n), 0)),
        None if p.difference.value == 0.0 => "no: identical in every replication".into(),
        None => "no".into(),
    }
}

fn row_cells(row: &Row, relative: Option<f64>) -> Vec<String> {
    let unit = row.metric.kind.unit();
    let p = &row.paired;
    vec![
        row.metric.label(),
        unit.show(p.baseline.value),
        unit.show(p.variant.value),
        difference_text(unit, p),
        change_text(p),
        verdict_text(unit, p, relative),
    ]
}

/// The comparison as aligned tables, one per variant.
pub fn table(c: &Comparison) -> String {
    let mut out = format!(
        "{}: {} paired replication(s), seed {} (common random numbers: replication r of every variant draws the baseline's random numbers)\n",
        c.model, c.replications, c.seed
    );
    if !c.baseline_overrides.is_empty() {
        out.push_str(&format!("baseline: {}\n", c.baseline_overrides.join(", ")));
    }
    for v in &c.variants {
        out.push_str(&format!("\nvariant `{}` against the baseline", v.variant.name));
        if v.variant.name != v.variant.overrides.join("; ") {
            out.push_str(&format!(" ({})", v.variant.overrides.join("; ")));
        }
        out.push('\n');
        let mut rows = vec![
            ["metric", "baseline", "variant", "difference (95% CI)", "change (95% CI)", "significant"]
                .map(String::from)
                .to_vec(),
        ];
        for row in &v.rows {
            let relative = match c.detect.for_kind(row.metric.kind) {
                super::Detect::Relative(f) => Some(f),
                super::Detect::Absolute(_) => None,
            };
            rows.push(row_cells(row, relative));
        }
        out.push_str(&aligned(&rows));
        let significant: Vec<String> =
            v.rows.iter().filter(|r| r.paired.significant).map(|r| r.metric.label()).collect();
        out.push_str(&match significant.len() {
            0 => "no difference is significant at 95%\n".to_string(),
            _ => format!("significant at 95%: {}\n", significant.join(", ")),
        });
    }
    out.push_str(&format!(
        "\n\"replications detect X\": paired replications that find a true difference of X significant with {}% probability, from the spread of the differences seen (--detect)\n",
        (super::POWER * 100.0).round()
    ));
    out
}

/// The comparison as CSV: one row per variant and metric, values in SI
/// units (seconds, per second, fractions, dollars).
pub fn csv(c: &Comparison) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "variant",
        "metric",
        "of",
        "baseline",
        "baseline_ci95",
        "variant_value",
        "variant_ci95",
        "difference",
        "difference_ci95",
        "relative",
        "relative_low",
        "relative_high",
        "significant",
        "detect",
        "replications_needed",
        "pairs",
    ];
    w.write_record(header).expect("in memory");
    for v in &c.variants {
        for r in &v.rows {
            let p = &r.paired;
            let ci = |h: Option<f64>| h.map_or(String::new(), tidy_text);
            w.write_record([
                v.variant.name.clone(),
                r.metric.kind.key().to_string(),
                r.metric.of.clone(),
                tidy_text(p.baseline.value),
                ci(p.baseline.ci95),
                tidy_text(p.variant.value),
                ci(p.variant.ci95),
                tidy_text(p.difference.value),
                ci(p.difference.ci95),
                tidy_text(p.relative),
                tidy_text(p.relative_low),
                tidy_text(p.relative_high),
                p.significant.to_string(),
                tidy_text(p.detect),
                p.replications_needed.map_or(String::new(), |n| n.to_string()),
                p.pairs.to_string(),
            ])
            .expect("in memory");
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

/// The comparison as one JSON document.
pub fn json(c: &Comparison) -> String {
    tidy_json(c)
}
