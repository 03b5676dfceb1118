//! The step interpreter: a job runs its operation's steps in order (CPU
//! work, calls, repeated calls, branches, forwards, cache and database
//! reads, publishes). Calls send rounds to child jobs, with timeouts,
//! retries and breakers, and a round's outcome resumes its parent.

use rand::RngExt;

use super::slab::{Job, Transit};
use super::{EventKind, Observer, Ready, Sim, Time, resilience, to_time};
use crate::model::{Action, MESSAGE, NONE, Step};
use crate::policy::WritePolicy;
use crate::stats::ErrorCause;

impl<O: Observer, const BASIC: bool> Sim<'_, O, BASIC> {
    /// Runs the job's steps from its program counter until it waits or ends.
    pub(super) fn run_steps(&mut self, id: u32) {
        loop {
            let job = &self.jobs[id];
            let op = &self.net.ops[job.op as usize];
            let index = op.steps.start + u32::from(job.pc);
            // Failed (it unwinds) or past its last step. One call site, so
            // that `finish_op` is inlined once.
            if job.failure.is_some() || index == op.main_end {
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
                    let primary = self.net.databases[db as usize].primary_read_op != NONE && self.read_on_primary(db);
                    let state = &self.db_states[db as usize];
                    let key = state.keys.sample(&mut self.streams[self.net.databases[db as usize].key_stream as usize]);
                    // A replica has not applied the key's latest write yet (the primary always has).
                    let stale = !primary && self.now < state.visible_at[key as usize];
                    if self.observing {
                        let stats = &mut self.databases[db as usize];
                        stats.reads += 1;
                        stats.primary_reads += u64::from(primary);
                        stats.stale += u64::from(stale);
                    }
                    self.obs.replica_read(self.now, id, db, key, primary, stale);
                    // The primary's copy of the call site follows the replicas'.
                    return self.begin_call(id, call + u32::from(primary));
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
                    let tracker = self.track_publish(id, poll != NONE);
                    let p = &self.jobs[id];
                    let mut message = Job::new(q.consumer, MESSAGE, p.class, p.priority, now);
                    message.parent_token = queue;
                    message.parent_gen = if tracker == NONE { 0 } else { tracker + 1 };
                    message.client = p.client;
                    let m = self.jobs.insert(message);
                    if self.observing {
                        self.queues[queue as usize].published += 1;
                    }
                    self.obs.publish(now, id, queue, m);
                    if poll != NONE {
                        self.start_poller(m, queue, poll, tracker);
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
                &Step::Jump { to } => {
                    self.jobs[id].pc = to;
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
                    self.op_ended(id);
                    self.release(id);
                    let job = &mut self.jobs[id];
                    job.op = op;
                    job.pc = 0;
                    return self.dispatch(id);
                }
                Action::Continue => self.jobs[id].pc += 1,
                Action::Goto { pc } => self.jobs[id].pc = pc,
            }
        }
    }

    /// Begins call site `call`: takes its pool connection (or queues for
    /// one), then sends the first round.
    pub(super) fn begin_call(&mut self, id: u32, call: u32) {
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

    /// Starts a call from `parent` to `op`; returns the child.
    #[inline(always)] // one hot caller (start_round); hedging's twin is the other
    pub(super) fn spawn(&mut self, parent: u32, op: u32) -> u32 {
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
        id
    }

    /// The job's operation is over (done or failed): return to the caller.
    #[inline(always)]
    pub(super) fn finish_op(&mut self, id: u32) {
        let op = &self.net.ops[self.jobs[id].op as usize];
        if !BASIC
            && op.error_rate > 0.0
            && self.jobs[id].failure.is_none()
            && self.streams[op.error_stream as usize].random::<f64>() < op.error_rate
        {
            self.jobs[id].failure = Some(ErrorCause::ServerError);
        }
        self.op_ended(id);
        self.release(id);
        if !BASIC && self.jobs[id].pool != NONE {
            self.release_pool(id);
        }
        let job = &mut self.jobs[id];
        self.obs.op_done(self.now, id, job.op, job.failure);
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

    /// Counts the wait and residence of the job's operation, ending now, if
    /// it held a thread (a job turned away at the door has none).
    #[inline(always)]
    fn op_ended(&mut self, id: u32) {
        let job = &self.jobs[id];
        if self.observing && job.holds_thread {
            let (wait, residence) = (job.started.saturating_sub(job.enqueued), self.now - job.enqueued);
            let slot = job.op as usize * self.net.classes.len() + usize::from(job.class);
            let run = &mut self.op_classes[slot];
            run.wait_ns += u128::from(wait);
            run.waits.record(wait);
            run.residence_ns += u128::from(residence);
            run.residence.record(residence);
        }
    }

    /// A call's reply reaches its caller.
    pub(super) fn deliver(&mut self, id: u32) {
        if !BASIC && self.hedging.is_some() && !self.hedge_reply(id) {
            self.jobs.remove(id);
            return; // the slower of a hedged pair
        }
        let job = self.jobs.remove(id);
        self.obs.reply(self.now, id, job.failure);
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
    pub(super) fn round_done(&mut self, parent: u32, record: bool) {
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
    pub(super) fn round_failed(&mut self, parent: u32, cause: ErrorCause) {
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

    pub(super) fn on_call_timeout(&mut self, id: u32, generation: u32, token: u32) {
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
    pub(super) fn sample_key(&mut self, cache: u32) -> u32 {
        let rng = &mut self.streams[self.net.caches[cache as usize].stream as usize];
        self.cache_states[cache as usize].keys.sample(rng)
    }

    /// Sends one round of a call: `parallel` copies, awaiting `quorum` replies.
    pub(super) fn start_round(&mut self, id: u32) {
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
            let child = self.spawn(id, c.op);
            if !BASIC && c.hedge != NONE {
                self.arm_hedge(child, c.hedge);
            }
        }
    }
}
