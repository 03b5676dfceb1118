//! Per-request instances (`serverless`): which platform instance a request
//! runs on, which request pays (or waits for part of) a cold start, and
//! the idle instances waiting for a request until `keep_alive` reclaims
//! them. The service's slots are its threads (`max_instances x
//! concurrency`, each with its own core); this room maps the requests
//! holding them onto platform instances of `concurrency` slots each.
//!
//! A request goes, in this order, to
//! 1. the busiest *ready* instance that still has room (Cloud Run's
//!    packing, which keeps the fewest instances busy);
//! 2. the most recently idled instance (Lambda's router: the oldest idle
//!    ones are the ones that expire);
//! 3. the *starting* instance with room that will be ready first: it waits
//!    for the rest of that cold start (counted as cold);
//! 4. a new instance, paying a whole cold start.
//!
//! With `concurrency = 1` steps 1 and 3 never apply. Idle instances are a
//! queue of reclaim times; reclaiming happens lazily, at the next request
//! or release, in the order the instances expire. No event is scheduled,
//! and the per-instance state is allocated at setup (`max_instances`).

use std::collections::VecDeque;

use super::{NONE, Observer, Sim, Time, to_time};
use crate::stats::ServerlessCounts;

/// Where a starting request runs.
enum Placed {
    /// On a ready instance: no wait.
    Warm,
    /// On a starting instance, for the rest of its cold start.
    Joined(Time),
    /// On a new instance, whose cold start it pays.
    Started,
}

/// One serverless service's platform instances and counts.
pub(super) struct Warm {
    keep_alive: Time,
    concurrency: u32,
    /// The idle instances with their reclaim times, the oldest first.
    idle: VecDeque<(Time, u32)>,
    /// Requests on each instance.
    load: Vec<u32>,
    /// When each instance's cold start ends.
    ready: Vec<Time>,
    /// Instances with requests and room for more (only with `concurrency` > 1).
    open: Vec<u32>,
    /// Each instance's index in `open` (`NONE`: not there).
    open_at: Vec<u32>,
    /// Instances not running (never started, or reclaimed).
    spare: Vec<u32>,
    /// The instance each job holds, by job id (`NONE`: none).
    owner: Vec<u32>,
    /// Instances serving at least one request.
    busy: u32,
    /// Time up to which the areas are counted.
    last: Time,
    area_idle: u128,
    area_busy: u128,
    pub(super) counts: ServerlessCounts,
}

impl Warm {
    pub(super) fn new(s: &crate::model::Serverless) -> Self {
        let n = s.max_instances as usize;
        Warm {
            keep_alive: to_time(s.keep_alive),
            concurrency: s.concurrency,
            idle: VecDeque::with_capacity(n),
            load: vec![0; n],
            ready: vec![0; n],
            open: Vec::with_capacity(if s.concurrency > 1 { n } else { 0 }),
            open_at: vec![NONE; if s.concurrency > 1 { n } else { 0 }],
            spare: (0..s.max_instances).rev().collect(),
            owner: Vec::new(),
            busy: 0,
            last: 0,
            area_idle: 0,
            area_busy: 0,
            counts: ServerlessCounts::default(),
        }
    }

    /// Reclaims the instances idle for `keep_alive` by `now`, each at its
    /// own reclaim time, and counts idle and busy instance-time up to `now`.
    #[inline(always)]
    fn advance(&mut self, now: Time) {
        while let Some(&(at, instance)) = self.idle.front() {
            if at > now {
                break;
            }
            self.count(at);
            self.idle.pop_front();
            self.spare.push(instance);
        }
        self.count(now);
    }

    #[inline(always)]
    fn count(&mut self, to: Time) {
        let span = u128::from(to - self.last);
        self.area_idle += span * self.idle.len() as u128;
        self.area_busy += span * u128::from(self.busy);
        self.last = to;
    }

