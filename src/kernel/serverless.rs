//! Per-request instances (`serverless`): which request pays a cold start,
//! and the idle instances waiting for a request until `keep_alive` reclaims
//! them. The service's slots are its threads (one per instance, each with
//! its own core); this room only keeps the idle instances.
//!
//! The idle instances are a stack of reclaim times: a request takes the
//! most recently idled instance (as Lambda's router does, so the oldest
//! idle ones expire), and reclaiming happens lazily, at the next request
//! or release, in the order the instances expire. No event is scheduled.

use std::collections::VecDeque;

use super::{Observer, Sim, Time, to_time};
use crate::stats::ServerlessCounts;

/// One serverless service's idle instances and counts.
pub(super) struct Warm {
    keep_alive: Time,
    /// Reclaim times of the idle instances, the oldest first.
    reclaim: VecDeque<Time>,
    /// Time up to which `area_idle` is counted.
    last: Time,
    area_idle: u128,
    pub(super) counts: ServerlessCounts,
}

impl Warm {
    pub(super) fn new(s: &crate::model::Serverless) -> Self {
        Warm {
            keep_alive: to_time(s.keep_alive),
            reclaim: VecDeque::with_capacity(s.max_instances.min(1024) as usize),
            last: 0,
            area_idle: 0,
            counts: ServerlessCounts::default(),
        }
    }

    /// Reclaims the instances idle for `keep_alive` by `now`, each at its
    /// own reclaim time, and counts idle instance-time up to `now`.
    fn advance(&mut self, now: Time) {
        while let Some(&at) = self.reclaim.front() {
            if at > now {
                break;
            }
            self.area_idle += u128::from(at - self.last) * self.reclaim.len() as u128;
            self.last = at;
            self.reclaim.pop_front();
        }
        self.area_idle += u128::from(now - self.last) * self.reclaim.len() as u128;
        self.last = now;
    }

    /// A request starts at `now`: whether an idle instance takes it.
    fn take(&mut self, now: Time) -> bool {
        self.advance(now);
        self.reclaim.pop_back().is_some()
    }

    /// A request ended at `now`: its instance waits for the next.
    fn put(&mut self, now: Time) {
        self.advance(now);
        self.reclaim.push_back(now.saturating_add(self.keep_alive));
    }

    /// The observation window opens: counts restart.
    pub(super) fn window_opened(&mut self, now: Time) {
        self.advance(now);
        self.area_idle = 0;
        self.counts = ServerlessCounts::default();
    }

    /// The window closes at `now` after `window` ns: the counts with the mean idle instances.
    pub(super) fn window_closed(&mut self, now: Time, window: f64) -> ServerlessCounts {
        self.advance(now);
        ServerlessCounts { mean_idle: self.area_idle as f64 / window, ..self.counts }
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// A request of serverless `service` starts: the cold start it pays (0 when warm).
    pub(super) fn serverless_start(&mut self, service: u32) -> Time {
        let now = self.now;
        let observing = self.observing;
        let Some(warm) = self.fleets[service as usize].warm.as_deref_mut() else { return 0 };
        let hot = warm.take(now);
        if observing {
            warm.counts.requests += 1;
            warm.counts.cold += u64::from(!hot);
        }
        if hot {
            return 0;
        }
        let s = self.net.services[service as usize].serverless.as_ref().expect("serverless service");
        to_time(s.cold_start.sample(&mut self.streams[s.stream as usize]))
    }

    /// A request of serverless `service` released its instance.
    pub(super) fn serverless_release(&mut self, service: usize) {
        let now = self.now;
        if let Some(warm) = self.fleets[service].warm.as_deref_mut() {
            warm.put(now);
        }
    }
}
