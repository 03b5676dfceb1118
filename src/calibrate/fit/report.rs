//! The outcome of a fit as people read it: an aligned table with the
//! criterion, the goodness of fit and the line to paste; or one JSON document.

use super::families::{Family, Model, duration};
use super::{Candidate, Criterion, Fit};

/// The table for a terminal.
pub fn table(fit: &Fit) -> String {
    let mut out = String::new();
    let what = match fit.criterion {
        Criterion::QuantileLoss => format!("{} statistic(s)", fit.n),
        _ => format!("n = {}", fit.n),
    };
    out.push_str(&format!("capsim fit: {} ({what})\n", fit.source));
    out.push_str(&format!("criterion: {}\n\n", fit.criterion.explain()));
    let best = fit.candidates.iter().filter_map(|c| c.score(fit.criterion)).fold(f64::INFINITY, f64::min);
    let delta_head = if fit.criterion == Criterion::QuantileLoss { "" } else { "ΔAIC" };
    let mut rows: Vec<[String; 7]> = vec![[
        "family".into(),
        "parameters (± standard error)".into(),
        fit.criterion.column().into(),
        delta_head.into(),
        "KS".into(),
        "max pct err".into(),
        "mean, cv".into(),
    ]];
    for c in &fit.candidates {
        let mark = if Some(c.family) == fit.chosen { " *" } else { "" };
        let score = c.score(fit.criterion);
        let delta = match (fit.criterion, score) {
            (Criterion::QuantileLoss, _) | (_, None) => String::new(),
            (_, Some(s)) => format!("{:.1}", s - best),
        };
        rows.push([
            format!("{}{mark}", c.family.name()),
            parameters(c),
            score.map_or("-".into(), |s| match fit.criterion {
                Criterion::QuantileLoss => format!("{s:.3e}"),
                _ => format!("{s:.1}"),
            }),
            delta,
            if c.ks.is_finite() { format!("{:.4}", c.ks) } else { "-".into() },
            match c.max_percentile_error {
                e if e > 10.0 => ">1000%".into(),
                e if e.is_finite() => format!("{:.1}%", 100.0 * e),
                _ => "-".into(),
            },
            format!("{}, {}", duration(c.mean), if c.cv.is_finite() { format!("{:.3}", c.cv) } else { "inf".into() }),
        ]);
    }
    let widths: Vec<usize> = (0..7).map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0)).collect();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                let pad = widths[j] - cell.chars().count();
                if (2..6).contains(&j) {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let notes: Vec<String> = fit
        .candidates
        .iter()
        .filter_map(|c| c.note.as_ref().map(|n| format!("{}: {n}", c.family.name())))
        .chain(fit.notes.iter().cloned())
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    out.push('\n');
    match (&fit.paste, fit.chosen) {
        (Some(line), Some(f)) => {
            out.push_str(&format!("chosen: {} (marked *); paste into the operation:\n{line}\n", f.name()));
        }
        _ => out.push_str("no family chosen\n"),
    }
    out
}

/// A candidate's parameters, e.g. `shape=2.4981 ±0.023, scale=4.0012ms ±0.04ms`.
fn parameters(c: &Candidate) -> String {
    if c.family == Family::Empirical {
        return match &c.model {
            Model::Empirical { knots } => format!("{} percentile points", knots.len()),
            _ => String::new(),
        };
    }
    c.parameters
        .iter()
        .map(|p| {
            let show = |v: f64| if p.unit == "s" { duration(v) } else { super::families::sig(v) };
            let value = if p.name == "k" { format!("{}", p.value) } else { show(p.value) };
            match p.se {
                Some(se) => format!("{}={value} ±{}", p.name, short(se, p.unit == "s")),
                None => format!("{}={value}", p.name),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A standard error with two significant figures.
fn short(v: f64, seconds: bool) -> String {
    let rounded: f64 = format!("{v:.1e}").parse().unwrap_or(v);
    if seconds { duration(rounded) } else { format!("{rounded}") }
}

/// One JSON document, pretty-printed, ending with a newline.
pub fn json(fit: &Fit) -> String {
    let mut text = serde_json::to_string_pretty(fit).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
