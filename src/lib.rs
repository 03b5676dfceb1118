//! # capsim
//!
//! A discrete-event capacity-planning simulator. A model describes software
//! the way engineers talk about it: **services** (with instances, threads,
//! cores and a queue) expose **operations** that do CPU work and **call** or
//! **forward** to other operations. capsim simulates the resulting queueing
//! network and reports latency percentiles, throughput, errors, utilisation
//! and cost, with confidence intervals across replications.
//!
//! Data flows one way, one module per arrow (`docs/architecture.md` is the
//! map of every room):
//!
//! ```text
//! model.toml --config--> ModelFile --model--> Network --kernel--> RunStats --stats--> Summary --report--> table / JSON / CSV
//! experiment.toml --experiment--> runs in parallel --aggregate--> ExperimentResults --charts/report--> PNG, SVG, report.html
//! ```
//!
//! A model is text; [`model::from_str`] (or [`model::load`] for a file)
//! validates and compiles it into a [`Network`], and [`run::run`] simulates
//! its replications in parallel into a [`stats::Summary`] whose every mean
//! and percentile carries a 95% confidence interval. Here an M/M/1 queue at
//! utilisation 0.5, checked against queueing theory:
//!
//! ```
//! let net = capsim::model::from_str(r#"
//!     [simulation]
//!     duration = "2000s"
//!     replications = 10
//!     seed = 7
//!
//!     [workload.main]
//!     target = "server.handle"
//!     rate = "0.5/s"
//!
//!     [services.server.ops.handle]
//!     demand = "exp(1s)"
//! "#).unwrap();
//! let summary = capsim::run::run(&net).summary;
//!
//! // The utilisation law: rho = lambda x S = 0.5.
//! let util = summary.services[0].utilisation.value;
//! assert!((util - 0.5).abs() < 0.05, "M/M/1 at rho 0.5, got {util}");
//!
//! // Mean time in system: theory says S / (1 - rho) = 2 s.
//! let theory = capsim::theory::mm1(0.5, 1.0).unwrap().mean_response;
//! let latency = &summary.classes[0].latency_s.mean;
//! assert!((latency.value - theory).abs() < 3.0 * latency.ci95.unwrap(), "{latency:?} against {theory}");
//!
//! // Every view reads the same summary: here the tidy CSV.
//! let csv = capsim::report::render(&summary, capsim::report::Format::Csv);
//! assert!(csv.starts_with("scope,name,metric,value,ci95"));
//! ```
//!
//! Bad input never panics: errors name the file, line and key.
//!
//! ```
//! let err = capsim::model::from_str("[services.api.ops.get]\ndemand = \"exp(5)\"\n").unwrap_err();
//! assert!(err.to_string().contains("demand"), "{err}");
//! ```
#![warn(missing_docs, unreachable_pub)]
// Model errors carry a location, key, hint and snippet; they are built once per
// failed load, never on the simulation path, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod calibrate;
pub mod catalog;
pub mod charts;
pub mod compare;
pub mod config;
pub mod dist;
pub mod error;
pub mod experiment;
pub mod files;
pub mod format;
pub mod kernel;
pub mod model;
pub mod planner;
pub mod policy;
pub mod report;
pub mod rng;
pub mod run;
pub mod sensitivity;
pub mod stats;
pub mod theory;
pub mod traces;
pub mod units;
pub mod warmup;

pub use error::ModelError;
pub use model::Network;
