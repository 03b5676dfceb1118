//! The parameters a sensitivity run varies: `--vary PATH=±PCT` read into a
//! [`Vary`], the model's every numeric value enumerated when none is given,
//! and a value scaled low and high in the form the model file writes it
//! (an integer stays an integer, a rate a rate, a distribution keeps its
//! family and shape with its mean scaled).

use serde::{Deserialize, Serialize};

use crate::calibrate::InputError;
use crate::dist::Dist;
use crate::format::round_sig6;
use crate::units::{parse_bytes, parse_duration, parse_rate};

/// A parameter and the relative range to vary it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vary {
    /// The dotted model path, as `--set` takes it.
    pub path: String,
    /// The relative change down and up (0.2: ±20%).
    pub fraction: f64,
}

impl Vary {
    /// Reads `path=±20%` (or `+-20%`, or `20%`).
    pub fn parse(text: &str) -> Result<Vary, InputError> {
        let err = || {
            InputError::new("a parameter to vary is written PATH=±PCT").with_key(format!("--vary {text}")).with_hint(
                "e.g. --vary \"services.app.ops.handle.demand=±20%\" or --vary workload.web.rate=+-10% (the path as --set takes it)",
            )
        };
        let (path, range) = text.split_once('=').ok_or_else(err)?;
        let fraction = parse_range(range).ok_or_else(err)?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(|k| k.trim().is_empty()) {
            return Err(err());
        }
        Ok(Vary { path: path.to_string(), fraction })
    }
}

/// "±20%", "+-20%" or "20%" as 0.2; below 100%, so the low end stays positive.
pub fn parse_range(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_prefix('±').or_else(|| t.strip_prefix("+-")).or_else(|| t.strip_prefix("+/-")).unwrap_or(t);
    let f: f64 = t.trim().strip_suffix('%')?.trim().parse().ok()?;
    (f > 0.0 && f < 100.0).then_some(f / 100.0)
}

