//! `capsim demands`: CPU demand per class and service from monitoring
//! windows, when only throughputs and utilisations are known (the usual case).
//!
//! The utilisation law says that in each window the busy cores of a service
//! are the sum over classes of throughput times demand: `U_k C_k = Σ_c X_c D_ck`.
//! With one row per window this is a linear regression per service, solved
//! here by non-negative least squares (Lawson and Hanson's active-set method:
//! a demand is never negative) with ordinary least squares' standard errors
//! on the demands left free, Student's t intervals, R², and warnings when the
//! data cannot separate the classes (their rates move together: a large
//! variance inflation factor) or when there are few windows per class. This
//! is the "utilisation-based regression" of JMT's and LINE's demand
//! estimators. Given the model (`--model`), the unknowns become the demands
//! of the service's operations per visit, with each window's operation
//! throughputs derived from the class rates and the model's visits; this
//! separates operations that several classes share and writes lines that
//! paste straight into the model.
//!
//! Input columns (one row per window, any order, case-insensitive):
//! `rate:CLASS` (requests per second, or a rate with a unit such as `12/s`),
//! `util:SERVICE` (a fraction `0.63` or a percentage `63%` of the service's
//! cores) or `busy:SERVICE` (busy cores, e.g. from
//! `rate(process_cpu_seconds_total[1m])`), and `cores:SERVICE` when the
//! cores vary between windows. Other columns (a timestamp) are ignored.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the estimates' types and [`estimate`]: which unknowns (classes or operations), warnings, intervals |
//! | `windows.rs` | reading the windows file: columns, values, each service's busy cores |
//! | `regression.rs` | non-negative least squares, standard errors, variance inflation |
//! | `lines.rs` | the tables and the lines to paste into a model |

use std::path::Path;

use serde::Serialize;

use super::input::InputError;
use crate::format::sig3;
use crate::model::Network;

mod lines;
mod regression;
mod windows;

pub use lines::{model_lines, paste_duration, render_table};
pub use windows::{CoresSource, ServiceWindows, Windows, read_windows, windows_from_table};

use regression::regress;

/// A variance inflation factor above this means a class's rate is largely a
/// combination of the others': its demand is poorly separated from theirs.
pub const VIF_WARNING: f64 = 10.0;

/// Fewer windows per estimated demand than this draws a warning: intervals
/// from a handful of windows are wide and rest on the noise being normal.
pub const WINDOWS_PER_DEMAND: usize = 5;

/// The estimates of every service.
#[derive(Debug, Clone, Serialize)]
pub struct Demands {
    /// The windows file.
    pub source: String,
    /// Number of windows.
    pub windows: usize,
    /// How the estimates were made, in one sentence.
    pub method: &'static str,
    /// Per service.
    pub services: Vec<ServiceDemands>,
    /// What makes the estimates less trustworthy, in sentences.
    pub warnings: Vec<String>,
}

/// One service's regression.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDemands {
    /// Service name.
    pub name: String,
    /// Cores, when constant over the windows.
    pub cores: Option<f64>,
    /// What a demand is per: a request of a class, or a visit to an operation.
    pub per: Per,
    /// Share of the busy cores' variation over windows that the demands explain.
    pub r_squared: f64,
    /// Standard deviation of the residuals \[busy cores\].
    pub residual_sd_cores: f64,
    /// Per class (per request) or per operation (per visit).
    pub demands: Vec<Demand>,
}

/// What the demands of a service are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// CPU seconds per request of a class, at the service (all its visits).
    Request,
    /// CPU seconds per visit to an operation (a model was given).
    Visit,
}

/// One estimated CPU demand.
#[derive(Debug, Clone, Serialize)]
pub struct Demand {
    /// The class, or the operation as `service.op`.
    pub name: String,
    /// Estimated CPU seconds per request or per visit, on the measured machines.
    pub demand_s: f64,
    /// Its standard error (`None` when the data cannot separate it).
    pub se_s: Option<f64>,
    /// Lower end of the 95% interval (never below 0).
    pub ci95_low_s: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci95_high_s: Option<f64>,
    /// Whether the estimate sits at the bound 0 (the data suggest no demand).
    pub at_bound: bool,
    /// Variance inflation factor: how much collinearity with the other
    /// unknowns widens this estimate's interval (1 = none).
    pub vif: Option<f64>,
}

/// The method as the output states it.
const METHOD: &str = "utilisation law per service (busy cores = sum over classes of throughput x demand), \
                      non-negative least squares, 95% intervals from OLS standard errors with Student's t";

