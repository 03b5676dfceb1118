//! Simulated request journeys as spans: a [`kernel::Observer`](crate::kernel::Observer)
//! that records, for a few requests, the spans a distributed tracer would
//! have seen, ready for the OTLP and Jaeger writers.
//!
//! The shape follows what instrumented services emit:
//! - each request opens a CLIENT span on the `workload` resource, named after its class;
//! - each call is a CLIENT span in the caller (from the call to the reply, so it
//!   covers the network, the callee's queue and its work) and a SERVER span in
//!   the callee, from the moment a thread takes the job to the operation's end
//!   (a real handler's span starts when a thread runs it);
//! - a publish is a PRODUCER span in the publisher and the consumer's work a
//!   CONSUMER span, the producer's child, from when a consumer thread takes
//!   the message;
//! - waits are span events: for a thread on the CLIENT span (the caller
//!   sees them), for a pool connection, retries, timeouts and cache lookups
//!   on the SERVER span doing them;
//! - failures set an error status with the cause (`timeout`, `rate_limited`
//!   for a 429, `pool_timeout`, `circuit_open`, ...).

use crate::kernel::{Observer, Time};
use crate::model::Network;
use crate::stats::ErrorCause;

/// The role of a span, as OpenTelemetry's `SpanKind` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Work that serves a call.
    Server,
    /// A call as its caller sees it.
    Client,
    /// A message put on a queue.
    Producer,
    /// A message's processing by a consumer.
    Consumer,
}

/// Where a span ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// The load generator: requests' root spans.
    Workload,
    /// Instance `i` (global index) of a service.
    Instance(u32),
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(String),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A flag.
    Bool(bool),
}

/// Something that happened at an instant of a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Simulated time \[ns\].
    pub at: Time,
    /// What happened.
    pub name: &'static str,
    /// Details.
    pub attributes: Vec<(&'static str, Value)>,
}

/// One span of a simulated request.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The request (trace) number, 0-based.
    pub trace: u32,
    /// Parent span's index in [`Spans::spans`].
    pub parent: Option<u32>,
    /// Its role.
    pub kind: Kind,
    /// Where it ran.
    pub resource: Resource,
    /// The operation (short name), the class for a root, `publish QUEUE` for a producer.
    pub name: String,
    /// Start \[ns of simulated time\].
    pub start: Time,
    /// End \[ns\]; spans still open when the run stopped end there.
    pub end: Time,
    /// Whether it has ended.
    pub ended: bool,
    /// Why it failed.
    pub failure: Option<ErrorCause>,
    /// Instant events.
    pub events: Vec<Event>,
    /// Attributes.
    pub attributes: Vec<(&'static str, Value)>,
}

/// A live job's spans.
#[derive(Debug, Clone, Copy)]
struct Live {
    trace: u32,
    /// The span of the call (or request, or message) that made the job.
    outer: u32,
    /// The span of its work on a thread, once it has one.
    inner: Option<u32>,
}

/// Records the spans of the first `limit` requests arriving at or after `from`.
pub struct Spans<'n> {
    net: &'n Network,
    limit: usize,
    from: Time,
    /// Requests traced so far.
    traces: u32,
    live: Vec<Option<Live>>,
    /// How many of `live` are `Some`.
    open_jobs: usize,
    /// Every span, parents before children.
    pub spans: Vec<Span>,
}

impl<'n> Spans<'n> {
    /// Follows the first `limit` requests that arrive at or after `from`.
    pub fn new(net: &'n Network, limit: usize, from: Time) -> Self {
        Spans { net, limit, from, traces: 0, live: Vec::new(), open_jobs: 0, spans: Vec::new() }
    }

