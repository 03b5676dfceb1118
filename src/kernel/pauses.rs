//! Stop-the-world pauses (`pauses = { every, duration }`): each instance
//! pauses `every` after its previous pause ended (the first `every` after
//! the start), and its CPU work freezes for the pause's `duration` (queued
//! work waits; calls in flight elsewhere go on). A renewal cycle is a gap
//! then a pause, so the long-run paused share is E\[duration\] /
//! (E\[every\] + E\[duration\]). Instances not running (scaled in) skip
//! their pauses.

use super::{GateEdge, Observer, Sim, to_time};

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Schedules every paused service's instances' first pause.
    pub(super) fn schedule_pauses(&mut self) {
        for (id, s) in self.net.services.iter().enumerate() {
            let Some(p) = &s.pauses else { continue };
            let first = self.first_instance[id];
            for instance in first..first + s.max_instances() {
                let at = to_time(p.every.sample(&mut self.streams[p.stream as usize]));
                self.schedule_gate(instance, at, GateEdge::PauseStart);
            }
        }
    }

    pub(super) fn on_pause_start(&mut self, instance: u32) {
        let service = self.instances[instance as usize].service as usize;
        let p = self.net.services[service].pauses.as_ref().expect("scheduled for pausing services");
        let stream = &mut self.streams[p.stream as usize];
        if instance - self.first_instance[service] >= self.fleets[service].active {
            // Not running: the next pause is due a gap later.
            let next = to_time(p.every.sample(stream));
            if self.events.len() >= self.periodic {
                self.schedule_gate(instance, self.now.saturating_add(next), GateEdge::PauseStart);
            }
            return;
        }
        let length = to_time(p.duration.sample(stream));
        self.set_gate(instance, |g| {
            g.paused = true;
            g.pauses += 1;
        });
        self.schedule_gate(instance, self.now.saturating_add(length), GateEdge::PauseEnd);
    }

    pub(super) fn on_pause_end(&mut self, instance: u32) {
        let service = self.instances[instance as usize].service as usize;
        let p = self.net.services[service].pauses.as_ref().expect("scheduled for pausing services");
        let next = to_time(p.every.sample(&mut self.streams[p.stream as usize]));
        self.set_gate(instance, |g| g.paused = false);
        // Only the instances' own pauses left: nothing can happen any more.
        if self.events.len() >= self.periodic {
            self.schedule_gate(instance, self.now.saturating_add(next), GateEdge::PauseStart);
        }
    }
}
