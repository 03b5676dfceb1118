//! The simulation kernel: clock, event list, a slab of in-flight jobs and an
//! interpreter that moves each job through its operation's steps.
//!
//! A *request* enters at its class's target operation. Each operation
//! execution is a *job* in the slab: a call creates a child job and parks the
//! caller (still holding its thread) until the child returns; a forward moves
//! the same job to another operation and frees its thread. Jobs never
//! allocate once the slab and queues have grown to the model's working size,
//! and every component is dispatched by `match` on a closed set of kinds.
//!
//! The interpreter is compiled twice (`Sim`'s `BASIC` parameter): the build
//! for networks that `is_basic` leaves the tests of the mechanisms they do
//! not use (limits, failures, pools, queues and the like) out of the hot
//! path. Both builds give the same bits; the tests compare them.

mod census;
mod events;
mod failures;
mod fifo;
mod instance;
mod keys;
mod level;
mod resilience;
mod series;
mod slab;
mod trace;

use std::collections::VecDeque;

use rand::RngExt;

pub use events::{EventKind, EventQueue, NS, Time, to_seconds, to_time};
use instance::Instance;
use keys::KeyChooser;
use level::Level;
use resilience::{BreakerState, Bucket, Budget};
use series::SeriesRecorder;
use slab::{Job, Slab, Transit};
pub use trace::{Journeys, NoTrace, Observer};

use crate::model::{Action, Arrivals, MESSAGE, NONE, Network, Step};
use crate::policy::{Balance, Discipline, LimitScope, WritePolicy};
use crate::rng::{self, Stream};
use crate::stats::{
    CacheRun, ClassRun, DatabaseRun, ErrorCause, GuardRun, LatencyCounts, PoolRun, QueueRun, RunStats, ServiceRun,
    latency_histogram,
};

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

fn simulate_as<const BASIC: bool>(net: &Network, replication: u32) -> RunStats {
    let mut sim = Sim::<_, BASIC>::new(net, replication, NoTrace);
    sim.run();
    sim.finish()
}

/// Whether `net` uses none of the mechanisms that the engine built for
/// basic networks (`Sim<_, true>`) leaves out of its hot path: run limits,
/// connection pools, message queues, modulated, traced or per-client
/// arrivals, rate limits, load shedding, instance failures, processor
/// sharing (more threads than cores), per-item work and injected errors.
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
        && net
            .services
            .iter()
            .all(|s| s.rate_limit.is_none() && s.shed_wait.is_none() && s.failures.is_none() && s.threads <= s.cores)
        && net.ops.iter().all(|op| op.per_item.is_none() && op.error_rate == 0.0)
}

/// Simulates one replication of `net` with an observer of every hop, and returns both.
pub fn simulate_observed<O: Observer + Default>(net: &Network, replication: u32, obs: O) -> (RunStats, O) {
    let mut sim = Sim::<_, false>::new(net, replication, obs);
    sim.run();
    let obs = std::mem::take(&mut sim.obs);
    (sim.finish(), obs)
}

/// The journeys of the first `requests` requests of replication `replication`, as text.
pub fn trace(net: &Network, replication: u32, requests: usize) -> String {
    let mut sim = Sim::<_, false>::new(net, replication, Journeys::new(net, requests));
    sim.run();
    sim.obs.render()
}

/// Open classes up to this many get a lane each beside the event heap for
/// their next arrival; `pop` scans the lanes, so more would cost more than
/// the heap's sifts they save.
const MAX_ARRIVAL_LANES: usize = 8;

/// Work queued for the current instant, processed before the clock moves.
#[derive(Debug, Clone, Copy)]
enum Ready {
    /// The job just got a thread: begin its operation.
    Start(u32),
    /// Continue the job's steps (after CPU work, a child's return or a failure).
    Resume(u32),
    /// The job got its pool connection: send the call's first round.
    Round(u32),
}

/// The current instant's `Ready` work, first in first out. `drain` empties
/// it after every event, so a vector read through a cursor serves, without
/// the ring arithmetic of a `VecDeque`.
#[derive(Debug, Default)]
struct ReadyQueue {
    items: Vec<Ready>,
    head: usize,
}

impl ReadyQueue {
    #[inline]
    fn push_back(&mut self, r: Ready) {
        self.items.push(r);
    }

    #[inline]
    fn pop_front(&mut self) -> Option<Ready> {
        match self.items.get(self.head) {
            Some(&r) => {
                self.head += 1;
                Some(r)
            }
            None => {
                self.items.clear();
                self.head = 0;
                None
            }
        }
    }
}

/// Entries of one cache: when each key was filled and last written.
struct CacheState {
    /// Fill time per key; `Time::MAX`: not cached.
    filled: Vec<Time>,
    /// Last write per key.
    written: Vec<Time>,
    ttl: Time,
    keys: KeyChooser,
}

/// Rows of one replicated database: when each key's latest write reaches the replicas.
struct DatabaseState {
    visible_at: Vec<Time>,
    keys: KeyChooser,
}

/// One pool instance: connections, waiters and time-weighted use.
struct PoolState {
    size: u32,
    busy: u32,
    /// (job, slot generation, token): stale entries (timed out) are skipped.
    waiters: VecDeque<(u32, u32, u32)>,
    last: Time,
    area_busy: u128,
    area_full: u128,
}

impl PoolState {
    #[inline]
    fn touch(&mut self, now: Time) {
        let dt = u128::from(now - self.last);
        self.area_busy += dt * u128::from(self.busy);
        if self.busy == self.size {
            self.area_full += dt;
        }
        self.last = now;
    }
}

/// Messages waiting in one broker queue.
struct QueueState {
    waiting: VecDeque<u32>,
    last: Time,
    area: u128,
}

impl QueueState {
    #[inline]
    fn touch(&mut self, now: Time) {
        self.area += u128::from(now - self.last) * self.waiting.len() as u128;
        self.last = now;
    }
}

/// A client polling for one published message.
struct Poller {
    message: u32,
    /// The message's slot generation at publish: a different one means it is done.
    generation: u32,
    queue: u32,
    poll: u32,
    wait: Time,
    published: Time,
}

/// How many instances a service runs, and their time-weighted counts.
struct Fleet {
    /// Instances the balancer uses: the first `active` of the service's.
    active: u32,
    /// Instances starting up.
    pending: u32,
    /// Active instances that are down (failed, not yet repaired).
    down: u32,
    /// Instances of the service that are down, active or not: 0 keeps the balancer on its fast path.
    failing: u32,
    last: Time,
    area_active: u128,
    area_billed: u128,
    area_down: u128,
    /// When the autoscaler last acted (`None`: never).
    last_action: Option<Time>,
    /// (busy cores, queue) areas of all the service's instances at the last decision.
    seen: (u128, u128),
}

impl Fleet {
    fn touch(&mut self, now: Time) {
        let dt = u128::from(now - self.last);
        self.area_active += dt * u128::from(self.active - self.down);
        self.area_billed += dt * u128::from(self.active + self.pending);
        self.area_down += dt * u128::from(self.down);
        self.last = now;
    }
}

struct ClassState {
    stats: ClassRun,
    /// Latencies of the observed successes; `stats.latency` at the end.
    latency: LatencyCounts,
    /// Requests in the system.
    in_system: Level,
}

