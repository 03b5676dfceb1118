//! `capsim demands`: read the windows, estimate, print the model lines.

use super::args::DemandsArgs;

/// `capsim demands`.
pub(crate) fn demands(_args: DemandsArgs) -> anyhow::Result<()> {
    anyhow::bail!("capsim demands is being built")
}
