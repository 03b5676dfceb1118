//! Request journeys: the life of a few requests, hop by hop (the first ones,
//! or the first to arrive after a given time, in steady state).
//!
//! The kernel is generic over [`Observer`]; the simulation path uses
//! [`NoTrace`], whose empty methods compile away, so tracing costs nothing
//! unless asked for. [`Journeys`] records what `capsim trace` prints.

use super::events::{NS, Time};
use crate::format::format_duration;
use crate::model::{Action, Arm, Network};
use crate::stats::ErrorCause;

/// What the kernel reports about jobs as they move.
pub trait Observer {
    /// A request arrived as job `job`.
    fn arrival(&mut self, _now: Time, _job: u32, _class: u32) {}
    /// `parent` called `op`, as job `child`.
    fn call(&mut self, _now: Time, _parent: u32, _child: u32, _op: u32) {}
    /// The job joined a queue behind `ahead` others.
    fn queued(&mut self, _now: Time, _job: u32, _op: u32, _instance: u32, _ahead: u32) {}
    /// The job got a thread after waiting `waited`.
    fn started(&mut self, _now: Time, _job: u32, _op: u32, _instance: u32, _waited: Time) {}
    /// The job computes `work` on the CPU.
    fn compute(&mut self, _now: Time, _job: u32, _work: Time) {}
    /// A higher-priority job took the job's thread and core; `left` of its CPU work remains.
    fn preempted(&mut self, _now: Time, _job: u32, _left: Time) {}
    /// A branch picked arm `arm` (0-based) of `arms`.
    fn branch(&mut self, _now: Time, _job: u32, _arm: usize, _arms: &[Arm]) {}
    /// A cache read of `key` hit or missed.
    fn cache(&mut self, _now: Time, _job: u32, _cache: u32, _key: u32, _hit: bool) {}
    /// A database read goes to a replica (or to the primary, `primary`);
    /// `stale` when the key's last write has not reached the replica.
    fn replica_read(&mut self, _now: Time, _job: u32, _db: u32, _key: u32, _primary: bool, _stale: bool) {}
    /// A failed round of the job's call will be sent again (attempt `attempt`) after `wait`.
    fn retry(&mut self, _now: Time, _job: u32, _attempt: u32, _wait: Time) {}
    /// The job put a message on `queue` (as job `message`, which a consumer will take) and goes on.
    fn publish(&mut self, _now: Time, _job: u32, _queue: u32, _message: u32) {}
    /// The job took a connection of `pool` after waiting `waited` (0: one was free).
    fn pool_acquired(&mut self, _now: Time, _job: u32, _pool: u32, _waited: Time) {}
    /// No connection of `pool` was free: the job waits behind `ahead` others.
    fn pool_wait(&mut self, _now: Time, _job: u32, _pool: u32, _ahead: u32) {}
    /// The job gave up waiting for a connection of `pool`.
    fn pool_timeout(&mut self, _now: Time, _job: u32, _pool: u32) {}
    /// The job gave up waiting for its call.
    fn timeout(&mut self, _now: Time, _job: u32) {}
    /// The job moves on to `op`, freeing its thread.
    fn forward(&mut self, _now: Time, _job: u32, _op: u32) {}
    /// The job was turned away by a full queue.
    fn rejected(&mut self, _now: Time, _job: u32, _op: u32) {}
    /// The job's operation ended (returning to its caller, if any).
    fn op_done(&mut self, _now: Time, _job: u32, _op: u32, _failure: Option<ErrorCause>) {}
    /// The reply of call job `job` reached its caller (after the network's return trip).
    fn reply(&mut self, _now: Time, _job: u32, _failure: Option<ErrorCause>) {}
    /// The request finished.
    fn done(&mut self, _now: Time, _job: u32, _latency: Time, _failure: Option<ErrorCause>) {}
    /// True when the observer has seen all it wants: the run may stop.
    fn satisfied(&self) -> bool {
        false
    }
}

/// No tracing: every hook is empty.
pub struct NoTrace;

impl Observer for NoTrace {}