/// One replication in progress. `BASIC`: built for a network that
/// `is_basic`, with the tests of the mechanisms it does not use compiled out.
struct Sim<'n, O: Observer, const BASIC: bool> {
    net: &'n Network,
    obs: O,
    now: Time,
    events: EventQueue,
    jobs: Slab,
    ready: ReadyQueue,
    instances: Vec<Instance>,
    first_instance: Vec<u32>,
    round_robin: Vec<u32>,
    streams: Vec<Stream>,
    classes: Vec<ClassState>,
    services: Vec<ServiceRun>,
    pool_states: Vec<PoolState>,
    /// First pool instance of each pool.
    pool_first: Vec<u32>,
    pools: Vec<PoolRun>,
    cache_states: Vec<CacheState>,
    caches: Vec<CacheRun>,
    db_states: Vec<DatabaseState>,
    databases: Vec<DatabaseRun>,
    breakers: Vec<BreakerState>,
    budgets: Vec<Budget>,
    guards: Vec<GuardRun>,
    /// Token buckets of all rate limiters.
    buckets: Vec<Bucket>,
    /// First bucket of each service's limiter (`NONE`: no limiter).
    bucket_first: Vec<u32>,
    /// Offset of each class's first client among a per-client limiter's buckets.
    client_offset: Vec<u32>,
    /// Moving average of how long a service's requests hold a thread \[ns\] (load shedding).
    hold_ewma: Vec<f64>,
    queue_states: Vec<QueueState>,
    queues: Vec<QueueRun>,
    pollers: Vec<Poller>,
    free_pollers: Vec<u32>,
    /// Whether each class is in a burst.
    bursting: Vec<bool>,
    /// Next trace entry of each class.
    trace_pos: Vec<usize>,
    series: Option<SeriesRecorder>,
    fleets: Vec<Fleet>,
    /// Events that reschedule themselves forever (series ticks, autoscalers):
    /// when only these are left, nothing can happen any more.
    periodic: usize,
    in_flight: u32,
    observing: bool,
    observe_from: Time,
    stop_at: Time,
    stop_after: u64,
    finished_observed: u64,
    events_processed: u64,
    cap_hit_at: Option<Time>,
    /// Why the run stopped early (a limit), if it did.
    stopped: Option<String>,
    /// The window's midpoint (`Time::MAX` once passed, or for count-bound runs).
    mid_at: Time,
    /// Time-weighted requests in the system from the opening to the midpoint \[ns\].
    mid_area: Option<u128>,
}

