//! The `[slo]` table: one reply-latency limit, one completion-latency limit
//! and an error ratio, validated into [`SloInfo`] (with the SLO in words)
//! that capacity answers, the planner and sensitivity judge against.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::Source;
use crate::error::ModelError;
use crate::stats::{LatencyKind, LatencyStat, Measure};
use crate::units;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SloConfig {
    class: Option<String>,
    /// A statistic of the reply latency.
    mean: Option<Spanned<String>>,
    p50: Option<Spanned<String>>,
    p90: Option<Spanned<String>>,
    p95: Option<Spanned<String>>,
    p99: Option<Spanned<String>>,
    p999: Option<Spanned<String>>,
    /// A statistic of the completion latency.
    completion_mean: Option<Spanned<String>>,
    completion_p50: Option<Spanned<String>>,
    completion_p90: Option<Spanned<String>>,
    completion_p95: Option<Spanned<String>>,
    completion_p99: Option<Spanned<String>>,
    completion_p999: Option<Spanned<String>>,
    error_ratio: Option<Spanned<f64>>,
}

/// A service-level objective.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SloInfo {
    /// The class it applies to; `None`: every class.
    pub class: Option<String>,
    /// Reply latency statistic ("p99", "p50", "mean", ...) and its limit \[s\].
    pub latency: Option<(LatencyStat, f64)>,
    /// Completion latency statistic and its limit \[s\]: until the work a
    /// request published is done (its reply latency, for a class that does
    /// not publish).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<(LatencyStat, f64)>,
    /// Highest error ratio allowed.
    pub error_ratio: Option<f64>,
    /// The SLO in words, e.g. "p99 <= 300 ms and errors <= 0.1%".
    pub text: String,
}

impl SloInfo {
    /// Each latency limit the SLO sets (reply, then completion) \[s\].
    pub fn limits(&self) -> impl Iterator<Item = (Measure, f64)> + '_ {
        let reply = self.latency.map(|(stat, v)| (Measure { kind: LatencyKind::Reply, stat }, v));
        let completion = self.completion.map(|(stat, v)| (Measure { kind: LatencyKind::Completion, stat }, v));
        reply.into_iter().chain(completion)
    }

    /// The latency that charts draw and answers quote, with the SLO's limit
    /// on it: the completion statistic when the SLO constrains completion
    /// (the work is what the SLO is about), else its reply statistic.
    pub fn charted(&self) -> Option<(Measure, f64)> {
        self.limits().last()
    }
}

pub(super) fn slo(s: &SloConfig, source: &Source) -> Result<SloInfo, ModelError> {
    let reply = slo_latency(
        source,
        LatencyKind::Reply,
        [&s.mean, &s.p50, &s.p90, &s.p95, &s.p99, &s.p999],
        "a reply latency limit",
    )?;
    let completion = slo_latency(
        source,
        LatencyKind::Completion,
        [
            &s.completion_mean,
            &s.completion_p50,
            &s.completion_p90,
            &s.completion_p95,
            &s.completion_p99,
            &s.completion_p999,
        ],
        "a completion latency limit",
    )?;
    let error_ratio = s.error_ratio.as_ref().map(|e| (*e.get_ref(), e.span()));
    if reply.is_none() && completion.is_none() && error_ratio.is_none() {
        return Err(ModelError::new(&source.file, "the SLO sets no limit")
            .with_key("slo")
            .with_hint("add e.g. p99 = \"300ms\", completion_p99 = \"5s\" and/or error_ratio = 0.001"));
    }
    if let Some((e, span)) = &error_ratio
        && !(0.0..=1.0).contains(e)
    {
        return Err(source
            .error_at(span.clone(), "error_ratio is a fraction in [0, 1], e.g. 0.001 for 0.1%")
            .with_key("slo.error_ratio"));
    }
    let mut parts = Vec::new();
    for (measure, v) in reply.iter().chain(&completion) {
        parts.push(format!("{measure} <= {}", crate::format::format_duration(*v)));
    }
    if let Some((e, _)) = error_ratio {
        parts.push(format!("errors <= {}%", crate::format::round_sig6(e * 100.0)));
    }
    let mut text = parts.join(" and ");
    if let Some(c) = &s.class {
        text = format!("{text} for `{c}`");
    }
    Ok(SloInfo {
        class: s.class.clone(),
        latency: reply.map(|(m, v)| (m.stat, v)),
        completion: completion.map(|(m, v)| (m.stat, v)),
        error_ratio: error_ratio.map(|(e, _)| e),
        text,
    })
}

/// The one limit an SLO sets on latency `kind` (its keys, in `LatencyStat`
/// order from the mean to p999), or an error at the offending key.
fn slo_latency(
    source: &Source,
    kind: LatencyKind,
    keys: [&Option<Spanned<String>>; 6],
    what: &str,
) -> Result<Option<(Measure, f64)>, ModelError> {
    let stats =
        [LatencyStat::Mean, LatencyStat::P50, LatencyStat::P90, LatencyStat::P95, LatencyStat::P99, LatencyStat::P999];
    let key = |stat: LatencyStat| match kind {
        LatencyKind::Reply => format!("slo.{stat}"),
        LatencyKind::Completion => format!("slo.completion_{stat}"),
    };
    let mut given: Vec<(LatencyStat, &Spanned<String>)> =
        stats.into_iter().zip(keys).filter_map(|(stat, v)| v.as_ref().map(|v| (stat, v))).collect();
    // The second key as written is the one to point at.
    given.sort_by_key(|(_, v)| v.span().start);
    if let [(first, _), (second, v), ..] = given.as_slice() {
        return Err(source
            .error_at(
                v.span(),
                format!("the SLO sets {what} twice (`{}` and `{}`): keep one", key(*first), key(*second)),
            )
            .with_key(key(*second))
            .with_hint(
                "an SLO names one reply statistic (p99 = ...) and one completion statistic (completion_p99 = ...)",
            ));
    }
    given
        .first()
        .map(|&(stat, v)| {
            let limit =
                units::parse_duration(v.get_ref()).map_err(|e| source.error_at(v.span(), e.0).with_key(key(stat)))?;
            Ok((Measure { kind, stat }, limit))
        })
        .transpose()
}
