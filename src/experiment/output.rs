//! Results folders and shards on disk.
//!
//! A results folder holds `runs.csv` (one row per run), `summary.csv` (one
//! row per design and point, with 95% intervals), `results.json` (everything,
//! with provenance), charts and `report.html`. It is written into a temporary
//! sibling folder and renamed into place, so a reader never sees half a
//! result. A shard folder holds `shard.json`: the finished runs of one slice,
//! which `merge` joins into the same results folder one machine would write.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::experiment::execute::{RunRecord, Shard};
use crate::experiment::results::ExperimentResults;
use crate::experiment::spec::Experiment;
use crate::stats::{ClassMetrics, ErrorCause, Estimate, ServiceMetrics};

/// Problems reading or writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Shards that do not fit together, or a malformed file.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Format tag of shard files.
const SHARD_FORMAT: &str = "capsim-shard-1";

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
}

/// Writes `dir` atomically: `fill` writes into a temporary sibling folder,
/// which then replaces `dir`.
pub fn write_dir_atomically(
    dir: &Path,
    fill: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = dir.file_name().map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        fs::rename(dir, &old).map_err(io(dir))?;
    }
    fs::rename(&tmp, dir).map_err(io(dir))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Writes the data files of a results folder (CSV and JSON) into `dir`.
pub fn write_data(
    dir: &Path,
    exp: &Experiment,
    results: &ExperimentResults,
    records: &[RunRecord],
) -> Result<(), OutputError> {
    let path = dir.join("runs.csv");
    fs::write(&path, runs_csv(exp, records)).map_err(io(&path))?;
    let path = dir.join("summary.csv");
    fs::write(&path, summary_csv(results)).map_err(io(&path))?;
    let path = dir.join("results.json");
    let mut json = serde_json::to_string_pretty(results).expect("results serialise");
    json.push('\n');
    fs::write(&path, json).map_err(io(&path))?;
    Ok(())
}

/// Reads `results.json` back (for `capsim plot` and `capsim report`).
pub fn read_results(dir: &Path) -> Result<ExperimentResults, OutputError> {
    let path = dir.join("results.json");
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text)
        .map_err(|e| OutputError::Invalid(format!("{}: not a capsim results file: {e}", path.display())))
}

/// Writes one shard's runs into `dir/shard.json`, atomically.
pub fn write_shard(dir: &Path, shard: &ShardFile) -> Result<(), OutputError> {
    write_dir_atomically(dir, |tmp| {
        let path = tmp.join("shard.json");
        let text = serde_json::to_string(shard).expect("shard serialises");
        fs::write(&path, text).map_err(io(&path))
    })
}

