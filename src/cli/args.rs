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
    /// Follow requests through the model, hop by hop (as text, OTLP/JSON or Jaeger JSON).
    Trace(TraceArgs),
    /// Build a first model from distributed traces (OTLP/JSON or Jaeger JSON files).
    Import(ImportArgs),
    /// Draw the model as an architecture diagram (SVG, PNG, Graphviz DOT or Mermaid).
    Diagram(DiagramArgs),
    /// Run an experiment: every design at every point of its sweep, in parallel.
    Sweep(SweepArgs),
    /// Join shard folders of one experiment into the results folder one machine would write.
    Merge(MergeArgs),
    /// Redraw the charts of a results folder.
    Plot(DirArgs),
    /// Rewrite report.html (and its charts) of a results folder.
    Report(DirArgs),
    /// Fit a service-time distribution to measured durations, percentiles or a Prometheus histogram.
    Fit(FitArgs),
    /// Estimate CPU demand per class and service from monitoring windows (throughputs and utilisations).
    Demands(DemandsArgs),
    /// Check a model against load-test measurements, load level by load level (exit 1 if beyond tolerance).
    Validate(ValidateArgs),
    /// Compare a model with variants of it, paired replication by replication (common random numbers).
    Compare(CompareArgs),
    /// Vary each parameter low and high, one at a time: effects (tornado chart) and elasticities.
    Sensitivity(SensitivityArgs),
    /// Search an experiment's [search] for the cheapest configuration that meets the SLO (with headroom, over uncertain load).
    Plan(PlanArgs),
}

/// Output formats of `capsim compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TableJsonCsv {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// One row per variant and metric.
    Csv,
}

/// Flags every command that simulates shares: shorthands, threads, progress.
#[derive(Args)]
pub(crate) struct SimulateArgs {
    /// Replications (shorthand for --set simulation.replications=N).
    #[arg(long, short = 'r')]
    pub(crate) replications: Option<u32>,
    /// Master seed, shared by every run (common random numbers).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Observed simulated time per replication, e.g. 10m.
    #[arg(long)]
    pub(crate) duration: Option<String>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, short = 'j')]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// `capsim compare`.
#[derive(Args)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// A variant of the model: overrides joined by `;`, optionally named, e.g. "six: services.api.instances=6" (repeatable).
    #[arg(long = "variant", value_name = "[NAME:] PATH=VALUE[; ...]", required = true)]
    pub(crate) variants: Vec<String>,
    /// The difference worth detecting: a share of the baseline (default 5%) or KIND=VALUE, e.g. p99=2ms (repeatable).
    #[arg(long = "detect", value_name = "PCT|KIND=VALUE")]
    pub(crate) detect: Vec<String>,
    #[command(flatten)]
    pub(crate) simulate: SimulateArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TableJsonCsv::Table)]
    pub(crate) format: TableJsonCsv,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
}

/// `capsim plan`.
#[derive(Args)]
pub(crate) struct PlanArgs {
    /// The experiment file with a [search] table.
    pub(crate) experiment: PathBuf,
    /// Override a value in the base model, e.g. --set simulation.duration=10s
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// Decide every candidate at every load (no theory, no bisection): slow; the reference the planner is checked against.
    #[arg(long)]
    pub(crate) exhaustive: bool,
    /// Worker threads (default: all cores); the plan does not depend on it.
    #[arg(long, short = 'j')]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Output format on standard output.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) format: TableOrJson,
    /// Write plan.json, candidates.csv, the chart and report.html into this folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace the output folder even if it holds files capsim did not write.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `capsim sensitivity`.
#[derive(Args)]
pub(crate) struct SensitivityArgs {
    /// The model file, or an experiment file (its designs are ranked, and its [sensitivity] table read).
    pub(crate) model: PathBuf,
    /// Override any model value by its dotted path, e.g. --set services.api.instances=8
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) overrides: Vec<String>,
    /// A parameter and its range, e.g. "services.app.ops.handle.demand=±20%" or "workload.web.rate=+-10%" (repeatable; default: every numeric parameter).
    #[arg(long = "vary", value_name = "PATH=±PCT")]
    pub(crate) vary: Vec<String>,
    /// The range of every parameter when no --vary names them.
    #[arg(long, value_name = "PCT", default_value = "10%")]
    pub(crate) range: String,
    /// The class whose latency and throughput the tornado chart shows (default: the first).
    #[arg(long, value_name = "NAME")]
    pub(crate) class: Option<String>,
    #[command(flatten)]
    pub(crate) simulate: SimulateArgs,
    /// Output format on standard output.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) format: TableOrJson,
    /// Write sensitivity.csv, sensitivity.json and the tornado charts into this folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace the output folder even if it holds files capsim did not write.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `capsim fit`: exactly one source of measurements.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["samples", "percentiles", "prometheus"]))]
pub(crate) struct FitArgs {
    /// Measured durations: one per line, or a CSV column (--column); values carry units (12ms) or take --unit.
    #[arg(long, value_name = "FILE")]
    pub(crate) samples: Option<PathBuf>,
    /// The CSV column holding the durations (default: the only column).
    #[arg(long, value_name = "NAME", requires = "samples")]
    pub(crate) column: Option<String>,
    /// Unit of values written without one, e.g. ms.
    #[arg(long, value_name = "UNIT")]
    pub(crate) unit: Option<String>,
    /// Summary statistics as dashboards show them, e.g. "mean=15ms,p50=12ms,p90=30ms,p99=80ms".
    #[arg(long, value_name = "LIST")]
    pub(crate) percentiles: Option<String>,
    /// A histogram in Prometheus's text exposition format (_bucket{le=...}, _sum, _count).
    #[arg(long, value_name = "FILE", requires = "metric")]
    pub(crate) prometheus: Option<PathBuf>,
    /// The histogram's metric name (without _bucket), with --prometheus.
    #[arg(long, value_name = "NAME", requires = "prometheus")]
    pub(crate) metric: Option<String>,
    /// Keep only series with this label value, e.g. --label handler=/api/orders (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE", requires = "prometheus")]
    pub(crate) labels: Vec<String>,
    /// Consider only these families (repeatable), e.g. --family lognormal --family gamma.
    #[arg(long = "family", value_name = "NAME")]
    pub(crate) families: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) format: TableOrJson,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
    /// Draw the data against the fitted distributions (PNG or SVG, by extension).
    #[arg(long, value_name = "FILE")]
    pub(crate) chart: Option<PathBuf>,
}

