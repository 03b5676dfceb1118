//! What a sensitivity run simulates: for each setting (the model, or each
//! design of an experiment) its nominal network, then each parameter's low
//! and high networks. A parameter whose ends the model refuses, or whose
//! ends compile to the very same network as the nominal, is left out with
//! the reason; an end the model refuses is replaced by the nominal (a
//! one-sided difference). An arm's probability moves with its siblings,
//! rescaled so that its branch still sums to one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calibrate::InputError;
use crate::config::Source;
use crate::error::ModelError;
use crate::model::{self, Network};

use super::effects::Skipped;
use super::params::{self, Vary};

/// A model to vary: the model itself, or one design of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// Its name ("model", or the design's).
    pub name: String,
    /// Overrides on the model file that make it.
    pub overrides: Vec<String>,
}

/// Which end of a parameter's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Lowered.
    Low,
    /// Raised.
    High,
}

/// A parameter's values in one setting: as written and as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ends {
    /// The nominal value as written.
    pub nominal_text: String,
    /// The low value as written (the nominal when the model refused the low end).
    pub low_text: String,
    /// The high value as written.
    pub high_text: String,
    /// The nominal's number (a distribution's mean, a rate per second, seconds).
    pub nominal: f64,
    /// The low end's number.
    pub low: f64,
    /// The high end's number.
    pub high: f64,
    /// Why an end was left at the nominal, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_sided: Option<String>,
}

/// Everything to simulate, in order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The settings varied.
    pub settings: Vec<Setting>,
    /// The parameters kept, with their ranges.
    pub varies: Vec<Vary>,
    /// `ends[setting][parameter]`.
    pub ends: Vec<Vec<Ends>>,
    /// Parameters left out, and why.
    pub skipped: Vec<Skipped>,
    /// For each setting: its nominal, then each parameter's low and high.
    pub networks: Vec<Network>,
}

impl Plan {
    /// Networks per setting.
    fn stride(&self) -> usize {
        1 + 2 * self.varies.len()
    }

    /// The index in `networks` of setting `s` at its nominal (`None`) or a parameter's end.
    pub fn index(&self, s: usize, at: Option<(usize, End)>) -> usize {
        s * self.stride()
            + match at {
                None => 0,
                Some((p, End::Low)) => 1 + 2 * p,
                Some((p, End::High)) => 2 + 2 * p,
            }
    }

    /// "the nominal of design `x`", "services.a.instances low (3) in design `x`".
    pub fn describe(&self, i: usize) -> String {
        let (s, k) = (i / self.stride(), i % self.stride());
        let setting =
            if self.settings.len() > 1 { format!(" of design `{}`", self.settings[s].name) } else { String::new() };
        if k == 0 {
            return format!("the nominal{setting}");
        }
        let p = (k - 1) / 2;
        let e = &self.ends[s][p];
        let (end, value) = if k % 2 == 1 { ("low", &e.low_text) } else { ("high", &e.high_text) };
        format!("{} {end} ({value}){setting}", self.varies[p].path)
    }
}

/// The network compiled from `base` with `overrides`, or the model's message.
fn compile(base: &Source, overrides: &[String]) -> Result<Network, ModelError> {
    let mut source = base.clone();
    source.apply_overrides(overrides)?;
    model::compile(&source)
}

/// Whether two networks simulate the same thing (their provenance aside).
fn same(a: &Network, b: &Network) -> bool {
    let bare = |n: &Network| {
        let mut n = n.clone();
        n.file.clear();
        n.inputs.clear();
        n.warnings.clear();
        format!("{n:?}")
    };
    bare(a) == bare(b)
}

