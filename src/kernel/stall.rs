//! An instance's CPU gate: what may stall all of its CPU work at once (a
//! CPU limit's quota used up, `cpu_limit.rs`; a stop-the-world pause,
//! `pauses.rs`), and the time-weighted counts of it.
//!
//! A gated instance computes by processor sharing (`Instance::dedicated` is
//! false), so a stall is one flag: while `ProcessorSharing::stalled` holds
//! no job progresses and no completion is pending. Jobs that wait for a
//! thread or a reply are not affected; only CPU work waits. Instances of
//! services without a CPU limit or pauses have no gate and never reach
//! this code.

use super::cpu_limit::Throttle;
use super::level::Level;
use super::{EventKind, GateEdge, Observer, Sim, Time, to_seconds};
use crate::model::Service;

/// The gate of one instance.
#[derive(Debug)]
pub(super) struct Gate {
    /// The CPU limit's accounting, if the service has one.
    pub throttle: Option<Throttle>,
    /// The quota is used up until the period ends.
    pub throttled: bool,
    /// A pause is under way.
    pub paused: bool,
    /// 1 while throttled.
    throttled_time: Level,
    /// 1 while paused.
    paused_time: Level,
    /// Cores whose job is stalled: min(computing, cores) while stalled, else 0.
    stalled_cores: Level,
    /// Pauses started since the last restart.
    pub pauses: u64,
}

impl Gate {
    /// The gate of an instance of `service`, if it needs one.
    pub(super) fn of(service: &Service) -> Option<Box<Gate>> {
        (service.cpu_limit.is_some() || service.pauses.is_some()).then(|| {
            Box::new(Gate {
                throttle: service.cpu_limit.as_ref().map(Throttle::new),
                throttled: false,
                paused: false,
                throttled_time: Level::default(),
                paused_time: Level::default(),
                stalled_cores: Level::default(),
                pauses: 0,
            })
        })
    }

    /// Whether CPU work is stalled.
    #[inline]
    pub(super) fn stalled(&self) -> bool {
        self.throttled || self.paused
    }

    /// Accounts the CPU used up to `now` by `computing` jobs on `cores`
    /// (none while `stalled`), before anything changes.
    #[inline]
    pub(super) fn account(&mut self, now: Time, computing: u32, cores: u32, stalled: bool) {
        if let Some(t) = &mut self.throttle {
            let rate = if stalled { 0.0 } else { f64::from(computing.min(cores)) };
            t.account(now, rate, computing > 0);
        }
    }

    /// The counts follow the flags and the `computing` jobs at `now`.
    pub(super) fn sync(&mut self, computing: u32, cores: u32, now: Time) {
        let stalled = if self.stalled() { computing.min(cores) } else { 0 };
        if stalled != self.stalled_cores.get() {
            self.stalled_cores.set(stalled, now);
        }
        if u32::from(self.throttled) != self.throttled_time.get() {
            self.throttled_time.set(u32::from(self.throttled), now);
        }
        if u32::from(self.paused) != self.paused_time.get() {
            self.paused_time.set(u32::from(self.paused), now);
        }
    }

    /// Core-time \[ns\] lost to stalls since the last restart.
    pub(super) fn stalled_area(&self, now: Time) -> u128 {
        self.stalled_cores.area(now)
    }

    /// Instance-time \[ns\] (throttled, paused) since the last restart.
    pub(super) fn stall_areas(&self, now: Time) -> (u128, u128) {
        (self.throttled_time.area(now), self.paused_time.area(now))
    }

    /// The observation window opens at `now`.
    pub(super) fn restart(&mut self, now: Time) {
        self.stalled_cores.restart(now);
        self.throttled_time.restart(now);
        self.paused_time.restart(now);
        self.pauses = 0;
        if let Some(t) = &mut self.throttle {
            t.restart();
        }
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// A gate event at `instance`.
    #[inline(never)] // kept out of the event loop of models without it
    pub(super) fn on_gate(&mut self, instance: u32, edge: GateEdge) {
        match edge {
            GateEdge::ThrottleEnd => self.on_throttle_end(instance),
            GateEdge::PauseStart => self.on_pause_start(instance),
            GateEdge::PauseEnd => self.on_pause_end(instance),
        }
    }

    /// Stalls or releases `instance`'s CPU work by `change` to its gate, at now.
    pub(super) fn set_gate(&mut self, instance: u32, change: impl FnOnce(&mut Gate)) {
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        inst.advance_cpu(now);
        let gate = inst.gate.as_mut().expect("gated instance");
        change(gate);
        inst.ps.stalled = gate.stalled();
        inst.sync_gate(now);
        self.reschedule_ps(instance);
    }

    /// The next processor-sharing event of gated `instance`: its next
    /// completion, or the moment its quota runs out if that comes first.
    #[inline(never)]
    pub(super) fn reschedule_gated(&mut self, instance: u32) {
        let inst = &mut self.instances[instance as usize];
        let next = inst.ps.next_completion(self.now, inst.cores);
        if let Some((time, generation)) = self.quota_due(instance, next) {
            self.events.schedule(time, EventKind::PsDone { instance, generation });
        }
    }

    /// Schedules a gate event at `instance` at `at`.
    pub(super) fn schedule_gate(&mut self, instance: u32, at: Time, edge: GateEdge) {
        self.events.schedule(at, EventKind::Gate { instance, edge });
    }

    /// Adds each gated instance's stall counts to its service's tallies at the window's end.
    pub(super) fn gather_stalls(&mut self, now: Time) {
        for inst in &mut self.instances {
            if inst.gate.is_none() {
                continue;
            }
            inst.advance_cpu(now);
            let Some(g) = &mut inst.gate else { continue };
            let s = &mut self.services[inst.service as usize];
            let (throttled, paused) = g.stall_areas(now);
            s.throttled_s += to_seconds(throttled as Time);
            s.paused_s += to_seconds(paused as Time);
            s.pauses += g.pauses;
            if let Some(t) = &g.throttle {
                s.cpu_periods += t.periods;
                s.throttled_periods += t.throttled_periods;
            }
        }
    }
}
