//! Building a replication: every instance, pool, bucket, cache, queue and
//! fleet of the network laid out in flat vectors, with the replication's
//! random streams, before the first event.

use std::collections::VecDeque;

use super::balance::BalanceTree;
use super::broker::QueueState;
use super::fleet::Fleet;
use super::hedge::Hedging;
use super::hpa::HpaState;
use super::instance::Instance;
use super::keys::KeyChooser;
use super::level::Level;
use super::pools::PoolState;
use super::resilience::{BreakerState, Bucket, Budget};
use super::series::SeriesRecorder;
use super::slab::Slab;
use super::stall::Gate;
use super::{
    CacheState, ClassState, DatabaseState, EventQueue, MAX_ARRIVAL_LANES, NONE, Observer, ReadyQueue, Sim, Time,
    to_time,
};
use crate::model::Network;
use crate::policy::{Discipline, LimitScope};
use crate::rng;
use crate::stats::{
    CacheRun, ClassRun, DatabaseRun, ErrorCause, GuardRun, LatencyCounts, LatencySketch, LatencyTally, OpClassRun,
    PoolRun, QueueRun, ServiceRun, latency_histogram,
};

impl<'n, O: Observer, const BASIC: bool> Sim<'n, O, BASIC> {
    pub(super) fn new(net: &'n Network, replication: u32, obs: O) -> Self {
        let seed = rng::replication_seed(net.settings.seed, replication);
        let streams = net.streams.iter().map(|name| rng::stream(seed, name)).collect();
        let (instances, first_instance) = instances(net);
        let (pool_states, pool_first) = pools(net);
        let (buckets, bucket_first, client_offset) = buckets(net);
        let trees = BalanceTree::for_network(net, &first_instance);
        let warmup = to_time(net.settings.warmup);
        let stop_at = net.settings.duration.map_or(Time::MAX, |d| warmup.saturating_add(to_time(d)));
        Sim {
            net,
            obs,
            now: 0,
            events: EventQueue::new(1024, if net.classes.len() <= MAX_ARRIVAL_LANES { net.classes.len() } else { 0 }),
            jobs: Slab::default(),
            ready: ReadyQueue { items: Vec::with_capacity(64), head: 0 },
            instances,
            first_instance,
            round_robin: vec![0; net.services.len()],
            streams,
            classes: (0..net.classes.len()).map(|c| ClassState::new(net.publishes(c), net.polls_for(c))).collect(),
            services: vec![ServiceRun::default(); net.services.len()],
            op_classes: vec![OpClassRun::default(); net.ops.len() * net.classes.len()],
            pool_states,
            pool_first,
            pools: vec![PoolRun::default(); net.pools.len()],
            cache_states: net
                .caches
                .iter()
                .map(|c| CacheState {
                    filled: vec![Time::MAX; c.keys as usize],
                    written: vec![0; c.keys as usize],
                    ttl: to_time(c.ttl),
                    keys: KeyChooser::new(c.keys, c.zipf),
                })
                .collect(),
            caches: vec![CacheRun::default(); net.caches.len()],
            db_states: net
                .databases
                .iter()
                .map(|d| DatabaseState {
                    visible_at: vec![0; d.keys as usize],
                    keys: KeyChooser::new(d.keys, d.zipf),
                    tie_to_primary: false,
                })
                .collect(),
            databases: vec![DatabaseRun::default(); net.databases.len()],
            breakers: net.breakers.iter().map(BreakerState::new).collect(),
            budgets: vec![Budget::default(); net.retries.len()],
            guards: vec![GuardRun::default(); net.guarded.len()],
            buckets,
            bucket_first,
            client_offset,
            hold_ewma: net.services.iter().map(|_| 0.0).collect(),
            queue_states: net
                .queues
                .iter()
                .map(|_| QueueState { waiting: VecDeque::new(), last: 0, area: 0 })
                .collect(),
            queues: net.queues.iter().map(|_| QueueRun::default()).collect(),
            pollers: Vec::new(),
            free_pollers: Vec::new(),
            trackers: Vec::new(),
            free_trackers: Vec::new(),
            bursting: vec![false; net.classes.len()],
            periodic: usize::from(net.settings.series.is_some())
                + net.services.iter().filter(|s| s.autoscale.is_some()).count()
                // Each failing instance always has its next failure or repair pending.
                + net.services.iter().filter(|s| s.failures.is_some()).map(|s| s.max_instances() as usize).sum::<usize>()
                // So does each pausing instance, its next pause or its end.
                + net.services.iter().filter(|s| s.pauses.is_some()).map(|s| s.max_instances() as usize).sum::<usize>(),
            fleets: net.services.iter().map(Fleet::new).collect(),
            trees,
            trees_live: false,
            trace_pos: vec![0; net.classes.len()],
            series: net.settings.series.map(|i| {
                let usable = net.services.iter().map(crate::model::Service::usable_cores).collect();
                let mut recorder = SeriesRecorder::new(i, net.classes.len(), usable, net.queues.len());
                for (id, s) in net.services.iter().enumerate() {
                    recorder.watch_stalls(id, s.cpu_limit.is_some(), s.pauses.is_some());
                    if s.serverless.is_some() {
                        recorder.watch_serverless(id);
                    }
                }
                let hedged = net.calls.iter().filter(|c| c.hedge != NONE).map(|c| c.guard as usize);
                recorder.watch_hedges(net.guarded.len(), hedged);
                recorder
            }),
            in_flight: 0,
            observing: false,
            observe_from: warmup,
            stop_at,
            stop_after: net.settings.requests.unwrap_or(u64::MAX),
            finished_observed: 0,
            events_processed: 0,
            cap_hit_at: None,
            stopped: None,
            mid_at: net.settings.duration.map_or(Time::MAX, |d| warmup.saturating_add(to_time(d) / 2)),
            mid_area: None,
            mid_queue_areas: vec![0; net.queues.len()],
            preemptive: net.services.iter().any(|s| s.discipline == Discipline::PriorityPreemptive),
            serverless: net.services.iter().any(|s| s.serverless.is_some()),
            unfinished: Vec::new(),
            hedging: Hedging::of(net),
        }
    }
}

