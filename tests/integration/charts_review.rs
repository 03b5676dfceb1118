//! What an architecture review reads off the sweep charts, from sweeps run
//! through the binary and their SVGs read back: a design that fails the SLO
//! is crossed and never on the Pareto frontier; the breakdown adds up to the
//! measured mean latency, with a saturated design flagged and a log axis; a
//! grid of 16 series has a distinct marker and dash per series and its
//! legend inside the image; a load axis spans the swept loads, not 0.

use std::path::Path;

use capsim::experiment::results::ExperimentResults;

use crate::experiments::{ok, read, run, scratch};

/// One API tier: 2 threads per instance at 4 ms each, about 500 requests/s
/// per instance.
const MODEL: &str = r#"
[simulation]
duration = "10s"
warmup = "1s"
replications = 2
seed = 11

[workload.web]
target = "api.handle"
rate = "100/s"

[services.api]
instances = 4
threads = 2
cost_per_hour = 0.10

[services.api.ops.handle]
demand = "exp(4ms)"
"#;

/// Okabe–Ito blue and orange: designs 1 and 2 in SVG notation.
const BLUE: &str = "#0072B2";
const ORANGE: &str = "#E69F00";

/// Runs `capsim sweep` on an experiment over [`MODEL`] and reads back its
/// results and folder.
fn sweep(name: &str, experiment: &str) -> (ExperimentResults, std::path::PathBuf) {
    let dir = scratch(name);
    std::fs::write(dir.join("api.toml"), MODEL).unwrap();
    let file = dir.join("exp.toml");
    std::fs::write(&file, format!("[experiment]\nname = \"{name}\"\nmodel = \"api.toml\"\n{experiment}")).unwrap();
    let out = dir.join("out");
    ok(&run(&["sweep", file.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()]));
    let results = serde_json::from_str(&read(&out, "results.json")).expect("results.json parses");
    (results, out)
}

/// Two designs at three loads: one instance (saturated at 1,800/s, and the
/// cheapest) or four.
fn saturated_sweep() -> (ExperimentResults, std::path::PathBuf) {
    sweep(
        "saturated",
        r#"
[[axes]]
path = "workload.web.rate"
values = ["300/s", "900/s", "1800/s"]

[slo]
p99 = "100ms"

[capacity]
target_load = "1800/s"

[designs.one]
set = { "services.api.instances" = 1 }

[designs.four]
"#,
    )
}

#[test]
fn a_design_that_fails_the_slo_is_crossed_and_left_off_the_frontier() {
    let (results, out) = saturated_sweep();
    let at = |design: &str| {
        results.points.iter().find(|p| p.design == design && p.load == Some(1800.0)).expect("the target load ran")
    };
    // The premise: the cheapest design fails the SLO, so by cost alone it
    // would sit on the frontier.
    assert_eq!(at("one").meets_slo, Some(false));
    assert_eq!(at("four").meets_slo, Some(true));
    assert!(at("one").summary.cost.per_hour < at("four").summary.cost.per_hour);

    let svg = Svg::read(&out.join("charts/cost-vs-latency.svg"));
    // Filled markers are the frontier (the chart's point and its legend swatch).
    assert_eq!(svg.filled(BLUE), 0, "the failing design is not filled (not on the frontier)");
    assert!(svg.filled(ORANGE) >= 2, "the design that meets the SLO is the frontier");
    assert!(svg.crosses(BLUE) >= 1, "the failing design is crossed");
    assert!(svg.has_text("crossed: fails the SLO"));

    // Every point that failed is crossed in latency against load too.
    let failing = results.points.iter().filter(|p| p.design == "one" && p.meets_slo == Some(false)).count();
    assert!(failing >= 2, "{failing}");
    let svg = Svg::read(&out.join("charts/latency-vs-load.svg"));
    assert!(svg.crosses(BLUE) >= failing, "{} crosses for {failing} failing points", svg.crosses(BLUE));
    assert_eq!(svg.crosses(ORANGE), 0, "no point of the passing design fails");
    assert!(svg.has_text("fails the SLO"));
}