    /// The network the spans describe.
    pub fn network(&self) -> &'n Network {
        self.net
    }

    /// Requests traced.
    pub fn traces(&self) -> u32 {
        self.traces
    }

    /// Ends every span still open at the last time seen (the run stopped first).
    pub fn close(&mut self) {
        let last = self.spans.iter().map(|s| s.end.max(s.start)).max().unwrap_or(0);
        for s in self.spans.iter_mut().filter(|s| !s.ended) {
            s.end = last;
            s.attributes.push(("capsim.unfinished", Value::Bool(true)));
        }
    }

    fn get(&mut self, job: u32) -> Option<Live> {
        self.live.get(job as usize).copied().flatten()
    }

    fn set(&mut self, job: u32, v: Option<Live>) {
        let j = job as usize;
        if self.live.len() <= j {
            self.live.resize(j + 1, None);
        }
        self.open_jobs = self.open_jobs + usize::from(v.is_some()) - usize::from(self.live[j].is_some());
        self.live[j] = v;
    }

    fn open(&mut self, trace: u32, parent: Option<u32>, kind: Kind, resource: Resource, name: String, at: Time) -> u32 {
        self.spans.push(Span {
            trace,
            parent,
            kind,
            resource,
            name,
            start: at,
            end: at,
            ended: false,
            failure: None,
            events: Vec::new(),
            attributes: Vec::new(),
        });
        (self.spans.len() - 1) as u32
    }

    fn end(&mut self, span: u32, at: Time, failure: Option<ErrorCause>) {
        let s = &mut self.spans[span as usize];
        if !s.ended {
            s.end = at;
            s.ended = true;
            s.failure = failure;
        }
    }

    fn event(&mut self, span: u32, at: Time, name: &'static str, attributes: Vec<(&'static str, Value)>) {
        self.spans[span as usize].events.push(Event { at, name, attributes });
    }

    /// The span a job's own events go on: its work if it has a thread, else its call.
    fn current(&mut self, job: u32) -> Option<u32> {
        self.get(job).map(|l| l.inner.unwrap_or(l.outer))
    }

    fn short(&self, op: u32) -> String {
        let op = &self.net.ops[op as usize];
        let service = &self.net.services[op.service as usize].name;
        op.name.strip_prefix(service.as_str()).and_then(|s| s.strip_prefix('.')).unwrap_or(&op.name).to_string()
    }

    fn instance_of(&self, job: u32) -> Option<u32> {
        let l = self.live.get(job as usize).copied().flatten()?;
        match self.spans[l.inner? as usize].resource {
            Resource::Instance(i) => Some(i),
            Resource::Workload => None,
        }
    }

    fn pool_name(&self, pool: u32) -> Value {
        Value::Str(self.net.pools[pool as usize].name.clone())
    }
}

fn ns(t: Time) -> Value {
    Value::Int(t as i64)
}

