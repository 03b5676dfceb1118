//! `capsim fit`: a service-time distribution from what people have —
//! samples, a dashboard's percentiles, or a Prometheus histogram — fitted
//! by every candidate family, ranked by a stated criterion, with a
//! goodness-of-fit figure for each and a line to paste into a model.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the result ([`Fit`], [`Candidate`]), the criteria and the choice |
//! | `families.rs` | the families as models: CDF, quantile, density, moments, the text form to paste |
//! | `mle.rs` | maximum-likelihood fits to samples with standard errors; KS and percentile errors |
//! | `samples.rs` | reading durations (one per line, or a CSV column), fast |
//! | `percentiles.rs` | parsing `mean=15ms,p50=12ms,...` and fitting by quantile loss |
//! | `prometheus.rs` | parsing the text exposition format and fitting buckets by interval-censored likelihood |
//! | `optimise.rs` | Nelder–Mead, bisection, standard errors from a numerical Hessian |
//! | `report.rs` | the aligned table and the JSON document |

use serde::Serialize;

pub use families::{Family, Model};
pub use mle::Sample;
pub use percentiles::Targets;
pub use prometheus::Histogram;

use super::InputError;

mod families;
mod mle;
mod optimise;
pub mod percentiles;
pub mod prometheus;
pub mod report;
pub mod samples;

/// How candidates were ranked: each source of data has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Akaike's information criterion, 2k - 2 ln L, from the likelihood of the samples.
    Aic,
    /// Sum of squared log-ratios between the candidate's and the given statistics.
    QuantileLoss,
    /// AIC from the interval-censored likelihood of the bucket counts.
    CensoredAic,
}

impl Criterion {
    /// A short name for the table's column.
    pub fn column(self) -> &'static str {
        match self {
            Criterion::Aic | Criterion::CensoredAic => "AIC",
            Criterion::QuantileLoss => "loss",
        }
    }

    /// One sentence: how the choice was made.
    pub fn explain(self) -> &'static str {
        match self {
            Criterion::Aic => "maximum likelihood for each family; the lowest AIC (2k - 2 ln L, k parameters) chose",
            Criterion::QuantileLoss => {
                "each family fitted to the given statistics by least squares on the log scale; \
                 the lowest loss (sum of squared log-ratios) chose, fewer parameters breaking ties"
            }
            Criterion::CensoredAic => {
                "each family fitted to the bucket counts by interval-censored likelihood \
                 (each observation is only known to lie in its bucket); the lowest AIC chose"
            }
        }
    }
}

/// One parameter of a candidate with its standard error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// Name, e.g. "shape".
    pub name: String,
    /// Value (seconds when `unit` is "s").
    pub value: f64,
    /// Standard error, where the likelihood gives one.
    pub se: Option<f64>,
    /// "s" for durations, "" for dimensionless parameters.
    pub unit: &'static str,
}

/// One fitted family and how well it fits.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The family.
    pub family: Family,
    /// Fitted parameters (none for the empirical candidate: see `paste`).
    pub parameters: Vec<Param>,
    /// Mean of the fitted distribution, seconds.
    pub mean: f64,
    /// Its coefficient of variation.
    pub cv: f64,
    /// Log-likelihood (samples and buckets; densities per second).
    pub loglik: Option<f64>,
    /// AIC (samples and buckets).
    pub aic: Option<f64>,
    /// Quantile loss (percentiles).
    pub loss: Option<f64>,
    /// Kolmogorov–Smirnov distance to the data (samples; bucket or percentile CDF points).
    pub ks: f64,
    /// Largest relative error of the candidate's percentiles.
    pub max_percentile_error: f64,
    /// The value to paste into a model, e.g. `lognormal(mean=14.8ms, cv=0.92)`.
    pub paste: Option<String>,
    /// Why the candidate cannot be pasted or was not ranked.
    pub note: Option<String>,
    /// The fitted model, for charts.
    #[serde(skip)]
    pub model: Model,
}

impl Candidate {
    /// The criterion's value for ranking (`None`: not ranked).
    pub fn score(&self, criterion: Criterion) -> Option<f64> {
        match criterion {
            Criterion::Aic | Criterion::CensoredAic => self.aic,
            Criterion::QuantileLoss => self.loss,
        }
        .filter(|v| v.is_finite())
    }

    pub(crate) fn new(model: Model, se: &[Option<f64>]) -> Candidate {
        // Two phases with (nearly) one mean are one exponential: p is then
        // not identified, and no standard error means anything.
        let collapsed = matches!(model, Model::Hyperexp { mean1, mean2, .. } if (mean1 / mean2 - 1.0).abs() < 0.01);
        let se = if collapsed { &[][..] } else { se };
        let parameters = model
            .params()
            .iter()
            .enumerate()
            .map(|(i, p)| Param {
                name: p.name.to_string(),
                value: p.value,
                se: se.get(i).copied().flatten().filter(|v| v.is_finite()),
                unit: if p.seconds { "s" } else { "" },
            })
            .collect();
        let (paste, note) = match model.paste() {
            Ok(_) if collapsed => (
                model.paste().ok(),
                Some(
                    "both phases have the same mean: the data show no second phase (cv <= 1), this is an exponential"
                        .into(),
                ),
            ),
            Ok(line) => (Some(line), None),
            Err(why) => (None, Some(why)),
        };
        Candidate {
            family: model.family(),
            parameters,
            mean: model.mean(),
            cv: model.cv(),
            loglik: None,
            aic: None,
            loss: None,
            ks: f64::NAN,
            max_percentile_error: f64::NAN,
            paste,
            note,
            model,
        }
    }
}

