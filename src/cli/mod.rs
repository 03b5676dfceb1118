//! The binary's rooms: flags as typed, and the orchestration of each command.

pub(crate) mod args;
pub(crate) mod compare;
pub(crate) mod demands;
pub(crate) mod diagram;
pub(crate) mod fit;
mod perf;
pub(crate) mod plan;
pub(crate) mod run;
pub(crate) mod sensitivity;
pub(crate) mod sweep;
pub(crate) mod traces;
pub(crate) mod validate;
