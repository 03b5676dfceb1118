//! `capsim demands`: read the windows, estimate, print the tables and the
//! model lines (or JSON).

use std::io::Write;

use capsim::calibrate::InputError;
use capsim::calibrate::demands::{self, CoresSource};
use capsim::{files, model};

use super::args::{DemandsArgs, TableOrJson};

/// `capsim demands`.
pub(crate) fn demands(args: DemandsArgs) -> anyhow::Result<()> {
    let net = match &args.model {
        Some(m) => Some(model::load(m, &[])?),
        None => None,
    };
    let flags = args
        .cores
        .iter()
        .map(|f| {
            let bad = || {
                InputError::new(format!("`{f}` is not SERVICE=N"))
                    .with_key("--cores")
                    .with_hint("e.g. --cores api=8: the cores of all the service's instances together")
            };
            let (s, n) = f.split_once('=').ok_or_else(bad)?;
            let n: f64 = n.trim().parse().map_err(|_| bad())?;
            if !(n.is_finite() && n > 0.0) {
                return Err(bad());
            }
            Ok((s.trim().to_string(), n))
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let windows = demands::read_windows(&args.windows, &CoresSource { flags, model: net.as_ref() })?;
    let estimates = demands::estimate(&windows, net.as_ref())?;
    let lines = demands::model_lines(&estimates, net.as_ref());
    let text = match args.format {
        TableOrJson::Table => format!("{}\n{}\n", demands::render_table(&estimates), lines.join("\n")),
        TableOrJson::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                #[serde(flatten)]
                demands: &'a demands::Demands,
                model_lines: &'a [String],
            }
            let mut s = serde_json::to_string_pretty(&Doc { demands: &estimates, model_lines: &lines })?;
            s.push('\n');
            s
        }
    };
    match &args.output {
        Some(path) => files::write_file_atomically(path, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    if args.format == TableOrJson::Json {
        for w in &estimates.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}
