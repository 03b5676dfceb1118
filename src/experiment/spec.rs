//! The experiment file: base model, designs, sweep axes, replications, SLO
//! and capacity questions; validated into an [`Experiment`] whose every
//! (design, point) model is compiled up front, so a bad override fails
//! before any simulation starts.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::config::{Positive, Source};
use crate::error::ModelError;
use crate::model::{self, Network};
use crate::stats::{LatencyKind, LatencyStat, Measure};
use crate::units;

/// The experiment file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExperimentFile {
    experiment: Header,
    #[serde(default)]
    designs: IndexMap<String, DesignConfig>,
    #[serde(default)]
    axes: Vec<Spanned<AxisConfig>>,
    slo: Option<SloConfig>,
    capacity: Option<CapacityConfig>,
    sensitivity: Option<SensitivityConfig>,
    search: Option<crate::planner::spec::SearchConfig>,
}

/// `[sensitivity]`: what `capsim sensitivity EXPERIMENT` varies, and where.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitivityConfig {
    /// Parameters with their ranges, as `--vary` takes them ("path=±20%").
    #[serde(default)]
    vary: Vec<String>,
    /// The range of every parameter when `vary` is empty ("10%").
    range: Option<Spanned<String>>,
    /// The value of the load axis to vary the designs at.
    load: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: Option<String>,
    #[serde(default)]
    question: String,
    model: Spanned<String>,
    #[serde(default = "default_replications")]
    replications: Positive<u32>,
    #[serde(default = "default_seed")]
    seed: u64,
    /// Path of the axis that is the offered load (default: the first axis over a rate or users).
    load: Option<Spanned<String>>,
    /// Overrides applied to every design (e.g. a shorter duration).
    #[serde(default)]
    set: IndexMap<String, toml::Value>,
    /// The design the others are compared with ("vs baseline").
    baseline: Option<Spanned<String>>,
}

