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
//!
//! This file keeps the loop: `Sim`'s state, arrivals and admission, threads
//! and CPU, and the end of a run. Each other mechanism is an `impl Sim`
//! block in its own room: `balance` (which instance), `steps` (the step
//! interpreter, calls and rounds), `pools` (connection pools), `broker`
//! (message queues and pollers), `completion` (when a request's published
//! work is done), `fleet` (autoscaling and series ticks),
//! `failures`, `resilience` (retries, breakers, rate limits, shedding) and
//! `census` (counts at the window's edges).

mod balance;
mod broker;
mod census;
mod entry;
pub use entry::{is_basic, observe, simulate, simulate_general, simulate_observed, simulate_scanning, trace};
mod completion;
mod cpu_limit;
mod events;
mod failures;
mod fifo;
mod fleet;
mod hedge;
mod hpa;
mod instance;
mod keys;
mod level;
mod pauses;
mod pools;
mod preemption;
mod reads;
mod resilience;
mod series;
mod serverless;
mod setup;
mod slab;
mod stall;
mod steps;
mod tournament;
mod trace;
mod window;

use rand::RngExt;

use balance::BalanceTree;
use broker::{Poller, QueueState};
use completion::Tracker;
pub use events::{EventKind, EventQueue, GateEdge, NS, Time, to_seconds, to_time};
use fleet::Fleet;
use hedge::Hedging;
use instance::Instance;
use keys::KeyChooser;
use level::Level;
use pools::PoolState;
use preemption::Unfinished;
use resilience::{BreakerState, Bucket, Budget};
use series::SeriesRecorder;
use slab::{Job, Slab, Transit};
pub use trace::{Journeys, NoTrace, Observer};

use crate::model::{Arrivals, NONE, Network};
use crate::policy::LimitScope;
use crate::rng::Stream;
use crate::stats::{
    CacheRun, ClassRun, DatabaseRun, ErrorCause, GuardRun, LatencyCounts, OpClassRun, PoolRun, QueueRun, ServiceRun,
};

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
    /// The side the next tie of a read spread by load goes to (true: the primary).
    tie_to_primary: bool,
}

struct ClassState {
    stats: ClassRun,
    /// Latencies of the observed successes; `stats.latency` at the end.
    latency: LatencyCounts,
    /// Completion latencies, for a class that publishes; `stats.completion` at the end.
    completion: Option<LatencyCounts>,
    /// Seen-done latencies, for a class whose publishes poll; `stats.seen_done` at the end.
    seen_done: Option<LatencyCounts>,
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
    op_classes: Vec<OpClassRun>,
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
    /// The outstanding asynchronous work of requests that published.
    trackers: Vec<Tracker>,
    free_trackers: Vec<u32>,
    /// Whether each class is in a burst.
    bursting: Vec<bool>,
    /// Next trace entry of each class.
    trace_pos: Vec<usize>,
    series: Option<SeriesRecorder>,
    fleets: Vec<Fleet>,
    /// Tournament trees of least-connections and JSQ services' large fleets.
    trees: Vec<BalanceTree>,
    /// Whether any tree is in use: `rekey` has work.
    trees_live: bool,
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
    /// Time-weighted messages waiting in each queue from the opening to the midpoint \[ns\].
    mid_queue_areas: Vec<u128>,
    /// Whether any service preempts (`discipline = "priority_preemptive"`).
    preemptive: bool,
    /// Whether any service is `serverless`.
    serverless: bool,
    /// CPU work left of each preempted job, by slot.
    unfinished: Vec<Option<Unfinished>>,
    /// Hedged calls' sites and pairs, if any call is hedged.
    hedging: Option<Box<Hedging>>,
}

