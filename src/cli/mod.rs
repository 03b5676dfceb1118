//! The binary's rooms: flags as typed, and the orchestration of each command.

pub(crate) mod args;
mod perf;
pub(crate) mod run;
pub(crate) mod sweep;
