//! `capsim import`: a first model from distributed traces.
//!
//! | file | owns |
//! |---|---|
//! | `read.rs` | OTLP/JSON and Jaeger JSON as a stream of spans, format detection, located errors |
//! | `graph.rs` | traces reduced one by one to operations, own times, calls and root arrivals |
//! | `write.rs` | the model file: services, operations with fitted own time, steps, queues, workload, and comments where traces cannot tell |

use std::path::PathBuf;

use crate::calibrate::InputError;
use crate::calibrate::fit::Family;

pub mod graph;
pub mod read;
mod write;

pub use graph::Graph;
pub use read::Format;

/// How to turn traces into a model.
#[derive(Debug, Clone)]
pub struct Options {
    /// Fraction of requests the tracer kept: rates are divided by it.
    pub sample_rate: f64,
    /// Total arrival rate \[1/s\] to use instead of the timestamps', split by the traces' mix.
    pub rate: Option<f64>,
    /// Families tried for own times.
    pub families: Vec<Family>,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The model file's text.
    pub model: String,
    /// What was read and what to check, for the terminal.
    pub report: String,
}

/// Reads every file (one format for all), learns the call graph and writes the model.
pub fn import(files: &[PathBuf], options: &Options) -> Result<Imported, InputError> {
    if !(options.sample_rate > 0.0 && options.sample_rate <= 1.0) {
        return Err(InputError::new(format!("{} is not a fraction in (0, 1]", options.sample_rate))
            .with_key("--sample-rate")
            .with_hint("the share of requests your tracer keeps, e.g. 0.01 for 1%"));
    }
    if options.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(InputError::new("the rate must be positive").with_key("--rate"));
    }
    let mut graph = Graph::default();
    let mut format = None;
    for file in files {
        format = Some(read::read_file(file, &mut graph, format)?);
    }
    graph.finish();
    let first = files.first().map(|f| f.as_path());
    if graph.classes.is_empty() {
        let err = InputError::new(format!(
            "{} span(s) in {} trace(s), but no root span: no request enters the system",
            graph.counts.spans, graph.counts.traces
        ))
        .with_hint("a root span has no parent; if your traces were cut, include the spans of the entry service");
        return Err(match first {
            Some(f) if files.len() == 1 => InputError { file: Some(f.to_path_buf()), ..err },
            _ => err,
        });
    }
    let sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Ok(write::model(&graph, options, format.expect("at least one file"), &sources))
}
