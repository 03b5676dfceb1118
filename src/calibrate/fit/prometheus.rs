//! A histogram in Prometheus's text exposition format, as scraped from
//! `/metrics` or exported: `NAME_bucket{le="..."}` cumulative counts,
//! `NAME_sum` and `NAME_count`, with `# HELP` / `# TYPE` and other comments,
//! labels with escaped quotes, optional timestamps, other metrics ignored.
//!
//! Series are told apart by their labels (all but `le`). `--label k=v`
//! keeps the series that have those values; when several remain, their
//! buckets are summed, as PromQL's `sum by (le)` does before
//! `histogram_quantile` (they must share the same bucket bounds). Bounds are
//! in seconds, Prometheus's base unit, unless `--unit` says otherwise.
//!
//! The fit is by interval-censored likelihood: an observation in the bucket
//! (a, b] contributes ln(F(b) - F(a)), the +Inf bucket ln(1 - F(last)).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::super::InputError;
use super::families::{self, Family, Model};
use super::optimise::{nelder_mead, standard_errors};
use super::{Candidate, Criterion, Evidence, Fit};

/// Bucket counts of one histogram (several series summed).
#[derive(Debug, Clone, Serialize)]
pub struct Histogram {
    /// Finite upper bounds, seconds, increasing.
    pub bounds: Vec<f64>,
    /// Observations per bucket (not cumulative); the last is the +Inf bucket.
    pub counts: Vec<f64>,
    /// Every observation.
    pub total: f64,
    /// `_sum`, seconds, when given.
    pub sum: Option<f64>,
    /// How many series were summed.
    pub series: usize,
}

/// One series as read: labels without `le`, and its lines.
#[derive(Default)]
struct Series {
    /// (le in seconds, cumulative count, line)
    buckets: Vec<(f64, f64, usize)>,
    sum: Option<f64>,
    count: Option<(f64, usize)>,
}

type Labels = Vec<(String, String)>;

/// Reads the histogram `metric` of `file`, keeping the series whose labels
/// match every `k=v` of `selectors`; `scale` is seconds per unit of `le`.
pub fn read(file: &Path, metric: &str, selectors: &[String], scale: f64) -> Result<Histogram, InputError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| InputError::in_file(file, format!("cannot read the file: {e}")))?;
    parse(file, &text, metric, selectors, scale)
}