/// Records the journeys of the first `limit` requests (arriving from `from` on) as text lines.
pub struct Journeys<'n> {
    net: &'n Network,
    limit: usize,
    from: Time,
    /// Request number of each live job slot (for traced requests).
    owner: Vec<Option<usize>>,
    /// Depth of each live traced job in its request's call tree.
    depth: Vec<usize>,
    /// Per traced request: arrival time and lines.
    requests: Vec<(Time, Vec<String>)>,
}

impl<'n> Journeys<'n> {
    /// Traces the first `limit` requests that arrive at or after `from`.
    pub fn new(net: &'n Network, limit: usize, from: Time) -> Self {
        Journeys { net, limit, from, owner: Vec::new(), depth: Vec::new(), requests: Vec::new() }
    }

    /// The journeys as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, (_, lines)) in self.requests.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for l in lines {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    fn slot(&mut self, job: u32) -> usize {
        let j = job as usize;
        if self.owner.len() <= j {
            self.owner.resize(j + 1, None);
            self.depth.resize(j + 1, 0);
        }
        j
    }

    fn line(&mut self, now: Time, job: u32, text: String) {
        let j = self.slot(job);
        if let Some(r) = self.owner[j] {
            let start = self.requests[r].0;
            let indent = "  ".repeat(self.depth[j] + 1);
            let at = format!("{:>10}", format!("+{}", format_duration((now - start) as f64 / NS)));
            self.requests[r].1.push(format!("{at} {indent}{text}"));
        }
    }

    fn op(&self, op: u32) -> &str {
        &self.net.ops[op as usize].name
    }

    fn instance(&self, op: u32, instance: u32) -> String {
        let service = self.net.ops[op as usize].service as usize;
        let first: u32 = self.net.services[..service].iter().map(|s| s.instances).sum();
        format!("{}#{}", self.net.services[service].name, instance - first)
    }
}

