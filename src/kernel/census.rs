//! Counting what is in the system when the observation window opens and
//! closes, and the run limits (`simulation.max_events`, `max_wall`).
//!
//! The counts close the books: for every class, requests in flight at the
//! opening plus arrivals equal completions, failures and requests in flight at
//! the close; for every service likewise with jobs. The waits carried across
//! the window's edges make Little's law for a service's queue an exact
//! identity (see `tests/integration/properties.rs`). Everything here runs
//! twice per replication, off the event loop's hot path.

use super::fifo::Fifo;
use super::{NONE, NS, Observer, Sim, Time, to_seconds};

/// Per class or service: how many, and their time so far \[s\] (in the
/// system for a class; waiting for a thread for a service).
type Census = Vec<(u64, f64)>;

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Requests in the system per class, and jobs and waits so far per service, at `self.now`.
    fn census(&self) -> (Census, Census) {
        let now = self.now;
        let mut classes: Census = self.classes.iter().map(|c| (u64::from(c.in_system.get()), 0.0)).collect();
        for id in self.jobs.live_ids() {
            let job = &self.jobs[id];
            if job.parent == NONE {
                classes[usize::from(job.class)].1 += to_seconds(now.saturating_sub(job.arrived));
            }
        }
        let mut services = vec![(0u64, 0.0f64); self.net.services.len()];
        for inst in &self.instances {
            let s = &mut services[inst.service as usize];
            s.0 += u64::from(inst.busy()) + u64::from(inst.queued());
            for job in inst.queues.iter().flat_map(Fifo::iter) {
                s.1 += to_seconds(now.saturating_sub(self.jobs[job].enqueued));
            }
        }
        // Messages waiting in a broker queue wait for their consumer's threads.
        for (state, queue) in self.queue_states.iter().zip(&self.net.queues) {
            let s = &mut services[self.net.ops[queue.consumer as usize].service as usize];
            s.0 += state.waiting.len() as u64;
            for &job in &state.waiting {
                s.1 += to_seconds(now.saturating_sub(self.jobs[job].enqueued));
            }
        }
        (classes, services)
    }

    /// Records what is in the system as the window opens.
    pub(super) fn census_at_start(&mut self) {
        let (classes, services) = self.census();
        for (c, (n, so_far)) in self.classes.iter_mut().zip(classes) {
            c.stats.in_flight_start = n;
            c.stats.sojourn_carried_in = so_far;
        }
        for (s, (n, waited)) in self.services.iter_mut().zip(services) {
            s.in_flight_start = n;
            s.wait_carried_in = waited;
        }
    }

    /// Records what is in the system as the window closes.
    pub(super) fn census_at_end(&mut self) {
        let (classes, services) = self.census();
        for (c, (n, so_far)) in self.classes.iter_mut().zip(classes) {
            c.stats.in_flight_end = n;
            c.stats.sojourn_carried_out = so_far;
        }
        for (s, (n, waited)) in self.services.iter_mut().zip(services) {
            s.in_flight_end = n;
            s.wait_carried_out = waited;
        }
    }

    /// The time-weighted requests in the system so far, all classes \[ns\], at `now`.
    pub(super) fn area_in_system(&self, now: Time) -> u128 {
        self.classes.iter().map(|c| c.in_system.area(now)).sum()
    }

    /// Why the run must stop now, if a limit is reached: `popped` events so far.
    pub(super) fn over_limit(&self, popped: u64, started: std::time::Instant) -> Option<String> {
        let s = &self.net.settings;
        let at = crate::format::format_duration(self.now as f64 / NS);
        if let Some(max) = s.max_events
            && popped > max
        {
            return Some(format!(
                "simulation.max_events ({max}) was reached at simulated time {at}: the run stopped there. Raise simulation.max_events, or shorten the run (simulation.duration or requests)"
            ));
        }
        if let Some(max) = s.max_wall
            && popped.is_multiple_of(4096)
            && started.elapsed().as_secs_f64() > max
        {
            return Some(format!(
                "simulation.max_wall ({}) of wall-clock time was reached at simulated time {at}: the run stopped there. Raise simulation.max_wall, or shorten the run",
                crate::format::format_duration(max)
            ));
        }
        None
    }
}
