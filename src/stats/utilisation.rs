//! What a service's utilisation means, defined once for every view (the
//! table, JSON, CSV, the time series, charts, the bottleneck of a sweep,
//! saturation warnings) and agreeing with theory's utilisation law:
//!
//! - **utilisation**: busy cores over the cores the service can use, its
//!   usable cores ([`crate::model::usable_cores`], `min(threads, cores)`)
//!   times its active instances (time-weighted). A single-threaded server on
//!   a 2-core instance at 90% is nearly saturated, and this says so.
//! - **paid-core utilisation**: busy cores over all the cores paid for
//!   (`cores` times the billed instances, starting and failed ones
//!   included), for cost: how much of what is bought does work.
//!
//! Busy cores and demands are in wall-clock seconds, after `speed`, so a
//! faster CPU is less busy for the same work.

use super::ServiceSummary;

/// Busy share of the usable CPU: `busy_cores` (a time-average, or an area)
/// over `instances` (the same kind) times `usable_cores` per instance; 0
/// when no instance was up.
pub fn utilisation(busy_cores: f64, instances: f64, usable_cores: u32) -> f64 {
    share(busy_cores, instances * f64::from(usable_cores))
}

/// Busy share of every core paid for: `busy_cores` over `billed`
/// instances times `cores` per instance; 0 when none was billed.
pub fn paid_core_utilisation(busy_cores: f64, billed: f64, cores: u32) -> f64 {
    share(busy_cores, billed * f64::from(cores))
}

fn share(busy: f64, capacity: f64) -> f64 {
    if capacity > 0.0 { busy / capacity } else { 0.0 }
}

/// The busiest service, the one nearest saturation: the highest
/// (finite) utilisation; of equals, the last. Every "bottleneck" or
/// "busiest service" a view names is this one.
pub fn busiest(services: &[ServiceSummary]) -> Option<&ServiceSummary> {
    services
        .iter()
        .filter(|s| s.utilisation.value.is_finite())
        .max_by(|a, b| a.utilisation.value.total_cmp(&b.utilisation.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_on_two_cores_is_measured_against_one_core() {
        // 0.85 cores busy on average across 2 instances of 1 thread, 2 cores.
        let busy = 1.7;
        assert!((utilisation(busy, 2.0, crate::model::usable_cores(1, 2)) - 0.85).abs() < 1e-12);
        assert!((paid_core_utilisation(busy, 2.0, 2) - 0.425).abs() < 1e-12);
    }

    #[test]
    fn nothing_up_is_nothing_used() {
        assert_eq!(utilisation(0.0, 0.0, 4), 0.0);
        assert_eq!(paid_core_utilisation(0.0, 0.0, 4), 0.0);
    }
}
