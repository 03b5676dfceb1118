//! Preemptive-resume priority (`discipline = "priority_preemptive"`): an
//! arrival that finds every thread busy takes the thread, and the core, of a
//! computing job of lower priority. That job keeps the CPU work it has left
//! and waits at the head of its priority; when a thread frees it resumes
//! where it stopped (preemptive resume, as in the textbook M/G/1 result).
//! Jobs waiting for a call hold their thread but no core, and are not
//! preempted: interrupting them would not free a core.

use super::{Observer, Ready, Sim, Time};

/// CPU work a preempted job has left, with its slot's generation (a slot
/// reused by a later job does not inherit it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Unfinished {
    generation: u32,
    work: Time,
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Gives job `id`, which found every thread of `instance` busy, the
    /// thread of a lower-priority computing job, if there is one. True when
    /// `id` got a thread.
    pub(super) fn preempt(&mut self, id: u32, instance: u32) -> bool {
        let now = self.now;
        let priority = self.jobs[id].priority;
        let jobs = &self.jobs;
        // The lowest priority below the arrival's; among equals the one with
        // the most work left, which would hold its core the longest.
        let victim = self.instances[instance as usize]
            .running
            .iter()
            .enumerate()
            .filter(|(_, (job, _))| jobs[*job].priority > priority)
            .max_by_key(|(_, (job, end))| (jobs[*job].priority, *end))
            .map(|(slot, _)| slot);
        let Some(slot) = victim else {
            return false;
        };
        let inst = &mut self.instances[instance as usize];
        let (victim, end) = inst.running.swap_remove(slot);
        inst.stop_computing(now);
        inst.enqueue_first(victim, usize::from(self.jobs[victim].priority), now);
        let generation = self.jobs.generation(victim);
        let v = &mut self.jobs[victim];
        v.holds_thread = false;
        // Its CPU completion, already scheduled, is now stale.
        v.token = v.token.wrapping_add(1);
        let slot = victim as usize;
        if self.unfinished.len() <= slot {
            self.unfinished.resize(slot + 1, None);
        }
        self.unfinished[slot] = Some(Unfinished { generation, work: end.saturating_sub(now) });
        if self.observing {
            self.services[inst.service as usize].preempted += 1;
        }
        self.obs.preempted(now, victim, end.saturating_sub(now));
        let job = &mut self.jobs[id];
        job.instance = instance;
        job.holds_thread = true;
        job.enqueued = now;
        self.ready.push_back(Ready::Start(id));
        true
    }

    /// The CPU work job `id` has left from a preemption, taken, if it was preempted.
    pub(super) fn take_unfinished(&mut self, id: u32) -> Option<Time> {
        let generation = self.jobs.generation(id);
        let entry = self.unfinished.get_mut(id as usize)?;
        match *entry {
            Some(u) if u.generation == generation => {
                *entry = None;
                Some(u.work)
            }
            _ => None,
        }
    }

    /// Job `id`'s CPU work on a preemptive instance ended: it no longer runs there.
    pub(super) fn stop_running(&mut self, id: u32, instance: u32) {
        let running = &mut self.instances[instance as usize].running;
        if let Some(slot) = running.iter().position(|r| r.0 == id) {
            running.swap_remove(slot);
        }
    }
}
