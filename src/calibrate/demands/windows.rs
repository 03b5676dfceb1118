//! The windows file: columns recognised by prefix (`rate:`, `util:`,
//! `busy:`, `cores:`), values checked and located, and each service's busy
//! cores per window (utilisation times its cores, from a column, a flag or
//! the model).

use std::path::Path;

use crate::calibrate::input::{InputError, Row, Table};
use crate::model::Network;

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