/// Reads shard folders and checks they form one complete experiment:
/// the same inputs, the same shard count, every shard once, every run once.
pub fn read_shards(dirs: &[PathBuf]) -> Result<(ShardFile, Vec<RunRecord>), OutputError> {
    let mut shards = Vec::new();
    for dir in dirs {
        let path = dir.join("shard.json");
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let shard: ShardFile = serde_json::from_str(&text)
            .map_err(|e| OutputError::Invalid(format!("{}: not a capsim shard: {e}", path.display())))?;
        if shard.format != SHARD_FORMAT {
            return Err(OutputError::Invalid(format!("{}: unknown shard format {}", path.display(), shard.format)));
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
    let mut runs: Vec<Option<RunRecord>> = vec![None; total];
    for s in &shards {
        for r in &s.runs {
            if r.index >= total || !s.shard.contains(r.index) {
                return Err(OutputError::Invalid(format!(
                    "shard {} holds run {}, which is not its own",
                    s.shard, r.index
                )));
            }
            if runs[r.index].replace(r.clone()).is_some() {
                return Err(OutputError::Invalid(format!("run {} appears twice", r.index)));
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

const CLASS_COLUMNS: [&str; 13] = [
    "throughput_per_s",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p95_s",
    "latency_p99_s",
    "latency_p999_s",
    "latency_max_s",
    "error_ratio",
    "mean_in_system",
    "mean_sojourn_s",
    "completed",
    "failed",
];

fn class_values(c: &ClassMetrics) -> [f64; 13] {
    [
        c.throughput_per_s,
        c.latency_mean_s,
        c.latency_p50_s,
        c.latency_p90_s,
        c.latency_p95_s,
        c.latency_p99_s,
        c.latency_p999_s,
        c.latency_max_s,
        c.error_ratio,
        c.mean_in_system,
        c.mean_sojourn_s,
        c.completed as f64,
        c.failed as f64,
    ]
}

const SERVICE_COLUMNS: [&str; 7] = [
    "utilisation",
    "thread_utilisation",
    "mean_queue_len",
    "mean_wait_s",
    "mean_in_service",
    "throughput_per_s",
    "rejected_per_s",
];

fn service_values(s: &ServiceMetrics) -> [f64; 7] {
    [
        s.utilisation,
        s.thread_utilisation,
        s.mean_queue_len,
        s.mean_wait_s,
        s.mean_in_service,
        s.throughput_per_s,
        s.rejected_per_s,
    ]
}

const POOL_COLUMNS: [&str; 4] = ["utilisation", "exhausted", "mean_wait_s", "timeouts_per_s"];

const CACHE_COLUMNS: [&str; 5] = ["hit_ratio", "stale_ratio", "reads_per_s", "misses_per_s", "writes_per_s"];

const DATABASE_COLUMNS: [&str; 3] = ["stale_ratio", "reads_per_s", "writes_per_s"];

const QUEUE_COLUMNS: [&str; 11] = [
    "published_per_s",
    "refused_per_s",
    "consumed_per_s",
    "failed_per_s",
    "mean_depth",
    "mean_wait_s",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p99_s",
    "polls_per_message",
    "seen_done_s",
];

fn queue_values(q: &crate::stats::QueueMetrics) -> [f64; 11] {
    [
        q.published_per_s,
        q.refused_per_s,
        q.consumed_per_s,
        q.failed_per_s,
        q.mean_depth,
        q.mean_wait_s,
        q.latency_mean_s,
        q.latency_p50_s,
        q.latency_p99_s,
        q.polls_per_message,
        q.seen_done_s,
    ]
}

const CALL_COLUMNS: [&str; 6] =
    ["attempts_per_s", "retries_per_s", "timeouts_per_s", "short_circuited_per_s", "breaker_opens", "breaker_open"];

/// Numbers as Rust prints them (shortest text that reads back exactly); empty for NaN.
fn num(x: f64) -> String {
    if x.is_nan() { String::new() } else { x.to_string() }
}

fn runs_csv(exp: &Experiment, records: &[RunRecord]) -> String {
    let net = &exp.networks[0][0];
    let mut header: Vec<String> = ["run", "design"].map(String::from).to_vec();
    header.extend(exp.axes.iter().map(|a| a.path.clone()));
    header.extend(["replication", "seed", "observed_s", "events"].map(String::from));
    for c in &net.classes {
        header.extend(CLASS_COLUMNS.iter().map(|m| format!("class.{}.{m}", c.name)));
        header.extend(ErrorCause::ALL.iter().map(|e| format!("class.{}.errors_{}", c.name, e.name())));
    }
    for s in &net.services {
        header.extend(SERVICE_COLUMNS.iter().map(|m| format!("service.{}.{m}", s.name)));
    }
    for p in &net.pools {
        header.extend(POOL_COLUMNS.iter().map(|m| format!("pool.{}.{m}", p.name)));
    }
    for c in &net.caches {
        header.extend(CACHE_COLUMNS.iter().map(|m| format!("cache.{}.{m}", c.name)));
    }
    for d in &net.databases {
        header.extend(DATABASE_COLUMNS.iter().map(|m| format!("database.{}.{m}", d.name)));
    }
    for g in &net.guarded {
        header.extend(CALL_COLUMNS.iter().map(|m| format!("call.{}.{m}", g.name)));
    }
    for q in &net.queues {
        header.extend(QUEUE_COLUMNS.iter().map(|m| format!("queue.{}.{m}", q.name)));
    }
    header.extend(["cost_per_hour", "cost_per_million"].map(String::from));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory write");
    for r in records {
        let m = &r.metrics;
        let mut row = vec![r.index.to_string(), exp.designs[r.design].name.clone()];
        row.extend(exp.axes.iter().zip(&exp.points[r.point]).map(|(a, &v)| a.values[v].clone()));
        row.extend([r.replication.to_string(), r.seed.to_string(), num(m.observed_s), m.events.to_string()]);
        for c in &m.classes {
            row.extend(class_values(c).map(num));
            row.extend(c.errors.iter().map(|&e| num(e)));
        }
        for s in &m.services {
            row.extend(service_values(s).map(num));
        }
        for p in &m.pools {
            row.extend([p.utilisation, p.exhausted, p.mean_wait_s, p.timeouts_per_s].map(num));
        }
        for c in &m.caches {
            row.extend([c.hit_ratio, c.stale_ratio, c.reads_per_s, c.misses_per_s, c.writes_per_s].map(num));
        }
        for d in &m.databases {
            row.extend([d.stale_ratio, d.reads_per_s, d.writes_per_s].map(num));
        }
        for c in &m.calls {
            row.extend(
                [
                    c.attempts_per_s,
                    c.retries_per_s,
                    c.timeouts_per_s,
                    c.short_circuited_per_s,
                    c.breaker_opens,
                    c.breaker_open,
                ]
                .map(num),
            );
        }
        for q in &m.queues {
            row.extend(queue_values(q).map(num));
        }
        row.extend([num(m.cost_per_hour), num(m.cost_per_million)]);
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8")
}

fn summary_csv(results: &ExperimentResults) -> String {
    let e = &results.experiment;
    let mut w = csv::Writer::from_writer(Vec::new());
    let Some(first) = results.points.first() else {
        return "design\n".into();
    };
    let mut header: Vec<String> = vec!["design".into()];
    header.extend(e.axes.iter().map(|a| a.path.clone()));
    header.extend(["replications", "meets_slo"].map(String::from));
    let mut metric = |name: String| {
        header.push(name.clone());
        header.push(format!("{name}_ci95"));
    };
    for c in &first.summary.classes {
        for m in [
            "throughput_per_s",
            "latency_mean_s",
            "latency_p50_s",
            "latency_p90_s",
            "latency_p95_s",
            "latency_p99_s",
            "latency_p999_s",
            "error_ratio",
        ] {
            metric(format!("class.{}.{m}", c.name));
        }
    }
    for s in &first.summary.services {
        for m in ["utilisation", "thread_utilisation", "mean_queue_len", "mean_wait_s"] {
            metric(format!("service.{}.{m}", s.name));
        }
    }
    for p in &first.summary.pools {
        for m in POOL_COLUMNS {
            metric(format!("pool.{}.{m}", p.name));
        }
    }
    for c in &first.summary.caches {
        for m in CACHE_COLUMNS {
            metric(format!("cache.{}.{m}", c.name));
        }
    }
    for d in &first.summary.databases {
        for m in DATABASE_COLUMNS {
            metric(format!("database.{}.{m}", d.name));
        }
    }
    for c in &first.summary.calls {
        for m in CALL_COLUMNS {
            metric(format!("call.{}.{m}", c.name));
        }
    }
    for q in &first.summary.queues {
        for m in QUEUE_COLUMNS {
            metric(format!("queue.{}.{m}", q.name));
        }
    }
    metric("cost_per_million".into());
    header.push("cost_per_hour".into());
    w.write_record(&header).expect("in-memory write");
    for p in &results.points {
        let mut row = vec![p.design.clone()];
        row.extend(p.axis_values.iter().cloned());
        row.push(p.replications.to_string());
        row.push(p.meets_slo.map_or(String::new(), |m| m.to_string()));
        let mut put = |e: &Estimate| {
            row.push(num(e.value));
            row.push(e.ci95.map_or(String::new(), num));
        };
        for c in &p.summary.classes {
            let l = &c.latency_s;
            for e in [&c.throughput_per_s, &l.mean, &l.p50, &l.p90, &l.p95, &l.p99, &l.p999, &c.error_ratio] {
                put(e);
            }
        }
        for s in &p.summary.services {
            for e in [&s.utilisation, &s.thread_utilisation, &s.mean_queue_len, &s.mean_wait_s] {
                put(e);
            }
        }
        for pool in &p.summary.pools {
            for e in [&pool.utilisation, &pool.exhausted, &pool.mean_wait_s, &pool.timeouts_per_s] {
                put(e);
            }
        }
        for c in &p.summary.caches {
            for e in [&c.hit_ratio, &c.stale_ratio, &c.reads_per_s, &c.misses_per_s, &c.writes_per_s] {
                put(e);
            }
        }
        for d in &p.summary.databases {
            for e in [&d.stale_ratio, &d.reads_per_s, &d.writes_per_s] {
                put(e);
            }
        }
        for c in &p.summary.calls {
            for e in [
                &c.attempts_per_s,
                &c.retries_per_s,
                &c.timeouts_per_s,
                &c.short_circuited_per_s,
                &c.breaker_opens,
                &c.breaker_open,
            ] {
                put(e);
            }
        }
        for q in &p.summary.queues {
            for e in [
                &q.published_per_s,
                &q.refused_per_s,
                &q.consumed_per_s,
                &q.failed_per_s,
                &q.mean_depth,
                &q.mean_wait_s,
                &q.latency_mean_s,
                &q.latency_p50_s,
                &q.latency_p99_s,
                &q.polls_per_message,
                &q.seen_done_s,
            ] {
                put(e);
            }
        }
        put(&p.summary.cost.per_million_requests);
        row.push(num(p.summary.cost.per_hour));
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8")
}

/// Format tag written into new shard files.
pub fn shard_format() -> String {
    SHARD_FORMAT.to_string()
}
