//! The compiled per-request scaling of a service (`serverless = { ... }`)
//! and its checks. The service becomes one pool of `max_instances x
//! concurrency` slots, each with its own core (requests do not share
//! CPU); `kernel/serverless.rs` maps the requests onto platform instances,
//! keeps the idle ones and decides who pays a cold start.

use super::compile::Compiler;
use crate::config;
use crate::dist::Dist;
use crate::error::ModelError;
use crate::policy::{Concurrency, Discipline};

/// AWS Lambda's price per request: $0.20 per million.
const DEFAULT_PRICE_PER_MILLION: f64 = 0.20;
/// AWS Lambda's price per GB-second (x86, first tier).
const DEFAULT_PRICE_PER_GB_S: f64 = 0.000_016_666_7;
/// AWS Lambda's default account concurrency.
const DEFAULT_MAX_INSTANCES: u32 = 1000;
/// Most requests in service at once, `max_instances x concurrency`.
const MAX_SLOTS: u32 = 100_000_000;
/// AWS Lambda's smallest memory size, 128 MiB.
const DEFAULT_MEMORY_BYTES: f64 = 128.0 * 1024.0 * 1024.0;

/// A service whose instances start per request.
#[derive(Debug, Clone)]
pub struct Serverless {
    /// Time to start an instance \[s\].
    pub cold_start: Dist,
    /// Stream for cold-start times.
    pub stream: u32,
    /// Idle time after which an instance is reclaimed \[s\].
    pub keep_alive: f64,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// Most instances at once.
    pub max_instances: u32,
    /// Memory per instance in GiB (the platforms' "GB" of a GB-second).
    pub memory_gb: f64,
    /// Dollars per request.
    pub price_per_request: f64,
    /// Dollars per GB-second of busy instance time.
    pub price_per_gb_s: f64,
}

impl Compiler<'_> {
    /// A service's per-request scaling, if it has one, with the keys it
    /// makes meaningless refused.
    pub(super) fn serverless(
        &mut self,
        sname: &str,
        svc_spanned: &toml::Spanned<config::ServiceConfig>,
    ) -> Result<Option<Serverless>, ModelError> {
        let svc = svc_spanned.get_ref();
        let Some(s) = &svc.serverless else { return Ok(None) };
        let cfg = s.get_ref();
        let key = |k: &str| format!("services.{sname}.{k}");
        let hint = "a serverless service has no fixed fleet: the platform starts an instance per request \
                    (bound them with serverless.max_instances)";
        let platform = "the platform sizes and runs a function's instances: a CFS quota or GC pauses of a pod \
                        mean nothing here (put CPU-heavy or paused time in the op's demand)";
        let clash_with = |name: &str, given: bool, hint: &str| -> Result<(), ModelError> {
            if given {
                return Err(self
                    .err(
                        self.value_span(svc_spanned.span(), name),
                        key(name),
                        format!("`{name}` cannot be set on a service with `serverless`"),
                    )
                    .with_hint(hint));
            }
            Ok(())
        };
        let clash = |name: &str, given: bool| clash_with(name, given, hint);
        clash("instances", svc.instances.0 != 1)?;
        clash("threads", svc.threads.is_some())?;
        clash("cores", svc.cores.is_some())?;
        clash("instance_type", svc.instance_type.is_some())?;
        clash("autoscale", svc.autoscale.is_some())?;
        clash("hpa", svc.hpa.is_some())?;
        clash("failures", svc.failures.is_some())?;
        clash("cost_per_hour", svc.cost_per_hour.is_some())?;
        clash("concurrency", svc.concurrency != Concurrency::ThreadPerRequest)?;
        // A preempted request would give its instance to another mid-request.
        clash("discipline", svc.discipline == Discipline::PriorityPreemptive)?;
        clash_with("cpu_limit", svc.cpu_limit.is_some(), platform)?;
        clash_with("cpu_period", svc.cpu_period.is_some(), platform)?;
        clash_with("pauses", svc.pauses.is_some(), platform)?;
        let concurrency = cfg.concurrency.map_or(1, |c| c.0);
        let max_instances = cfg.max_instances.map_or(DEFAULT_MAX_INSTANCES, |m| m.0);
        if max_instances > 100_000 {
            return Err(self.err(s.span(), key("serverless.max_instances"), "at most 100000 instances"));
        }
        if max_instances.checked_mul(concurrency).is_none_or(|slots| slots > MAX_SLOTS) {
            return Err(self
                .err(
                    s.span(),
                    key("serverless.concurrency"),
                    format!(
                        "max_instances x concurrency = {} requests at once, above {MAX_SLOTS}",
                        u64::from(max_instances) * u64::from(concurrency)
                    ),
                )
                .with_hint("lower `max_instances` or `concurrency` (Cloud Run allows at most 1000 per instance)"));
        }
        let memory = cfg.memory.map_or(DEFAULT_MEMORY_BYTES, |m| m.0);
        if memory <= 0.0 {
            return Err(self.err(s.span(), key("serverless.memory"), "memory must be above zero"));
        }
        if cfg.keep_alive.0 * 1e9 >= u64::MAX as f64 / 2.0 {
            return Err(self.err(s.span(), key("serverless.keep_alive"), "keep_alive is too long"));
        }
        let stream = self.stream(format!("cold_start:{sname}"));
        Ok(Some(Serverless {
            cold_start: cfg.cold_start.0.clone(),
            stream,
            keep_alive: cfg.keep_alive.0,
            concurrency,
            max_instances,
            memory_gb: memory / (1024.0 * 1024.0 * 1024.0),
            price_per_request: cfg.price_per_million.map_or(DEFAULT_PRICE_PER_MILLION, |p| p.0) / 1e6,
            price_per_gb_s: cfg.price_per_gb_s.map_or(DEFAULT_PRICE_PER_GB_S, |p| p.0),
        }))
    }
}
