//! `[search]` of an experiment file: the decision variables and their
//! domains, the loads, the headroom, the ceilings and the objective, each
//! checked where it is written (file, line, column) before anything runs.
//! Every value of every domain is compiled into the base model once, so a
//! variable the model does not have is refused at its key, with the key
//! that was probably meant.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::Source;
use crate::error::ModelError;
use crate::experiment::spec::SloInfo;
use crate::model;

/// `[search]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Decision variables: a model path and its domain.
    #[serde(default)]
    vary: IndexMap<Spanned<String>, Spanned<toml::Value>>,
    /// One load, a list of loads (the SLO at each), or `{ low, mid, high, confidence }`.
    target_load: Option<Spanned<toml::Value>>,
    /// The model path the load is written to (default: the only class's rate).
    load: Option<Spanned<String>>,
    /// `{ instances_down = 1 }` or `{ zones = 3, zones_down = 1 }`.
    headroom: Option<Spanned<toml::Value>>,
    /// Highest utilisation (utilisation law) any service may run at.
    max_utilisation: Option<Spanned<f64>>,
    /// "cost_per_hour" (default) or "cost_per_million".
    objective: Option<Spanned<String>>,
    /// How many ranked candidates to show.
    best: Option<Spanned<u32>>,
    /// Replications a candidate may reach while its interval straddles the SLO.
    max_replications: Option<Spanned<u32>>,
    /// Simulation runs the search may use.
    budget: Option<Spanned<u64>>,
    /// Regret per dollar of a plan that misses the SLO, relative to one over-provisioned dollar.
    under_weight: Option<Spanned<f64>>,
}

/// One decision variable and its values as written into the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    /// Dotted model path, as `--set` takes it.
    pub path: String,
    /// Its domain, in order (a count's from..=to).
    pub values: Vec<String>,
    /// Written as `{ from, to }`: an ordered count the search may bisect.
    pub ordered: bool,
}

/// The loads the plan must serve.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Loads {
    /// The SLO must hold at every load.
    Every(Vec<f64>),
    /// The load is uncertain: low and high bound the `confidence` interval, mid is its median.
    Uncertain {
        /// Low end.
        low: f64,
        /// Median.
        mid: f64,
        /// High end.
        high: f64,
        /// Probability that the load lies between low and high.
        confidence: f64,
    },
}

impl Loads {
    /// The loads in the order the search visits them.
    pub fn values(&self) -> Vec<f64> {
        match self {
            Loads::Every(v) => v.clone(),
            Loads::Uncertain { low, mid, high, .. } => vec![*low, *mid, *high],
        }
    }
}

/// Capacity the plan must survive losing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Headroom {
    /// None.
    None,
    /// So many instances of the counted service down.
    InstancesDown(u32),
    /// Instances spread evenly over `zones`; the `down` fullest zones lost.
    Zones {
        /// Zones.
        zones: u32,
        /// Zones lost.
        down: u32,
    },
}

impl Headroom {
    /// Instances left of `n` once the capacity is lost.
    pub fn left(self, n: u32) -> u32 {
        match self {
            Headroom::None => n,
            Headroom::InstancesDown(k) => n.saturating_sub(k),
            Headroom::Zones { zones, down } => {
                let (base, extra) = (n / zones, n % zones);
                let lost = down.min(extra) * (base + 1) + down.saturating_sub(extra) * base;
                n - lost.min(n)
            }
        }
    }

    /// "with one instance down", "with 1 of 3 zones down", or "".
    pub fn words(self) -> String {
        match self {
            Headroom::None => String::new(),
            Headroom::InstancesDown(1) => "with one instance down".into(),
            Headroom::InstancesDown(k) => format!("with {k} instances down"),
            Headroom::Zones { zones, down } => format!("with {down} of {zones} zones down"),
        }
    }
}

/// What the plan minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Dollars per hour of the whole model.
    CostPerHour,
    /// Dollars per million requests at the target load (the same order at one load).
    CostPerMillion,
}

/// `[search]`, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpec {
    /// The variables, in file order.
    pub variables: Vec<Variable>,
    /// The variable the search bisects (the first written `{ from, to }`).
    pub count: Option<usize>,
    /// The instances variable headroom takes capacity from.
    pub instances: Option<usize>,
    /// The model path each load is written to.
    pub load_path: String,
    /// The loads.
    pub loads: Loads,
    /// The capacity to survive losing.
    pub headroom: Headroom,
    /// Utilisation ceiling, if any.
    pub max_utilisation: Option<f64>,
    /// The objective.
    pub objective: Objective,
    /// Candidates ranked in the output.
    pub best: usize,
    /// Replication cap per candidate and load.
    pub max_replications: u32,
    /// Simulation runs allowed.
    pub budget: u64,
    /// Regret weight of under-provisioning.
    pub under_weight: f64,
}