impl<'n, O: Observer, const BASIC: bool> Sim<'n, O, BASIC> {
    fn new(net: &'n Network, replication: u32, obs: O) -> Self {
        let seed = rng::replication_seed(net.settings.seed, replication);
        let streams = net.streams.iter().map(|name| rng::stream(seed, name)).collect();
        let mut instances = Vec::new();
        let mut first_instance = Vec::new();
        for (id, s) in net.services.iter().enumerate() {
            first_instance.push(instances.len() as u32);
            let levels = match s.discipline {
                Discipline::Fifo => 1,
                Discipline::Priority => usize::from(net.priority_levels),
            };
            for _ in 0..s.max_instances() {
                instances.push(Instance::new(id as u32, s.threads, s.cores, levels));
            }
        }
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
            classes: net
                .classes
                .iter()
                .map(|_| ClassState {
                    stats: ClassRun {
                        arrivals: 0,
                        completed: 0,
                        errors: [0; ErrorCause::COUNT],
                        latency: latency_histogram(),
                        latency_sum: 0.0,
                        sojourn_sum: 0.0,
                        bytes: 0.0,
                        mean_in_system: 0.0,
                        in_flight_start: 0,
                        in_flight_end: 0,
                        sojourn_carried_in: 0.0,
                        sojourn_carried_out: 0.0,
                    },
                    in_system: Level::default(),
                    latency: LatencyCounts::default(),
                })
                .collect(),
            services: vec![ServiceRun::default(); net.services.len()],
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
                .map(|d| DatabaseState { visible_at: vec![0; d.keys as usize], keys: KeyChooser::new(d.keys, d.zipf) })
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
            bursting: vec![false; net.classes.len()],
            periodic: usize::from(net.settings.series.is_some())
                + net.services.iter().filter(|s| s.autoscale.is_some()).count()
                // Each failing instance always has its next failure or repair pending.
                + net.services.iter().filter(|s| s.failures.is_some()).map(|s| s.max_instances() as usize).sum::<usize>(),
            fleets: net
                .services
                .iter()
                .map(|s| Fleet {
                    active: s.instances,
                    pending: 0,
                    down: 0,
                    failing: 0,
                    last: 0,
                    area_active: 0,
                    area_billed: 0,
                    area_down: 0,
                    last_action: None,
                    seen: (0, 0),
                })
                .collect(),
            trace_pos: vec![0; net.classes.len()],
            series: net
                .settings
                .series
                .map(|i| SeriesRecorder::new(i, net.classes.len(), net.services.len(), net.queues.len())),
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
        }
    }

    fn run(&mut self) {
        for (id, class) in self.net.classes.iter().enumerate() {
            match &class.arrivals {
                Arrivals::Open { interarrival: Some(d) } => {
                    let t = to_time(d.sample(&mut self.streams[class.stream as usize]));
                    self.schedule_arrival(id as u32, t);
                }
                Arrivals::Open { interarrival: None } => {
                    if let Some(times) = &class.trace {
                        self.schedule_arrival(id as u32, to_time(times[0]));
                    }
                }
                Arrivals::Closed { users, think } => {
                    for _ in 0..*users {
                        let t = to_time(think.sample(&mut self.streams[class.stream as usize]));
                        self.events.schedule(t, EventKind::Arrival { class: id as u32 });
                    }
                }
            }
        }
        for (id, class) in self.net.classes.iter().enumerate() {
            if let Some(b) = class.modulation.as_ref().and_then(|m| m.bursts.as_ref()) {
                let t = to_time(b.every.sample(&mut self.streams[b.stream as usize]));
                self.events.schedule(t, EventKind::Burst { class: id as u32 });
            }
        }
        if let Some(s) = &self.series {
            self.events.schedule(s.first_tick(), EventKind::Tick);
        }
        for (id, s) in self.net.services.iter().enumerate() {
            if let Some(a) = &s.autoscale {
                self.events.schedule(to_time(a.window), EventKind::Autoscale { service: id as u32 });
            }
            if let Some(f) = &s.failures {
                let first = self.first_instance[id];
                for instance in first..first + s.max_instances() {
                    let t = to_time(f.mttf.sample(&mut self.streams[f.stream as usize]));
                    self.events.schedule(t, EventKind::InstanceFail { instance });
                }
            }
        }
        if self.observe_from == 0 {
            self.start_observing();
        }
        let limited = !BASIC && (self.net.settings.max_events.is_some() || self.net.settings.max_wall.is_some());
        let started = std::time::Instant::now();
        let mut popped = 0u64;
        // The earliest of the end, the window's opening and its midpoint:
        // one comparison per event finds whether any of them has come.
        let mark = |sim: &Self| {
            let opening = if sim.observing { Time::MAX } else { sim.observe_from };
            sim.stop_at.saturating_add(1).min(opening).min(sim.mid_at)
        };
        let mut next_mark = mark(self);
        while let Some((ev, from_lane)) = self.events.pop_with_source() {
            if ev.time >= next_mark {
                if ev.time > self.stop_at {
                    break;
                }
                if !self.observing && ev.time >= self.observe_from {
                    self.now = self.observe_from;
                    self.start_observing();
                }
                if ev.time >= self.mid_at {
                    let mid = std::mem::replace(&mut self.mid_at, Time::MAX);
                    self.mid_area = Some(self.area_in_system(mid));
                }
                next_mark = mark(self);
            }
            popped += 1;
            if limited && let Some(reason) = self.over_limit(popped, started) {
                self.stopped = Some(reason);
                return;
            }
            self.now = ev.time;
            match ev.kind {
                // Lanes hold open classes' arrivals only (`schedule_arrival`).
                // This arm, tested on the lane flag before the kind, is the
                // branch the processor predicts well: see `pop_with_source`.
                EventKind::Arrival { class } if from_lane => self.on_arrival(class),
                EventKind::Arrival { class } => self.on_arrival(class),
                EventKind::CpuDone { job, generation, token } => self.on_cpu_done(job, generation, token),
                EventKind::PsDone { instance, generation } => self.on_ps_done(instance, generation),
                EventKind::PoolTimeout { job, generation, token } => self.on_pool_timeout(job, generation, token),
                EventKind::Wake { job, generation } => self.on_wake(job, generation),
                EventKind::CallTimeout { job, generation, token } => self.on_call_timeout(job, generation, token),
                EventKind::Tick => self.on_tick(),
                EventKind::Autoscale { service } => self.on_autoscale(service),
                EventKind::InstanceUp { service } => {
                    let fleet = &mut self.fleets[service as usize];
                    fleet.touch(self.now);
                    fleet.pending -= 1;
                    fleet.active += 1;
                    self.recount_down(service);
                    self.pull_messages(service);
                }
                EventKind::InstanceFail { instance } => self.on_instance_fail(instance),
                EventKind::InstanceRepair { instance } => self.on_instance_repair(instance),
                EventKind::Burst { class } => {
                    let c = &self.net.classes[class as usize];
                    let b = c.modulation.as_ref().and_then(|m| m.bursts.as_ref()).expect("scheduled for bursts");
                    let on = !self.bursting[class as usize];
                    self.bursting[class as usize] = on;
                    let length = if on { &b.lasting } else { &b.every };
                    let dt = to_time(length.sample(&mut self.streams[b.stream as usize]));
                    self.events.schedule(self.now.saturating_add(dt), EventKind::Burst { class });
                }
                EventKind::PollDue { poller } => {
                    let class = self.net.polls[self.pollers[poller as usize].poll as usize].class;
                    self.admit(class, poller + 1);
                }
                EventKind::RetryDue { job, generation, token } => {
                    if self.jobs.generation(job) == generation && self.jobs[job].token == token {
                        self.start_round(job);
                    }
                }
            }
            self.drain();
            if self.finished_observed >= self.stop_after || self.obs.satisfied() {
                return;
            }
        }
        // Ran out of events or past the end: the window closes at `stop_at`.
        if self.stop_at != Time::MAX {
            self.now = self.now.max(self.stop_at);
        }
        if !self.observing {
            self.start_observing();
        }
    }

    fn start_observing(&mut self) {
        self.observing = true;
        let now = self.now;
        if self.series.is_some() {
            let (areas, queue_areas) = self.series_areas();
            self.series.as_mut().expect("checked").carry(&areas, &queue_areas);
        }
        for inst in &mut self.instances {
            inst.reset_areas(now);
        }
        for c in &mut self.classes {
            c.in_system.restart(now);
        }
        for p in &mut self.pool_states {
            p.touch(now);
            p.area_busy = 0;
            p.area_full = 0;
        }
        for b in &mut self.breakers {
            b.reset_tallies(now);
        }
        for q in &mut self.queue_states {
            q.touch(now);
            q.area = 0;
        }
        for f in &mut self.fleets {
            f.touch(now);
            f.area_active = 0;
            f.area_billed = 0;
            f.area_down = 0;
            // The instances' areas restart from zero too.
            f.seen = (0, 0);
        }
        self.census_at_start();
    }

    fn finish(mut self) -> RunStats {
        let now = self.now;
        self.census_at_end();
        // The first and second half of the window, when the run reached its end.
        let mid = self.observe_from + self.stop_at.saturating_sub(self.observe_from) / 2;
        let halves_in_system = match self.mid_area {
            Some(first) if self.stopped.is_none() && now == self.stop_at && mid > self.observe_from => {
                let total = self.area_in_system(now);
                let half = |area: u128, ns: Time| area as f64 / ns.max(1) as f64;
                Some((half(first, mid - self.observe_from), half(total - first, now - mid)))
            }
            _ => None,
        };
        let observed_ns = now.saturating_sub(self.observe_from).max(1);
        let observed = observed_ns as f64 / NS;
        let mut per_service = vec![(0u128, 0u128, 0u128); self.net.services.len()];
        for inst in &mut self.instances {
            let (b, c, q) = inst.areas(now);
            let acc = &mut per_service[inst.service as usize];
            acc.0 += b;
            acc.1 += c;
            acc.2 += q;
        }
        let window = observed_ns as f64;
        for ((s, (b, c, q)), fleet) in self.services.iter_mut().zip(per_service).zip(&mut self.fleets) {
            s.mean_busy_threads = b as f64 / window;
            s.mean_busy_cores = c as f64 / window;
            s.mean_queue_len = q as f64 / window;
            fleet.touch(now);
            s.mean_instances = fleet.area_active as f64 / window;
            s.mean_billed = fleet.area_billed as f64 / window;
            s.mean_down = fleet.area_down as f64 / window;
        }
        // Messages waiting for a consumer wait for its threads: count them in its queue.
        for (state, queue) in self.queue_states.iter_mut().zip(&self.net.queues) {
            state.touch(now);
            let consumer = self.net.ops[queue.consumer as usize].service as usize;
            self.services[consumer].mean_queue_len += state.area as f64 / window;
        }
        for (pool, first) in self.net.pools.iter().zip(&self.pool_first) {
            let n = pool.per.map_or(1, |s| self.net.services[s as usize].max_instances());
            let run = &mut self.pools[self.pool_first.iter().position(|f| f == first).expect("own index")];
            for p in &mut self.pool_states[*first as usize..(*first + n) as usize] {
                p.touch(now);
                run.mean_busy += p.area_busy as f64 / window;
                run.exhausted += p.area_full as f64 / window / f64::from(n);
            }
        }
        let classes = self
            .classes
            .into_iter()
            .map(|mut c| {
                c.stats.mean_in_system = c.in_system.area(now) as f64 / observed_ns as f64;
                c.latency.add_to(&mut c.stats.latency);
                c.stats
            })
            .collect();
        RunStats {
            observed,
            events: self.events_processed,
            classes,
            services: self.services,
            pools: self.pools,
            caches: self.caches,
            databases: self.databases,
            guards: {
                let mut guards = self.guards;
                for (g, site) in guards.iter_mut().zip(&self.net.guarded) {
                    let b = self.net.calls[site.call as usize].breaker;
                    if b != NONE {
                        let state = &mut self.breakers[b as usize];
                        state.touch(now);
                        g.opened = state.opened;
                        g.open_fraction = state.open_ns as f64 / observed_ns as f64;
                    }
                }
                guards
            },
            series: self.series.map(SeriesRecorder::finish),
            queues: {
                let mut queues = self.queues;
                for (q, state) in queues.iter_mut().zip(&mut self.queue_states) {
                    state.touch(now);
                    q.mean_depth = state.area as f64 / window;
                }
                queues
            },
            cap_hit_at: self.cap_hit_at.map(|t| t as f64 / NS),
            stopped: self.stopped,
            halves_in_system,
        }
    }

    // ---- events ----

    fn on_arrival(&mut self, class_id: u32) {
        let class = &self.net.classes[class_id as usize];
        if let Arrivals::Open { interarrival: Some(d) } = &class.arrivals {
            let dt = to_time(d.sample(&mut self.streams[class.stream as usize]));
            self.schedule_arrival(class_id, self.now.saturating_add(dt));
        }
        if !BASIC && let Some(m) = &class.modulation {
            // Thinning: a candidate at the peak rate is kept with rate(now) / peak.
            let keep = m.rate_at(self.now as f64 / NS, self.bursting[class_id as usize]) / m.peak;
            if self.streams[class.stream as usize].random::<f64>() >= keep {
                return;
            }
        }
        if !BASIC && let Some(times) = &class.trace {
            let next = self.trace_pos[class_id as usize] + 1;
            self.trace_pos[class_id as usize] = next;
            if let Some(&t) = times.get(next) {
                self.schedule_arrival(class_id, to_time(t).max(self.now));
            }
        }
        self.events_processed += 1;
        self.admit(class_id, 0);
    }

    /// Schedules an open class's next arrival (it has one pending at most):
    /// in the class's lane beside the event heap, when there are lanes.
    #[inline]
    fn schedule_arrival(&mut self, class_id: u32, at: Time) {
        let kind = EventKind::Arrival { class: class_id };
        if self.net.classes.len() <= MAX_ARRIVAL_LANES {
            self.events.schedule_in_lane(class_id as usize, at, kind);
        } else {
            self.events.schedule(at, kind);
        }
    }

    /// Areas per service (busy cores, queue) and per broker queue, as they stand.
    fn series_areas(&mut self) -> (Vec<(u128, u128)>, Vec<u128>) {
        let now = self.now;
        let mut areas = vec![(0u128, 0u128); self.net.services.len()];
        for inst in &mut self.instances {
            let (_, cores, queue) = inst.areas(now);
            let a = &mut areas[inst.service as usize];
            a.0 += cores;
            a.1 += queue;
        }
        let queue_areas = self
            .queue_states
            .iter_mut()
            .map(|q| {
                q.touch(now);
                q.area
            })
            .collect();
        (areas, queue_areas)
    }

    /// The end of an autoscaler's window: compare the metric with the
    /// target and start or stop instances (within the bounds, outside the cooldown).
    fn on_autoscale(&mut self, service: u32) {
        let now = self.now;
        let s = &self.net.services[service as usize];
        let a = s.autoscale.as_ref().expect("scheduled for autoscaled services");
        let first = self.first_instance[service as usize] as usize;
        let mut areas = (0u128, 0u128);
        for inst in &mut self.instances[first..first + s.max_instances() as usize] {
            let (_, cores, queue) = inst.areas(now);
            areas.0 += cores;
            areas.1 += queue;
        }
        let fleet = &mut self.fleets[service as usize];
        let window = to_time(a.window) as f64;
        let delta = (areas.0.saturating_sub(fleet.seen.0) as f64, areas.1.saturating_sub(fleet.seen.1) as f64);
        fleet.seen = areas;
        let active = f64::from(fleet.active);
        // Down instances do no work: the metric is per instance that is up.
        let up = f64::from((fleet.active - fleet.down).max(1));
        let metric = match a.metric {
            crate::policy::ScaleMetric::Utilisation => delta.0 / window / (up * f64::from(s.cores.min(s.threads))),
            crate::policy::ScaleMetric::Queue => delta.1 / window / up,
        };
        // Kubernetes' rule: enough instances to bring the metric to the target.
        let desired = ((active * metric / a.target).ceil().min(f64::from(a.max)) as u32).clamp(a.min, a.max);
        let quiet = fleet.last_action.is_none_or(|t| now >= t.saturating_add(to_time(a.cooldown)));
        if quiet {
            fleet.touch(now);
            if desired > fleet.active + fleet.pending {
                let start = desired - fleet.active - fleet.pending;
                fleet.pending += start;
                fleet.last_action = Some(now);
                for _ in 0..start {
                    self.events.schedule(now.saturating_add(to_time(a.delay)), EventKind::InstanceUp { service });
                }
            } else if desired < fleet.active && fleet.pending == 0 {
                // The instances beyond `desired` get no new work and drain.
                fleet.active = desired;
                fleet.last_action = Some(now);
                self.recount_down(service);
            }
        }
        if self.events.len() >= self.periodic {
            self.events.schedule(now.saturating_add(window as Time), EventKind::Autoscale { service });
        }
    }

    fn on_tick(&mut self) {
        let (areas, queue_areas) = self.series_areas();
        let capacity: Vec<f64> = self
            .net
            .services
            .iter()
            .zip(&self.fleets)
            .map(|(s, f)| f64::from(f.active - f.down) * f64::from(s.cores.min(s.threads)))
            .collect();
        let instances: Vec<u32> = self.fleets.iter().map(|f| f.active - f.down).collect();
        let now = self.now;
        let next =
            self.series.as_mut().expect("ticks need a series").row(now, &areas, &capacity, &instances, &queue_areas);
        // Stop ticking when nothing else is left to happen, or (a run of
        // unknown length) the series is as long as a series may be.
        let rows = self.series.as_ref().map_or(0, |s| s.rows());
        if next <= self.stop_at
            && self.events.len() >= self.periodic
            && (rows as f64) < crate::model::MAX_SERIES_INTERVALS
        {
            self.events.schedule(next, EventKind::Tick);
        }
    }

    /// A request of `class_id` enters the system. `tag`: 1 + the poller of a
    /// status poll, else 0.
    #[inline(always)]
    fn admit(&mut self, class_id: u32, tag: u32) {
        let class = &self.net.classes[class_id as usize];
        if self.observing {
            self.classes[class_id as usize].stats.arrivals += 1;
        }
        if self.jobs.live() >= self.net.settings.max_in_flight {
            self.cap_hit_at.get_or_insert(self.now);
            if let Some(s) = &mut self.series {
                s.finished(class_id as usize, 0, false);
            }
            if self.observing {
                self.classes[class_id as usize].stats.errors[ErrorCause::InFlightCap as usize] += 1;
                self.finished_observed += 1;
            }
            self.schedule_next_user(class_id);
            if tag != 0 {
                self.poll_answered(tag - 1);
            }
            return;
        }
        self.in_flight += 1;
        let state = &mut self.classes[class_id as usize];
        state.in_system.up(self.now);
        let mut job = Job::new(class.target, NONE, class_id as u16, class.priority, self.now);
        job.parent_token = tag;
        if !BASIC && class.clients > 1 {
            job.client = self.streams[class.client_stream as usize].random_range(0..class.clients);
        }
        let id = self.jobs.insert(job);
        self.obs.arrival(self.now, id, class_id);
        self.dispatch(id);
    }

    fn on_cpu_done(&mut self, job: u32, generation: u32, token: u32) {
        // Only an instance failure takes a computing job's work away (and
        // changes its token); a basic network has none.
        if !BASIC && (self.jobs.generation(job) != generation || self.jobs[job].token != token) {
            return;
        }
        self.events_processed += 1;
        self.instances[self.jobs[job].instance as usize].stop_computing(self.now);
        self.run_steps(job);
    }

    fn on_ps_done(&mut self, instance: u32, generation: u32) {
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        if inst.ps.generation != generation {
            return;
        }
        inst.ps.advance(now, inst.cores);
        while let Some(job) = inst.ps.pop_done() {
            inst.stop_computing(now);
            self.events_processed += 1;
            self.ready.push_back(Ready::Resume(job));
        }
        self.reschedule_ps(instance);
    }

    fn reschedule_ps(&mut self, instance: u32) {
        let inst = &mut self.instances[instance as usize];
        if let Some((time, generation)) = inst.ps.next_completion(self.now, inst.cores) {
            self.events.schedule(time, EventKind::PsDone { instance, generation });
        }
    }

    fn drain(&mut self) {
        while let Some(r) = self.ready.pop_front() {
            match r {
                Ready::Start(job) => self.start(job),
                Ready::Resume(job) => self.run_steps(job),
                Ready::Round(job) => self.start_round(job),
            }
        }
    }

    // ---- the interpreter ----

    /// Sends a job to an instance of its op's service: a free thread, the
    /// queue, or a rejection when the queue is full.
    #[inline(always)]
    fn dispatch(&mut self, id: u32) {
        let service_id = self.net.ops[self.jobs[id].op as usize].service;
        let service = &self.net.services[service_id as usize];
        let now = self.now;
        if self.observing {
            self.services[service_id as usize].arrivals += 1;
        }
        if !BASIC && let Some(limit) = &service.rate_limit {
            let job = &self.jobs[id];
            let b = self.bucket(service_id, job.class, job.client);
            if !self.buckets[b].take(now, limit) {
                return self.turn_away(id, service_id, ErrorCause::RateLimited);
            }
        }
        let instance = self.balance(service_id);
        // No instance passes the health check, or the one picked failed unnoticed.
        if !BASIC && (instance == NONE || self.instances[instance as usize].down) {
            return self.turn_away(id, service_id, ErrorCause::InstanceDown);
        }
        let job = &mut self.jobs[id];
        let inst = &mut self.instances[instance as usize];
        if inst.busy() < inst.threads {
            inst.take_thread(now);
            job.instance = instance;
            job.holds_thread = true;
            job.enqueued = now;
            self.ready.push_back(Ready::Start(id));
        } else if inst.queued() >= service.queue_limit {
            self.turn_away(id, service_id, ErrorCause::Rejected);
        } else if !BASIC
            && service.shed_wait.is_some_and(|limit| {
                // Expected wait: the jobs ahead, served `threads` at a time, each
                // holding a thread for the recent average.
                let expected =
                    f64::from(inst.queued() + 1) / f64::from(inst.threads) * self.hold_ewma[service_id as usize];
                expected > limit * NS
            })
        {
            self.turn_away(id, service_id, ErrorCause::Shed);
        } else {
            job.instance = instance;
            job.enqueued = now;
            let level = match service.discipline {
                Discipline::Fifo => 0,
                Discipline::Priority => usize::from(job.priority),
            };
            self.obs.queued(now, id, job.op, instance, inst.queued());
            inst.enqueue(id, level, now);
        }
    }

    /// Refuses a job at a service (full queue, rate limit, shedding): it fails at once.
    fn turn_away(&mut self, id: u32, service_id: u32, cause: ErrorCause) {
        if self.observing {
            self.services[service_id as usize].rejected += 1;
        }
        let job = &mut self.jobs[id];
        job.failure = Some(cause);
        self.obs.rejected(self.now, id, job.op);
        self.ready.push_back(Ready::Resume(id));
    }

    /// The token bucket of `service_id`'s limiter that a request of `class` from `client` uses.
    fn bucket(&self, service_id: u32, class: u16, client: u32) -> usize {
        let first = self.bucket_first[service_id as usize] as usize;
        match self.net.services[service_id as usize].rate_limit.map(|l| l.per) {
            Some(LimitScope::Client) => first + (self.client_offset[usize::from(class)] + client) as usize,
            Some(LimitScope::Class) => first + usize::from(class),
            _ => first,
        }
    }

    /// Picks the instance of `service_id` for a new job.
    #[inline(always)]
    fn balance(&mut self, service_id: u32) -> u32 {
        let fleet = &self.fleets[service_id as usize];
        if (BASIC || fleet.failing == 0) && fleet.active == 1 {
            return self.first_instance[service_id as usize];
        }
        self.balance_among(service_id)
    }

    /// `balance` for a fleet of more than one instance or with some down.
    fn balance_among(&mut self, service_id: u32) -> u32 {
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
    fn balance_healthy(&mut self, service_id: u32) -> u32 {
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

    /// The job holds a thread: run its demand, then its steps.
    fn start(&mut self, id: u32) {
        let now = self.now;
        let job = &mut self.jobs[id];
        let op = &self.net.ops[job.op as usize];
        if self.observing {
            let s = &mut self.services[op.service as usize];
            s.started += 1;
            s.wait_sum += to_seconds(now - job.enqueued);
        }
        job.pc = 0;
        job.started = now;
        self.obs.started(now, id, job.op, job.instance, now - job.enqueued);
        let mut work = 0;
        if let Some(demand) = &op.demand {
            work = to_time(demand.sample(&mut self.streams[op.demand_stream as usize]));
        }
        if !BASIC && let Some(per_item) = &op.per_item {
            let items = f64::from(self.jobs[id].items);
            work =
                work.saturating_add(to_time(per_item.sample(&mut self.streams[op.per_item_stream as usize]) * items));
        }
        if work > 0 {
            return self.compute(id, work);
        }
        self.run_steps(id);
    }

    /// Puts CPU work on the job's instance.
    #[inline(always)]
    fn compute(&mut self, id: u32, work: Time) {
        let instance = self.jobs[id].instance;
        let now = self.now;
        self.obs.compute(now, id, work);
        let inst = &mut self.instances[instance as usize];
        inst.start_computing(now);
        if BASIC || inst.threads <= inst.cores {
            let generation = self.jobs.generation(id);
            let token = self.jobs[id].token;
            self.events.schedule(now.saturating_add(work), EventKind::CpuDone { job: id, generation, token });
        } else {
            inst.ps.advance(now, inst.cores);
            inst.ps.add(id, work as f64);
            self.reschedule_ps(instance);
        }
    }

    /// Runs the job's steps from its program counter until it waits or ends.
    fn run_steps(&mut self, id: u32) {
        loop {
            let job = &self.jobs[id];
            let op = &self.net.ops[job.op as usize];
            let index = op.steps.start + u32::from(job.pc);
            // Failed (it unwinds) or past its last step. One call site, so
            // that `finish_op` is inlined once.
            if job.failure.is_some() || index == op.steps.end {
                return self.finish_op(id);
            }
            let action = match &self.net.steps[index as usize] {
                Step::Compute { dist, stream } => {
                    self.jobs[id].pc += 1;
                    let work = to_time(dist.sample(&mut self.streams[*stream as usize]));
                    if work > 0 {
                        return self.compute(id, work);
                    }
                    continue;
                }
                Step::Act(action) => *action,
                &Step::CacheRead { cache, miss } => match self.jobs[id].phase {
                    0 => {
                        let key = self.sample_key(cache);
                        let job = &mut self.jobs[id];
                        job.key = key;
                        job.phase = 1;
                        job.calling = self.net.caches[cache as usize].lookup;
                        job.remaining = 1;
                        return self.start_round(id);
                    }
                    1 => {
                        let now = self.now;
                        let job = &mut self.jobs[id];
                        let state = &self.cache_states[cache as usize];
                        let filled = state.filled[job.key as usize];
                        let hit = filled != Time::MAX && now < filled.saturating_add(state.ttl);
                        if self.observing {
                            let stats = &mut self.caches[cache as usize];
                            stats.reads += 1;
                            stats.hits += u64::from(hit);
                            stats.stale += u64::from(hit && state.written[job.key as usize] > filled);
                        }
                        self.obs.cache(now, id, cache, job.key, hit);
                        if hit {
                            job.phase = 0;
                            job.pc += 1;
                            continue;
                        }
                        job.phase = 2;
                        job.calling = miss;
                        job.remaining = 1;
                        return self.start_round(id);
                    }
                    _ => {
                        // Cache-aside: the value read on the miss path fills the entry.
                        let job = &mut self.jobs[id];
                        self.cache_states[cache as usize].filled[job.key as usize] = self.now;
                        job.phase = 0;
                        job.pc += 1;
                        continue;
                    }
                },
                &Step::DbRead { db, call } => {
                    let state = &self.db_states[db as usize];
                    let key = state.keys.sample(&mut self.streams[self.net.databases[db as usize].key_stream as usize]);
                    // The replicas have not applied the key's latest write yet.
                    let stale = self.now < state.visible_at[key as usize];
                    if self.observing {
                        let stats = &mut self.databases[db as usize];
                        stats.reads += 1;
                        stats.stale += u64::from(stale);
                    }
                    self.obs.replica_read(self.now, id, db, key, stale);
                    return self.begin_call(id, call);
                }
                &Step::Publish { queue, poll } => {
                    let now = self.now;
                    let q = &self.net.queues[queue as usize];
                    let cause = if self.queue_states[queue as usize].waiting.len() as u32 >= q.capacity {
                        Some(ErrorCause::QueueFull)
                    } else if self.jobs.live() >= self.net.settings.max_in_flight {
                        self.cap_hit_at.get_or_insert(now);
                        Some(ErrorCause::InFlightCap)
                    } else {
                        None
                    };
                    if let Some(cause) = cause {
                        if self.observing {
                            self.queues[queue as usize].refused += 1;
                        }
                        self.jobs[id].failure = Some(cause);
                        continue;
                    }
                    let p = &self.jobs[id];
                    let mut message = Job::new(q.consumer, MESSAGE, p.class, p.priority, now);
                    message.parent_token = queue;
                    message.client = p.client;
                    let m = self.jobs.insert(message);
                    if self.observing {
                        self.queues[queue as usize].published += 1;
                    }
                    self.obs.publish(now, id, queue);
                    if poll != NONE {
                        self.start_poller(m, queue, poll);
                    }
                    self.offer_message(m, queue);
                    self.jobs[id].pc += 1;
                    continue;
                }
                &Step::DbWrite { db, call } => {
                    let d = &self.net.databases[db as usize];
                    if self.jobs[id].phase == 0 {
                        let key = self.db_states[db as usize].keys.sample(&mut self.streams[d.key_stream as usize]);
                        let job = &mut self.jobs[id];
                        job.key = key;
                        job.phase = 3;
                        return self.begin_call(id, call);
                    }
                    // The primary committed: replicas see it after the lag, in commit order.
                    let lag = to_time(d.lag.sample(&mut self.streams[d.lag_stream as usize]));
                    let job = &mut self.jobs[id];
                    let visible = &mut self.db_states[db as usize].visible_at[job.key as usize];
                    *visible = (*visible).max(self.now.saturating_add(lag));
                    if self.observing {
                        self.databases[db as usize].writes += 1;
                    }
                    job.phase = 0;
                    job.pc += 1;
                    continue;
                }
                &Step::CacheWrite { cache } => {
                    let key = self.sample_key(cache) as usize;
                    let now = self.now;
                    let state = &mut self.cache_states[cache as usize];
                    state.written[key] = now;
                    match self.net.caches[cache as usize].on_write {
                        WritePolicy::Invalidate => state.filled[key] = Time::MAX,
                        WritePolicy::Update => state.filled[key] = now,
                        WritePolicy::Ignore => {}
                    }
                    if self.observing {
                        self.caches[cache as usize].writes += 1;
                    }
                    self.jobs[id].pc += 1;
                    continue;
                }
                Step::Branch { arms, stream } => {
                    let u: f64 = self.streams[*stream as usize].random();
                    let arms = &self.net.arms[arms.start as usize..arms.end as usize];
                    let arm = arms.iter().position(|a| u < a.cumulative).expect("last arm is unbounded");
                    self.obs.branch(self.now, id, arm, arms);
                    arms[arm].action
                }
            };
            match action {
                Action::Call { call } => return self.begin_call(id, call),
                Action::Forward { op } => {
                    self.obs.forward(self.now, id, op);
                    self.release(id);
                    let job = &mut self.jobs[id];
                    job.op = op;
                    job.pc = 0;
                    return self.dispatch(id);
                }
                Action::Continue => self.jobs[id].pc += 1,
            }
        }
    }

    /// Begins call site `call`: takes its pool connection (or queues for
    /// one), then sends the first round.
    fn begin_call(&mut self, id: u32, call: u32) {
        let c = self.net.calls[call as usize];
        let job = &mut self.jobs[id];
        job.calling = call;
        job.remaining = c.count;
        job.attempt = 0;
        if c.pool != NONE {
            let at = job.instance;
            let instance = self.pool_instance(c.pool, at);
            if !self.acquire(id, instance) {
                return;
            }
        }
        self.start_round(id);
    }

    /// Starts a call from `parent` to `op`.
    fn spawn(&mut self, parent: u32, op: u32) {
        let p = &self.jobs[parent];
        let mut child = Job::new(op, parent, p.class, p.priority, self.now);
        child.parent_gen = self.jobs.generation(parent);
        child.parent_token = p.token;
        let call = self.net.calls[p.calling as usize];
        child.items = call.batch;
        child.client = p.client;
        // Network: half the round trip out, the other half and the payload back.
        let mut outbound = 0;
        if call.latency != NONE {
            let rtt = to_time(
                self.net.latencies[call.latency as usize].sample(&mut self.streams[call.latency_stream as usize]),
            );
            outbound = rtt / 2;
            child.reply_delay = rtt - outbound;
        }
        child.reply_delay = child.reply_delay.saturating_add(to_time(call.transfer));
        let id = self.jobs.insert(child);
        self.obs.call(self.now, parent, id, op);
        if outbound > 0 {
            self.jobs[id].transit = Transit::Outbound;
            let generation = self.jobs.generation(id);
            self.events.schedule(self.now.saturating_add(outbound), EventKind::Wake { job: id, generation });
        } else {
            self.dispatch(id);
        }
    }

    fn on_wake(&mut self, id: u32, generation: u32) {
        if self.jobs.generation(id) != generation {
            return;
        }
        match std::mem::replace(&mut self.jobs[id].transit, Transit::None) {
            Transit::Outbound => self.dispatch(id),
            Transit::Inbound => self.deliver(id),
            Transit::None => {}
        }
    }

    /// Frees the job's thread, handing it to the next waiting job.
    #[inline(always)]
    fn release(&mut self, id: u32) {
        let job = &mut self.jobs[id];
        if !job.holds_thread {
            return;
        }
        job.holds_thread = false;
        let instance = job.instance;
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        let service = inst.service as usize;
        if !BASIC && self.net.services[service].shed_wait.is_some() {
            let ewma = &mut self.hold_ewma[service];
            *ewma += 0.05 * ((now - job.started) as f64 - *ewma);
        }
        if self.observing {
            self.services[inst.service as usize].completed += 1;
        }
        match inst.dequeue(now) {
            Some(next) => {
                self.jobs[next].holds_thread = true;
                self.ready.push_back(Ready::Start(next));
            }
            None => {
                // A consumer with nothing of its own to do takes the next message.
                let queue = self.net.services[service].consumes;
                if BASIC || queue == NONE || !self.take_message(queue, instance) {
                    self.instances[instance as usize].free_thread(now);
                }
            }
        }
    }

    /// Starts the next message of `queue` on a thread of `instance` that is
    /// already counted busy. False when no message waits.
    fn take_message(&mut self, queue: u32, instance: u32) -> bool {
        let now = self.now;
        let state = &mut self.queue_states[queue as usize];
        state.touch(now);
        let Some(m) = state.waiting.pop_front() else {
            return false;
        };
        let job = &mut self.jobs[m];
        job.instance = instance;
        job.holds_thread = true;
        if self.observing {
            self.queues[queue as usize].wait_sum += to_seconds(now - job.enqueued);
        }
        self.ready.push_back(Ready::Start(m));
        true
    }

    /// The job's operation is over (done or failed): return to the caller.
    #[inline(always)]
    fn finish_op(&mut self, id: u32) {
        let op = &self.net.ops[self.jobs[id].op as usize];
        if !BASIC
            && op.error_rate > 0.0
            && self.jobs[id].failure.is_none()
            && self.streams[op.error_stream as usize].random::<f64>() < op.error_rate
        {
            self.jobs[id].failure = Some(ErrorCause::ServerError);
        }
        self.release(id);
        if !BASIC && self.jobs[id].pool != NONE {
            self.release_pool(id);
        }
        let job = &mut self.jobs[id];
        self.obs.op_done(self.now, id, job.op, job.failure.is_some());
        if job.parent == NONE {
            return self.finish_request(id);
        }
        if !BASIC && job.parent == MESSAGE {
            return self.finish_message(id);
        }
        if job.reply_delay > 0 {
            let delay = std::mem::take(&mut job.reply_delay);
            job.transit = Transit::Inbound;
            let generation = self.jobs.generation(id);
            self.events.schedule(self.now.saturating_add(delay), EventKind::Wake { job: id, generation });
            return;
        }
        self.deliver(id);
    }

    /// A call's reply reaches its caller.
    fn deliver(&mut self, id: u32) {
        let job = self.jobs.remove(id);
        let parent = job.parent;
        // A reply the caller no longer waits for (quorum met, caller failed or gone).
        if self.jobs.generation(parent) != job.parent_gen || self.jobs[parent].token != job.parent_token {
            return;
        }
        if self.observing {
            let bytes = self.net.calls[self.jobs[parent].calling as usize].bytes;
            self.classes[usize::from(job.class)].stats.bytes += bytes;
        }
        let p = &mut self.jobs[parent];
        if let Some(failure) = job.failure {
            if p.spare > 0 {
                p.spare -= 1;
                return;
            }
            return self.round_failed(parent, failure);
        }
        p.needed -= 1;
        if p.needed > 0 {
            return;
        }
        self.round_done(parent, true);
    }

    /// A round got its replies (or an open breaker's fallback stood in for
    /// them, `record` false): the next round, or the step is done.
    fn round_done(&mut self, parent: u32, record: bool) {
        let p = &mut self.jobs[parent];
        // Later replies are stragglers; a pending timeout is stale.
        p.token = p.token.wrapping_add(1);
        p.attempt = 0;
        let breaker = self.net.calls[p.calling as usize].breaker;
        if record && breaker != NONE {
            self.breakers[breaker as usize].record(self.now, true, &self.net.breakers[breaker as usize]);
        }
        let p = &mut self.jobs[parent];
        p.remaining -= 1;
        if p.remaining > 0 {
            return self.start_round(parent);
        }
        // A cache or database step moves its own program counter when its phases are done.
        if p.phase == 0 {
            p.pc += 1;
        }
        if p.pool != NONE {
            self.release_pool(parent);
        }
        self.ready.push_back(Ready::Resume(parent));
    }

    /// A round failed (a reply failed, or the caller timed out): retry after
    /// a backoff if the policy and budget allow, else fail the step.
    fn round_failed(&mut self, parent: u32, cause: ErrorCause) {
        let now = self.now;
        let p = &mut self.jobs[parent];
        p.token = p.token.wrapping_add(1);
        let call = self.net.calls[p.calling as usize];
        if call.breaker != NONE && cause != ErrorCause::CircuitOpen {
            self.breakers[call.breaker as usize].record(now, false, &self.net.breakers[call.breaker as usize]);
        }
        let retryable = !matches!(cause, ErrorCause::CircuitOpen | ErrorCause::InFlightCap);
        if call.retry != NONE && retryable {
            let r = &self.net.retries[call.retry as usize];
            let p = &self.jobs[parent];
            if u32::from(p.attempt) < r.attempts
                && r.budget.is_none_or(|_| self.budgets[call.retry as usize].withdraw())
            {
                let mut wait = resilience::backoff(r, u32::from(p.attempt), &mut self.streams[r.stream as usize]);
                if cause == ErrorCause::RateLimited && r.honor_retry_after {
                    let callee = self.net.ops[call.op as usize].service;
                    let b = self.bucket(callee, p.class, p.client);
                    let limit = self.net.services[callee as usize].rate_limit.expect("a 429 comes from a limiter");
                    wait = wait.max(self.buckets[b].retry_after(now, &limit));
                }
                let generation = self.jobs.generation(parent);
                let token = p.token;
                self.obs.retry(now, parent, u32::from(p.attempt) + 1, wait);
                self.events.schedule(now.saturating_add(wait), EventKind::RetryDue { job: parent, generation, token });
                return;
            }
        }
        let p = &mut self.jobs[parent];
        p.attempt = 0;
        p.failure = Some(cause);
        self.ready.push_back(Ready::Resume(parent));
    }

    fn on_call_timeout(&mut self, id: u32, generation: u32, token: u32) {
        if self.jobs.generation(id) != generation || self.jobs[id].token != token {
            return;
        }
        let call = self.net.calls[self.jobs[id].calling as usize];
        if self.observing {
            self.guards[call.guard as usize].timeouts += 1;
        }
        self.obs.timeout(self.now, id);
        // The callee's copies run on as orphans; their replies will be ignored.
        self.round_failed(id, ErrorCause::Timeout);
    }

    /// A key of `cache`, by the cache's popularity (Zipf or uniform).
    fn sample_key(&mut self, cache: u32) -> u32 {
        let rng = &mut self.streams[self.net.caches[cache as usize].stream as usize];
        self.cache_states[cache as usize].keys.sample(rng)
    }

    /// Sends one round of a call: `parallel` copies, awaiting `quorum` replies.
    fn start_round(&mut self, id: u32) {
        let now = self.now;
        let c = self.net.calls[self.jobs[id].calling as usize];
        if c.guard != NONE {
            let job = &mut self.jobs[id];
            job.attempt = job.attempt.saturating_add(1);
            if job.attempt == 1
                && c.retry != NONE
                && let Some(budget) = self.net.retries[c.retry as usize].budget
            {
                self.budgets[c.retry as usize].deposit(budget);
            }
            if self.observing {
                let g = &mut self.guards[c.guard as usize];
                g.attempts += 1;
                g.retries += u64::from(job.attempt > 1);
            }
            if c.breaker != NONE && !self.breakers[c.breaker as usize].allow(now) {
                if self.observing {
                    self.guards[c.guard as usize].short_circuited += 1;
                }
                return if self.net.breakers[c.breaker as usize].fallback {
                    self.round_done(id, false)
                } else {
                    self.round_failed(id, ErrorCause::CircuitOpen)
                };
            }
        }
        // A wide fan-out counts against max_in_flight: it may not grow past the cap.
        if c.parallel > 1 && self.jobs.live().saturating_add(c.parallel) > self.net.settings.max_in_flight {
            self.cap_hit_at.get_or_insert(now);
            return self.round_failed(id, ErrorCause::InFlightCap);
        }
        let job = &mut self.jobs[id];
        job.needed = c.quorum;
        job.spare = c.parallel - c.quorum;
        if c.timeout > 0.0 {
            let token = job.token;
            let generation = self.jobs.generation(id);
            self.events.schedule(
                now.saturating_add(to_time(c.timeout)),
                EventKind::CallTimeout { job: id, generation, token },
            );
        }
        for _ in 0..c.parallel {
            self.spawn(id, c.op);
        }
    }

    /// The pool instance a job at `instance` uses for `pool`.
    fn pool_instance(&self, pool: u32, instance: u32) -> u32 {
        let first = self.pool_first[pool as usize];
        match self.net.pools[pool as usize].per {
            Some(service) => first + instance - self.first_instance[service as usize],
            None => first,
        }
    }

    /// Takes a connection, or queues for one. True when the job holds it now.
    fn acquire(&mut self, id: u32, instance: u32) -> bool {
        let now = self.now;
        let pool_id = self.net.calls[self.jobs[id].calling as usize].pool as usize;
        let state = &mut self.pool_states[instance as usize];
        state.touch(now);
        let job = &mut self.jobs[id];
        if state.busy < state.size {
            state.busy += 1;
            job.pool = instance;
            if self.observing {
                self.pools[pool_id].acquired += 1;
            }
            return true;
        }
        match self.net.pools[pool_id].wait_timeout {
            Some(t) if t <= 0.0 => {
                if self.observing {
                    self.pools[pool_id].timeouts += 1;
                }
                job.failure = Some(ErrorCause::PoolTimeout);
                self.ready.push_back(Ready::Resume(id));
            }
            timeout => {
                job.waiting_pool = true;
                job.enqueued = now;
                let generation = self.jobs.generation(id);
                let token = self.jobs[id].token;
                state.waiters.push_back((id, generation, token));
                if let Some(t) = timeout {
                    self.events.schedule(
                        now.saturating_add(to_time(t)),
                        EventKind::PoolTimeout { job: id, generation, token },
                    );
                }
            }
        }
        false
    }

    /// Returns the job's connection, handing it to the first live waiter.
    fn release_pool(&mut self, id: u32) {
        let now = self.now;
        let instance = std::mem::replace(&mut self.jobs[id].pool, NONE);
        let state = &mut self.pool_states[instance as usize];
        state.touch(now);
        while let Some((waiter, generation, token)) = state.waiters.pop_front() {
            let live = self.jobs.generation(waiter) == generation
                && self.jobs[waiter].token == token
                && self.jobs[waiter].waiting_pool;
            if !live {
                continue;
            }
            let w = &mut self.jobs[waiter];
            w.waiting_pool = false;
            w.pool = instance;
            w.token = w.token.wrapping_add(1);
            if self.observing {
                let pool_id = self.net.calls[w.calling as usize].pool as usize;
                self.pools[pool_id].acquired += 1;
                self.pools[pool_id].wait_sum += to_seconds(now - w.enqueued);
            }
            self.ready.push_back(Ready::Round(waiter));
            return;
        }
        state.busy -= 1;
    }

    fn on_pool_timeout(&mut self, id: u32, generation: u32, token: u32) {
        if self.jobs.generation(id) != generation || self.jobs[id].token != token || !self.jobs[id].waiting_pool {
            return;
        }
        let job = &mut self.jobs[id];
        job.waiting_pool = false;
        job.token = job.token.wrapping_add(1);
        job.failure = Some(ErrorCause::PoolTimeout);
        if self.observing {
            let pool_id = self.net.calls[job.calling as usize].pool as usize;
            self.pools[pool_id].timeouts += 1;
        }
        self.ready.push_back(Ready::Resume(id));
    }

    #[inline(always)]
    fn finish_request(&mut self, id: u32) {
        let job = self.jobs.remove(id);
        let class_id = u32::from(job.class);
        let now = self.now;
        self.obs.done(now, id, now - job.arrived, job.failure);
        self.in_flight -= 1;
        let state = &mut self.classes[class_id as usize];
        state.in_system.down(now);
        if let Some(s) = &mut self.series {
            s.finished(class_id as usize, now - job.arrived, job.failure.is_none());
        }
        if self.observing {
            let latency = now - job.arrived;
            let stats = &mut state.stats;
            stats.sojourn_sum += to_seconds(latency);
            match job.failure {
                Some(cause) => stats.errors[cause as usize] += 1,
                None => {
                    stats.completed += 1;
                    stats.latency_sum += to_seconds(latency);
                    state.latency.record(latency);
                }
            }
            self.finished_observed += 1;
        }
        self.schedule_next_user(class_id);
        if !BASIC && job.parent_token != 0 && self.net.classes[class_id as usize].polling {
            self.poll_answered(job.parent_token - 1);
        }
    }

    // ---- queues ----

    /// Hands a new message to a free consumer thread, or queues it.
    fn offer_message(&mut self, id: u32, queue: u32) {
        let now = self.now;
        let service = self.net.ops[self.net.queues[queue as usize].consumer as usize].service as usize;
        if self.observing {
            self.services[service].arrivals += 1;
        }
        self.jobs[id].enqueued = now;
        if self.queue_states[queue as usize].waiting.is_empty() {
            let first = self.first_instance[service];
            let n = self.fleets[service].active;
            let offset = self.round_robin[service] % n;
            for k in 0..n {
                let i = first + (offset + k) % n;
                let inst = &mut self.instances[i as usize];
                if inst.busy() < inst.threads && inst.queued() == 0 && !inst.down {
                    inst.take_thread(now);
                    let job = &mut self.jobs[id];
                    job.instance = i;
                    job.holds_thread = true;
                    self.round_robin[service] = (offset + k + 1) % n;
                    self.ready.push_back(Ready::Start(id));
                    return;
                }
            }
        }
        let state = &mut self.queue_states[queue as usize];
        state.touch(now);
        state.waiting.push_back(id);
    }

    /// A message's consumer op ended.
    fn finish_message(&mut self, id: u32) {
        let job = self.jobs.remove(id);
        if self.observing {
            let stats = &mut self.queues[job.parent_token as usize];
            match job.failure {
                Some(_) => stats.failed += 1,
                None => {
                    let latency = self.now - job.arrived;
                    stats.consumed += 1;
                    stats.latency_sum += to_seconds(latency);
                    stats.latency.saturating_record(latency.max(1));
                }
            }
        }
    }

    /// The client of a new message starts polling for it.
    fn start_poller(&mut self, message: u32, queue: u32, poll: u32) {
        let wait = to_time(self.net.polls[poll as usize].first);
        let p = Poller { message, generation: self.jobs.generation(message), queue, poll, wait, published: self.now };
        let id = match self.free_pollers.pop() {
            Some(id) => {
                self.pollers[id as usize] = p;
                id
            }
            None => {
                self.pollers.push(p);
                (self.pollers.len() - 1) as u32
            }
        };
        self.events.schedule(self.now.saturating_add(wait), EventKind::PollDue { poller: id });
    }

    /// A status poll came back: done, or poll again after a longer wait.
    fn poll_answered(&mut self, poller: u32) {
        let now = self.now;
        let p = &mut self.pollers[poller as usize];
        let done = self.jobs.generation(p.message) != p.generation;
        if self.observing {
            let stats = &mut self.queues[p.queue as usize];
            stats.polls += 1;
            if done {
                stats.seen += 1;
                stats.seen_sum += to_seconds(now - p.published);
            }
        }
        if done {
            self.free_pollers.push(poller);
            return;
        }
        let poll = &self.net.polls[p.poll as usize];
        p.wait = to_time((p.wait as f64 / NS * poll.factor).min(poll.cap));
        self.events.schedule(now.saturating_add(p.wait), EventKind::PollDue { poller });
    }

    /// A closed-loop user thinks, then sends its next request.
    #[inline(always)]
    fn schedule_next_user(&mut self, class_id: u32) {
        let class = &self.net.classes[class_id as usize];
        if let Arrivals::Closed { think, .. } = &class.arrivals {
            let dt = to_time(think.sample(&mut self.streams[class.stream as usize]));
            self.events.schedule(self.now.saturating_add(dt), EventKind::Arrival { class: class_id });
        }
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
