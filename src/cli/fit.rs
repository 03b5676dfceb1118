//! `capsim fit`: read the measurements, fit the candidates, print the table
//! and the line to paste, draw the chart.

use super::args::FitArgs;

/// `capsim fit`.
pub(crate) fn fit(_args: FitArgs) -> anyhow::Result<()> {
    anyhow::bail!("capsim fit is being built")
}
