//! `capsim sweep`, `merge`, `plot` and `report`: orchestration of the
//! experiment library for the command line (flags in, files and a short
//! account of the findings out).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use capsim::experiment::aggregate::assemble;
use capsim::experiment::capacity::{self, BisectionRun};
use capsim::experiment::execute::{Executed, execute};
use capsim::experiment::output::{self, ShardFile};
use capsim::experiment::results::ExperimentResults;
use capsim::experiment::spec::Experiment;
use capsim::files::{self, Destination};
use capsim::report::html::Diagrams;

use super::args::SweepArgs;

/// The sweep was stopped by Ctrl-C; the finished runs were written.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// Some runs failed; the others finished and were written.
#[derive(Debug)]
pub struct RunsFailed(pub String);

impl std::fmt::Display for RunsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunsFailed {}

/// The error a sweep ends with when runs failed: how many, and what to do.
fn runs_failed(failures: usize, total: usize, finished: usize, fail_fast: bool, place: &str) -> anyhow::Error {
    let skipped = total - failures - finished;
    let skipped = if fail_fast && skipped > 0 { format!(", {skipped} skipped (--fail-fast)") } else { String::new() };
    RunsFailed(format!(
        "{failures} of {total} runs failed{skipped}; the {finished} finished runs are in {place}. Each failure is listed above with its design, point and replication, and in results.json as `failed_runs` (a shard's, once merged)"
    ))
    .into()
}

/// The command recorded in results: canonical, so a merged sweep's files equal an unsharded one's.
fn canonical_command(experiment: &str, overrides: &[String]) -> String {
    let mut cmd = format!("capsim sweep {experiment}");
    for o in overrides {
        cmd.push_str(&format!(" --set {o}"));
    }
    cmd
}

fn default_dir(name: &str) -> PathBuf {
    let safe: String =
        name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    Path::new("results").join(safe)
}

/// A flag that Ctrl-C sets: runs in progress finish, no new one starts. A
/// second Ctrl-C kills the process as usual.
pub(crate) fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\nstopping: finishing the runs in progress, keeping every finished run (Ctrl-C again to abort)");
    });
    stop
}

/// `capsim sweep`: runs an experiment (or one shard of it) and writes its results folder.
pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let SweepArgs { experiment, overrides, out, shard, threads, quiet, no_charts, fail_fast, force } = args;
    let (path, overrides, charts) = (experiment.as_path(), overrides.as_slice(), !no_charts);
    use_threads(threads)?;
    let exp = Experiment::load(path, overrides)?;
    let (dir, kind) = match shard {
        Some(s) => (
            out.unwrap_or_else(|| default_dir(&exp.name).join(format!("shard-{}-of-{}", s.index, s.count))),
            Destination::Shard,
        ),
        None => (out.unwrap_or_else(|| default_dir(&exp.name)), Destination::Results),
    };
    // Before any simulation: a refused or unwritable destination must not cost the sweep.
    files::check_destination(&dir, kind, &[path, exp.base_model()], force)?;
    let stop = stop_on_ctrl_c();
    let all = exp.runs();
    let runs: Vec<_> = all.iter().copied().filter(|r| shard.is_none_or(|s| s.contains(r.index))).collect();
    if !quiet {
        // Shards do not bisect: the merge does, once every point is known.
        let bisection = match capacity::max_bisection_runs(&exp) {
            n if n > 0 && shard.is_none() => format!(", then up to {n} bisection runs"),
            _ => String::new(),
        };
        eprintln!(
            "{}: {} design(s) x {} point(s) x {} replication(s) = {} runs{}{bisection}",
            exp.name,
            exp.designs.len(),
            exp.points.len(),
            exp.replications,
            all.len(),
            shard.map(|s| format!(", shard {s}: {} of them", runs.len())).unwrap_or_default()
        );
    }
    // Said even with -q: an instructor's "change the seed" must visibly take.
    for note in &exp.overridden {
        eprintln!("{}: {note}", exp.name);
    }
    let started = std::time::Instant::now();
    let bar = progress_bar(runs.len(), !quiet, "runs");
    let Executed { records, failures } = execute(&exp, &runs, &|| bar.inc(1), &stop, fail_fast);
    bar.finish_and_clear();
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    let failed = failures.len();
    let interrupted = failed == 0 && records.len() < runs.len();
    let command = canonical_command(&exp.file, overrides);

    if let Some(shard) = shard {
        let file = ShardFile {
            format: output::shard_format(),
            experiment: exp.file.clone(),
            experiment_abs: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string(),
            overrides: overrides.to_vec(),
            inputs_sha256: exp.inputs_sha256.clone(),
            shard,
            runs_total: all.len(),
            command,
            runs: records,
            failures,
        };
        output::write_shard(&dir, &file, force)?;
        if interrupted {
            return Err(Interrupted(format!(
                "interrupted: {} of {} runs of shard {shard} written to {}; rerun the shard to complete it",
                file.runs.len(),
                runs.len(),
                dir.display()
            ))
            .into());
        }
        if failed > 0 {
            return Err(runs_failed(failed, runs.len(), file.runs.len(), fail_fast, &dir.display().to_string()));
        }
        println!(
            "shard {shard}: {} runs written to {} in {:.1} s",
            file.runs.len(),
            dir.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }

    let mut results = assemble(&exp, &records, &failures, &command);
    let bisection = refine_capacity(&exp, &mut results, quiet, &stop);
    write_folder(&dir, &exp, &results, &records, &bisection, charts, force)?;
    print_findings(&results, &dir, charts);
    if !quiet {
        let split = if bisection.is_empty() {
            String::new()
        } else {
            format!(" ({} on the grid, {} bisection)", records.len(), bisection.len())
        };
        eprintln!("{} runs{split} in {:.1} s", records.len() + bisection.len(), started.elapsed().as_secs_f64());
    }
    if failed > 0 {
        return Err(runs_failed(failed, runs.len(), records.len(), fail_fast, &dir.display().to_string()));
    }
    if interrupted {
        return Err(Interrupted(format!(
            "interrupted: {} of {} runs finished; they are in {} (results.json says complete: false)",
            records.len(),
            runs.len(),
            dir.display()
        ))
        .into());
    }
    Ok(())
}

