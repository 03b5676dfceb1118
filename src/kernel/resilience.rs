//! Resilience state machines, free of the event loop so they can be tested
//! on their own: circuit breakers, token buckets and retry backoff.

use rand::RngExt;

use super::{NS, Stream, Time, to_time};
use crate::model::{Breaker, RateLimit, Retry};
use crate::policy::Jitter;

/// Buckets of a breaker's rolling window.
const BUCKETS: usize = 10;

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Calls flow; outcomes are counted.
    Closed,
    /// Calls fail fast until `open_until`.
    Open,
    /// One probe is out; its outcome closes or reopens the breaker.
    HalfOpen,
}

/// A circuit breaker: failure rate over a rolling window of `BUCKETS` slices.
#[derive(Debug, Clone)]
pub(super) struct BreakerState {
    /// Current phase.
    pub phase: Phase,
    open_until: Time,
    slice: Time,
    /// Index of the slice `now` falls in, counted from time zero.
    current: u64,
    ok: [u32; BUCKETS],
    failed: [u32; BUCKETS],
    /// Times the breaker opened.
    pub opened: u64,
    /// Time spent open or half-open \[ns\], up to `since`.
    pub open_ns: Time,
    since: Time,
}

impl BreakerState {
    /// A closed breaker.
    pub(super) fn new(b: &Breaker) -> Self {
        BreakerState {
            phase: Phase::Closed,
            open_until: 0,
            slice: (to_time(b.window) / BUCKETS as Time).max(1),
            current: 0,
            ok: [0; BUCKETS],
            failed: [0; BUCKETS],
            opened: 0,
            open_ns: 0,
            since: 0,
        }
    }

    /// May a call go through now? An open breaker turns half-open (and lets
    /// this call through as the probe) once its time is up.
    pub(super) fn allow(&mut self, now: Time) -> bool {
        match self.phase {
            Phase::Closed => true,
            Phase::Open if now >= self.open_until => {
                self.phase = Phase::HalfOpen;
                true
            }
            Phase::Open | Phase::HalfOpen => false,
        }
    }

    /// Counts one round's outcome and moves between phases.
    pub(super) fn record(&mut self, now: Time, ok: bool, b: &Breaker) {
        match self.phase {
            Phase::HalfOpen if ok => self.close(now),
            Phase::HalfOpen => self.open(now, b),
            // Stragglers of calls let through before the breaker opened.
            Phase::Open => {}
            Phase::Closed => {
                self.rotate(now);
                let i = (self.current % BUCKETS as u64) as usize;
                if ok {
                    self.ok[i] += 1;
                } else {
                    self.failed[i] += 1;
                    let failed: u32 = self.failed.iter().sum();
                    let total = failed + self.ok.iter().sum::<u32>();
                    if total >= b.min_calls && f64::from(failed) >= b.failure_rate * f64::from(total) {
                        self.open(now, b);
                    }
                }
            }
        }
    }

    /// Brings the open-time tally up to `now`.
    pub(super) fn touch(&mut self, now: Time) {
        if self.phase != Phase::Closed {
            self.open_ns += now - self.since;
        }
        self.since = now;
    }

    /// Forgets the tallies (the warm-up ends).
    pub(super) fn reset_tallies(&mut self, now: Time) {
        self.touch(now);
        self.opened = 0;
        self.open_ns = 0;
    }

    fn open(&mut self, now: Time, b: &Breaker) {
        self.touch(now);
        if self.phase == Phase::Closed {
            self.opened += 1;
        }
        self.phase = Phase::Open;
        self.open_until = now.saturating_add(to_time(b.open_for));
    }

    fn close(&mut self, now: Time) {
        self.touch(now);
        self.phase = Phase::Closed;
        self.ok = [0; BUCKETS];
        self.failed = [0; BUCKETS];
        self.current = now / self.slice;
    }

    /// Clears the slices that fell out of the window since the last outcome.
    fn rotate(&mut self, now: Time) {
        let target = now / self.slice;
        let stale = target.saturating_sub(self.current).min(BUCKETS as u64);
        for k in 1..=stale {
            let i = ((self.current + k) % BUCKETS as u64) as usize;
            self.ok[i] = 0;
            self.failed[i] = 0;
        }
        self.current = target;
    }
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    tokens: f64,
    last: Time,
}

impl Bucket {
    /// A full bucket.
    pub(super) fn full(limit: &RateLimit) -> Self {
        Bucket { tokens: f64::from(limit.burst), last: 0 }
    }

    fn refill(&mut self, now: Time, limit: &RateLimit) {
        let dt = (now - self.last) as f64 / NS;
        self.tokens = (self.tokens + dt * limit.rate).min(f64::from(limit.burst));
        self.last = now;
    }

