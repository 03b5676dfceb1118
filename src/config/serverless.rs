//! `serverless = { ... }` on a service: instances started per request
//! (AWS Lambda, Cloud Run, Azure Functions). Its keys are named after the
//! platforms' and default to AWS Lambda's documented figures.

use serde::Deserialize;

use super::{Bytes, DistSpec, NonNegativeF64, Positive, Seconds};

/// Per-request scaling of one service: a request with no idle instance
/// starts one and pays a cold start; idle instances are reclaimed after
/// `keep_alive`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerlessConfig {
    /// Time to start an instance (runtime and code initialisation), paid by
    /// the request that found no idle instance, before its service.
    pub cold_start: DistSpec,
    /// An idle instance is reclaimed this long after its last request ended.
    pub keep_alive: Seconds,
    /// Requests one instance serves at once (Lambda: 1; Cloud Run: up to 1000).
    pub concurrency: Option<Positive<u32>>,
    /// Most instances at once (Lambda's default account concurrency: 1000);
    /// requests beyond them wait in the service's queue (`queue_limit`
    /// bounds it, rejecting the excess like a 429).
    pub max_instances: Option<Positive<u32>>,
    /// Memory per instance, billed per GB-second (default 128 MB).
    pub memory: Option<Bytes>,
    /// Price per million requests, in dollars (default 0.20).
    pub price_per_million: Option<NonNegativeF64>,
    /// Price per GB-second of busy instance time, in dollars (default 0.0000166667).
    pub price_per_gb_s: Option<NonNegativeF64>,
}
