//! The Kubernetes Horizontal Pod Autoscaler (and KEDA's queue scaler), as
//! its controller computes it each sync period: the replica calculation
//! with its tolerance and unready-pod rule (`replica_calculator.go`), then
//! stabilisation and the scaling policies (`horizontal.go`'s
//! `normalizeDesiredReplicasWithBehaviors`). The arithmetic is in plain
//! functions over seconds and counts so that tests can work it by hand;
//! `on_hpa` measures the metric and starts or removes pods.

use std::collections::VecDeque;

use super::{EventKind, Observer, Sim, Time, to_seconds, to_time};
use crate::model::{Hpa, ScalingRules};
use crate::policy::{HpaMetric, HpaSelect};
use crate::stats::ScalingCounts;

/// One HPA's memory: its recent recommendations and scaling events, the
/// pods still starting, and what it counts for the report.
pub(super) struct HpaState {
    /// (time \[s\], unstabilised recommendation) of recent syncs.
    recs: Vec<(f64, u32)>,
    /// (time \[s\], pods added) and (time \[s\], pods removed) of recent changes.
    ups: Vec<(f64, u32)>,
    downs: Vec<(f64, u32)>,
    /// When each pod still starting will be ready, oldest first: a scale-down
    /// withdraws the newest, whose `InstanceUp` then finds no entry.
    starting: VecDeque<Time>,
    /// Busy-core area of each instance at the last sync.
    seen: Vec<u128>,
    /// When each instance last became ready: one ready for only part of a
    /// sync period has no full metric and counts as unready, as Kubernetes does.
    ready_since: Vec<Time>,
    last_sync: Time,
    pub(super) counts: ScalingCounts,
}

impl HpaState {
    /// A new HPA over `instances` replicas, `slots` instances at most.
    pub(super) fn new(instances: u32, slots: u32) -> Self {
        HpaState {
            // Kubernetes seeds the scale-down window with the current count.
            recs: vec![(0.0, instances)],
            ups: Vec::new(),
            downs: Vec::new(),
            starting: VecDeque::new(),
            seen: vec![0; slots as usize],
            ready_since: vec![0; slots as usize],
            last_sync: 0,
            counts: ScalingCounts { max_replicas: instances, ..ScalingCounts::default() },
        }
    }

    /// The observation window opens: the instances' areas restart from zero.
    pub(super) fn window_opened(&mut self, now: Time, replicas: u32) {
        self.seen.iter_mut().for_each(|s| *s = 0);
        self.last_sync = now;
        self.counts = ScalingCounts { max_replicas: replicas, ..ScalingCounts::default() };
    }

    /// Stabilises `desired` and limits it by the scaling policies, records
    /// the recommendation and any change, and returns the new replica count.
    pub(crate) fn normalise(&mut self, hpa: &Hpa, (min, max): (u32, u32), now: f64, current: u32, desired: u32) -> u32 {
        let stabilised = self.stabilise(hpa, now, current, desired);
        let new = limit(hpa, (min, max), now, current, stabilised, &self.ups, &self.downs);
        let longest = hpa.up.policies.iter().chain(&hpa.down.policies).map(|p| p.period).fold(0.0, f64::max);
        self.ups.retain(|e| e.0 > now - longest);
        self.downs.retain(|e| e.0 > now - longest);
        if new > current {
            self.ups.push((now, new - current));
            self.counts.scale_ups += 1;
        } else if new < current {
            self.downs.push((now, current - new));
            self.counts.scale_downs += 1;
        }
        self.counts.max_replicas = self.counts.max_replicas.max(new);
        new
    }

    /// `stabilizeRecommendationWithBehaviors`: the current count, raised to the
    /// lowest recommendation of the scale-up window and lowered to the highest
    /// of the scale-down window (each window including this sync's).
    fn stabilise(&mut self, hpa: &Hpa, now: f64, current: u32, desired: u32) -> u32 {
        let (up_cut, down_cut) = (now - hpa.up.window, now - hpa.down.window);
        let (mut up, mut down) = (desired, desired);
        for &(t, r) in &self.recs {
            if t > up_cut {
                up = up.min(r);
            }
            if t > down_cut {
                down = down.max(r);
            }
        }
        self.recs.retain(|&(t, _)| t > up_cut.min(down_cut));
        self.recs.push((now, desired));
        current.max(up).min(down)
    }
}