/// The parameters to vary: those `varies` names (each must be a quantity of
/// the model), else every quantity of the first setting with `range`.
/// Every end is compiled here, so a bad parameter fails before any run.
pub fn plan(model_path: &Path, settings: &[Setting], varies: &[Vary], range: f64) -> Result<Plan, anyhow::Error> {
    let base = Source::read(model_path)?;
    let docs = settings
        .iter()
        .map(|s| {
            let mut src = base.clone();
            src.apply_overrides(&s.overrides)?;
            let doc: toml::Value = toml::from_str(&src.text).map_err(|e| ModelError::new(&src.file, e.message()))?;
            Ok(doc)
        })
        .collect::<Result<Vec<toml::Value>, ModelError>>()?;
    let explicit = !varies.is_empty();
    let wanted: Vec<Vary> = if explicit {
        varies.to_vec()
    } else {
        params::candidates(&docs[0]).into_iter().map(|path| Vary { path, fraction: range }).collect()
    };
    let nominals = settings.iter().map(|s| compile(&base, &s.overrides)).collect::<Result<Vec<_>, _>>()?;
    let mut plan = Plan {
        settings: settings.to_vec(),
        varies: Vec::new(),
        ends: vec![Vec::new(); settings.len()],
        skipped: Vec::new(),
        networks: Vec::new(),
    };
    let mut per_param: Vec<Vec<(Network, Network)>> = Vec::new();
    for vary in wanted {
        let mut ends = Vec::new();
        let mut nets = Vec::new();
        let mut reason = None;
        for (s, setting) in settings.iter().enumerate() {
            match resolve(&base, setting, &docs[s], &vary, &nominals[s]) {
                Ok((e, lo, hi)) => {
                    ends.push(e);
                    nets.push((lo, hi));
                }
                Err(Resolve::Invalid(message)) if explicit => {
                    return Err(InputError::new(message)
                        .with_key(format!("--vary {}", vary.path))
                        .with_hint("name a quantity of the model by the path --set takes, e.g. services.app.ops.handle.demand or workload.web.rate")
                        .into());
                }
                Err(Resolve::Invalid(message) | Resolve::Skip(message)) => {
                    reason = Some(message);
                    break;
                }
            }
        }
        if let Some(reason) = reason {
            plan.skipped.push(Skipped { path: vary.path.clone(), reason });
            continue;
        }
        let unchanged = nets.iter().zip(&nominals).all(|((lo, hi), n)| same(lo, n) && same(hi, n));
        if unchanged {
            plan.skipped.push(Skipped {
                path: vary.path.clone(),
                reason: "no effect: the model compiles to the same network at both ends".into(),
            });
            continue;
        }
        for (s, e) in ends.into_iter().enumerate() {
            plan.ends[s].push(e);
        }
        plan.varies.push(vary);
        per_param.push(nets);
    }
    for (s, nominal) in nominals.into_iter().enumerate() {
        plan.networks.push(nominal);
        for nets in &per_param {
            plan.networks.push(nets[s].0.clone());
            plan.networks.push(nets[s].1.clone());
        }
    }
    Ok(plan)
}

/// Why a parameter cannot be varied.
enum Resolve {
    /// It is not a quantity of the model (an error when named by `--vary`).
    Invalid(String),
    /// The model refuses both ends.
    Skip(String),
}

/// A parameter's ends in one setting and their networks.
fn resolve(
    base: &Source,
    setting: &Setting,
    doc: &toml::Value,
    vary: &Vary,
    nominal: &Network,
) -> Result<(Ends, Network, Network), Resolve> {
    let value = params::value_at(doc, &vary.path)
        .ok_or_else(|| Resolve::Invalid(format!("the model has no `{}`", vary.path)))?;
    let x = params::number(value).filter(|x| *x > 0.0 && x.is_finite()).ok_or_else(|| {
        Resolve::Invalid(format!("`{}` = {} is not a positive quantity", vary.path, params::text(value)))
    })?;
    let nominal_text = params::text(value);
    let end = |factor: f64| -> Result<(String, f64, Network), String> {
        let (text, number) =
            params::scaled(value, factor).ok_or_else(|| format!("`{nominal_text}` cannot be scaled"))?;
        let mut all = setting.overrides.clone();
        all.push(format!("{}={text}", vary.path));
        all.extend(
            params::complements(doc, &vary.path, number)
                .ok_or("its branch has no other arm to take the rest of the probability")?,
        );
        let net = compile(base, &all).map_err(|e| e.message)?;
        Ok((text, number, net))
    };
    let (lo, hi) = (end(1.0 - vary.fraction), end(1.0 + vary.fraction));
    let pct = crate::format::round_sig6(vary.fraction * 100.0);
    let (lo, hi, one_sided) = match (lo, hi) {
        (Ok(lo), Ok(hi)) => (lo, hi, None),
        (Err(why), Ok(hi)) => {
            ((nominal_text.clone(), x, nominal.clone()), hi, Some(format!("the model refuses {pct}% lower: {why}")))
        }
        (Ok(lo), Err(why)) => {
            (lo, (nominal_text.clone(), x, nominal.clone()), Some(format!("the model refuses {pct}% higher: {why}")))
        }
        (Err(why), Err(_)) => {
            return Err(Resolve::Skip(format!("the model refuses it {pct}% lower and higher: {why}")));
        }
    };
    let ends = Ends { nominal_text, low_text: lo.0, high_text: hi.0, nominal: x, low: lo.1, high: hi.1, one_sided };
    Ok((ends, lo.2, hi.2))
}
