//! The simulation kernel: clock, event list, a slab of in-flight jobs and an
//! interpreter that moves each job through its operation's steps.
//!
//! A *request* enters at its class's target operation. Each operation
//! execution is a *job* in the slab: a call creates a child job and parks the
//! caller (still holding its thread) until the child returns; a forward moves
//! the same job to another operation and frees its thread. Jobs never
//! allocate once the slab and queues have grown to the model's working size,
//! and every component is dispatched by `match` on a closed set of kinds.

mod events;
mod instance;
mod slab;
mod trace;

use std::collections::VecDeque;

use rand::RngExt;

pub use events::{EventKind, EventQueue, NS, Time, to_time};
use instance::Instance;
use slab::{Job, Slab};
pub use trace::{Journeys, NoTrace, Observer};

use crate::config::{Balance, Discipline};
use crate::model::{Action, Arrivals, NONE, Network, Step};
use crate::rng::{self, Stream};
use crate::stats::{ClassRun, ErrorCause, RunStats, ServiceRun, latency_histogram};

/// Simulates one replication of `net`.
pub fn simulate(net: &Network, replication: u32) -> RunStats {
    let mut sim = Sim::new(net, replication, NoTrace);
    sim.run();
    sim.finish()
}

/// The journeys of the first `requests` requests of replication `replication`, as text.
pub fn trace(net: &Network, replication: u32, requests: usize) -> String {
    let mut sim = Sim::new(net, replication, Journeys::new(net, requests));
    sim.run();
    sim.obs.render()
}

/// Work queued for the current instant, processed before the clock moves.
#[derive(Debug, Clone, Copy)]
enum Ready {
    /// The job just got a thread: begin its operation.
    Start(u32),
    /// Continue the job's steps (after CPU work, a child's return or a failure).
    Resume(u32),
}

struct ClassState {
    stats: ClassRun,
    in_system: u32,
    last: Time,
    area: u128,
}

impl ClassState {
    #[inline]
    fn touch(&mut self, now: Time) {
        self.area += u128::from(now - self.last) * u128::from(self.in_system);
        self.last = now;
    }
}

struct Sim<'n, O: Observer> {
    net: &'n Network,
    obs: O,
    now: Time,
    events: EventQueue,
    jobs: Slab,
    ready: VecDeque<Ready>,
    instances: Vec<Instance>,
    first_instance: Vec<u32>,
    round_robin: Vec<u32>,
    streams: Vec<Stream>,
    classes: Vec<ClassState>,
    services: Vec<ServiceRun>,
    in_flight: u32,
    observing: bool,
    observe_from: Time,
    stop_at: Time,
    stop_after: u64,
    finished_observed: u64,
    events_processed: u64,
    cap_hit_at: Option<Time>,
}

