//! Hedged calls (`hedge = { after, max = 1, cancel }` on a call): each copy
//! of a hedged call site that has not replied `after` its sending gets a
//! twin, sent through the balancer like any call (to another instance
//! whenever the policy spreads work); the first of the two replies counts
//! and the other is dropped. With `cancel`, the loser is cancelled: it stops
//! at its next step (a copy still travelling or queued leaves as soon as it
//! gets a thread, without computing; a computing one ends its current CPU
//! burst; one waiting on its own calls stops when they reply). Without it,
//! the loser runs to the end.
//!
//! `after = "pNN"` hedges at that percentile of the site's observed latency
//! (each counted reply's time from its own sending), once the site has seen
//! `Hedge::warm_up` replies; the threshold is refreshed every 64 replies.
//!
//! Pairs live beside the slab: `pair_of` maps a job's slot (checked by its
//! generation) to its pair. Models without hedges have no `Hedging` and
//! only test `Sim::hedging`'s presence where a hedged job could be.

use hdrhistogram::Histogram;

use super::{EventKind, Observer, Sim, Time, to_time};
use crate::config::HedgeAfter;
use crate::model::{NONE, Network};
use crate::stats::{ErrorCause, latency_histogram};

/// Replies between refreshes of a percentile rule's threshold.
const REFRESH: u64 = 64;

/// One hedged call site's observed latency.
struct Site {
    latency: Histogram<u64>,
    replies: u64,
    /// The current delay before hedging; `Time::MAX` while warming up.
    after: Time,
}

/// A copy and its twin.
#[derive(Debug, Clone, Copy)]
struct Pair {
    /// (slot, generation) of the first copy and of its twin.
    jobs: [(u32, u32); 2],
    /// Members not yet delivered.
    live: u8,
    /// A reply has counted; the next is dropped.
    settled: bool,
    /// Hedge site.
    site: u32,
}

/// Every hedged call site's state and the pairs in flight.
pub(super) struct Hedging {
    sites: Vec<Site>,
    pairs: Vec<Pair>,
    free: Vec<u32>,
    /// (generation, pair) by job slot; `NONE` pair: none.
    pair_of: Vec<(u32, u32)>,
}

impl Hedging {
    /// The hedging state of `net`, if any call is hedged.
    pub(super) fn of(net: &Network) -> Option<Box<Hedging>> {
        (!net.hedges.is_empty()).then(|| {
            Box::new(Hedging {
                sites: net
                    .hedges
                    .iter()
                    .map(|h| Site {
                        latency: latency_histogram(),
                        replies: 0,
                        after: match h.after {
                            HedgeAfter::Delay(d) => to_time(d),
                            HedgeAfter::Quantile(_) => Time::MAX,
                        },
                    })
                    .collect(),
                pairs: Vec::new(),
                free: Vec::new(),
                pair_of: Vec::new(),
            })
        })
    }

    fn link(&mut self, slot: u32, generation: u32, pair: u32) {
        let slot = slot as usize;
        if self.pair_of.len() <= slot {
            self.pair_of.resize(slot + 1, (0, NONE));
        }
        self.pair_of[slot] = (generation, pair);
    }

