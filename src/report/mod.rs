//! Views of a run's [`Summary`] and of an experiment's results: a terminal
//! table for people (`table`), JSON and tidy CSV for tools (`csv`), and the
//! self-contained HTML report of a sweep (`html`). The JSON schema is
//! documented in `docs/output.md`.

mod csv;
pub mod html;
pub mod plan;
mod table;

pub use csv::series_csv;
pub(crate) use table::aligned;
pub use table::{comparison_table, theory_table};

use crate::stats::Summary;

/// Output formats of `capsim run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// The summary as one JSON document.
    Json,
    /// One row per (scope, name, metric): `scope,name,metric,value,ci95`.
    Csv,
}

/// Renders a summary in `format`.
pub fn render(summary: &Summary, format: Format) -> String {
    match format {
        Format::Table => table::table(summary),
        Format::Json => tidy_json(summary),
        Format::Csv => csv::csv(summary),
    }
}

/// A number as the CSV and JSON files write it: rounded to twelve
/// significant digits, so the last bits of float arithmetic
/// (`1.6263999999999998`) do not show. Twelve digits are far beyond any
/// interval capsim reports.
pub fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// [`tidy`] as text: the shortest that reads back; empty for NaN.
pub(crate) fn tidy_text(x: f64) -> String {
    if x.is_nan() { String::new() } else { tidy(x).to_string() }
}

/// Pretty JSON of `value`, every number [`tidy`], ending in a newline.
pub fn tidy_json(value: &impl serde::Serialize) -> String {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(tidied) = n.as_f64().map(tidy).and_then(serde_json::Number::from_f64) {
                    *n = tidied;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(value).expect("outputs serialise");
    walk(&mut v);
    let mut text = serde_json::to_string_pretty(&v).expect("a JSON value serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_show_no_float_noise() {
        assert_eq!(tidy(1.6263999999999998).to_string(), "1.6264");
        assert_eq!(tidy(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(tidy(0.025307981000000004).to_string(), "0.025307981");
        assert_eq!(tidy(123456.789012345).to_string(), "123456.789012");
        assert!(tidy(f64::NAN).is_nan());
        let json = tidy_json(&serde_json::json!({ "z": 2.5999999999999996, "a": [0.30000000000000004], "n": 7 }));
        assert_eq!(json, "{\n  \"z\": 2.6,\n  \"a\": [\n    0.3\n  ],\n  \"n\": 7\n}\n", "keys keep their order");
    }
}
