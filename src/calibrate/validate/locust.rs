//! Locust's CSV files (`locust --csv PREFIX`), response times in milliseconds.
//!
//! `PREFIX_stats.csv`, one file per load level: its `Aggregated` row gives
//! the level. Throughput is `Requests/s - Failures/s`, the error ratio
//! `Failure Count / Request Count`, the mean `Average Response Time`, the
//! percentiles the `50%`, `95%` and `99%` columns. The load of an open
//! class is `Requests/s`; the users of a closed one are not in this file,
//! so they are read from the `User Count` of the last row of the sibling
//! `PREFIX_stats_history.csv`.
//!
//! `PREFIX_stats_history.csv`, a whole step-load test in one file: a row
//! every second with the `User Count`. A level is a plateau, a run of rows
//! at one user count; its first [`SETTLE_S`] seconds are ramp-up (the
//! system and Locust's windows still hold the previous step) and are left
//! out, and a plateau with fewer than two rows after that is ramp-up too.
//! Throughput, error ratio and mean come exactly from the differences of the
//! cumulative `Total Request Count`, `Total Failure Count` and `Total Average
//! Response Time` across the kept rows. Percentiles: Locust writes the
//! current (last 10 s) percentiles only with `--csv-full-history`, and
//! cumulative ones since the start otherwise, which mix the steps and the
//! ramp-up; so they are averaged over the kept rows with full history and
//! not compared without it (a note says so).
//!
//! Locust's response times include failed requests; capsim's latency is of
//! successful ones: the two agree when failures are few.

use std::path::PathBuf;

use crate::calibrate::InputError;
use crate::calibrate::input::{Row, Table};

use super::{Context, Level, LoadKind, Metric, Origin, fraction, positive};

/// Seconds at the start of a plateau left out as ramp-up: Locust's window
/// for current percentiles and rates is 10 s.
pub(super) const SETTLE_S: f64 = 10.0;

/// A named column's index, or an error naming it.
fn required(table: &Table, name: &str) -> Result<usize, InputError> {
    table.column(name).ok_or_else(|| {
        InputError::in_file(
            &table.file,
            format!("no `{name}` column: this is not a Locust file as `locust --csv` writes it"),
        )
        .with_key(name.to_string())
    })
}

/// A cell's number; `N/A` and empty cells are `None`.
fn cell(table: &Table, row: &Row, col: Option<usize>) -> Result<Option<f64>, InputError> {
    let Some(col) = col else { return Ok(None) };
    let text = row.fields[col].trim();
    if text.is_empty() || text.eq_ignore_ascii_case("N/A") {
        return Ok(None);
    }
    table.number(row, col).map(Some)
}

fn aggregated(table: &Table, name_col: usize) -> impl Iterator<Item = &Row> {
    table.rows.iter().filter(move |r| r.fields[name_col].eq_ignore_ascii_case("Aggregated"))
}

/// Reads `PREFIX_stats.csv` as one level.
pub(super) fn read_stats(table: &Table, ctx: Context) -> Result<Level, InputError> {
    let name = required(table, "Name")?;
    let [count, failures, average, rps, fps] =
        ["Request Count", "Failure Count", "Average Response Time", "Requests/s", "Failures/s"]
            .map(|c| required(table, c));
    let (count, failures, average, rps, fps) = (count?, failures?, average?, rps?, fps?);
    let row = aggregated(table, name).next().ok_or_else(|| {
        InputError::in_file(&table.file, "no `Aggregated` row").with_hint("Locust writes it last, with the totals")
    })?;
    let at = |col: usize| move |msg: String| table.error_at(row, col, msg);
    let n = cell(table, row, Some(count))?.unwrap_or(0.0);
    if n <= 0.0 {
        return Err(table.error_at(row, count, "no requests: nothing to compare"));
    }
    let f = cell(table, row, Some(failures))?.unwrap_or(0.0);
    let rps_v = positive(cell(table, row, Some(rps))?.unwrap_or(0.0), "Requests/s").map_err(at(rps))?;
    let fps_v = cell(table, row, Some(fps))?.unwrap_or(0.0);
    let load = match ctx.kind {
        LoadKind::Rate => rps_v,
        LoadKind::Users => users_from_history(table)?,
    };
    let mut level = Level::new(load, Origin { file: table.file.clone(), line: Some(row.line) });
    level.set(Metric::Throughput, Some(rps_v - fps_v).filter(|t| *t > 0.0));
    let ms = |col: Option<usize>, what: &str| -> Result<Option<f64>, InputError> {
        match cell(table, row, col)? {
            Some(v) => positive(v / 1e3, what).map(Some).map_err(|m| table.error_at(row, col.expect("read"), m)),
            None => Ok(None),
        }
    };
    level.set(Metric::Mean, ms(Some(average), "Average Response Time")?);
    level.set(Metric::P50, ms(table.column("50%").or(table.column("Median Response Time")), "50%")?);
    level.set(Metric::P95, ms(table.column("95%"), "95%")?);
    level.set(Metric::P99, ms(table.column("99%"), "99%")?);
    level.set(Metric::ErrorRatio, Some(fraction(f / n, "Failure Count / Request Count").map_err(at(failures))?));
    Ok(level)
}

