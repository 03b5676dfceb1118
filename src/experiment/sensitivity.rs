//! The `[sensitivity]` table: what `capsim sensitivity EXPERIMENT` varies
//! and at which load, validated into [`SensitivitySpec`] (the sensitivity
//! command reads its ranges as it reads `--vary`).

use serde::Deserialize;
use toml::Spanned;

use super::axes::{numeric, value_text};
use crate::config::Source;
use crate::error::ModelError;

/// `[sensitivity]`: what `capsim sensitivity EXPERIMENT` varies, and where.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SensitivityConfig {
    /// Parameters with their ranges, as `--vary` takes them ("path=±20%").
    #[serde(default)]
    vary: Vec<String>,
    /// The range of every parameter when `vary` is empty ("10%").
    range: Option<Spanned<String>>,
    /// The value of the load axis to vary the designs at.
    load: Option<Spanned<toml::Value>>,
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

pub(super) fn sensitivity_spec(source: &Source, c: &SensitivityConfig) -> Result<SensitivitySpec, ModelError> {
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
