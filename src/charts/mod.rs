//! Charts (PNG and SVG) drawn from sweep and run results with plotters and
//! an embedded font, so they look the same on every machine.
//!
//! Each chart is first described as data (`figure::Figure`: axes, marks,
//! legend), then drawn twice by one renderer: a PNG at twice the base size
//! (1600 x 1000, sharp on slides and in print) and an SVG at the base size
//! whose text stays `<text>` (selectable, editable in decks). The DejaVu
//! Sans font is compiled in and registered as "sans-serif": no system font
//! or font library is needed at build or run time.
//!
//! Designs keep one Okabe–Ito colour (and marker) in every chart and in the
//! HTML report; values that were not measured (NaN) are skipped, never drawn.
//!
//! ```no_run
//! # fn main() -> Result<(), capsim::charts::ChartError> {
//! let net = capsim::model::from_str("[workload.w]\ntarget = \"s.op\"\nrate = \"5/s\"\n[services.s.ops.op]\ndemand = \"exp(100ms)\"\n").unwrap();
//! let outcome = capsim::run::run(&net);
//! for chart in capsim::charts::run_charts(&outcome.summary, &outcome.latency, "charts".as_ref())? {
//!     println!("{}: {}", chart.png.display(), chart.caption);
//! }
//! # Ok(())
//! # }
//! ```

mod axis;
mod breakdown;
mod by_point;
mod data;
pub mod diagram;
mod figure;
mod fit;
mod legend;
pub(crate) mod palette;
mod pixels;
mod plan;
mod single;
mod sweep;
mod timeline;
mod tornado;
mod validation;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hdrhistogram::Histogram;
use plotters::prelude::*;

use crate::experiment::results::ExperimentResults;
use crate::stats::Summary;

pub(crate) use data::{View, point_label, total_throughput};
pub use fit::fit_chart;

/// Pixel size of a PNG chart (twice [`SVG_SIZE`]); taller when a long
/// legend goes under the plot (see [`ChartFile::size`]).
pub const PNG_SIZE: (u32, u32) = (figure::BASE.0 * 2, figure::BASE.1 * 2);
/// Size of an SVG chart, in pixels; taller when a long legend goes under the plot.
pub const SVG_SIZE: (u32, u32) = figure::BASE;

/// One chart written to disk, as PNG and SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// File stem, e.g. "latency-vs-load".
    pub name: String,
    /// Title for a report or slide.
    pub title: String,
    /// One sentence: what to look at.
    pub caption: String,
    /// The PNG ([`PNG_SIZE`]).
    pub png: PathBuf,
    /// The SVG ([`SVG_SIZE`]).
    pub svg: PathBuf,
    /// The SVG's size in pixels (the PNG's is twice this): [`SVG_SIZE`], or
    /// taller when a legend of many series goes under the plot.
    pub size: (u32, u32),
}

/// Why charts or the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// A file or folder could not be written: check that the folder is
    /// writable and the disk is not full, or choose another output folder.
    #[error("cannot write {}: {error}; check that the folder is writable and the disk is not full, or choose another output folder", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason (not a `source`: the message says it once).
        error: std::io::Error,
    },
    /// A file could not be written atomically, or its destination was refused.
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// Plotters failed to draw or encode a chart (a bug: please report it
    /// with the results.json that triggers it).
    #[error(
        "cannot draw the chart `{chart}` as {format}: {message}; this is a bug in capsim, please report it with the results.json that triggers it"
    )]
    Draw {
        /// Chart name.
        chart: String,
        /// "PNG" or "SVG".
        format: &'static str,
        /// Plotters' message.
        message: String,
    },
    /// The font compiled into capsim was rejected (a bug: the font is fixed at build time).
    #[error("the embedded DejaVu Sans font could not be loaded; this is a bug in capsim, please report it")]
    Font,
}

/// A chart ready to draw.
pub(crate) struct Planned {
    pub name: &'static str,
    pub title: String,
    pub caption: String,
    pub figure: figure::Figure,
}

