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

use std::path::Path;

use serde::Serialize;

use super::input::{InputError, Row, Table};
use crate::format::sig3;
use crate::model::Network;
use crate::stats::student_t_quantile;

/// A variance inflation factor above this means a class's rate is largely a
/// combination of the others': its demand is poorly separated from theirs.
pub const VIF_WARNING: f64 = 10.0;

/// Fewer windows per estimated demand than this draws a warning: intervals
/// from a handful of windows are wide and rest on the noise being normal.
pub const WINDOWS_PER_DEMAND: usize = 5;

/// The windows as read: per window, each class's throughput and each
/// service's busy cores.
#[derive(Debug, Clone)]
pub struct Windows {
    /// The file they came from.
    pub file: String,
    /// Class names, in column order.
    pub classes: Vec<String>,
    /// Per window (row), per class: throughput \[1/s\].
    pub rates: Vec<Vec<f64>>,
    /// Per service: its name, how its busy cores were obtained, and per window its busy cores.
    pub services: Vec<ServiceWindows>,
}

/// One service's measurements.
#[derive(Debug, Clone)]
pub struct ServiceWindows {
    /// Service name, as the column names it.
    pub name: String,
    /// Per window: busy cores (utilisation times cores, or measured directly).
    pub busy: Vec<f64>,
    /// Cores, when constant over the windows (for the report).
    pub cores: Option<f64>,
}

/// Where a service's cores come from when the file has no `cores:` column.
#[derive(Debug, Clone, Default)]
pub struct CoresSource<'a> {
    /// `--cores SERVICE=N` flags.
    pub flags: Vec<(String, f64)>,
    /// A model: cores x instances of the service (fixed fleets only).
    pub model: Option<&'a Network>,
}

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

/// Reads the windows file and resolves each service's cores.
pub fn read_windows(path: &Path, cores: &CoresSource) -> Result<Windows, InputError> {
    let table = Table::read(path)?;
    windows_from_table(&table, cores)
}

