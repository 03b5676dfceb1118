//! The plan for people and programs: the table printed on standard output,
//! `candidates.csv` (one row per candidate and load decided), `plan.json`
//! (the [`Plan`] whole) and the rows the report's section shows.

use crate::format::{dollars, format_duration, whole_or_sig3};
use crate::planner::decide::Decided;
use crate::planner::spec::Loads;
use crate::planner::{AtLoad, Plan, Ranked};

fn latency_text(a: &AtLoad) -> String {
    match a.latency {
        Some(l) if l.value.is_finite() => match (l.low(), l.high()) {
            (lo, hi) if hi > lo => {
                format!("{} ({}-{})", format_duration(l.value), format_duration(lo), format_duration(hi))
            }
            _ => format_duration(l.value),
        },
        _ => "-".into(),
    }
}

fn decided_text(d: &Decided) -> String {
    match d {
        Decided::Theory => "theory".into(),
        Decided::Simulation { replications, capped: false } => format!("simulated, {replications} reps"),
        Decided::Simulation { replications, capped: true } => {
            format!("simulated, {replications} reps (cap, undecided)")
        }
    }
}

fn busiest_text(a: &AtLoad) -> String {
    a.busiest.as_ref().map_or("-".into(), |(s, u)| format!("{s} {:.0}%", u * 100.0))
}

/// Table rows (header first) for ranked candidates.
pub fn rows(list: &[Ranked], uncertain: bool) -> Vec<Vec<String>> {
    let mut header: Vec<String> =
        ["#", "candidate", "$/hour", "load", "SLO statistic (95% CI)", "margin", "busiest", "meets", "decided by"]
            .map(String::from)
            .to_vec();
    if uncertain {
        header.extend(["expected regret $/h", "risk"].map(String::from));
    }
    let mut rows = vec![header];
    for (i, r) in list.iter().enumerate() {
        for (k, a) in r.at.iter().enumerate() {
            let first = k == 0;
            let mut row = vec![
                if first { (i + 1).to_string() } else { String::new() },
                if first { r.name.clone() } else { String::new() },
                if first { dollars(r.cost_per_hour) } else { String::new() },
                format!("{}/s", whole_or_sig3(a.load)),
                latency_text(a),
                a.margin.map_or("-".into(), |m| format!("{:.0}%", m * 100.0)),
                busiest_text(a),
                if a.meets { "yes".into() } else { "no".into() },
                decided_text(&a.decided),
            ];
            if uncertain {
                let reg = r.regret.as_ref().filter(|_| first);
                row.push(reg.map_or(String::new(), |g| dollars(g.expected)));
                row.push(reg.map_or(String::new(), |g| format!("{:.0}%", g.risk * 100.0)));
            }
            rows.push(row);
        }
    }
    rows
}

/// The loads in words: "1,200/s and 1,800/s", or "low 1,200/s, mid 1,500/s, high 2,000/s (90%)".
pub fn loads_text(loads: &Loads) -> String {
    match loads {
        Loads::Every(v) => v.iter().map(|l| format!("{}/s", whole_or_sig3(*l))).collect::<Vec<_>>().join(" and "),
        Loads::Uncertain { low, mid, high, confidence } => format!(
            "an uncertain load: low {}/s, mid {}/s, high {}/s ({:.0}% between low and high)",
            whole_or_sig3(*low),
            whole_or_sig3(*mid),
            whole_or_sig3(*high),
            confidence * 100.0
        ),
    }
}

/// What the search cost, in a sentence.
pub fn efficiency(p: &Plan) -> String {
    let ratio = if p.runs > 0 { p.grid_runs as f64 / p.runs as f64 } else { f64::INFINITY };
    format!(
        "{} simulation runs ({} decisions simulated, {} made by theory alone; {} to {} replications each) over {} candidates; an exhaustive grid at {} replications needs {} runs ({}x as many).",
        p.runs,
        p.simulated,
        p.pruned_by_theory,
        p.replications,
        p.max_replications,
        p.space,
        p.replications,
        p.grid_runs,
        crate::format::sig3(ratio)
    )
}