    /// A request starts at `now`: the instance it runs on, and how.
    #[inline(always)]
    fn place(&mut self, now: Time) -> (u32, Placed) {
        self.advance(now);
        // The busiest ready instance with room, else the starting one ready first.
        let (mut ready, mut starting) = (NONE, NONE);
        for &i in &self.open {
            let iu = i as usize;
            if self.ready[iu] <= now {
                if ready == NONE || self.load[iu] > self.load[ready as usize] {
                    ready = i;
                }
            } else if starting == NONE || self.ready[iu] < self.ready[starting as usize] {
                starting = i;
            }
        }
        if ready != NONE {
            self.join(ready);
            return (ready, Placed::Warm);
        }
        if let Some((_, i)) = self.idle.pop_back() {
            self.occupy(i);
            return (i, Placed::Warm);
        }
        if starting != NONE {
            self.join(starting);
            return (starting, Placed::Joined(self.ready[starting as usize] - now));
        }
        // The kernel gave the request a slot, so some instance has room.
        let i = self.spare.pop().expect("a free slot is on an instance not yet running");
        self.occupy(i);
        (i, Placed::Started)
    }

    /// A request joins `i`, which already serves some.
    fn join(&mut self, i: u32) {
        let load = &mut self.load[i as usize];
        *load += 1;
        if *load == self.concurrency {
            self.close(i);
        }
    }

    /// The first request of `i` (idle or new) arrives.
    fn occupy(&mut self, i: u32) {
        self.load[i as usize] = 1;
        self.busy += 1;
        if self.concurrency > 1 {
            self.open_at[i as usize] = self.open.len() as u32;
            self.open.push(i);
        }
    }

    /// `i` has no room left, or no request: out of `open`.
    fn close(&mut self, i: u32) {
        let at = std::mem::replace(&mut self.open_at[i as usize], NONE) as usize;
        self.open.swap_remove(at);
        if let Some(&moved) = self.open.get(at) {
            self.open_at[moved as usize] = at as u32;
        }
    }

    /// A request on `i` ended at `now`.
    #[inline(always)]
    fn leave(&mut self, i: u32, now: Time) {
        self.advance(now);
        let iu = i as usize;
        let was_full = self.load[iu] == self.concurrency;
        self.load[iu] -= 1;
        if self.load[iu] == 0 {
            // Its last request: it waits for the next until keep_alive reclaims it.
            if !was_full {
                self.close(i);
            }
            self.busy -= 1;
            self.idle.push_back((now.saturating_add(self.keep_alive), i));
        } else if was_full {
            self.open_at[iu] = self.open.len() as u32;
            self.open.push(i);
        }
    }

    /// Notes that job `job` runs on instance `i`.
    fn hold(&mut self, job: u32, i: u32) {
        let j = job as usize;
        if j >= self.owner.len() {
            self.owner.resize(j + 1, NONE);
        }
        self.owner[j] = i;
    }

    /// Busy and idle instance-time \[ns\] since the window opened, up to `now` (for the series).
    pub(super) fn areas(&mut self, now: Time) -> (u128, u128) {
        self.advance(now);
        (self.area_busy, self.area_idle)
    }

    /// The observation window opens: counts restart.
    pub(super) fn window_opened(&mut self, now: Time) {
        self.advance(now);
        self.area_idle = 0;
        self.area_busy = 0;
        self.counts = ServerlessCounts::default();
    }

