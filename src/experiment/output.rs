//! Results folders and shards on disk.
//!
//! A results folder holds `runs.csv` (one row per run, the bisection's
//! runs after the grid's, flagged by their `bisection_step`), `summary.csv` (one
//! row per design and point, with 95% intervals), `results.json` (everything,
//! with provenance), charts and `report.html`. It is written through
//! [`crate::files::write_dir_atomically`], so a reader never sees half a
//! result. A shard folder holds `shard.json`: the finished runs of one slice,
//! which `merge` joins into the same results folder one machine would write.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::experiment::capacity::BisectionRun;
use crate::experiment::execute::{Executed, RunFailure, RunRecord, Shard};
use crate::experiment::results::ExperimentResults;
use crate::experiment::spec::Experiment;
use crate::files::{Destination, FileError, write_dir_atomically};
use crate::stats::columns::{self, CACHE, CALL, CLASS, DATABASE, POOL, QUEUE, SCALING, SERVERLESS, SERVICE};
use crate::stats::{ErrorCause, Estimate};

/// Problems reading or writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause (not a `source`: the message already says it once).
        error: std::io::Error,
    },
    /// A destination was refused or could not be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// Shards that do not fit together, or a malformed file.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |error| OutputError::Io { path: path.to_path_buf(), error }
}

/// Format tag of shard files. 2: a service's `utilisation` is of its usable
/// cores, no longer of all its cores (#20), so older shards would merge
/// into numbers of two meanings.
const SHARD_FORMAT: &str = "capsim-shard-2";

/// What a shard folder holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardFile {
    /// Format tag.
    pub format: String,
    /// The experiment file, as given and absolute.
    pub experiment: String,
    /// Absolute path of the experiment file when the shard ran.
    pub experiment_abs: String,
    /// Extra `--set` overrides the shard ran with.
    pub overrides: Vec<String>,
    /// Hash of the inputs; merging refuses shards of different inputs.
    pub inputs_sha256: String,
    /// This shard.
    pub shard: Shard,
    /// Runs in the whole experiment.
    pub runs_total: usize,
    /// The command that produced the shard.
    pub command: String,
    /// Finished runs, in run order.
    pub runs: Vec<RunRecord>,
    /// Failed runs, in run order: merging accounts for them, and lists them.
    #[serde(default)]
    pub failures: Vec<RunFailure>,
}

/// Writes the data files of a results folder (CSV and JSON) into `dir`:
/// `records` are the grid's runs, `bisection` the capacity bisection's.
pub fn write_data(
    dir: &Path,
    exp: &Experiment,
    results: &ExperimentResults,
    records: &[RunRecord],
    bisection: &[BisectionRun],
) -> Result<(), OutputError> {
    let path = dir.join("runs.csv");
    fs::write(&path, runs_csv(exp, records, bisection)).map_err(io(&path))?;
    let path = dir.join("summary.csv");
    fs::write(&path, summary_csv(results)).map_err(io(&path))?;
    let path = dir.join("results.json");
    let json = crate::report::tidy_json(results);
    fs::write(&path, json).map_err(io(&path))?;
    Ok(())
}

/// Reads `results.json` back (for `capsim plot` and `capsim report`).
pub fn read_results(dir: &Path) -> Result<ExperimentResults, OutputError> {
    let path = dir.join("results.json");
    if !path.exists() {
        return Err(OutputError::Invalid(format!(
            "{} is not a capsim results folder (it has no results.json): make one with `capsim sweep EXPERIMENT -o {}`",
            dir.display(),
            dir.display()
        )));
    }
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    let invalid =
        |e: serde_json::Error| OutputError::Invalid(format!("{}: not a capsim results file: {e}", path.display()));
    let mut json: serde_json::Value = serde_json::from_str(&text).map_err(invalid)?;
    with_point_ranges(&mut json);
    serde_json::from_value(json).map_err(invalid)
}

/// Results written before capacity ranges existed have only the point
/// estimates: their range is `max_load` to `fails_at`, as they said then.
fn with_point_ranges(json: &mut serde_json::Value) {
    let designs = json.pointer_mut("/capacity/designs").and_then(serde_json::Value::as_array_mut);
    for d in designs.into_iter().flatten().filter_map(serde_json::Value::as_object_mut) {
        if !d.contains_key("max_load_low") && !d.contains_key("max_load_high") {
            let (low, high) = (d.get("max_load").cloned(), d.get("fails_at").cloned());
            d.insert("max_load_low".into(), low.unwrap_or_default());
            d.insert("max_load_high".into(), high.unwrap_or_default());
        }
    }
}

