//! The compiled Horizontal Pod Autoscaler of a service and its checks: the
//! `hpa` table becomes an [`Autoscale`] whose period is the sync period and
//! whose start-up delay is start-up plus readiness, carrying the HPA's
//! tolerance, behaviours and metric for `kernel/hpa.rs`.

use toml::Spanned;

use super::compile::Compiler;
use super::{Autoscale, NONE};
use crate::config::{self, HpaRulesConfig, ModelFile};
use crate::error::ModelError;
use crate::policy::{HpaMetric, HpaSelect, ScaleMetric};

/// Kubernetes' sync period (`--horizontal-pod-autoscaler-sync-period`) \[s\].
const DEFAULT_SYNC: f64 = 15.0;
/// Kubernetes' tolerance (`--horizontal-pod-autoscaler-tolerance`).
const DEFAULT_TOLERANCE: f64 = 0.1;
/// Kubernetes' default scale-down stabilisation window \[s\].
const DEFAULT_DOWN_WINDOW: f64 = 300.0;

/// An HPA's rules beyond the shared [`Autoscale`] fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Hpa {
    /// What it holds at the target.
    pub metric: HpaMetric,
    /// No change while |metric / target - 1| is at most this.
    pub tolerance: f64,
    /// `behavior.scaleUp`.
    pub up: ScalingRules,
    /// `behavior.scaleDown`.
    pub down: ScalingRules,
}

/// One direction's behaviour: stabilisation window and rate limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    /// Stabilisation window \[s\]: up takes the lowest, down the highest recommendation in it.
    pub window: f64,
    /// Which policy limits the change.
    pub select: HpaSelect,
    /// The rate limits.
    pub policies: Vec<ScalingPolicy>,
}

/// At most `value` pods (or percent) of change per `period` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPolicy {
    /// Percent of the replicas at the period's start, rather than pods.
    pub percent: bool,
    /// Pods or percent.
    pub value: u32,
    /// Period \[s\].
    pub period: f64,
}

impl ScalingRules {
    /// Kubernetes' `scaleUp` default: no window, the larger of 4 pods and 100% per 15 s.
    pub fn default_up() -> Self {
        ScalingRules {
            window: 0.0,
            select: HpaSelect::Max,
            policies: vec![
                ScalingPolicy { percent: true, value: 100, period: 15.0 },
                ScalingPolicy { percent: false, value: 4, period: 15.0 },
            ],
        }
    }

    /// Kubernetes' `scaleDown` default: a 300 s window, 100% per 15 s.
    pub fn default_down() -> Self {
        ScalingRules {
            window: DEFAULT_DOWN_WINDOW,
            select: HpaSelect::Max,
            policies: vec![ScalingPolicy { percent: true, value: 100, period: 15.0 }],
        }
    }
}

