//! Balancing: which instance of a service a new job goes to. Every policy
//! of [`Balance`] lives here, on the fast path (all instances up) and on the
//! health-aware path (some down, only those in rotation are candidates).

use rand::RngExt;

use super::{NONE, Observer, Sim};
use crate::policy::Balance;

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Picks the instance of `service_id` for a new job.
    #[inline(always)]
    pub(super) fn balance(&mut self, service_id: u32) -> u32 {
        let fleet = &self.fleets[service_id as usize];
        if (BASIC || fleet.failing == 0) && fleet.active == 1 {
            return self.first_instance[service_id as usize];
        }
        self.balance_among(service_id)
    }

    /// `balance` for a fleet of more than one instance or with some down.
    pub(super) fn balance_among(&mut self, service_id: u32) -> u32 {
        if !BASIC && self.fleets[service_id as usize].failing > 0 {
            return self.balance_healthy(service_id);
        }
        let service = &self.net.services[service_id as usize];
        let first = self.first_instance[service_id as usize];
        let n = self.fleets[service_id as usize].active;
        let rr = &mut self.round_robin[service_id as usize];
        // The fleet may have shrunk since the offset was set.
        let offset = if *rr >= n { 0 } else { *rr };
        *rr = if offset + 1 == n { 0 } else { offset + 1 };
        let stream = &mut self.streams[service.balance_stream as usize];
        let instances = &self.instances[first as usize..(first + n) as usize];
        let pick = match service.balance {
            Balance::RoundRobin => offset,
            Balance::Random => stream.random_range(0..n),
            Balance::PowerOfTwo => {
                let a = stream.random_range(0..n);
                let b = (a + 1 + stream.random_range(0..n - 1)) % n;
                if instances[b as usize].connections() < instances[a as usize].connections() { b } else { a }
            }
            // Ties rotate with the round-robin offset so equal instances share work.
            Balance::LeastConnections => min_from(offset, n, |i| u64::from(instances[i].connections())),
            Balance::JoinShortestQueue => {
                min_from(offset, n, |i| (u64::from(instances[i].queued()) << 32) | u64::from(instances[i].busy()))
            }
        };
        first + pick
    }

    /// `balance` while some instances are down: only those in rotation (up,
    /// or failed but not yet noticed by the health check) are candidates.
    /// `NONE` when there is none.
    pub(super) fn balance_healthy(&mut self, service_id: u32) -> u32 {
        const OUT: u64 = u64::MAX;
        let now = self.now;
        let service = &self.net.services[service_id as usize];
        let first = self.first_instance[service_id as usize];
        let n = self.fleets[service_id as usize].active;
        let instances = &self.instances[first as usize..(first + n) as usize];
        let healthy = instances.iter().filter(|i| i.in_rotation(now)).count() as u32;
        if healthy == 0 {
            return NONE;
        }
        // The k-th instance in rotation.
        let nth = |k: u32| {
            let mut candidates = (0..n).filter(|&i| instances[i as usize].in_rotation(now));
            candidates.nth(k as usize).expect("k < healthy")
        };
        let rr = &mut self.round_robin[service_id as usize];
        let offset = if *rr >= n { 0 } else { *rr };
        let stream = &mut self.streams[service.balance_stream as usize];
        let pick = match service.balance {
            Balance::RoundRobin => (0..n)
                .map(|k| if offset + k >= n { offset + k - n } else { offset + k })
                .find(|&i| instances[i as usize].in_rotation(now))
                .expect("one is healthy"),
            Balance::Random => nth(stream.random_range(0..healthy)),
            Balance::PowerOfTwo if healthy == 1 => nth(0),
            Balance::PowerOfTwo => {
                let a = stream.random_range(0..healthy);
                let b = (a + 1 + stream.random_range(0..healthy - 1)) % healthy;
                let (a, b) = (nth(a), nth(b));
                if instances[b as usize].connections() < instances[a as usize].connections() { b } else { a }
            }
            Balance::LeastConnections => min_from(offset, n, |i| {
                if instances[i].in_rotation(now) { u64::from(instances[i].connections()) } else { OUT }
            }),
            Balance::JoinShortestQueue => min_from(offset, n, |i| {
                let inst = &instances[i];
                if inst.in_rotation(now) { (u64::from(inst.queued()) << 32) | u64::from(inst.busy()) } else { OUT }
            }),
        };
        *rr = if pick + 1 >= n { 0 } else { pick + 1 };
        first + pick
    }
}

/// Index in 0..n with the smallest key, scanning from `offset` so ties rotate.
#[inline]
fn min_from(offset: u32, n: u32, key: impl Fn(usize) -> u64) -> u32 {
    let mut best = offset;
    let mut best_key = key(offset as usize);
    for k in 1..n {
        let i = if offset + k >= n { offset + k - n } else { offset + k };
        let v = key(i as usize);
        if v < best_key {
            best = i;
            best_key = v;
        }
    }
    best
}
