//! Fleets: how many instances each service runs over time. Autoscaling
//! decisions, the series ticks that sample every fleet, and the
//! time-weighted counts of active, billed and failed instances.

use super::hpa::HpaState;
use super::series::ServiceAreas;
use super::{EventKind, Observer, Sim, Time, to_time};

/// How many instances a service runs, and their time-weighted counts.
pub(super) struct Fleet {
    /// Instances the balancer uses: the first `active` of the service's.
    pub(super) active: u32,
    /// Instances starting up.
    pub(super) pending: u32,
    /// Active instances that are down (failed, not yet repaired).
    pub(super) down: u32,
    /// Instances of the service that are down, active or not: 0 keeps the balancer on its fast path.
    pub(super) failing: u32,
    pub(super) last: Time,
    pub(super) area_active: u128,
    pub(super) area_billed: u128,
    pub(super) area_down: u128,
    /// When the autoscaler last acted (`None`: never).
    pub(super) last_action: Option<Time>,
    /// (busy cores, queue) areas of all the service's instances at the last decision.
    pub(super) seen: (u128, u128),
    /// A Kubernetes HPA's memory (`hpa` services only).
    pub(super) hpa: Option<Box<HpaState>>,
    /// Idle instances and cold starts (`serverless` services only).
    pub(super) warm: Option<Box<super::serverless::Warm>>,
}

impl Fleet {
    pub(super) fn touch(&mut self, now: Time) {
        let dt = u128::from(now - self.last);
        self.area_active += dt * u128::from(self.active - self.down);
        self.area_billed += dt * u128::from(self.active + self.pending);
        self.area_down += dt * u128::from(self.down);
        self.last = now;
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Areas per service and per broker queue, as they stand.
    pub(super) fn series_areas(&mut self) -> (Vec<ServiceAreas>, Vec<u128>) {
        let now = self.now;
        let mut areas: Vec<ServiceAreas> = self
            .fleets
            .iter_mut()
            .map(|f| {
                f.touch(now);
                let serverless = f.warm.as_deref_mut().map_or((0, 0), |w| w.areas(now));
                ServiceAreas { up: f.area_active, serverless, ..ServiceAreas::default() }
            })
            .collect();
        for inst in &mut self.instances {
            let (_, cores, queue) = inst.areas(now);
            let a = &mut areas[inst.service as usize];
            a.busy_cores += cores;
            a.queue += queue;
            if let Some(g) = &inst.gate {
                let (throttled, paused) = g.stall_areas(now);
                a.stalls = (a.stalls.0 + throttled, a.stalls.1 + paused);
            }
        }
        let queue_areas = self
            .queue_states
            .iter_mut()
            .map(|q| {
                q.touch(now);
                q.area
            })
            .collect();
        (areas, queue_areas)
    }

    /// The end of an autoscaler's window: compare the metric with the
    /// target and start or stop instances (within the bounds, outside the cooldown).
    pub(super) fn on_autoscale(&mut self, service: u32) {
        let now = self.now;
        let s = &self.net.services[service as usize];
        let a = s.autoscale.as_ref().expect("scheduled for autoscaled services");
        if a.hpa.is_some() {
            return self.on_hpa(service);
        }
        let first = self.first_instance[service as usize] as usize;
        let mut areas = (0u128, 0u128);
        for inst in &mut self.instances[first..first + s.max_instances() as usize] {
            let (_, cores, queue) = inst.areas(now);
            areas.0 += cores;
            areas.1 += queue;
        }
        let fleet = &mut self.fleets[service as usize];
        let window = to_time(a.window) as f64;
        let delta = (areas.0.saturating_sub(fleet.seen.0) as f64, areas.1.saturating_sub(fleet.seen.1) as f64);
        fleet.seen = areas;
        let active = f64::from(fleet.active);
        // Down instances do no work: the metric is per instance that is up.
        let up = f64::from((fleet.active - fleet.down).max(1));
        let metric = match a.metric {
            crate::policy::ScaleMetric::Utilisation => delta.0 / window / (up * f64::from(s.usable_cores())),
            crate::policy::ScaleMetric::Queue => delta.1 / window / up,
        };
        // Kubernetes' rule: enough instances to bring the metric to the target.
        let desired = ((active * metric / a.target).ceil().min(f64::from(a.max)) as u32).clamp(a.min, a.max);
        let quiet = fleet.last_action.is_none_or(|t| now >= t.saturating_add(to_time(a.cooldown)));
        if quiet {
            fleet.touch(now);
            if desired > fleet.active + fleet.pending {
                let start = desired - fleet.active - fleet.pending;
                fleet.pending += start;
                fleet.last_action = Some(now);
                for _ in 0..start {
                    self.events.schedule(now.saturating_add(to_time(a.delay)), EventKind::InstanceUp { service });
                }
            } else if desired < fleet.active && fleet.pending == 0 {
                // The instances beyond `desired` get no new work and drain.
                fleet.active = desired;
                fleet.last_action = Some(now);
                self.fleet_resized(service);
                self.recount_down(service);
            }
        }
        if self.events.len() >= self.periodic {
            self.events.schedule(now.saturating_add(window as Time), EventKind::Autoscale { service });
        }
    }

    /// A new instance has started (unless an HPA withdrew it meanwhile).
    pub(super) fn on_instance_up(&mut self, service: u32) {
        if !self.hpa_pod_ready(service) {
            return;
        }
        let fleet = &mut self.fleets[service as usize];
        fleet.touch(self.now);
        fleet.pending -= 1;
        fleet.active += 1;
        self.fleet_resized(service);
        self.recount_down(service);
        self.pull_messages(service);
    }

    pub(super) fn on_tick(&mut self) {
        let (areas, queue_areas) = self.series_areas();
        let instances: Vec<u32> = self.fleets.iter().map(|f| f.active - f.down).collect();
        let now = self.now;
        let next = self.series.as_mut().expect("ticks need a series").row(now, &areas, &instances, &queue_areas);
        // Stop ticking when nothing else is left to happen, or (a run of
        // unknown length) the series is as long as a series may be.
        let rows = self.series.as_ref().map_or(0, |s| s.rows());
        if next <= self.stop_at
            && self.events.len() >= self.periodic
            && (rows as f64) < crate::model::MAX_SERIES_INTERVALS
        {
            self.events.schedule(next, EventKind::Tick);
        }
    }
}