impl<'n, O: Observer, const BASIC: bool> Sim<'n, O, BASIC> {
    fn run(&mut self) {
        for service in 0..self.net.services.len() as u32 {
            self.fleet_resized(service);
        }
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
        self.schedule_pauses();
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
                    self.mark_midpoint(mid);
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
                EventKind::Gate { instance, edge } => self.on_gate(instance, edge),
                EventKind::HedgeDue { job, generation } => self.on_hedge_due(job, generation),
                EventKind::PoolTimeout { job, generation, token } => self.on_pool_timeout(job, generation, token),
                EventKind::Wake { job, generation } => self.on_wake(job, generation),
                EventKind::CallTimeout { job, generation, token } => self.on_call_timeout(job, generation, token),
                EventKind::Tick => self.on_tick(),
                EventKind::Autoscale { service } => self.on_autoscale(service),
                EventKind::InstanceUp { service } => self.on_instance_up(service),
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
        let instance = self.jobs[job].instance;
        self.instances[instance as usize].stop_computing(self.now);
        if !BASIC && self.instances[instance as usize].preemptive {
            self.stop_running(job, instance);
        }
        self.run_steps(job);
    }

    fn on_ps_done(&mut self, instance: u32, generation: u32) {
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        if inst.ps.generation != generation {
            return;
        }
        inst.advance_cpu(now);
        while let Some(job) = inst.ps.pop_done() {
            inst.stop_computing(now);
            self.events_processed += 1;
            self.ready.push_back(Ready::Resume(job));
        }
        if inst.gate.is_some() {
            self.check_quota(instance);
        }
        self.reschedule_ps(instance);
    }

    fn reschedule_ps(&mut self, instance: u32) {
        let inst = &mut self.instances[instance as usize];
        if inst.gate.is_some() {
            return self.reschedule_gated(instance); // out of line: the common path stays small
        }
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
        } else if !BASIC && inst.preemptive && self.preempt(id, instance) {
        } else {
            let job = &mut self.jobs[id];
            let inst = &mut self.instances[instance as usize];
            job.instance = instance;
            job.enqueued = now;
            let level = if service.discipline.by_priority() { usize::from(job.priority) } else { 0 };
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

    /// The job holds a thread: run its demand, then its steps.
    fn start(&mut self, id: u32) {
        if !BASIC && self.hedging.is_some() && self.jobs[id].failure.is_some() {
            return self.run_steps(id); // a cancelled hedge's loser: no work
        }
        if !BASIC
            && self.preemptive
            && let Some(work) = self.take_unfinished(id)
        {
            // A preempted job resumes its CPU work where it stopped.
            return self.compute(id, work);
        }
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
        if !BASIC && self.serverless && self.net.services[op.service as usize].serverless.is_some() {
            // A cold start holds the slot before the work, as CPU-free time on its own core.
            work = work.saturating_add(self.serverless_start(op.service, id));
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
        if !BASIC && inst.preemptive {
            inst.running.push((id, now.saturating_add(work)));
        }
        if BASIC || inst.dedicated {
            let generation = self.jobs.generation(id);
            let token = self.jobs[id].token;
            self.events.schedule(now.saturating_add(work), EventKind::CpuDone { job: id, generation, token });
        } else {
            inst.advance_cpu(now);
            inst.ps.add(id, work as f64);
            inst.sync_gate(now);
            self.reschedule_ps(instance);
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
            self.services[service].completed += 1;
        }
        if !BASIC && self.serverless && self.net.services[service].serverless.is_some() {
            self.serverless_release(service, id);
        }
        let inst = &mut self.instances[instance as usize];
        match inst.dequeue(now) {
            Some(next) => {
                self.jobs[next].holds_thread = true;
                self.ready.push_back(Ready::Start(next));
                self.rekey(instance);
            }
            None => {
                // A consumer with nothing of its own to do takes the next message.
                let queue = self.net.services[service].consumes;
                if BASIC || queue == NONE || !self.take_message(queue, instance) {
                    self.instances[instance as usize].free_thread(now);
                    self.rekey(instance);
                }
            }
        }
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
        // A request that published: its reply is one part of its work.
        if !BASIC && job.parent_gen != 0 {
            self.work_done(job.parent_gen, job.failure.is_some());
        }
        if !BASIC && job.parent_token != 0 && self.net.classes[class_id as usize].polling {
            self.poll_answered(job.parent_token - 1);
        }
    }

    // ---- queues ----

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