/// `capsim import`.
#[derive(Args)]
pub(crate) struct ImportArgs {
    /// Trace files: OTLP/JSON (one document, or JSON Lines as the Collector's file exporter writes) or Jaeger JSON; the format is detected.
    #[arg(required = true, value_name = "TRACES")]
    pub(crate) traces: Vec<PathBuf>,
    /// The model to write.
    #[arg(long, short = 'o', value_name = "MODEL")]
    pub(crate) output: PathBuf,
    /// Fraction of traces the tracer kept (head sampling), e.g. 0.01: arrival rates are divided by it.
    #[arg(long, value_name = "FRACTION", default_value_t = 1.0)]
    pub(crate) sample_rate: f64,
    /// Total arrival rate of the root operations instead of the traces' timestamps, e.g. 900/s (split by the traces' mix).
    #[arg(long, value_name = "RATE")]
    pub(crate) rate: Option<String>,
    /// Consider only these families for operations' own time (repeatable).
    #[arg(long = "family", value_name = "NAME")]
    pub(crate) families: Vec<String>,
    /// Replace the output file even if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `capsim demands`.
#[derive(Args)]
pub(crate) struct DemandsArgs {
    /// Monitoring windows, one per row: `rate:CLASS` throughputs per second and `util:SERVICE` utilisations (optionally `cores:SERVICE`).
    pub(crate) windows: PathBuf,
    /// Cores of a service when the file has no `cores:SERVICE` column, e.g. --cores api=4 (repeatable).
    #[arg(long = "cores", value_name = "SERVICE=N")]
    pub(crate) cores: Vec<String>,
    /// The model whose classes and services the columns name: the output then names the operations to edit.
    #[arg(long, value_name = "MODEL")]
    pub(crate) model: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) format: TableOrJson,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
}

/// `capsim validate`.
#[derive(Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Load-test results: a CSV (one row per load level), k6 --summary-export JSON files (one per level), or Locust's *_stats.csv / *_stats_history.csv.
    #[arg(required = true, value_name = "MEASUREMENTS")]
    pub(crate) measurements: Vec<PathBuf>,
    /// The model value each measured load sets, e.g. workload.web.rate (default: the only class).
    #[arg(long, value_name = "PATH")]
    pub(crate) rate_path: Option<String>,
    /// Largest acceptable error per metric, e.g. --tolerance p99=15% (repeatable; defaults in docs/calibration.md).
    #[arg(long = "tolerance", value_name = "METRIC=PCT")]
    pub(crate) tolerances: Vec<String>,
    /// Replications per load level (shorthand for --set simulation.replications=N).
    #[arg(long, short = 'r')]
    pub(crate) replications: Option<u32>,
    /// Master seed, shared by every load level (common random numbers).
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Observed simulated time per replication, e.g. 10m.
    #[arg(long)]
    pub(crate) duration: Option<String>,
    /// Output format of the comparison.
    #[arg(long, short = 'f', value_enum, default_value_t = TableOrJson::Table)]
    pub(crate) format: TableOrJson,
    /// Write validation.csv, validation.json and the chart into this folder.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace the output folder even if it holds files capsim did not write.
    #[arg(long)]
    pub(crate) force: bool,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, short = 'j')]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// Output formats of the calibration commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TableOrJson {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON document.
    Json,
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
pub(crate) struct DiagramArgs {
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Write the diagram to this file; the extension picks the format (.svg, .png, .dot, .mmd). Default: DOT on standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// The format, whatever the file's extension.
    #[arg(long, short = 'f', value_enum)]
    pub(crate) format: Option<DiagramFormat>,
}

/// Formats of `capsim diagram`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DiagramFormat {
    /// A vector image (text stays text).
    Svg,
    /// A bitmap at twice the SVG's size.
    Png,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart (Markdown on GitHub, GitLab, wikis).
    Mermaid,
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
    /// Follow the requests arriving from this simulated time on (steady state, with queues), e.g. 30s.
    #[arg(long, visible_alias = "after", value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// Output format: text journeys, OTLP/JSON, or Jaeger's JSON file format.
    #[arg(long, short = 'f', value_enum, default_value_t = TraceFormat::Text)]
    pub(crate) format: TraceFormat,
    /// Wall-clock time of simulated time zero in OTLP and Jaeger output: seconds since 1970 or a UTC time.
    #[arg(long, value_name = "TIME", default_value = "2025-01-01T00:00:00Z")]
    pub(crate) epoch: String,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub(crate) output: Option<PathBuf>,
}

/// Output formats of `capsim trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TraceFormat {
    /// Journeys as indented lines, for people.
    Text,
    /// OpenTelemetry's OTLP/JSON (an ExportTraceServiceRequest).
    Otlp,
    /// The JSON Jaeger's UI opens from a file.
    Jaeger,
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
