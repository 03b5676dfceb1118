//! Balancing: which instance of a service a new job goes to. Every policy
//! of [`Balance`] lives here, on the fast path (all instances up) and on the
//! health-aware path (some down, only those in rotation are candidates).
//!
//! Least connections and join-shortest-queue pick the instance with the
//! smallest key. A fleet of fewer than `TREE_MIN` active instances scans
//! them all; a larger one asks its service's tournament tree, which every
//! change of an instance's key updates (`rekey`), and gets the same pick in
//! O(log n).

use rand::RngExt;

use super::instance::Instance;
use super::tournament::Tournament;
use super::{NONE, Observer, Sim};
use crate::model::Network;
use crate::policy::Balance;

/// Active instances from which least connections and join-shortest-queue
/// use the tree instead of the scan.
pub(super) const TREE_MIN: u32 = 64;

/// Least connections' key: requests in service plus waiting.
#[inline]
fn lc_key(inst: &Instance) -> u64 {
    u64::from(inst.connections())
}

/// Join-shortest-queue's key: the queue first, then threads held.
#[inline]
fn jsq_key(inst: &Instance) -> u64 {
    (u64::from(inst.queued()) << 32) | u64::from(inst.busy())
}

/// The tournament tree of one service's instances' keys.
#[derive(Debug, Default)]
pub(super) struct BalanceTree {
    /// Whether the tree is kept current: a least-connections or JSQ service
    /// with `TREE_MIN` active instances or more.
    live: bool,
    /// Join-shortest-queue's keys (else least connections').
    jsq: bool,
    /// The service's first instance.
    first: u32,
    /// The instance whose leaf may be out of date (`NONE`: none): the one
    /// just picked, whose key `dispatch` changes after the pick. Every use
    /// of the tree refreshes it first, so `dispatch` need not.
    stale: u32,
    /// Over all the service's instances (active or not); empty when the
    /// service never has `TREE_MIN` instances or balances otherwise.
    tree: Tournament,
}

impl BalanceTree {
    /// One per service of `net`, allocated for those that may need it.
    pub(super) fn for_network(net: &Network, first_instance: &[u32]) -> Vec<BalanceTree> {
        net.services
            .iter()
            .zip(first_instance)
            .map(|(s, &first)| {
                let keyed = matches!(s.balance, Balance::LeastConnections | Balance::JoinShortestQueue);
                if keyed && s.max_instances() >= TREE_MIN {
                    BalanceTree {
                        live: false,
                        jsq: s.balance == Balance::JoinShortestQueue,
                        first,
                        stale: NONE,
                        tree: Tournament::new(s.max_instances()),
                    }
                } else {
                    BalanceTree::default()
                }
            })
            .collect()
    }

    #[inline]
    fn key(&self, inst: &Instance) -> u64 {
        if self.jsq { jsq_key(inst) } else { lc_key(inst) }
    }

    /// Brings the stale leaf, if any, up to date.
    #[inline]
    fn refresh(&mut self, instances: &[Instance]) {
        if self.stale != NONE {
            let key = self.key(&instances[self.stale as usize]);
            self.tree.set(self.stale - self.first, key);
            self.stale = NONE;
        }
    }
}

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
            Balance::LeastConnections | Balance::JoinShortestQueue if self.trees[service_id as usize].live => {
                let t = &mut self.trees[service_id as usize];
                t.refresh(&self.instances);
                let pick = t.tree.min_from(offset, n);
                debug_assert_eq!(
                    pick,
                    min_from(offset, n, |i| t.key(&instances[i])),
                    "the tree picks what the scan picks"
                );
                // The caller gives it a thread or a place in its queue.
                t.stale = first + pick;
                pick
            }
            Balance::LeastConnections => min_from(offset, n, |i| lc_key(&instances[i])),
            Balance::JoinShortestQueue => min_from(offset, n, |i| jsq_key(&instances[i])),
        };
        first + pick
    }

    /// The balancing key of `instance` may have changed (a thread freed, a
    /// job dequeued, a consumer's thread taken, work lost): its service's
    /// tree follows. (A balanced job's thread or place in the queue needs
    /// no call: see `BalanceTree::stale`.)
    #[inline(always)]
    pub(super) fn rekey(&mut self, instance: u32) {
        if self.trees_live {
            self.rekey_tree(instance);
        }
    }

    /// Out of line and marked cold, though a large fleet calls it at every
    /// release: the hot path of every other model stays as laid out before
    /// (inline, M/M/8 ran 3-4% slower with no more instructions).
    #[cold]
    #[inline(never)]
    fn rekey_tree(&mut self, instance: u32) {
        let inst = &self.instances[instance as usize];
        let t = &mut self.trees[inst.service as usize];
        if t.live {
            t.refresh(&self.instances);
            let key = t.key(inst);
            t.tree.set(instance - t.first, key);
        }
    }

    /// `service`'s fleet changed size (or the run begins): its tree is kept
    /// from `TREE_MIN` active instances, rebuilt when it comes back into use.
    pub(super) fn fleet_resized(&mut self, service: u32) {
        let t = &mut self.trees[service as usize];
        let live = t.tree.len() > 0 && self.fleets[service as usize].active >= TREE_MIN;
        if live && !t.live {
            let first = t.first as usize;
            let instances = &self.instances[first..first + t.tree.len() as usize];
            let jsq = t.jsq;
            t.tree.rebuild(|i| if jsq { jsq_key(&instances[i as usize]) } else { lc_key(&instances[i as usize]) });
            t.stale = NONE;
        }
        t.live = live;
        self.trees_live = self.trees.iter().any(|t| t.live);
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
            Balance::LeastConnections => {
                min_from(offset, n, |i| if instances[i].in_rotation(now) { lc_key(&instances[i]) } else { OUT })
            }
            Balance::JoinShortestQueue => {
                min_from(offset, n, |i| if instances[i].in_rotation(now) { jsq_key(&instances[i]) } else { OUT })
            }
        };
        *rr = if pick + 1 >= n { 0 } else { pick + 1 };
        // `dispatch` may change the pick's key: the tree refreshes it later.
        let t = &mut self.trees[service_id as usize];
        if t.live {
            t.refresh(&self.instances);
            t.stale = first + pick;
        }
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