fn default_replications() -> Positive<u32> {
    Positive(3)
}
fn default_seed() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignConfig {
    #[serde(default)]
    description: String,
    #[serde(default)]
    set: IndexMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AxisConfig {
    path: String,
    values: Option<Vec<toml::Value>>,
    from: Option<toml::Value>,
    to: Option<toml::Value>,
    steps: Option<u32>,
    peak: Option<toml::Value>,
    levels: Option<Vec<f64>>,
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SloConfig {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacityConfig {
    target_load: Option<Spanned<toml::Value>>,
    #[serde(default)]
    bisect: u32,
}

/// A validated experiment, ready to run.
#[derive(Debug)]
pub struct Experiment {
    /// Name (default: the file stem).
    pub name: String,
    /// The question, in a sentence.
    pub question: String,
    /// The experiment file as given.
    pub file: String,
    /// The base model path as written in the file.
    pub model: String,
    /// Replications per (design, point).
    pub replications: u32,
    /// Seed shared by every run (common random numbers).
    pub seed: u64,
    /// The file's seed or replications that `--set` (or the file's `set`) changed,
    /// one sentence each, e.g. "seed 7 (from simulation.seed=7; the file says seed = 3)".
    pub overridden: Vec<String>,
    /// Designs, with their overrides as (path, value) pairs.
    pub designs: Vec<DesignInfo>,
    /// Axes with their values.
    pub axes: Vec<AxisInfo>,
    /// The load axis, if any.
    pub load_axis: Option<usize>,
    /// The SLO, if any.
    pub slo: Option<SloInfo>,
    /// Loads for the cheapest-design question, as written (one or a list).
    pub target_loads: Vec<f64>,
    /// Bisection rounds refining each design's capacity.
    pub bisect: u32,
    /// Compiled networks, `networks[design][point]`.
    pub networks: Vec<Vec<Network>>,
    /// Per point, the axis value index of each axis.
    pub points: Vec<Vec<usize>>,
    /// SHA-256 of the experiment, model and catalogue texts.
    pub inputs_sha256: String,
    /// The design every other is compared with, if `baseline` names one.
    pub baseline: Option<usize>,
    /// `[sensitivity]`, if given.
    pub sensitivity: Option<SensitivitySpec>,
    /// `[search]`, if given: what `capsim plan` searches (see `planner`).
    pub search: Option<crate::planner::spec::SearchSpec>,
    base_model: PathBuf,
    design_overrides: Vec<Vec<String>>,
}

/// One simulation: a replication of a design at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    /// Position in the run list (the shard key).
    pub index: usize,
    /// Design index.
    pub design: usize,
    /// Point index.
    pub point: usize,
    /// Replication.
    pub replication: u32,
}

impl Experiment {
    /// Reads and validates an experiment file, applying `overrides` to every design's model.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Experiment, ModelError> {
        let source = Source::read_as(path, "experiment file", "experiments shipped with capsim are in experiments/")?;
        let file: ExperimentFile = toml::from_str(&source.text).map_err(|e| {
            let mut err = ModelError::at(&source.file, &source.text, e.span(), e.message().to_string());
            const MODEL_TABLES: [&str; 9] =
                ["simulation", "workload", "services", "pools", "network", "caches", "databases", "queues", "catalog"];
            let model_table = MODEL_TABLES.iter().any(|t| e.message().starts_with(&format!("unknown field `{t}`")));
            if model_table && !is_experiment_text(&source.text) {
                err.hint = Some(format!(
                    "this is a model file, not an experiment: run it with `capsim run {}`; an experiment names its model with `model = \"...\"` under [experiment]",
                    source.file
                ));
            } else if e.message().starts_with("unknown field") {
                err.hint = Some("check the spelling; the keys allowed here are listed above".into());
            }
            err
        })?;
        let h = &file.experiment;
        let dir = path.parent().unwrap_or(Path::new("."));
        let base_model = dir.join(h.model.get_ref());
        if !base_model.exists() {
            return Err(source
                .error_at(h.model.span(), format!("the model file {} does not exist", base_model.display()))
                .with_key("experiment.model")
                .with_hint("the model path is relative to the experiment file"));
        }
        let name = h.name.clone().unwrap_or_else(|| {
            path.file_stem().map_or_else(|| "experiment".into(), |s| s.to_string_lossy().into_owned())
        });

        // Every run uses the experiment's seed: common random numbers make the
        // differences between designs and points sharper than independent seeds.
        // `--set` (or the file's own `set`) may change the seed or the replications
        // for the whole experiment, as it would for `capsim run`; a design or an
        // axis may not (below).
        let file_set: Vec<String> = h.set.iter().map(|(k, v)| override_text(k, v)).collect();
        let mut common: Vec<String> = file_set.iter().chain(overrides).cloned().collect();
        let sets = |path: &str| common.iter().rev().find(|o| override_path(o) == path).cloned();
        let (seed_set, replications_set) = (sets("simulation.seed"), sets("simulation.replications"));
        if seed_set.is_none() {
            common.push(format!("simulation.seed={}", h.seed));
        }
        let mut designs = Vec::new();
        let mut design_overrides = Vec::new();
        if file.designs.is_empty() {
            designs.push(DesignInfo {
                name: "baseline".into(),
                description: "the base model".into(),
                overrides: vec![],
            });
            design_overrides.push(common.clone());
        }
        for (dname, d) in &file.designs {
            if let Some(path) = d.set.keys().find(|k| EXPERIMENT_WIDE.contains(&k.trim())) {
                let from = source.text.find(&format!("[designs.{dname}]")).unwrap_or(0);
                let span = source.text[from..].find(path.as_str()).map(|i| from + i..from + i + path.len());
                return Err(ModelError::at(
                    &source.file,
                    &source.text,
                    span,
                    format!("design `{dname}` sets `{path}`, which is the same for every design of an experiment"),
                )
                .with_key(format!("designs.{dname}.set"))
                .with_hint(experiment_wide_hint(path)));
            }
            let own: Vec<String> = d.set.iter().map(|(k, v)| override_text(k, v)).collect();
            designs.push(DesignInfo {
                name: dname.clone(),
                description: d.description.clone(),
                overrides: own.clone(),
            });
            design_overrides.push(common.iter().cloned().chain(own).collect());
        }

        let mut axes = Vec::new();
        for (i, a) in file.axes.iter().enumerate() {
            let path = a.get_ref().path.trim();
            if EXPERIMENT_WIDE.contains(&path) {
                return Err(source
                    .error_at(a.span(), format!("an axis cannot vary `{path}`, which is the same for every run"))
                    .with_key(format!("axes[{i}]"))
                    .with_hint(experiment_wide_hint(path)));
            }
            axes.push(axis(a.get_ref()).map_err(|msg| source.error_at(a.span(), msg).with_key(format!("axes[{i}]")))?);
        }
        let load_axis = match &h.load {
            Some(p) => Some(axes.iter().position(|a| &a.path == p.get_ref()).ok_or_else(|| {
                source.error_at(p.span(), format!("no axis varies `{}`", p.get_ref())).with_key("experiment.load")
            })?),
            // By default the load is the first axis that varies a rate or a user count.
            None => axes.iter().position(|a| a.path.ends_with(".rate") || a.path.ends_with(".users")),
        };
        let target_loads = match file.capacity.as_ref().and_then(|c| c.target_load.as_ref()) {
            Some(v) => target_load_values(&source, v)?,
            None => Vec::new(),
        };
        // Every target load is simulated even when the grid misses it.
        if let Some(l) = load_axis {
            let axis = &mut axes[l];
            for &t in &target_loads {
                if !axis.numeric.iter().any(|&x| (x - t).abs() <= 1e-9 * t.abs().max(1.0)) {
                    let template = axis.values.first().cloned().unwrap_or_default();
                    let pos = axis.numeric.iter().position(|&x| x > t).unwrap_or(axis.numeric.len());
                    axis.values.insert(pos, with_number(&template, t));
                    axis.numeric.insert(pos, t);
                }
            }
        }
        let slo = file.slo.as_ref().map(|s| slo(s, &source)).transpose()?;
        let search = (file.search.as_ref())
            .map(|s| crate::planner::spec::validate(&source, s, &base_model, &common, slo.as_ref(), &target_loads))
            .transpose()?;

        // Grid of points: every combination of axis values, first axis slowest.
        let mut points: Vec<Vec<usize>> = vec![vec![]];
        for a in &axes {
            points = points
                .into_iter()
                .flat_map(|p| (0..a.values.len()).map(move |v| [p.clone(), vec![v]].concat()))
                .collect();
        }

        let mut networks = Vec::new();
        for (d, overrides) in design_overrides.iter().enumerate() {
            let mut per_point = Vec::new();
            for p in &points {
                let mut all = overrides.clone();
                all.extend(axes.iter().zip(p).map(|(a, &v)| format!("{}={}", a.path, a.values[v])));
                let net = model::load(&base_model, &all)
                    .map_err(|e| locate_override(&source, &designs[d], &file_set, &axes, e))?;
                if let Some(slo) = &slo
                    && let Some(class) = &slo.class
                    && !net.classes.iter().any(|c| &c.name == class)
                {
                    return Err(ModelError::new(
                        &source.file,
                        format!("the SLO names class `{class}`, which the model does not have"),
                    )
                    .with_key("slo.class"));
                }
                per_point.push(net);
            }
            networks.push(per_point);
        }
        let mut hasher = Sha256::new();
        hasher.update(source.text.as_bytes());
        for input in &networks[0][0].inputs[1..] {
            hasher.update(input.as_bytes());
        }
        hasher.update(std::fs::read(&base_model).unwrap_or_default());
        let inputs_sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

        // The model checked an overridden seed or count; every network has the same.
        let settings = &networks[0][0].settings;
        let seed = if seed_set.is_some() { settings.seed } else { h.seed };
        let replications = if replications_set.is_some() { settings.replications } else { h.replications.0 };
        let overridden = [
            seed_set
                .filter(|_| seed != h.seed)
                .map(|o| format!("seed {seed} (from {o}; the file says seed = {})", h.seed)),
            replications_set.filter(|_| replications != h.replications.0).map(|o| {
                format!("{replications} replication(s) (from {o}; the file says replications = {})", h.replications.0)
            }),
        ]
        .into_iter()
        .flatten()
        .collect();

        let baseline = match &h.baseline {
            Some(b) => Some(designs.iter().position(|d| &d.name == b.get_ref()).ok_or_else(|| {
                source
                    .error_at(b.span(), format!("no design is called `{}`", b.get_ref()))
                    .with_key("experiment.baseline")
                    .with_hint(format!(
                        "the baseline is one of the designs: {}",
                        designs.iter().map(|d| format!("`{}`", d.name)).collect::<Vec<_>>().join(", ")
                    ))
            })?),
            None => None,
        };
        let sensitivity = file.sensitivity.as_ref().map(|c| sensitivity_spec(&source, c)).transpose()?;

        Ok(Experiment {
            baseline,
            sensitivity,
            search,
            name,
            question: h.question.clone(),
            file: source.file.clone(),
            model: h.model.get_ref().clone(),
            replications,
            seed,
            overridden,
            designs,
            axes,
            load_axis,
            slo,
            target_loads,
            bisect: file.capacity.as_ref().map_or(0, |c| c.bisect),
            networks,
            points,
            inputs_sha256,
            base_model,
            design_overrides,
        })
    }

    /// Every run, in run order: designs, then points, then replications.
    pub fn runs(&self) -> Vec<RunId> {
        let mut runs = Vec::new();
        for design in 0..self.designs.len() {
            for point in 0..self.points.len() {
                for replication in 0..self.replications {
                    runs.push(RunId { index: runs.len(), design, point, replication });
                }
            }
        }
        runs
    }

    /// The overrides that make design `design` at point `point` from the base model.
    pub fn overrides_at(&self, design: usize, point: usize) -> Vec<String> {
        let mut all = self.design_overrides[design].clone();
        all.extend(self.axes.iter().zip(&self.points[point]).map(|(a, &v)| format!("{}={}", a.path, a.values[v])));
        all
    }

    /// The overrides that make design `design` at `load` on the load axis
    /// (the other axes at `point`'s values).
    pub fn overrides_at_load(&self, design: usize, point: usize, load: f64) -> Vec<String> {
        let mut all = self.design_overrides[design].clone();
        let values = self.axis_values_at_load(point, load);
        all.extend(self.axes.iter().zip(values).map(|(a, value)| format!("{}={value}", a.path)));
        all
    }

    /// The base model file, as resolved against the experiment's folder.
    pub fn base_model(&self) -> &Path {
        &self.base_model
    }

    /// A design's model at an arbitrary value of the load axis (for bisection).
    pub fn network_at_load(&self, design: usize, point: usize, load: f64) -> Result<Network, ModelError> {
        let mut all = self.design_overrides[design].clone();
        let values = self.axis_values_at_load(point, load);
        all.extend(self.axes.iter().zip(values).map(|(a, value)| format!("{}={value}", a.path)));
        model::load(&self.base_model, &all)
    }

    /// The axis values of `point` as written, with the load axis set to
    /// `load` in the axis's own unit ("1912.5/s"): where a bisection run sits.
    pub fn axis_values_at_load(&self, point: usize, load: f64) -> Vec<String> {
        let l = self.load_axis.expect("bisection needs a load axis");
        let values = self.axes.iter().zip(&self.points[point]).map(|(a, &v)| &a.values[v]);
        values.enumerate().map(|(i, v)| if i == l { with_number(v, load) } else { v.clone() }).collect()
    }
}

/// Model settings that every run of an experiment shares: `seed` and
/// `replications` under `[experiment]` own them.
const EXPERIMENT_WIDE: [&str; 2] = ["simulation.seed", "simulation.replications"];

fn experiment_wide_hint(path: &str) -> String {
    let key = path.trim_start_matches("simulation.");
    format!(
        "write `{key} = N` under [experiment], or change it for a whole sweep with --set {path}=N; every design and point shares one seed (common random numbers), and replications already give independent runs"
    )
}

/// The path of a `PATH=VALUE` override.
fn override_path(o: &str) -> &str {
    o.split_once('=').map_or(o, |(p, _)| p).trim()
}

/// `path=value` with the value written as TOML would read it back.
fn override_text(path: &str, v: &toml::Value) -> String {
    format!("{path}={}", value_text(v))
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value's number in SI units: rates per second, durations in seconds, plain numbers.
fn numeric(text: &str) -> Result<f64, String> {
    if let Ok(r) = units::parse_rate(text) {
        return Ok(r);
    }
    if let Ok(d) = units::parse_duration(text) {
        return Ok(d);
    }
    text.trim().parse::<f64>().map_err(|_| format!("`{text}` is not a number, a rate or a duration"))
}

/// Splits "200/s" into (200, "/s") and "1.5" into (1.5, "").
fn split_unit(text: &str) -> Option<(f64, String)> {
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == '_'))
        .unwrap_or(t.len());
    let number: String = t[..end].chars().filter(|&c| c != '_').collect();
    Some((number.parse().ok()?, t[end..].to_string()))
}

