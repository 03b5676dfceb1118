//! The time series of one replication: every `interval`, from time zero
//! (warm-up included), each class's throughput, errors and latency
//! percentiles, each service's utilisation, queue and instances (and its
//! throttled and paused shares, if it has a CPU limit or pauses; its busy
//! and idle platform instances, if it is serverless), each
//! broker queue's backlog, and the hedges each hedged call site sends.

use hdrhistogram::Histogram;

use super::{NS, Time};
use crate::stats::{ClassSeries, Series, ServiceSeries, latency_histogram, utilisation};

/// Cumulative time-weighted areas of one service \[ns\]: the measures its
/// series rows are differences of.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ServiceAreas {
    /// Busy cores, all instances.
    pub(super) busy_cores: u128,
    /// Jobs waiting for a thread, all instances.
    pub(super) queue: u128,
    /// Active instances up (the table's `mean_instances`).
    pub(super) up: u128,
    /// Instance-time throttled by a CPU limit and paused (gated instances only).
    pub(super) stalls: (u128, u128),
    /// Busy and idle platform instance-time (serverless services only).
    pub(super) serverless: (u128, u128),
}

impl ServiceAreas {
    fn plus(self, o: ServiceAreas) -> ServiceAreas {
        ServiceAreas {
            busy_cores: self.busy_cores + o.busy_cores,
            queue: self.queue + o.queue,
            up: self.up + o.up,
            stalls: (self.stalls.0 + o.stalls.0, self.stalls.1 + o.stalls.1),
            serverless: (self.serverless.0 + o.serverless.0, self.serverless.1 + o.serverless.1),
        }
    }
}

/// Counters of the interval in progress.
pub(super) struct SeriesRecorder {
    interval: Time,
    completed: Vec<u64>,
    failed: Vec<u64>,
    latency: Vec<Histogram<u64>>,
    /// Usable cores per instance, per service.
    usable_cores: Vec<u32>,
    /// Cumulative areas per service at the last row.
    last_areas: Vec<ServiceAreas>,
    /// Areas the warm-up reset took away, added back so deltas stay whole.
    carried: Vec<ServiceAreas>,
    /// Cumulative broker-queue areas at the last row.
    last_queue_areas: Vec<u128>,
    queue_carried: Vec<u128>,
    /// Hedges sent in the interval, per call site (hedged models only).
    hedges: Vec<u64>,
    out: Series,
}

impl SeriesRecorder {
    /// A recorder for `classes` classes, services of `usable_cores` per
    /// instance, and `queues` broker queues.
    pub(super) fn new(interval: f64, classes: usize, usable_cores: Vec<u32>, queues: usize) -> Self {
        let services = usable_cores.len();
        SeriesRecorder {
            interval: super::to_time(interval).max(1),
            completed: vec![0; classes],
            failed: vec![0; classes],
            latency: (0..classes).map(|_| latency_histogram()).collect(),
            usable_cores,
            last_areas: vec![ServiceAreas::default(); services],
            carried: vec![ServiceAreas::default(); services],
            last_queue_areas: vec![0; queues],
            queue_carried: vec![0; queues],
            hedges: Vec::new(),
            out: Series {
                interval_s: interval,
                t_s: Vec::new(),
                classes: (0..classes).map(|_| ClassSeries::default()).collect(),
                services: (0..services).map(|_| ServiceSeries::default()).collect(),
                queue_depth: (0..queues).map(|_| Vec::new()).collect(),
                hedges_per_s: Vec::new(),
            },
        }
    }

    /// Records `service`'s throttled share when `limited` and its paused share when `paused`.
    pub(super) fn watch_stalls(&mut self, service: usize, limited: bool, paused: bool) {
        let s = &mut self.out.services[service];
        s.throttled = limited.then(Vec::new);
        s.paused = paused.then(Vec::new);
    }

    /// Records the hedges of the `hedged` call sites, of `sites` in all.
    pub(super) fn watch_hedges(&mut self, sites: usize, hedged: impl Iterator<Item = usize>) {
        let mut watched = vec![None; sites];
        let mut any = false;
        for site in hedged {
            watched[site] = Some(Vec::new());
            any = true;
        }
        if any {
            self.hedges = vec![0; sites];
            self.out.hedges_per_s = watched;
        }
    }

    /// Call site `site` sent a hedge.
    pub(super) fn hedged(&mut self, site: usize) {
        self.hedges[site] += 1;
    }

    /// Records `service`'s busy and idle platform instances (a serverless service).
    pub(super) fn watch_serverless(&mut self, service: usize) {
        let s = &mut self.out.services[service];
        s.busy_instances = Some(Vec::new());
        s.idle_instances = Some(Vec::new());
    }