/// [`read`] on text already in memory; `file` names it in errors.
pub fn parse(file: &Path, text: &str, metric: &str, selectors: &[String], scale: f64) -> Result<Histogram, InputError> {
    let metric = metric.trim().strip_suffix("_bucket").unwrap_or(metric.trim());
    let wanted: Labels = selectors
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                // `k="v"` as PromQL writes it, or `k=v`.
                let v = v.trim();
                let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
                Ok((k.trim().to_string(), v.to_string()))
            }
            _ => Err(InputError::new(format!("`{s}` is not KEY=VALUE"))
                .with_key("--label")
                .with_hint("write e.g. --label handler=/api/orders")),
        })
        .collect::<Result<_, _>>()?;
    let (bucket, sum, count) = (format!("{metric}_bucket"), format!("{metric}_sum"), format!("{metric}_count"));
    let mut series: BTreeMap<Labels, Series> = BTreeMap::new();
    let mut histograms: Vec<String> = Vec::new();
    let mut unmatched: Vec<Labels> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).unwrap_or(line.len());
        let name = &line[..name_end];
        if let Some(h) = name.strip_suffix("_bucket")
            && !histograms.iter().any(|x| x == h)
        {
            histograms.push(h.to_string());
        }
        if name != bucket && name != sum && name != count {
            continue;
        }
        let located = |msg: String| InputError::in_file(file, msg).at_line(at);
        let (mut labels, rest) = parse_labels(&line[name_end..]).map_err(located)?;
        let value_text = rest.split_whitespace().next().ok_or_else(|| located(format!("`{name}` has no value")))?;
        let value = parse_float(value_text).ok_or_else(|| located(format!("`{value_text}` is not a number")))?;
        let le = labels.iter().position(|(k, _)| k == "le").map(|i| labels.remove(i).1);
        labels.sort();
        if !wanted.iter().all(|w| labels.contains(w)) {
            if !unmatched.contains(&labels) {
                unmatched.push(labels);
            }
            continue;
        }
        let s = series.entry(labels).or_default();
        if name == bucket {
            let le = le.ok_or_else(|| located(format!("`{bucket}` without an `le` label")))?;
            let bound = parse_float(&le).filter(|b| !b.is_nan()).ok_or_else(|| {
                located(format!("le=\"{le}\" is not a number (write e.g. le=\"0.25\" or le=\"+Inf\")"))
            })?;
            if value.is_nan() || value < 0.0 || value.is_infinite() {
                return Err(located(format!("bucket le=\"{le}\" has count {value_text}: counts are finite and >= 0")));
            }
            s.buckets.push((bound * scale, value, at));
        } else if name == sum {
            s.sum = Some(value * scale);
        } else {
            s.count = Some((value, at));
        }
    }
    if series.is_empty() {
        if histograms.iter().any(|h| h == metric) {
            let sets: Vec<String> = unmatched.iter().take(5).map(show).collect();
            return Err(InputError::in_file(file, format!("no series of `{metric}` has the labels {}", show(&wanted)))
                .with_key("--label")
                .with_hint(format!("its series are {}", sets.join(", "))));
        }
        let hint = if histograms.is_empty() {
            "the file has no `_bucket` series: is it Prometheus's text format?".to_string()
        } else {
            format!("its histograms are {}", histograms.join(", "))
        };
        return Err(InputError::in_file(file, format!("no histogram `{metric}` (no `{bucket}` lines)"))
            .with_key("--metric")
            .with_hint(hint));
    }
    let mut checked = Vec::new();
    for (labels, s) in &series {
        checked.push((labels, check(file, metric, labels, s)?));
    }
    let (first_labels, first) = &checked[0];
    let mut cumulative = first.0.clone();
    let mut sum = first.1;
    for (labels, (c, s)) in &checked[1..] {
        if c.iter().map(|b| b.0).ne(first.0.iter().map(|b| b.0)) {
            return Err(InputError::in_file(
                file,
                format!(
                    "series {} and {} of `{metric}` have different buckets, so they cannot be summed",
                    show(first_labels),
                    show(labels)
                ),
            )
            .with_key("--label")
            .with_hint("select one series with --label"));
        }
        for (a, b) in cumulative.iter_mut().zip(c) {
            a.1 += b.1;
        }
        sum = sum.zip(*s).map(|(a, b)| a + b);
    }
    let total = cumulative.last().map_or(0.0, |b| b.1);
    let bounds: Vec<f64> = cumulative.iter().filter(|b| b.0.is_finite()).map(|b| b.0).collect();
    let mut counts = Vec::with_capacity(cumulative.len());
    let mut below = 0.0;
    for b in &cumulative {
        counts.push(b.1 - below);
        below = b.1;
    }
    let h = Histogram { bounds, counts, total, sum, series: checked.len() };
    if h.total < super::samples::MIN_SAMPLES as f64 {
        return Err(InputError::in_file(file, format!("`{metric}` holds {} observation(s): too few to fit", h.total))
            .with_hint(format!("at least {} are needed", super::samples::MIN_SAMPLES)));
    }
    if h.counts.iter().filter(|c| **c > 0.0).count() < 2 {
        return Err(InputError::in_file(file, format!("every observation of `{metric}` is in one bucket")).with_hint(
            "the buckets are too coarse to tell a distribution's shape; add buckets around the typical latency",
        ));
    }
    if h.bounds.first().is_some_and(|b| *b <= 0.0) && h.counts[0] > 0.0 {
        return Err(InputError::in_file(file, format!("`{metric}` counts observations at or below zero"))
            .with_hint("service times are positive: check the instrumentation"));
    }
    Ok(h)
}