impl<'n, O: Observer> Sim<'n, O> {
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
            for _ in 0..s.instances {
                instances.push(Instance::new(id as u32, s.threads, s.cores, levels));
            }
        }
        let warmup = to_time(net.settings.warmup);
        let stop_at = net.settings.duration.map_or(Time::MAX, |d| warmup.saturating_add(to_time(d)));
        Sim {
            net,
            obs,
            now: 0,
            events: EventQueue::with_capacity(1024),
            jobs: Slab::default(),
            ready: VecDeque::with_capacity(64),
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
                        mean_in_system: 0.0,
                    },
                    in_system: 0,
                    last: 0,
                    area: 0,
                })
                .collect(),
            services: vec![ServiceRun::default(); net.services.len()],
            in_flight: 0,
            observing: false,
            observe_from: warmup,
            stop_at,
            stop_after: net.settings.requests.unwrap_or(u64::MAX),
            finished_observed: 0,
            events_processed: 0,
            cap_hit_at: None,
        }
    }

    fn run(&mut self) {
        for (id, class) in self.net.classes.iter().enumerate() {
            match &class.arrivals {
                Arrivals::Open { interarrival: Some(d) } => {
                    let t = to_time(d.sample(&mut self.streams[class.stream as usize]));
                    self.events.schedule(t, EventKind::Arrival { class: id as u32 });
                }
                Arrivals::Open { interarrival: None } => {}
                Arrivals::Closed { users, think } => {
                    for _ in 0..*users {
                        let t = to_time(think.sample(&mut self.streams[class.stream as usize]));
                        self.events.schedule(t, EventKind::Arrival { class: id as u32 });
                    }
                }
            }
        }
        if self.observe_from == 0 {
            self.start_observing();
        }
        while let Some(ev) = self.events.pop() {
            if ev.time > self.stop_at {
                break;
            }
            if !self.observing && ev.time >= self.observe_from {
                self.now = self.observe_from;
                self.start_observing();
            }
            self.now = ev.time;
            match ev.kind {
                EventKind::Arrival { class } => self.on_arrival(class),
                EventKind::CpuDone { job, generation } => self.on_cpu_done(job, generation),
                EventKind::PsDone { instance, generation } => self.on_ps_done(instance, generation),
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
        for inst in &mut self.instances {
            inst.reset_areas(now);
        }
        for c in &mut self.classes {
            c.touch(now);
            c.area = 0;
        }
    }

    fn finish(mut self) -> RunStats {
        let now = self.now;
        let observed_ns = now.saturating_sub(self.observe_from).max(1);
        let observed = observed_ns as f64 / NS;
        let mut per_service = vec![(0u128, 0u128, 0u128); self.net.services.len()];
        for inst in &mut self.instances {
            inst.touch(now);
            let (b, c, q) = inst.areas();
            let acc = &mut per_service[inst.service as usize];
            acc.0 += b;
            acc.1 += c;
            acc.2 += q;
        }
        let window = observed_ns as f64;
        for (s, (b, c, q)) in self.services.iter_mut().zip(per_service) {
            s.mean_busy_threads = b as f64 / window;
            s.mean_busy_cores = c as f64 / window;
            s.mean_queue_len = q as f64 / window;
        }
        let classes = self
            .classes
            .into_iter()
            .map(|mut c| {
                c.touch(now);
                c.stats.mean_in_system = c.area as f64 / observed_ns as f64;
                c.stats
            })
            .collect();
        RunStats {
            observed,
            events: self.events_processed,
            classes,
            services: self.services,
            cap_hit_at: self.cap_hit_at.map(|t| t as f64 / NS),
        }
    }

    // ---- events ----

    fn on_arrival(&mut self, class_id: u32) {
        self.events_processed += 1;
        let class = &self.net.classes[class_id as usize];
        if let Arrivals::Open { interarrival: Some(d) } = &class.arrivals {
            let dt = to_time(d.sample(&mut self.streams[class.stream as usize]));
            self.events.schedule(self.now + dt, EventKind::Arrival { class: class_id });
        }
        if self.observing {
            self.classes[class_id as usize].stats.arrivals += 1;
        }
        if self.in_flight >= self.net.settings.max_in_flight {
            self.cap_hit_at.get_or_insert(self.now);
            if self.observing {
                self.classes[class_id as usize].stats.errors[ErrorCause::InFlightCap as usize] += 1;
                self.finished_observed += 1;
            }
            self.schedule_next_user(class_id);
            return;
        }
        self.in_flight += 1;
        let state = &mut self.classes[class_id as usize];
        state.touch(self.now);
        state.in_system += 1;
        let id = self.jobs.insert(Job::new(class.target, NONE, class_id as u16, class.priority, self.now));
        self.obs.arrival(self.now, id, class_id);
        self.dispatch(id);
    }

    fn on_cpu_done(&mut self, job: u32, generation: u32) {
        if self.jobs.generation(job) != generation {
            return;
        }
        self.events_processed += 1;
        let inst = &mut self.instances[self.jobs[job].instance as usize];
        inst.touch(self.now);
        inst.computing -= 1;
        self.run_steps(job);
    }

    fn on_ps_done(&mut self, instance: u32, generation: u32) {
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        if inst.ps.generation != generation {
            return;
        }
        inst.touch(now);
        inst.ps.advance(now, inst.cores);
        while let Some(job) = inst.ps.pop_done() {
            inst.computing -= 1;
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
            }
        }
    }

    // ---- the interpreter ----

    /// Sends a job to an instance of its op's service: a free thread, the
    /// queue, or a rejection when the queue is full.
    fn dispatch(&mut self, id: u32) {
        let service_id = self.net.ops[self.jobs[id].op as usize].service;
        let service = &self.net.services[service_id as usize];
        let instance = self.balance(service_id);
        let now = self.now;
        let stats = &mut self.services[service_id as usize];
        if self.observing {
            stats.arrivals += 1;
        }
        let job = &mut self.jobs[id];
        let inst = &mut self.instances[instance as usize];
        inst.touch(now);
        if inst.busy < inst.threads {
            inst.busy += 1;
            job.instance = instance;
            job.holds_thread = true;
            job.enqueued = now;
            self.ready.push_back(Ready::Start(id));
        } else if inst.queued >= service.queue_limit {
            if self.observing {
                stats.rejected += 1;
            }
            job.failure = Some(ErrorCause::Rejected);
            self.obs.rejected(now, id, job.op);
            self.ready.push_back(Ready::Resume(id));
        } else {
            job.instance = instance;
            job.enqueued = now;
            let level = match service.discipline {
                Discipline::Fifo => 0,
                Discipline::Priority => usize::from(job.priority),
            };
            self.obs.queued(now, id, job.op, instance, inst.queued);
            inst.enqueue(id, level);
        }
    }

    /// Picks the instance of `service_id` for a new job.
    fn balance(&mut self, service_id: u32) -> u32 {
        let service = &self.net.services[service_id as usize];
        let first = self.first_instance[service_id as usize];
        let n = service.instances;
        if n == 1 {
            return first;
        }
        let rr = &mut self.round_robin[service_id as usize];
        let offset = *rr;
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
                min_from(offset, n, |i| (u64::from(instances[i].queued) << 32) | u64::from(instances[i].busy))
            }
        };
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
            s.wait_sum += (now - job.enqueued) as f64 / NS;
        }
        job.pc = 0;
        self.obs.started(now, id, job.op, job.instance, now - job.enqueued);
        if let Some(demand) = &op.demand {
            let work = to_time(demand.sample(&mut self.streams[op.demand_stream as usize]));
            if work > 0 {
                self.compute(id, work);
                return;
            }
        }
        self.run_steps(id);
    }

    /// Puts CPU work on the job's instance.
    fn compute(&mut self, id: u32, work: Time) {
        let instance = self.jobs[id].instance;
        let now = self.now;
        self.obs.compute(now, id, work);
        let inst = &mut self.instances[instance as usize];
        inst.touch(now);
        inst.computing += 1;
        if inst.threads <= inst.cores {
            let generation = self.jobs.generation(id);
            self.events.schedule(now + work, EventKind::CpuDone { job: id, generation });
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
            if job.failure.is_some() {
                return self.finish_op(id);
            }
            let op = &self.net.ops[job.op as usize];
            let index = op.steps.start + u32::from(job.pc);
            if index == op.steps.end {
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
                Step::Branch { arms, stream } => {
                    let u: f64 = self.streams[*stream as usize].random();
                    let arms = &self.net.arms[arms.start as usize..arms.end as usize];
                    let arm = arms.iter().position(|a| u < a.cumulative).expect("last arm is unbounded");
                    self.obs.branch(self.now, id, arm, arms);
                    arms[arm].action
                }
            };
            match action {
                Action::Call { op, count } => {
                    let job = &mut self.jobs[id];
                    job.calling = op;
                    job.remaining = count;
                    return self.spawn(id, op);
                }
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

    /// Starts a call from `parent` to `op`.
    fn spawn(&mut self, parent: u32, op: u32) {
        let p = &self.jobs[parent];
        let child = Job::new(op, parent, p.class, p.priority, self.now);
        let id = self.jobs.insert(child);
        self.obs.call(self.now, parent, id, op);
        self.dispatch(id);
    }

    /// Frees the job's thread, handing it to the next waiting job.
    fn release(&mut self, id: u32) {
        let job = &mut self.jobs[id];
        if !job.holds_thread {
            return;
        }
        job.holds_thread = false;
        let instance = job.instance;
        let now = self.now;
        let inst = &mut self.instances[instance as usize];
        if self.observing {
            self.services[inst.service as usize].completed += 1;
        }
        inst.touch(now);
        match inst.dequeue() {
            Some(next) => {
                self.jobs[next].holds_thread = true;
                self.ready.push_back(Ready::Start(next));
            }
            None => inst.busy -= 1,
        }
    }

    /// The job's operation is over (done or failed): return to the caller.
    fn finish_op(&mut self, id: u32) {
        self.release(id);
        let job = self.jobs[id];
        self.obs.op_done(self.now, id, job.op, job.failure.is_some());
        if job.parent == NONE {
            return self.finish_request(id);
        }
        self.jobs.remove(id);
        let parent = &mut self.jobs[job.parent];
        if job.failure.is_some() {
            parent.failure = job.failure;
        } else {
            parent.remaining -= 1;
            if parent.remaining > 0 {
                let op = parent.calling;
                return self.spawn(job.parent, op);
            }
            parent.pc += 1;
        }
        self.ready.push_back(Ready::Resume(job.parent));
    }

    fn finish_request(&mut self, id: u32) {
        let job = self.jobs.remove(id);
        let class_id = u32::from(job.class);
        let now = self.now;
        self.obs.done(now, id, now - job.arrived, job.failure);
        self.in_flight -= 1;
        let state = &mut self.classes[class_id as usize];
        state.touch(now);
        state.in_system -= 1;
        if self.observing {
            let latency = now - job.arrived;
            let stats = &mut state.stats;
            stats.sojourn_sum += latency as f64 / NS;
            match job.failure {
                Some(cause) => stats.errors[cause as usize] += 1,
                None => {
                    stats.completed += 1;
                    stats.latency_sum += latency as f64 / NS;
                    stats.latency.saturating_record(latency.max(1));
                }
            }
            self.finished_observed += 1;
        }
        self.schedule_next_user(class_id);
    }

    /// A closed-loop user thinks, then sends its next request.
    fn schedule_next_user(&mut self, class_id: u32) {
        let class = &self.net.classes[class_id as usize];
        if let Arrivals::Closed { think, .. } = &class.arrivals {
            let dt = to_time(think.sample(&mut self.streams[class.stream as usize]));
            self.events.schedule(self.now + dt, EventKind::Arrival { class: class_id });
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