/// The users of a `PREFIX_stats.csv`: the last `User Count` of its sibling history file.
fn users_from_history(table: &Table) -> Result<f64, InputError> {
    let name = table.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sibling = name.strip_suffix("_stats.csv").map(|p| table.file.with_file_name(format!("{p}_stats_history.csv")));
    let missing = || {
        InputError::in_file(&table.file, "a closed model takes users, and Locust's stats.csv does not say how many")
            .with_hint("keep the PREFIX_stats_history.csv Locust wrote beside it (its User Count is read), or use the neutral CSV with a `users` column")
    };
    let sibling: PathBuf = sibling.filter(|p| p.exists()).ok_or_else(missing)?;
    let history = Table::read(&sibling)?;
    let users = required(&history, "User Count")?;
    let name_col = required(&history, "Name")?;
    let last = aggregated(&history, name_col).last().ok_or_else(missing)?;
    let n = history.number(last, users)?;
    if n <= 0.0 || n.fract() != 0.0 {
        return Err(history.error_at(last, users, format!("{n} is not a number of users")));
    }
    Ok(n)
}

/// One row of the history, read.
struct Tick {
    row: usize,
    time: f64,
    users: f64,
    requests: f64,
    failures: f64,
    average_ms: f64,
    percentiles: [Option<f64>; 3],
}

/// Reads `PREFIX_stats_history.csv` as one level per plateau of the user count.
pub(super) fn read_history(table: &Table, ctx: Context, notes: &mut Vec<String>) -> Result<Vec<Level>, InputError> {
    let [time, users, name, count, failures, average] = [
        "Timestamp",
        "User Count",
        "Name",
        "Total Request Count",
        "Total Failure Count",
        "Total Average Response Time",
    ]
    .map(|c| required(table, c));
    let (time, users, name, count, failures, average) = (time?, users?, name?, count?, failures?, average?);
    let pcols = ["50%", "95%", "99%"].map(|c| table.column(c));
    // With --csv-full-history there are rows per endpoint, and the percentiles are current ones.
    let current = table.rows.iter().any(|r| !r.fields[name].eq_ignore_ascii_case("Aggregated"));
    let mut ticks = Vec::new();
    for (i, row) in table.rows.iter().enumerate() {
        if !row.fields[name].eq_ignore_ascii_case("Aggregated") {
            continue;
        }
        let number = |col: usize| cell(table, row, Some(col)).map(|v| v.unwrap_or(0.0));
        let mut percentiles = [None; 3];
        for (p, col) in percentiles.iter_mut().zip(pcols) {
            *p = cell(table, row, col)?;
        }
        ticks.push(Tick {
            row: i,
            time: number(time)?,
            users: number(users)?,
            requests: number(count)?,
            failures: number(failures)?,
            average_ms: number(average)?,
            percentiles,
        });
    }
    let mut levels = Vec::new();
    let mut start = 0;
    while start < ticks.len() {
        let end = (start..ticks.len()).find(|&j| ticks[j].users != ticks[start].users).unwrap_or(ticks.len());
        let plateau = &ticks[start..end];
        start = end;
        if plateau[0].users <= 0.0 {
            continue;
        }
        let kept: Vec<&Tick> = plateau.iter().filter(|t| t.time >= plateau[0].time + SETTLE_S).collect();
        let (Some(first), Some(last)) = (kept.first(), kept.last()) else { continue };
        let (span, requests) = (last.time - first.time, last.requests - first.requests);
        if kept.len() < 2 || span <= 0.0 || requests <= 0.0 {
            continue;
        }
        let row = &table.rows[last.row];
        let failed = last.failures - first.failures;
        let mean_ms = (last.average_ms * last.requests - first.average_ms * first.requests) / requests;
        let load = match ctx.kind {
            LoadKind::Users => plateau[0].users,
            LoadKind::Rate => requests / span,
        };
        let mut level = Level::new(load, Origin { file: table.file.clone(), line: Some(row.line) });
        level.set(Metric::Throughput, Some((requests - failed) / span).filter(|t| *t > 0.0));
        level.set(Metric::Mean, Some(mean_ms / 1e3).filter(|m| *m > 0.0));
        if current {
            for (k, metric) in [Metric::P50, Metric::P95, Metric::P99].into_iter().enumerate() {
                let values: Vec<f64> = kept.iter().filter_map(|t| t.percentiles[k]).collect();
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                level.set(metric, (!values.is_empty() && mean > 0.0).then_some(mean / 1e3));
            }
        }
        let ratio = fraction(failed / requests, "the failure ratio").map_err(|m| table.error_at(row, failures, m))?;
        level.set(Metric::ErrorRatio, Some(ratio));
        levels.push(level);
    }
    if !current && !levels.is_empty() && pcols.iter().any(Option::is_some) {
        notes.push(format!(
            "{}: percentiles not compared: without --csv-full-history Locust's history holds percentiles since the start, which mix the load steps and the ramp-up; use one PREFIX_stats.csv per level for them",
            table.file.display()
        ));
    }
    if levels.is_empty() {
        return Err(InputError::in_file(&table.file, "no plateau of the user count lasts long enough to measure")
            .with_hint(format!(
                "a level needs at least two rows more than {SETTLE_S} s after its user count was reached"
            )));
    }
    Ok(levels)
}
