//! One service instance: its threads, its waiting queue, its cores
//! (processor sharing when more requests compute than there are cores) and
//! the time-weighted accumulators behind utilisation and queue length.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::events::Time;

/// Mutable state of one instance.
#[derive(Debug)]
pub struct Instance {
    /// Owning service.
    pub service: u32,
    /// Threads per instance.
    pub threads: u32,
    /// Cores per instance.
    pub cores: u32,
    /// Threads held.
    pub busy: u32,
    /// Jobs using the CPU.
    pub computing: u32,
    /// Jobs waiting for a thread.
    pub queued: u32,
    /// Waiting jobs per priority level (one level for FIFO services).
    pub queues: Vec<VecDeque<u32>>,
    /// Processor-sharing state, used when threads outnumber cores.
    pub ps: ProcessorSharing,
    /// Failed and not yet repaired.
    pub down: bool,
    /// When the balancer's health check notices the failure (meaningful while `down`).
    pub detected_at: Time,
    last: Time,
    area_busy: u128,
    area_cores: u128,
    area_queue: u128,
}

impl Instance {
    /// An idle instance.
    pub fn new(service: u32, threads: u32, cores: u32, levels: usize) -> Self {
        Instance {
            service,
            threads,
            cores,
            busy: 0,
            computing: 0,
            queued: 0,
            queues: (0..levels).map(|_| VecDeque::new()).collect(),
            ps: ProcessorSharing::default(),
            down: false,
            detected_at: 0,
            last: 0,
            area_busy: 0,
            area_cores: 0,
            area_queue: 0,
        }
    }

    /// Requests assigned here: in service plus waiting (for balancers).
    #[inline]
    pub fn connections(&self) -> u32 {
        self.busy + self.queued
    }

    /// Accumulates the time-weighted areas up to `now`. Call before any change.
    #[inline]
    pub fn touch(&mut self, now: Time) {
        let dt = u128::from(now - self.last);
        if dt != 0 {
            self.area_busy += dt * u128::from(self.busy);
            self.area_cores += dt * u128::from(self.computing.min(self.cores));
            self.area_queue += dt * u128::from(self.queued);
            self.last = now;
        }
    }

    /// Starts a new observation window at `now`.
    pub fn reset_areas(&mut self, now: Time) {
        self.touch(now);
        self.area_busy = 0;
        self.area_cores = 0;
        self.area_queue = 0;
    }

    /// Time-weighted (busy threads, busy cores, queue length) areas \[ns\] since the last reset.
    pub fn areas(&self) -> (u128, u128, u128) {
        (self.area_busy, self.area_cores, self.area_queue)
    }

    /// Queues a job at `level`.
    #[inline]
    pub fn enqueue(&mut self, job: u32, level: usize) {
        self.queues[level].push_back(job);
        self.queued += 1;
    }

    /// Whether the balancer sends work here at `now`: up, or failed so
    /// recently that the health check has not noticed.
    #[inline]
    pub fn in_rotation(&self, now: Time) -> bool {
        !self.down || now < self.detected_at
    }

    /// Takes the next waiting job: lowest level first, FIFO within a level.
    #[inline]
    pub fn dequeue(&mut self) -> Option<u32> {
        if self.queued == 0 {
            return None;
        }
        let job = self.queues.iter_mut().find_map(VecDeque::pop_front)?;
        self.queued -= 1;
        Some(job)
    }
}

/// Egalitarian processor sharing on `cores` cores, by virtual time: each of
/// n computing jobs progresses at min(1, cores/n), so a job finishes when the
/// instance's virtual time reaches its start value plus its work.
#[derive(Debug, Default)]
pub struct ProcessorSharing {
    /// Virtual time [ns of work per job].
    vtime: f64,
    last: Time,
    /// (virtual finish time as bits, job): non-negative f64s order like their bits.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Bumped at every reschedule; older completion events are stale.
    pub generation: u32,
}

/// Below this much virtual work \[ns\] a job counts as done (float rounding).
const EPSILON_NS: f64 = 0.5;

impl ProcessorSharing {
    fn rate(n: usize, cores: u32) -> f64 {
        if n <= cores as usize { 1.0 } else { f64::from(cores) / n as f64 }
    }

    /// Brings virtual time up to `now`.
    #[inline]
    pub fn advance(&mut self, now: Time, cores: u32) {
        let n = self.heap.len();
        if n == 0 {
            // Rebase while idle so virtual time keeps full precision.
            self.vtime = 0.0;
        } else {
            self.vtime += (now - self.last) as f64 * Self::rate(n, cores);
        }
        self.last = now;
    }

    /// Adds a job with `work` ns of CPU work. Call `advance` first.
    #[inline]
    pub fn add(&mut self, job: u32, work: f64) {
        self.heap.push(Reverse(((self.vtime + work).to_bits(), job)));
    }

    /// Removes a job whose work is done, if any. Call `advance` first.
    #[inline]
    pub fn pop_done(&mut self) -> Option<u32> {
        let &Reverse((bits, job)) = self.heap.peek()?;
        if f64::from_bits(bits) <= self.vtime + EPSILON_NS {
            self.heap.pop();
            Some(job)
        } else {
            None
        }
    }

    /// Drops every job (the instance failed); pending completions become stale.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.vtime = 0.0;
        self.generation = self.generation.wrapping_add(1);
    }

    /// When the next job finishes if nothing changes, with a new generation.
    pub fn next_completion(&mut self, now: Time, cores: u32) -> Option<(Time, u32)> {
        self.generation = self.generation.wrapping_add(1);
        let &Reverse((bits, _)) = self.heap.peek()?;
        let remaining = (f64::from_bits(bits) - self.vtime).max(0.0);
        let dt = (remaining / Self::rate(self.heap.len(), cores)).ceil();
        Some((now.saturating_add(dt as Time), self.generation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_jobs_on_one_core_share_it() {
        let mut ps = ProcessorSharing::default();
        ps.advance(0, 1);
        ps.add(7, 100.0);
        ps.add(8, 300.0);
        // Both at half speed: job 7 needs 200 ns of real time.
        let (t, _) = ps.next_completion(0, 1).unwrap();
        assert_eq!(t, 200);
        ps.advance(t, 1);
        assert_eq!(ps.pop_done(), Some(7));
        assert_eq!(ps.pop_done(), None);
        // Job 8 has 200 ns of work left, alone at full speed.
        assert_eq!(ps.next_completion(t, 1).unwrap().0, 400);
    }

    #[test]
    fn queue_serves_lower_levels_first() {
        let mut inst = Instance::new(0, 1, 1, 2);
        inst.enqueue(1, 1);
        inst.enqueue(2, 0);
        inst.enqueue(3, 1);
        assert_eq!(inst.dequeue(), Some(2));
        assert_eq!(inst.dequeue(), Some(1));
        assert_eq!(inst.dequeue(), Some(3));
        assert_eq!(inst.dequeue(), None);
    }
}