/// Reads `[search]`: `common` are the overrides every run shares, `slo` the
/// experiment's SLO, `capacity_loads` its `[capacity] target_load`.
pub fn validate(
    source: &Source,
    c: &SearchConfig,
    base_model: &Path,
    common: &[String],
    slo: Option<&SloInfo>,
    capacity_loads: &[f64],
) -> Result<SearchSpec, ModelError> {
    let err = |span: std::ops::Range<usize>, key: &str, msg: String| source.error_at(span, msg).with_key(key);
    if slo.is_none_or(|s| s.limits().next().is_none()) {
        return Err(ModelError::new(&source.file, "a search needs an SLO with a latency limit")
            .with_key("slo")
            .with_hint(
                "add [slo] with e.g. p99 = \"100ms\": the planner looks for the cheapest configuration that meets it",
            ));
    }
    if c.vary.is_empty() {
        return Err(ModelError::new(&source.file, "[search] varies nothing").with_key("search.vary").with_hint(
            "add [search.vary] with e.g. \"services.api.instances\" = { from = 1, to = 20 } and \"services.api.instance_type\" = [\"m5.large\", \"m5.xlarge\"]",
        ));
    }
    let base = model::load(base_model, common)?;
    let mut variables = Vec::new();
    for (path, domain) in &c.vary {
        let key = format!("search.vary.{}", path.get_ref());
        let (values, ordered) = domain_values(domain.get_ref()).map_err(|m| err(domain.span(), &key, m))?;
        for v in [values.first(), values.last()].into_iter().flatten() {
            let mut all = common.to_vec();
            all.push(format!("{}={v}", path.get_ref()));
            model::load(base_model, &all).map_err(|e| unknown_variable(source, path, e))?;
        }
        variables.push(Variable { path: path.get_ref().trim().to_string(), values, ordered });
    }
    // Every value of an unordered domain compiles (catalogue names, policies).
    for (var, (_, domain)) in variables.iter().zip(&c.vary) {
        for v in var.values.iter().filter(|_| !var.ordered) {
            let mut all = common.to_vec();
            all.push(format!("{}={v}", var.path));
            model::load(base_model, &all).map_err(|e| {
                let mut located = source.error_at(domain.span(), format!("`{}` = {v}: {}", var.path, e.message));
                located.key = Some(format!("search.vary.{}", var.path));
                located.hint = e.hint;
                located
            })?;
        }
    }
    let count = variables.iter().position(|v| v.ordered);
    let instances = variables.iter().position(|v| v.path.starts_with("services.") && v.path.ends_with(".instances"));
    let headroom = match &c.headroom {
        None => Headroom::None,
        Some(h) => headroom(h.get_ref()).map_err(|m| {
            err(h.span(), "search.headroom", m)
                .with_hint("headroom = { instances_down = 1 } or { zones = 3, zones_down = 1 }")
        })?,
    };
    if headroom != Headroom::None && instances.is_none() {
        let span = c.headroom.as_ref().map(|h| h.span()).unwrap_or_default();
        return Err(err(
            span,
            "search.headroom",
            "headroom takes instances away, but no variable is a service's `instances`".into(),
        )
        .with_hint("vary e.g. \"services.api.instances\" = { from = 2, to = 20 }"));
    }
    let load_path = match &c.load {
        Some(p) => p.get_ref().trim().to_string(),
        None => {
            let open: Vec<&str> = base.classes.iter().filter(|k| !k.polling).map(|k| k.name.as_str()).collect();
            match open.as_slice() {
                [one] => format!("workload.{one}.rate"),
                _ => {
                    return Err(ModelError::new(&source.file, "which workload's rate is the load?")
                        .with_key("search.load")
                        .with_hint(format!("add load = \"workload.NAME.rate\" (the classes: {})", open.join(", "))));
                }
            }
        }
    };
    let loads = match &c.target_load {
        Some(v) => loads(v.get_ref()).map_err(|m| {
            err(v.span(), "search.target_load", m).with_hint(
                "target_load = \"1800/s\", a list [\"1200/s\", \"1800/s\"], or { low = \"1200/s\", mid = \"1500/s\", high = \"2000/s\", confidence = 0.9 }",
            )
        })?,
        None if !capacity_loads.is_empty() => Loads::Every(capacity_loads.to_vec()),
        None => {
            return Err(ModelError::new(&source.file, "a search needs the load to plan for")
                .with_key("search.target_load")
                .with_hint("add target_load = \"1800/s\" (or a list, or { low, mid, high, confidence }) under [search]"));
        }
    };
    let mut probe = common.to_vec();
    probe.push(format!("{load_path}={}", load_text(&load_path, loads.values()[0])));
    model::load(base_model, &probe).map_err(|e| {
        let span = c.load.as_ref().map(|l| l.span()).unwrap_or_default();
        let mut located = source.error_at(span, format!("the load path `{load_path}`: {}", e.message));
        located.key = Some("search.load".into());
        located
    })?;
    let max_utilisation = match &c.max_utilisation {
        Some(u) if !(*u.get_ref() > 0.0 && *u.get_ref() <= 1.0) => {
            return Err(err(
                u.span(),
                "search.max_utilisation",
                "a utilisation ceiling is a fraction in (0, 1], e.g. 0.8".into(),
            ));
        }
        u => u.as_ref().map(|u| *u.get_ref()),
    };
    let objective = match c.objective.as_ref().map(|o| (o.get_ref().as_str(), o.span())) {
        None | Some(("cost_per_hour", _)) => Objective::CostPerHour,
        Some(("cost_per_million", _)) => Objective::CostPerMillion,
        Some((other, span)) => {
            return Err(err(span, "search.objective", format!("no objective is called `{other}`"))
                .with_hint("objective = \"cost_per_hour\" (the default) or \"cost_per_million\""));
        }
    };
    let positive = |v: &Option<Spanned<u32>>, key: &str, default: u32| match v {
        Some(x) if *x.get_ref() == 0 => Err(err(x.span(), key, format!("`{key}` must be at least 1"))),
        Some(x) => Ok(*x.get_ref()),
        None => Ok(default),
    };
    let best = positive(&c.best, "search.best", 3)? as usize;
    let max_replications = positive(&c.max_replications, "search.max_replications", 12)?;
    let budget = c.budget.as_ref().map_or(2000, |b| *b.get_ref());
    let under_weight = match &c.under_weight {
        Some(w) if !(*w.get_ref() >= 1.0 && w.get_ref().is_finite()) => {
            return Err(err(
                w.span(),
                "search.under_weight",
                "under_weight is at least 1: missing the SLO costs at least as much as over-provisioning".into(),
            ));
        }
        w => w.as_ref().map_or(4.0, |w| *w.get_ref()),
    };
    Ok(SearchSpec {
        variables,
        count,
        instances,
        load_path,
        loads,
        headroom,
        max_utilisation,
        objective,
        best,
        max_replications,
        budget,
        under_weight,
    })
}

