//! Views of a run's [`Summary`] and of an experiment's results: a terminal
//! table for people (`table`), JSON and tidy CSV for tools (`csv`), and the
//! self-contained HTML report of a sweep (`html`). The JSON schema is
//! documented in `docs/output.md`.

mod csv;
pub mod html;
mod table;

pub use csv::series_csv;
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
        Format::Json => {
            let mut s = serde_json::to_string_pretty(summary).expect("summary serialises");
            s.push('\n');
            s
        }
        Format::Csv => csv::csv(summary),
    }
}
