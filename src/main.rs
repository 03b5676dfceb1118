//! The `capsim` command line: clap subcommands over the library, no logic.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use capsim::experiment::execute::Shard;
use capsim::files::{self, Destination};
use capsim::report::{self, Format};
use capsim::{ModelError, model, run};

mod sweep;

#[derive(Parser)]
#[command(
    name = "capsim",
    version,
    about = "Discrete-event capacity planning: what happens to latency and cost if traffic doubles?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model and print its latency, throughput, utilisation and cost.
    Run(RunArgs),
    /// Validate a model without running it (exit 0 if valid, 2 if not).
    Check(ModelArgs),
    /// Print what queueing theory predicts for a model, instantly (no simulation).
    Theory(TheoryArgs),
    /// Follow the first requests through the model, hop by hop.
    Trace(TraceArgs),
    /// Run an experiment: every design at every point of its sweep, in parallel.
    Sweep(SweepArgs),
    /// Join shard folders of one experiment into the results folder one machine would write.
    Merge(MergeArgs),
    /// Redraw the charts of a results folder.
    Plot(DirArgs),
    /// Rewrite report.html (and its charts) of a results folder.
    Report(DirArgs),
}

#[derive(Args)]
struct SweepArgs {
    /// The experiment file (TOML).
    experiment: PathBuf,
    /// Override a value in every design's model, e.g. --set simulation.duration=30s
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
    /// Results folder (default: results/EXPERIMENT_NAME, or .../shard-I-of-N with --shard).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Run only shard I of N (runs whose index % N == I), e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Skip charts and report.html (data files only).
    #[arg(long)]
    no_charts: bool,
    /// Stop at the first failed run (default: the other runs finish, and the failures are listed).
    #[arg(long)]
    fail_fast: bool,
    /// Replace the output folder whole, even if it is not a capsim results folder or holds your files.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct MergeArgs {
    /// Shard folders written by `capsim sweep --shard I/N`.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Results folder (default: results/EXPERIMENT_NAME).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Skip charts and report.html.
    #[arg(long)]
    no_charts: bool,
    /// Replace the output folder whole, even if it is not a capsim results folder or holds your files.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct DirArgs {
    /// A results folder written by `capsim sweep` or `capsim merge`.
    dir: PathBuf,
    /// Write here instead of into the results folder (plot: the charts; report: report.html and charts/).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ModelArgs {
    /// The model file (TOML).
    model: PathBuf,
    /// Override any model value by its dotted path, e.g. --set services.api.instances=8
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
}

#[derive(Args)]
struct TheoryArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Output format (table or json).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct TraceArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// How many requests to follow.
    #[arg(long, short = 'n', default_value_t = 3)]
    requests: usize,
    /// Which replication's random streams to use.
    #[arg(long, default_value_t = 0)]
    replication: u32,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Number of independent replications (shorthand for --set simulation.replications=N).
    #[arg(long, short = 'r')]
    replications: Option<u32>,
    /// Master seed (shorthand for --set simulation.seed=N).
    #[arg(long)]
    seed: Option<u64>,
    /// Observed simulated time, e.g. 10m (shorthand for --set simulation.duration=D).
    #[arg(long)]
    duration: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Print model events per CPU-second and peak memory to standard error.
    #[arg(long)]
    perf: bool,
    /// Worker threads for the replications (default: all cores); results do not depend on it.
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Print queueing theory's prediction beside the simulated values (table format).
    #[arg(long)]
    theory: bool,
    /// Draw the model's charts (latency CDF, utilisation, latency breakdown) into this folder.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    /// Write the time series (one row per interval) to this CSV file; the
    /// interval is the model's simulation.series, else a hundredth of the run.
    #[arg(long, value_name = "FILE")]
    series: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(refused @ files::FileError::Refused(_)) = err.downcast_ref::<files::FileError>() {
                eprintln!("error: {refused}");
                return ExitCode::from(2);
            }
            if let Some(model_err) = err.downcast_ref::<ModelError>() {
                eprintln!("error: {model_err}");
                return ExitCode::from(2);
            }
            if err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            if err.downcast_ref::<sweep::RunsFailed>().is_some() {
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

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
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
        Command::Run(args) => run_model(args),
        Command::Trace(args) => {
            let net = model::load(&args.model.model, &args.model.overrides)?;
            let text = capsim::kernel::trace(&net, args.replication, args.requests);
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        Command::Theory(args) => {
            let net = model::load(&args.model.model, &args.model.overrides)?;
            let analysis = capsim::analysis::analyse(&net);
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&analysis)? + "\n",
                _ => report::theory_table(&analysis),
            };
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(&args.shards, args.out, !args.no_charts, args.force),
        Command::Plot(args) => sweep::plot(&args.dir, args.out.as_deref()),
        Command::Report(args) => sweep::report(&args.dir, args.out.as_deref()),
    }
}

