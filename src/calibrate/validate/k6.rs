//! k6's end-of-test summary as `k6 run --summary-export FILE.json` writes
//! it, one file per load level: `metrics.NAME` holds each metric's
//! statistics (trends `avg`, `med`, `p(95)`, ... in milliseconds; counters
//! `count` and `rate`; rates `value`; gauges `value`, `min`, `max`). The
//! `handleSummary()` form, with the statistics under `metrics.NAME.values`,
//! is read too.
//!
//! - latency: `http_req_duration{expected_response:true}` (successful
//!   requests, as capsim's latency is) when present, else `http_req_duration`:
//!   `avg` is the mean, `med` the p50, `p(95)` and `p(99)` the tails (k6
//!   reports `p(99)` only when asked: `--summary-trend-stats "avg,med,p(95),p(99)"`);
//! - error ratio: `http_req_failed`'s `value`;
//! - throughput: `http_reqs.rate` times the share that succeeded;
//! - load: an open class takes `http_reqs.rate` (every request sent per
//!   second: with an arrival-rate executor and one request per iteration,
//!   the arrival rate); a closed class takes `vus_max` (the users).

use std::path::Path;

use serde_json::Value;

use crate::calibrate::InputError;

use super::{Context, Level, LoadKind, Metric, Origin, fraction, positive};

/// Reads one k6 summary as one level.
pub(super) fn read(path: &Path, ctx: Context, notes: &mut Vec<String>) -> Result<Level, InputError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| InputError::in_file(path, format!("cannot read the file: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        InputError::in_file(path, format!("not valid JSON: {e}"))
            .at_line(e.line())
            .with_hint("give the file k6 writes with --summary-export, one per load level")
    })?;
    let metrics = json.get("metrics").and_then(Value::as_object).ok_or_else(|| {
        InputError::in_file(path, "no `metrics` object: this is not a k6 summary")
            .with_hint("write it with `k6 run --summary-export level-100.json script.js`")
    })?;
    // A metric's statistics: flat (--summary-export) or under `values` (handleSummary).
    let stats = |name: &str| metrics.get(name).map(|m| m.get("values").unwrap_or(m));
    let number = |name: &str, stat: &str| -> Result<Option<f64>, InputError> {
        match stats(name).and_then(|s| s.get(stat)) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().filter(|x| x.is_finite()).map(Some).ok_or_else(|| {
                InputError::in_file(path, format!("`{stat}` of `{name}` is not a number: {v}"))
                    .with_key(format!("metrics.{name}"))
            }),
        }
    };
    let located = |name: &str| {
        let key = format!("metrics.{name}");
        move |msg: String| InputError::in_file(path, msg).with_key(key)
    };

    const SUCCESSFUL: &str = "http_req_duration{expected_response:true}";
    let duration = if stats(SUCCESSFUL).is_some() { SUCCESSFUL } else { "http_req_duration" };
    if stats(duration).is_none() {
        return Err(InputError::in_file(path, "no `http_req_duration` metric: capsim compares the response times k6 measured")
            .with_key("metrics")
            .with_hint("an HTTP test's summary has it; export the summary with --summary-export after a test that sends HTTP requests"));
    }
    let reqs_rate = number("http_reqs", "rate")?;
    let failed = number("http_req_failed", "value")?.or(number("http_req_failed", "rate")?);
    let failed = failed.map(|f| fraction(f, "http_req_failed").map_err(located("http_req_failed"))).transpose()?;

    let load = match ctx.kind {
        LoadKind::Rate => reqs_rate.ok_or_else(|| {
            InputError::in_file(path, "no `http_reqs` rate: the load of an open test is the requests sent per second")
                .with_key("metrics.http_reqs")
        })?,
        LoadKind::Users => {
            let vus = number("vus_max", "value")?.or(number("vus_max", "max")?).or(number("vus", "max")?);
            let vus = vus.ok_or_else(|| {
                InputError::in_file(path, "no `vus_max`: the load of a closed test is its virtual users")
                    .with_key("metrics.vus_max")
            })?;
            if vus.fract() != 0.0 {
                return Err(located("vus_max")(format!("{vus} users is not a whole number")));
            }
            vus
        }
    };
    let load = positive(load, "the load").map_err(located("http_reqs"))?;
    let mut level = Level::new(load, Origin { file: path.to_path_buf(), line: None });
    let throughput = reqs_rate.map(|r| r * (1.0 - failed.unwrap_or(0.0)));
    level.set(Metric::Throughput, throughput.filter(|t| *t > 0.0));
    let ms = |stat: &str| -> Result<Option<f64>, InputError> {
        number(duration, stat)?
            .map(|v| positive(v / 1e3, &format!("{duration} {stat}")).map_err(located(duration)))
            .transpose()
    };
    level.set(Metric::Mean, ms("avg")?);
    level.set(Metric::P50, ms("med")?);
    level.set(Metric::P95, ms("p(95)")?);
    let p99 = ms("p(99)")?;
    if p99.is_none() {
        let note =
            "k6 summaries without p(99): run k6 with --summary-trend-stats \"avg,med,p(95),p(99)\" to compare it";
        if !notes.iter().any(|n| n == note) {
            notes.push(note.to_string());
        }
    }
    level.set(Metric::P99, p99);
    level.set(Metric::ErrorRatio, failed);
    Ok(level)
}