    /// The window closes at `now` after `window` ns: the counts with the mean idle and busy instances.
    pub(super) fn window_closed(&mut self, now: Time, window: f64) -> ServerlessCounts {
        self.advance(now);
        ServerlessCounts {
            mean_idle: self.area_idle as f64 / window,
            mean_busy: self.area_busy as f64 / window,
            ..self.counts
        }
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Job `id` of serverless `service` starts: the cold start it waits for (0 when warm).
    pub(super) fn serverless_start(&mut self, service: u32, id: u32) -> Time {
        let now = self.now;
        let observing = self.observing;
        let Some(warm) = self.fleets[service as usize].warm.as_deref_mut() else { return 0 };
        let (instance, placed) = warm.place(now);
        warm.hold(id, instance);
        if observing {
            warm.counts.requests += 1;
            warm.counts.cold += u64::from(!matches!(placed, Placed::Warm));
            warm.counts.starts += u64::from(matches!(placed, Placed::Started));
        }
        match placed {
            Placed::Warm => 0,
            Placed::Joined(wait) => wait,
            Placed::Started => {
                let s = self.net.services[service as usize].serverless.as_ref().expect("serverless service");
                let cold = to_time(s.cold_start.sample(&mut self.streams[s.stream as usize]));
                let warm = self.fleets[service as usize].warm.as_deref_mut().expect("serverless service");
                warm.ready[instance as usize] = now.saturating_add(cold);
                cold
            }
        }
    }

    /// Job `id` of serverless `service` released its slot.
    pub(super) fn serverless_release(&mut self, service: usize, id: u32) {
        let now = self.now;
        if let Some(warm) = self.fleets[service].warm.as_deref_mut()
            && let Some(&i) = warm.owner.get(id as usize)
            && i != NONE
        {
            warm.owner[id as usize] = NONE;
            warm.leave(i, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    fn warm(concurrency: u32, max_instances: u32) -> Warm {
        Warm::new(&crate::model::Serverless {
            cold_start: Dist::parse("constant(1s)").unwrap(),
            stream: 0,
            keep_alive: 10.0,
            concurrency,
            max_instances,
            memory_gb: 1.0,
            price_per_request: 0.0,
            price_per_gb_s: 0.0,
        })
    }

    /// Places a request at `now`, marking a new instance ready at `ready`.
    fn place(w: &mut Warm, now: Time, ready: Time) -> (u32, Placed) {
        let (i, p) = w.place(now);
        if matches!(p, Placed::Started) {
            w.ready[i as usize] = ready;
        }
        (i, p)
    }

    #[test]
    fn requests_pack_onto_the_busiest_ready_instance_then_idle_then_starting() {
        const S: Time = 1_000_000_000;
        let mut w = warm(3, 4);
        // Two instances start; the second request joins the first while it starts.
        let (a, p) = place(&mut w, 0, S);
        assert!(matches!(p, Placed::Started));
        let (j, p) = place(&mut w, S / 2, 0);
        assert_eq!(j, a);
        assert!(matches!(p, Placed::Joined(w) if w == S / 2), "waits the rest of a's cold start");
        let (a2, _) = place(&mut w, S / 2, 0);
        assert_eq!(a2, a); // a is full now (3)
        let (b, p) = place(&mut w, S / 2, 2 * S);
        assert!(matches!(p, Placed::Started) && b != a);
        // Both ready; a has 2 after a leave, b has 1: the next goes to a, the busier.
        w.leave(a, 3 * S);
        let (x, p) = place(&mut w, 3 * S, 0);
        assert!(matches!(p, Placed::Warm));
        assert_eq!(x, a);
        // a full, b has room: b takes it although a third instance could start.
        let (y, _) = place(&mut w, 3 * S, 0);
        assert_eq!(y, b);
        // Empty b: it idles; a request with a full and b idle goes to b, warm.
        w.leave(b, 4 * S);
        w.leave(b, 4 * S);
        assert_eq!((w.busy, w.idle.len()), (1, 1));
        let (z, p) = place(&mut w, 5 * S, 0);
        assert!(matches!(p, Placed::Warm) && z == b);
        // An idle instance is reclaimed keep_alive after its last request left.
        w.leave(b, 6 * S);
        w.advance(16 * S - 1);
        assert_eq!(w.idle.len(), 1);
        w.advance(16 * S);
        assert_eq!(w.idle.len(), 0);
        assert_eq!(w.spare.len(), 3);
    }
}
