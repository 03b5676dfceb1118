//! The plan's report (`report.html` of `capsim plan -o`): the answer, the
//! ranked candidates with their intervals, the nearest rejected ones and
//! why, what the search cost against the grid, and the chart, in one
//! self-contained page in the style of the sweep's report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::html::{CSS, escape, figure};
use crate::charts::{ChartError, ChartFile};
use crate::planner::spec::Loads;
use crate::planner::{Plan, output};

/// Writes `dir/report.html` with the plan's section and `charts` inlined.
pub fn write_plan_report(plan: &Plan, charts: &[ChartFile], dir: &Path) -> Result<PathBuf, ChartError> {
    let mut h = String::new();
    let title = format!("Plan: {}", plan.experiment);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} · capsim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<header>\n<p class=\"kicker\">capsim plan</p>\n<h1>{}</h1>\n</header>\n",
        escape(&title),
        escape(&title)
    );
    section(&mut h, plan);
    for chart in charts {
        let bytes = std::fs::read(&chart.png).map_err(|error| ChartError::Io { path: chart.png.clone(), error })?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        figure(&mut h, chart, &b64);
    }
    h.push_str("</main>\n</body>\n</html>\n");
    let path = dir.join("report.html");
    crate::charts::write_atomically(&path, h.as_bytes())?;
    Ok(path)
}

/// The section "Planning": the answer, the tables and the search's cost.
pub fn section(h: &mut String, plan: &Plan) {
    let headroom = if plan.headroom.is_empty() { String::new() } else { format!(", {}", plan.headroom) };
    let _ = writeln!(
        h,
        "<section id=\"plan\">\n<h2>Planning: the cheapest configuration that meets the SLO</h2>\n<p>{} at {}{}.</p>",
        escape(&plan.slo),
        escape(&output::loads_text(&plan.loads)),
        escape(&headroom)
    );
    match (&plan.infeasible, plan.best.first()) {
        (Some(why), _) => {
            let _ =
                writeln!(h, "<div class=\"warning\" role=\"alert\"><strong>Infeasible.</strong> {}</div>", escape(why));
        }
        (None, Some(b)) => {
            let _ = writeln!(
                h,
                "<p><strong>The plan: {} at {} per hour.</strong></p>",
                escape(&b.name),
                escape(&crate::format::dollars(b.cost_per_hour))
            );
        }
        (None, None) => {}
    }
    let uncertain = matches!(plan.loads, Loads::Uncertain { .. });
    if !plan.best.is_empty() {
        table(h, &output::rows(&plan.best, uncertain));
    }
    if !plan.rejected.is_empty() {
        h.push_str("<h3>Nearest rejected</h3>\n<ul>\n");
        for r in &plan.rejected {
            let _ = writeln!(h, "<li>{}</li>", escape(&r.why_not));
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(h, "<p class=\"muted\">{}</p>\n</section>", escape(&output::efficiency(plan)));
}

fn table(h: &mut String, rows: &[Vec<String>]) {
    h.push_str("<table>\n");
    for (i, row) in rows.iter().enumerate() {
        let cell = if i == 0 { "th" } else { "td" };
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<{cell}>{}</{cell}>", escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}
