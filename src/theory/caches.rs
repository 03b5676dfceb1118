//! The expected hit ratio of a keyed TTL cache (cache-aside, as capsim's
//! caches work): keys chosen uniformly or by a Zipf law, an entry living
//! `ttl` seconds from the moment it was filled (a hit does not extend it),
//! and writes that invalidate the entry, update it, or leave it alone.
//!
//! Reads and writes of the cache form Poisson streams, so each key `i` sees
//! Poisson reads at `r_i = R p_i` and writes at `w_i = W p_i`, independently
//! of the other keys, and its entry alternates between a valid period (from a
//! fill or an updating write) and an invalid one (until the next read, which
//! misses and fills it, or the next updating write). Reads find the entry
//! valid with the long-run share of time it is valid (PASTA), the renewal-
//! reward argument of the TTL-cache literature (e.g. Fofack, Nain, Neglia &
//! Towsley, "Performance evaluation of hierarchical TTL-based cache
//! networks", Computer Networks 2014; Jung, Berger & Balakrishnan, "Modeling
//! TTL-based Internet caches", INFOCOM 2003):
//!
//! * `ignore`: valid for `T` after each miss: `miss_i = 1 / (1 + r_i T)`;
//! * `invalidate`: valid until `T` or the next write, whichever comes first,
//!   a mean of `V_i = (1 - e^{-w_i T}) / w_i`: `miss_i = 1 / (1 + r_i V_i)`;
//! * `update`: every write restarts the `T`, so a valid period lasts until
//!   the first gap of `T` without writes, a mean of `V_i = (e^{w_i T} - 1) / w_i`,
//!   and an invalid one ends at the next read or write:
//!   `miss_i = 1 / (1 + (r_i + w_i) V_i)`.
//!
//! The hit ratio is `1 - sum_i p_i miss_i`. Approximations: reads that
//! arrive while a miss is being served also miss (the fill comes only when
//! the miss path answers), which this ignores, so it is slightly optimistic
//! for hot keys behind a slow miss path; and it is the steady state, which a
//! cold cache reaches after about one TTL.

use super::{nonneg, positive};
use crate::policy::WritePolicy;

/// Keys summed one by one; beyond, in buckets a thousandth of their index
/// wide (popularity and miss ratio vary slowly there).
const EXACT_KEYS: u64 = 1 << 20;

/// The expected hit ratio of a TTL cache of `keys` keys with Zipf exponent
/// `zipf` (0: uniform), entries living `ttl` seconds, read `reads` times
/// and written `writes` times a second, writes doing `on_write`.
///
/// Returns `None` for invalid inputs (no keys, negative or non-finite rates
/// or exponent, a TTL that is not positive). With no reads the ratio is 0.
pub fn ttl_hit_ratio(keys: u32, zipf: f64, ttl: f64, reads: f64, writes: f64, on_write: WritePolicy) -> Option<f64> {
    ttl_miss_ratio(keys, zipf, ttl, reads, writes, on_write).map(|m| 1.0 - m)
}

/// `1 -` [`ttl_hit_ratio`], computed directly so that it stays positive
/// (and a miss path reachable) however close to 1 the hit ratio comes.
pub fn ttl_miss_ratio(keys: u32, zipf: f64, ttl: f64, reads: f64, writes: f64, on_write: WritePolicy) -> Option<f64> {
    if keys == 0 || !nonneg(zipf) || ttl.is_nan() || ttl <= 0.0 || !nonneg(reads) || !nonneg(writes) {
        return None;
    }
    if reads == 0.0 {
        return Some(1.0);
    }
    let miss = |p: f64| {
        let (r, w) = (reads * p, writes * p);
        // Mean valid period and the rate that ends an invalid one.
        let (valid, restart) = match on_write {
            WritePolicy::Ignore => (ttl, r),
            WritePolicy::Invalidate if w > 0.0 => (-(-w * ttl).exp_m1() / w, r),
            WritePolicy::Invalidate => (ttl, r),
            WritePolicy::Update if w > 0.0 => ((w * ttl).exp_m1() / w, r + w),
            WritePolicy::Update => (ttl, r),
        };
        1.0 / (1.0 + restart * valid)
    };
    // Popularity weights i^-s, normalised at the end.
    let weight = |i: f64| if zipf == 0.0 { 1.0 } else { i.powf(-zipf) };
    let total = sum_over_keys(keys, |count, w| count * w, &weight);
    if !positive(total) {
        return None;
    }
    let missed = sum_over_keys(keys, |count, w| count * w * miss(w / total), &weight) / total;
    Some(missed.clamp(f64::MIN_POSITIVE, 1.0))
}