/// Estimates every service's demands from the windows.
///
/// With a model, the unknowns are the demands of the service's operations
/// per visit, and each window's operation throughputs follow from the class
/// rates and the model's visits per request (so a shared operation gets one
/// demand, and an operation several classes reach is separated from the
/// others). When the operations outnumber what the windows can separate,
/// or without a model, the unknowns are each class's demand per request.
pub fn estimate(w: &Windows, model: Option<&Network>) -> Result<Demands, InputError> {
    let n = w.rates.len();
    let mut warnings = Vec::new();
    let mut services = Vec::new();
    for s in &w.services {
        if let Some(net) = model {
            warnings.extend(unmeasured_classes(net, w, &s.name));
        }
        let (per, names, a) = match model.and_then(|net| by_operation(net, w, &s.name)) {
            Some((names, a)) => (Per::Visit, names, a),
            None => {
                // With a model, a class whose requests never reach the service
                // has no demand there: leaving it out sharpens the others.
                let classes: Vec<usize> =
                    (0..w.classes.len()).filter(|&c| visits(model, &w.classes[c], &s.name)).collect();
                let a = w.rates.iter().map(|r| classes.iter().map(|&c| r[c]).collect()).collect();
                (Per::Request, classes.iter().map(|&c| w.classes[c].clone()).collect(), a)
            }
        };
        let p = names.len();
        if p == 0 {
            warnings.push(format!("no class of the model reaches service `{}`: nothing to estimate", s.name));
            continue;
        }
        let what = match per {
            Per::Request => "class",
            Per::Visit => "operation",
        };
        if n <= p {
            return Err(InputError::in_file(
                Path::new(&w.file),
                format!(
                    "{n} window(s) for {p} {what} demand(s) at service `{}`: the demands are underdetermined",
                    s.name
                ),
            )
            .with_hint(format!(
                "give at least {} windows, and better {} or more",
                p + 1,
                WINDOWS_PER_DEMAND * p
            )));
        }
        if n < WINDOWS_PER_DEMAND * p {
            warnings.push(format!(
                "service `{}`: {n} windows for {p} demand(s); with fewer than {} the intervals rest on few degrees of freedom",
                s.name,
                WINDOWS_PER_DEMAND * p
            ));
        }
        for (j, name) in names.iter().enumerate() {
            if a.iter().all(|r: &Vec<f64>| r[j] == 0.0) {
                warnings.push(format!(
                    "{what} `{name}` has no throughput in any window: its demand at `{}` cannot be estimated",
                    s.name
                ));
            }
        }
        let fit = regress(&a, &s.busy);
        let mut demands = Vec::new();
        for (j, name) in names.iter().enumerate() {
            let vif = fit.vif[j];
            if vif.is_none_or(|v| v > VIF_WARNING) && a.iter().any(|r| r[j] != 0.0) {
                let others: Vec<&str> =
                    names.iter().enumerate().filter(|&(k, _)| k != j).map(|(_, o)| o.as_str()).collect();
                warnings.push(format!(
                    "service `{}`: the throughput of {what} `{name}` moves together with {} (variance inflation {}): \
                     their demands cannot be told apart well; add windows where the mix of classes differs",
                    s.name,
                    if others.is_empty() { "the others".to_string() } else { others.join(", ") },
                    vif.map_or("infinite".to_string(), sig3)
                ));
            }
            let half = fit.se[j].map(|se| fit.t * se);
            demands.push(Demand {
                name: name.clone(),
                demand_s: fit.demand[j],
                se_s: fit.se[j],
                ci95_low_s: half.map(|h| (fit.demand[j] - h).max(0.0)),
                ci95_high_s: half.map(|h| fit.demand[j] + h),
                at_bound: fit.at_bound[j],
                vif,
            });
        }
        services.push(ServiceDemands {
            name: s.name.clone(),
            cores: s.cores,
            per,
            r_squared: fit.r_squared,
            residual_sd_cores: fit.residual_sd,
            demands,
        });
    }
    Ok(Demands { source: w.file.clone(), windows: n, method: METHOD, services, warnings })
}

/// The service's operations as unknowns: their names (`service.op`) and
/// per window their throughputs (class rates times visits per request);
/// `None` when the windows cannot separate them (as many operations as
/// windows, or operations whose throughputs are proportional).
fn by_operation(net: &Network, w: &Windows, service: &str) -> Option<(Vec<String>, Vec<Vec<f64>>)> {
    let s = net.services.iter().find(|k| k.name == service)?;
    let classes: Vec<(usize, usize)> = w
        .classes
        .iter()
        .enumerate()
        .filter_map(|(i, name)| net.classes.iter().position(|k| &k.name == name).map(|c| (i, c)))
        .collect();
    let ops: Vec<u32> =
        s.ops.clone().filter(|&o| classes.iter().any(|&(_, c)| net.visits[c][o as usize] > 0.0)).collect();
    if ops.is_empty() || ops.len() >= w.rates.len() {
        return None;
    }
    let a: Vec<Vec<f64>> = w
        .rates
        .iter()
        .map(|r| ops.iter().map(|&o| classes.iter().map(|&(i, c)| r[i] * net.visits[c][o as usize]).sum()).collect())
        .collect();
    regression::variance_inflation(&regression::gram(&a))?;
    Some((ops.iter().map(|&o| net.ops[o as usize].name.clone()).collect(), a))
}

