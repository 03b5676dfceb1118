//! The observation window: statistics reset at the end of the warm-up, and
//! the replication's tallies gathered into [`RunStats`] at its end.

use super::series::SeriesRecorder;
use super::{NONE, NS, Observer, Sim, Time};
use crate::stats::RunStats;

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    pub(super) fn start_observing(&mut self) {
        self.observing = true;
        let now = self.now;
        if self.series.is_some() {
            let (areas, queue_areas) = self.series_areas();
            self.series.as_mut().expect("checked").carry(&areas, &queue_areas);
        }
        for inst in &mut self.instances {
            inst.reset_areas(now);
        }
        for c in &mut self.classes {
            c.in_system.restart(now);
        }
        for p in &mut self.pool_states {
            p.touch(now);
            p.area_busy = 0;
            p.area_full = 0;
        }
        for b in &mut self.breakers {
            b.reset_tallies(now);
        }
        for q in &mut self.queue_states {
            q.touch(now);
            q.area = 0;
        }
        for f in &mut self.fleets {
            f.touch(now);
            f.area_active = 0;
            f.area_billed = 0;
            f.area_down = 0;
            // The instances' areas restart from zero too.
            f.seen = (0, 0);
            let replicas = f.active + f.pending;
            if let Some(h) = &mut f.hpa {
                h.window_opened(now, replicas);
            }
            if let Some(w) = &mut f.warm {
                w.window_opened(now);
            }
        }
        self.census_at_start();
    }

    /// The window's midpoint has come: keeps the areas so far, to compare
    /// the two halves at the end.
    pub(super) fn mark_midpoint(&mut self, mid: Time) {
        self.mid_area = Some(self.area_in_system(mid));
        for (area, state) in self.mid_queue_areas.iter_mut().zip(&self.queue_states) {
            *area = state.area_at(mid);
        }
    }

    pub(super) fn finish(mut self) -> RunStats {
        let now = self.now;
        self.census_at_end();
        // The first and second half of the window, when the run reached its end.
        let mid = self.observe_from + self.stop_at.saturating_sub(self.observe_from) / 2;
        let halves_of = match self.mid_area {
            Some(_) if self.stopped.is_none() && now == self.stop_at && mid > self.observe_from => {
                let half = |area: u128, ns: Time| area as f64 / ns.max(1) as f64;
                let (first_ns, second_ns) = (mid - self.observe_from, now - mid);
                Some(move |first: u128, total: u128| (half(first, first_ns), half(total - first, second_ns)))
            }
            _ => None,
        };
        let halves_in_system =
            halves_of.zip(self.mid_area).map(|(halves, first)| halves(first, self.area_in_system(now)));
        let observed_ns = now.saturating_sub(self.observe_from).max(1);
        let observed = observed_ns as f64 / NS;
        let mut per_service = vec![(0u128, 0u128, 0u128, 0u128); self.net.services.len()];
        for inst in &mut self.instances {
            let (b, c, q) = inst.areas(now);
            let acc = &mut per_service[inst.service as usize];
            acc.0 += b;
            acc.1 += c;
            acc.2 += q;
            acc.3 += inst.full_area(now);
        }
        self.gather_stalls(now);
        let window = observed_ns as f64;
        for ((s, (b, c, q, full)), fleet) in self.services.iter_mut().zip(per_service).zip(&mut self.fleets) {
            s.mean_busy_threads = b as f64 / window;
            s.mean_busy_cores = c as f64 / window;
            s.mean_queue_len = q as f64 / window;
            fleet.touch(now);
            s.mean_instances = fleet.area_active as f64 / window;
            s.mean_billed = fleet.area_billed as f64 / window;
            s.mean_down = fleet.area_down as f64 / window;
            // Instance-time with every thread held over active instance-time.
            s.all_busy = if fleet.area_active > 0 { full as f64 / fleet.area_active as f64 } else { 0.0 };
            s.scaling = fleet.hpa.as_ref().map(|h| h.counts);
            s.serverless = fleet.warm.as_mut().map(|w| w.window_closed(now, window));
        }
        // Messages waiting for a consumer wait for its threads: count them in its queue.
        for (state, queue) in self.queue_states.iter_mut().zip(&self.net.queues) {
            state.touch(now);
            let consumer = self.net.ops[queue.consumer as usize].service as usize;
            self.services[consumer].mean_queue_len += state.area as f64 / window;
        }
        for (pool, first) in self.net.pools.iter().zip(&self.pool_first) {
            let n = pool.per.map_or(1, |s| self.net.services[s as usize].max_instances());
            let run = &mut self.pools[self.pool_first.iter().position(|f| f == first).expect("own index")];
            for p in &mut self.pool_states[*first as usize..(*first + n) as usize] {
                p.touch(now);
                run.mean_busy += p.area_busy as f64 / window;
                run.exhausted += p.area_full as f64 / window / f64::from(n);
            }
        }
        let classes = self
            .classes
            .into_iter()
            .map(|mut c| {
                c.stats.mean_in_system = c.in_system.area(now) as f64 / observed_ns as f64;
                c.latency.add_to(&mut c.stats.latency);
                c.stats.latency_sketch = c.latency.sketch();
                if let (Some(counts), Some(tally)) = (&c.completion, &mut c.stats.completion) {
                    counts.add_to(&mut tally.histogram);
                    tally.sketch = counts.sketch();
                }
                if let (Some(counts), Some(tally)) = (&c.seen_done, &mut c.stats.seen_done) {
                    counts.add_to(&mut tally.histogram);
                    tally.sketch = counts.sketch();
                }
                c.stats
            })
            .collect();
        RunStats {
            observed,
            events: self.events_processed,
            classes,
            services: self.services,
            op_classes: self.op_classes,
            pools: self.pools,
            caches: self.caches,
            databases: self.databases,
            guards: {
                let mut guards = self.guards;
                for (g, site) in guards.iter_mut().zip(&self.net.guarded) {
                    let b = self.net.calls[site.call as usize].breaker;
                    if b != NONE {
                        let state = &mut self.breakers[b as usize];
                        state.touch(now);
                        g.opened = state.opened;
                        g.open_fraction = state.open_ns as f64 / observed_ns as f64;
                    }
                }
                guards
            },
            series: self.series.map(SeriesRecorder::finish),
            queues: {
                let mut queues = self.queues;
                for ((q, state), first) in queues.iter_mut().zip(&mut self.queue_states).zip(&self.mid_queue_areas) {
                    state.touch(now);
                    q.mean_depth = state.area as f64 / window;
                    q.halves_depth = halves_of.map(|halves| halves(*first, state.area));
                }
                queues
            },
            cap_hit_at: self.cap_hit_at.map(|t| t as f64 / NS),
            stopped: self.stopped,
            halves_in_system,
        }
    }
}
