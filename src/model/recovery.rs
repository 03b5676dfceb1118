//! The compiled recovery question (`simulation.recovery`) and its checks;
//! `stats/recovery.rs` answers it from each replication's series.

use super::compile::Compiler;
use super::{Class, Settings};
use crate::config::ModelFile;
use crate::error::ModelError;
use crate::policy::RecoveryMetric;

/// When the trigger ends and what recovery means (times in seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// Trigger start, from the run's start (warm-up included): the baseline is measured before it.
    pub start: f64,
    /// Trigger end: recovery is timed from here.
    pub end: f64,
    /// What must come back.
    pub metric: RecoveryMetric,
    /// The class watched, or every class.
    pub class: Option<u32>,
    /// Back within this share of the baseline.
    pub within: f64,
    /// For this long.
    pub hold: f64,
}

impl Compiler<'_> {
    /// The run's recovery question, if any; it records a series (an interval
    /// of hold / 6 unless `series` is set).
    pub(super) fn recovery(
        &self,
        file: &ModelFile,
        settings: &mut Settings,
        classes: &[Class],
    ) -> Result<(), ModelError> {
        let Some(r) = &file.simulation.recovery else { return Ok(()) };
        let cfg = r.get_ref();
        let err = |key: &str, msg: String| self.err(r.span(), format!("simulation.recovery{key}"), msg);
        let (start, end) = (cfg.trigger.0.0, cfg.trigger.1.0);
        if !(0.0 <= start && start < end) {
            return Err(err(".trigger", format!("need 0 <= start < end, got [{start} s, {end} s]"))
                .with_hint("trigger = [\"60s\", \"90s\"]: when the profile's spike or slowdown starts and ends"));
        }
        let within = cfg.within.unwrap_or(0.1);
        if !(within > 0.0 && within < 1.0) {
            return Err(err(".within", format!("a share in (0, 1), got {within}")));
        }
        let hold = cfg.hold.map_or(60.0, |h| h.0);
        let Some(duration) = settings.duration else {
            return Err(err("", "recovery needs a `duration`, not only `requests`".into()));
        };
        if end + hold > settings.warmup + duration {
            return Err(err(
                "",
                format!(
                    "the run ends at {} s, before a recovery after {end} s could hold for {hold} s",
                    settings.warmup + duration
                ),
            )
            .with_hint("lengthen simulation.duration"));
        }
        if start <= settings.warmup {
            return Err(err(
                ".trigger",
                format!(
                    "the trigger starts at {start} s, within the {} s warm-up: no baseline before it",
                    settings.warmup
                ),
            ));
        }
        let class = match &cfg.class {
            None => None,
            Some(name) => Some(
                classes
                    .iter()
                    .position(|c| &c.name == name)
                    .ok_or_else(|| err(".class", format!("no class `{name}`")))? as u32,
            ),
        };
        settings.series.get_or_insert(hold / 6.0);
        settings.recovery = Some(Recovery { start, end, metric: cfg.metric, class, within, hold });
        Ok(())
    }
}