impl Observer for Spans<'_> {
    fn arrival(&mut self, now: Time, job: u32, class: u32) {
        if (self.traces as usize) >= self.limit || now < self.from {
            return self.set(job, None);
        }
        let trace = self.traces;
        self.traces += 1;
        let name = self.net.classes[class as usize].name.clone();
        let root = self.open(trace, None, Kind::Client, Resource::Workload, name, now);
        self.spans[root as usize]
            .attributes
            .push(("capsim.class", Value::Str(self.net.classes[class as usize].name.clone())));
        self.set(job, Some(Live { trace, outer: root, inner: None }));
    }

    fn call(&mut self, now: Time, parent: u32, child: u32, op: u32) {
        let Some(p) = self.get(parent) else { return self.set(child, None) };
        let Some(resource) = self.instance_of(parent).map(Resource::Instance) else { return self.set(child, None) };
        let name = self.net.ops[op as usize].name.clone();
        let span = self.open(p.trace, Some(p.inner.unwrap_or(p.outer)), Kind::Client, resource, name.clone(), now);
        let callee = &self.net.services[self.net.ops[op as usize].service as usize].name;
        self.spans[span as usize].attributes.push(("peer.service", Value::Str(callee.clone())));
        self.set(child, Some(Live { trace: p.trace, outer: span, inner: None }));
    }

    fn queued(&mut self, now: Time, job: u32, _op: u32, instance: u32, ahead: u32) {
        if let Some(l) = self.get(job) {
            self.event(
                l.outer,
                now,
                "queued for a thread",
                vec![
                    ("capsim.instance", Value::Int(i64::from(instance))),
                    ("capsim.ahead", Value::Int(i64::from(ahead))),
                ],
            );
        }
    }

    fn started(&mut self, now: Time, job: u32, op: u32, instance: u32, waited: Time) {
        let Some(mut l) = self.get(job) else { return };
        let message = self.spans[l.outer as usize].kind == Kind::Producer;
        let kind = if message { Kind::Consumer } else { Kind::Server };
        if !message {
            self.event(l.outer, now, "thread acquired", vec![("capsim.wait_ns", ns(waited))]);
        }
        let name = self.short(op);
        let span = self.open(l.trace, Some(l.outer), kind, Resource::Instance(instance), name, now);
        if message {
            let queue =
                self.spans[l.outer as usize].attributes.iter().find(|(k, _)| *k == "messaging.destination.name");
            let queue = queue.map(|(_, v)| v.clone());
            let s = &mut self.spans[span as usize];
            s.attributes.push(("capsim.queue_wait_ns", ns(waited)));
            if let Some(q) = queue {
                s.attributes.push(("messaging.destination.name", q));
            }
            s.attributes.push(("messaging.operation.type", Value::Str("process".into())));
        }
        l.inner = Some(span);
        self.set(job, Some(l));
    }

    fn compute(&mut self, now: Time, job: u32, work: Time) {
        if let Some(span) = self.current(job) {
            self.event(span, now, "compute", vec![("capsim.work_ns", ns(work))]);
        }
    }

    fn cache(&mut self, now: Time, job: u32, cache: u32, key: u32, hit: bool) {
        if let Some(span) = self.current(job) {
            let name = Value::Str(self.net.caches[cache as usize].name.clone());
            let what = if hit { "cache hit" } else { "cache miss" };
            self.event(span, now, what, vec![("capsim.cache", name), ("capsim.key", Value::Int(i64::from(key)))]);
        }
    }

    fn retry(&mut self, now: Time, job: u32, attempt: u32, wait: Time) {
        if let Some(span) = self.current(job) {
            self.event(
                span,
                now,
                "retry",
                vec![("capsim.attempt", Value::Int(i64::from(attempt))), ("capsim.backoff_ns", ns(wait))],
            );
        }
    }

    fn publish(&mut self, now: Time, job: u32, queue: u32, message: u32) {
        let Some(l) = self.get(job) else { return self.set(message, None) };
        let Some(resource) = self.instance_of(job).map(Resource::Instance) else { return self.set(message, None) };
        let name = self.net.queues[queue as usize].name.clone();
        let span =
            self.open(l.trace, l.inner.or(Some(l.outer)), Kind::Producer, resource, format!("publish {name}"), now);
        self.end(span, now, None);
        let s = &mut self.spans[span as usize];
        s.attributes.push(("messaging.destination.name", Value::Str(name)));
        s.attributes.push(("messaging.operation.type", Value::Str("publish".into())));
        self.set(message, Some(Live { trace: l.trace, outer: span, inner: None }));
    }

    fn pool_acquired(&mut self, now: Time, job: u32, pool: u32, waited: Time) {
        if let Some(span) = self.current(job) {
            let name = self.pool_name(pool);
            self.event(span, now, "connection acquired", vec![("capsim.pool", name), ("capsim.wait_ns", ns(waited))]);
        }
    }

    fn pool_wait(&mut self, now: Time, job: u32, pool: u32, ahead: u32) {
        if let Some(span) = self.current(job) {
            let name = self.pool_name(pool);
            let ahead = Value::Int(i64::from(ahead));
            self.event(span, now, "waiting for a connection", vec![("capsim.pool", name), ("capsim.ahead", ahead)]);
        }
    }

    fn pool_timeout(&mut self, now: Time, job: u32, pool: u32) {
        if let Some(span) = self.current(job) {
            let name = self.pool_name(pool);
            self.event(span, now, "pool timeout", vec![("capsim.pool", name)]);
        }
    }

    fn timeout(&mut self, now: Time, job: u32) {
        let Some(l) = self.get(job) else { return };
        let Some(me) = l.inner else { return };
        self.event(me, now, "call timed out", Vec::new());
        // The calls still out end here as far as the caller is concerned.
        let open: Vec<u32> = self
            .live
            .iter()
            .flatten()
            .filter(|c| self.spans[c.outer as usize].parent == Some(me) && !self.spans[c.outer as usize].ended)
            .map(|c| c.outer)
            .collect();
        for span in open {
            self.end(span, now, Some(ErrorCause::Timeout));
        }
    }

    fn forward(&mut self, now: Time, job: u32, _op: u32) {
        // The thread's span ends; the next operation opens its own under the same call.
        let Some(mut l) = self.get(job) else { return };
        if let Some(span) = l.inner.take() {
            self.event(span, now, "forwarded", Vec::new());
            self.end(span, now, None);
        }
        self.set(job, Some(l));
    }

    fn rejected(&mut self, now: Time, job: u32, _op: u32) {
        if let Some(l) = self.get(job) {
            self.event(l.outer, now, "rejected", Vec::new());
        }
    }

    fn op_done(&mut self, now: Time, job: u32, _op: u32, failure: Option<ErrorCause>) {
        let Some(l) = self.get(job) else { return };
        if let Some(span) = l.inner {
            self.end(span, now, failure);
        }
        if self.spans[l.outer as usize].kind == Kind::Producer {
            self.set(job, None);
        }
    }

    fn reply(&mut self, now: Time, job: u32, failure: Option<ErrorCause>) {
        if let Some(l) = self.get(job) {
            self.end(l.outer, now, failure);
            self.set(job, None);
        }
    }

    fn done(&mut self, now: Time, job: u32, _latency: Time, failure: Option<ErrorCause>) {
        if let Some(l) = self.get(job) {
            self.end(l.outer, now, failure);
            self.set(job, None);
        }
    }

    fn satisfied(&self) -> bool {
        self.traces as usize >= self.limit && self.open_jobs == 0
    }
}