/// What a column holds, by its prefix.
enum Column<'a> {
    Rate(&'a str),
    Util(&'a str),
    Busy(&'a str),
    Cores(&'a str),
    /// A `prefix:name` column with a prefix this command does not know: a typo.
    Unknown,
    /// A column without a prefix (a timestamp, a label): ignored.
    Other,
}

fn column_kind(name: &str) -> Column<'_> {
    let Some((prefix, rest)) = name.split_once(':') else { return Column::Other };
    let rest = rest.trim();
    match prefix.trim().to_ascii_lowercase().as_str() {
        "rate" | "throughput" => Column::Rate(rest),
        "util" | "utilisation" | "utilization" => Column::Util(rest),
        "busy" => Column::Busy(rest),
        "cores" => Column::Cores(rest),
        _ => Column::Unknown,
    }
}

const COLUMNS_HINT: &str = "columns: rate:CLASS (requests/s), util:SERVICE (0.63 or 63%) or busy:SERVICE (busy cores), \
                            and cores:SERVICE or --cores SERVICE=N";

/// Builds the windows from a table already read.
pub fn windows_from_table(table: &Table, cores: &CoresSource) -> Result<Windows, InputError> {
    let file = table.file.display().to_string();
    let mut classes = Vec::new();
    let mut rate_cols = Vec::new();
    let mut util_cols: Vec<(String, usize, bool)> = Vec::new();
    let mut cores_cols: Vec<(String, usize)> = Vec::new();
    for (i, h) in table.header.iter().enumerate() {
        match column_kind(h) {
            Column::Rate(c) => {
                classes.push(c.to_string());
                rate_cols.push(i);
            }
            Column::Util(s) => util_cols.push((s.to_string(), i, false)),
            Column::Busy(s) => util_cols.push((s.to_string(), i, true)),
            Column::Cores(s) => cores_cols.push((s.to_string(), i)),
            Column::Unknown => {
                return Err(InputError::in_file(&table.file, format!("unknown column `{h}`"))
                    .at_line(table.header_line)
                    .with_key(h.clone())
                    .with_hint(COLUMNS_HINT));
            }
            Column::Other => {}
        }
    }
    let header_error =
        |msg: String| InputError::in_file(&table.file, msg).at_line(table.header_line).with_hint(COLUMNS_HINT);
    if classes.is_empty() {
        return Err(header_error("no `rate:CLASS` column: the demands are per class".into()));
    }
    if util_cols.is_empty() {
        return Err(header_error("no `util:SERVICE` or `busy:SERVICE` column: nothing to explain".into()));
    }
    for (name, _, _) in &util_cols {
        if util_cols.iter().filter(|(n, _, _)| n == name).count() > 1 {
            return Err(header_error(format!("service `{name}` has more than one util/busy column")));
        }
    }
    for (name, _) in &cores_cols {
        if !util_cols.iter().any(|(n, _, _)| n == name) {
            return Err(header_error(format!("`cores:{name}` has no `util:{name}` column beside it")));
        }
    }
    if let Some(net) = cores.model {
        for c in &classes {
            if !net.classes.iter().any(|k| &k.name == c) {
                let known: Vec<&str> = net.classes.iter().map(|k| k.name.as_str()).collect();
                return Err(header_error(format!("the model has no class `{c}`"))
                    .with_hint(format!("the model's classes: {}", known.join(", "))));
            }
        }
        for (s, _, _) in &util_cols {
            if !net.services.iter().any(|k| &k.name == s) {
                let known: Vec<&str> = net.services.iter().map(|k| k.name.as_str()).collect();
                return Err(header_error(format!("the model has no service `{s}`"))
                    .with_hint(format!("the model's services: {}", known.join(", "))));
            }
        }
    }

    let rates = table
        .rows
        .iter()
        .map(|row| rate_cols.iter().map(|&c| rate_value(table, row, c)).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;

    let mut services = Vec::new();
    for (name, col, is_busy) in &util_cols {
        let cores_col = cores_cols.iter().find(|(n, _)| n == name).map(|&(_, c)| c);
        let fixed_cores = if is_busy.to_owned() || cores_col.is_some() {
            None
        } else {
            Some(fixed_cores(name, cores).ok_or_else(|| {
                header_error(format!("no cores for service `{name}`: utilisation is a share of its cores"))
                    .with_key(format!("util:{name}"))
                    .with_hint(format!(
                        "add a `cores:{name}` column, pass --cores {name}=N (all instances' cores), \
                         give --model, or measure busy cores in a `busy:{name}` column"
                    ))
            })?)
        };
        let mut busy = Vec::with_capacity(table.rows.len());
        let mut seen_cores: Option<f64> = fixed_cores;
        let mut constant = true;
        for row in &table.rows {
            let value = if *is_busy {
                let v = table.number(row, *col)?;
                if v < 0.0 {
                    return Err(table.error_at(row, *col, "busy cores cannot be negative"));
                }
                v
            } else {
                let u = utilisation_value(table, row, *col)?;
                let c = match cores_col {
                    Some(cc) => {
                        let c = table.number(row, cc)?;
                        if c <= 0.0 {
                            return Err(table.error_at(row, cc, "cores must be positive"));
                        }
                        if seen_cores.is_some_and(|s| s != c) {
                            constant = false;
                        }
                        seen_cores = Some(c);
                        c
                    }
                    None => fixed_cores.expect("resolved above"),
                };
                u * c
            };
            busy.push(value);
        }
        services.push(ServiceWindows { name: name.clone(), busy, cores: seen_cores.filter(|_| constant) });
    }
    Ok(Windows { file, classes, rates, services })
}

fn rate_value(table: &Table, row: &Row, col: usize) -> Result<f64, InputError> {
    let text = row.fields[col].as_str();
    let v = if text.contains('/') {
        crate::units::parse_rate(text).map_err(|e| table.error_at(row, col, e.to_string()))?
    } else {
        table.number(row, col)?
    };
    if v < 0.0 {
        return Err(table.error_at(row, col, "a throughput cannot be negative"));
    }
    Ok(v)
}

fn utilisation_value(table: &Table, row: &Row, col: usize) -> Result<f64, InputError> {
    let text = row.fields[col].as_str();
    let (v, percent) = match text.strip_suffix('%') {
        Some(num) => match num.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => (v / 100.0, true),
            _ => return Err(table.error_at(row, col, format!("`{text}` is not a percentage"))),
        },
        None => (table.number(row, col)?, false),
    };
    if v < 0.0 {
        return Err(table.error_at(row, col, "a utilisation cannot be negative"));
    }
    if v > 1.0 && !percent {
        return Err(table
            .error_at(row, col, format!("utilisation {text} is above 1"))
            .with_hint(format!("write a fraction of the cores (0.63) or a percentage ({text}%)")));
    }
    Ok(v)
}

fn fixed_cores(service: &str, cores: &CoresSource) -> Option<f64> {
    if let Some((_, n)) = cores.flags.iter().find(|(s, _)| s == service) {
        return Some(*n);
    }
    let net = cores.model?;
    let s = net.services.iter().find(|s| s.name == service)?;
    // Monitoring measures a share of the machine's cores, not of the cores
    // its threads can use.
    s.autoscale.is_none().then(|| f64::from(s.cores) * f64::from(s.instances))
}

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
    let p = ops.len();
    let mut g = vec![vec![0.0; p]; p];
    for row in &a {
        for i in 0..p {
            for j in 0..p {
                g[i][j] += row[i] * row[j];
            }
        }
    }
    let norms: Vec<f64> = (0..p).map(|j| g[j][j].sqrt()).collect();
    if norms.contains(&0.0) {
        return None;
    }
    let scaled: Vec<Vec<f64>> = (0..p).map(|i| (0..p).map(|j| g[i][j] / (norms[i] * norms[j])).collect()).collect();
    invert(&scaled)?;
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

/// A non-negative least-squares fit and its uncertainty.
#[derive(Debug, Clone)]
struct Regression {
    demand: Vec<f64>,
    at_bound: Vec<bool>,
    se: Vec<Option<f64>>,
    vif: Vec<Option<f64>>,
    /// Student's t quantile for the 95% interval.
    t: f64,
    r_squared: f64,
    residual_sd: f64,
}

/// Fits `b ≈ A d` with `d ≥ 0`. Standard errors are OLS's on the free
/// demands (σ² (A_PᵀA_P)⁻¹, σ² from the residuals with n − |P| degrees of
/// freedom); a demand at the bound gets the standard error it would have if
/// it were free, so its interval \[0, t·se\] says how large it could be.
fn regress(a: &[Vec<f64>], b: &[f64]) -> Regression {
    let n = a.len();
    let p = a[0].len();
    let mut g = vec![vec![0.0; p]; p];
    let mut h = vec![0.0; p];
    for (row, &y) in a.iter().zip(b) {
        for i in 0..p {
            h[i] += row[i] * y;
            for j in 0..p {
                g[i][j] += row[i] * row[j];
            }
        }
    }
    let d = nnls(&g, &h);
    let free: Vec<usize> = (0..p).filter(|&j| d[j] > 0.0).collect();
    let rss: f64 = a.iter().zip(b).map(|(row, &y)| (y - dot(row, &d)).powi(2)).sum();
    let dof = n.saturating_sub(free.len()).max(1);
    let sigma2 = rss / dof as f64;
    let mean_b = b.iter().sum::<f64>() / n as f64;
    let tss: f64 = b.iter().map(|y| (y - mean_b).powi(2)).sum();
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { f64::NAN };

    let mut se = vec![None; p];
    let sub =
        |idx: &[usize]| -> Vec<Vec<f64>> { idx.iter().map(|&i| idx.iter().map(|&j| g[i][j]).collect()).collect() };
    if let Some(inv) = invert(&sub(&free)) {
        for (k, &j) in free.iter().enumerate() {
            se[j] = Some((sigma2 * inv[k][k]).sqrt());
        }
    }
    // A bound demand's standard error: as if freed, beside the free ones.
    for j in (0..p).filter(|j| !free.contains(j)) {
        let mut idx = free.clone();
        idx.push(j);
        if let Some(inv) = invert(&sub(&idx)) {
            se[j] = Some((sigma2 * inv[idx.len() - 1][idx.len() - 1]).sqrt());
        }
    }
    // Uncentred variance inflation: the diagonal of the inverse of AᵀA with
    // its columns scaled to unit length (1 for orthogonal columns).
    let norms: Vec<f64> = (0..p).map(|j| g[j][j].sqrt()).collect();
    let scaled: Vec<Vec<f64>> =
        (0..p).map(|i| (0..p).map(|j| g[i][j] / (norms[i] * norms[j]).max(f64::MIN_POSITIVE)).collect()).collect();
    let vif = match invert(&scaled) {
        Some(inv) if norms.iter().all(|&x| x > 0.0) => (0..p).map(|j| Some(inv[j][j])).collect(),
        _ => vec![None; p],
    };
    Regression {
        at_bound: d.iter().map(|&x| x == 0.0).collect(),
        demand: d,
        se,
        vif,
        t: student_t_quantile(0.975, dof),
        r_squared,
        residual_sd: sigma2.sqrt(),
    }
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Lawson and Hanson's active-set NNLS on the normal equations: minimises
/// ½ dᵀGd − hᵀd subject to d ≥ 0 (G = AᵀA, h = Aᵀb).
fn nnls(g: &[Vec<f64>], h: &[f64]) -> Vec<f64> {
    let p = h.len();
    let scale = h.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
    let tol = 1e-12 * scale;
    let mut d = vec![0.0; p];
    let mut free = vec![false; p];
    let gradient = |d: &[f64]| -> Vec<f64> { (0..p).map(|i| h[i] - dot(&g[i], d)).collect() };
    for _ in 0..3 * p + 10 {
        let w = gradient(&d);
        let Some(j) = (0..p).filter(|&j| !free[j] && w[j] > tol).max_by(|&x, &y| w[x].total_cmp(&w[y])) else {
            break;
        };
        free[j] = true;
        loop {
            let idx: Vec<usize> = (0..p).filter(|&i| free[i]).collect();
            let sub: Vec<Vec<f64>> = idx.iter().map(|&i| idx.iter().map(|&k| g[i][k]).collect()).collect();
            let rhs: Vec<f64> = idx.iter().map(|&i| h[i]).collect();
            let Some(s) = solve(&sub, &rhs) else {
                // The new column is a combination of the free ones: leave it out.
                free[j] = false;
                break;
            };
            if s.iter().all(|&x| x > 0.0) {
                for (k, &i) in idx.iter().enumerate() {
                    d[i] = s[k];
                }
                break;
            }
            // Step from d towards s until the first free demand reaches 0.
            let alpha = idx
                .iter()
                .zip(&s)
                .filter(|&(_, &si)| si <= 0.0)
                .map(|(&i, &si)| d[i] / (d[i] - si))
                .fold(f64::INFINITY, f64::min);
            for (k, &i) in idx.iter().enumerate() {
                d[i] += alpha * (s[k] - d[i]);
                if d[i] <= 1e-15 * scale.max(1.0) {
                    d[i] = 0.0;
                    free[i] = false;
                }
            }
        }
    }
    d
}

/// Solves `m x = r` by Gaussian elimination with partial pivoting; `None`
/// when `m` is singular to working precision.
fn solve(m: &[Vec<f64>], r: &[f64]) -> Option<Vec<f64>> {
    let n = r.len();
    let mut a: Vec<Vec<f64>> = m.iter().zip(r).map(|(row, &x)| row.iter().copied().chain([x]).collect()).collect();
    let size = m.iter().flatten().fold(0.0f64, |s, x| s.max(x.abs()));
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * size {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

/// The inverse of a small symmetric matrix, column by column.
fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let cols: Option<Vec<Vec<f64>>> =
        (0..n).map(|j| solve(m, &(0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect::<Vec<_>>())).collect();
    let cols = cols?;
    Some((0..n).map(|i| (0..n).map(|j| cols[j][i]).collect()).collect())
}

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

    #[test]
    fn nnls_matches_a_hand_solved_case() {
        // G = I, h = (1, -1): the unconstrained optimum (1, -1) projects to (1, 0).
        let d = nnls(&[vec![1.0, 0.0], vec![0.0, 1.0]], &[1.0, -1.0]);
        assert_eq!(d, [1.0, 0.0]);
    }
}
