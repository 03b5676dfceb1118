//! Instance failures and repairs: a failed instance loses the work it holds
//! and waits for, the balancer skips it once the health check notices, and
//! consumers of a broker queue pick work up again when instances come back.

use super::{EventKind, Observer, Ready, Sim, to_seconds, to_time};
use crate::model::{MESSAGE, NONE};
use crate::stats::ErrorCause;

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// An instance fails: its threads, queue and CPU work are gone.
    pub(super) fn on_instance_fail(&mut self, instance: u32) {
        let now = self.now;
        let service = self.instances[instance as usize].service as usize;
        let f = self.net.services[service].failures.as_ref().expect("scheduled for failing services");
        let stream = &mut self.streams[f.stream as usize];
        if instance - self.first_instance[service] >= self.fleets[service].active {
            // Not running (scaled in or never started): its clock restarts.
            let next = to_time(f.mttf.sample(stream));
            if self.events.len() >= self.periodic {
                self.events.schedule(now.saturating_add(next), EventKind::InstanceFail { instance });
            }
            return;
        }
        let repair = to_time(f.mttr.sample(stream));
        self.events.schedule(now.saturating_add(repair), EventKind::InstanceRepair { instance });
        let inst = &mut self.instances[instance as usize];
        inst.down = true;
        inst.detected_at = now.saturating_add(to_time(f.detect));
        let mut waiting = Vec::with_capacity(inst.queued() as usize);
        while let Some(job) = inst.dequeue(now) {
            waiting.push(job);
        }
        inst.lose_work(now);
        self.rekey(instance);
        let fleet = &mut self.fleets[service];
        fleet.touch(now);
        fleet.failing += 1;
        fleet.down += 1;
        let mut lost = waiting.len() as u64;
        let mut wait_lost = 0.0;
        for job in waiting {
            let j = &mut self.jobs[job];
            wait_lost += to_seconds(now - j.enqueued);
            j.failure = Some(ErrorCause::InstanceDown);
            self.ready.push_back(Ready::Resume(job));
        }
        let live: Vec<u32> = self.jobs.live_ids().collect();
        for id in live {
            let job = &self.jobs[id];
            if job.holds_thread && job.instance == instance {
                // Redelivered messages stay at the service; everything else is lost.
                lost += u64::from(job.parent != MESSAGE);
                self.abort(id);
            }
        }
        if self.observing {
            let s = &mut self.services[service];
            s.failures += 1;
            s.lost += lost;
            s.wait_lost += wait_lost;
        }
        // Redelivered messages go to the consumers still up.
        self.pull_messages(service as u32);
    }

    /// A failed instance is back: the balancer uses it again at once.
    pub(super) fn on_instance_repair(&mut self, instance: u32) {
        let now = self.now;
        let service = self.instances[instance as usize].service;
        let inst = &mut self.instances[instance as usize];
        inst.down = false;
        self.fleets[service as usize].failing -= 1;
        self.recount_down(service);
        let f = self.net.services[service as usize].failures.as_ref().expect("scheduled for failing services");
        let next = to_time(f.mttf.sample(&mut self.streams[f.stream as usize]));
        if self.events.len() >= self.periodic {
            self.events.schedule(now.saturating_add(next), EventKind::InstanceFail { instance });
        }
        self.pull_messages(service);
    }

    /// A job whose instance failed under it: its thread is gone, and the
    /// replies, timers and connection it waited for no longer matter. A
    /// message goes back to the head of its queue (the broker redelivers what
    /// was never acknowledged); anything else fails back to its caller.
    fn abort(&mut self, id: u32) {
        let job = &mut self.jobs[id];
        job.holds_thread = false;
        job.waiting_pool = false;
        job.token = job.token.wrapping_add(1);
        if job.pool != NONE {
            self.release_pool(id);
        }
        let job = &mut self.jobs[id];
        if job.parent == MESSAGE {
            job.pc = 0;
            job.phase = 0;
            job.attempt = 0;
            job.failure = None;
            job.enqueued = self.now;
            let state = &mut self.queue_states[job.parent_token as usize];
            state.touch(self.now);
            state.waiting.push_front(id);
            return;
        }
        job.failure = Some(ErrorCause::InstanceDown);
        self.ready.push_back(Ready::Resume(id));
    }

    /// Free consumer threads of `service` take waiting messages (after an
    /// instance starts or comes back, or messages were redelivered).
    pub(super) fn pull_messages(&mut self, service: u32) {
        let queue = self.net.services[service as usize].consumes;
        if queue == NONE {
            return;
        }
        let first = self.first_instance[service as usize];
        for instance in first..first + self.fleets[service as usize].active {
            loop {
                let inst = &mut self.instances[instance as usize];
                if inst.down || inst.busy() >= inst.threads || inst.queued() > 0 {
                    break;
                }
                inst.take_thread(self.now);
                if !self.take_message(queue, instance) {
                    self.instances[instance as usize].free_thread(self.now);
                    return;
                }
                self.rekey(instance);
            }
        }
    }

    /// Recounts the active instances that are down (after the fleet changed).
    pub(super) fn recount_down(&mut self, service: u32) {
        let first = self.first_instance[service as usize] as usize;
        let fleet = &mut self.fleets[service as usize];
        let active = &self.instances[first..first + fleet.active as usize];
        fleet.touch(self.now);
        fleet.down = active.iter().filter(|i| i.down).count() as u32;
    }
}
