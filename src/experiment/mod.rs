//! Experiments: designs x sweep axes x replications, run in parallel,
//! summarised with confidence intervals and answered as capacity questions.
//!
//! `spec` reads and validates the experiment file (its `axes`, `designs`,
//! `slo` and `sensitivity` tables in rooms of their own), `execute` runs the run
//! list (whole, or one shard of it), `aggregate` turns finished runs into
//! [`results::ExperimentResults`], `capacity` answers the capacity questions
//! (refining them by bisection through the same executor), `findings` says
//! the answers in sentences, and `output` writes and merges results folders
//! atomically.

pub mod aggregate;
mod axes;
pub mod capacity;
mod designs;
pub mod execute;
mod findings;
pub mod output;
pub mod results;
mod sensitivity;
mod slo;
pub mod spec;