#[test]
fn the_breakdown_adds_up_to_the_measured_mean_and_flags_saturation() {
    let (results, out) = saturated_sweep();
    let svg = Svg::read(&out.join("charts/latency-breakdown.svg"));
    for design in ["one", "four"] {
        let p = results.points.iter().find(|p| p.design == design && p.load == Some(1800.0)).expect("ran");
        let class = &p.summary.classes[0];
        let mean = class.mean_sojourn_s.value;
        let shown = capsim::format::format_duration(mean);
        assert!(svg.has_text(&shown), "{design}: the bar's total is the measured mean {shown}");
        if design == "one" {
            // Little's law on a queue that grows through the run overstates
            // the mean: that estimate is not what the chart shows.
            let api = &p.summary.services[0];
            let little = (api.mean_queue_len.value + api.utilisation.value * f64::from(api.threads))
                / class.throughput_per_s.value;
            assert!(little > 1.2 * mean, "Little's law {little} s against the measured {mean} s");
            assert!(!svg.has_text(&capsim::format::format_duration(little)));
        }
    }
    assert!(svg.has_text("one (saturated)"), "the saturated design is labelled");
    assert!(svg.has_text("four"));
    assert!(svg.has_text("saturated"), "the legend says what hatching means");
    // Seconds against milliseconds: a linear axis would leave slivers.
    assert!(svg.has_text("mean time per request (log scale)"));
}

#[test]
fn a_grid_of_sixteen_series_tells_them_apart_and_keeps_its_legend_inside() {
    let (results, out) = sweep(
        "grid",
        r#"
replications = 1

[[axes]]
path = "workload.web.rate"
values = ["1200/s", "1800/s"]

[[axes]]
path = "services.api.instances"
values = [1, 2, 3, 4, 5, 6, 7, 8]

[slo]
p99 = "100ms"

[designs.small]

[designs.large]
set = { "services.api.threads" = 4 }
"#,
    );
    assert_eq!(results.points.len(), 32);
    let svg = Svg::read(&out.join("charts/latency-vs-load.svg"));
    assert_eq!(svg.width, 800.0);
    assert!(svg.height > 500.0, "the image grows for the legend under the plot: {}", svg.height);

    for (design, colour) in [("small", BLUE), ("large", ORANGE)] {
        let mut looks = Vec::new();
        for n in 1..=8 {
            let label = format!("{design}, instances={n}");
            let text = svg.text(&label).unwrap_or_else(|| panic!("`{label}` is in the legend"));
            // Inside the image, with room for the text (DejaVu Sans is about
            // 0.6 em wide per character).
            let right = text.x + 0.6 * text.size * label.chars().count() as f64;
            assert!(text.x >= 0.0 && right <= svg.width, "`{label}` runs off the side: {} to {right}", text.x);
            assert!(text.y > 0.0 && text.y + text.size <= svg.height, "`{label}` runs off the bottom: {}", text.y);
            let look = svg.swatch_before(&label, colour);
            assert!(look.segments >= 1 && !look.marker.is_empty(), "`{label}`: a line and a marker");
            looks.push(look);
        }
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                assert_ne!(a.marker, b.marker, "{design}: two series share a marker");
            }
        }
        let mut dashes: Vec<usize> = looks.iter().map(|l| l.segments).collect();
        dashes.sort_unstable();
        dashes.dedup();
        assert!(dashes.len() >= 3, "{design}: line patterns differ, segments per swatch {dashes:?}");
    }

    // The loads are 1,200 and 1,800: the axis starts near 1,200, not at 0.
    let ticks: Vec<f64> = svg
        .texts
        .iter()
        .filter(|t| t.anchor == "middle")
        .filter_map(|t| t.content.replace(',', "").parse::<f64>().ok())
        .collect();
    assert!(ticks.contains(&1800.0), "{ticks:?}");
    let lowest = ticks.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(lowest >= 1200.0 - 0.1 * 600.0, "the load axis starts at {lowest}, far below the smallest load");
}

/// A `<text>` element.
struct Text {
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    content: String,
}

/// A legend swatch: how many dash segments its line has, and its marker
/// (a circle, or an outline's points relative to its first).
#[derive(Debug, PartialEq)]
struct Look {
    segments: usize,
    marker: String,
}

