//! CPU limits with CFS quota semantics (`cpu_limit`, `cpu_period`): an
//! instance may use `limit × period` of CPU time per period, summed over
//! its computing jobs; once it has, all its CPU work stalls until the next
//! period starts. Periods start at multiples of the period from time zero.
//!
//! The quota is accounted lazily: `Throttle::account` runs whenever the
//! instance's processor sharing advances (before the computing jobs
//! change), and `quota_due` adds the moment the quota would run out to the
//! instance's next processor-sharing event, at which `check_quota`
//! throttles it. Periods are counted as the kernel counts `nr_periods`:
//! those in which the instance had CPU work to do.

use super::{GateEdge, Observer, Sim, Time};
use crate::model::CpuLimit;

/// Below this much CPU time \[ns\] left, the quota counts as used (float rounding).
const EPSILON_NS: f64 = 0.5;

/// One instance's quota accounting.
#[derive(Debug)]
pub(super) struct Throttle {
    /// CPU time per period \[ns\].
    quota: f64,
    /// The period \[ns\].
    period: Time,
    /// CPU time used in period `index` \[ns\].
    used: f64,
    /// The period `used` belongs to.
    index: u64,
    /// Accounted up to here.
    last: Time,
    /// The first period not yet counted in `periods`.
    uncounted: u64,
    /// Periods with CPU work to do since the last restart.
    pub periods: u64,
    /// Of them, periods in which the quota ran out.
    pub throttled_periods: u64,
}

impl Throttle {
    pub(super) fn new(limit: &CpuLimit) -> Self {
        Throttle {
            quota: limit.quota() * 1e9,
            period: super::to_time(limit.period).max(1),
            used: 0.0,
            index: 0,
            last: 0,
            uncounted: 0,
            periods: 0,
            throttled_periods: 0,
        }
    }

    /// Accounts CPU used at `rate` cores from the last call to `now`;
    /// `runnable`: jobs were computing (or stalled while computing). No
    /// quota ran out in between: `quota_due` saw to it.
    #[inline]
    pub(super) fn account(&mut self, now: Time, rate: f64, runnable: bool) {
        if now <= self.last {
            return;
        }
        if runnable {
            let (first, last) = ((self.last / self.period).max(self.uncounted), (now - 1) / self.period);
            if last >= first {
                self.periods += last - first + 1;
                self.uncounted = last + 1;
            }
        }
        let index = now / self.period;
        if index == self.index {
            self.used += rate * (now - self.last) as f64;
        } else {
            self.used = rate * (now - index * self.period) as f64;
            self.index = index;
        }
        self.last = now;
    }

    /// Whether the current period's quota is used up (after `account`).
    fn exhausted(&self) -> bool {
        self.used >= self.quota - EPSILON_NS
    }

    /// When the quota runs out if `rate` cores keep computing from `now`
    /// (after `account`): in this period or, starting afresh, in the next.
    fn runs_out(&self, now: Time, rate: f64) -> Option<Time> {
        let end = (self.index + 1) * self.period;
        let at = now.saturating_add(((self.quota - self.used).max(0.0) / rate).ceil() as Time);
        if at < end {
            return Some(at);
        }
        let fresh = (self.quota / rate).ceil() as Time;
        (fresh < self.period).then(|| end + fresh)
    }

    /// The end of the current period.
    fn period_end(&self) -> Time {
        (self.index + 1) * self.period
    }

    /// The counts restart with the observation window.
    pub(super) fn restart(&mut self) {
        self.periods = 0;
        self.throttled_periods = 0;
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// The earlier of `next` (the next completion at gated `instance`) and
    /// the moment its quota runs out, with `next`'s generation.
    pub(super) fn quota_due(&mut self, instance: u32, next: Option<(Time, u32)>) -> Option<(Time, u32)> {
        let inst = &self.instances[instance as usize];
        let gate = inst.gate.as_ref().expect("gated instance");
        let (Some(t), false) = (&gate.throttle, gate.stalled()) else { return next };
        let computing = inst.ps.len().min(inst.cores);
        if computing == 0 {
            return next;
        }
        match (t.runs_out(self.now, f64::from(computing)), next) {
            (Some(out), Some((done, generation))) => Some((out.min(done), generation)),
            (Some(out), None) => Some((out, inst.ps.generation)),
            (None, next) => next,
        }
    }

    /// At a processor-sharing event of gated `instance`: if its quota is
    /// used up, its CPU work stalls until the period ends.
    #[inline(never)] // kept out of the event loop of models without it
    pub(super) fn check_quota(&mut self, instance: u32) {
        let inst = &mut self.instances[instance as usize];
        let gate = inst.gate.as_mut().expect("gated instance");
        let Some(t) = &mut gate.throttle else { return };
        if gate.throttled || !t.exhausted() {
            return;
        }
        t.throttled_periods += 1;
        let end = t.period_end();
        self.set_gate(instance, |g| g.throttled = true);
        self.schedule_gate(instance, end, GateEdge::ThrottleEnd);
    }

    /// A throttled instance's period ends: a fresh quota.
    pub(super) fn on_throttle_end(&mut self, instance: u32) {
        self.set_gate(instance, |g| g.throttled = false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn half_core() -> Throttle {
        // 500m on a 100 ms period: 50 ms of CPU per period.
        Throttle::new(&CpuLimit { cores: 0.5, period: 0.1 })
    }

    #[test]
    fn one_core_runs_out_halfway_through_the_period() {
        let mut t = half_core();
        t.account(0, 0.0, false);
        assert_eq!(t.runs_out(0, 1.0), Some(50_000_000));
        t.account(50_000_000, 1.0, true);
        assert!(t.exhausted());
        assert_eq!(t.period_end(), 100_000_000);
        assert_eq!(t.periods, 1);
    }

    #[test]
    fn a_fresh_period_restarts_the_quota() {
        let mut t = half_core();
        // Two cores from 80 ms: 40 ms of the 50 ms quota used by 100 ms,
        // the rest lost; the next period starts afresh and runs out 25 ms in.
        t.account(80_000_000, 0.0, false);
        assert_eq!(t.runs_out(80_000_000, 2.0), Some(125_000_000));
        t.account(100_000_000, 2.0, true);
        assert!(!t.exhausted());
        assert_eq!(t.used, 0.0);
        t.account(105_000_000, 2.0, true);
        assert!(!t.exhausted());
        t.account(125_000_000, 2.0, true);
        assert!(t.exhausted());
        assert_eq!(t.periods, 2);
    }

    #[test]
    fn a_limit_at_the_rate_never_runs_out() {
        let t = Throttle::new(&CpuLimit { cores: 1.0, period: 0.1 });
        assert_eq!(t.runs_out(0, 1.0), None);
    }
}
