//! `capsim trace` and `capsim import`: journeys out as text, OTLP or Jaeger
//! JSON; traces in as a first model. Flags are checked before any work, and
//! nothing is written unless everything succeeded.

use std::io::Write;
use std::path::Path;

use capsim::calibrate::InputError;
use capsim::files::{FileError, write_file_atomically};
use capsim::traces::{self, Ids, import};
use capsim::{kernel, model, units};

use super::args::{ImportArgs, TraceArgs, TraceFormat};

/// `capsim trace`.
pub(crate) fn trace(args: TraceArgs) -> anyhow::Result<()> {
    let net = model::load(&args.model.model, &args.model.overrides)?;
    let from = match &args.at {
        Some(text) => units::parse_duration(text)
            .map_err(|e| InputError::new(e.to_string()).with_key("--at").with_hint("a simulated time, e.g. 30s"))?,
        None => 0.0,
    };
    let epoch = traces::ids::parse_epoch(&args.epoch).map_err(|e| InputError::new(e).with_key("--epoch"))?;
    let text = match args.format {
        TraceFormat::Text => kernel::trace(&net, args.replication, args.requests, from),
        TraceFormat::Otlp | TraceFormat::Jaeger => {
            let spans = traces::record(&net, args.replication, args.requests, from);
            let ids = Ids::new(net.settings.seed, args.replication);
            if args.format == TraceFormat::Otlp {
                traces::otlp::write(&spans, &ids, epoch)
            } else {
                traces::jaeger::write(&spans, &ids, epoch)
            }
        }
    };
    if text.is_empty() || text.contains("\"resourceSpans\":[]") || text.starts_with("{\"data\":[]") {
        eprintln!(
            "warning: no request arrived{} before the run ended: lengthen it with --set simulation.duration=...",
            if from > 0.0 { " after --at" } else { "" }
        );
    }
    match &args.output {
        Some(path) => write_file_atomically(path, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// `capsim import`.
pub(crate) fn import(args: ImportArgs) -> anyhow::Result<()> {
    refuse_to_clobber(&args.output, &args.traces, args.force)?;
    let options = import::Options {
        sample_rate: args.sample_rate,
        rate: match &args.rate {
            Some(text) => Some(units::parse_rate(text).map_err(|e| {
                InputError::new(e.to_string()).with_key("--rate").with_hint("a rate with its unit, e.g. 900/s")
            })?),
            None => None,
        },
        families: capsim::calibrate::fit::families(&args.families)?,
    };
    let imported = import::import(&args.traces, &options)?;
    // The model must compile before it is written: a model `capsim check` refuses is a bug here.
    model::from_str(&imported.model).map_err(|e| anyhow::anyhow!("the imported model does not compile: {e}"))?;
    write_file_atomically(&args.output, imported.model.as_bytes())?;
    eprint!("{}", imported.report);
    Ok(())
}

/// Refuses an output that exists (unless `--force`) or that is one of the inputs.
fn refuse_to_clobber(output: &Path, inputs: &[std::path::PathBuf], force: bool) -> Result<(), FileError> {
    let same = |p: &Path| match (std::fs::canonicalize(p), std::fs::canonicalize(output)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if inputs.iter().any(|p| same(p)) {
        return Err(FileError::Refused(format!(
            "`{}` is one of the trace files: choose another name for the model",
            output.display()
        )));
    }
    if output.exists() && !force {
        return Err(FileError::Refused(format!(
            "`{}` exists: choose another name, or pass --force to replace it",
            output.display()
        )));
    }
    Ok(())
}