/// Formats `x` with the unit of `template` ("200/s" -> "350/s").
fn with_number(template: &str, x: f64) -> String {
    let unit = split_unit(template).map(|(_, u)| u).unwrap_or_default();
    // The template's number is in the unit's own scale; convert back from SI.
    let scale = split_unit(template)
        .and_then(|(n, _)| numeric(template).ok().map(|si| if n != 0.0 { si / n } else { 1.0 }))
        .unwrap_or(1.0);
    format!("{}{unit}", crate::format::round_sig6(x / scale))
}

fn axis(a: &AxisConfig) -> Result<AxisInfo, String> {
    let values: Vec<String> = match (&a.values, &a.from, &a.to, &a.peak) {
        (Some(vals), None, None, None) => vals.iter().map(value_text).collect(),
        (None, Some(from), Some(to), None) => {
            let steps = a.steps.ok_or("an axis with `from` and `to` needs `steps` (the number of values)")?;
            if steps < 2 {
                return Err("`steps` must be at least 2".into());
            }
            let (f, to) = (value_text(from), value_text(to));
            let ((x0, u0), (x1, u1)) =
                (split_unit(&f).ok_or("`from` is not a number")?, split_unit(&to).ok_or("`to` is not a number")?);
            if u0 != u1 {
                return Err(format!("`from` ({f}) and `to` ({to}) must use the same unit"));
            }
            (0..steps)
                .map(|i| {
                    format!("{}{u0}", crate::format::round_sig6(x0 + (x1 - x0) * f64::from(i) / f64::from(steps - 1)))
                })
                .collect()
        }
        (None, None, None, Some(peak)) => {
            let levels = a.levels.as_ref().ok_or("an axis with `peak` needs `levels`, e.g. [0.5, 1.0, 1.5]")?;
            let p = value_text(peak);
            let (x, unit) = split_unit(&p).ok_or("`peak` is not a number")?;
            levels.iter().map(|l| format!("{}{unit}", crate::format::round_sig6(x * l))).collect()
        }
        _ => return Err("an axis has `values`, or `from`/`to`/`steps`, or `peak`/`levels`".into()),
    };
    if values.is_empty() {
        return Err(format!("the axis over `{}` has no values", a.path));
    }
    let numeric: Vec<f64> = values.iter().map(|v| numeric(v)).collect::<Result<_, _>>()?;
    let label = a.label.clone().unwrap_or_else(|| {
        if a.path.ends_with(".rate") {
            "offered load [requests/s]".to_string()
        } else if a.path.ends_with(".users") {
            "users".to_string()
        } else {
            a.path.clone()
        }
    });
    Ok(AxisInfo { path: a.path.clone(), label, values, numeric })
}

