//! The `capsim` command line: clap subcommands over the library, no logic.
//! `cli/` holds the flags (`args`), each command's orchestration (`run`,
//! `sweep`) and process measurements (`perf`); clap, indicatif and ctrlc
//! are used there and nowhere in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use capsim::{ModelError, files, model, report};

mod cli;

use cli::args::{Cli, Command, OutputFormat};
use cli::sweep;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(refused @ files::FileError::Refused(_)) = err.downcast_ref::<files::FileError>() {
                eprintln!("error: {refused}");
                return ExitCode::from(2);
            }
            if let Some(input_err) = err.downcast_ref::<capsim::calibrate::InputError>() {
                eprintln!("error: {input_err}");
                return ExitCode::from(2);
            }
            if let Some(model_err) = err.downcast_ref::<ModelError>() {
                eprintln!("error: {model_err}");
                return ExitCode::from(2);
            }
            if err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            if err.downcast_ref::<sweep::RunsFailed>().is_some()
                || err.downcast_ref::<cli::validate::OutOfTolerance>().is_some()
            {
                eprintln!("error: {err}");
                return ExitCode::from(1);
            }
            if err.downcast_ref::<sweep::Interrupted>().is_some() {
                eprintln!("{err}");
                return ExitCode::from(130);
            }
            if err
                .downcast_ref::<capsim::experiment::output::OutputError>()
                .is_some_and(|e| matches!(e, capsim::experiment::output::OutputError::Invalid(_)))
            {
                eprintln!("error: {err}");
                return ExitCode::from(2);
            }
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Whether `path` holds an experiment (an `[experiment]` table) rather than a model.
pub(crate) fn is_experiment(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| capsim::experiment::spec::is_experiment_text(&t))
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check(args) if is_experiment(&args.model) => {
            let exp = capsim::experiment::spec::Experiment::load(&args.model, &args.overrides)?;
            println!(
                "{}: ok (experiment `{}`: {} design(s) x {} point(s) x {} replication(s) = {} runs; every design's model compiles)",
                args.model.display(),
                exp.name,
                exp.designs.len(),
                exp.points.len(),
                exp.replications,
                exp.runs().len()
            );
            Ok(())
        }
        Command::Check(args) => {
            let net = model::load(&args.model, &args.overrides)?;
            for w in &net.warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "{}: ok ({} service(s), {} operation(s), {} class(es))",
                args.model.display(),
                net.services.len(),
                net.ops.len(),
                net.classes.len()
            );
            Ok(())
        }
        Command::Run(args) => cli::run::run_model(args),
        Command::Trace(args) => cli::traces::trace(args),
        Command::Import(args) => cli::traces::import(args),
        Command::Diagram(args) => cli::diagram::diagram(args),
        Command::Theory(args) => {
            let net = model::load(&args.model.model, &args.model.overrides)?;
            let analysis = capsim::analysis::analyse(&net);
            let text = match args.format {
                OutputFormat::Json => report::tidy_json(&analysis),
                _ => report::theory_table(&analysis),
            };
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(&args.shards, args.out, !args.no_charts, args.force),
        Command::Plot(args) => sweep::plot(&args.dir, args.out.as_deref()),
        Command::Report(args) => sweep::report(&args.dir, args.out.as_deref()),
        Command::Fit(args) => cli::fit::fit(args),
        Command::Demands(args) => cli::demands::demands(args),
        Command::Validate(args) => cli::validate::validate(args),
        Command::Compare(args) => cli::compare::compare(args),
        Command::Sensitivity(args) => cli::sensitivity::sensitivity(args),
        Command::Plan(args) => cli::plan::plan(args),
    }
}
