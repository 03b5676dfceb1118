//! A tournament tree (flat, bottom-up segment tree of minima) over the
//! balancing keys of a large fleet: least connections and join-shortest-queue
//! pick in O(log n) instead of scanning every instance, with the scan's
//! choice exactly (see `min_from`).
//!
//! Each entry packs a key and its leaf index as `key << 32 | index`, so the
//! minimum of a set of entries is the smallest key at its first index: ties
//! go to the lowest index without a second comparison.

/// Minimum keys of `n` leaves, with their indices.
#[derive(Debug, Default)]
pub(super) struct Tournament {
    n: u32,
    /// `nodes[n + i]`: leaf `i`; `nodes[k]` for `1 <= k < n`: the smaller of
    /// `nodes[2k]` and `nodes[2k + 1]`, so `nodes[1]` is the whole tree's. Unused: `nodes[0]`.
    nodes: Vec<u128>,
}

#[inline]
fn entry(key: u64, index: u32) -> u128 {
    (u128::from(key) << 32) | u128::from(index)
}

#[inline]
fn key_of(entry: u128) -> u64 {
    (entry >> 32) as u64
}

impl Tournament {
    /// `n` leaves, every key 0.
    pub(super) fn new(n: u32) -> Self {
        let mut t = Tournament { n, nodes: vec![0; 2 * n as usize] };
        t.rebuild(|_| 0);
        t
    }

    /// Leaves.
    #[inline]
    pub(super) fn len(&self) -> u32 {
        self.n
    }

    /// Sets every leaf `i` to `key(i)` at once, in O(n).
    pub(super) fn rebuild(&mut self, key: impl Fn(u32) -> u64) {
        let n = self.n as usize;
        for i in 0..n {
            self.nodes[n + i] = entry(key(i as u32), i as u32);
        }
        for k in (1..n).rev() {
            self.nodes[k] = self.nodes[2 * k].min(self.nodes[2 * k + 1]);
        }
    }

    /// Sets leaf `i`'s key, in O(log n); stops climbing where a minimum holds.
    #[inline]
    pub(super) fn set(&mut self, i: u32, key: u64) {
        let mut k = (self.n + i) as usize;
        let e = entry(key, i);
        if self.nodes[k] == e {
            return;
        }
        self.nodes[k] = e;
        while k > 1 {
            k >>= 1;
            let m = self.nodes[2 * k].min(self.nodes[2 * k + 1]);
            if self.nodes[k] == m {
                return;
            }
            self.nodes[k] = m;
        }
    }

    /// The smallest entry of leaves `l..r` (`u128::MAX` when empty).
    #[inline]
    fn min_in(&self, l: u32, r: u32) -> u128 {
        let (mut l, mut r) = ((l + self.n) as usize, (r + self.n) as usize);
        let mut best = u128::MAX;
        while l < r {
            if l & 1 == 1 {
                best = best.min(self.nodes[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                best = best.min(self.nodes[r]);
            }
            l >>= 1;
            r >>= 1;
        }
        best
    }

    /// The leaf in `0..m` (`offset < m <= n`) with the smallest key, ties
    /// going to the first at or after `offset` cyclically: `min_from`'s pick.
    #[inline]
    pub(super) fn min_from(&self, offset: u32, m: u32) -> u32 {
        debug_assert!(offset < m && m <= self.n);
        let after = self.min_in(offset, m);
        // Before the offset: the whole tree's minimum, when it spans 0..m,
        // is the first smallest key there if it beats `after`'s.
        let before = if m == self.n { self.nodes[1] } else { self.min_in(0, offset) };
        (if key_of(before) < key_of(after) { before } else { after }) as u32
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;

    /// The linear scan the tree replaces (as in `balance::min_from`).
    fn scan(offset: u32, m: u32, keys: &[u64]) -> u32 {
        let mut best = offset;
        for k in 1..m {
            let i = (offset + k) % m;
            if keys[i as usize] < keys[best as usize] {
                best = i;
            }
        }
        best
    }

    #[test]
    fn picks_what_the_scan_picks() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(18);
        for n in [1u32, 2, 3, 5, 8, 31, 32, 33, 64, 100, 257, 1000] {
            // Few distinct keys: many ties, the case the offset decides.
            for spread in [1u64, 3, 50, u64::MAX] {
                let mut keys: Vec<u64> = (0..n).map(|_| rng.random_range(0..=spread.min(1 << 40))).collect();
                let mut t = Tournament::new(n);
                t.rebuild(|i| keys[i as usize]);
                for _ in 0..300 {
                    // Change a key (to a small one, a large one or the same).
                    let i = rng.random_range(0..n);
                    keys[i as usize] = match rng.random_range(0..4) {
                        0 => 0,
                        1 => keys[i as usize],
                        2 => u64::MAX,
                        _ => rng.random_range(0..=spread.min(1 << 40)),
                    };
                    t.set(i, keys[i as usize]);
                    // Over the whole tree and a prefix (a fleet scaled in).
                    let m = if rng.random_bool(0.5) { n } else { rng.random_range(1..=n) };
                    let offset = rng.random_range(0..m);
                    assert_eq!(t.min_from(offset, m), scan(offset, m, &keys), "n {n}, m {m}, offset {offset}");
                }
            }
        }
    }

    #[test]
    fn jsq_keys_order_by_queue_then_busy() {
        let key = |queued: u64, busy: u64| (queued << 32) | busy;
        let mut t = Tournament::new(4);
        t.rebuild(|i| [key(1, 8), key(0, 8), key(0, 7), key(0, 7)][i as usize]);
        assert_eq!(t.min_from(0, 4), 2);
        assert_eq!(t.min_from(3, 4), 3);
        t.set(3, key(u64::from(u32::MAX), u64::from(u32::MAX)));
        assert_eq!(t.min_from(3, 4), 2);
    }
}