/// The plan as a terminal table.
pub fn table(p: &Plan) -> String {
    let uncertain = matches!(p.loads, Loads::Uncertain { .. });
    let headroom = if p.headroom.is_empty() { String::new() } else { format!(", {}", p.headroom) };
    let mut out = format!("plan: {} ({})\n", p.experiment, p.method);
    out.push_str(&format!("  the cheapest configuration meeting {} at {}{headroom}\n\n", p.slo, loads_text(&p.loads)));
    match (&p.infeasible, p.best.first()) {
        (Some(why), _) => out.push_str(&format!("INFEASIBLE: {why}\n\n")),
        (None, Some(b)) if uncertain => out.push_str(&format!(
            "choice: {} at {} per hour (least expected regret; under-provisioning weighs {}x)\n\n",
            b.name,
            dollars(b.cost_per_hour),
            crate::format::sig3(p.under_weight)
        )),
        (None, Some(b)) => {
            // Prices equal to the cent are a tie, named as capacity answers name theirs.
            let tied: Vec<&str> = p.best[1..]
                .iter()
                .filter(|r| dollars(r.cost_per_hour) == dollars(b.cost_per_hour))
                .map(|r| r.name.as_str())
                .collect();
            let tie =
                if tied.is_empty() { String::new() } else { format!(" (a tie on price with {})", tied.join(", ")) };
            out.push_str(&format!("plan: {} at {} per hour{tie}\n\n", b.name, dollars(b.cost_per_hour)));
        }
        (None, None) => {}
    }
    if !p.best.is_empty() {
        out.push_str("best candidates:\n");
        out.push_str(&crate::report::aligned(&rows(&p.best, uncertain)));
    }
    if !p.rejected.is_empty() {
        out.push_str("\nnearest rejected:\n");
        for r in &p.rejected {
            out.push_str(&format!("  - {} ({} per hour)\n", r.why_not, dollars(r.cost_per_hour)));
        }
    }
    if !p.not_simulated.is_empty() {
        out.push_str("\nnot simulated (cheaper plans were known):\n");
        for (name, floor) in &p.not_simulated {
            out.push_str(&format!("  - {name} and up: at least {} per hour\n", dollars(*floor)));
        }
    }
    for c in &p.capped {
        out.push_str(&format!("\nnote: {c}"));
    }
    if !p.capped.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("\nsearch: {}\n", efficiency(p)));
    out
}

/// `candidates.csv`: one row per candidate and load decided, the best first.
pub fn csv(p: &Plan) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names: Vec<&str> = p.variables.iter().map(|v| v.path.as_str()).collect();
    let mut header = vec!["status", "rank", "candidate"];
    header.extend(&names);
    header.extend([
        "cost_per_hour",
        "load_per_s",
        "meets",
        "latency_s",
        "latency_low_s",
        "latency_high_s",
        "theory_latency_s",
        "margin",
        "busiest",
        "busiest_utilisation",
        "cost_per_million",
        "decided_by",
        "replications",
        "why",
        "expected_regret",
        "risk",
    ]);
    w.write_record(&header).expect("in memory");
    let num = |x: Option<f64>| x.filter(|v| v.is_finite()).map_or(String::new(), crate::report::tidy_text);
    for (status, list) in [("best", &p.best), ("rejected", &p.rejected)] {
        for (i, r) in list.iter().enumerate() {
            for a in &r.at {
                let mut row = vec![status.to_string(), (i + 1).to_string(), r.name.clone()];
                row.extend(r.settings.iter().map(|(_, v)| v.clone()));
                let (by, reps) = match a.decided {
                    Decided::Theory => ("theory", String::new()),
                    Decided::Simulation { replications, .. } => ("simulation", replications.to_string()),
                };
                row.extend([
                    num(Some(r.cost_per_hour)),
                    num(Some(a.load)),
                    a.meets.to_string(),
                    num(a.latency.map(|l| l.value)),
                    num(a.latency.map(|l| l.low())),
                    num(a.latency.map(|l| l.high())),
                    num(a.theory_latency),
                    num(a.margin),
                    a.busiest.as_ref().map_or(String::new(), |b| b.0.clone()),
                    num(a.busiest.as_ref().map(|b| b.1)),
                    num(Some(a.cost_per_million)),
                    by.to_string(),
                    reps,
                    a.why.clone(),
                    num(r.regret.as_ref().map(|g| g.expected)),
                    num(r.regret.as_ref().map(|g| g.risk)),
                ]);
                w.write_record(&row).expect("in memory");
            }
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8")
}

/// `plan.json`.
pub fn json(p: &Plan) -> String {
    crate::report::tidy_json(p)
}
