//! `capsim sensitivity`: which assumptions the answer depends on. Each
//! parameter is set low and high, one at a time, with every other value at
//! its nominal; every run uses the nominal's seed, so replication r of each
//! setting draws the same random numbers (common random numbers) and the
//! effects are the parameter's, not the noise's. For each metric: the value
//! at each end, the relative effect (the tornado chart) and the elasticity
//! `d ln metric / d ln parameter` by central difference, with its 95%
//! interval over replications. With several designs (an experiment), it
//! also says whether the choice of design flips within the ranges.
//!
//! | file | owns |
//! |---|---|
//! | `params.rs` | `--vary` ranges, the model's quantities, scaling a value in its own form |
//! | `plan.rs` | the networks to run: each design's nominal, then each parameter low and high; parameters that cannot change anything left out |
//! | `effects.rs` | from runs to effects and elasticities ([`Sensitivity`]) |
//! | `ranking.rs` | the choice of design at every end, in words |
//! | `render.rs` | the table, CSV and JSON |

mod effects;
mod params;
mod plan;
mod ranking;
mod render;

pub use effects::{Effect, ParameterResult, Sensitivity, SettingResult, Skipped, analyse};
pub use params::{Vary, candidates, parse_range, scaled, value_at};
pub use plan::{End, Ends, Plan, Setting, plan};
pub use ranking::{Flip, Ranking};
pub(crate) use render::{by_swing, label as metric_label, range_text};
pub use render::{csv, json, table};
