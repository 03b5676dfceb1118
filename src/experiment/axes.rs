//! The experiment's sweep axes: `[[axes]]` as written, validated into
//! [`AxisInfo`] (values as written and in SI units), and the value
//! arithmetic they need: numbers with units, rounding to six digits, and
//! `[capacity] target_load`, which is a value of the load axis.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::designs::{EXPERIMENT_WIDE, experiment_wide_hint};
use crate::config::Source;
use crate::error::ModelError;
use crate::units;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AxisConfig {
    pub(super) path: String,
    pub(super) values: Option<Vec<toml::Value>>,
    pub(super) from: Option<toml::Value>,
    pub(super) to: Option<toml::Value>,
    pub(super) steps: Option<u32>,
    pub(super) peak: Option<toml::Value>,
    pub(super) levels: Option<Vec<f64>>,
    pub(super) label: Option<String>,
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

/// The experiment's axes as validated.
pub(super) struct Axes {
    /// Every axis, in file order.
    pub(super) axes: Vec<AxisInfo>,
    /// The load axis among them, if any.
    pub(super) load_axis: Option<usize>,
    /// `[capacity] target_load`, as numbers in the order written.
    pub(super) target_loads: Vec<f64>,
}

/// The axes as validated, the load axis among them (`load` names it; by
/// default the first axis over a rate or a user count), and the target loads
/// of `[capacity]`, each added to the load axis when the grid misses it
/// (every target load is simulated).
pub(super) fn axes(
    source: &Source,
    file: &[Spanned<AxisConfig>],
    load: Option<&Spanned<String>>,
    target_load: Option<&Spanned<toml::Value>>,
) -> Result<Axes, ModelError> {
    let mut axes = Vec::new();
    for (i, a) in file.iter().enumerate() {
        let path = a.get_ref().path.trim();
        if EXPERIMENT_WIDE.contains(&path) {
            return Err(source
                .error_at(a.span(), format!("an axis cannot vary `{path}`, which is the same for every run"))
                .with_key(format!("axes[{i}]"))
                .with_hint(experiment_wide_hint(path)));
        }
        axes.push(axis(a.get_ref()).map_err(|msg| source.error_at(a.span(), msg).with_key(format!("axes[{i}]")))?);
    }
    let load_axis = match load {
        Some(p) => Some(axes.iter().position(|a| &a.path == p.get_ref()).ok_or_else(|| {
            source.error_at(p.span(), format!("no axis varies `{}`", p.get_ref())).with_key("experiment.load")
        })?),
        // By default the load is the first axis that varies a rate or a user count.
        None => axes.iter().position(|a| a.path.ends_with(".rate") || a.path.ends_with(".users")),
    };
    let target_loads = match target_load {
        Some(v) => target_load_values(source, v)?,
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
    Ok(Axes { axes, load_axis, target_loads })
}

/// Every point of the grid as the index of each axis's value: every
/// combination, first axis slowest.
pub(super) fn grid(axes: &[AxisInfo]) -> Vec<Vec<usize>> {
    let mut points: Vec<Vec<usize>> = vec![vec![]];
    for a in axes {
        points =
            points.into_iter().flat_map(|p| (0..a.values.len()).map(move |v| [p.clone(), vec![v]].concat())).collect();
    }
    points
}

/// A TOML value as an override writes it: strings bare, the rest as TOML.
pub(super) fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value's number in SI units: rates per second, durations in seconds, plain numbers.
pub(super) fn numeric(text: &str) -> Result<f64, String> {
    if let Ok(r) = units::parse_rate(text) {
        return Ok(r);
    }
    if let Ok(d) = units::parse_duration(text) {
        return Ok(d);
    }
    text.trim().parse::<f64>().map_err(|_| format!("`{text}` is not a number, a rate or a duration"))
}

/// Splits "200/s" into (200, "/s") and "1.5" into (1.5, "").
pub(super) fn split_unit(text: &str) -> Option<(f64, String)> {
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == '_'))
        .unwrap_or(t.len());
    let number: String = t[..end].chars().filter(|&c| c != '_').collect();
    Some((number.parse().ok()?, t[end..].to_string()))
}

/// Formats `x` with the unit of `template` ("200/s" -> "350/s").
pub(super) fn with_number(template: &str, x: f64) -> String {
    let unit = split_unit(template).map(|(_, u)| u).unwrap_or_default();
    // The template's number is in the unit's own scale; convert back from SI.
    let scale = split_unit(template)
        .and_then(|(n, _)| numeric(template).ok().map(|si| if n != 0.0 { si / n } else { 1.0 }))
        .unwrap_or(1.0);
    format!("{}{unit}", crate::format::round_sig6(x / scale))
}

pub(super) fn axis(a: &AxisConfig) -> Result<AxisInfo, String> {
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

/// `[capacity] target_load` as numbers: one load, or a list of them in the
/// order written; an error at its place otherwise.
pub(super) fn target_load_values(source: &Source, v: &Spanned<toml::Value>) -> Result<Vec<f64>, ModelError> {
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
