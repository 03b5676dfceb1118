//! The experiment file: base model, designs, sweep axes, replications, SLO
//! and capacity questions; validated into an [`Experiment`] whose every
//! (design, point) model is compiled up front, so a bad override fails
//! before any simulation starts.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

pub use super::axes::AxisInfo;
use super::axes::{AxisConfig, with_number};
pub use super::designs::DesignInfo;
use super::designs::{DesignConfig, locate_override, override_path, override_text};
pub use super::sensitivity::SensitivitySpec;
use super::sensitivity::{SensitivityConfig, sensitivity_spec};
pub use super::slo::SloInfo;
use super::slo::{SloConfig, slo};
use crate::config::{Positive, Source};
use crate::error::ModelError;
use crate::model::{self, Network};

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
        let (designs, design_overrides) = super::designs::designs(&source, &file.designs, &common)?;

        let target_load = file.capacity.as_ref().and_then(|c| c.target_load.as_ref());
        let super::axes::Axes { axes, load_axis, target_loads } =
            super::axes::axes(&source, &file.axes, h.load.as_ref(), target_load)?;
        let slo = file.slo.as_ref().map(|s| slo(s, &source)).transpose()?;
        let search = (file.search.as_ref())
            .map(|s| crate::planner::spec::validate(&source, s, &base_model, &common, slo.as_ref(), &target_loads))
            .transpose()?;

        let points = super::axes::grid(&axes);

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

        let baseline = super::designs::baseline(&source, h.baseline.as_ref(), &designs)?;
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

/// Whether TOML text is an experiment (it has an `[experiment]` table) rather than a model.
pub fn is_experiment_text(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[experiment]")
}