fn run_model(args: RunArgs) -> anyhow::Result<()> {
    sweep::use_threads(args.threads)?;
    let mut overrides = args.model.overrides.clone();
    if let Some(r) = args.replications {
        overrides.push(format!("simulation.replications={r}"));
    }
    if let Some(s) = args.seed {
        overrides.push(format!("simulation.seed={s}"));
    }
    if let Some(d) = &args.duration {
        overrides.push(format!("simulation.duration=\"{d}\""));
    }
    let mut net = model::load(&args.model.model, &overrides)?;
    if let Some(dir) = &args.charts {
        files::check_destination(dir, Destination::Charts, &[&args.model.model], false)?;
    }
    if args.series.is_some() && net.settings.series.is_none() {
        let length = net.settings.warmup + net.settings.duration.unwrap_or(1000.0);
        net.settings.series = Some(length / 100.0);
    }
    let started = std::time::Instant::now();
    let cpu_before = cpu_seconds();
    let outcome = run::run(&net);
    if let Some((r, reason)) = outcome.runs.iter().enumerate().find_map(|(r, m)| m.stopped.as_ref().map(|s| (r, s))) {
        anyhow::bail!("replication {r} of {}: {reason}", args.model.model.display());
    }
    let cpu = cpu_seconds() - cpu_before;
    let wall = started.elapsed().as_secs_f64();
    let mut text = report::render(&outcome.summary, args.format);
    if args.theory && args.format == Format::Table {
        text.push('\n');
        text.push_str(&report::comparison_table(&capsim::analysis::analyse(&net), &outcome.summary));
    }
    match &args.output {
        Some(path) => files::write_file_atomically(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if let Some(path) = &args.series {
        let csv = report::series_csv(&outcome.summary).expect("the run recorded a series");
        files::write_file_atomically(path, csv.as_bytes())?;
    }
    if let Some(dir) = &args.charts {
        let charts = capsim::charts::run_charts(&outcome.summary, &outcome.latency, dir)?;
        eprintln!("{} chart(s) written to {}", charts.len(), dir.display());
    }
    if args.format != Format::Table {
        for w in &outcome.summary.warnings {
            eprintln!("warning: {w}");
        }
    }
    if args.perf {
        let events = outcome.events();
        eprintln!(
            "perf: {events} model events (arrivals + service completions) in {cpu:.3} CPU-s ({wall:.3} s wall): {:.2} million events per CPU-second; peak RSS {:.1} MB",
            events as f64 / cpu / 1e6,
            peak_rss_bytes() as f64 / 1e6
        );
    }
    Ok(())
}

fn rusage() -> libc::rusage {
    // SAFETY: getrusage only writes into the struct we own.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    }
}

/// User plus system CPU time of this process \[s\], all threads.
fn cpu_seconds() -> f64 {
    let u = rusage();
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Peak resident memory of this process [bytes] (Linux reports KiB).
fn peak_rss_bytes() -> u64 {
    rusage().ru_maxrss as u64 * 1024
}
