//! The experiment's designs and overrides: `[designs.NAME]` tables validated
//! into [`DesignInfo`], the `baseline` they are compared with, the settings
//! no design or axis may change (seed, replications), and an override's
//! error located where the user wrote it in the experiment file.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::axes::{AxisInfo, value_text};
use crate::config::Source;
use crate::error::ModelError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DesignConfig {
    #[serde(default)]
    description: String,
    #[serde(default)]
    set: IndexMap<String, toml::Value>,
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

/// The designs with, for each, every override that makes its model (the
/// experiment's `common` ones, then its own); without designs, the base model
/// alone as `baseline`.
pub(super) fn designs(
    source: &Source,
    file: &IndexMap<String, DesignConfig>,
    common: &[String],
) -> Result<(Vec<DesignInfo>, Vec<Vec<String>>), ModelError> {
    let mut designs = Vec::new();
    let mut design_overrides = Vec::new();
    if file.is_empty() {
        designs.push(DesignInfo { name: "baseline".into(), description: "the base model".into(), overrides: vec![] });
        design_overrides.push(common.to_vec());
    }
    for (dname, d) in file {
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
        designs.push(DesignInfo { name: dname.clone(), description: d.description.clone(), overrides: own.clone() });
        design_overrides.push(common.iter().cloned().chain(own).collect());
    }
    Ok((designs, design_overrides))
}

/// The design `baseline` names, if any: the one every other is compared with.
pub(super) fn baseline(
    source: &Source,
    baseline: Option<&Spanned<String>>,
    designs: &[DesignInfo],
) -> Result<Option<usize>, ModelError> {
    let Some(b) = baseline else { return Ok(None) };
    let position = designs.iter().position(|d| &d.name == b.get_ref());
    position.map(Some).ok_or_else(|| {
        source
            .error_at(b.span(), format!("no design is called `{}`", b.get_ref()))
            .with_key("experiment.baseline")
            .with_hint(format!(
                "the baseline is one of the designs: {}",
                designs.iter().map(|d| format!("`{}`", d.name)).collect::<Vec<_>>().join(", ")
            ))
    })
}

/// Model settings that every run of an experiment shares: `seed` and
/// `replications` under `[experiment]` own them.
pub(super) const EXPERIMENT_WIDE: [&str; 2] = ["simulation.seed", "simulation.replications"];

pub(super) fn experiment_wide_hint(path: &str) -> String {
    let key = path.trim_start_matches("simulation.");
    format!(
        "write `{key} = N` under [experiment], or change it for a whole sweep with --set {path}=N; every design and point shares one seed (common random numbers), and replications already give independent runs"
    )
}

/// The path of a `PATH=VALUE` override.
pub(super) fn override_path(o: &str) -> &str {
    o.split_once('=').map_or(o, |(p, _)| p).trim()
}

/// `path=value` with the value written as TOML would read it back.
pub(super) fn override_text(path: &str, v: &toml::Value) -> String {
    format!("{path}={}", value_text(v))
}

/// An override's error, located where the user wrote the override: a
/// design's `set` key, the experiment's `set` or an axis `path` in the
/// experiment file. Errors of the command line's own `--set` (or of the model
/// file) are left as they are.
pub(super) fn locate_override(
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
