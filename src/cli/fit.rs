//! `capsim fit`: read the measurements, fit the candidates, print the table
//! and the line to paste, draw the chart. Every input is read and checked
//! before anything is written, so a bad input leaves no file behind.

use std::io::Write;

use anyhow::Context;

use capsim::calibrate::InputError;
use capsim::calibrate::fit::{self, Histogram, Sample, Targets, prometheus, report, samples};

use super::args::{FitArgs, TableOrJson};

/// `capsim fit`.
pub(crate) fn fit(args: FitArgs) -> anyhow::Result<()> {
    let families = fit::families(&args.families)?;
    if let Some(chart) = &args.chart {
        let ext = chart.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("png" | "svg")) {
            return Err(InputError::new(format!("`{}` must end in .png or .svg", chart.display()))
                .with_key("--chart")
                .into());
        }
    }
    let unit = args.unit.as_deref();
    let result = if let Some(file) = &args.samples {
        let values = samples::read(file, args.column.as_deref(), unit)?;
        let source = match &args.column {
            Some(c) => format!("samples {} (column {c})", file.display()),
            None => format!("samples {}", file.display()),
        };
        fit::fit_samples(source, Sample::new(values), &families)
    } else if let Some(text) = &args.percentiles {
        let targets = Targets::parse(text, samples::default_unit(unit)?)?;
        fit::percentiles::fit(text, targets, &families)
    } else if let Some(file) = &args.prometheus {
        let metric = args.metric.as_deref().unwrap_or_default();
        let scale = samples::default_unit(unit)?.unwrap_or(1.0);
        let h: Histogram = prometheus::read(file, metric, &args.labels, scale)?;
        let mut source = format!("prometheus {} metric {metric}", file.display());
        if !args.labels.is_empty() {
            source.push_str(&format!(" {{{}}}", args.labels.join(",")));
        }
        prometheus::fit(source, h, &families)
    } else {
        unreachable!("clap requires one source")
    };
    let text = match args.format {
        TableOrJson::Table => report::table(&result),
        TableOrJson::Json => report::json(&result),
    };
    if let Some(chart) = &args.chart {
        capsim::charts::fit_chart(&result, chart).with_context(|| format!("drawing {}", chart.display()))?;
    }
    match &args.output {
        Some(path) => capsim::files::write_file_atomically(path, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}
