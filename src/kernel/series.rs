//! The time series of one replication: every `interval`, from time zero
//! (warm-up included), each class's throughput, errors and latency
//! percentiles, each service's utilisation, queue and instances, and each
//! broker queue's backlog.

use hdrhistogram::Histogram;

use super::{NS, Time};
use crate::stats::{ClassSeries, Series, ServiceSeries, latency_histogram};

/// Counters of the interval in progress.
pub(super) struct SeriesRecorder {
    interval: Time,
    completed: Vec<u64>,
    failed: Vec<u64>,
    latency: Vec<Histogram<u64>>,
    /// Cumulative (busy cores, queue) areas per service at the last row.
    last_areas: Vec<(u128, u128)>,
    /// Areas the warm-up reset took away, added back so deltas stay whole.
    carried: Vec<(u128, u128)>,
    /// Cumulative broker-queue areas at the last row.
    last_queue_areas: Vec<u128>,
    queue_carried: Vec<u128>,
    out: Series,
}

impl SeriesRecorder {
    /// A recorder for `classes` classes, `services` services and `queues` broker queues.
    pub(super) fn new(interval: f64, classes: usize, services: usize, queues: usize) -> Self {
        SeriesRecorder {
            interval: super::to_time(interval).max(1),
            completed: vec![0; classes],
            failed: vec![0; classes],
            latency: (0..classes).map(|_| latency_histogram()).collect(),
            last_areas: vec![(0, 0); services],
            carried: vec![(0, 0); services],
            last_queue_areas: vec![0; queues],
            queue_carried: vec![0; queues],
            out: Series {
                interval_s: interval,
                t_s: Vec::new(),
                classes: (0..classes).map(|_| ClassSeries::default()).collect(),
                services: (0..services).map(|_| ServiceSeries::default()).collect(),
                queue_depth: (0..queues).map(|_| Vec::new()).collect(),
            },
        }
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
    pub(super) fn carry(&mut self, service_areas: &[(u128, u128)], queue_areas: &[u128]) {
        for (c, a) in self.carried.iter_mut().zip(service_areas) {
            c.0 += a.0;
            c.1 += a.1;
        }
        for (c, a) in self.queue_carried.iter_mut().zip(queue_areas) {
            *c += a;
        }
    }

    /// Closes the interval ending at `now` and returns the next row's time.
    /// `service_areas`: current (busy cores, queue) areas per service;
    /// `capacity`: cores per service; `instances`: active instances per service.
    pub(super) fn row(
        &mut self,
        now: Time,
        service_areas: &[(u128, u128)],
        capacity: &[f64],
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
            let now_areas = (service_areas[i].0 + self.carried[i].0, service_areas[i].1 + self.carried[i].1);
            let (cores, queue) = (now_areas.0 - self.last_areas[i].0, now_areas.1 - self.last_areas[i].1);
            self.last_areas[i] = now_areas;
            s.utilisation.push(cores as f64 / dt / capacity[i].max(1e-300));
            s.queue.push(queue as f64 / dt);
            s.instances.push(f64::from(instances[i]));
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