    fn pair_of(&self, slot: u32, generation: u32) -> Option<u32> {
        match self.pair_of.get(slot as usize) {
            Some(&(g, pair)) if g == generation && pair != NONE => Some(pair),
            _ => None,
        }
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Copy `child` of hedged site `site` was just sent: its twin follows if it is slow.
    #[inline(never)] // kept out of the event loop of models without it
    pub(super) fn arm_hedge(&mut self, child: u32, site: u32) {
        let h = self.hedging.as_mut().expect("hedged calls have hedging");
        let after = h.sites[site as usize].after;
        if self.observing {
            self.guards[self.net.calls[self.jobs[self.jobs[child].parent].calling as usize].guard as usize].copies += 1;
        }
        if after == Time::MAX {
            return;
        }
        let generation = self.jobs.generation(child);
        self.events.schedule(self.now.saturating_add(after), EventKind::HedgeDue { job: child, generation });
    }

    /// Copy `child` has not replied in time: send its twin, if its caller still waits.
    #[inline(never)] // kept out of the event loop of models without it
    pub(super) fn on_hedge_due(&mut self, child: u32, generation: u32) {
        if self.jobs.generation(child) != generation {
            return; // it replied
        }
        let c = self.jobs[child];
        let parent = c.parent;
        if self.jobs.generation(parent) != c.parent_gen || self.jobs[parent].token != c.parent_token {
            return; // the round is over
        }
        let call = self.net.calls[self.jobs[parent].calling as usize];
        let twin = self.spawn(parent, call.op);
        let twin_generation = self.jobs.generation(twin);
        let h = self.hedging.as_mut().expect("hedged calls have hedging");
        let pair =
            Pair { jobs: [(child, generation), (twin, twin_generation)], live: 2, settled: false, site: call.hedge };
        let id = match h.free.pop() {
            Some(id) => {
                h.pairs[id as usize] = pair;
                id
            }
            None => {
                h.pairs.push(pair);
                (h.pairs.len() - 1) as u32
            }
        };
        h.link(child, generation, id);
        h.link(twin, twin_generation, id);
        if self.observing {
            self.guards[call.guard as usize].hedges += 1;
        }
        if let Some(series) = &mut self.series {
            series.hedged(call.guard as usize);
        }
    }

    /// Copy `id` of a call replies: whether its reply counts (the first of
    /// a pair, or a copy never hedged). Settling a pair cancels the loser
    /// when the site says so; a counted reply feeds the site's latency.
    #[inline(never)] // kept out of the event loop of models without it
    pub(super) fn hedge_reply(&mut self, id: u32) -> bool {
        let generation = self.jobs.generation(id);
        let h = self.hedging.as_mut().expect("hedged calls have hedging");
        let mut cancel = NONE;
        if let Some(p) = h.pair_of(id, generation) {
            h.pair_of[id as usize].1 = NONE;
            let pair = &mut h.pairs[p as usize];
            pair.live -= 1;
            if pair.settled {
                if pair.live == 0 {
                    h.free.push(p);
                }
                return false;
            }
            pair.settled = true;
            let other = if pair.jobs[0].0 == id { pair.jobs[1] } else { pair.jobs[0] };
            let won = pair.jobs[1].0 == id;
            let site = pair.site;
            if self.net.hedges[site as usize].cancel && self.jobs.generation(other.0) == other.1 {
                cancel = other.0;
            }
            if self.observing {
                let call = self.net.calls[self.jobs[self.jobs[id].parent].calling as usize];
                let g = &mut self.guards[call.guard as usize];
                g.hedge_wins += u64::from(won);
                g.cancelled += u64::from(cancel != NONE);
            }
        }
        if cancel != NONE {
            // A cancelled copy unwinds as a failed one; nothing counts its
            // failure, since its pair is settled.
            let loser = &mut self.jobs[cancel];
            loser.failure.get_or_insert(ErrorCause::Timeout);
        }
        // The site learns its latency from the replies that count.
        let job = &self.jobs[id];
        let parent = job.parent;
        if self.jobs.generation(parent) == job.parent_gen && self.jobs[parent].token == job.parent_token {
            let site = self.net.calls[self.jobs[parent].calling as usize].hedge;
            if site != NONE
                && let HedgeAfter::Quantile(q) = self.net.hedges[site as usize].after
            {
                let warm_up = self.net.hedges[site as usize].warm_up();
                let latency = self.now - job.arrived;
                let h = self.hedging.as_mut().expect("hedged calls have hedging");
                let s = &mut h.sites[site as usize];
                s.latency.saturating_record(latency.max(1));
                s.replies += 1;
                if s.replies >= warm_up && (s.replies - warm_up).is_multiple_of(REFRESH) {
                    s.after = s.latency.value_at_quantile(q);
                }
            }
        }
        true
    }
}