/// A value of the model file at `path` (tables, inline tables and arrays by index).
pub fn value_at<'v>(doc: &'v toml::Value, path: &str) -> Option<&'v toml::Value> {
    path.split('.').map(str::trim).try_fold(doc, |v, key| match v {
        toml::Value::Table(t) => t.get(key),
        toml::Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// How a value is written, which decides how it scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Integer,
    Float,
    Rate,
    Duration,
    Bytes,
    Distribution,
}

/// The form and number of a value (a distribution's number is its mean),
/// or `None` when it is not a quantity (a name, a policy, a flag).
fn read(v: &toml::Value) -> Option<(Form, f64)> {
    match v {
        toml::Value::Integer(i) => Some((Form::Integer, *i as f64)),
        toml::Value::Float(f) => Some((Form::Float, *f)),
        toml::Value::String(s) => {
            if let Ok(r) = parse_rate(s) {
                Some((Form::Rate, r))
            } else if let Ok(d) = parse_duration(s) {
                Some((Form::Duration, d))
            } else if let Ok(b) = parse_bytes(s) {
                Some((Form::Bytes, b))
            } else {
                Dist::parse(s).ok().map(|d| (Form::Distribution, d.mean()))
            }
        }
        _ => None,
    }
}

/// `v` scaled by `factor` as the file would write it, with the number it
/// stands for (read back from that text, so rounding is accounted for).
/// An integer moves by at least one.
pub fn scaled(v: &toml::Value, factor: f64) -> Option<(String, f64)> {
    let (form, x) = read(v)?;
    let text = match form {
        Form::Integer => {
            let mut n = (x * factor).round();
            if n == x {
                n = if factor > 1.0 { x + 1.0 } else { x - 1.0 };
            }
            format!("{}", n as i64)
        }
        Form::Float => round_sig6(x * factor),
        Form::Rate => format!("{}/s", round_sig6(x * factor)),
        Form::Duration => format!("{}s", round_sig6(x * factor)),
        Form::Bytes => format!("{}B", round_sig6(x * factor)),
        Form::Distribution => match v {
            toml::Value::String(s) => Dist::parse(s).ok()?.scaled(factor).to_string(),
            _ => return None,
        },
    };
    let number = match form {
        Form::Integer | Form::Float => text.parse::<f64>().ok()?,
        _ => read(&toml::Value::String(text.clone()))?.1,
    };
    Some((text, number))
}

/// The `--set` overrides that keep a branch summing to one when the arm
/// probability at `path` (`….branch.I.p`) becomes `p`: the other arms are
/// rescaled in proportion (with two arms, the other takes 1 − p). No
/// overrides for any other path; `None` when the other arms have no
/// probability to give or take.
pub(super) fn complements(doc: &toml::Value, path: &str, p: f64) -> Option<Vec<String>> {
    let arm = path.strip_suffix(".p").and_then(|arm| arm.rsplit_once('.'));
    let Some((branch, index)) = arm.filter(|(branch, _)| branch.ends_with("branch")) else { return Some(Vec::new()) };
    let (Ok(index), Some(toml::Value::Array(arms))) = (index.parse::<usize>(), value_at(doc, branch)) else {
        return Some(Vec::new());
    };
    let ps: Vec<f64> = arms.iter().map(|a| a.get("p").and_then(number).unwrap_or(0.0)).collect();
    let rest = ps.iter().enumerate().filter(|&(j, _)| j != index).map(|(_, x)| x).sum::<f64>();
    if rest <= 0.0 {
        return None;
    }
    let mut new: Vec<f64> = ps.iter().map(|x| x * (1.0 - p) / rest).collect();
    new[index] = p;
    // The largest other arm takes the rounding, so the sum is one to the last bit the compiler checks.
    let largest = (0..ps.len()).filter(|&j| j != index).max_by(|&a, &b| ps[a].total_cmp(&ps[b]))?;
    new[largest] = 1.0 - new.iter().enumerate().filter(|&(j, _)| j != largest).map(|(_, x)| x).sum::<f64>();
    Some(
        new.iter()
            .enumerate()
            .filter(|&(j, _)| j != index && ps[j] > 0.0)
            .map(|(j, x)| format!("{branch}.{j}.p={x}"))
            .collect(),
    )
}

/// The number a value stands for (a distribution's mean), if it is a quantity.
pub(super) fn number(v: &toml::Value) -> Option<f64> {
    read(v).map(|(_, x)| x)
}

/// The value as `--set` writes it back.
pub(super) fn text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Tables of the model file whose values are not the system's parameters.
const NOT_PARAMETERS: [&str; 2] = ["simulation", "catalog"];

/// Keys whose values name or order things rather than size them.
const NOT_QUANTITIES: [&str; 3] = ["seed", "priority", "replications"];

/// Every positive quantity of the model file (`doc`) outside
/// `[simulation]`, as dotted paths in file order; of a two-arm branch,
/// only the first arm's `p` (the second moves with it).
pub fn candidates(doc: &toml::Value) -> Vec<String> {
    fn walk(v: &toml::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, child) in t {
                    if (path.is_empty() && NOT_PARAMETERS.contains(&k.as_str())) || NOT_QUANTITIES.contains(&k.as_str())
                    {
                        continue;
                    }
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            toml::Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    path.push(i.to_string());
                    walk(child, path, out);
                    path.pop();
                }
            }
            leaf => {
                if number(leaf).is_some_and(|x| x > 0.0 && x.is_finite()) {
                    out.push(path.join("."));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut Vec::new(), &mut out);
    // A two-arm branch has one parameter: its second arm mirrors the first.
    out.retain(|path| {
        let second = path.strip_suffix(".1.p").filter(|branch| branch.ends_with("branch"));
        !second.is_some_and(|branch| matches!(value_at(doc, branch), Some(toml::Value::Array(a)) if a.len() == 2))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_every_way_people_write_them() {
        assert_eq!(parse_range("±20%"), Some(0.2));
        assert_eq!(parse_range("+-10%"), Some(0.1));
        assert_eq!(parse_range(" 5% "), Some(0.05));
        assert_eq!(parse_range("20"), None);
        assert_eq!(parse_range("±150%"), None);
        assert_eq!(Vary::parse("workload.web.rate=+-10%").unwrap().path, "workload.web.rate");
        assert!(Vary::parse("workload.web.rate").is_err());
    }

    #[test]
    fn values_scale_in_their_own_form() {
        let s = |v: toml::Value, f: f64| scaled(&v, f).unwrap();
        assert_eq!(s(toml::Value::Integer(4), 1.1), ("5".into(), 5.0), "an integer moves by at least one");
        assert_eq!(s(toml::Value::Integer(10), 0.8), ("8".into(), 8.0));
        assert_eq!(s(toml::Value::String("900/s".into()), 1.1), ("990/s".into(), 990.0));
        assert_eq!(s(toml::Value::String("25ms".into()), 1.2).0, "0.03s");
        let (text, mean) = s(toml::Value::String("lognormal(mean = 25ms, cv = 0.5)".into()), 1.2);
        assert!((mean - 0.03).abs() < 1e-12, "{text}");
        assert!((Dist::parse(&text).unwrap().cv() - 0.5).abs() < 1e-9, "the shape is kept: {text}");
        assert!(scaled(&toml::Value::String("round_robin".into()), 1.2).is_none());
    }

    #[test]
    fn an_arm_probability_moves_with_its_siblings() {
        let doc: toml::Value = toml::from_str(
            "[a]\nsteps = [{ branch = [{ p = 0.5 }, { p = 0.3 }, { p = 0.2 }] }, { branch = [{ p = 1 }] }]",
        )
        .unwrap();
        let set = complements(&doc, "a.steps.0.branch.0.p", 0.6).expect("siblings to rescale");
        let value = |k: usize| set[k].rsplit_once('=').unwrap().1.parse::<f64>().unwrap();
        assert_eq!(set.len(), 2);
        assert!(set[0].starts_with("a.steps.0.branch.1.p=") && set[1].starts_with("a.steps.0.branch.2.p="));
        // 0.4 left, shared 3:2.
        assert!((value(0) - 0.24).abs() < 1e-12 && (value(1) - 0.16).abs() < 1e-12, "{set:?}");
        assert!((0.6 + value(0) + value(1) - 1.0).abs() < 1e-15);
        assert_eq!(complements(&doc, "a.steps.1.branch.0.p", 0.9), None, "a lone arm has no sibling to take the rest");
        assert_eq!(complements(&doc, "a.steps.0.demand", 0.9), Some(Vec::new()));
    }

    #[test]
    fn candidates_are_the_quantities_outside_simulation() {
        let doc: toml::Value = toml::from_str(
            "[simulation]\nduration = \"60s\"\nseed = 1\n[workload.w]\ntarget = \"a.b\"\nrate = \"9/s\"\n[services.a]\ninstances = 2\nbalance = \"random\"\n[services.a.ops.b]\ndemand = \"exp(1ms)\"\nsteps = [{ branch = [{ p = 0.5 }, { p = 0.5 }] }]\n",
        )
        .unwrap();
        assert_eq!(
            candidates(&doc),
            [
                "workload.w.rate",
                "services.a.instances",
                "services.a.ops.b.demand",
                "services.a.ops.b.steps.0.branch.0.p",
            ]
        );
    }
}
