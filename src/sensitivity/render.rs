//! A sensitivity run for people (per setting, parameters from the largest
//! effect on p99 down), for spreadsheets (CSV, one row per setting,
//! parameter and metric) and for tools (JSON).

use crate::compare::Kind;
use crate::report::{aligned, tidy_json, tidy_text};

use super::{Effect, ParameterResult, Sensitivity};

/// The label of the metric of `kind` the tables and tornado chart show
/// (for a class kind, of `class`).
pub(crate) fn label(kind: Kind, class: &str) -> String {
    match kind {
        Kind::CostPerHour | Kind::CostPerMillion => kind.key().to_string(),
        _ => format!("{} {class}", kind.key()),
    }
}

/// The swing of an effect: how far apart its two ends are, relatively.
pub(crate) fn swing(e: Option<&Effect>) -> f64 {
    e.map_or(0.0, |e| {
        let s = (e.high_change - e.low_change).abs();
        if s.is_finite() { s } else { 0.0 }
    })
}

/// The parameters of a setting, the largest swing of p99 (then throughput, then cost) first.
pub(crate) fn by_swing<'a>(params: &'a [ParameterResult], class: &str) -> Vec<&'a ParameterResult> {
    let keys = [label(Kind::P99, class), label(Kind::Throughput, class), label(Kind::CostPerHour, class)];
    let mut sorted: Vec<&ParameterResult> = params.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |p: &ParameterResult| keys.iter().map(|k| swing(p.effect(k))).collect::<Vec<f64>>();
        let (ka, kb) = (key(a), key(b));
        kb.iter().zip(&ka).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    });
    sorted
}

/// The range a parameter was varied over: "±10%" when both ends moved by
/// that much, else what they moved to ("3..5" for a count rounded to whole
/// numbers, "-10% / +4.2%" otherwise, e.g. an end the model refused).
pub(crate) fn range_text(p: &ParameterResult) -> String {
    let e = &p.ends;
    let (lo, hi) = (e.low / e.nominal - 1.0, e.high / e.nominal - 1.0);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-12);
    if close(lo, -p.fraction) && close(hi, p.fraction) {
        return format!("±{}%", crate::format::round_sig6(p.fraction * 100.0));
    }
    if e.nominal_text.parse::<i64>().is_ok() {
        return format!("{}..{}", e.low_text, e.high_text);
    }
    format!("{} / {}", pct(lo), pct(hi))
}

fn pct(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let v = x * 100.0;
    format!("{}{}%", if v > 0.0 { "+" } else { "" }, crate::format::sig3(v))
}

fn elasticity(e: Option<&Effect>) -> String {
    let Some(e) = e else { return "-".into() };
    let x = e.elasticity;
    if !x.value.is_finite() {
        return "-".into();
    }
    let two = |v: f64| format!("{v:.2}");
    match x.ci95 {
        Some(h) => format!("{} ± {}", two(x.value), two(h)),
        None => two(x.value),
    }
}

/// The run as aligned tables, one per setting, then what was left out and
/// (with several designs) whether the choice of design holds.
pub fn table(s: &Sensitivity) -> String {
    let mut out = format!(
        "{}: each parameter low and high, one at a time; {} replication(s) per setting, seed {} (common random numbers)\n",
        s.file, s.replications, s.seed
    );
    let (p99, thr, cost) =
        (label(Kind::P99, &s.class), label(Kind::Throughput, &s.class), label(Kind::CostPerHour, &s.class));
    for setting in &s.settings {
        if s.settings.len() > 1 {
            out.push_str(&format!("\ndesign `{}`\n", setting.setting.name));
        } else {
            out.push('\n');
        }
        let mut rows = vec![
            [
                "parameter",
                "nominal",
                "range",
                &format!("{p99}: low / high"),
                "elasticity",
                &format!("{thr}: low / high"),
                "elasticity",
                "cost/h: low / high",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for p in by_swing(&setting.parameters, &s.class) {
            let change = |k: &str| {
                p.effect(k).map_or("-".to_string(), |e| format!("{} / {}", pct(e.low_change), pct(e.high_change)))
            };
            let range = range_text(p);
            rows.push(vec![
                p.path.clone(),
                p.ends.nominal_text.clone(),
                range,
                change(&p99),
                elasticity(p.effect(&p99)),
                change(&thr),
                elasticity(p.effect(&thr)),
                change(&cost),
            ]);
        }
        out.push_str(&aligned(&rows));
    }
    out.push_str("\nelasticity: d ln metric / d ln parameter (central difference, 95% CI over replications): +1 means 1% more of the parameter gives 1% more of the metric\n");
    let one_sided: Vec<String> = s
        .settings
        .iter()
        .flat_map(|set| {
            set.parameters.iter().filter_map(|p| p.ends.one_sided.as_ref().map(|w| format!("  {}: {w}\n", p.path)))
        })
        .collect();
    if !one_sided.is_empty() {
        out.push_str("one-sided (an end left at the nominal):\n");
        out.push_str(&one_sided.concat());
    }
    if !s.skipped.is_empty() {
        out.push_str("left out:\n");
        for k in &s.skipped {
            out.push_str(&format!("  {}: {}\n", k.path, k.reason));
        }
    }
    if let Some(r) = &s.ranking {
        out.push_str(&format!("\n{}\n", capitalised(&r.sentence)));
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// One row per setting, parameter and metric, values in SI units.
pub fn csv(s: &Sensitivity) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "setting",
        "parameter",
        "fraction",
        "nominal_text",
        "low_text",
        "high_text",
        "parameter_nominal",
        "parameter_low",
        "parameter_high",
        "metric",
        "of",
        "value_low",
        "value_nominal",
        "value_high",
        "change_low",
        "change_high",
        "elasticity",
        "elasticity_ci95",
    ])
    .expect("in memory");
    for setting in &s.settings {
        for p in &setting.parameters {
            for e in &p.effects {
                w.write_record([
                    setting.setting.name.clone(),
                    p.path.clone(),
                    tidy_text(p.fraction),
                    p.ends.nominal_text.clone(),
                    p.ends.low_text.clone(),
                    p.ends.high_text.clone(),
                    tidy_text(p.ends.nominal),
                    tidy_text(p.ends.low),
                    tidy_text(p.ends.high),
                    e.metric.kind.key().to_string(),
                    e.metric.of.clone(),
                    tidy_text(e.low.value),
                    tidy_text(e.nominal.value),
                    tidy_text(e.high.value),
                    tidy_text(e.low_change),
                    tidy_text(e.high_change),
                    tidy_text(e.elasticity.value),
                    e.elasticity.ci95.map_or(String::new(), tidy_text),
                ])
                .expect("in memory");
            }
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8")
}

/// The run as one JSON document.
pub fn json(s: &Sensitivity) -> String {
    tidy_json(s)
}
