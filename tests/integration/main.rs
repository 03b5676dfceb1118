//! Integration tests: simulation against queueing theory, every shipped
//! model, bad input and the command line. One binary, a module per behaviour.

mod async_queues;
mod async_slo;
mod bad_input;
mod balancing;
mod calibration;
mod capacity;
mod charts_report;
mod charts_review;
mod cli;
mod clock;
mod demands;
mod dynamics;
mod experiments;
mod failures;
mod fitting;
mod fuzz;
mod lessons;
mod models;
mod output_safety;
mod percentiles;
mod properties;
mod reliability;
mod reproducibility;
mod resilience;
mod resources;
mod support;
mod theory_cli;
mod theory_networks;
mod theory_stations;
mod trace;
mod traces_otlp;
mod utilisation;
mod validate;
mod warnings;
