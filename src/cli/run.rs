//! `capsim run`: simulate one model and print, write or chart its summary.

use std::io::Write;

use capsim::files::{self, Destination};
use capsim::report::{self, Format};
use capsim::{model, run};

use super::args::RunArgs;
use super::perf;
use super::sweep::use_threads;

/// The model's `--set` overrides followed by those that `-r`, `--seed` and
/// `--duration` stand for (later overrides win).
pub(crate) fn with_shorthands(
    overrides: &[String],
    replications: Option<u32>,
    seed: Option<u64>,
    duration: Option<&str>,
) -> Vec<String> {
    let mut all = overrides.to_vec();
    all.extend(replications.map(|r| format!("simulation.replications={r}")));
    all.extend(seed.map(|s| format!("simulation.seed={s}")));
    all.extend(duration.map(|d| format!("simulation.duration=\"{d}\"")));
    all
}

/// `capsim run`.
pub(crate) fn run_model(args: RunArgs) -> anyhow::Result<()> {
    use_threads(args.threads)?;
    let overrides = with_shorthands(&args.model.overrides, args.replications, args.seed, args.duration.as_deref());
    let mut net = model::load(&args.model.model, &overrides)?;
    if let Some(dir) = &args.charts {
        files::check_destination(dir, Destination::Charts, &[&args.model.model], false)?;
    }
    if args.series.is_some() && net.settings.series.is_none() {
        let length = net.settings.warmup + net.settings.duration.unwrap_or(1000.0);
        net.settings.series = Some(length / 100.0);
    }
    let started = std::time::Instant::now();
    let cpu_before = perf::cpu_seconds();
    let outcome = run::run(&net);
    if let Some((r, reason)) = outcome.runs.iter().enumerate().find_map(|(r, m)| m.stopped.as_ref().map(|s| (r, s))) {
        anyhow::bail!("replication {r} of {}: {reason}", args.model.model.display());
    }
    let cpu = perf::cpu_seconds() - cpu_before;
    let wall = started.elapsed().as_secs_f64();
    let format = Format::from(args.format);
    let mut text = report::render(&outcome.summary, format);
    if args.theory && format == Format::Table {
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
        let mut charts = capsim::charts::run_charts(&outcome.summary, &outcome.latency, dir)?;
        let title = args.model.model.display().to_string();
        let diagram = capsim::charts::diagram::Diagram::measured(&net, &outcome.summary, &title);
        charts.push(diagram.write_chart(dir, "diagram", "The model's architecture, filled by utilisation")?);
        eprintln!("{} chart(s) written to {}", charts.len(), dir.display());
    }
    if format != Format::Table {
        for w in &outcome.summary.warnings {
            eprintln!("warning: {w}");
        }
    }
    if args.perf {
        let events = outcome.events();
        let rss = perf::peak_rss_bytes().map_or_else(|| "n/a".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6));
        // Below a few tenths of a second, start-up and the clock's grain dominate.
        let short = if cpu < 0.3 {
            "; too short to measure well: add --duration or --replications until it takes a second or more"
        } else {
            ""
        };
        eprintln!(
            "perf: {events} model events (arrivals + service completions) in {cpu:.3} CPU-s ({wall:.3} s wall): {:.2} million events per CPU-second; peak RSS {rss}{short}",
            events as f64 / cpu / 1e6,
        );
    }
    Ok(())
}