pub fn merge(shards: &[PathBuf], out: Option<PathBuf>, charts: bool, force: bool) -> anyhow::Result<()> {
    let (first, Executed { records, failures }) = output::read_shards(shards)?;
    let path = [PathBuf::from(&first.experiment), PathBuf::from(&first.experiment_abs)]
        .into_iter()
        .find(|p| p.exists())
        .with_context(|| {
            format!("the experiment file {} is needed to merge; run merge where it exists", first.experiment)
        })?;
    let mut exp = Experiment::load(&path, &first.overrides)?;
    if exp.inputs_sha256 != first.inputs_sha256 {
        anyhow::bail!(output::OutputError::Invalid(format!(
            "{} or its model changed since the shards ran (input hash differs): rerun the shards",
            path.display()
        )));
    }
    // Record the experiment path as the shards did, so merged files equal unsharded ones.
    exp.file = first.experiment.clone();
    let dir = out.unwrap_or_else(|| default_dir(&exp.name));
    let mut inputs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    inputs.extend([path.as_path(), exp.base_model()]);
    files::check_destination(&dir, Destination::Results, &inputs, force)?;
    let mut results = assemble(&exp, &records, &failures, &first.command);
    // Bisection needs every point, so it runs here, not in the shards.
    let bisection = refine_capacity(&exp, &mut results, false, &stop_on_ctrl_c());
    write_folder(&dir, &exp, &results, &records, &bisection, charts, force)?;
    print_findings(&results, &dir, charts);
    // A failed run fails the same way again: the shards keep it, and the
    // merge reports it as the sweep would have.
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    if !failures.is_empty() {
        let (failed, total, finished) = (failures.len(), first.runs_total, records.len());
        return Err(runs_failed(failed, total, finished, false, &dir.display().to_string()));
    }
    Ok(())
}

/// A progress bar on stderr counting `len` units, or a hidden one.
pub(crate) fn progress_bar(len: usize, show: bool, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} {{bar:40}} {{pos}}/{{len}} {unit} · {{elapsed}} elapsed · ETA {{eta}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("static template"));
    bar
}

/// Refines the capacity answers by bisection, when the experiment asks for
/// it, and returns the bisection's runs.
fn refine_capacity(
    exp: &Experiment,
    results: &mut ExperimentResults,
    quiet: bool,
    stop: &AtomicBool,
) -> Vec<BisectionRun> {
    let total = capacity::bisection_runs(exp, results);
    let bar = progress_bar(total, !quiet && total > 0, "bisection runs");
    let refined = capacity::refine(exp, results, &|| bar.inc(1), stop);
    bar.finish_and_clear();
    for note in &refined.notes {
        eprintln!("warning: {note}");
    }
    refined.runs
}

