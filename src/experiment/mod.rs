//! Experiments: designs x sweep axes x replications, run in parallel,
//! summarised with confidence intervals and answered as capacity questions.
//!
//! `spec` reads and validates the experiment file, `execute` runs the run
//! list (whole, or one shard of it), `aggregate` turns finished runs into
//! [`results::ExperimentResults`], `capacity` answers the capacity questions
//! (refining them by bisection through the same executor), `findings` says
//! the answers in sentences, and `output` writes and merges results folders
//! atomically.

pub mod aggregate;
pub mod capacity;
pub mod execute;
mod findings;
pub mod output;
pub mod results;
pub mod spec;