/// Every instance of every service, services in order, and each service's first.
fn instances(net: &Network) -> (Vec<Instance>, Vec<u32>) {
    let mut instances = Vec::new();
    let mut first_instance = Vec::new();
    for (id, s) in net.services.iter().enumerate() {
        first_instance.push(instances.len() as u32);
        let levels = if s.discipline.by_priority() { usize::from(net.priority_levels) } else { 1 };
        let preemptive = s.discipline == Discipline::PriorityPreemptive;
        for _ in 0..s.max_instances() {
            let mut instance = Instance::new(id as u32, s.threads, s.cores, levels, preemptive);
            instance.gate = Gate::of(s);
            // A gate stalls CPU work by processor sharing: no dedicated cores.
            instance.dedicated &= instance.gate.is_none();
            instances.push(instance);
        }
    }
    (instances, first_instance)
}

/// Every pool instance (one per service instance for per-instance pools), and each pool's first.
fn pools(net: &Network) -> (Vec<PoolState>, Vec<u32>) {
    let mut pool_states = Vec::new();
    let mut pool_first = Vec::new();
    for pool in &net.pools {
        pool_first.push(pool_states.len() as u32);
        let n = pool.per.map_or(1, |s| net.services[s as usize].max_instances());
        for _ in 0..n {
            pool_states.push(PoolState {
                size: pool.size,
                busy: 0,
                waiters: VecDeque::new(),
                last: 0,
                area_busy: 0,
                area_full: 0,
            });
        }
    }
    (pool_states, pool_first)
}

/// Every rate limiter's token buckets, each service's first (`NONE`: no
/// limiter), and each class's first client among per-client buckets.
fn buckets(net: &Network) -> (Vec<Bucket>, Vec<u32>, Vec<u32>) {
    let mut client_offset = Vec::with_capacity(net.classes.len());
    let mut clients = 0;
    for c in &net.classes {
        client_offset.push(clients);
        clients += c.clients;
    }
    let mut buckets = Vec::new();
    let mut bucket_first = Vec::with_capacity(net.services.len());
    for s in &net.services {
        match &s.rate_limit {
            Some(limit) => {
                bucket_first.push(buckets.len() as u32);
                let n = match limit.per {
                    LimitScope::Client => clients,
                    LimitScope::Class => net.classes.len() as u32,
                    LimitScope::Service => 1,
                };
                buckets.extend((0..n).map(|_| Bucket::full(limit)));
            }
            None => bucket_first.push(NONE),
        }
    }
    (buckets, bucket_first, client_offset)
}

impl ClassState {
    /// A class's tallies; completion and seen-done latencies only for a
    /// class that `publishes` and whose publishes are `polled`.
    fn new(publishes: bool, polled: bool) -> Self {
        ClassState {
            stats: ClassRun {
                arrivals: 0,
                completed: 0,
                errors: [0; ErrorCause::COUNT],
                latency: latency_histogram(),
                latency_sketch: LatencySketch::default(),
                latency_sum: 0.0,
                sojourn_sum: 0.0,
                bytes: 0.0,
                mean_in_system: 0.0,
                in_flight_start: 0,
                in_flight_end: 0,
                sojourn_carried_in: 0.0,
                sojourn_carried_out: 0.0,
                completion: publishes.then(LatencyTally::default),
                seen_done: polled.then(LatencyTally::default),
            },
            in_system: Level::default(),
            latency: LatencyCounts::default(),
            completion: publishes.then(LatencyCounts::default),
            seen_done: polled.then(LatencyCounts::default),
        }
    }
}

impl Fleet {
    fn new(s: &crate::model::Service) -> Self {
        let instances = s.instances;
        let hpa = s.autoscale.as_ref().and_then(|a| a.hpa.as_ref());
        Fleet {
            hpa: hpa.map(|_| Box::new(HpaState::new(instances, s.max_instances()))),
            warm: s.serverless.as_ref().map(|s| Box::new(super::serverless::Warm::new(s))),
            active: instances,
            pending: 0,
            down: 0,
            failing: 0,
            last: 0,
            area_active: 0,
            area_billed: 0,
            area_down: 0,
            last_action: None,
            seen: (0, 0),
        }
    }
}