/// `convertDesiredReplicasWithBehaviorRate`: at most what the policies allow
/// since the start of their periods, and within `min` and `max`.
fn limit(
    hpa: &Hpa,
    (min, max): (u32, u32),
    now: f64,
    current: u32,
    desired: u32,
    ups: &[(f64, u32)],
    downs: &[(f64, u32)],
) -> u32 {
    // Replicas at the start of a policy's period: the current count less the changes since.
    let period_start = |period: f64| {
        let changed =
            |events: &[(f64, u32)]| events.iter().filter(|e| e.0 > now - period).map(|e| i64::from(e.1)).sum::<i64>();
        i64::from(current) - changed(ups) + changed(downs)
    };
    if desired > current {
        let ceiling = rate_limit(&hpa.up, current, period_start, true).max(i64::from(current));
        (i64::from(desired).min(ceiling).min(i64::from(max))) as u32
    } else if desired < current {
        let floor = rate_limit(&hpa.down, current, period_start, false).min(i64::from(current));
        (i64::from(desired).max(floor).max(i64::from(min))) as u32
    } else {
        desired
    }
}

/// The most (`up`) or fewest replicas the policies allow: each proposes from
/// its period's starting count; `max` takes the largest change, `min` the smallest.
fn rate_limit(rules: &ScalingRules, current: u32, period_start: impl Fn(f64) -> i64, up: bool) -> i64 {
    let proposals = rules.policies.iter().map(|p| {
        let start = period_start(p.period);
        match (p.percent, up) {
            (false, true) => start + i64::from(p.value),
            (false, false) => start - i64::from(p.value),
            (true, true) => (start as f64 * (1.0 + f64::from(p.value) / 100.0)).ceil() as i64,
            (true, false) => (start as f64 * (1.0 - f64::from(p.value) / 100.0)) as i64,
        }
    });
    let most_change = rules.select == HpaSelect::Max;
    match rules.select {
        HpaSelect::Disabled => i64::from(current),
        _ if most_change == up => proposals.max().unwrap_or(i64::from(current)),
        _ => proposals.min().unwrap_or(i64::from(current)),
    }
}

