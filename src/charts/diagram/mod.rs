//! The architecture diagram of a model: workloads, balancers, services
//! (instances x threads and cores, instance type), pools, caches, databases
//! with their replicas, queues and their consumers, as boxes; calls,
//! forwards and publishes as arrows labelled with their visits per request
//! from the traffic equations. After a run, boxes are filled by utilisation
//! and carry the mean wait and their share of a request's time, and the
//! bottleneck has a thick border.
//!
//! - `build.rs`: the model (and a run's summary) as nodes and edges;
//! - `layout.rs`: the layered, top-down placement (Sugiyama-style);
//! - `draw.rs`: SVG and PNG through plotters with the embedded font, as the charts;
//! - `export.rs`: Graphviz DOT and Mermaid text.
//!
//! ```no_run
//! # fn main() -> Result<(), capsim::charts::ChartError> {
//! let net = capsim::model::load("models/web-3tier.toml".as_ref(), &[]).unwrap();
//! let diagram = capsim::charts::diagram::Diagram::of(&net, "web-3tier");
//! print!("{}", diagram.dot());
//! diagram.write("web-3tier.svg".as_ref(), capsim::charts::diagram::Format::Svg)?;
//! # Ok(())
//! # }
//! ```

mod build;
mod draw;
mod export;
mod layout;

use std::path::Path;

use plotters::prelude::*;

use super::{ChartError, ChartFile, register_fonts, write_atomically};
use crate::experiment::results::ExperimentResults;
use crate::experiment::spec::Experiment;
use crate::model::Network;
use crate::stats::Summary;

pub use build::{Diagram, Edge, EdgeKind, Node, NodeKind, NodeLoad, visits_text};

/// The file formats of a diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A vector image; text stays `<text>`.
    Svg,
    /// A bitmap at twice the SVG's size.
    Png,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

impl Format {
    /// The format a file name's extension asks for: .svg, .png, .dot (.gv), .mmd (.mermaid).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "svg" => Format::Svg,
            "png" => Format::Png,
            "dot" | "gv" => Format::Dot,
            "mmd" | "mermaid" => Format::Mermaid,
            _ => return None,
        })
    }
}

impl Diagram {
    /// The diagram of a model, before any run: structure and traffic.
    pub fn of(net: &Network, title: &str) -> Diagram {
        let mut d = build::build(net, title);
        d.subtitle = "× visits per request from the traffic equations · per second at the model's rates".to_string();
        d
    }

    /// The diagram of a model after a run: boxes filled by utilisation,
    /// with mean waits and time shares, the bottleneck marked.
    pub fn measured(net: &Network, summary: &Summary, title: &str) -> Diagram {
        let mut d = build::build(net, title);
        build::annotate(&mut d, summary);
        d.subtitle = format!(
            "Measured over {} replication(s): fill = CPU utilisation · wait = mean wait for a thread (p99) · % of time = share of a request's mean time",
            summary.replications
        );
        d
    }

    /// Graphviz DOT text.
    pub fn dot(&self) -> String {
        export::dot(self)
    }

    /// Mermaid flowchart text.
    pub fn mermaid(&self) -> String {
        export::mermaid(self)
    }

    /// Edge crossings of the layout drawn (0 for every shipped model).
    pub fn crossings(&self) -> Result<usize, ChartError> {
        register_fonts()?;
        Ok(draw::place(self).layout.crossings)
    }

