//! One service instance: its threads, its waiting queue, its cores
//! (processor sharing when more requests compute than there are cores), the
//! computing requests a preemptive service may interrupt, and the
//! time-weighted counts behind utilisation, queue length and the share of
//! time every thread is busy. A CPU limit or pauses (`stall.rs`) gate the
//! instance's CPU work: their instances always share cores by
//! `ProcessorSharing`, which a stall freezes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::events::Time;
use super::fifo::Fifo;
use super::level::Level;
use super::stall::Gate;

/// Mutable state of one instance.
#[derive(Debug)]
pub(super) struct Instance {
    /// Owning service.
    pub service: u32,
    /// Threads per instance.
    pub threads: u32,
    /// Cores per instance.
    pub cores: u32,
    /// Threads held.
    busy: Level,
    /// Jobs using the CPU.
    computing: u32,
    /// Cores in use: `computing`, at most `cores`.
    busy_cores: Level,
    /// Jobs waiting for a thread.
    queued: Level,
    /// 1 while every thread is held, else 0.
    full: Level,
    /// Waiting jobs per priority level (one level for FIFO services).
    pub queues: Vec<Fifo>,
    /// Processor-sharing state, used when threads outnumber cores.
    pub ps: ProcessorSharing,
    /// `discipline = "priority_preemptive"`: `running` is kept.
    pub preemptive: bool,
    /// Jobs computing here and when their CPU work ends (preemptive services only).
    pub running: Vec<(u32, Time)>,
    /// Failed and not yet repaired.
    pub down: bool,
    /// When the balancer's health check notices the failure (meaningful while `down`).
    pub detected_at: Time,
    /// Each computing job has a core of its own (threads <= cores, no gate):
    /// its CPU work ends by a `CpuDone` event, not by processor sharing.
    pub dedicated: bool,
    /// What stalls this instance's CPU work (a CPU limit, pauses), if anything can.
    pub gate: Option<Box<Gate>>,
}

impl Instance {
    /// An idle instance.
    pub(super) fn new(service: u32, threads: u32, cores: u32, levels: usize, preemptive: bool) -> Self {
        Instance {
            service,
            threads,
            cores,
            busy: Level::default(),
            computing: 0,
            busy_cores: Level::default(),
            queued: Level::default(),
            full: Level::default(),
            queues: (0..levels).map(|_| Fifo::default()).collect(),
            ps: ProcessorSharing::default(),
            preemptive,
            running: Vec::new(),
            down: false,
            detected_at: 0,
            dedicated: threads <= cores,
            gate: None,
        }
    }

    /// Threads held.
    #[inline]
    pub(super) fn busy(&self) -> u32 {
        self.busy.get()
    }

    /// Jobs waiting for a thread.
    #[inline]
    pub(super) fn queued(&self) -> u32 {
        self.queued.get()
    }

    /// A job takes a thread at `now`.
    #[inline]
    pub(super) fn take_thread(&mut self, now: Time) {
        self.busy.up(now);
        if self.busy.get() == self.threads {
            self.full.up(now);
        }
    }

    /// A job frees its thread at `now`.
    #[inline]
    pub(super) fn free_thread(&mut self, now: Time) {
        if self.busy.get() == self.threads {
            self.full.down(now);
        }
        self.busy.down(now);
    }

    /// A job starts CPU work at `now`; it occupies a core if one is free.
    #[inline]
    pub(super) fn start_computing(&mut self, now: Time) {
        if self.computing < self.cores {
            self.busy_cores.up(now);
        }
        self.computing += 1;
    }

    /// A job's CPU work ends at `now`.
    #[inline]
    pub(super) fn stop_computing(&mut self, now: Time) {
        self.computing -= 1;
        if self.computing < self.cores {
            self.busy_cores.down(now);
        }
    }

    /// The instance fails at `now`: its threads and cores are idle (its
    /// queue is emptied with `dequeue` first).
    pub(super) fn lose_work(&mut self, now: Time) {
        self.busy.set(0, now);
        self.full.set(0, now);
        self.busy_cores.set(0, now);
        self.computing = 0;
        self.running.clear();
        self.ps.clear();
        self.sync_gate(now);
    }

    /// Brings processor sharing (and the gate's CPU accounting) up to `now`,
    /// before the computing jobs change.
    #[inline]
    pub(super) fn advance_cpu(&mut self, now: Time) {
        if self.gate.is_some() {
            self.account_gate(now);
        }
        self.ps.advance(now, self.cores);
    }

    /// The gate's share of `advance_cpu`, out of line: ungated instances never call it.
    #[inline(never)]
    fn account_gate(&mut self, now: Time) {
        if let Some(g) = &mut self.gate {
            g.account(now, self.ps.len(), self.cores, self.ps.stalled);
        }
    }

    /// After the computing jobs or the gate changed: the gate's count of
    /// stalled cores follows.
    #[inline]
    pub(super) fn sync_gate(&mut self, now: Time) {
        if self.gate.is_some() {
            self.sync_gate_out_of_line(now);
        }
    }

    #[inline(never)]
    fn sync_gate_out_of_line(&mut self, now: Time) {
        if let Some(g) = &mut self.gate {
            g.sync(self.ps.len(), self.cores, now);
        }
    }

    /// Requests assigned here: in service plus waiting (for balancers).
    #[inline]
    pub(super) fn connections(&self) -> u32 {
        self.busy.get() + self.queued.get()
    }

    /// Starts a new observation window at `now`.
    pub(super) fn reset_areas(&mut self, now: Time) {
        if let Some(g) = &mut self.gate {
            g.restart(now);
        }
        self.busy.restart(now);
        self.busy_cores.restart(now);
        self.queued.restart(now);
        self.full.restart(now);
    }