/// The replica count one metric asks for (`replica_calculator.go`).
/// Utilisation: `value` is the ready pods' mean, taken as Kubernetes does in
/// whole percent of the requests; on a scale-up the unready pods count as
/// idle, and a change that this correction reverses or brings within the
/// tolerance is none. Backlog (an external `AverageValue` metric): `value`
/// is the whole backlog, asking for ceil(backlog / target).
pub(crate) fn recommend(metric: HpaMetric, value: f64, target: f64, tolerance: f64, ready: u32, unready: u32) -> u32 {
    let current = ready + unready;
    match metric {
        HpaMetric::Backlog => {
            let ratio = value / (target * f64::from(current));
            if (ratio - 1.0).abs() <= tolerance { current } else { (value / target).ceil() as u32 }
        }
        HpaMetric::Utilisation => {
            let target = (target * 100.0).round();
            let ratio = (value * 100.0).floor() / target;
            if unready == 0 || ratio <= 1.0 {
                return if (ratio - 1.0).abs() <= tolerance {
                    current
                } else {
                    (ratio * f64::from(ready)).ceil() as u32
                };
            }
            let corrected = (value * 100.0 * f64::from(ready) / f64::from(current)).floor() / target;
            if (corrected - 1.0).abs() <= tolerance || corrected < 1.0 {
                return current;
            }
            ((corrected * f64::from(current)).ceil() as u32).max(current)
        }
    }
}

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// A sync period ends: measure, recommend, normalise, and start or remove pods.
    pub(super) fn on_hpa(&mut self, service: u32) {
        let now = self.now;
        let net = self.net;
        let s = &net.services[service as usize];
        let a = s.autoscale.as_ref().expect("scheduled for autoscaled services");
        let hpa = a.hpa.as_ref().expect("an HPA");
        let first = self.first_instance[service as usize] as usize;
        let fleet = &mut self.fleets[service as usize];
        // Out of the fleet while the fleet changes; back at the end.
        let mut state = fleet.hpa.take().expect("an HPA's state");
        let current = fleet.active + fleet.pending;
        let elapsed = now.saturating_sub(state.last_sync).max(1) as f64;
        // Each ready pod's busy cores since the last sync; pods starting, down
        // or ready for only part of the period report none.
        let (mut busy, mut ready) = (0u128, 0u32);
        for (i, (inst, seen)) in self.instances[first..].iter().zip(&mut state.seen).enumerate() {
            let area = inst.areas(now).1;
            if i < fleet.active as usize && !inst.down && state.ready_since[i] <= state.last_sync {
                busy += area.saturating_sub(*seen);
                ready += 1;
            }
            *seen = area;
        }
        state.last_sync = now;
        let value = match hpa.metric {
            HpaMetric::Utilisation => busy as f64 / elapsed / (f64::from(ready.max(1)) * f64::from(s.usable_cores())),
            HpaMetric::Backlog => self.queue_states[s.consumes as usize].waiting.len() as f64,
        };
        // Without a ready pod's metric Kubernetes leaves the count alone.
        let desired = if ready == 0 && hpa.metric == HpaMetric::Utilisation {
            current
        } else {
            recommend(hpa.metric, value, a.target, hpa.tolerance, ready, current - ready)
        };
        let new = state.normalise(hpa, (a.min, a.max), to_seconds(now), current, desired);
        fleet.touch(now);
        let mut drained = 0;
        if new > current {
            let ready_at = now.saturating_add(to_time(a.delay));
            for _ in current..new {
                state.starting.push_back(ready_at);
                self.events.schedule(ready_at, EventKind::InstanceUp { service });
            }
            fleet.pending += new - current;
        } else if new < current {
            // Pods still starting go first, the newest first; then serving pods drain.
            let withdrawn = (current - new).min(fleet.pending);
            state.starting.truncate(state.starting.len() - withdrawn as usize);
            fleet.pending -= withdrawn;
            drained = current - new - withdrawn;
            fleet.active -= drained;
        }
        fleet.hpa = Some(state);
        if drained > 0 {
            self.fleet_resized(service);
            self.recount_down(service);
        }
        if self.events.len() >= self.periodic {
            self.events.schedule(now.saturating_add(to_time(a.window)), EventKind::Autoscale { service });
        }
    }

    /// Whether the `InstanceUp` of an HPA's service at `now` is a pod still
    /// wanted (not withdrawn by a scale-down while it started).
    pub(super) fn hpa_pod_ready(&mut self, service: u32) -> bool {
        let now = self.now;
        let fleet = &mut self.fleets[service as usize];
        match fleet.hpa.as_deref_mut() {
            None => true,
            Some(state) if state.starting.front() == Some(&now) => {
                state.starting.pop_front();
                // It becomes the instance at index `active`.
                state.ready_since[fleet.active as usize] = now;
                true
            }
            Some(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ScalingPolicy, ScalingRules};

    fn hpa(up: ScalingRules, down: ScalingRules) -> Hpa {
        Hpa { metric: HpaMetric::Utilisation, tolerance: 0.1, up, down }
    }

    fn defaults() -> Hpa {
        hpa(ScalingRules::default_up(), ScalingRules::default_down())
    }

    #[test]
    fn recommendation_is_ceil_of_current_times_ratio_outside_the_tolerance() {
        // 4 pods at 90% against 60%: ratio 1.5, ceil(4 x 1.5) = 6.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.9, 0.6, 0.1, 4, 0), 6);
        // 4 pods at 65% against 60%: ratio 1.083, within 0.1: stay at 4.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.65, 0.6, 0.1, 4, 0), 4);
        // Whole percent: 65.9% is 65%, ratio 1.083, inside; 67.2% is 67%, ratio 1.117: ceil(4.47) = 5.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.659, 0.6, 0.1, 4, 0), 4);
        assert_eq!(recommend(HpaMetric::Utilisation, 0.672, 0.6, 0.1, 4, 0), 5);
        // 10 pods at 20% against 60%: ceil(10 / 3) = 4.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.2, 0.6, 0.1, 10, 0), 4);
        // Idle: ceil(0) = 0, left to `min` by the normalisation.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.0, 0.6, 0.1, 3, 0), 0);
    }

    #[test]
    fn unready_pods_count_as_idle_on_a_scale_up() {
        // 2 ready at 90%, 2 starting, target 60%: corrected ratio 0.9 x 2 / (0.6 x 4) = 0.75 < 1: no change.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.9, 0.6, 0.1, 2, 2), 4);
        // 2 ready at 90%, 1 starting, target 50%: 60% over all 3, ratio 1.2: ceil(3.6) = 4.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.9, 0.5, 0.1, 2, 1), 4);
        // A scale-down ignores the unready pods: 4 ready at 30%, 1 starting, target 60%: ceil(4 x 0.5) = 2.
        assert_eq!(recommend(HpaMetric::Utilisation, 0.3, 0.6, 0.1, 4, 1), 2);
    }

    #[test]
    fn backlog_asks_for_a_replica_per_target_messages() {
        // KEDA: 250 waiting, 20 per replica: ceil(12.5) = 13 from any current count.
        assert_eq!(recommend(HpaMetric::Backlog, 250.0, 20.0, 0.1, 3, 0), 13);
        // 3 replicas, 63 waiting: 63 / 60 = 1.05 within the tolerance: stay.
        assert_eq!(recommend(HpaMetric::Backlog, 63.0, 20.0, 0.1, 3, 0), 3);
        // Empty queue: 0 (the HPA's minimum then holds).
        assert_eq!(recommend(HpaMetric::Backlog, 0.0, 20.0, 0.1, 3, 0), 0);
    }

    #[test]
    fn scale_down_takes_the_highest_recommendation_of_the_window() {
        let h = defaults();
        let mut s = HpaState::new(10, 20);
        // Recommendations 10 (seeded at 0 s), then 4 at 15 s: the window holds 10, stay at 10.
        assert_eq!(s.normalise(&h, (1, 20), 15.0, 10, 4), 10);
        // At 299 s the seed is still in the window; at 300 s it is not (strictly after the cut).
        assert_eq!(s.normalise(&h, (1, 20), 299.0, 10, 4), 10);
        assert_eq!(s.normalise(&h, (1, 20), 300.0, 10, 4), 4);
        assert_eq!(s.counts.scale_downs, 1);
    }

    #[test]
    fn a_short_window_follows_every_dip() {
        let mut down = ScalingRules::default_down();
        down.window = 0.0;
        let h = hpa(ScalingRules::default_up(), down);
        let mut s = HpaState::new(10, 20);
        assert_eq!(s.normalise(&h, (1, 20), 15.0, 10, 4), 4);
        assert_eq!(s.normalise(&h, (1, 20), 30.0, 4, 9), 8, "100% per 15 s: at most double");
        assert_eq!(s.normalise(&h, (1, 20), 45.0, 8, 5), 5);
        assert_eq!((s.counts.scale_ups, s.counts.scale_downs, s.counts.max_replicas), (1, 2, 10));
    }

    #[test]
    fn scale_up_takes_the_larger_of_four_pods_and_double_per_period() {
        let h = defaults();
        // From 1: max(1 + 4, 2) = 5; from 10: max(14, 20) = 20.
        assert_eq!(HpaState::new(1, 50).normalise(&h, (1, 50), 15.0, 1, 30), 5);
        assert_eq!(HpaState::new(10, 50).normalise(&h, (1, 50), 15.0, 10, 30), 20);
        // And never beyond max.
        assert_eq!(HpaState::new(10, 50).normalise(&h, (1, 12), 15.0, 10, 30), 12);
        // Two syncs in one 15 s period share its allowance: the second starts from the period's 1.
        let mut s = HpaState::new(1, 50);
        assert_eq!(s.normalise(&h, (1, 50), 15.0, 1, 30), 5);
        assert_eq!(s.normalise(&h, (1, 50), 20.0, 5, 30), 5, "the period since 5 s already added 4");
        assert_eq!(s.normalise(&h, (1, 50), 30.0, 5, 30), 10, "a new period: max(5 + 4, 10)");
    }

    #[test]
    fn min_select_takes_the_smaller_change_and_disabled_none() {
        let mut up = ScalingRules::default_up();
        up.select = HpaSelect::Min;
        let h = hpa(up, ScalingRules::default_down());
        // From 10: min(14, 20) = 14.
        assert_eq!(HpaState::new(10, 50).normalise(&h, (1, 50), 15.0, 10, 30), 14);
        let down = ScalingRules {
            window: 0.0,
            select: HpaSelect::Max,
            policies: vec![
                ScalingPolicy { percent: false, value: 1, period: 60.0 },
                ScalingPolicy { percent: true, value: 10, period: 60.0 },
            ],
        };
        let h = hpa(ScalingRules::default_up(), down);
        // From 20 to 2: the larger drop is 10% of 20 -> 18 (one pod -> 19).
        let mut s = HpaState::new(20, 20);
        assert_eq!(s.normalise(&h, (1, 20), 15.0, 20, 2), 18);
        // 30 s later the period since -45 s holds that -2: the start is 20 again: no further drop.
        assert_eq!(s.normalise(&h, (1, 20), 45.0, 18, 2), 18);
        assert_eq!(s.normalise(&h, (1, 20), 76.0, 18, 2), 16, "a new period from 18: the larger drop, floor(16.2)");
        let mut off = ScalingRules::default_up();
        off.select = HpaSelect::Disabled;
        let h = hpa(off, ScalingRules::default_down());
        assert_eq!(HpaState::new(3, 50).normalise(&h, (1, 50), 15.0, 3, 30), 3);
    }

    #[test]
    fn min_replicas_floor_a_scale_down() {
        let mut down = ScalingRules::default_down();
        down.window = 0.0;
        let h = hpa(ScalingRules::default_up(), down);
        assert_eq!(HpaState::new(6, 10).normalise(&h, (2, 10), 15.0, 6, 0), 2);
    }
}
