//! The self-contained HTML report of a sweep: one file with the question,
//! the designs, the SLO, the findings in sentences, the charts (PNG inlined
//! as base64), the tables and the provenance. It loads nothing (no network,
//! no fonts, no scripts), escapes every text that came from a user and has
//! print styles, so it reads the same on a laptop, attached to an email or
//! on paper.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::charts::diagram::DesignDiagram;
use crate::charts::{ChartError, ChartFile, View, palette, write_atomically};
use crate::experiment::results::{ExperimentResults, PointResult, TargetAnswer};
use crate::format::{dollars_grouped, format_duration, group_thousands};
use crate::stats::Estimate;
use crate::stats::{LatencyKind, LatencyStat, Measure};

/// The designs' architecture diagrams a report shows.
#[derive(Debug, Clone, Default)]
pub enum Diagrams {
    /// No section (results without an experiment to draw from).
    #[default]
    None,
    /// One per design, drawn inline as SVG.
    Drawn(Vec<DesignDiagram>),
    /// Why there are none (shown in the section).
    Missing(String),
}

/// Writes `dir/report.html` (atomically: a temporary file, then rename) and
/// returns its path. `charts` are read from disk and inlined in order.
pub fn write_report(results: &ExperimentResults, charts: &[ChartFile], dir: &Path) -> Result<PathBuf, ChartError> {
    write_report_with(results, charts, &Diagrams::None, dir)
}