/// An SVG element: tag, attributes and (for text) content.
type Element = (String, Vec<(String, String)>, String);

fn attr<'a>(e: &'a Element, name: &str) -> &'a str {
    e.1.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

/// The elements of an SVG written by plotters, in document order.
struct Svg {
    width: f64,
    height: f64,
    elements: Vec<Element>,
    texts: Vec<Text>,
}

impl Svg {
    fn read(path: &Path) -> Svg {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut elements = Vec::new();
        let mut rest = source.as_str();
        while let Some(start) = rest.find('<') {
            rest = &rest[start + 1..];
            let end = rest.find('>').expect("a closed tag");
            let tag_text = &rest[..end];
            rest = &rest[end + 1..];
            if tag_text.starts_with('/') {
                continue;
            }
            let tag = tag_text.split_whitespace().next().unwrap_or_default().to_string();
            let mut attrs = Vec::new();
            for part in tag_text.split('"').collect::<Vec<_>>().chunks(2) {
                if let [name, value] = part {
                    let name = name.trim().trim_end_matches('=').rsplit(' ').next().unwrap_or_default();
                    attrs.push((name.to_string(), value.to_string()));
                }
            }
            let content = if tag == "text" {
                rest[..rest.find("</text>").expect("closed")].trim().to_string()
            } else {
                String::new()
            };
            elements.push((tag, attrs, content));
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let root = elements.iter().find(|e| e.0 == "svg").expect("an svg element");
        let (width, height) = (num(attr(root, "width")), num(attr(root, "height")));
        let texts = elements
            .iter()
            .filter(|e| e.0 == "text")
            .map(|e| Text {
                x: num(attr(e, "x")),
                y: num(attr(e, "y")),
                size: num(attr(e, "font-size")),
                anchor: attr(e, "text-anchor").to_string(),
                content: e.2.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"),
            })
            .collect();
        Svg { width, height, elements, texts }
    }

    fn has_text(&self, content: &str) -> bool {
        self.texts.iter().any(|t| t.content.contains(content))
    }

    fn text(&self, content: &str) -> Option<&Text> {
        self.texts.iter().find(|t| t.content == content)
    }

    /// Markers filled with `colour` (circles and polygons).
    fn filled(&self, colour: &str) -> usize {
        self.elements
            .iter()
            .filter(|e| (e.0 == "circle" || e.0 == "polygon") && attr(e, "fill") == colour)
            .filter(|e| attr(e, "opacity") == "1")
            .count()
    }

    /// The ×s drawn in `colour`: pairs of diagonal two-point strokes.
    fn crosses(&self, colour: &str) -> usize {
        let diagonals = self
            .elements
            .iter()
            .filter(|e| e.0 == "polyline" && attr(e, "stroke") == colour)
            .filter(|e| {
                let p = points(attr(e, "points"));
                p.len() == 2 && (p[1].0 - p[0].0).abs() == (p[1].1 - p[0].1).abs() && p[1].0 != p[0].0
            })
            .count();
        diagonals / 2
    }

    /// The swatch drawn in `colour` just before the legend text `label`.
    fn swatch_before(&self, label: &str, colour: &str) -> Look {
        let at = self.elements.iter().position(|e| e.0 == "text" && e.2 == label).expect("the label is drawn");
        let from = self.elements[..at].iter().rposition(|e| e.0 == "text").map_or(0, |i| i + 1);
        let mut look = Look { segments: 0, marker: String::new() };
        for e in self.elements[from..at].iter().filter(|e| attr(e, "stroke") == colour) {
            match (e.0.as_str(), attr(e, "stroke-width")) {
                ("circle", _) => look.marker = "circle".into(),
                ("polyline", "3") => look.segments += 1,
                ("polyline", _) => {
                    let p = points(attr(e, "points"));
                    look.marker = p.iter().map(|q| format!("{},{} ", q.0 - p[0].0, q.1 - p[0].1)).collect();
                }
                _ => {}
            }
        }
        look
    }
}

/// "x,y x,y " as pairs.
fn points(text: &str) -> Vec<(i64, i64)> {
    text.split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}
