//! The chart of `capsim fit`: the data's CDF against each fitted family's,
//! durations on a log axis and the cumulative fraction on the nines scale
//! (90%, 99%, 99.9% equally spaced), so both the body and the tail show.
//! One file, PNG or SVG by its extension.

use std::path::Path;

use plotters::prelude::*;

use crate::calibrate::fit::{Evidence, Family, Fit};

use super::axis::{Axis, Fmt, Scale};
use super::figure::{self, Figure, Mark};
use super::legend::{LegendEntry, Swatch};
use super::palette::{self, Dash, Face, INK};
use super::{ChartError, Planned};

/// Points on each fitted curve.
const CURVE_POINTS: usize = 240;
/// Points of a sample's empirical CDF drawn (more add nothing at this size).
const DATA_POINTS: usize = 600;

fn plan(fit: &Fit) -> Planned {
    let data = fit.evidence.cdf_points();
    let axis_y = Axis::nines("fraction of durations at or below");
    let mut marks = Vec::new();
    let mut legend = Vec::new();
    let (lo, hi) = data.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let deepest = data.iter().filter_map(|p| axis_y.coord(p.1)).fold(0.0, f64::max);
    let (x0, x1) = ((lo / 2.0).ln(), (hi * 2.0).ln());
    for (i, c) in fit.candidates.iter().enumerate().filter(|(_, c)| c.family != Family::Empirical) {
        let chosen = Some(c.family) == fit.chosen;
        let points: Vec<(f64, f64)> = (0..CURVE_POINTS)
            .map(|j| (x0 + (x1 - x0) * j as f64 / (CURVE_POINTS - 1) as f64).exp())
            .map(|x| (x, c.model.cdf(x)))
            .filter(|&(_, f)| axis_y.coord(f).is_some_and(|y| y <= deepest + 0.5))
            .collect();
        // Black (the sixth design colour) is the data's.
        let colour = palette::design(if i >= 6 { i + 1 } else { i });
        let (width, dash) = if chosen { (3.0, Dash::Solid) } else { (1.5, Dash::Dashed) };
        marks.push(Mark::Line { points, colour, width, dash, marker: None });
        let label = if chosen { format!("{} (chosen)", c.family.name()) } else { c.family.name().to_string() };
        legend.push(LegendEntry::new(label, Swatch::Line { colour, dash, width, marker: None }));
    }
    // Samples are a curve (dotted, under the fits' colours); percentiles and bucket bounds are points on top.
    if let Evidence::Samples(_) = fit.evidence {
        let step = (data.len() / DATA_POINTS).max(1);
        let points: Vec<(f64, f64)> = data.iter().step_by(step).copied().collect();
        marks.push(Mark::Line { points, colour: INK, width: 2.0, dash: Dash::Dotted, marker: None });
        let swatch = Swatch::Line { colour: INK, dash: Dash::Dotted, width: 2.0, marker: None };
        legend.insert(0, LegendEntry::new("samples", swatch));
    } else {
        let what = if matches!(fit.evidence, Evidence::Buckets(_)) { "bucket bounds" } else { "given percentiles" };
        let marker = palette::marker(0);
        for &at in &data {
            marks.push(Mark::Point { at, colour: INK, marker, size: 6.0, face: Face::Filled });
        }
        legend.insert(0, LegendEntry::new(what, Swatch::Marker { colour: INK, marker, face: Face::Filled }));
    }
    let x = Axis { title: "duration".into(), scale: Scale::Log, fmt: Fmt::Seconds, zero: false, start: None };
    let criterion = match fit.criterion {
        crate::calibrate::fit::Criterion::QuantileLoss => "quantile loss",
        _ => "AIC",
    };
    Planned {
        name: "fit",
        title: "Fitted distributions".into(),
        caption: "The data's cumulative distribution against each fitted family; the tail stretched so 90%, 99% and 99.9% are equally spaced.".into(),
        figure: Figure {
            title: "Fitted service-time distributions".into(),
            subtitle: format!("{} (n = {}), chosen by {criterion}", fit.source, fit.n),
            x,
            y: axis_y,
            marks,
            legend,
            legend_below: false,
        },
    }
}

/// Draws the fit chart into `path`, a PNG or an SVG by its extension,
/// written atomically.
pub fn fit_chart(fit: &Fit, path: &Path) -> Result<(), ChartError> {
    super::register_fonts()?;
    let plan = plan(fit);
    let size = figure::size(&plan.figure);
    let draw_err =
        |format: &'static str| move |message: String| ChartError::Draw { chart: "fit".into(), format, message };
    let svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if svg {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
            figure::render(&plan.figure, &root, 1.0).map_err(draw_err("SVG"))?;
            root.present().map_err(|e| draw_err("SVG")(e.to_string()))?;
        }
        return super::write_atomically(path, text.as_bytes());
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{stem}.tmp{}.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, (size.0 * 2, size.1 * 2)).into_drawing_area();
        figure::render(&plan.figure, &root, 2.0).map_err(draw_err("PNG"))?;
        root.present().map_err(|e| draw_err("PNG")(e.to_string()))?;
    }
    super::rename(&tmp, path)
}