fn slo(s: &SloConfig, source: &Source) -> Result<SloInfo, ModelError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_from_to_keeps_units() {
        let a = AxisConfig {
            path: "workload.web.rate".into(),
            values: None,
            from: Some(toml::Value::String("100/s".into())),
            to: Some(toml::Value::String("400/s".into())),
            steps: Some(4),
            peak: None,
            levels: None,
            label: None,
        };
        let info = axis(&a).unwrap();
        assert_eq!(info.values, ["100/s", "200/s", "300/s", "400/s"]);
        assert_eq!(info.numeric, [100.0, 200.0, 300.0, 400.0]);
        assert_eq!(info.label, "offered load [requests/s]");
    }

    #[test]
    fn load_test_levels_scale_the_peak() {
        let a = AxisConfig {
            path: "workload.web.rate".into(),
            values: None,
            from: None,
            to: None,
            steps: None,
            peak: Some(toml::Value::String("2000/s".into())),
            levels: Some(vec![0.5, 1.0, 1.5]),
            label: None,
        };
        assert_eq!(axis(&a).unwrap().values, ["1000/s", "2000/s", "3000/s"]);
    }

    #[test]
    fn numbers_round_to_six_digits() {
        assert_eq!(crate::format::round_sig6(0.1 + 0.2), "0.3");
        assert_eq!(crate::format::round_sig6(250.0), "250");
        assert_eq!(with_number("200/s", 350.0), "350/s");
        assert_eq!(with_number("2/ms", 3500.0), "3.5/ms");
    }
}

