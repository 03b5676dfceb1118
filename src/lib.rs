//! # capsim
//!
//! A discrete-event capacity-planning simulator. A model describes software
//! the way engineers talk about it: **services** (with instances, threads,
//! cores and a queue) expose **operations** that do CPU work and **call** or
//! **forward** to other operations. capsim simulates the resulting queueing
//! network and reports latency percentiles, throughput, errors, utilisation
//! and cost, with confidence intervals across replications.
//!
//! Data flows one way, one module per arrow:
//!
//! ```text
//! model.toml --config--> ModelFile --model--> Network --kernel--> RunStats --run--> Summary --report--> table / JSON / CSV
//! ```
//!
//! ```
//! let net = capsim::model::from_str(r#"
//!     [simulation]
//!     duration = "2000s"
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
//! let util = summary.services[0].utilisation.value;
//! assert!((util - 0.5).abs() < 0.1, "M/M/1 at rho 0.5, got {util}");
//! ```
#![warn(missing_docs, unreachable_pub)]
// Model errors carry a location, key, hint and snippet; they are built once per
// failed load, never on the simulation path, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod catalog;
pub mod charts;
pub mod config;
pub mod dist;
pub mod error;
pub mod experiment;
pub mod files;
pub mod format;
pub mod kernel;
pub mod model;
pub mod policy;
pub mod report;
pub mod rng;
pub mod run;
pub mod stats;
pub mod theory;
pub mod units;
pub mod warmup;

pub use error::ModelError;
pub use model::Network;
