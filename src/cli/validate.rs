//! `capsim validate`: run the model at each measured load and compare.

use super::args::ValidateArgs;

/// A validation that ran and found metrics beyond tolerance (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OutOfTolerance(pub(crate) String);

/// `capsim validate`.
pub(crate) fn validate(_args: ValidateArgs) -> anyhow::Result<()> {
    anyhow::bail!("capsim validate is being built")
}