/// A load as the model takes it at `path` ("1800/s", or a user count).
pub fn load_text(path: &str, load: f64) -> String {
    if path.ends_with(".rate") {
        format!("{}/s", crate::format::round_sig6(load))
    } else {
        crate::format::round_sig6(load)
    }
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A domain: a list of values, or `{ from, to, step }` integers.
fn domain_values(v: &toml::Value) -> Result<(Vec<String>, bool), String> {
    match v {
        toml::Value::Array(items) if items.is_empty() => Err("the domain is empty: give at least one value".into()),
        toml::Value::Array(items) => Ok((items.iter().map(value_text).collect(), false)),
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| !["from", "to", "step"].contains(&k.as_str())) {
                return Err(format!("unknown key `{k}` in a range: a range is {{ from = 1, to = 20 }} (and `step`)"));
            }
            let int = |k: &str| match t.get(k) {
                Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(*i)),
                None => Ok(None),
                Some(_) => Err(format!("`{k}` is a whole number, at least 0")),
            };
            let (Some(from), Some(to)) = (int("from")?, int("to")?) else {
                return Err("a range has `from` and `to`, e.g. { from = 1, to = 20 }".into());
            };
            let step = int("step")?.unwrap_or(1);
            if step == 0 {
                return Err("`step` must be at least 1".into());
            }
            if from > to {
                return Err(format!("the domain is empty: from = {from} is above to = {to}"));
            }
            Ok(((from..=to).step_by(step as usize).map(|i| i.to_string()).collect(), true))
        }
        _ => {
            Err("a domain is a list of values, e.g. [\"m5.large\", \"m5.xlarge\"], or a range { from = 1, to = 20 }"
                .into())
        }
    }
}