/// Checks one series: an +Inf bucket, distinct bounds, cumulative counts,
/// `_count` equal to the +Inf bucket. Returns (bounds, cumulative counts) and `_sum`.
#[allow(clippy::type_complexity)]
fn check(file: &Path, metric: &str, labels: &Labels, s: &Series) -> Result<(Vec<(f64, f64)>, Option<f64>), InputError> {
    let mut b = s.buckets.clone();
    let Some(&(_, _, last_line)) = b.last() else {
        let line = s.count.map_or(1, |c| c.1);
        return Err(
            InputError::in_file(file, format!("series {} of `{metric}` has no buckets", show(labels))).at_line(line)
        );
    };
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    for w in b.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(InputError::in_file(
                file,
                format!("the bucket le={} appears twice in series {}", w[1].0, show(labels)),
            )
            .at_line(w[1].2));
        }
        if w[1].1 < w[0].1 {
            return Err(InputError::in_file(
                file,
                format!(
                    "bucket le=\"{}\" counts {} but the smaller bucket le=\"{}\" counts {}: buckets must be cumulative",
                    w[1].0, w[1].1, w[0].0, w[0].1
                ),
            )
            .at_line(w[1].2)
            .with_hint(
                "each `_bucket{le=\"x\"}` counts every observation <= x; per-bucket counts must be summed first",
            ));
        }
    }
    if b.last().is_some_and(|x| x.0 != f64::INFINITY) {
        return Err(InputError::in_file(
            file,
            format!("series {} of `{metric}` has no le=\"+Inf\" bucket", show(labels)),
        )
        .at_line(last_line)
        .with_hint("the +Inf bucket counts every observation; without it the tail is unknown"));
    }
    if let (Some((count, line)), Some(inf)) = (s.count, b.last())
        && count != inf.1
    {
        return Err(InputError::in_file(
            file,
            format!("`{metric}_count` is {count} but the le=\"+Inf\" bucket counts {}: they must be equal", inf.1),
        )
        .at_line(line)
        .with_hint("the lines were probably scraped at different times; export them together"));
    }
    Ok((b.iter().map(|x| (x.0, x.1)).collect(), s.sum))
}

fn show(labels: &Labels) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

/// Prometheus floats: also `+Inf`, `-Inf`, `NaN`.
fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// `{k="v",...}` at the start of `text` (or nothing), and the rest.
fn parse_labels(text: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    let Some(body) = text.strip_prefix('{') else { return Ok((labels, text)) };
    let mut chars = body.char_indices().peekable();
    loop {
        while chars.next_if(|c| c.1.is_whitespace() || c.1 == ',').is_some() {}
        match chars.peek() {
            Some(&(i, '}')) => return Ok((labels, &body[i + 1..])),
            None => return Err("unclosed `{` in the labels".into()),
            _ => {}
        }
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|c| c.1 != '=' && c.1 != '}' && !c.1.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.1.is_whitespace()).is_some() {}
        if chars.next().map(|c| c.1) != Some('=') || chars.next().map(|c| c.1) != Some('"') {
            return Err(format!("label `{key}` is not written key=\"value\""));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                Some((_, '"')) => break,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => return Err("unfinished escape in a label value".into()),
                },
                Some((_, c)) => value.push(c),
                None => return Err(format!("the value of label `{key}` has no closing quote")),
            }
        }
        labels.push((key, value));
    }
}

impl Histogram {
    /// Cumulative fraction at each finite bound.
    pub fn cdf_points(&self) -> Vec<(f64, f64)> {
        let mut below = 0.0;
        self.bounds
            .iter()
            .zip(&self.counts)
            .map(|(&b, &c)| {
                below += c;
                (b, below / self.total)
            })
            .collect()
    }

    /// The interval-censored log-likelihood of the counts under `m`.
    pub fn loglik(&self, m: &Model) -> f64 {
        // P(a < X <= b) from the CDF in the body and from the survival
        // function in the tail, where 1 - F rounds to 0 long before it is.
        let mut ll = 0.0;
        let mut lower = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            let upper = self.bounds.get(i).copied().unwrap_or(f64::INFINITY);
            if c > 0.0 {
                let p = if m.cdf(lower) < 0.5 { m.cdf(upper) - m.cdf(lower) } else { m.sf(lower) - m.sf(upper) };
                ll += c * p.ln();
            }
            lower = upper;
        }
        if ll.is_nan() { f64::NEG_INFINITY } else { ll }
    }

    /// Largest |F_model - F_data| at the bucket bounds.
    pub fn ks(&self, m: &Model) -> f64 {
        self.cdf_points().iter().map(|&(b, f)| (m.cdf(b) - f).abs()).fold(0.0, f64::max)
    }

    /// The buckets as a piecewise-linear distribution: uniform within each
    /// bucket, from 0 (as `histogram_quantile` assumes), the +Inf bucket's
    /// observations put at the last finite bound; an empty bucket between
    /// two others is bridged by the next one.
    pub fn empirical(&self) -> Model {
        let mut knots = vec![(0.0, 0.0)];
        let mut below = 0.0;
        for (i, &b) in self.bounds.iter().enumerate() {
            if self.counts[i] > 0.0 {
                if below == 0.0 && i > 0 {
                    knots[0] = (0.0, self.bounds[i - 1]);
                }
                below += self.counts[i];
                knots.push(((below / self.total).min(1.0), b));
            }
        }
        if knots.last().is_some_and(|k| k.0 < 1.0) {
            let top = self.bounds.last().copied().unwrap_or(0.0);
            if knots.last().is_some_and(|k| k.1 == top) {
                knots.pop();
            }
            knots.push((1.0, top));
        }
        Model::Empirical { knots }
    }

    /// How far the model's p50, p90, p99 and p99.9 fall outside the bucket
    /// the data put that percentile in, relative to the nearest bucket edge:
    /// 0 when inside. Within a bucket the data say nothing finer, so an
    /// interpolated percentile (as dashboards show) would charge the fit for
    /// the interpolation. Levels with fewer than 10 observations above them,
    /// or in the +Inf bucket, are skipped.
    fn max_percentile_error(&self, m: &Model) -> f64 {
        let mut worst: f64 = 0.0;
        for q in [0.5, 0.9, 0.99, 0.999] {
            if (1.0 - q) * self.total < 10.0 {
                continue;
            }
            let mut below = 0.0;
            for (i, &c) in self.counts.iter().enumerate().take(self.bounds.len()) {
                let lower = if i == 0 { 0.0 } else { self.bounds[i - 1] };
                below += c;
                if below / self.total >= q {
                    let x = m.quantile(q);
                    let upper = self.bounds[i];
                    let err = if x > upper {
                        x / upper - 1.0
                    } else if x < lower {
                        1.0 - x / lower
                    } else {
                        0.0
                    };
                    worst = worst.max(err);
                    break;
                }
            }
        }
        worst
    }
}