/// `sum_{i=1}^{keys} f(1, weight(i))`, exactly for the first keys and by
/// buckets of `n` keys, `f(n, weight(mid))`, beyond.
fn sum_over_keys(keys: u32, f: impl Fn(f64, f64) -> f64, weight: &impl Fn(f64) -> f64) -> f64 {
    let keys = u64::from(keys);
    let exact = keys.min(EXACT_KEYS);
    let mut sum: f64 = (1..=exact).map(|i| f(1.0, weight(i as f64))).sum();
    let mut from = exact + 1;
    while from <= keys {
        let to = (from + from / 1000).min(keys);
        let n = (to - from + 1) as f64;
        sum += f(n, weight(0.5 * (from + to) as f64));
        from = to + 1;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::tests::{close, close_tol};

    #[test]
    fn uniform_keys_have_a_closed_form() {
        // 100 keys, 50 reads/s: each key read every 2 s; a 10 s TTL gives
        // r T = 5, so 5 hits per miss.
        let h = ttl_hit_ratio(100, 0.0, 10.0, 50.0, 0.0, WritePolicy::Ignore).unwrap();
        close(h, 5.0 / 6.0);
        // Without writes the policies agree.
        for p in [WritePolicy::Invalidate, WritePolicy::Update] {
            close(ttl_hit_ratio(100, 0.0, 10.0, 50.0, 0.0, p).unwrap(), h);
        }
        // Writes at 10/s (0.1/s a key): invalidation shortens the valid
        // period to (1 - e^{-1}) / 0.1; updates lengthen it to (e - 1) / 0.1
        // and end an invalid period at 0.6/s.
        let v = (1.0 - (-1.0_f64).exp()) / 0.1;
        close(ttl_hit_ratio(100, 0.0, 10.0, 50.0, 10.0, WritePolicy::Invalidate).unwrap(), 0.5 * v / (1.0 + 0.5 * v));
        let v = (1.0_f64.exp() - 1.0) / 0.1;
        close(ttl_hit_ratio(100, 0.0, 10.0, 50.0, 10.0, WritePolicy::Update).unwrap(), 0.6 * v / (1.0 + 0.6 * v));
        close(ttl_hit_ratio(100, 0.0, 10.0, 50.0, 10.0, WritePolicy::Ignore).unwrap(), h);
    }

    #[test]
    fn popularity_helps_and_the_buckets_are_accurate() {
        let uniform = ttl_hit_ratio(20_000, 0.0, 300.0, 500.0, 0.0, WritePolicy::Ignore).unwrap();
        let zipf = ttl_hit_ratio(20_000, 1.0, 300.0, 500.0, 0.0, WritePolicy::Ignore).unwrap();
        assert!(zipf > uniform, "{zipf} {uniform}");
        // Direct sum over two million keys against the bucketed tail.
        let (n, s, t, r) = (2_000_000u32, 0.8, 60.0, 3000.0);
        let total: f64 = (1..=n).map(|i| f64::from(i).powf(-s)).sum();
        let direct: f64 =
            (1..=n).map(|i| f64::from(i).powf(-s) / total).map(|p| p * r * p * t / (1.0 + r * p * t)).sum();
        close_tol(ttl_hit_ratio(n, s, t, r, 0.0, WritePolicy::Ignore).unwrap(), direct, 1e-6);
    }

    #[test]
    fn edges_of_the_domain() {
        close(ttl_hit_ratio(10, 1.0, 1.0, 0.0, 5.0, WritePolicy::Update).unwrap(), 0.0);
        assert!(ttl_hit_ratio(0, 1.0, 1.0, 1.0, 0.0, WritePolicy::Ignore).is_none());
        assert!(ttl_hit_ratio(10, -1.0, 1.0, 1.0, 0.0, WritePolicy::Ignore).is_none());
        assert!(ttl_hit_ratio(10, 1.0, 0.0, 1.0, 0.0, WritePolicy::Ignore).is_none());
        assert!(ttl_hit_ratio(10, 1.0, 1.0, f64::NAN, 0.0, WritePolicy::Ignore).is_none());
        // A huge TTL: every key hit nearly always, never quite 1 or above.
        let h = ttl_hit_ratio(10, 1.0, 1e12, 100.0, 0.0, WritePolicy::Ignore).unwrap();
        assert!(h > 0.999_999 && h <= 1.0);
        assert!(ttl_miss_ratio(10, 1.0, f64::INFINITY, 100.0, 0.0, WritePolicy::Ignore).unwrap() > 0.0);
    }
}
