//! The engine's front door: which build of the event loop runs a network
//! (`BASIC` or general), and the entry points that run one replication,
//! plain, scanning, observed or traced.

use super::{BalanceTree, Journeys, NoTrace, Observer, Sim, to_time};
use crate::model::Network;
use crate::policy::Discipline;
use crate::stats::RunStats;

/// Simulates one replication of `net`.
pub fn simulate(net: &Network, replication: u32) -> RunStats {
    if is_basic(net) { simulate_as::<true>(net, replication) } else { simulate_as::<false>(net, replication) }
}

/// `simulate` by the engine built for every network, even a basic one: the
/// tests compare the two builds.
#[doc(hidden)]
pub fn simulate_general(net: &Network, replication: u32) -> RunStats {
    simulate_as::<false>(net, replication)
}

/// `simulate` with least connections and join-shortest-queue scanning every
/// instance, however large the fleet: the tests compare it with the trees.
#[doc(hidden)]
pub fn simulate_scanning(net: &Network, replication: u32) -> RunStats {
    fn scanning<const BASIC: bool>(net: &Network, replication: u32) -> RunStats {
        let mut sim = Sim::<_, BASIC>::new(net, replication, NoTrace);
        sim.trees.iter_mut().for_each(|t| *t = BalanceTree::default());
        sim.run();
        sim.finish()
    }
    if is_basic(net) { scanning::<true>(net, replication) } else { scanning::<false>(net, replication) }
}

fn simulate_as<const BASIC: bool>(net: &Network, replication: u32) -> RunStats {
    let mut sim = Sim::<_, BASIC>::new(net, replication, NoTrace);
    sim.run();
    sim.finish()
}

/// Whether `net` uses none of the mechanisms that the engine built for
/// basic networks (`Sim<_, true>`) leaves out of its hot path: run limits,
/// connection pools, message queues, modulated, traced or per-client
/// arrivals, rate limits, load shedding, instance failures, processor
/// sharing (more threads than cores), preemption, CPU limits, pauses,
/// per-item work, injected errors, hedged calls and serverless services.
/// Each of them costs a test per event or per request even when unused.
/// A test written `!BASIC && ...` must name a mechanism listed here; the
/// fuzz tests compare both builds on every basic network they generate.
pub fn is_basic(net: &Network) -> bool {
    let limits = &net.settings;
    limits.max_events.is_none()
        && limits.max_wall.is_none()
        && net.pools.is_empty()
        && net.queues.is_empty()
        && net.classes.iter().all(|c| c.modulation.is_none() && c.trace.is_none() && c.clients <= 1)
        && net.services.iter().all(|s| {
            s.rate_limit.is_none()
                && s.shed_wait.is_none()
                && s.failures.is_none()
                && s.threads <= s.cores
                && s.discipline != Discipline::PriorityPreemptive
                && s.cpu_limit.is_none()
                && s.pauses.is_none()
                && s.serverless.is_none()
        })
        && net.ops.iter().all(|op| op.per_item.is_none() && op.error_rate == 0.0)
        && net.hedges.is_empty()
}

/// Simulates one replication of `net` with an observer of every hop, and returns both.
pub fn simulate_observed<O: Observer + Default>(net: &Network, replication: u32, obs: O) -> (RunStats, O) {
    let mut sim = Sim::<_, false>::new(net, replication, obs);
    sim.run();
    let obs = std::mem::take(&mut sim.obs);
    (sim.finish(), obs)
}

/// The journeys of the first `requests` requests of replication
/// `replication` that arrive at or after `from` seconds, as text.
pub fn trace(net: &Network, replication: u32, requests: usize, from: f64) -> String {
    observe(net, replication, Journeys::new(net, requests, to_time(from))).render()
}

/// Runs replication `replication` of `net` with `obs` watching every hop,
/// until the run ends or the observer is satisfied, and returns the observer.
pub fn observe<O: Observer>(net: &Network, replication: u32, obs: O) -> O {
    let mut sim = Sim::<_, false>::new(net, replication, obs);
    sim.run();
    sim.obs
}