    /// Takes a token if there is one.
    pub(super) fn take(&mut self, now: Time, limit: &RateLimit) -> bool {
        self.refill(now, limit);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Time until the next token (the Retry-After a 429 carries).
    pub(super) fn retry_after(&mut self, now: Time, limit: &RateLimit) -> Time {
        self.refill(now, limit);
        if self.tokens >= 1.0 || limit.rate <= 0.0 { 0 } else { to_time((1.0 - self.tokens) / limit.rate) }
    }
}

/// The wait before retry number `retry` (1 for the first retry).
pub(super) fn backoff(r: &Retry, retry: u32, rng: &mut Stream) -> Time {
    let base = (r.backoff * r.factor.powi(retry.saturating_sub(1).min(1000) as i32)).min(r.cap);
    let wait = match r.jitter {
        Jitter::None => base,
        Jitter::Full => base * rng.random::<f64>(),
        Jitter::Equal => base * (0.5 + 0.5 * rng.random::<f64>()),
    };
    to_time(wait)
}

/// Retry budget of a call site: each first attempt deposits `budget` tokens
/// (up to a reserve of ten), each retry spends one.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Budget {
    balance: f64,
}

impl Budget {
    const RESERVE: f64 = 10.0;

    /// A first attempt was made.
    pub(super) fn deposit(&mut self, budget: f64) {
        self.balance = (self.balance + budget).min(Self::RESERVE);
    }

    /// Spends a token for a retry if the budget has one.
    pub(super) fn withdraw(&mut self) -> bool {
        if self.balance >= 1.0 {
            self.balance -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker { failure_rate: 0.5, window: 10.0, min_calls: 4, open_for: 5.0, fallback: false }
    }

    const S: Time = 1_000_000_000;

    #[test]
    fn opens_at_the_failure_rate_then_probes_and_closes() {
        let b = breaker();
        let mut s = BreakerState::new(&b);
        s.record(0, true, &b);
        s.record(S, false, &b);
        s.record(2 * S, true, &b);
        assert_eq!(s.phase, Phase::Closed, "3 calls are below min_calls");
        s.record(3 * S, false, &b);
        assert_eq!(s.phase, Phase::Open, "2 of 4 failed");
        assert!(!s.allow(3 * S + 4 * S), "still open 4 s later");
        assert!(s.allow(8 * S), "half-open after 5 s: one probe");
        assert!(!s.allow(8 * S), "only one probe at a time");
        s.record(8 * S + 1, true, &b);
        assert_eq!(s.phase, Phase::Closed);
        s.touch(10 * S);
        assert_eq!(s.open_ns, 5 * S + 1);
        assert_eq!(s.opened, 1);
    }

    #[test]
    fn a_failed_probe_reopens_and_old_failures_age_out() {
        let b = breaker();
        let mut s = BreakerState::new(&b);
        for t in 0..4 {
            s.record(t * S, false, &b);
        }
        assert_eq!(s.phase, Phase::Open);
        assert!(s.allow(9 * S));
        s.record(9 * S, false, &b);
        assert_eq!(s.phase, Phase::Open);
        assert!(!s.allow(13 * S) && s.allow(14 * S));
        s.record(14 * S, true, &b);
        // Three failures, then quiet for longer than the window: they no longer count.
        for t in 20..23 {
            s.record(t * S, false, &b);
        }
        s.record(40 * S, false, &b);
        assert_eq!(s.phase, Phase::Closed);
    }

    #[test]
    fn a_bucket_admits_rate_times_time_plus_burst() {
        let limit = RateLimit { rate: 100.0, burst: 20, per: crate::policy::LimitScope::Service };
        let mut bucket = Bucket::full(&limit);
        // Offered 1000/s for 10 s.
        let admitted = (0..10_000).filter(|i| bucket.take(i * S / 1000, &limit)).count();
        assert!((admitted as i64 - (100 * 10 + 20)).abs() <= 1, "{admitted}");
        assert!(bucket.retry_after(10 * S, &limit) <= S / 100);
    }

    #[test]
    fn backoff_grows_to_its_cap_and_jitter_stays_below_it() {
        let r = Retry {
            attempts: 5,
            backoff: 0.1,
            factor: 2.0,
            cap: 0.5,
            jitter: Jitter::None,
            budget: None,
            honor_retry_after: false,
            stream: 0,
        };
        let mut rng = crate::rng::stream(1, "test");
        let waits: Vec<Time> = (1..=4).map(|k| backoff(&r, k, &mut rng)).collect();
        assert_eq!(waits, vec![S / 10, S / 5, 2 * S / 5, S / 2]);
        let full = Retry { jitter: Jitter::Full, ..r };
        assert!((0..1000).all(|_| backoff(&full, 4, &mut rng) <= S / 2));
    }

    #[test]
    fn a_budget_allows_its_fraction_of_retries() {
        let mut b = Budget::default();
        let mut retries = 0;
        for _ in 0..1000 {
            b.deposit(0.1);
            if b.withdraw() {
                retries += 1;
            }
        }
        assert!((99..=100).contains(&retries), "{retries}");
    }
}