/// Fits `family` by interval-censored maximum likelihood: the best of a
/// shape grid (scale matched to the data's median), then Nelder–Mead on
/// (log scale, shape).
fn fit_family(h: &Histogram, family: Family) -> (Model, Vec<Option<f64>>) {
    let median = h.empirical().quantile(0.5);
    let at = |family: Family, shape: &[f64], ln_scale: f64| families::with_shape(family, shape).scaled(ln_scale.exp());
    // Pareto puts no mass below its minimum: start it below the first occupied bucket's upper bound.
    let first = h.counts.iter().position(|c| *c > 0.0).and_then(|i| h.bounds.get(i)).copied().unwrap_or(median);
    let matched = |shape: &[f64]| match family {
        Family::Pareto => (first / 2.0).ln(),
        _ => (median / families::with_shape(family, shape).quantile(0.5)).ln(),
    };
    let mut grid: Vec<(Vec<f64>, f64)> = families::shape_grid(family)
        .into_iter()
        .map(|c| {
            let s = matched(&c);
            let ll = h.loglik(&at(family, &c, s));
            (c, if ll.is_nan() { f64::NEG_INFINITY } else { ll })
        })
        .collect();
    grid.sort_by(|a, b| b.1.total_cmp(&a.1));
    let dims = families::shape_dims(family);
    // Erlang's k is discrete: polish the scale for the three best k.
    let tries = if family == Family::Erlang { 3 } else { 1 };
    let mut best: Option<(Model, f64)> = None;
    for (shape, _) in grid.iter().take(tries) {
        let start: Vec<f64> = std::iter::once(matched(shape)).chain(shape.iter().copied().take(dims)).collect();
        let build = |c: &[f64]| {
            let mut s = shape.clone();
            s[..dims].copy_from_slice(&c[1..]);
            at(family, &s, c[0])
        };
        let (c, v) = nelder_mead(&|c: &[f64]| -h.loglik(&build(c)), &start, 0.1);
        if best.as_ref().is_none_or(|b| -v > b.1) {
            best = Some((build(&c), -v));
        }
    }
    let model = best.map(|b| b.0).unwrap_or(Model::Exponential { mean: median });
    let theta: Vec<f64> = model.params().iter().map(|p| p.value).collect();
    let se = if family == Family::Erlang {
        let k = theta[0];
        let one = standard_errors(&|t: &[f64]| h.loglik(&families::from_params(family, &[k, t[0]])), &theta[1..]);
        vec![None, one[0]]
    } else {
        standard_errors(
            &|t: &[f64]| {
                if t.iter().all(|v| *v > 0.0) { h.loglik(&families::from_params(family, t)) } else { f64::NAN }
            },
            &theta,
        )
    };
    (model, se)
}