/// One design: a named set of overrides on the base model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignInfo {
    /// Name.
    pub name: String,
    /// What it is, in words.
    pub description: String,
    /// Its overrides, as `path=value`.
    pub overrides: Vec<String>,
}

/// One sweep axis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AxisInfo {
    /// The dotted model path it varies.
    pub path: String,
    /// A short label for charts, e.g. "offered load [req/s]".
    pub label: String,
    /// The values as written into the model ("200/s").
    pub values: Vec<String>,
    /// The same values as numbers in SI units (rates per second, seconds).
    pub numeric: Vec<f64>,
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

/// `[sensitivity]` as validated: the ranges as written (the sensitivity
/// command reads them as it reads `--vary`), the default range and the load.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivitySpec {
    /// `path=±PCT` items.
    pub vary: Vec<String>,
    /// The range of every parameter when `vary` is empty, as written ("10%").
    pub range: Option<String>,
    /// The load to vary the designs at, in the load axis's unit.
    pub load: Option<f64>,
}

fn sensitivity_spec(source: &Source, c: &SensitivityConfig) -> Result<SensitivitySpec, ModelError> {
    let load = c
        .load
        .as_ref()
        .map(|l| {
            numeric(&value_text(l.get_ref())).map_err(|m| {
                source
                    .error_at(l.span(), m)
                    .with_key("sensitivity.load")
                    .with_hint("a value of the load axis, e.g. load = \"1800/s\"")
            })
        })
        .transpose()?;
    Ok(SensitivitySpec { vary: c.vary.clone(), range: c.range.as_ref().map(|r| r.get_ref().clone()), load })
}