    /// Time-weighted (busy threads, busy cores, queue length) areas \[ns\]
    /// from the last reset to `now`. A core whose job is stalled is not busy.
    pub(super) fn areas(&self, now: Time) -> (u128, u128, u128) {
        let stalled = self.gate.as_ref().map_or(0, |g| g.stalled_area(now));
        (self.busy.area(now), self.busy_cores.area(now).saturating_sub(stalled), self.queued.area(now))
    }

    /// Time \[ns\] with every thread held, from the last reset to `now`.
    pub(super) fn full_area(&self, now: Time) -> u128 {
        self.full.area(now)
    }

    /// Queues a job at `level` at `now`.
    #[inline]
    pub(super) fn enqueue(&mut self, job: u32, level: usize, now: Time) {
        self.queues[level].push_back(job);
        self.queued.up(now);
    }

    /// Queues a preempted job at the head of `level` at `now`.
    pub(super) fn enqueue_first(&mut self, job: u32, level: usize, now: Time) {
        self.queues[level].push_front(job);
        self.queued.up(now);
    }

    /// Whether the balancer sends work here at `now`: up, or failed so
    /// recently that the health check has not noticed.
    #[inline]
    pub(super) fn in_rotation(&self, now: Time) -> bool {
        !self.down || now < self.detected_at
    }

    /// Takes the next waiting job at `now`: lowest level first, FIFO within a level.
    #[inline]
    pub(super) fn dequeue(&mut self, now: Time) -> Option<u32> {
        if self.queued.get() == 0 {
            return None;
        }
        let job = self.queues.iter_mut().find_map(Fifo::pop_front)?;
        self.queued.down(now);
        Some(job)
    }
}

/// Egalitarian processor sharing on `cores` cores, by virtual time: each of
/// n computing jobs progresses at min(1, cores/n), so a job finishes when the
/// instance's virtual time reaches its start value plus its work.
#[derive(Debug, Default)]
pub(super) struct ProcessorSharing {
    /// Virtual time [ns of work per job].
    vtime: f64,
    last: Time,
    /// (virtual finish time as bits, job): non-negative f64s order like their bits.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Bumped at every reschedule; older completion events are stale.
    pub generation: u32,
    /// The instance's CPU is stalled (throttled or paused): no job progresses.
    pub stalled: bool,
}

/// Below this much virtual work \[ns\] a job counts as done (float rounding).
const EPSILON_NS: f64 = 0.5;

impl ProcessorSharing {
    fn rate(n: usize, cores: u32) -> f64 {
        if n <= cores as usize { 1.0 } else { f64::from(cores) / n as f64 }
    }

    /// Brings virtual time up to `now`.
    #[inline]
    pub(super) fn advance(&mut self, now: Time, cores: u32) {
        let n = self.heap.len();
        if n == 0 {
            // Rebase while idle so virtual time keeps full precision.
            self.vtime = 0.0;
        } else if !self.stalled {
            self.vtime += (now - self.last) as f64 * Self::rate(n, cores);
        }
        self.last = now;
    }

    /// Jobs computing.
    #[inline]
    pub(super) fn len(&self) -> u32 {
        self.heap.len() as u32
    }

    /// Adds a job with `work` ns of CPU work. Call `advance` first.
    #[inline]
    pub(super) fn add(&mut self, job: u32, work: f64) {
        self.heap.push(Reverse(((self.vtime + work).to_bits(), job)));
    }

    /// Removes a job whose work is done, if any. Call `advance` first.
    #[inline]
    pub(super) fn pop_done(&mut self) -> Option<u32> {
        let &Reverse((bits, job)) = self.heap.peek()?;
        if f64::from_bits(bits) <= self.vtime + EPSILON_NS {
            self.heap.pop();
            Some(job)
        } else {
            None
        }
    }

    /// Drops every job (the instance failed); pending completions become stale.
    pub(super) fn clear(&mut self) {
        self.heap.clear();
        self.vtime = 0.0;
        self.generation = self.generation.wrapping_add(1);
    }

    /// When the next job finishes if nothing changes, with a new generation.
    pub(super) fn next_completion(&mut self, now: Time, cores: u32) -> Option<(Time, u32)> {
        self.generation = self.generation.wrapping_add(1);
        if self.stalled {
            return None;
        }
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
        let mut inst = Instance::new(0, 1, 1, 2, false);
        inst.enqueue(1, 1, 0);
        inst.enqueue(2, 0, 0);
        inst.enqueue(3, 1, 0);
        assert_eq!(inst.dequeue(0), Some(2));
        assert_eq!(inst.dequeue(0), Some(1));
        assert_eq!(inst.dequeue(0), Some(3));
        assert_eq!(inst.dequeue(0), None);
    }

    #[test]
    fn areas_integrate_each_level_over_time() {
        // Two threads, one core.
        let mut inst = Instance::new(0, 2, 1, 1, false);
        inst.take_thread(10);
        inst.start_computing(10);
        inst.take_thread(20);
        inst.start_computing(20); // the second computes too: still one core busy
        inst.enqueue(9, 0, 30);
        assert_eq!(inst.areas(40), (10 + 2 * 20, 30, 10));
        inst.reset_areas(40);
        inst.stop_computing(50);
        inst.free_thread(50);
        assert_eq!(inst.dequeue(60), Some(9));
        // Busy: 2 threads for 10, then 1 for 20; cores: 1 throughout; queue: 1 for 20.
        assert_eq!(inst.areas(70), (2 * 10 + 20, 30, 20));
        inst.stop_computing(70);
        inst.lose_work(70);
        assert_eq!(inst.areas(100), (2 * 10 + 20, 30, 20));
    }
}