/// What the data were, for the report and the chart.
#[derive(Debug, Clone)]
pub enum Evidence {
    /// Samples (sorted) with their empirical CDF.
    Samples(Sample),
    /// Given statistics.
    Percentiles(Targets),
    /// Bucket counts.
    Buckets(Histogram),
}

impl Evidence {
    /// Points of the data's CDF: (seconds, cumulative fraction).
    pub fn cdf_points(&self) -> Vec<(f64, f64)> {
        match self {
            Evidence::Samples(s) => s.ecdf_points(),
            Evidence::Percentiles(t) => t.points.iter().map(|p| (p.value, p.q)).collect(),
            Evidence::Buckets(h) => h.cdf_points(),
        }
    }
}

/// The outcome of `capsim fit`.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// Where the data came from, e.g. `samples latency.csv (column ms)`.
    pub source: String,
    /// Number of observations (samples, histogram count) or of given statistics.
    pub n: u64,
    /// How candidates were ranked.
    pub criterion: Criterion,
    /// The criterion in one sentence.
    pub criterion_explained: &'static str,
    /// Every candidate tried, in family order.
    pub candidates: Vec<Candidate>,
    /// The family the criterion chose.
    pub chosen: Option<Family>,
    /// The line to paste: the chosen candidate's, as a `demand = "..."` line.
    pub paste: Option<String>,
    /// Anything the reader must know (series summed, ties, too few statistics).
    pub notes: Vec<String>,
    /// The data.
    #[serde(skip)]
    pub evidence: Evidence,
}

impl Fit {
    /// Ranks the candidates and fills in the choice. The empirical candidate
    /// is never chosen: it has no likelihood (or as many parameters as data)
    /// and is listed as the reference the families are measured against.
    pub(crate) fn choose(
        source: String,
        n: u64,
        criterion: Criterion,
        candidates: Vec<Candidate>,
        mut notes: Vec<String>,
        evidence: Evidence,
    ) -> Fit {
        let ranked = candidates
            .iter()
            .filter(|c| c.family != Family::Empirical && c.paste.is_some())
            .filter_map(|c| c.score(criterion).map(|s| (c, s)));
        // Ties go to fewer parameters: equal scores, or percentile losses below 1e-8 (exact fits,
        // relative errors under 1e-4, whose differences are rounding).
        let best = ranked.min_by(|(a, sa), (b, sb)| {
            let exact = criterion == Criterion::QuantileLoss && sa.max(*sb) < 1e-8;
            let tie = exact || (sa - sb).abs() <= 1e-9 * sa.abs().max(sb.abs());
            if tie { a.family.parameters().cmp(&b.family.parameters()) } else { sa.total_cmp(sb) }
        });
        let chosen = best.map(|(c, _)| c.family);
        let paste = best.and_then(|(c, _)| c.paste.clone()).map(|p| format!("demand = \"{p}\""));
        if chosen.is_none() && !candidates.is_empty() {
            notes.push("no family could be ranked: see each candidate's note".into());
        }
        Fit {
            source,
            n,
            criterion,
            criterion_explained: criterion.explain(),
            candidates,
            chosen,
            paste,
            notes,
            evidence,
        }
    }
}

/// The families to try: `names` (from `--family`), or all of them.
pub fn families(names: &[String]) -> Result<Vec<Family>, InputError> {
    if names.is_empty() {
        return Ok(Family::ALL.to_vec());
    }
    let mut out = Vec::new();
    for name in names {
        for part in name.split(',').filter(|p| !p.trim().is_empty()) {
            let f = Family::lookup(part).ok_or_else(|| {
                let all: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
                InputError::new(format!("unknown family `{}`", part.trim()))
                    .with_key("--family")
                    .with_hint(format!("use one of {}", all.join(", ")))
            })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Fits every family to samples by maximum likelihood and chooses by AIC.
pub fn fit_samples(source: String, sample: Sample, families: &[Family]) -> Fit {
    let mut candidates = Vec::new();
    for &family in families {
        let mut c = match mle::fit(family, &sample) {
            Some(f) => {
                let mut c = Candidate::new(f.model, &f.se);
                c.loglik = Some(f.loglik);
                c.aic = Some(2.0 * family.parameters() as f64 - 2.0 * f.loglik);
                c
            }
            None => {
                let mut c = Candidate::new(mle::empirical(&sample), &[]);
                c.note = Some(
                    "the data's own percentiles joined linearly: no likelihood, so no AIC; never chosen, \
                     listed as the reference (its KS is the resolution of its knots)"
                        .into(),
                );
                c
            }
        };
        c.ks = sample.ks(&c.model);
        c.max_percentile_error = sample.max_percentile_error(&c.model);
        candidates.push(c);
    }
    let mut notes = Vec::new();
    if sample.len() > mle::THIN {
        notes.push(format!(
            "{} samples: KS and the Weibull and hyperexponential fits use {} evenly spaced order statistics (error below 1/{})",
            sample.len(),
            mle::THIN,
            mle::THIN
        ));
    }
    let levels: Vec<String> = sample.checked_levels().iter().map(|q| format!("p{}", q * 100.0)).collect();
    notes.push(format!("percentile error at {} of the data", levels.join(", ")));
    let n = sample.len() as u64;
    Fit::choose(source, n, Criterion::Aic, candidates, notes, Evidence::Samples(sample))
}