fn loads(v: &toml::Value) -> Result<Loads, String> {
    let rate = |v: &toml::Value| {
        let t = value_text(v);
        crate::units::parse_rate(&t).or_else(|_| t.trim().parse::<f64>()).map_err(|_| format!("`{t}` is not a load"))
    };
    match v {
        toml::Value::Array(items) if items.is_empty() => Err("the list of target loads is empty".into()),
        toml::Value::Array(items) => Ok(Loads::Every(items.iter().map(rate).collect::<Result<_, _>>()?)),
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| !["low", "mid", "high", "confidence"].contains(&k.as_str())) {
                return Err(format!("unknown key `{k}`: an uncertain load is {{ low, mid, high, confidence }}"));
            }
            let get = |k: &str| t.get(k).ok_or(format!("an uncertain load needs `{k}`")).and_then(rate);
            let (low, mid, high) = (get("low")?, get("mid")?, get("high")?);
            if !(low < mid && mid < high) {
                return Err("an uncertain load needs low < mid < high".into());
            }
            let confidence = match t.get("confidence") {
                None => 0.8,
                Some(toml::Value::Float(c)) if *c > 0.0 && *c < 1.0 => *c,
                Some(_) => return Err("`confidence` is a probability in (0, 1), e.g. 0.9".into()),
            };
            Ok(Loads::Uncertain { low, mid, high, confidence })
        }
        one => Ok(Loads::Every(vec![rate(one)?])),
    }
}

fn headroom(v: &toml::Value) -> Result<Headroom, String> {
    let toml::Value::Table(t) = v else { return Err("headroom is a table".into()) };
    let int = |k: &str| match t.get(k) {
        Some(toml::Value::Integer(i)) if *i >= 1 => Ok(Some(*i as u32)),
        None => Ok(None),
        Some(_) => Err(format!("`{k}` is a whole number, at least 1")),
    };
    if let Some(k) = t.keys().find(|k| !["instances_down", "zones", "zones_down"].contains(&k.as_str())) {
        return Err(format!("unknown key `{k}` in headroom"));
    }
    match (int("instances_down")?, int("zones")?, int("zones_down")?) {
        (Some(k), None, None) => Ok(Headroom::InstancesDown(k)),
        (None, Some(zones), Some(down)) if down < zones => Ok(Headroom::Zones { zones, down }),
        (None, Some(_), Some(_)) => Err("zones_down must be fewer than zones".into()),
        _ => Err("headroom is either { instances_down = K } or { zones = Z, zones_down = D }".into()),
    }
}

/// A variable the model refused: located at its key in `[search.vary]`,
/// with the key that was probably meant.
fn unknown_variable(source: &Source, path: &Spanned<String>, e: ModelError) -> ModelError {
    let mut msg = format!("`{}` is not a setting of the model: {}", path.get_ref(), e.message);
    if let Some((_, rest)) = e.message.split_once("unknown field `")
        && let Some((wrong, expected)) = rest.split_once('`')
    {
        let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        if let Some(near) = crate::error::closest(wrong, names.iter().copied()) {
            let meant = path.get_ref().replacen(wrong, near, 1);
            msg = format!("`{}` is not a setting of the model; did you mean `{meant}`?", path.get_ref());
        }
    }
    let mut located = source.error_at(path.span(), msg).with_key(format!("search.vary.{}", path.get_ref()));
    located.hint = Some("a variable is a model path, as --set takes it, e.g. services.api.instances".into());
    located
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_lose_their_fullest_share() {
        let z = Headroom::Zones { zones: 3, down: 1 };
        assert_eq!(z.left(6), 4);
        assert_eq!(z.left(4), 2);
        assert_eq!(z.left(3), 2);
        assert_eq!(Headroom::InstancesDown(1).left(1), 0);
    }

    #[test]
    fn ranges_and_lists() {
        let t: toml::Value = toml::from_str::<toml::Table>("d = { from = 2, to = 8, step = 3 }").unwrap()["d"].clone();
        assert_eq!(domain_values(&t).unwrap(), (vec!["2".into(), "5".into(), "8".into()], true));
        let e: toml::Value = toml::Value::Array(vec![]);
        assert!(domain_values(&e).unwrap_err().contains("empty"));
    }
}