/// Writes one shard's runs into `dir/shard.json`, atomically; `force`
/// replaces the folder whole instead of keeping the user's files in it.
pub fn write_shard(dir: &Path, shard: &ShardFile, force: bool) -> Result<(), OutputError> {
    write_dir_atomically(dir, Destination::Shard, force, |tmp| {
        let path = tmp.join("shard.json");
        let text = serde_json::to_string(shard).expect("shard serialises");
        fs::write(&path, text).map_err(io(&path))
    })
}

/// Reads shard folders and checks they form one complete experiment:
/// the same inputs, the same shard count, every shard once, every run once
/// (finished or failed). Returns the first shard's file and every run's
/// outcome, in run order.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(ShardFile, Executed), OutputError> {
    let mut shards = Vec::new();
    for dir in dirs {
        let path = dir.join("shard.json");
        if !path.exists() {
            return Err(OutputError::Invalid(format!(
                "{} is not a capsim shard folder (it has no shard.json): make shards with `capsim sweep EXPERIMENT --shard I/N -o FOLDER`",
                dir.display()
            )));
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let shard: ShardFile = serde_json::from_str(&text)
            .map_err(|e| OutputError::Invalid(format!("{}: not a capsim shard: {e}", path.display())))?;
        if shard.format != SHARD_FORMAT {
            return Err(OutputError::Invalid(format!(
                "{}: shard format {} is not this capsim's ({SHARD_FORMAT}): run the shards again with this capsim",
                path.display(),
                shard.format
            )));
        }
        shards.push(shard);
    }
    let first = shards.first().ok_or_else(|| OutputError::Invalid("no shard folders given".into()))?;
    for s in &shards[1..] {
        if s.inputs_sha256 != first.inputs_sha256 || s.overrides != first.overrides {
            return Err(OutputError::Invalid(format!(
                "shard {} was run on different inputs than shard {} (experiment, model or overrides changed): rerun it",
                s.shard, first.shard
            )));
        }
        if s.shard.count != first.shard.count {
            return Err(OutputError::Invalid(format!(
                "shards of different splits: {} and {}; merge the shards of one split",
                s.shard, first.shard
            )));
        }
    }
    let count = first.shard.count;
    let mut seen_shard = vec![false; count];
    for s in &shards {
        if std::mem::replace(&mut seen_shard[s.shard.index], true) {
            return Err(OutputError::Invalid(format!("shard {} is given twice", s.shard)));
        }
    }
    if let Some(missing) = seen_shard.iter().position(|&s| !s) {
        return Err(OutputError::Invalid(format!("shard {missing}/{count} is missing: run it, then merge again")));
    }
    let total = first.runs_total;
    let mut runs: Vec<Option<Result<RunRecord, RunFailure>>> = vec![None; total];
    for s in &shards {
        let finished = s.runs.iter().map(|r| (r.index, Ok(r.clone())));
        let failed = s.failures.iter().map(|f| (f.index, Err(f.clone())));
        for (index, outcome) in finished.chain(failed) {
            if index >= total || !s.shard.contains(index) {
                return Err(OutputError::Invalid(format!("shard {} holds run {index}, which is not its own", s.shard)));
            }
            if runs[index].replace(outcome).is_some() {
                return Err(OutputError::Invalid(format!("run {index} appears twice")));
            }
        }
    }
    let missing: Vec<usize> = runs.iter().enumerate().filter(|(_, r)| r.is_none()).map(|(i, _)| i).collect();
    if !missing.is_empty() {
        let shard_of = |i: usize| i % count;
        return Err(OutputError::Invalid(format!(
            "{} run(s) missing (e.g. run {} of shard {}/{count}, which was interrupted): rerun that shard",
            missing.len(),
            missing[0],
            shard_of(missing[0])
        )));
    }
    let first = shards.swap_remove(0);
    Ok((first, runs.into_iter().flatten().collect()))
}

/// Numbers as the CSV files write them ([`crate::report::tidy`]); empty for NaN.
fn num(x: f64) -> String {
    crate::report::tidy_text(x)
}

/// `scope.name.metric` for each of a table's columns.
fn names<R, S>(table: &[columns::Metric<R, S>], scope: &str, name: &str) -> Vec<String> {
    columns::run_names(table).map(|m| format!("{scope}.{name}.{m}")).collect()
}

