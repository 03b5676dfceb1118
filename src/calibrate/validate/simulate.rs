//! The model at every measured load: which value a load sets (`--rate-path`,
//! or the only class's `rate` or `users`), one network per level, and every
//! (level, replication) run through the experiments' executor (parallel,
//! in order, panics caught, Ctrl-C honoured). Every level keeps the model's
//! seed, so replication r of every level draws the same random numbers
//! (common random numbers): differences between levels are the load's, not
//! the noise's, and a level equals `capsim run` at that load.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::calibrate::InputError;
use crate::experiment::execute::simulate_all;
use crate::model::{self, Arrivals, Network};
use crate::stats::{RunMetrics, Summary, summarise};

use super::{Level, LoadKind};

/// What the measured loads set in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The dotted model path, e.g. `workload.web.rate`.
    pub path: String,
    /// The class whose metrics are compared.
    pub class: String,
    /// What the path takes: a rate or users.
    pub kind: LoadKind,
}

/// The load target: `--rate-path` if given (`workload.NAME.rate|users`
/// names the class; another path needs a model of one class), else the
/// only class's `rate` (open) or `users` (closed).
pub fn target(net: &Network, rate_path: Option<&str>) -> Result<Target, InputError> {
    let classes: Vec<&model::Class> = net.classes.iter().filter(|c| !c.polling).collect();
    let names = || classes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    let kind_of = |c: &model::Class| match c.arrivals {
        Arrivals::Closed { .. } => LoadKind::Users,
        Arrivals::Open { .. } => LoadKind::Rate,
    };
    let flag = |path: &str| format!("--rate-path {path}");
    match rate_path {
        Some(path) => {
            let keys: Vec<&str> = path.split('.').collect();
            let kind = if path.ends_with(".users") { LoadKind::Users } else { LoadKind::Rate };
            let class = if keys.len() == 3 && keys[0] == "workload" {
                let c = classes.iter().find(|c| c.name == keys[1]).ok_or_else(|| {
                    InputError::new(format!("the model has no class `{}`", keys[1]))
                        .with_key(flag(path))
                        .with_hint(format!("its classes: {}", names()))
                })?;
                if !matches!(keys[2], "rate" | "users") {
                    return Err(InputError::new("a class's load is its `rate` or its `users`")
                        .with_key(flag(path))
                        .with_hint(format!("write --rate-path workload.{}.rate (open) or .users (closed)", c.name)));
                }
                c.name.clone()
            } else {
                match classes.as_slice() {
                    [one] => one.name.clone(),
                    _ => {
                        return Err(InputError::new(format!(
                            "the model has {} classes ({}), and `{path}` does not say whose metrics the test measured",
                            classes.len(),
                            names()
                        ))
                        .with_key(flag(path))
                        .with_hint("set a class's load: --rate-path workload.NAME.rate or workload.NAME.users"));
                    }
                }
            };
            Ok(Target { path: path.to_string(), class, kind })
        }
        None => match classes.as_slice() {
            [one] => {
                let kind = kind_of(one);
                let key = if kind == LoadKind::Users { "users" } else { "rate" };
                Ok(Target { path: format!("workload.{}.{key}", one.name), class: one.name.clone(), kind })
            }
            _ => Err(InputError::new(format!(
                "the model has {} request classes ({}): which one does the load test drive?",
                classes.len(),
                names()
            ))
            .with_key("--rate-path")
            .with_hint(format!(
                "name it, e.g. --rate-path workload.{}.rate",
                classes.first().map_or("NAME", |c| c.name.as_str())
            ))),
        },
    }
}

impl Target {
    /// The override that sets `load`: `path=900/s` for a rate, `path=60` for users.
    fn setting(&self, load: f64) -> Option<String> {
        match self.kind {
            LoadKind::Users => (load.fract() == 0.0).then(|| format!("{}={}", self.path, load as u64)),
            LoadKind::Rate if self.path.ends_with(".rate") => Some(format!("{}={load}/s", self.path)),
            LoadKind::Rate => Some(format!("{}={load}", self.path)),
        }
    }

    /// The model at each level: `overrides`, then the level's load. A load
    /// the model refuses is an error at the level's file and line.
    pub fn networks(&self, model: &Path, overrides: &[String], levels: &[Level]) -> Result<Vec<Network>, InputError> {
        levels
            .iter()
            .map(|level| {
                let setting = self.setting(level.load).ok_or_else(|| {
                    level.origin.error(format!(
                        "a load level the model cannot be set to: {} users is not a whole number",
                        level.load
                    ))
                })?;
                let all: Vec<String> = overrides.iter().cloned().chain([setting.clone()]).collect();
                model::load(model, &all).map_err(|e| {
                    let err = level
                        .origin
                        .error(format!("a load level the model cannot be set to: `{setting}`: {}", e.message))
                        .with_key("--rate-path");
                    match e.hint {
                        Some(h) => err.with_hint(h),
                        None => err.with_hint(format!(
                            "--rate-path names the model value each load sets (here `{}`); an open class takes a rate, a closed one users",
                            self.path
                        )),
                    }
                })
            })
            .collect()
    }
}

/// Why the levels did not all run.
#[derive(Debug, Clone, PartialEq)]
pub enum NotRun {
    /// Stopped (Ctrl-C): so many of so many runs finished.
    Interrupted {
        /// Runs finished.
        done: usize,
        /// Runs in all.
        total: usize,
    },
    /// A run failed (a limit, or a bug): the level's load, the replication and why.
    Failed(String),
}

/// Simulates every replication of every level (in parallel, one queue for
/// all of them) and summarises each level. `progress` is called as each
/// run ends; once `stop` is set no new run starts.
pub fn simulate_levels(
    nets: &[Network],
    loads: &[f64],
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Vec<Summary>, NotRun> {
    let items: Vec<(usize, u32)> =
        nets.iter().enumerate().flat_map(|(l, n)| (0..n.settings.replications).map(move |r| (l, r))).collect();
    let outcomes = simulate_all(
        &items,
        |&(l, r)| {
            let (stats, _) = crate::run::simulate_choosing(&nets[l], r);
            match stats.stopped {
                Some(reason) => Err(reason),
                None => Ok(RunMetrics::new(&nets[l], &stats)),
            }
        },
        progress,
        stop,
        true,
    );
    // A failure stops the others (fail fast), so it is reported before any run it left undone.
    if let Some((&(l, r), reason)) =
        items.iter().zip(&outcomes).find_map(|(item, o)| o.as_ref().and_then(|o| o.as_ref().err()).map(|e| (item, e)))
    {
        return Err(NotRun::Failed(format!("the run at load {}, replication {r}, failed: {reason}", loads[l])));
    }
    let done = outcomes.iter().filter(|o| o.is_some()).count();
    if done < items.len() {
        return Err(NotRun::Interrupted { done, total: items.len() });
    }
    let mut per_level: Vec<Vec<RunMetrics>> = vec![Vec::new(); nets.len()];
    for (&(l, _), outcome) in items.iter().zip(outcomes) {
        if let Some(Ok(m)) = outcome {
            per_level[l].push(m);
        }
    }
    Ok(nets.iter().zip(&per_level).map(|(net, runs)| summarise(net, runs)).collect())
}
