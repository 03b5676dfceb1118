//! What `capsim demands` prints: the aligned tables and the lines to paste
//! into a model.

use super::{Demands, Per};
use crate::format::sig3;
use crate::model::Network;

/// The lines to paste into a model. Utilisation data say nothing of a
/// demand's shape, so the lines say `exp` and point to `capsim fit`. With
/// the model, each line names the operation to edit and is multiplied by the
/// service's speed (a model's demands are at speed 1, and the measured
/// machines ran at the service's speed).
pub fn model_lines(d: &Demands, model: Option<&Network>) -> Vec<String> {
    let mut lines = vec![
        "# Mean CPU demands from the utilisation law; their shape is not in utilisation data:".to_string(),
        "# measure durations and use `capsim fit` for it, or keep exp.".to_string(),
    ];
    for s in &d.services {
        let speed = model.and_then(|net| net.services.iter().find(|k| k.name == s.name)).map_or(1.0, |k| k.speed);
        for c in &s.demands {
            let range = match (c.ci95_low_s, c.ci95_high_s) {
                (Some(lo), Some(hi)) => {
                    format!("95%: {} to {}", paste_duration(lo * speed), paste_duration(hi * speed))
                }
                _ => "no interval: not separable".to_string(),
            };
            if s.per == Per::Visit {
                let op = c.name.rsplit_once('.').map_or(c.name.as_str(), |(_, op)| op);
                lines.push(format!("[services.{}.ops.{op}]  # {range} per visit", s.name));
                lines.push(format!("demand = \"exp(mean={})\"", paste_duration(c.demand_s * speed)));
                continue;
            }
            match model.and_then(|net| place(net, &c.name, &s.name)) {
                Some(Placement::One { op, visits }) => {
                    let note = if visits == 1.0 {
                        String::new()
                    } else {
                        format!(" over {} visits", crate::format::whole_or_sig3(visits))
                    };
                    lines
                        .push(format!("[services.{}.ops.{op}]  # class {}: {range} per request{note}", s.name, c.name));
                    lines.push(format!("demand = \"exp(mean={})\"", paste_duration(c.demand_s * speed / visits)));
                }
                Some(Placement::Several(ops)) => lines.push(format!(
                    "# class {} at {}: {} per request ({range}), spread over ops {}: split it by what you know",
                    c.name,
                    s.name,
                    paste_duration(c.demand_s * speed),
                    ops.join(", ")
                )),
                None => {
                    lines.push(format!("# service {}, class {}: {range} per request", s.name, c.name));
                    lines.push(format!("demand = \"exp(mean={})\"", paste_duration(c.demand_s)));
                }
            }
        }
    }
    lines
}

/// Where a class's demand at a service goes in the model.
enum Placement {
    /// One operation, visited `visits` times per request.
    One { op: String, visits: f64 },
    /// Several operations: only their total is known.
    Several(Vec<String>),
}

fn place(net: &Network, class: &str, service: &str) -> Option<Placement> {
    let c = net.classes.iter().position(|k| k.name == class)?;
    let s = net.services.iter().find(|k| k.name == service)?;
    let ops: Vec<u32> = s.ops.clone().filter(|&o| net.visits[c][o as usize] > 0.0).collect();
    let short = |o: u32| net.ops[o as usize].name.rsplit_once('.').map_or(String::new(), |(_, op)| op.to_string());
    match ops.as_slice() {
        [] => None,
        [o] => Some(Placement::One { op: short(*o), visits: net.visits[c][*o as usize] }),
        many => Some(Placement::Several(many.iter().map(|&o| short(o)).collect())),
    }
}

/// The estimates as aligned tables for a terminal.
pub fn render_table(d: &Demands) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "Demands from {} windows of {}", d.windows, d.source);
    let _ = writeln!(out, "method: {}", d.method);
    for s in &d.services {
        let cores = s.cores.map_or(String::new(), |c| format!("{} cores, ", crate::format::whole_or_sig3(c)));
        let _ = writeln!(
            out,
            "\nservice {} ({cores}R² {}, residual sd {} busy cores)",
            s.name,
            if s.r_squared.is_finite() { format!("{:.3}", s.r_squared) } else { "n/a".into() },
            sig3(s.residual_sd_cores)
        );
        let rows: Vec<[String; 5]> = s
            .demands
            .iter()
            .map(|c| {
                [
                    c.name.clone(),
                    crate::format::format_duration(c.demand_s),
                    c.ci95_low_s.map_or("n/a".into(), crate::format::format_duration),
                    c.ci95_high_s.map_or("n/a".into(), crate::format::format_duration),
                    c.vif.map_or("inf".into(), sig3) + if c.at_bound { "  at 0" } else { "" },
                ]
            })
            .collect();
        let head = match s.per {
            Per::Request => ["class", "per request", "95% low", "95% high", "VIF"],
            Per::Visit => ["operation", "per visit", "95% low", "95% high", "VIF"],
        };
        let width: Vec<usize> = (0..5)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([head[i].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: [&str; 5]| {
            let mut l = format!("  {:<w$}", cells[0], w = width[0]);
            for i in 1..5 {
                let _ = write!(l, "  {:>w$}", cells[i], w = width[i]);
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(head));
        for r in &rows {
            let _ = writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
        }
    }
    for w in &d.warnings {
        let _ = writeln!(out, "\nwarning: {w}");
    }
    out
}

/// A duration as a model file writes it, to three significant digits: `15.2ms`.
pub fn paste_duration(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{}s", sig3(seconds))
    } else if seconds >= 1e-3 {
        format!("{}ms", sig3(seconds * 1e3))
    } else {
        format!("{}us", sig3(seconds * 1e6))
    }
}