/// Whether TOML text is an experiment (it has an `[experiment]` table) rather than a model.
pub fn is_experiment_text(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[experiment]")
}

/// `[capacity] target_load` as numbers: one load, or a list of them in the
/// order written; an error at its place otherwise.
fn target_load_values(source: &Source, v: &Spanned<toml::Value>) -> Result<Vec<f64>, ModelError> {
    let error = |m: String| {
        source.error_at(v.span(), m).with_key("capacity.target_load").with_hint(
            "one load, e.g. target_load = \"1800/s\", or a list, e.g. target_load = [\"1200/s\", \"1800/s\"]",
        )
    };
    let items = match v.get_ref() {
        toml::Value::Array(items) if items.is_empty() => return Err(error("the list of target loads is empty".into())),
        toml::Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let mut loads: Vec<f64> = Vec::new();
    for item in items {
        let load = numeric(&value_text(item)).map_err(error)?;
        if loads.iter().any(|&l| (l - load).abs() <= 1e-9 * load.abs().max(1.0)) {
            return Err(error(format!("the target load {} is given twice", value_text(item))));
        }
        loads.push(load);
    }
    Ok(loads)
}

/// An override's error, located where the user wrote the override: a
/// design's `set` key, the experiment's `set` or an axis `path` in the
/// experiment file. Errors of the command line's own `--set` (or of the model
/// file) are left as they are.
fn locate_override(
    source: &Source,
    design_info: &DesignInfo,
    file_set: &[String],
    axes: &[AxisInfo],
    err: ModelError,
) -> ModelError {
    let design = design_info.name.as_str();
    let Some(item) = err.key.as_deref().and_then(|k| k.strip_prefix("--set ")) else {
        return prefixed(design, err);
    };
    let path = override_path(item);
    let text = &source.text;
    let (from, key) = if design_info.overrides.iter().any(|o| o == item) {
        let header = format!("[designs.{design}]");
        (text.find(&header).unwrap_or(0), format!("designs.{design}.set"))
    } else if file_set.iter().any(|o| o == item) {
        (text.find("[experiment]").unwrap_or(0), "experiment.set".to_string())
    } else if axes.iter().any(|a| a.path == path) {
        (0, "axes.path".to_string())
    } else {
        return prefixed(design, err);
    };
    let span = text[from..].find(path).map(|i| from + i..from + i + path.len());
    let mut located =
        ModelError::at(&source.file, text, span, format!("in design `{design}`: {}", err.message)).with_key(key);
    located.hint = err.hint;
    located
}

fn prefixed(design: &str, mut err: ModelError) -> ModelError {
    err.message = format!("in design `{design}`: {}", err.message);
    err
}