/// Draws the charts of a sweep into `dir` (created if missing) as
/// `NAME.png` and `NAME.svg`, and returns them in reading order.
///
/// With a load axis: latency, throughput and cost per million requests
/// against load; without one, the same as bars per point. Then, at the
/// comparison load (the target load, else the highest load where every
/// design has data): cost against latency with the Pareto frontier, latency
/// percentile curves, CPU utilisation per service and where the time goes;
/// these four once per target load, named `NAME-at-LOAD` when there are
/// several. Charts with nothing to show (no cost set, no data) are left out.
pub fn sweep_charts(results: &ExperimentResults, dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    write_all(sweep::plan(results), dir)
}

/// Draws the charts of one model run into `dir`: latency percentiles per
/// class (from the merged histograms, in nanoseconds), utilisation per service and
/// where the time goes; with a time series, also latency, throughput,
/// utilisation and (when they change) instances over time.
pub fn run_charts(summary: &Summary, latency: &[Histogram<u64>], dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    write_all(single::plan(summary, latency).into_iter().map(|p| (p.name.to_string(), p)).collect(), dir)
}

/// Draws the charts of `capsim validate` into `dir`: the measured values
/// over the model's predictions with their 95% bands, against load, for
/// latency, throughput and utilisation (those that were measured).
pub fn validation_charts(
    validation: &crate::calibrate::validate::Validation,
    dir: &Path,
) -> Result<Vec<ChartFile>, ChartError> {
    write_all(validation::plan(validation).into_iter().map(|p| (p.name.to_string(), p)).collect(), dir)
}

/// The planner's chart (cost against load served), as `plan.png` and `plan.svg`.
pub fn plan_charts(plan: &crate::planner::Plan, dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    write_all(plan::plan(plan), dir)
}

/// Draws the tornado charts of `capsim sensitivity` into `dir`: for p99
/// latency, throughput and cost per hour, each parameter's effect when
/// lowered and raised alone, the largest on top (per design, for an experiment).
pub fn tornado_charts(sensitivity: &crate::sensitivity::Sensitivity, dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    write_all(tornado::plan(sensitivity), dir)
}

/// Writes each chart under its file stem.
fn write_all(plans: Vec<(String, Planned)>, dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    register_fonts()?;
    std::fs::create_dir_all(dir).map_err(|error| ChartError::Io { path: dir.to_path_buf(), error })?;
    plans.iter().map(|(stem, p)| write_chart(stem, p, dir)).collect()
}

/// Registers the embedded font as "sans-serif" (normal and bold), once.
pub(crate) fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Writes one chart; each file appears complete or not at all (temporary
/// file, then rename).
fn write_chart(stem: &str, plan: &Planned, dir: &Path) -> Result<ChartFile, ChartError> {
    let size = figure::size(&plan.figure);
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let draw_err =
        |format: &'static str| move |message: String| ChartError::Draw { chart: stem.to_string(), format, message };

    // The encoder picks the format from the extension, so the temporary name ends in .png.
    let tmp_png = dir.join(format!(".{stem}.tmp{}.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp_png, (size.0 * 2, size.1 * 2)).into_drawing_area();
        figure::render(&plan.figure, &root, 2.0).map_err(draw_err("PNG"))?;
        root.present().map_err(|e| draw_err("PNG")(e.to_string()))?;
    }
    rename(&tmp_png, &png)?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        figure::render(&plan.figure, &root, 1.0).map_err(draw_err("SVG"))?;
        root.present().map_err(|e| draw_err("SVG")(e.to_string()))?;
    }
    write_atomically(&svg, text.as_bytes())?;
    Ok(ChartFile { name: stem.to_string(), title: plan.title.clone(), caption: plan.caption.clone(), png, svg, size })
}

fn rename(from: &Path, to: &Path) -> Result<(), ChartError> {
    crate::files::rename_or_clean(from, to).map_err(ChartError::from)
}

/// Writes beside `path` under a temporary name, then renames over it.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ChartError> {
    crate::files::write_file_atomically(path, bytes).map_err(ChartError::from)
}