/// Classes of the model that reach the service but have no rate column:
/// their CPU is then attributed to the measured classes.
fn unmeasured_classes(net: &Network, w: &Windows, service: &str) -> Vec<String> {
    let Some(s) = net.services.iter().find(|k| k.name == service) else { return Vec::new() };
    net.classes
        .iter()
        .enumerate()
        .filter(|(c, k)| !w.classes.contains(&k.name) && s.ops.clone().any(|o| net.visits[*c][o as usize] > 0.0))
        .map(|(_, k)| {
            format!(
                "class `{}` of the model reaches `{service}` but the windows have no `rate:{}` column: \
                 its CPU is counted in the other classes' demands",
                k.name, k.name
            )
        })
        .collect()
}

/// Whether requests of `class` can reach `service` (true without a model).
fn visits(model: Option<&Network>, class: &str, service: &str) -> bool {
    let Some(net) = model else { return true };
    let (Some(c), Some(s)) =
        (net.classes.iter().position(|k| k.name == class), net.services.iter().position(|k| k.name == service))
    else {
        return true;
    };
    net.services[s].ops.clone().any(|o| net.visits[c][o as usize] > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(rates: Vec<Vec<f64>>, busy: Vec<f64>) -> Windows {
        Windows {
            file: "w.csv".into(),
            classes: (0..rates[0].len()).map(|c| format!("c{c}")).collect(),
            rates,
            services: vec![ServiceWindows { name: "api".into(), busy, cores: Some(4.0) }],
        }
    }

    #[test]
    fn exact_data_give_the_demands_back() {
        let rates = vec![vec![10.0, 1.0], vec![20.0, 5.0], vec![5.0, 8.0], vec![12.0, 3.0]];
        let busy = rates.iter().map(|r| r[0] * 0.015 + r[1] * 0.040).collect();
        let d = estimate(&windows(rates, busy), None).unwrap();
        let c = &d.services[0].demands;
        assert!((c[0].demand_s - 0.015).abs() < 1e-12 && (c[1].demand_s - 0.040).abs() < 1e-12, "{c:?}");
        assert!(c[0].se_s.unwrap() < 1e-9);
        assert!((d.services[0].r_squared - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_demand_that_would_be_negative_sits_at_zero() {
        // Busy cores fall as class 1's rate rises: OLS would say its demand is
        // negative; NNLS puts it at 0 and fits class 0 alone.
        let rates = vec![vec![10.0, 0.0], vec![10.0, 10.0], vec![20.0, 0.0], vec![20.0, 10.0]];
        let busy = vec![0.20, 0.15, 0.40, 0.35];
        let d = estimate(&windows(rates, busy), None).unwrap();
        let c = &d.services[0].demands;
        assert_eq!(c[1].demand_s, 0.0);
        assert!(c[1].at_bound && c[1].ci95_low_s == Some(0.0) && c[1].ci95_high_s.unwrap() > 0.0, "{c:?}");
        // With class 1 at 0 the least-squares demand of class 0 is Σxy/Σx².
        let expected = (10.0 * 0.20 + 10.0 * 0.15 + 20.0 * 0.40 + 20.0 * 0.35) / (2.0 * 100.0 + 2.0 * 400.0);
        assert!((c[0].demand_s - expected).abs() < 1e-12, "{} vs {expected}", c[0].demand_s);
    }

    #[test]
    fn classes_whose_rates_move_together_are_flagged() {
        let rates: Vec<Vec<f64>> = (1..=12).map(|i| vec![i as f64, 2.0 * i as f64 + 0.01 * (i % 3) as f64]).collect();
        let busy = rates.iter().map(|r| r[0] * 0.01 + r[1] * 0.02).collect();
        let d = estimate(&windows(rates, busy), None).unwrap();
        assert!(d.warnings.iter().any(|w| w.contains("moves together")), "{:?}", d.warnings);
    }

    #[test]
    fn fewer_windows_than_demands_is_refused() {
        let err = estimate(&windows(vec![vec![1.0, 2.0], vec![2.0, 1.0]], vec![0.1, 0.1]), None).unwrap_err();
        assert!(err.to_string().contains("underdetermined"), "{err}");
    }
}
