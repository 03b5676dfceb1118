//! Compiling two per-instance platform behaviours: a CPU limit with CFS
//! quota semantics and stop-the-world pauses. The kernel acts on them in
//! `kernel/cpu_limit.rs` and `kernel/pauses.rs`.

use super::compile::Compiler;
use crate::config;
use crate::dist::Dist;
use crate::error::ModelError;
use crate::policy::Discipline;

/// The default CFS period, as the Linux kernel and Kubernetes set it \[s\].
pub const DEFAULT_CPU_PERIOD: f64 = 0.1;

/// A CPU limit: each instance may use `cores × period` of CPU time per
/// period; once its computing jobs have used it, all its CPU work stalls
/// until the next period starts (periods start at multiples of `period`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuLimit {
    /// The limit in cores (may be fractional, at most the instance's cores).
    pub cores: f64,
    /// The accounting period \[s\].
    pub period: f64,
}

impl CpuLimit {
    /// CPU time granted per period \[s\].
    pub fn quota(&self) -> f64 {
        self.cores * self.period
    }
}

/// Stop-the-world pauses of each instance: a pause starts `every` after the
/// previous one ended (the first `every` after the start) and freezes the
/// instance's CPU work for `duration`.
#[derive(Debug, Clone)]
pub struct Pauses {
    /// Time from the end of one pause to the start of the next \[s\].
    pub every: Dist,
    /// Length of a pause \[s\].
    pub duration: Dist,
    /// Stream for both.
    pub stream: u32,
}

impl Pauses {
    /// Long-run share of time paused: E\[duration\] / (E\[every\] + E\[duration\])
    /// (a renewal cycle is a gap then a pause).
    pub fn paused_share(&self) -> f64 {
        let (gap, pause) = (self.every.mean(), self.duration.mean());
        pause / (gap + pause)
    }
}

impl Compiler<'_> {
    /// A service's CPU limit, if it has one: at most its cores, with a period
    /// in Kubernetes' range (1 ms to 1 s).
    pub(super) fn cpu_limit(
        &self,
        sname: &str,
        svc: &config::ServiceConfig,
        cores: u32,
    ) -> Result<Option<CpuLimit>, ModelError> {
        let Some(limit) = &svc.cpu_limit else {
            if let Some(p) = &svc.cpu_period {
                return Err(self
                    .err(p.span(), format!("services.{sname}.cpu_period"), "`cpu_period` without a `cpu_limit`")
                    .with_hint("the period is the window of a CPU limit's quota: add cpu_limit = \"500m\", or remove cpu_period"));
            }
            return Ok(None);
        };
        let key = format!("services.{sname}.cpu_limit");
        let l = limit.get_ref().0;
        if l > f64::from(cores) {
            return Err(self
                .err(limit.span(), key, format!("a CPU limit of {l} cores is above the instance's {cores} cores"))
                .with_hint(format!(
                    "`cores` is what the instance's threads can use at once (the request); the limit caps CPU time \
                     below it: give it cores = {} or a limit of at most \"{}m\"",
                    l.ceil(),
                    cores * 1000
                )));
        }
        if svc.discipline == Discipline::PriorityPreemptive {
            return Err(self
                .err(limit.span(), key, "a CPU limit cannot be combined with discipline = \"priority_preemptive\"")
                .with_hint("use discipline = \"priority\", or remove cpu_limit"));
        }
        let period = match &svc.cpu_period {
            None => DEFAULT_CPU_PERIOD,
            Some(p) => {
                let s = p.get_ref().0;
                if !(1e-3..=1.0).contains(&s) {
                    return Err(self
                        .err(p.span(), format!("services.{sname}.cpu_period"), format!("a CFS period of {s} s"))
                        .with_hint("the kernel accepts 1ms to 1s; Kubernetes uses 100ms"));
                }
                s
            }
        };
        Ok(Some(CpuLimit { cores: l, period }))
    }

    /// A service's pauses, if it has any.
    pub(super) fn pauses(&mut self, sname: &str, svc: &config::ServiceConfig) -> Result<Option<Pauses>, ModelError> {
        let Some(p) = &svc.pauses else { return Ok(None) };
        let cfg = p.get_ref();
        let key = format!("services.{sname}.pauses");
        let gap = cfg.every.0.mean();
        // Shorter gaps would make a model of nothing but pauses, and zero
        // would repeat forever at one instant.
        if gap.is_nan() || gap < 1e-3 {
            return Err(self
                .err(p.span(), format!("{key}.every"), "pauses less than 1 ms apart on average")
                .with_hint("garbage-collection pauses come seconds apart, e.g. every = \"exp(20s)\""));
        }
        if !cfg.duration.0.mean().is_finite() {
            return Err(self
                .err(p.span(), format!("{key}.duration"), "a pause's duration needs a finite mean")
                .with_hint("e.g. duration = \"lognormal(mean=80ms, cv=0.5)\""));
        }
        if svc.discipline == Discipline::PriorityPreemptive {
            return Err(self
                .err(p.span(), key, "pauses cannot be combined with discipline = \"priority_preemptive\"")
                .with_hint("use discipline = \"priority\", or remove pauses"));
        }
        Ok(Some(Pauses {
            every: cfg.every.0.clone(),
            duration: cfg.duration.0.clone(),
            stream: self.stream(format!("pauses:{sname}")),
        }))
    }
}