    /// The SVG document, its size in pixels.
    pub fn svg(&self) -> Result<(String, (u32, u32)), ChartError> {
        register_fonts()?;
        let placed = draw::place(self);
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, placed.size).into_drawing_area();
            draw::render(&placed, &root, 1.0).map_err(draw_error("SVG"))?;
            root.present().map_err(|e| draw_error("SVG")(e.to_string()))?;
        }
        Ok((text, placed.size))
    }

    /// Writes the PNG (twice the SVG's size) to `path`, atomically.
    fn write_png(&self, path: &Path) -> Result<(u32, u32), ChartError> {
        register_fonts()?;
        let placed = draw::place(self);
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        // The encoder picks the format from the extension, so the temporary name ends in .png.
        let tmp = dir.join(format!(".{stem}.tmp{}.png", std::process::id()));
        {
            let root = BitMapBackend::new(&tmp, (placed.size.0 * 2, placed.size.1 * 2)).into_drawing_area();
            draw::render(&placed, &root, 2.0).map_err(draw_error("PNG"))?;
            root.present().map_err(|e| draw_error("PNG")(e.to_string()))?;
        }
        crate::files::rename_or_clean(&tmp, path)?;
        Ok(placed.size)
    }

    /// Writes the diagram to `path` in `format`, atomically.
    pub fn write(&self, path: &Path, format: Format) -> Result<(), ChartError> {
        match format {
            Format::Png => self.write_png(path).map(|_| ()),
            Format::Svg => write_atomically(path, self.svg()?.0.as_bytes()),
            Format::Dot => write_atomically(path, self.dot().as_bytes()),
            Format::Mermaid => write_atomically(path, self.mermaid().as_bytes()),
        }
    }

    /// Writes `dir/STEM.png` and `dir/STEM.svg`, as the charts are written.
    pub fn write_chart(&self, dir: &Path, stem: &str, caption: &str) -> Result<ChartFile, ChartError> {
        std::fs::create_dir_all(dir).map_err(|error| ChartError::Io { path: dir.to_path_buf(), error })?;
        let (png, svg) = (dir.join(format!("{stem}.png")), dir.join(format!("{stem}.svg")));
        self.write_png(&png)?;
        let (text, size) = self.svg()?;
        write_atomically(&svg, text.as_bytes())?;
        Ok(ChartFile {
            name: stem.to_string(),
            title: self.title.clone(),
            caption: caption.to_string(),
            png,
            svg,
            size,
        })
    }
}

fn draw_error(format: &'static str) -> impl Fn(String) -> ChartError {
    move |message| ChartError::Draw { chart: "diagram".to_string(), format, message }
}

/// One design's diagram in a sweep's report.
#[derive(Debug, Clone)]
pub struct DesignDiagram {
    /// Index of the design (its colour).
    pub design: usize,
    /// The design's name.
    pub name: String,
    /// The diagram, measured at the sweep's comparison point when it has data there.
    pub diagram: Diagram,
    /// One sentence: where it was measured.
    pub caption: String,
}

/// Each design's diagram at the sweep's comparison point (the target load,
/// else the highest load every design reached), as the charts compare
/// them: its model there and what the runs measured.
pub fn design_diagrams(results: &ExperimentResults, exp: &Experiment) -> Vec<DesignDiagram> {
    let view = super::View::new(results);
    let focus = view.focus();
    let mut out: Vec<DesignDiagram> = Vec::new();
    for (k, series) in view.series.iter().enumerate() {
        if out.iter().any(|d| d.design == series.design) {
            continue;
        }
        let Some(name) = results.experiment.designs.get(series.design).map(|d| d.name.clone()) else { continue };
        let at = focus.as_ref().and_then(|f| f.points.get(k).copied().flatten());
        let (diagram, caption) = match at {
            Some(p) => {
                let Some(net) = exp.networks.get(p.design_index).and_then(|n| n.get(p.point_index)) else { continue };
                let label = focus.as_ref().map_or(String::new(), |f| f.label.clone());
                let title = format!("{name} {label}");
                (Diagram::measured(net, &p.summary, &title), format!("Design {name} {label}, as measured there."))
            }
            None => {
                let Some(net) = exp.networks.get(series.design).and_then(|n| n.first()) else { continue };
                (Diagram::of(net, &name), format!("Design {name}: no runs finished at the comparison point."))
            }
        };
        out.push(DesignDiagram { design: series.design, name, diagram, caption });
    }
    out
}
