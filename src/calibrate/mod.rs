//! From measurements to a model: the first steps of capacity planning
//! (measure, characterise, calibrate, validate) before capsim predicts.
//!
//! | file | owns |
//! |---|---|
//! | `input.rs` | [`InputError`] (file, line, column, what, how to fix) and reading measurement tables with every row located |
//! | `fit/` | `capsim fit`: a service-time distribution from samples, percentiles or a Prometheus histogram |
//! | `demands.rs` | `capsim demands`: CPU demand per class and service from monitoring windows (the utilisation law) |
//! | `validate/` | `capsim validate`: a model against load-test measurements, metric by metric |
//!
//! Nothing here reads a model's internals beyond what `model` and `run`
//! expose, and nothing writes files: the binary writes what these return.

pub mod demands;
pub mod fit;
pub mod input;
pub mod validate;

pub use input::InputError;
