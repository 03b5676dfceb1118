//! The neutral CSV: one row per load level, the load in `load_per_s` (an
//! open test) or `users` (a closed one), then any subset of
//! `throughput_per_s`, `mean_s`, `p50_s`, `p95_s`, `p99_s` (or `..._ms`),
//! `error_ratio` and `util:SERVICE`. An empty cell is a value not measured.
//!
//! Units: a bare number takes the unit its column names (seconds for `_s`,
//! milliseconds for `_ms`, requests per second, fractions); a value may also
//! carry its own (`12ms`, `900/s`, `62%`).

use crate::calibrate::InputError;
use crate::calibrate::input::{Row, Table, duration_value};
use crate::units::parse_rate;

use super::{Context, Level, LoadKind, Metric, Origin, fraction, positive};

/// What a column holds.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Load(LoadKind),
    Metric(Metric, Unit),
}

/// How a column's bare numbers are read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Rate,
    Seconds,
    Millis,
    Fraction,
}

/// The known columns, for the hint on an unknown one.
const KNOWN: &str = "load_per_s or users, then any of throughput_per_s, mean_s, p50_s, p95_s, p99_s (or mean_ms, p50_ms, ...), error_ratio, util:SERVICE";

fn column(name: &str) -> Option<Column> {
    let lower = name.to_ascii_lowercase();
    let latency = |base: &str| match base {
        "mean" => Some(Metric::Mean),
        "p50" => Some(Metric::P50),
        "p95" => Some(Metric::P95),
        "p99" => Some(Metric::P99),
        _ => None,
    };
    Some(match lower.as_str() {
        "load_per_s" => Column::Load(LoadKind::Rate),
        "users" => Column::Load(LoadKind::Users),
        "throughput_per_s" => Column::Metric(Metric::Throughput, Unit::Rate),
        "error_ratio" => Column::Metric(Metric::ErrorRatio, Unit::Fraction),
        _ => {
            if let Some(service) = name.strip_prefix("util:").or_else(|| name.strip_prefix("UTIL:")) {
                return (!service.trim().is_empty())
                    .then(|| Column::Metric(Metric::Util(service.trim().to_string()), Unit::Fraction));
            }
            if let Some(base) = lower.strip_suffix("_ms") {
                return latency(base).map(|m| Column::Metric(m, Unit::Millis));
            }
            let base = lower.strip_suffix("_s")?;
            return latency(base).map(|m| Column::Metric(m, Unit::Seconds));
        }
    })
}

/// Reads the levels of a neutral CSV; its load column says the load kind.
pub(super) fn read(table: &Table, ctx: Context) -> Result<(LoadKind, Vec<Level>), InputError> {
    let header_error =
        |name: &str, message: String| InputError::in_file(&table.file, message).with_key(name.to_string());
    let mut columns = Vec::new();
    for (i, name) in table.header.iter().enumerate() {
        let col = column(name).ok_or_else(|| {
            let mut err = header_error(name, format!("`{name}` is not a column capsim validate knows"));
            let near = crate::error::closest(&name.to_ascii_lowercase(), KNOWN_NAMES.iter().copied());
            let near = near.map(|n| format!("did you mean `{n}`? ")).unwrap_or_default();
            err = err.with_hint(format!("{near}the columns are {KNOWN}"));
            err
        })?;
        if let Some(j) = columns.iter().position(|c| c == &col) {
            return Err(header_error(name, format!("column {} repeats column {}", i + 1, j + 1)));
        }
        if let Column::Metric(Metric::Util(service), _) = &col
            && !ctx.services.contains(service)
        {
            return Err(header_error(name, format!("the model has no service `{service}`"))
                .with_hint(format!("the model's services: {}", ctx.services.join(", "))));
        }
        columns.push(col);
    }
    let loads: Vec<usize> = (0..columns.len()).filter(|&i| matches!(columns[i], Column::Load(_))).collect();
    let load_col = match loads.as_slice() {
        [one] => *one,
        [] => {
            return Err(InputError::in_file(&table.file, "no load column").with_hint(
                "name the load of each row in a `load_per_s` column (an open test) or `users` (a closed test)",
            ));
        }
        _ => {
            return Err(InputError::in_file(&table.file, "both `load_per_s` and `users`: a row has one load")
                .with_hint(
                    "keep `users` for a closed-loop test (users with think time), `load_per_s` for an open one",
                ));
        }
    };
    let Column::Load(kind) = columns[load_col] else { unreachable!("a load column") };
    if !columns.iter().any(|c| matches!(c, Column::Metric(..))) {
        return Err(InputError::in_file(&table.file, "no metric column: nothing to compare")
            .with_hint(format!("add any of: {KNOWN}")));
    }
    let mut levels = Vec::new();
    for row in &table.rows {
        let load = load_value(table, row, load_col, kind)?;
        let mut level = Level::new(load, Origin { file: table.file.clone(), line: Some(row.line) });
        for (i, col) in columns.iter().enumerate() {
            if let Column::Metric(metric, unit) = col {
                level.set(metric.clone(), value(table, row, i, metric, *unit)?);
            }
        }
        levels.push(level);
    }
    Ok((kind, levels))
}