/// [`write_report`] with each design's architecture diagram, inlined as SVG
/// after the designs.
pub fn write_report_with(
    results: &ExperimentResults,
    charts: &[ChartFile],
    diagrams: &Diagrams,
    dir: &Path,
) -> Result<PathBuf, ChartError> {
    std::fs::create_dir_all(dir).map_err(|error| ChartError::Io { path: dir.to_path_buf(), error })?;
    let mut images = Vec::with_capacity(charts.len());
    for chart in charts {
        let bytes = std::fs::read(&chart.png).map_err(|error| ChartError::Io { path: chart.png.clone(), error })?;
        images.push(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    let svgs = match diagrams {
        Diagrams::Drawn(d) => d.iter().map(|d| d.diagram.svg().map(|s| s.0)).collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let html = render(results, charts, &images, (diagrams, &svgs));
    let path = dir.join("report.html");
    write_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// Escapes text for HTML, with `code` spans (as findings and warnings write
/// names) set in `<code>` instead of showing their backticks.
fn inline_code(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
/// A chart as a figure with its caption, the PNG inlined (base64) so the
/// report stays one self-contained file.
pub(super) fn figure(h: &mut String, chart: &ChartFile, b64: &str) {
    let _ = write!(
        h,
        "<figure id=\"chart-{}\">\n<img src=\"data:image/png;base64,{b64}\" width=\"{}\" height=\"{}\" alt=\"{}\">\n<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>\n",
        escape(&chart.name),
        chart.size.0,
        chart.size.1,
        escape(&chart.title),
        escape(&chart.title),
        escape(&chart.caption)
    );
}

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub(super) const CSS: &str = r#"
:root { --ink: #222; --muted: #5a5a5a; --rule: #d9d9d9; --zebra: #f6f6f6; --warn-bg: #fff4e5; --warn: #8a4b00; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; line-height: 1.5; }
body { margin: 0; }
main { max-width: 66rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.2rem 0 0.6rem; }
h2 { font-size: 1.35rem; margin: 2.4rem 0 0.8rem; padding-bottom: 0.25rem; border-bottom: 2px solid var(--ink); }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.8rem; color: var(--muted); margin: 0; }
.question { font-size: 1.2rem; margin: 0 0 1rem; }
.warning { background: var(--warn-bg); border-left: 6px solid #e69f00; color: var(--warn); padding: 0.8rem 1rem; margin: 1rem 0; }
.findings li { margin: 0.35rem 0; font-size: 1.05rem; }
.slo { font-size: 1.1rem; font-weight: 600; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { border-bottom: 2px solid var(--ink); font-weight: 600; }
tbody tr:nth-child(even):not(.group) { background: var(--zebra); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name, td.nowrap { white-space: nowrap; }
tr.group td { background: #fff; border-bottom: 1px solid var(--ink); padding-top: 0.9rem; font-weight: 600; }
.ci { color: var(--muted); font-size: 0.85em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 0.45em; vertical-align: -0.1em; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.88em; background: var(--zebra); padding: 0.05em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
.ok { color: #006d4f; font-weight: 600; }
.miss { color: #a63c00; font-weight: 600; }
figure { margin: 1.6rem 0 2.2rem; max-width: 54rem; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--rule); }
figure.diagram svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { margin-top: 0.5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1.2rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
@media print {
  @page { size: A4; margin: 14mm; }
  html { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure, tr, .warning, dl { break-inside: avoid; }
  figure img { max-height: 120mm; width: auto; max-width: 100%; margin: 0 auto; }
  figure.diagram svg { max-height: 160mm; width: auto; margin: 0 auto; }
  .scroll { overflow: visible; }
  table { font-size: 0.8rem; }
  th, td { padding: 0.25rem 0.35rem; }
  tbody tr:nth-child(even):not(.group) { background: none; }
  .warning { border: 2px solid #e69f00; }
}
"#;

fn render(
    results: &ExperimentResults,
    charts: &[ChartFile],
    images: &[String],
    (diagrams, svgs): (&Diagrams, &[String]),
) -> String {
    let view = View::new(results);
    let info = &results.experiment;
    let mut h = String::with_capacity(64 * 1024 + images.iter().map(String::len).sum::<usize>());
    let title = if info.name.is_empty() { "Capacity experiment".to_string() } else { info.name.clone() };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} · capsim report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&title)
    );
    let _ = write!(h, "<header>\n<p class=\"kicker\">capsim capacity report</p>\n<h1>{}</h1>\n", escape(&title));
    if !info.question.trim().is_empty() {
        let _ = writeln!(h, "<p class=\"question\">{}</p>", escape(&info.question));
    }
    h.push_str("</header>\n");

    // What is missing, what that does to the numbers, and the failed runs.
    let incomplete = if !info.failed_runs.is_empty() {
        let listed: String =
            info.failed_runs.iter().map(|f| format!("<li>{}: {}</li>", escape(&f.run), escape(&f.message))).collect();
        let cause = format!(
            "{} of {} runs failed; the numbers below come from the {} that finished.",
            info.failed_runs.len(),
            info.runs_total,
            info.runs_done
        );
        Some((cause, "once these runs succeed", format!("<ul>{listed}</ul>")))
    } else if !info.complete {
        let cause = format!("The sweep was interrupted: {} of {} runs finished.", info.runs_done, info.runs_total);
        Some((cause, "when the sweep is run to the end", String::new()))
    } else {
        None
    };
    if let Some((cause, until, listed)) = incomplete {
        let _ = writeln!(
            h,
            "<div class=\"warning\" role=\"alert\"><strong>Incomplete sweep.</strong> {cause} Points with fewer replications than planned have wider confidence intervals, points without any are missing from the charts, and the capacity answers below may change {until}.{listed}</div>"
        );
    }

    findings(&mut h, results);
    slo(&mut h, results);
    designs(&mut h, results, &view);
    architecture(&mut h, diagrams, svgs);
    capacity(&mut h, results, &view);

    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if charts.is_empty() {
        h.push_str("<p class=\"muted\">No charts: the results hold no measured points.</p>\n");
    }
    for (chart, b64) in charts.iter().zip(images) {
        figure(&mut h, chart, b64);
    }
    h.push_str("</section>\n");

    points(&mut h, results, &view);
    warnings(&mut h, results);
    provenance(&mut h, results);
    let _ = write!(
        h,
        "<footer>Written by capsim {}. This file is self-contained: it loads no scripts, fonts or images from anywhere.</footer>\n</main>\n</body>\n</html>\n",
        escape(&info.capsim_version)
    );
    h
}

fn findings(h: &mut String, results: &ExperimentResults) {
    h.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if results.capacity.findings.is_empty() {
        h.push_str("<p class=\"muted\">No findings: set an SLO and a load axis in the experiment to get capacity answers.</p>\n");
    } else {
        h.push_str("<ul class=\"findings\">\n");
        for f in &results.capacity.findings {
            let _ = writeln!(h, "<li>{}</li>", inline_code(f));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn slo(h: &mut String, results: &ExperimentResults) {
    h.push_str("<section id=\"slo\">\n<h2>Service-level objective</h2>\n");
    match &results.experiment.slo {
        Some(slo) => {
            let class = slo
                .class
                .as_ref()
                .map_or("every request class".to_string(), |c| format!("request class <code>{}</code>", escape(c)));
            let _ = writeln!(
                h,
                "<p class=\"slo\">{}</p>\n<p class=\"muted\">Applies to {class}.</p>",
                inline_code(&slo.text)
            );
        }
        None => h.push_str(
            "<p class=\"muted\">No SLO was set, so no design passes or fails; the charts still compare them.</p>\n",
        ),
    }
    let view = View::new(results);
    for t in results.capacity.target_answers() {
        let _ = writeln!(h, "<p>Target load: {}; {}.</p>", escape(&view.load_text(t.load)), cheapest_text(results, &t));
    }
    h.push_str("</section>\n");
}

/// Who is cheapest at a target load, a tie named as one.
fn cheapest_text(results: &ExperimentResults, t: &TargetAnswer) -> String {
    let strong = |d: &String| format!("<strong>{}</strong>", escape(d));
    let names: Vec<String> = t.cheapest.iter().map(strong).collect();
    let listed = match names.as_slice() {
        [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    };
    let stat = results.experiment.slo.as_ref().and_then(|s| s.latency).map_or(LatencyStat::P99, |(stat, _)| stat);
    match (t.cheapest.len(), t.cost_per_hour, &t.lowest_latency) {
        _ if results.experiment.slo.is_none() => "the charts below compare the designs there".to_string(),
        (0, _, _) => "no design meets the SLO there".to_string(),
        (_, Some(cost), _) if cost <= 0.0 => format!("{listed} meet the SLO there (the model has no prices)"),
        (1, _, _) => format!("the cheapest design that meets the SLO there is {listed}"),
        (_, cost, lowest) => format!(
            "{listed} tie as the cheapest designs that meet the SLO there{}; of them, {} has the lowest {stat}",
            cost.map(|c| format!(" ({} per hour)", dollars_grouped(c))).unwrap_or_default(),
            lowest.as_ref().map(strong).unwrap_or_default()
        ),
    }
}

fn swatch(design: usize) -> String {
    format!("<span class=\"swatch\" style=\"background:{}\"></span>", palette::hex(palette::design(design)))
}

fn designs(h: &mut String, results: &ExperimentResults, view: &View) {
    let vs = vs_baseline(results, view);
    h.push_str("<section id=\"designs\">\n<h2>Designs</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>Design</th><th>Description</th><th>Changes to the base model</th>");
    if let Some((_, kinds, _)) = &vs {
        for (_, title) in kinds {
            let _ = write!(h, "<th class=\"num\">{title} vs baseline</th>");
        }
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (i, d) in results.experiment.designs.iter().enumerate() {
        let overrides = if d.overrides.is_empty() {
            "<span class=\"muted\">none (the base model)</span>".to_string()
        } else {
            d.overrides.iter().map(|o| format!("<code>{}</code>", escape(o))).collect::<Vec<_>>().join("<br>")
        };
        let _ = write!(
            h,
            "<tr><td class=\"name\">{}<strong>{}</strong></td><td>{}</td><td>{overrides}</td>",
            swatch(i),
            escape(&d.name),
            escape(&d.description)
        );
        if let Some((_, _, cells)) = &vs {
            for cell in &cells[i] {
                let _ = write!(h, "<td class=\"num\">{cell}</td>");
            }
        }
        h.push_str("</tr>\n");
    }
    let _ = write!(
        h,
        "</tbody></table></div>\n<p class=\"muted\">Base model: <code>{}</code>.",
        escape(&results.experiment.model)
    );
    if let Some((label, _, _)) = &vs {
        let _ = write!(
            h,
            " The “vs baseline” columns compare each design with the baseline {}, replication by replication (every design draws the same random numbers): the relative change and its 95% interval; <em>n.s.</em> marks a change not significant at 95%.",
            escape(label)
        );
    }
    h.push_str("</p>\n</section>\n");
}

/// The "vs baseline" cells of the design table, at the charts' comparison
/// point: its label, the columns (kind, title) and per design a cell per column.
type VsBaseline = (String, Vec<(crate::compare::Kind, &'static str)>, Vec<Vec<String>>);

fn vs_baseline(results: &ExperimentResults, view: &View) -> Option<VsBaseline> {
    use crate::compare::Kind;
    let baseline = results.experiment.baseline.as_ref()?;
    let focus = view.focus()?;
    let class = results.experiment.slo.as_ref().and_then(|s| s.class.clone());
    let at = |d: usize| focus.points.iter().flatten().find(|p| p.design_index == d).copied();
    let mut kinds = vec![(Kind::P99, "p99"), (Kind::Throughput, "Throughput")];
    let priced = results.points.iter().any(|p| p.summary.cost.per_hour > 0.0);
    if priced {
        kinds.push((Kind::CostPerHour, "Cost per hour"));
    }
    let cells = (0..results.experiment.designs.len())
        .map(|d| {
            let point = at(d);
            kinds
                .iter()
                .map(|(kind, _)| {
                    if &results.experiment.designs[d].name == baseline {
                        return "<span class=\"muted\">baseline</span>".to_string();
                    }
                    let row = point.and_then(|p| p.vs_baseline.as_ref()).and_then(|rows| {
                        rows.iter().find(|r| {
                            r.metric.kind == *kind
                                && class.as_ref().is_none_or(|c| &r.metric.of == c || r.metric.of.is_empty())
                        })
                    });
                    match row {
                        Some(r) => {
                            let text = escape(&crate::compare::change_text(&r.paired));
                            if r.paired.significant {
                                text
                            } else {
                                format!("{text} <span class=\"muted\">n.s.</span>")
                            }
                        }
                        None => "<span class=\"muted\">-</span>".to_string(),
                    }
                })
                .collect()
        })
        .collect();
    Some((focus.label.clone(), kinds, cells))
}

/// Each design's diagram, its SVG inline (no file to load).
fn architecture(h: &mut String, diagrams: &Diagrams, svgs: &[String]) {
    let drawn = match diagrams {
        Diagrams::None => return,
        Diagrams::Missing(why) => {
            let _ = writeln!(
                h,
                "<section id=\"architecture\">\n<h2>Architecture</h2>\n<p class=\"muted\">No diagrams: {}</p>\n</section>",
                inline_code(why)
            );
            return;
        }
        Diagrams::Drawn(d) => d,
    };
    h.push_str("<section id=\"architecture\">\n<h2>Architecture</h2>\n<p class=\"muted\">Each design as boxes and arrows, at the load the charts compare the designs. Fill: CPU utilisation (white idle, vermillion saturated; a pool: connections in use); thick border: the bottleneck, the busiest service. Arrows: calls (×: visits per request, from the traffic equations, and per second at the model's rates; a class named in brackets when only its requests take the arrow), hollow heads: forwards, dashed: publishes and their consumers (after the response). Wait: mean wait for a thread; % of time: share of a request's mean time spent there.</p>\n");
    for (i, (d, svg)) in drawn.iter().zip(svgs).enumerate() {
        let _ = write!(
            h,
            "<figure class=\"diagram\" id=\"diagram-{i}\">\n{svg}<figcaption>{}<strong>{}.</strong> {}</figcaption>\n</figure>\n",
            swatch(d.design),
            escape(&d.name),
            escape(&d.caption)
        );
    }
    h.push_str("</section>\n");
}

fn design_index(results: &ExperimentResults, name: &str) -> Option<usize> {
    let designs = &results.experiment.designs;
    designs.iter().position(|d| d.name == name).or_else(|| {
        // "design, axis=value": the longest design name it starts with.
        designs
            .iter()
            .enumerate()
            .filter(|(_, d)| name.starts_with(&d.name))
            .max_by_key(|(_, d)| d.name.len())
            .map(|(i, _)| i)
    })
}

fn capacity(h: &mut String, results: &ExperimentResults, view: &View) {
    if results.capacity.designs.is_empty() {
        return;
    }
    h.push_str("<section id=\"capacity\">\n<h2>Capacity per design</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>Design</th><th class=\"num\">Max load in SLO</th><th class=\"num\">Estimate</th><th>Bottleneck at the estimate</th><th class=\"num\">Cost per hour</th><th class=\"num\">Cost per million requests</th></tr></thead>\n<tbody>\n");
    for c in &results.capacity.designs {
        let sw = design_index(results, &c.design).map(swatch).unwrap_or_default();
        let range = match (c.max_load_low, c.max_load_high) {
            _ if results.experiment.slo.is_none() => "—".to_string(),
            (Some(lo), Some(hi)) => escape(&view.load_range_text(lo, hi)),
            (Some(lo), None) if c.max_load == Some(lo) && c.fails_at.is_none() => {
                format!("≥ {} (every load tried)", escape(&view.load_text(lo)))
            }
            (Some(lo), None) => format!("≥ {}", escape(&view.load_text(lo))),
            (None, Some(hi)) if c.max_load.is_none() && c.fails_at == Some(hi) => {
                format!("&lt; {} (the lowest load tried)", escape(&view.load_text(hi)))
            }
            (None, Some(hi)) => format!("&lt; {}", escape(&view.load_text(hi))),
            (None, None) if c.max_load.is_none() && c.fails_at.is_none() => "—".to_string(),
            (None, None) => "undecided".to_string(),
        };
        let estimate = c.max_load.map_or("—".to_string(), |l| escape(&view.load_text(l)));
        let bottleneck = match &c.bottleneck {
            Some((s, u)) => format!("<code>{}</code> ({:.0}% CPU)", escape(s), u * 100.0),
            None => "—".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{sw}<strong>{}</strong></td><td class=\"num\">{range}</td><td class=\"num\">{estimate}</td><td>{bottleneck}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&c.design),
            dollars_grouped(c.cost_per_hour),
            c.cost_per_million_at_max.map_or("—".to_string(), dollars_grouped)
        );
    }
    h.push_str("</tbody></table></div>\n<p class=\"muted\">Max load in SLO: from the highest load that clearly met the SLO (the 95% interval of every statistic it limits inside the limit) to the lowest that clearly missed it (an interval wholly beyond a limit); loads in between were too close to call. ≥: no load tried clearly missed it; &lt;: no load tried clearly met it. Estimate: the highest load whose point estimates met the SLO, from the range's low end up. The bottleneck and the cost per million requests are at the estimate.</p>\n</section>\n");
}

fn latency_cell(e: Option<&Estimate>) -> String {
    match e {
        Some(e) if e.value.is_finite() => match e.ci95 {
            // A percentile's interval is asymmetric: both sides, in percent.
            Some(_) if e.value > 0.0 && e.is_asymmetric() => format!(
                "{} <span class=\"ci\">+{:.0}% / −{:.0}%</span>",
                format_duration(e.value),
                ((e.high() - e.value) / e.value * 100.0).max(1.0),
                ((e.value - e.low()) / e.value * 100.0).max(1.0)
            ),
            Some(ci) if e.value > 0.0 => {
                format!(
                    "{} <span class=\"ci\">±{:.0}%</span>",
                    format_duration(e.value),
                    (ci / e.value * 100.0).max(1.0)
                )
            }
            Some(_) => format_duration(e.value),
            None => format_duration(e.value),
        },
        _ => "—".to_string(),
    }
}

fn points(h: &mut String, results: &ExperimentResults, view: &View) {
    if results.points.is_empty() {
        return;
    }
    // Beyond p50 and p99: the SLO's statistic, and where the class publishes,
    // the other latency's p99 (the 202 beside the work, or the reverse).
    let mut extras: Vec<(String, Measure)> = Vec::new();
    if ![LatencyStat::P50, LatencyStat::P99].contains(&view.metric.stat) {
        extras.push((view.metric.stat.name().to_string(), view.metric));
    }
    if results.points.iter().any(|p| view.class_of(p).is_some_and(|c| c.completion_s.is_some())) {
        let (kind, name) = match view.metric.kind {
            LatencyKind::Reply => (LatencyKind::Completion, "completion p99"),
            LatencyKind::Completion => (LatencyKind::Reply, "reply p99"),
        };
        extras.push((name.to_string(), Measure { kind, stat: LatencyStat::P99 }));
    }
    let class = view.class.as_deref().map(|c| format!(" of class <code>{}</code>", escape(c))).unwrap_or_default();
    let latency = match view.metric.kind {
        LatencyKind::Reply => "Latency",
        LatencyKind::Completion => "Completion latency (until the work the request published was done)",
    };
    let _ = write!(
        h,
        "<section id=\"points\">\n<h2>Every point</h2>\n<p class=\"muted\">{latency}{class}; ± is the 95% confidence interval over replications, relative to the value. Runs: replications finished. Busiest service: the highest CPU utilisation.</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>{}</th><th class=\"num\">Runs</th><th class=\"num\">Throughput [req/s]</th><th class=\"num\">p50</th><th class=\"num\">p99</th>{}<th class=\"num\">Errors</th><th>Busiest service</th><th class=\"num\">$ per million</th><th>SLO</th></tr></thead>\n<tbody>\n",
        escape(&axes_title(results)),
        extras.iter().map(|(name, _)| format!("<th class=\"num\">{}</th>", escape(name))).collect::<String>()
    );
    let columns = 9 + extras.len();
    for s in &view.series {
        let _ = writeln!(
            h,
            "<tr class=\"group\"><td colspan=\"{columns}\">{}{}</td></tr>",
            swatch(s.design),
            escape(&s.label)
        );
        for p in &s.points {
            point_row(h, view, p, &extras);
        }
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn axes_title(results: &ExperimentResults) -> String {
    let labels: Vec<&str> = results.experiment.axes.iter().map(|a| a.label.as_str()).collect();
    if labels.is_empty() { "Point".to_string() } else { labels.join(", ") }
}

fn point_row(h: &mut String, view: &View, p: &PointResult, extras: &[(String, Measure)]) {
    let class = view.class_of(p);
    let lat = |m: LatencyStat| class.map(|c| m.of(view.metric.kind.of(c)));
    let has = view.has_data(p);
    let throughput = if has {
        let t = crate::charts::total_throughput(&p.summary);
        group_thousands(t.value, if t.value < 100.0 { 1 } else { 0 })
    } else {
        "—".to_string()
    };
    let errors = class
        .map(|c| c.error_ratio.value)
        .filter(|v| v.is_finite() && has)
        .map_or("—".to_string(), |v| if v == 0.0 { "0".to_string() } else { format!("{:.2}%", v * 100.0) });
    let busiest = crate::stats::utilisation::busiest(&p.summary.services)
        .filter(|_| has)
        .map_or("—".to_string(), |s| format!("<code>{}</code> {:.0}%", escape(&s.name), s.utilisation.value * 100.0));
    let slo = match p.meets_slo {
        Some(true) => "<span class=\"ok\">✓ meets</span>",
        Some(false) => "<span class=\"miss\">✗ misses</span>",
        None => "—",
    };
    let cost = if has { dollars_grouped(p.summary.cost.per_million_requests.value) } else { "—".to_string() };
    let _ = writeln!(
        h,
        "<tr><td class=\"nowrap\">{}</td><td class=\"num\">{}</td><td class=\"num\">{throughput}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}<td class=\"num\">{errors}</td><td class=\"nowrap\">{busiest}</td><td class=\"num\">{cost}</td><td class=\"nowrap\">{slo}</td></tr>",
        escape(&crate::charts::point_label(p)),
        p.replications,
        latency_cell(lat(LatencyStat::P50).filter(|_| has)),
        latency_cell(lat(LatencyStat::P99).filter(|_| has)),
        extras
            .iter()
            .map(|(_, m)| format!("<td class=\"num\">{}</td>", latency_cell(class.map(|c| m.of(c)).filter(|_| has))))
            .collect::<String>()
    );
}

fn warnings(h: &mut String, results: &ExperimentResults) {
    const SHOWN: usize = 30;
    // Warnings that differ only in their numbers (the same tail warning at
    // every load) make one bullet, naming the points they hold at.
    let shape = |w: &str| -> String {
        w.chars().map(|c| if c.is_ascii_digit() || c == ',' || c == '.' { '#' } else { c }).collect()
    };
    let mut groups: Vec<(String, String, Vec<String>)> = Vec::new();
    for p in &results.points {
        for w in &p.summary.warnings {
            let at = format!("{} at {}", p.design, crate::charts::point_label(p));
            let key = shape(w);
            match groups.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, places)) => {
                    if !places.contains(&at) {
                        places.push(at);
                    }
                }
                None => groups.push((key, w.clone(), vec![at])),
            }
        }
    }
    if groups.is_empty() {
        return;
    }
    h.push_str("<section id=\"warnings\">\n<h2>Simulator warnings</h2>\n<ul>\n");
    for (_, w, places) in groups.iter().take(SHOWN) {
        let at = match places.as_slice() {
            [one] => escape(one),
            [first, .., last] if places.len() > 4 => {
                format!("{} points ({}, …, {})", places.len(), escape(first), escape(last))
            }
            many => format!("{} points ({})", many.len(), escape(&many.join(", "))),
        };
        let example = if places.len() > 1 { " (the numbers are the first point's)" } else { "" };
        let _ = writeln!(h, "<li><strong>{at}:</strong> {}{example}</li>", inline_code(w));
    }
    h.push_str("</ul>\n");
    if groups.len() > SHOWN {
        let _ = writeln!(h, "<p class=\"muted\">… and {} more in results.json.</p>", groups.len() - SHOWN);
    }
    h.push_str("</section>\n");
}

fn provenance(h: &mut String, results: &ExperimentResults) {
    let i = &results.experiment;
    let complete = if i.complete {
        "yes".to_string()
    } else if !i.failed_runs.is_empty() {
        format!("<strong class=\"miss\">no: {} of {} runs failed</strong>", i.failed_runs.len(), i.runs_total)
    } else {
        format!("<strong class=\"miss\">no: interrupted after {} of {} runs</strong>", i.runs_done, i.runs_total)
    };
    let _ = write!(
        h,
        "<section id=\"provenance\">\n<h2>Provenance</h2>\n<dl>\n<dt>Experiment</dt><dd><code>{}</code></dd>\n<dt>Base model</dt><dd><code>{}</code></dd>\n<dt>Inputs SHA-256</dt><dd><code>{}</code></dd>\n<dt>capsim version</dt><dd>{}</dd>\n<dt>Seed</dt><dd>{}</dd>\n<dt>Replications per point</dt><dd>{}</dd>\n<dt>Runs</dt><dd>{} of {}</dd>\n<dt>Complete</dt><dd>{complete}</dd>\n<dt>Command</dt><dd><code>{}</code></dd>\n</dl>\n<p class=\"muted\">The same inputs (same SHA-256), capsim version and seed give the same numbers.</p>\n</section>\n",
        escape(&i.file),
        escape(&i.model),
        escape(&i.inputs_sha256),
        escape(&i.capsim_version),
        i.seed,
        i.replications,
        i.runs_done,
        i.runs_total,
        escape(&i.command)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(inline_code("class `web` <= 100 ms"), "class <code>web</code> &lt;= 100 ms");
        assert_eq!(inline_code("no code"), "no code");
    }

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
