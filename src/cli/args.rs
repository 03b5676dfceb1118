//! The command line as typed: clap's types for every subcommand and flag.
//! The library never sees them; `cli::run` and `cli::sweep` turn them into
//! library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use capsim::experiment::execute::Shard;
use capsim::report;

#[derive(Parser)]
#[command(
    name = "capsim",
    version,
    about = "Discrete-event capacity planning: what happens to latency and cost if traffic doubles?"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Simulate a model and print its latency, throughput, utilisation and cost.
    Run(RunArgs),
    /// Validate a model or an experiment (with every design's model) without running it (exit 0 if valid, 2 if not).
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
pub(crate) struct SweepArgs {
    /// The experiment file (TOML).
    pub(crate) experiment: PathBuf,
    /// Override a value in every design's model, e.g. --set simulation.duration=30s
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// Results folder (default: results/EXPERIMENT_NAME, or .../shard-I-of-N with --shard).
    #[arg(long, short = 'o')]
    pub(crate) out: Option<PathBuf>,
    /// Run only shard I of N (runs whose index % N == I), e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<Shard>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Skip charts and report.html (data files only).
    #[arg(long)]
    pub(crate) no_charts: bool,
    /// Stop at the first failed run (default: the other runs finish, and the failures are listed).
    #[arg(long)]
    pub(crate) fail_fast: bool,
    /// Replace the output folder whole, even if it is not a capsim results folder or holds your files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// Shard folders written by `capsim sweep --shard I/N`.
    #[arg(required = true)]
    pub(crate) shards: Vec<PathBuf>,
    /// Results folder (default: results/EXPERIMENT_NAME).
    #[arg(long, short = 'o')]
    pub(crate) out: Option<PathBuf>,
    /// Skip charts and report.html.
    #[arg(long)]
    pub(crate) no_charts: bool,
    /// Replace the output folder whole, even if it is not a capsim results folder or holds your files.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args)]
pub(crate) struct DirArgs {
    /// A results folder written by `capsim sweep` or `capsim merge`.
    pub(crate) dir: PathBuf,
    /// Write here instead of into the results folder (plot: the charts; report: report.html and charts/).
    #[arg(long, short = 'o')]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ModelArgs {
    /// The model file (TOML).
    pub(crate) model: PathBuf,
    /// Override any model value by its dotted path, e.g. --set services.api.instances=8
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
}

#[derive(Args)]
pub(crate) struct TheoryArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Output format (table or json).
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
}

#[derive(Args)]
pub(crate) struct TraceArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// How many requests to follow.
    #[arg(long, short = 'n', default_value_t = 3)]
    pub(crate) requests: usize,
    /// Which replication's random streams to use.
    #[arg(long, default_value_t = 0)]
    pub(crate) replication: u32,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Number of independent replications (shorthand for --set simulation.replications=N).
    #[arg(long, short = 'r')]
    pub(crate) replications: Option<u32>,
    /// Master seed (shorthand for --set simulation.seed=N).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Observed simulated time, e.g. 10m (shorthand for --set simulation.duration=D).
    #[arg(long)]
    pub(crate) duration: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
    /// Print model events per CPU-second and peak memory to standard error.
    #[arg(long)]
    pub(crate) perf: bool,
    /// Worker threads for the replications (default: all cores); results do not depend on it.
    #[arg(long, short = 'j')]
    pub(crate) threads: Option<usize>,
    /// Print queueing theory's prediction beside the simulated values (table format).
    #[arg(long)]
    pub(crate) theory: bool,
    /// Draw the model's charts (latency CDF, utilisation, latency breakdown) into this folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) charts: Option<PathBuf>,
    /// Write the time series (one row per interval) to this CSV file; the
    /// interval is the model's simulation.series, else a hundredth of the run.
    #[arg(long, value_name = "FILE")]
    pub(crate) series: Option<PathBuf>,
}

/// Output formats of `capsim run` and `capsim theory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned tables for a terminal.
    Table,
    /// The summary as one JSON document.
    Json,
    /// One row per (scope, name, metric): `scope,name,metric,value,ci95`.
    Csv,
}

impl From<OutputFormat> for report::Format {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Table => report::Format::Table,
            OutputFormat::Json => report::Format::Json,
            OutputFormat::Csv => report::Format::Csv,
        }
    }
}