/// Every column name, for "did you mean".
const KNOWN_NAMES: [&str; 12] = [
    "load_per_s",
    "users",
    "throughput_per_s",
    "mean_s",
    "p50_s",
    "p95_s",
    "p99_s",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "error_ratio",
];

fn load_value(table: &Table, row: &Row, col: usize, kind: LoadKind) -> Result<f64, InputError> {
    let text = row.fields[col].as_str();
    let value = match kind {
        LoadKind::Rate => text.parse::<f64>().ok().or_else(|| parse_rate(text).ok()),
        LoadKind::Users => text.parse::<f64>().ok(),
    };
    match value {
        Some(v) if v > 0.0 && v.is_finite() => Ok(v),
        Some(v) => Err(table.error_at(row, col, format!("a load must be positive, not {v}"))),
        None if text.is_empty() => Err(table.error_at(row, col, "every row needs its load")),
        None => Err(table.error_at(row, col, format!("`{text}` is not a load: write e.g. 250 or 250/s"))),
    }
}

fn value(table: &Table, row: &Row, col: usize, metric: &Metric, unit: Unit) -> Result<Option<f64>, InputError> {
    let text = row.fields[col].trim();
    if text.is_empty() {
        return Ok(None);
    }
    let what = metric.name();
    let parsed: Result<f64, String> = match unit {
        Unit::Seconds | Unit::Millis => {
            duration_value(text, Some(if unit == Unit::Seconds { "s" } else { "ms" })).and_then(|v| positive(v, &what))
        }
        Unit::Rate => text
            .parse::<f64>()
            .ok()
            .or_else(|| parse_rate(text).ok())
            .ok_or_else(|| format!("`{text}` is not a rate: write e.g. 240 or 240/s"))
            .and_then(|v| positive(v, &what)),
        Unit::Fraction => {
            let v = match text.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
                None => text.parse::<f64>(),
            };
            v.map_err(|_| format!("`{text}` is not a number: write e.g. 0.62 or 62%")).and_then(|v| fraction(v, &what))
        }
    };
    parsed.map(Some).map_err(|msg| table.error_at(row, col, msg))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn services() -> Vec<String> {
        vec!["app".into(), "db".into()]
    }

    fn parse(text: &str) -> Result<(LoadKind, Vec<Level>), InputError> {
        let s = services();
        read(&Table::parse(Path::new("m.csv"), text).unwrap(), Context { kind: LoadKind::Rate, services: &s })
    }

    #[test]
    fn units_are_the_columns_unless_written() {
        let (kind, levels) =
            parse("load_per_s,mean_s,p99_ms,util:db,error_ratio\n100,0.012,80,0.5,\n200/s,15ms,0.1s,62%,0.5%\n")
                .unwrap();
        assert_eq!(kind, LoadKind::Rate);
        assert_eq!(levels[0].get(&Metric::Mean), Some(0.012));
        assert!((levels[0].get(&Metric::P99).unwrap() - 0.08).abs() < 1e-12);
        assert_eq!(levels[0].get(&Metric::ErrorRatio), None);
        assert_eq!(levels[1].load, 200.0);
        assert!((levels[1].get(&Metric::Mean).unwrap() - 0.015).abs() < 1e-12);
        assert!((levels[1].get(&Metric::P99).unwrap() - 0.1).abs() < 1e-12);
        assert!((levels[1].get(&Metric::Util("db".into())).unwrap() - 0.62).abs() < 1e-12);
        assert!((levels[1].get(&Metric::ErrorRatio).unwrap() - 0.005).abs() < 1e-12);
        assert_eq!(levels[1].origin.line, Some(3));
    }

    #[test]
    fn bad_cells_and_columns_are_located() {
        let err = parse("load_per_s,mean_s\n100,0.01\n200,fast\n").unwrap_err();
        assert_eq!((err.line, err.key.as_deref()), (Some(3), Some("mean_s")));
        let err = parse("load_per_s,mean_s\n100,-0.01\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        let err = parse("load_per_s,p98_s\n100,0.01\n").unwrap_err();
        assert!(err.to_string().contains("p99_s") && err.to_string().contains("util:SERVICE"), "{err}");
        let err = parse("load_per_s,util:web\n100,0.5\n").unwrap_err();
        assert!(err.to_string().contains("app, db"), "{err}");
        assert!(parse("mean_s\n0.01\n").unwrap_err().to_string().contains("no load column"));
        assert!(parse("users,util:db\n10,1.5\n").is_err(), "a utilisation above 100% is refused");
    }
}