fn write_folder(
    dir: &Path,
    exp: &Experiment,
    results: &ExperimentResults,
    records: &[capsim::experiment::execute::RunRecord],
    bisection: &[BisectionRun],
    charts: bool,
    force: bool,
) -> anyhow::Result<()> {
    files::write_dir_atomically(dir, Destination::Results, force, |tmp| {
        output::write_data(tmp, exp, results, records, bisection)?;
        if charts {
            draw(tmp, results, Some(exp)).map_err(|e| output::OutputError::Invalid(format!("{e:#}")))?;
        }
        Ok::<(), output::OutputError>(())
    })?;
    Ok(())
}

fn draw(dir: &Path, results: &ExperimentResults, exp: Option<&Experiment>) -> anyhow::Result<()> {
    let charts = capsim::charts::sweep_charts(results, &dir.join("charts"))?;
    capsim::report::html::write_report_with(results, &charts, &diagrams(results, exp), dir)?;
    Ok(())
}

/// Each design's diagram for the report, from the experiment that ran.
fn diagrams(results: &ExperimentResults, exp: Option<&Experiment>) -> Diagrams {
    match exp {
        Some(exp) => Diagrams::Drawn(capsim::charts::diagram::design_diagrams(results, exp)),
        None => Diagrams::None,
    }
}

/// The experiment behind a results folder, loaded again from the file and
/// `--set` overrides its command names, if its inputs are unchanged (the
/// diagrams need the designs' models, which results.json does not hold).
fn experiment_of(results: &ExperimentResults) -> Result<Experiment, String> {
    let info = &results.experiment;
    let overrides: Vec<String> = info
        .command
        .strip_prefix(&format!("capsim sweep {}", info.file))
        .unwrap_or_default()
        .split(" --set ")
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect();
    let exp = Experiment::load(Path::new(&info.file), &overrides).map_err(|_| {
        format!("they are drawn from the experiment file `{}`, which cannot be read from here", info.file)
    })?;
    if exp.inputs_sha256 != info.inputs_sha256 {
        return Err(format!("the experiment file `{}` or its model changed since the sweep", info.file));
    }
    Ok(exp)
}

/// `capsim plot`: redraws a results folder's charts, into `out` if given.
pub fn plot(dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let results = output::read_results(dir)?;
    let target = match out {
        Some(out) => {
            files::check_destination(out, Destination::Charts, &[dir], false)?;
            out.to_path_buf()
        }
        None => dir.join("charts"),
    };
    let charts = capsim::charts::sweep_charts(&results, &target)?;
    for c in &charts {
        println!("{}", c.png.display());
    }
    Ok(())
}

/// `capsim report`: rewrites a results folder's report.html (and the charts
/// it embeds), into `out` if given.
pub fn report(dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let results = output::read_results(dir)?;
    let target = match out {
        Some(out) => {
            files::check_destination(out, Destination::Report, &[dir], false)?;
            out
        }
        None => dir,
    };
    let charts = capsim::charts::sweep_charts(&results, &target.join("charts"))?;
    let diagrams = match experiment_of(&results) {
        Ok(exp) => diagrams(&results, Some(&exp)),
        Err(why) => Diagrams::Missing(why),
    };
    let path = capsim::report::html::write_report_with(&results, &charts, &diagrams, target)?;
    println!("{}", path.display());
    Ok(())
}

fn print_findings(results: &ExperimentResults, dir: &Path, charts: bool) {
    let e = &results.experiment;
    println!("{}", e.name);
    if !e.question.is_empty() {
        println!("{}", e.question);
    }
    println!();
    if e.runs_done < e.runs_total {
        let why = if e.failed_runs.is_empty() { "the sweep was interrupted" } else { "some runs failed" };
        println!(
            "PARTIAL RESULTS: {why}; {} of {} runs finished. The findings below use only those runs: points missing replications may be wrong, and a design with missing points may look better or worse than it is.\n",
            e.runs_done, e.runs_total
        );
    }
    for f in &results.capacity.findings {
        println!("- {f}");
    }
    if results.capacity.findings.is_empty() {
        println!("(no SLO and load axis: no capacity answers; see summary.csv)");
    }
    let files = if charts {
        "report.html, summary.csv, runs.csv, results.json, charts/"
    } else {
        "summary.csv, runs.csv, results.json"
    };
    println!("\nresults: {}/ ({files})", dir.display());
}

/// Runs the parallel work of this process on `threads` worker threads
/// (default: one per core). Call once, before any parallel work.
pub fn use_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start the worker threads")?;
    }
    Ok(())
}