impl Compiler<'_> {
    /// A service's HPA as an autoscaling rule, if it has one.
    pub(super) fn hpa(&self, sname: &str, svc: &config::ServiceConfig) -> Result<Option<Autoscale>, ModelError> {
        let Some(h) = &svc.hpa else { return Ok(None) };
        let key = |k: &str| format!("services.{sname}.hpa{k}");
        let cfg = h.get_ref();
        if let Some(a) = &svc.autoscale {
            return Err(self
                .err(a.span(), format!("services.{sname}.autoscale"), "a service has `autoscale` or `hpa`, not both")
                .with_hint("`hpa` is the Kubernetes controller; `autoscale` the simpler window-and-cooldown rule"));
        }
        if cfg.min.0 > cfg.max.0 || svc.instances.0 < cfg.min.0 || svc.instances.0 > cfg.max.0 {
            return Err(self
                .err(
                    h.span(),
                    key(""),
                    format!(
                        "need min <= instances <= max, got min = {}, instances = {}, max = {}",
                        cfg.min.0, svc.instances.0, cfg.max.0
                    ),
                )
                .with_hint("`instances` is the starting replica count"));
        }
        if cfg.max.0 > 10_000 {
            return Err(self.err(h.span(), key(".max"), "at most 10000 replicas"));
        }
        let sync = cfg.sync.map_or(DEFAULT_SYNC, |s| s.0);
        if sync < 1e-3 {
            return Err(self.err(h.span(), key(".sync"), "the sync period must be at least 1 ms"));
        }
        let tolerance = cfg.tolerance.unwrap_or(DEFAULT_TOLERANCE);
        if !(0.0..1.0).contains(&tolerance) {
            return Err(self
                .err(h.span(), key(".tolerance"), format!("the tolerance must be in [0, 1), got {tolerance}"))
                .with_hint("0.1 (Kubernetes' default) leaves the replicas alone within 10% of the target"));
        }
        if cfg.metric == HpaMetric::Utilisation && cfg.target.0 > 1.0 {
            return Err(self
                .err(
                    h.span(),
                    key(".target"),
                    format!("a utilisation target is a fraction in (0, 1], got {}", cfg.target.0),
                )
                .with_hint("write 0.6 for Kubernetes' averageUtilization: 60"));
        }
        let up = self.rules(&key(".scale_up"), cfg.scale_up.as_ref(), ScalingRules::default_up())?;
        let down = self.rules(&key(".scale_down"), cfg.scale_down.as_ref(), ScalingRules::default_down())?;
        Ok(Some(Autoscale {
            // The HPA's own metric is in `hpa`; this one is not read.
            metric: ScaleMetric::Utilisation,
            target: cfg.target.0,
            min: cfg.min.0,
            max: cfg.max.0,
            window: sync,
            delay: cfg.startup.0 + cfg.readiness.0,
            cooldown: 0.0,
            hpa: Some(Hpa { metric: cfg.metric, tolerance, up, down }),
        }))
    }

    /// One direction's behaviour: the given keys over Kubernetes' defaults.
    fn rules(
        &self,
        key: &str,
        cfg: Option<&Spanned<HpaRulesConfig>>,
        default: ScalingRules,
    ) -> Result<ScalingRules, ModelError> {
        let Some(spanned) = cfg else { return Ok(default) };
        let c = spanned.get_ref();
        let window = c.window.map_or(default.window, |w| w.0);
        if window < 0.0 {
            return Err(self.err(spanned.span(), format!("{key}.window"), "the window cannot be negative"));
        }
        let policies = match &c.policies {
            None => default.policies,
            Some(list) => {
                if list.is_empty() && c.select != Some(HpaSelect::Disabled) {
                    return Err(self
                        .err(spanned.span(), format!("{key}.policies"), "at least one policy")
                        .with_hint("write `select = \"disabled\"` to forbid changes in this direction"));
                }
                let mut out = Vec::with_capacity(list.len());
                for (i, p) in list.iter().enumerate() {
                    let (percent, value) = match (p.get_ref().pods, p.get_ref().percent) {
                        (Some(n), None) => (false, n.0),
                        (None, Some(n)) => (true, n.0),
                        _ => {
                            return Err(self
                                .err(
                                    p.span(),
                                    format!("{key}.policies[{i}]"),
                                    "a policy has `pods` or `percent`, not both or neither",
                                )
                                .with_hint(
                                    "e.g. { pods = 4, period = \"15s\" } or { percent = 100, period = \"15s\" }",
                                ));
                        }
                    };
                    out.push(ScalingPolicy { percent, value, period: p.get_ref().period.0 });
                }
                out
            }
        };
        Ok(ScalingRules { window, select: c.select.unwrap_or(default.select), policies })
    }

    /// A `backlog` HPA needs a queue: checked once consumers are known.
    pub(super) fn hpa_backlogs(&self, file: &ModelFile) -> Result<(), ModelError> {
        for (s, (sname, svc)) in self.services.iter().zip(&file.services) {
            let backlog =
                s.autoscale.as_ref().and_then(|a| a.hpa.as_ref()).is_some_and(|h| h.metric == HpaMetric::Backlog);
            if backlog && s.consumes == NONE {
                let span = svc.get_ref().hpa.as_ref().map_or(svc.span(), |h| h.span());
                return Err(self
                    .err(
                        span,
                        format!("services.{sname}.hpa.metric"),
                        "`backlog` scales a queue's consumers, and this service consumes no queue",
                    )
                    .with_hint("name one of its operations as a queue's `consumer`, or use metric = \"utilisation\""));
            }
        }
        Ok(())
    }
}
