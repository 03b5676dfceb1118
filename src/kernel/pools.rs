//! Connection pools: a counted resource a job holds around a call (PgBouncer
//! style). Acquiring, waiting with a timeout, and handing a returned
//! connection to the first live waiter.

use std::collections::VecDeque;

use super::{EventKind, NONE, Observer, Ready, Sim, Time, to_seconds, to_time};
use crate::stats::ErrorCause;

/// One pool instance: connections, waiters and time-weighted use.
pub(super) struct PoolState {
    pub(super) size: u32,
    pub(super) busy: u32,
    /// (job, slot generation, token, since when): stale entries (timed out) are skipped.
    pub(super) waiters: VecDeque<(u32, u32, u32, Time)>,
    pub(super) last: Time,
    pub(super) area_busy: u128,
    pub(super) area_full: u128,
}

impl PoolState {
    #[inline]
    pub(super) fn touch(&mut self, now: Time) {
        let dt = u128::from(now - self.last);
        self.area_busy += dt * u128::from(self.busy);
        if self.busy == self.size {
            self.area_full += dt;
        }
        self.last = now;
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// The pool instance a job at `instance` uses for `pool`.
    pub(super) fn pool_instance(&self, pool: u32, instance: u32) -> u32 {
        let first = self.pool_first[pool as usize];
        match self.net.pools[pool as usize].per {
            Some(service) => first + instance - self.first_instance[service as usize],
            None => first,
        }
    }

    /// Takes a connection, or queues for one. True when the job holds it now.
    pub(super) fn acquire(&mut self, id: u32, instance: u32) -> bool {
        let now = self.now;
        let pool_id = self.net.calls[self.jobs[id].calling as usize].pool as usize;
        let state = &mut self.pool_states[instance as usize];
        state.touch(now);
        let job = &mut self.jobs[id];
        if self.observing {
            self.pools[pool_id].attempts += 1;
        }
        if state.busy < state.size {
            state.busy += 1;
            job.pool = instance;
            if self.observing {
                let p = &mut self.pools[pool_id];
                p.acquired += 1;
                p.waits.record(0);
            }
            self.obs.pool_acquired(now, id, pool_id as u32, 0);
            return true;
        }
        if self.observing {
            self.pools[pool_id].waited += 1;
        }
        match self.net.pools[pool_id].wait_timeout {
            Some(t) if t <= 0.0 => {
                if self.observing {
                    self.pools[pool_id].timeouts += 1;
                }
                job.failure = Some(ErrorCause::PoolTimeout);
                self.obs.pool_timeout(now, id, pool_id as u32);
                self.ready.push_back(Ready::Resume(id));
            }
            timeout => {
                job.waiting_pool = true;
                let generation = self.jobs.generation(id);
                let token = self.jobs[id].token;
                self.obs.pool_wait(now, id, pool_id as u32, state.waiters.len() as u32);
                state.waiters.push_back((id, generation, token, now));
                if let Some(t) = timeout {
                    self.events.schedule(
                        now.saturating_add(to_time(t)),
                        EventKind::PoolTimeout { job: id, generation, token },
                    );
                }
            }
        }
        false
    }

    /// Returns the job's connection, handing it to the first live waiter.
    pub(super) fn release_pool(&mut self, id: u32) {
        let now = self.now;
        let instance = std::mem::replace(&mut self.jobs[id].pool, NONE);
        let state = &mut self.pool_states[instance as usize];
        state.touch(now);
        while let Some((waiter, generation, token, since)) = state.waiters.pop_front() {
            let live = self.jobs.generation(waiter) == generation
                && self.jobs[waiter].token == token
                && self.jobs[waiter].waiting_pool;
            if !live {
                continue;
            }
            let w = &mut self.jobs[waiter];
            w.waiting_pool = false;
            w.pool = instance;
            w.token = w.token.wrapping_add(1);
            let pool_id = self.net.calls[w.calling as usize].pool as usize;
            let waited = now - since;
            if self.observing {
                let p = &mut self.pools[pool_id];
                p.acquired += 1;
                p.wait_sum += to_seconds(waited);
                p.waits.record(waited);
            }
            self.obs.pool_acquired(now, waiter, pool_id as u32, waited);
            self.ready.push_back(Ready::Round(waiter));
            return;
        }
        state.busy -= 1;
    }

    pub(super) fn on_pool_timeout(&mut self, id: u32, generation: u32, token: u32) {
        if self.jobs.generation(id) != generation || self.jobs[id].token != token || !self.jobs[id].waiting_pool {
            return;
        }
        let job = &mut self.jobs[id];
        job.waiting_pool = false;
        job.token = job.token.wrapping_add(1);
        job.failure = Some(ErrorCause::PoolTimeout);
        let pool_id = self.net.calls[job.calling as usize].pool as usize;
        if self.observing {
            self.pools[pool_id].timeouts += 1;
        }
        self.obs.pool_timeout(self.now, id, pool_id as u32);
        self.ready.push_back(Ready::Resume(id));
    }
}
