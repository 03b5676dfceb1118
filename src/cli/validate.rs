//! `capsim validate`: read the measurements, run the model at each measured
//! load (the same seed at every level), compare, print, write the folder,
//! and exit 1 when a metric is beyond tolerance.

use std::io::{IsTerminal, Write};
use std::path::Path;

use capsim::calibrate::validate::{self, Context, NotRun, Tolerances};
use capsim::files::{self, Destination};
use capsim::model;

use super::args::{TableOrJson, ValidateArgs};
use super::sweep::{Interrupted, progress_bar, stop_on_ctrl_c, use_threads};

/// A validation that ran and found metrics beyond tolerance (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OutOfTolerance(pub(crate) String);

/// `capsim validate`.
pub(crate) fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    use_threads(args.threads)?;
    let model_path = args.model.model.as_path();
    let overrides =
        super::run::with_shorthands(&args.model.overrides, args.replications, args.seed, args.duration.as_deref());
    // Every input is checked before any simulation, and nothing is written on a bad one.
    let tolerances = Tolerances::parse(&args.tolerances)?;
    let base = model::load(model_path, &overrides)?;
    let target = validate::target(&base, args.rate_path.as_deref())?;
    let services: Vec<String> = base.services.iter().map(|s| s.name.clone()).collect();
    let measurements = validate::read(&args.measurements, Context { kind: target.kind, services: &services })?;
    if measurements.kind != target.kind {
        let first = &measurements.levels[0].origin;
        return Err(first
            .error(format!(
                "the measurements' loads are {} but `{}` takes {}",
                measurements.kind.column(),
                target.path,
                target.kind.column()
            ))
            .with_key("--rate-path")
            .with_hint(
                "a closed-loop test (users with think time) validates a closed class (users = N, think = ...); an open test (requests/s) an open class (rate = ...): give the model the matching class, or --rate-path",
            )
            .into());
    }
    let nets = target.networks(model_path, &overrides, &measurements.levels)?;
    if let Some(dir) = &args.out {
        let mut inputs: Vec<&Path> = vec![model_path];
        inputs.extend(args.measurements.iter().map(|p| p.as_path()));
        files::check_destination(dir, Destination::Validation, &inputs, args.force)?;
    }

    let stop = stop_on_ctrl_c();
    let runs: usize = nets.iter().map(|n| n.settings.replications as usize).sum();
    let bar = progress_bar(runs, !args.quiet && std::io::stderr().is_terminal(), "runs");
    let loads: Vec<f64> = measurements.levels.iter().map(|l| l.load).collect();
    let summaries = validate::simulate_levels(&nets, &loads, &|| bar.inc(1), &stop);
    bar.finish_and_clear();
    let summaries = summaries.map_err(|not_run| match not_run {
        NotRun::Interrupted { done, total } => anyhow::Error::from(Interrupted(format!(
            "interrupted: {done} of {total} runs finished; nothing written (a validation needs every level)"
        ))),
        NotRun::Failed(message) => anyhow::anyhow!(message),
    })?;

    let validation =
        validate::validation(&model_path.display().to_string(), &target, &measurements, &summaries, &tolerances);
    let text = match args.format {
        TableOrJson::Table => validate::table(&validation),
        TableOrJson::Json => validate::json(&validation),
    };
    if let Some(dir) = &args.out {
        files::write_dir_atomically(dir, Destination::Validation, args.force, |tmp| {
            files::write_file_atomically(&tmp.join("validation.csv"), validate::csv(&validation).as_bytes())?;
            files::write_file_atomically(&tmp.join("validation.json"), validate::json(&validation).as_bytes())?;
            capsim::charts::validation_charts(&validation, tmp)?;
            Ok::<(), anyhow::Error>(())
        })?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    // The model's own warnings (saturation, rough tails), once each, after the table.
    let mut warned: Vec<String> = Vec::new();
    for (level, summary) in measurements.levels.iter().zip(&summaries) {
        for w in &summary.warnings {
            if !warned.contains(w) {
                eprintln!("warning: at load {}: {w}", validate::load_text(measurements.kind, level.load));
                warned.push(w.clone());
            }
        }
    }
    if let Some(dir) = &args.out {
        eprintln!("validation.csv, validation.json and charts written to {}", dir.display());
    }
    let failed = validation.failures().count();
    if failed > 0 {
        // The table already ends with the verdict and its list: do not repeat it.
        let message = match args.format {
            TableOrJson::Table => {
                format!("{failed} of {} comparisons beyond tolerance (marked BEYOND above)", validation.count())
            }
            TableOrJson::Json => validate::verdict(&validation),
        };
        return Err(OutOfTolerance(message).into());
    }
    Ok(())
}