/// One row per run: the grid's, then the bisection's (their load between
/// the grid's, their `bisection_step` set; empty for the grid's).
fn runs_csv(exp: &Experiment, records: &[RunRecord], bisection: &[BisectionRun]) -> String {
    let net = &exp.networks[0][0];
    let mut header: Vec<String> = ["run", "design"].map(String::from).to_vec();
    header.extend(exp.axes.iter().map(|a| a.path.clone()));
    header.extend(["replication", "seed", "observed_s", "events"].map(String::from));
    // A class has completion (seen-done) columns when it publishes (polls) in some design.
    let nets = || exp.networks.iter().flatten();
    let tables: Vec<Vec<_>> = (0..net.classes.len())
        .map(|c| columns::async_tables(nets().any(|n| n.publishes(c)), nets().any(|n| n.polls_for(c))).collect())
        .collect();
    // Column names come from the section lists, read off empty metrics.
    for (c, extra) in net.classes.iter().zip(&tables) {
        header.extend(names(CLASS, "class", &c.name));
        header.extend(ErrorCause::ALL.iter().map(|e| format!("class.{}.errors_{}", c.name, e.name())));
        extra.iter().for_each(|t| header.extend(names(t, "class", &c.name)));
    }
    // A service has CPU-limit (pauses, HPA, serverless) columns when it is
    // limited (pauses, has an `hpa`, is `serverless`) in some design.
    let service_tables: Vec<Vec<_>> = (0..net.services.len())
        .map(|s| {
            let limited = nets().any(|n| n.services[s].cpu_limit.is_some());
            let hpa = nets().any(|n| n.services[s].autoscale.as_ref().is_some_and(|a| a.hpa.is_some()));
            let serverless = nets().any(|n| n.services[s].serverless.is_some());
            columns::platform_tables(limited, nets().any(|n| n.services[s].pauses.is_some()))
                .chain(hpa.then_some(SCALING))
                .chain(serverless.then_some(SERVERLESS))
                .collect()
        })
        .collect();
    for (s, extra) in net.services.iter().zip(&service_tables) {
        header.extend(names(SERVICE, "service", &s.name));
        extra.iter().for_each(|t| header.extend(names(t, "service", &s.name)));
    }
    for p in &net.pools {
        header.extend(names(POOL, "pool", &p.name));
    }
    for c in &net.caches {
        header.extend(names(CACHE, "cache", &c.name));
    }
    for d in &net.databases {
        header.extend(names(DATABASE, "database", &d.name));
    }
    // A call site has hedge columns when it is hedged in some design.
    let hedged: Vec<bool> = (0..net.guarded.len())
        .map(|i| nets().any(|n| n.guarded.get(i).is_some_and(|g| n.calls[g.call as usize].hedge != crate::model::NONE)))
        .collect();
    for (g, &h) in net.guarded.iter().zip(&hedged) {
        header.extend(names(CALL, "call", &g.name));
        columns::hedge_tables(h).for_each(|t| header.extend(names(t, "call", &g.name)));
    }
    for q in &net.queues {
        header.extend(names(QUEUE, "queue", &q.name));
    }
    header.extend(["cost_per_hour", "cost_per_million"].map(String::from));
    // Recovery columns when some design asks the recovery question.
    let recovery = nets().any(|n| n.settings.recovery.is_some());
    if recovery {
        header.extend(columns::recovery_names(true).map(String::from));
    }
    header.push("bisection_step".into());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory write");
    let grid = records.iter().map(|r| {
        let values = exp.axes.iter().zip(&exp.points[r.point]).map(|(a, &v)| a.values[v].clone());
        (r, values.collect::<Vec<_>>(), String::new())
    });
    let bisection = bisection.iter().map(|b| (&b.record, b.axis_values.clone(), b.step.to_string()));
    for (r, axis_values, step) in grid.chain(bisection) {
        let m = &r.metrics;
        let mut row = vec![r.index.to_string(), exp.designs[r.design].name.clone()];
        row.extend(axis_values);
        row.extend([r.replication.to_string(), r.seed.to_string(), num(m.observed_s), m.events.to_string()]);
        let mut put = |columns: &[(&str, f64)]| row.extend(columns.iter().map(|&(_, v)| num(v)));
        for (c, extra) in m.classes.iter().zip(&tables) {
            put(&columns::run_values(CLASS, c));
            put(&c.errors.iter().map(|&e| ("", e)).collect::<Vec<_>>());
            extra.iter().for_each(|t| put(&columns::run_values(t, c)));
        }
        for (s, extra) in m.services.iter().zip(&service_tables) {
            put(&columns::run_values(SERVICE, s));
            extra.iter().for_each(|t| put(&columns::run_values(t, s)));
        }
        m.pools.iter().for_each(|p| put(&columns::run_values(POOL, p)));
        m.caches.iter().for_each(|c| put(&columns::run_values(CACHE, c)));
        m.databases.iter().for_each(|d| put(&columns::run_values(DATABASE, d)));
        for (c, &h) in m.calls.iter().zip(&hedged) {
            put(&columns::run_values(CALL, c));
            columns::hedge_tables(h).for_each(|t| put(&columns::run_values(t, c)));
        }
        m.queues.iter().for_each(|q| put(&columns::run_values(QUEUE, q)));
        put(&[("", m.cost_per_hour), ("", m.cost_per_million)]);
        if recovery {
            row.extend(columns::recovery_run_values(m.recovery.as_ref()).map(num));
        }
        row.push(step);
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8")
}

/// A point's estimates, section by section, as (column, estimate) pairs;
/// `latencies` says which classes have completion and seen-done columns.
fn summary_columns<'s>(
    s: &'s crate::stats::Summary,
    latencies: &[(bool, bool)],
    scaled: &[(bool, bool)],
) -> Vec<(String, &'s Estimate)> {
    fn add<'s>(out: &mut Vec<(String, &'s Estimate)>, scope: &str, name: &str, columns: Vec<(&str, &'s Estimate)>) {
        out.extend(columns.iter().map(|(m, e)| (format!("{scope}.{name}.{m}"), *e)));
    }
    let mut out = Vec::new();
    for (c, &(publishes, polls)) in s.classes.iter().zip(latencies) {
        add(&mut out, "class", &c.name, columns::estimates(CLASS, c, true));
        for table in columns::async_tables(publishes, polls) {
            add(&mut out, "class", &c.name, columns::estimates(table, c, true));
        }
    }
    for (v, &(hpa, serverless)) in s.services.iter().zip(scaled) {
        add(&mut out, "service", &v.name, columns::estimates(SERVICE, v, true));
        if hpa {
            add(&mut out, "service", &v.name, columns::estimates(SCALING, v, true));
        }
        if serverless {
            add(&mut out, "service", &v.name, columns::estimates(SERVERLESS, v, true));
        }
    }
    s.pools.iter().for_each(|p| add(&mut out, "pool", &p.name, columns::estimates(POOL, p, true)));
    s.caches.iter().for_each(|c| add(&mut out, "cache", &c.name, columns::estimates(CACHE, c, true)));
    s.databases.iter().for_each(|d| add(&mut out, "database", &d.name, columns::estimates(DATABASE, d, true)));
    s.calls.iter().for_each(|c| add(&mut out, "call", &c.name, columns::estimates(CALL, c, true)));
    s.queues.iter().for_each(|q| add(&mut out, "queue", &q.name, columns::estimates(QUEUE, q, true)));
    out.push(("cost_per_million".into(), &s.cost.per_million_requests));
    out
}