    /// Time of the first row.
    pub(super) fn first_tick(&self) -> Time {
        self.interval
    }

    /// Intervals recorded so far.
    pub(super) fn rows(&self) -> usize {
        self.out.t_s.len()
    }

    /// A request of `class` finished.
    #[inline]
    pub(super) fn finished(&mut self, class: usize, latency: Time, ok: bool) {
        if ok {
            self.completed[class] += 1;
            self.latency[class].saturating_record(latency.max(1));
        } else {
            self.failed[class] += 1;
        }
    }

    /// The warm-up ended and the simulation's areas restart from zero:
    /// remember what they held.
    pub(super) fn carry(&mut self, service_areas: &[ServiceAreas], queue_areas: &[u128]) {
        for (c, a) in self.carried.iter_mut().zip(service_areas) {
            *c = c.plus(*a);
        }
        for (c, a) in self.queue_carried.iter_mut().zip(queue_areas) {
            *c += a;
        }
    }

    /// Closes the interval ending at `now` and returns the next row's time.
    /// `service_areas`: current areas per service; `instances`: active
    /// instances up per service, now.
    pub(super) fn row(
        &mut self,
        now: Time,
        service_areas: &[ServiceAreas],
        instances: &[u32],
        queue_areas: &[u128],
    ) -> Time {
        let dt = self.interval as f64;
        self.out.t_s.push(now as f64 / NS);
        for (c, s) in self.out.classes.iter_mut().enumerate() {
            let h = &mut self.latency[c];
            let q = |h: &Histogram<u64>, q: f64| {
                if h.is_empty() { f64::NAN } else { h.median_equivalent(h.value_at_quantile(q)) as f64 / NS }
            };
            s.throughput_per_s.push(self.completed[c] as f64 / (dt / NS));
            s.errors_per_s.push(self.failed[c] as f64 / (dt / NS));
            s.p50_s.push(q(h, 0.5));
            s.p99_s.push(q(h, 0.99));
            h.reset();
            self.completed[c] = 0;
            self.failed[c] = 0;
        }
        for (i, s) in self.out.services.iter_mut().enumerate() {
            let now_areas = service_areas[i].plus(self.carried[i]);
            let last = std::mem::replace(&mut self.last_areas[i], now_areas);
            // The interval's busy cores over its time-weighted instances up,
            // as the table's utilisation is over the window's.
            let busy = (now_areas.busy_cores - last.busy_cores) as f64;
            let up = (now_areas.up - last.up) as f64;
            s.utilisation.push(utilisation::utilisation(busy, up, self.usable_cores[i]));
            s.queue.push((now_areas.queue - last.queue) as f64 / dt);
            s.instances.push(f64::from(instances[i]));
            // Shares of the interval's instance-time up.
            let share = |now: u128, last: u128| if up > 0.0 { (now - last) as f64 / up } else { 0.0 };
            if let Some(t) = &mut s.throttled {
                t.push(share(now_areas.stalls.0, last.stalls.0));
            }
            if let Some(p) = &mut s.paused {
                p.push(share(now_areas.stalls.1, last.stalls.1));
            }
            if let (Some(busy), Some(idle)) = (&mut s.busy_instances, &mut s.idle_instances) {
                busy.push((now_areas.serverless.0 - last.serverless.0) as f64 / dt);
                idle.push((now_areas.serverless.1 - last.serverless.1) as f64 / dt);
            }
        }
        for (count, out) in self.hedges.iter_mut().zip(&mut self.out.hedges_per_s) {
            if let Some(out) = out {
                out.push(std::mem::take(count) as f64 / (dt / NS));
            }
        }
        for (i, d) in self.out.queue_depth.iter_mut().enumerate() {
            let area = queue_areas[i] + self.queue_carried[i];
            d.push((area - self.last_queue_areas[i]) as f64 / dt);
            self.last_queue_areas[i] = area;
        }
        now + self.interval
    }

    /// The recorded series.
    pub(super) fn finish(self) -> Series {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_weighs_the_instances_up_by_time_as_the_table_does() {
        // 1 s intervals of a service with 2 usable cores per instance.
        let mut r = SeriesRecorder::new(1.0, 0, vec![2], 0);
        let s = 1_000_000_000u128;
        // Two instances up for half the second, one for the other half
        // (1.5 instance-seconds), 1.5 cores busy on average; one up at the end.
        let areas = ServiceAreas { busy_cores: 3 * s / 2, up: 3 * s / 2, ..ServiceAreas::default() };
        r.row(1_000_000_000, &[areas], &[1], &[]);
        let out = r.finish();
        // 1.5 over 1.5 instances x 2 cores, not over the 1 up at the end.
        assert_eq!(out.services[0].utilisation, [0.5]);
        assert_eq!(out.services[0].instances, [1.0]);
    }
}