impl Observer for Journeys<'_> {
    fn arrival(&mut self, now: Time, job: u32, class: u32) {
        let j = self.slot(job);
        if self.requests.len() < self.limit && now >= self.from {
            let r = self.requests.len();
            let name = &self.net.classes[class as usize].name;
            self.requests.push((
                now,
                vec![format!("request {} of `{name}` arrives at t = {}", r + 1, format_duration(now as f64 / NS))],
            ));
            self.owner[j] = Some(r);
            self.depth[j] = 0;
        }
    }

    fn call(&mut self, now: Time, parent: u32, child: u32, op: u32) {
        let text = format!("calls {}", self.op(op));
        self.line(now, parent, text);
        let (p, c) = (self.slot(parent), self.slot(child));
        self.owner[c] = self.owner[p];
        self.depth[c] = self.depth[p] + 1;
    }

    fn queued(&mut self, now: Time, job: u32, op: u32, instance: u32, ahead: u32) {
        let text = format!("{}: waits for a thread at {} ({ahead} ahead)", self.op(op), self.instance(op, instance));
        self.line(now, job, text);
    }

    fn started(&mut self, now: Time, job: u32, op: u32, instance: u32, waited: Time) {
        let wait =
            if waited > 0 { format!(" after waiting {}", format_duration(waited as f64 / NS)) } else { String::new() };
        let text = format!("{}: thread at {}{wait}", self.op(op), self.instance(op, instance));
        self.line(now, job, text);
    }

    fn compute(&mut self, now: Time, job: u32, work: Time) {
        self.line(now, job, format!("computes {}", format_duration(work as f64 / NS)));
    }

    fn preempted(&mut self, now: Time, job: u32, left: Time) {
        let text = format!(
            "preempted by a higher-priority request: waits to resume, {} of CPU work left",
            format_duration(left as f64 / NS)
        );
        self.line(now, job, text);
    }

    fn branch(&mut self, now: Time, job: u32, arm: usize, arms: &[Arm]) {
        let below = if arm == 0 { 0.0 } else { arms[arm - 1].cumulative };
        let p = if arm + 1 == arms.len() { 1.0 - below } else { arms[arm].cumulative - below };
        let what = match arms[arm].action {
            Action::Call { call } => {
                let c = self.net.calls[call as usize];
                let times = if c.count > 1 { format!(" x{}", c.count) } else { String::new() };
                let copies = if c.parallel > 1 { format!(" ({} in parallel)", c.parallel) } else { String::new() };
                format!("call {}{times}{copies}", self.op(c.op))
            }
            Action::Forward { op } => format!("forward to {}", self.op(op)),
            Action::Continue => "continue".to_string(),
            Action::Goto { .. } => "its steps".to_string(),
        };
        self.line(
            now,
            job,
            format!("branch: arm {} of {} (p = {}): {what}", arm + 1, arms.len(), crate::format::sig3(p)),
        );
    }

    fn cache(&mut self, now: Time, job: u32, cache: u32, key: u32, hit: bool) {
        let name = &self.net.caches[cache as usize].name;
        let text = format!("cache `{name}` key {key}: {}", if hit { "hit" } else { "miss" });
        self.line(now, job, text);
    }

    fn replica_read(&mut self, now: Time, job: u32, db: u32, key: u32, primary: bool, stale: bool) {
        let name = &self.net.databases[db as usize].name;
        let text = format!(
            "database `{name}` key {key}: read from {}{}",
            if primary { "the primary" } else { "a replica" },
            if stale { " (stale: the latest write has not replicated yet)" } else { "" }
        );
        self.line(now, job, text);
    }

    fn retry(&mut self, now: Time, job: u32, attempt: u32, wait: Time) {
        let text =
            format!("retries its call (attempt {attempt}) after {}", crate::format::format_duration(wait as f64 / 1e9));
        self.line(now, job, text);
    }

    fn publish(&mut self, now: Time, job: u32, queue: u32, _message: u32) {
        let name = &self.net.queues[queue as usize].name;
        self.line(now, job, format!("publishes a message to queue `{name}` and goes on (the client gets 202)"));
    }

    fn pool_acquired(&mut self, now: Time, job: u32, pool: u32, waited: Time) {
        let name = &self.net.pools[pool as usize].name;
        let text = if waited > 0 {
            format!("gets a connection of pool `{name}` after waiting {}", format_duration(waited as f64 / NS))
        } else {
            format!("takes a connection of pool `{name}`")
        };
        self.line(now, job, text);
    }

    fn pool_wait(&mut self, now: Time, job: u32, pool: u32, ahead: u32) {
        let name = &self.net.pools[pool as usize].name;
        self.line(now, job, format!("waits for a connection of pool `{name}` ({ahead} ahead): all are in use"));
    }

    fn pool_timeout(&mut self, now: Time, job: u32, pool: u32) {
        let name = &self.net.pools[pool as usize].name;
        self.line(now, job, format!("gives up waiting for a connection of pool `{name}` (pool timeout)"));
    }

    fn timeout(&mut self, now: Time, job: u32) {
        self.line(now, job, "gives up on its call: timed out (the callee's work goes on, orphaned)".to_string());
    }

    fn forward(&mut self, now: Time, job: u32, op: u32) {
        let text = format!("forwards to {} (thread freed)", self.op(op));
        self.line(now, job, text);
    }

    fn rejected(&mut self, now: Time, job: u32, op: u32) {
        let text = format!("{}: rejected, the queue is full (503)", self.op(op));
        self.line(now, job, text);
    }

    fn op_done(&mut self, now: Time, job: u32, op: u32, failure: Option<ErrorCause>) {
        let j = self.slot(job);
        let text = format!("{}: {}", self.op(op), if failure.is_some() { "fails" } else { "returns" });
        if self.depth[j] > 0 {
            self.line(now, job, text);
            self.owner[j] = None;
        }
    }

    fn done(&mut self, now: Time, job: u32, latency: Time, failure: Option<ErrorCause>) {
        let outcome = match failure {
            None => format!("response sent: latency {}", format_duration(latency as f64 / NS)),
            Some(c) => format!("request failed ({}) after {}", c.name(), format_duration(latency as f64 / NS)),
        };
        self.line(now, job, outcome);
        let j = self.slot(job);
        self.owner[j] = None;
    }

    fn satisfied(&self) -> bool {
        self.requests.len() >= self.limit && self.owner.iter().all(Option::is_none)
    }
}