/// Fits every family to the buckets and chooses by censored AIC.
pub fn fit(source: String, h: Histogram, families: &[Family]) -> Fit {
    let mut candidates = Vec::new();
    let mut notes = Vec::new();
    if h.series > 1 {
        notes.push(format!("{} series matched and were summed bucket by bucket (as sum by (le) does)", h.series));
    }
    if let Some(sum) = h.sum {
        notes.push(format!("mean from _sum/_count: {}", families::duration(sum / h.total)));
    }
    let inf = h.counts.last().copied().unwrap_or(0.0);
    if inf > 0.0 {
        notes.push(format!(
            "{} observation(s) above the last finite bucket ({}): only the fitted families say how far the tail goes",
            inf,
            families::duration(h.bounds.last().copied().unwrap_or(0.0))
        ));
    }
    notes.push(
        "percentile error: how far a family's p50, p90, p99, p99.9 fall outside the bucket that holds the data's"
            .into(),
    );
    for &family in families {
        let mut c = if family == Family::Empirical {
            let mut c = Candidate::new(h.empirical(), &[]);
            c.note = Some(
                "the buckets joined linearly (what histogram_quantile reports); as many parameters as buckets, \
                 so never chosen by AIC: listed as the reference"
                    .into(),
            );
            c
        } else {
            let (model, se) = fit_family(&h, family);
            let mut c = Candidate::new(model, &se);
            let ll = h.loglik(&c.model);
            c.loglik = Some(ll);
            c.aic = Some(2.0 * family.parameters() as f64 - 2.0 * ll);
            c
        };
        c.ks = h.ks(&c.model);
        c.max_percentile_error = h.max_percentile_error(&c.model);
        candidates.push(c);
    }
    let n = h.total.round() as u64;
    Fit::choose(source, n, Criterion::CensoredAic, candidates, notes, Evidence::Buckets(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/a",path="say \"hi\"",le="0.01"} 10
http_request_duration_seconds_bucket{handler="/a",path="say \"hi\"",le="0.1"} 60
http_request_duration_seconds_bucket{handler="/a",path="say \"hi\"",le="+Inf"} 100 1700000000000
http_request_duration_seconds_sum{handler="/a",path="say \"hi\""} 7.5
http_request_duration_seconds_count{handler="/a",path="say \"hi\""} 100
http_request_duration_seconds_bucket{handler="/b",le="0.01"} 5
http_request_duration_seconds_bucket{handler="/b",le="0.1"} 5
http_request_duration_seconds_bucket{handler="/b",le="+Inf"} 20
other_metric 3
"#;

    #[test]
    fn series_are_selected_by_label_or_summed() {
        let f = Path::new("m.prom");
        let a = parse(f, TEXT, "http_request_duration_seconds", &["handler=/a".into()], 1.0).unwrap();
        assert_eq!(a.bounds, [0.01, 0.1]);
        assert_eq!(a.counts, [10.0, 50.0, 40.0]);
        assert_eq!((a.total, a.sum, a.series), (100.0, Some(7.5), 1));
        let q = parse(f, TEXT, "http_request_duration_seconds", &["path=say \"hi\"".into()], 1.0).unwrap();
        assert_eq!(q.total, 100.0);
        let both = parse(f, TEXT, "http_request_duration_seconds_bucket", &[], 1.0).unwrap();
        assert_eq!((both.counts.clone(), both.series, both.sum), (vec![15.0, 50.0, 55.0], 2, None));
    }

    #[test]
    fn bad_histograms_are_located() {
        let f = Path::new("m.prom");
        let e = parse(f, TEXT, "nope", &[], 1.0).unwrap_err().to_string();
        assert!(e.contains("no histogram `nope`") && e.contains("http_request_duration_seconds"), "{e}");
        let e = parse(f, TEXT, "http_request_duration_seconds", &["handler=/c".into()], 1.0).unwrap_err().to_string();
        assert!(e.contains("no series") && e.contains("handler=\"/b\""), "{e}");
        let bad = TEXT.replace("le=\"0.1\"} 60", "le=\"0.1\"} 6");
        let e = parse(f, &bad, "http_request_duration_seconds", &["handler=/a".into()], 1.0).unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(e.to_string().contains("must be cumulative"), "{e}");
        let e = parse(f, "x_bucket{le=\"0.1\"} 5\nx_bucket{le=\"1\"} 9\n", "x", &[], 1.0).unwrap_err();
        assert!(e.to_string().starts_with("m.prom:2: ") && e.to_string().contains("+Inf"), "{e}");
        let e = parse(f, "x_bucket{le=\"0.1\" 5\n", "x", &[], 1.0).unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