fn summary_csv(results: &ExperimentResults) -> String {
    let e = &results.experiment;
    let mut w = csv::Writer::from_writer(Vec::new());
    let Some(first) = results.points.first() else {
        return "design\n".into();
    };
    // A class has completion (seen-done) columns when some point measured them.
    let latencies: Vec<(bool, bool)> = (0..first.summary.classes.len())
        .map(|c| {
            let any = |has: fn(&crate::stats::ClassSummary) -> bool| {
                results.points.iter().any(|p| p.summary.classes.get(c).is_some_and(has))
            };
            (any(|c| c.completion_s.is_some()), any(|c| c.seen_done_s.is_some()))
        })
        .collect();
    // A service has HPA (serverless) columns when some point's has an HPA (is serverless).
    let scaled: Vec<(bool, bool)> = (0..first.summary.services.len())
        .map(|v| {
            let any = |has: fn(&crate::stats::ServiceSummary) -> bool| {
                results.points.iter().any(|p| p.summary.services.get(v).is_some_and(has))
            };
            (any(|s| s.scaling.is_some()), any(|s| s.serverless.is_some()))
        })
        .collect();
    let mut header: Vec<String> = vec!["design".into()];
    header.extend(e.axes.iter().map(|a| a.path.clone()));
    header.extend(["replications", "meets_slo"].map(String::from));
    for (name, _) in summary_columns(&first.summary, &latencies, &scaled) {
        header.push(format!("{name}_ci95"));
        header.insert(header.len() - 1, name);
    }
    header.push("cost_per_hour".into());
    // Recovery columns when some point answers the recovery question.
    let recovery = results.points.iter().any(|p| p.summary.recovery.is_some());
    if recovery {
        header.extend(columns::recovery_names(false).map(String::from));
    }
    w.write_record(&header).expect("in-memory write");
    for p in &results.points {
        let mut row = vec![p.design.clone()];
        row.extend(p.axis_values.iter().cloned());
        row.push(p.replications.to_string());
        row.push(p.meets_slo.map_or(String::new(), |m| m.to_string()));
        for (_, e) in summary_columns(&p.summary, &latencies, &scaled) {
            row.push(num(e.value));
            row.push(e.ci95.map_or(String::new(), num));
        }
        row.push(num(p.summary.cost.per_hour));
        if recovery {
            row.extend(columns::recovery_summary_values(p.summary.recovery.as_ref()).map(num));
        }
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8")
}

/// Format tag written into new shard files.
pub fn shard_format() -> String {
    SHARD_FORMAT.to_string()
}
