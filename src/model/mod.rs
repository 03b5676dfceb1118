//! Validation and compilation of a parsed model into a flat, index-based
//! [`Network`]: services, operations, steps and request classes as `u32` ids
//! in `Vec`s. Nothing after this point sees a name on the hot path.
//!
//! This is also where cross-key mistakes are caught (a call to an operation
//! that does not exist, branch probabilities that do not sum to one, a call
//! cycle that never ends), each reported at the line of the offending key.

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use crate::catalog::Catalog;
use crate::config::{self, ModelFile, Source};
use crate::dist::Dist;
use crate::error::{ModelError, closest};
use crate::policy::{self, ArrivalProcess, Balance, Concurrency, Discipline, Jitter, LimitScope};

mod graph;

pub use graph::offered_cpu_load;
use graph::{Edge, expected_items, expected_visits, saturation_warnings};

/// No parent: the job is the request itself.
pub const NONE: u32 = u32::MAX;

/// The parent of a message taken from a queue: it answers to no one.
pub const MESSAGE: u32 = u32::MAX - 1;

/// A validated model, ready to simulate.
#[derive(Debug, Clone)]
pub struct Network {
    /// Where the model came from (for reports).
    pub file: String,
    /// The model text simulated (overrides applied) and the custom catalogue
    /// text, if any: the inputs that experiment provenance hashes.
    pub inputs: Vec<String>,
    /// Run length, seed and replications.
    pub settings: Settings,
    /// Services, in file order.
    pub services: Vec<Service>,
    /// Operations of all services; `Op::service` points back.
    pub ops: Vec<Op>,
    /// Steps of all operations; each op owns a contiguous range.
    pub steps: Vec<Step>,
    /// Arms of all branch steps.
    pub arms: Vec<Arm>,
    /// Every call site (a step's or an arm's call), referenced by `Action::Call`.
    pub calls: Vec<Call>,
    /// Connection pools.
    pub pools: Vec<Pool>,
    /// Network latency distributions of call sites, referenced by `Call::latency`.
    pub latencies: Vec<Dist>,
    /// Keyed caches.
    pub caches: Vec<Cache>,
    /// Replicated databases.
    pub databases: Vec<Database>,
    /// Retry policies, referenced by `Call::retry`.
    pub retries: Vec<Retry>,
    /// Circuit breakers, referenced by `Call::breaker`.
    pub breakers: Vec<Breaker>,
    /// Call sites with a timeout, retries or a breaker (reported one by one),
    /// referenced by `Call::guard`.
    pub guarded: Vec<Guarded>,
    /// Message queues.
    pub queues: Vec<Queue>,
    /// Polling clients of publish steps, referenced by `Step::Publish::poll`.
    pub polls: Vec<Poll>,
    /// Request classes, in file order.
    pub classes: Vec<Class>,
    /// Names of the random streams, indexed by stream id; seeds derive from the name.
    pub streams: Vec<String>,
    /// Expected visits to each op per request, `visits[class][op]`.
    pub visits: Vec<Vec<f64>>,
    /// Expected visits within the response (publishes not followed),
    /// `sync_visits[class][op]`: what response-time theory sums over.
    pub sync_visits: Vec<Vec<f64>>,
    /// Expected batch items through each op per request, `item_visits[class][op]`
    /// (each visit brings its call's `batch` items).
    pub item_visits: Vec<Vec<f64>>,
    /// Number of queue priority levels (1 when every class has priority 0).
    pub priority_levels: u16,
    /// Problems that do not stop the run (e.g. a saturated service).
    pub warnings: Vec<String>,
}

/// Run settings from `[simulation]`, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Observed simulated time after warm-up, if the run is time-bounded.
    pub duration: Option<f64>,
    /// Completed requests after warm-up, if the run is count-bounded.
    pub requests: Option<u64>,
    /// Discarded simulated time at the start.
    pub warmup: f64,
    /// Master seed.
    pub seed: u64,
    /// Independent replications.
    pub replications: u32,
    /// Most requests in flight at once.
    pub max_in_flight: u32,
    /// Time-series interval \[s\], if one is recorded.
    pub series: Option<f64>,
    /// Choose the warm-up by MSER-5 from a pilot run (`warmup` is then 0 until chosen).
    pub warmup_auto: bool,
    /// Events after which a replication stops and fails.
    pub max_events: Option<u64>,
    /// Wall-clock seconds after which a replication stops and fails.
    pub max_wall: Option<f64>,
}

/// A service: identical instances with threads, cores and a queue each.
#[derive(Debug, Clone)]
pub struct Service {
    /// Name as in the file.
    pub name: String,
    /// Number of instances.
    pub instances: u32,
    /// Threads per instance.
    pub threads: u32,
    /// Cores per instance.
    pub cores: u32,
    /// CPU speed factor (demand is already divided by it in `Op`).
    pub speed: f64,
    /// Waiting room per instance (`u32::MAX`: unlimited).
    pub queue_limit: u32,
    /// Queue order.
    pub discipline: Discipline,
    /// Balancing policy.
    pub balance: Balance,
    /// Price per instance-hour.
    pub cost_per_hour: f64,
    /// Instance type from the catalogue, if named.
    pub instance_type: Option<String>,
    /// Stream for balancing decisions.
    pub balance_stream: u32,
    /// The service's operations.
    pub ops: Range<u32>,
    /// Token bucket in front of the service.
    pub rate_limit: Option<RateLimit>,
    /// Load shedding: longest expected wait for a thread an arrival may face \[s\].
    pub shed_wait: Option<f64>,
    /// The queue whose messages the service consumes, or `NONE`.
    pub consumes: u32,
    /// The autoscaling rule; `instances` is then the starting count.
    pub autoscale: Option<Autoscale>,
    /// How instances fail and come back.
    pub failures: Option<Failures>,
}

/// Instance failures of a service (times in seconds).
#[derive(Debug, Clone)]
pub struct Failures {
    /// Time up between failures.
    pub mttf: Dist,
    /// Time down.
    pub mttr: Dist,
    /// Health-check delay before the balancer skips a failed instance.
    pub detect: f64,
    /// Stream for failure and repair times.
    pub stream: u32,
}

impl Failures {
    /// Long-run fraction of time an instance is up: MTTF / (MTTF + MTTR).
    pub fn availability(&self) -> f64 {
        let (up, down) = (self.mttf.mean(), self.mttr.mean());
        up / (up + down)
    }
}

/// An autoscaling rule (all times in seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Autoscale {
    /// What it watches.
    pub metric: policy::ScaleMetric,
    /// The level it holds.
    pub target: f64,
    /// Fewest instances.
    pub min: u32,
    /// Most instances.
    pub max: u32,
    /// Averaging window and decision period.
    pub window: f64,
    /// Start-up time of a new instance.
    pub delay: f64,
    /// Quiet time after an action.
    pub cooldown: f64,
}

/// Most time-series intervals a run may record (a row each).
pub const MAX_SERIES_INTERVALS: f64 = 1_000_000.0;

impl Service {
    /// Instances the service can ever have (its autoscaling maximum).
    pub fn max_instances(&self) -> u32 {
        self.autoscale.as_ref().map_or(self.instances, |a| a.max.max(self.instances))
    }
}

/// A broker queue.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Name as in the file.
    pub name: String,
    /// The op run per message.
    pub consumer: u32,
    /// Messages that may wait (`u32::MAX`: unlimited).
    pub capacity: u32,
}

/// How a client polls for a published message's completion.
#[derive(Debug, Clone)]
pub struct Poll {
    /// Status op each poll calls.
    pub op: u32,
    /// The class poll requests are reported under.
    pub class: u32,
    /// First wait \[s\].
    pub first: f64,
    /// Growth of the wait per poll.
    pub factor: f64,
    /// Longest wait \[s\].
    pub cap: f64,
}

/// A token bucket: `rate` tokens per second, at most `burst` saved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens per second.
    pub rate: f64,
    /// Bucket size.
    pub burst: u32,
    /// Whose requests share a bucket.
    pub per: LimitScope,
}

/// How a call retries a failed or timed-out round.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait before the first retry \[s\].
    pub backoff: f64,
    /// Growth of the wait per retry.
    pub factor: f64,
    /// Longest wait \[s\].
    pub cap: f64,
    /// Randomisation of the wait.
    pub jitter: Jitter,
    /// Retries allowed per call made; `None`: unlimited.
    pub budget: Option<f64>,
    /// Wait for the rate limiter's Retry-After after a 429.
    pub honor_retry_after: bool,
    /// Stream for jitter.
    pub stream: u32,
}

/// A circuit breaker's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    /// Failure fraction that opens it.
    pub failure_rate: f64,
    /// Rolling window \[s\].
    pub window: f64,
    /// Rounds needed in the window before it may open.
    pub min_calls: u32,
    /// Time open before a probe \[s\].
    pub open_for: f64,
    /// While open, skip the call as a success.
    pub fallback: bool,
}

/// A call site reported on its own: attempts, retries, timeouts, breaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Guarded {
    /// "caller.op -> callee.op" (numbered when a pair has several sites).
    pub name: String,
    /// The calling op.
    pub caller: u32,
    /// Index into `Network::calls`.
    pub call: u32,
}

/// Names guarded call sites "caller -> callee", numbering repeats.
fn name_guarded(guarded: &mut [Guarded], ops: &[Op], calls: &[Call]) {
    let mut seen: HashMap<String, u32> = HashMap::new();
    for g in guarded {
        let base = format!("{} -> {}", ops[g.caller as usize].name, ops[calls[g.call as usize].op as usize].name);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        g.name = if *n == 1 { base } else { format!("{base} #{n}") };
    }
}

impl Service {
    /// True when every thread can compute at full speed at once, so CPU work
    /// needs no processor sharing.
    pub fn dedicated_cores(&self) -> bool {
        self.threads <= self.cores
    }
}

/// An operation: CPU demand, then steps.
#[derive(Debug, Clone)]
pub struct Op {
    /// `service.operation`.
    pub name: String,
    /// Owning service.
    pub service: u32,
    /// CPU work in seconds, already divided by the service's speed.
    pub demand: Option<Dist>,
    /// Stream for demand samples.
    pub demand_stream: u32,
    /// Extra CPU work per item of a batched call (speed applied).
    pub per_item: Option<Dist>,
    /// Probability the op fails when it ends.
    pub error_rate: f64,
    /// Stream for the failure draw.
    pub error_stream: u32,
    /// Stream for per-item samples.
    pub per_item_stream: u32,
    /// The op's steps in `Network::steps`.
    pub steps: Range<u32>,
    /// Expected CPU seconds per visit (demand plus compute steps), per-item work excluded.
    pub mean_cpu: f64,
}

impl Network {
    /// Open arrival rate of `class` that gets past a rate limiter at its
    /// entry service [requests/s]; `None` for closed classes.
    pub fn admitted_rate(&self, class: usize) -> Option<f64> {
        let c = &self.classes[class];
        let rate = c.open_rate()?;
        let entry = self.ops[c.target as usize].service;
        let Some(limit) = self.services[entry as usize].rate_limit else { return Some(rate) };
        Some(match limit.per {
            LimitScope::Client => rate.min(f64::from(c.clients) * limit.rate),
            LimitScope::Class => rate.min(limit.rate),
            LimitScope::Service => {
                let total: f64 = self
                    .classes
                    .iter()
                    .filter(|k| self.ops[k.target as usize].service == entry)
                    .filter_map(Class::open_rate)
                    .sum();
                if total > limit.rate { rate * limit.rate / total } else { rate }
            }
        })
    }

    /// Expected CPU seconds a request of `class` spends in `op`, per-item work included.
    pub fn cpu_per_request(&self, class: usize, op: usize) -> f64 {
        let o = &self.ops[op];
        self.visits[class][op] * o.mean_cpu + self.item_visits[class][op] * o.per_item.as_ref().map_or(0.0, Dist::mean)
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Step {
    /// More CPU work (seconds, speed applied).
    Compute {
        /// Work distribution.
        dist: Dist,
        /// Its random stream.
        stream: u32,
    },
    /// Call or forward.
    Act(Action),
    /// Read through a cache: lookup, then the miss call on a miss, then fill.
    CacheRead {
        /// Index into `Network::caches`.
        cache: u32,
        /// Call site of the miss path.
        miss: u32,
    },
    /// Write a key of a cache.
    CacheWrite {
        /// Index into `Network::caches`.
        cache: u32,
    },
    /// Read a key of a database from a replica; stale when the key's last
    /// write has not reached the replicas yet.
    DbRead {
        /// Index into `Network::databases`.
        db: u32,
        /// Call site of the replica's read op.
        call: u32,
    },
    /// Put a message on a queue and go on at once.
    Publish {
        /// Index into `Network::queues`.
        queue: u32,
        /// Index into `Network::polls`, or `NONE`.
        poll: u32,
    },
    /// Write a key of a database on its primary; the replicas see it after a lag.
    DbWrite {
        /// Index into `Network::databases`.
        db: u32,
        /// Call site of the primary's write op.
        call: u32,
    },
    /// Pick one arm at random.
    Branch {
        /// Arms in `Network::arms`, with cumulative probabilities.
        arms: Range<u32>,
        /// Stream for the choice.
        stream: u32,
    },
}

/// A call, a forward, or nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Synchronous call; the details are in `Network::calls`.
    Call {
        /// Index into `Network::calls`.
        call: u32,
    },
    /// Hand the request on to `op`; the thread is freed.
    Forward {
        /// Next op.
        op: u32,
    },
    /// Go on with the next step.
    Continue,
}

/// A call site: `count` rounds in sequence, each sending `parallel` copies
/// at once and waiting for `quorum` replies, holding `pool` throughout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Call {
    /// Callee op.
    pub op: u32,
    /// Rounds, one after another.
    pub count: u32,
    /// Copies per round, sent at once.
    pub parallel: u32,
    /// Replies awaited per round.
    pub quorum: u32,
    /// Items each copy carries (the callee pays its `per_item` demand per item).
    pub batch: u32,
    /// The caller abandons a round after this long \[s\]; 0: never.
    pub timeout: f64,
    /// Retry policy (index into `Network::retries`), or `NONE`.
    pub retry: u32,
    /// Circuit breaker (index into `Network::breakers`), or `NONE`.
    pub breaker: u32,
    /// Index into `Network::guarded`, or `NONE`.
    pub guard: u32,
    /// Pool held around all rounds, or `NONE`.
    pub pool: u32,
    /// Round-trip network latency (index into `Network::latencies`), or `NONE`.
    pub latency: u32,
    /// Stream for latency samples.
    pub latency_stream: u32,
    /// Bytes each reply carries.
    pub bytes: f64,
    /// Time to transfer a reply at the network's bandwidth \[s\].
    pub transfer: f64,
}

/// A keyed cache.
#[derive(Debug, Clone)]
pub struct Cache {
    /// Name as in the file.
    pub name: String,
    /// Distinct keys.
    pub keys: u32,
    /// Zipf exponent (0: uniform).
    pub zipf: f64,
    /// Entry lifetime \[s\].
    pub ttl: f64,
    /// Call site of the lookup.
    pub lookup: u32,
    /// What a write does.
    pub on_write: policy::WritePolicy,
    /// Stream for key choices.
    pub stream: u32,
}

/// A database whose writes reach its read replicas after a lag.
#[derive(Debug, Clone)]
pub struct Database {
    /// Name as in the file.
    pub name: String,
    /// Distinct keys.
    pub keys: u32,
    /// Zipf exponent (0: uniform).
    pub zipf: f64,
    /// Replication lag of each write \[s\].
    pub lag: Dist,
    /// Stream for lag samples.
    pub lag_stream: u32,
    /// Stream for key choices.
    pub key_stream: u32,
    /// Replica read op.
    pub read_op: u32,
    /// Primary write op.
    pub write_op: u32,
}

/// A connection pool.
#[derive(Debug, Clone)]
pub struct Pool {
    /// Name as in the file.
    pub name: String,
    /// Connections per pool instance.
    pub size: u32,
    /// One pool per instance of this service, or `None`: one shared pool.
    pub per: Option<u32>,
    /// Longest wait for a connection \[s\]; `None`: forever.
    pub wait_timeout: Option<f64>,
}

/// One arm of a branch.
#[derive(Debug, Clone, Copy)]
pub struct Arm {
    /// Probability of this arm plus all arms before it.
    pub cumulative: f64,
    /// What the arm does.
    pub action: Action,
}

/// Where a class's requests come from.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// Open arrivals: a renewal process.
    Open {
        /// Inter-arrival time; `None` for a class with rate zero.
        interarrival: Option<Dist>,
    },
    /// Closed loop: users who think, send one request and wait for it.
    Closed {
        /// Number of users.
        users: u32,
        /// Think time.
        think: Dist,
    },
}

/// A request class.
#[derive(Debug, Clone)]
pub struct Class {
    /// Name as in the file.
    pub name: String,
    /// Entry op.
    pub target: u32,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Stream for arrivals or think times.
    pub stream: u32,
    /// Queue priority (0 first).
    pub priority: u8,
    /// Distinct clients sending the class's requests.
    pub clients: u32,
    /// Stream for choosing a request's client.
    pub client_stream: u32,
    /// The class of a publish step's status polls (no arrivals of its own).
    pub polling: bool,
    /// A time-varying Poisson rate; `arrivals` then holds candidates at its peak rate.
    pub modulation: Option<Modulation>,
    /// Arrival times replayed from a file \[s\]; `arrivals` is then empty.
    pub trace: Option<std::sync::Arc<Vec<f64>>>,
}

/// A Poisson rate that varies over time, simulated by thinning candidates
/// drawn at `peak`: a candidate at time t is kept with probability rate(t) / peak.
#[derive(Debug, Clone)]
pub struct Modulation {
    /// The class's `rate` \[1/s\].
    pub rate: f64,
    /// Rate curve factors.
    pub profile: Option<Profile>,
    /// Bursts.
    pub bursts: Option<Bursts>,
    /// Highest rate \[1/s\].
    pub peak: f64,
}

/// A rate curve: factors at points in time.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `(time [s], factor)` in time order.
    pub points: Vec<(f64, f64)>,
    /// Linear between points, or steps.
    pub linear: bool,
    /// Repeat period \[s\].
    pub period: Option<f64>,
    /// The observed window of a time-bounded run \[s\], for the mean of a curve that does not repeat.
    pub window: Option<(f64, f64)>,
}

impl Profile {
    /// The factor at time `t` \[s\].
    pub fn at(&self, t: f64) -> f64 {
        let t = match self.period {
            Some(p) => t.rem_euclid(p),
            None => t,
        };
        let after = self.points.partition_point(|&(x, _)| x <= t);
        if after == 0 {
            return self.points[0].1;
        }
        let (t0, f0) = self.points[after - 1];
        match self.points.get(after) {
            Some(&(t1, f1)) if self.linear => f0 + (f1 - f0) * (t - t0) / (t1 - t0),
            Some(_) => f0,
            // Past the last point: wrap to the first (periodic) or hold.
            None => match self.period {
                Some(p) if self.linear => {
                    let (t1, f1) = (p + self.points[0].0, self.points[0].1);
                    f0 + (f1 - f0) * (t - t0) / (t1 - t0)
                }
                _ => f0,
            },
        }
    }

    fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    /// Time-average factor over one period (or over the points, holding the last).
    /// Mean factor: over one period, else over the run's observed window,
    /// else over the points (the last factor holds after them).
    fn mean(&self) -> f64 {
        let (start, end) = match (self.period, self.window) {
            (Some(p), _) => (0.0, p),
            (None, Some(w)) => w,
            (None, None) => (0.0, self.points.last().map_or(0.0, |p| p.0)),
        };
        if end <= start {
            return self.at(start);
        }
        let n = 10_000;
        let step = (end - start) / f64::from(n);
        (0..n).map(|i| self.at(start + (f64::from(i) + 0.5) * step)).sum::<f64>() / f64::from(n)
    }
}

/// Bursts: the rate is multiplied by `factor` during bursts.
#[derive(Debug, Clone)]
pub struct Bursts {
    /// Rate multiplier in a burst.
    pub factor: f64,
    /// Time between bursts.
    pub every: Dist,
    /// Length of a burst.
    pub lasting: Dist,
    /// Stream for the burst schedule.
    pub stream: u32,
}

impl Modulation {
    /// Long-run mean rate \[1/s\].
    pub fn mean_rate(&self) -> f64 {
        let shape = self.profile.as_ref().map_or(1.0, Profile::mean);
        let burst = self.bursts.as_ref().map_or(1.0, |b| {
            let (off, on) = (b.every.mean(), b.lasting.mean());
            (off + b.factor * on) / (off + on)
        });
        self.rate * shape * burst
    }

    /// Rate at time `t` \[s\] (`bursting`: a burst is on).
    pub fn rate_at(&self, t: f64, bursting: bool) -> f64 {
        let shape = self.profile.as_ref().map_or(1.0, |p| p.at(t));
        let burst = if bursting { self.bursts.as_ref().map_or(1.0, |b| b.factor) } else { 1.0 };
        self.rate * shape * burst
    }
}

impl Class {
    /// Offered arrival rate of an open class [requests/s] (long-run mean for
    /// a varying rate or a trace); `None` for closed classes.
    pub fn open_rate(&self) -> Option<f64> {
        if let Some(m) = &self.modulation {
            return Some(m.mean_rate());
        }
        if let Some(times) = &self.trace {
            let span = times.last().copied().unwrap_or(0.0);
            return Some(if span > 0.0 { times.len() as f64 / span } else { 0.0 });
        }
        match &self.arrivals {
            Arrivals::Open { interarrival: Some(d) } => Some(1.0 / d.mean()),
            Arrivals::Open { interarrival: None } => Some(0.0),
            Arrivals::Closed { .. } => None,
        }
    }
}

/// Parses and compiles a model source.
pub fn compile(source: &Source) -> Result<Network, ModelError> {
    let file = source.parse()?;
    let network = NetworkDefaults {
        latency: file.network.latency.as_ref().map(|d| d.0.clone()),
        bandwidth: file.network.bandwidth.map_or(125e6, |b| b.0),
    };
    Compiler {
        src: source,
        streams: Default::default(),
        latencies: Default::default(),
        retries: Default::default(),
        breakers: Default::default(),
        guarded: Default::default(),
        network,
    }
    .compile(file)
}

/// Reads, overrides, parses and compiles a model file.
pub fn load(path: &std::path::Path, overrides: &[String]) -> Result<Network, ModelError> {
    let mut source = Source::read(path)?;
    source.apply_overrides(overrides)?;
    compile(&source)
}

/// Parses and compiles model text (for tests and embedding).
pub fn from_str(text: &str) -> Result<Network, ModelError> {
    compile(&Source { file: "<model>".into(), text: text.into() })
}

struct Compiler<'a> {
    src: &'a Source,
    streams: std::cell::RefCell<Vec<String>>,
    latencies: std::cell::RefCell<Vec<Dist>>,
    retries: std::cell::RefCell<Vec<Retry>>,
    breakers: std::cell::RefCell<Vec<Breaker>>,
    guarded: std::cell::RefCell<Vec<Guarded>>,
    network: NetworkDefaults,
}

/// `[network]` with defaults filled in.
#[derive(Default)]
struct NetworkDefaults {
    latency: Option<Dist>,
    /// Bytes per second.
    bandwidth: f64,
}

/// A call as written in a step or an arm.
struct CallSpec<'s> {
    latency: &'s Option<config::DistSpec>,
    response_size: Option<config::Bytes>,
    count: Option<config::Positive<u32>>,
    parallel: Option<config::Positive<u32>>,
    quorum: &'s Option<Spanned<config::Positive<u32>>>,
    batch: Option<config::Positive<u32>>,
    pool: &'s Option<Spanned<String>>,
    timeout: Option<config::PositiveSeconds>,
    retry: &'s Option<Spanned<config::RetryConfig>>,
    breaker: &'s Option<Spanned<config::BreakerConfig>>,
}

impl<'s> CallSpec<'s> {
    /// The call options written in a step.
    fn of_step(step: &'s config::StepConfig) -> Self {
        CallSpec {
            latency: &step.latency,
            response_size: step.response_size,
            count: step.count,
            parallel: step.parallel,
            quorum: &step.quorum,
            batch: step.batch,
            pool: &step.pool,
            timeout: step.timeout,
            retry: &step.retry,
            breaker: &step.breaker,
        }
    }
}

/// Where a call site sits.
struct CallContext<'k> {
    op_id: u32,
    service: u32,
    probability: f64,
    key: &'k str,
    span: Range<usize>,
}

/// An op reference before resolution.
struct OpRef<'s> {
    name: &'s Spanned<String>,
    key: String,
}

impl Compiler<'_> {
    fn stream(&self, name: String) -> u32 {
        let mut streams = self.streams.borrow_mut();
        streams.push(name);
        (streams.len() - 1) as u32
    }

    fn err(&self, span: Range<usize>, key: String, msg: impl Into<String>) -> ModelError {
        self.src.error_at(span, msg).with_key(key)
    }

    fn compile(self, file: ModelFile) -> Result<Network, ModelError> {
        let settings = self.settings(&file.simulation)?;
        let mut inputs = vec![self.src.text.clone()];
        let catalog = match &file.catalog {
            Some(path) => {
                let base = std::path::Path::new(&self.src.file).parent().unwrap_or(std::path::Path::new("."));
                let source = Source::read(&base.join(path.get_ref()))
                    .map_err(|e| self.src.error_at(path.span(), e.message).with_key("catalog"))?;
                inputs.push(source.text.clone());
                Catalog::parse(&source)?
            }
            None => Catalog::builtin(),
        };

        // Op ids first, so steps can refer to ops of services defined later.
        let mut op_ids: HashMap<String, u32> = HashMap::new();
        let mut op_names: Vec<String> = Vec::new();
        for (sname, svc) in &file.services {
            for oname in svc.get_ref().ops.keys() {
                let full = format!("{sname}.{oname}");
                op_ids.insert(full.clone(), op_names.len() as u32);
                op_names.push(full);
            }
        }
        let resolve = |r: &OpRef| -> Result<u32, ModelError> {
            op_ids.get(r.name.get_ref().as_str()).copied().ok_or_else(|| {
                let wanted = r.name.get_ref();
                let mut e = self
                    .src
                    .error_at(r.name.span(), format!("no operation named \"{wanted}\""))
                    .with_key(r.key.clone());
                e.hint = Some(match closest(wanted, op_names.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean \"{c}\"? Operations are written service.operation"),
                    None if !wanted.contains('.') => {
                        "operations are written service.operation, e.g. \"db.query\"".to_string()
                    }
                    None => format!("the model's operations are: {}", op_names.join(", ")),
                });
                e
            })
        };

        let mut services = Vec::new();
        let mut ops = Vec::new();
        let mut steps = Vec::new();
        let mut arms: Vec<Arm> = Vec::new();
        // Calls and forwards with their positions, for cycle reports.
        let mut edges: Vec<Edge> = Vec::new();
        let mut calls: Vec<Call> = Vec::new();
        let service_ids: HashMap<&str, u32> =
            file.services.keys().enumerate().map(|(i, n)| (n.as_str(), i as u32)).collect();
        let (pool_ids, pools) = self.pools(&file, &service_ids)?;
        let mut cache_ids: HashMap<String, u32> = HashMap::new();
        let mut caches: Vec<Cache> = Vec::new();
        for (name, c) in &file.caches {
            let cfg = c.get_ref();
            let key = format!("caches.{name}");
            let op = resolve(&OpRef { name: &cfg.lookup, key: format!("{key}.lookup") })?;
            calls.push(Call {
                op,
                count: 1,
                parallel: 1,
                quorum: 1,
                batch: 1,
                timeout: 0.0,
                retry: NONE,
                breaker: NONE,
                guard: NONE,
                pool: NONE,
                latency: NONE,
                latency_stream: NONE,
                bytes: 0.0,
                transfer: 0.0,
            });
            if cfg.keys.0 > 10_000_000 {
                return Err(self.err(
                    c.span(),
                    format!("{key}.keys"),
                    "at most 10 million keys (each takes 16 bytes in every replication running)",
                ));
            }
            cache_ids.insert(name.clone(), caches.len() as u32);
            caches.push(Cache {
                name: name.clone(),
                keys: cfg.keys.0,
                zipf: cfg.zipf.0,
                ttl: cfg.ttl.0,
                lookup: (calls.len() - 1) as u32,
                on_write: cfg.on_write,
                stream: self.stream(format!("cache:{name}")),
            });
        }

        let mut db_ids: HashMap<String, u32> = HashMap::new();
        let mut databases: Vec<Database> = Vec::new();
        for (name, d) in &file.databases {
            let cfg = d.get_ref();
            let key = format!("databases.{name}");
            if cache_ids.contains_key(name) {
                return Err(self
                    .err(d.span(), key, format!("`{name}` names both a cache and a database"))
                    .with_hint("`write` steps find caches and databases by name; rename one of them"));
            }
            if cfg.keys.0 > 10_000_000 {
                return Err(self.err(
                    d.span(),
                    format!("{key}.keys"),
                    "at most 10 million keys (memory grows with keys, in every replication running)",
                ));
            }
            let read_op = resolve(&OpRef { name: &cfg.read, key: format!("{key}.read") })?;
            let write_op = resolve(&OpRef { name: &cfg.write, key: format!("{key}.write") })?;
            db_ids.insert(name.clone(), databases.len() as u32);
            databases.push(Database {
                name: name.clone(),
                keys: cfg.keys.0,
                zipf: cfg.zipf.0,
                lag: cfg.lag.0.clone(),
                lag_stream: self.stream(format!("lag:{name}")),
                key_stream: self.stream(format!("rows:{name}")),
                read_op,
                write_op,
            });
        }

        let mut queue_ids: HashMap<String, u32> = HashMap::new();
        let mut queues: Vec<Queue> = Vec::new();
        for (name, q) in &file.queues {
            let cfg = q.get_ref();
            let consumer = resolve(&OpRef { name: &cfg.consumer, key: format!("queues.{name}.consumer") })?;
            queue_ids.insert(name.clone(), queues.len() as u32);
            queues.push(Queue { name: name.clone(), consumer, capacity: cfg.capacity.map_or(u32::MAX, |c| c.0) });
        }
        let mut polls: Vec<Poll> = Vec::new();
        // (poll index, class name) of the poll classes to add after the workload's.
        let mut poll_classes: Vec<String> = Vec::new();

        for (sname, svc_spanned) in &file.services {
            let svc = svc_spanned.get_ref();
            let service_id = services.len() as u32;
            let instance_type = match &svc.instance_type {
                Some(name) => Some(catalog.types.get(name.get_ref()).ok_or_else(|| {
                    let mut e = self
                        .src
                        .error_at(
                            name.span(),
                            format!("no instance type named \"{}\" in the catalogue", name.get_ref()),
                        )
                        .with_key(format!("services.{sname}.instance_type"));
                    e.hint = Some(match closest(name.get_ref(), catalog.types.keys().map(String::as_str)) {
                        Some(c) => format!("did you mean \"{c}\"?"),
                        None => {
                            format!("known types: {}", catalog.types.keys().cloned().collect::<Vec<_>>().join(", "))
                        }
                    });
                    e
                })?),
                None => None,
            };
            let (threads, cores) = match svc.concurrency {
                Concurrency::ThreadPerRequest => {
                    if svc.max_in_flight.is_some() {
                        return Err(self
                            .err(svc_spanned.span(), format!("services.{sname}.max_in_flight"), "`max_in_flight` applies to event-loop services")
                            .with_hint("add concurrency = \"event_loop\", or bound a thread-per-request service with `threads`"));
                    }
                    let threads = svc.threads.map(|t| t.0).or(instance_type.map(|t| t.vcpus.0)).unwrap_or(1);
                    (threads, svc.cores.map(|c| c.0).or(instance_type.map(|t| t.vcpus.0)).unwrap_or(threads))
                }
                // An event loop admits many requests; none holds a thread while
                // it waits, and their CPU work shares the cores.
                Concurrency::EventLoop => {
                    if svc.threads.is_some() {
                        return Err(self
                            .err(
                                svc_spanned.span(),
                                format!("services.{sname}.threads"),
                                "an event-loop service has no threads to hold",
                            )
                            .with_hint(
                                "bound it with max_in_flight (requests in flight per instance) and give it `cores`",
                            ));
                    }
                    let in_flight = svc.max_in_flight.map_or(10_000, |m| m.0);
                    (in_flight, svc.cores.map(|c| c.0).or(instance_type.map(|t| t.vcpus.0)).unwrap_or(1))
                }
            };
            let speed = svc.speed.map(|s| s.0).or(instance_type.map(|t| t.speed.0)).unwrap_or(1.0);
            if !(1.0 / speed).is_finite() {
                return Err(self.err(
                    svc_spanned.span(),
                    format!("services.{sname}.speed"),
                    format!("a speed of {speed} is too small: CPU work divided by it overflows"),
                ));
            }
            // Each instance has its own queues and counters, set up before the
            // run, and some balancers look at every instance for every request.
            const MAX_INSTANCES: u32 = 10_000;
            if svc.instances.0 > MAX_INSTANCES {
                return Err(self.err(
                    svc_spanned.span(),
                    format!("services.{sname}.instances"),
                    format!(
                        "at most {MAX_INSTANCES} instances per service (memory and balancing time grow with instances), got {}",
                        svc.instances.0
                    ),
                ));
            }
            let cost_per_hour =
                svc.cost_per_hour.map(|c| c.0).or(instance_type.map(|t| t.price_per_hour.0)).unwrap_or(0.0);
            let first_op = ops.len() as u32;
            for (oname, op_spanned) in &svc.ops {
                let op_cfg = op_spanned.get_ref();
                let op_id = ops.len() as u32;
                let name = format!("{sname}.{oname}");
                let demand = op_cfg.demand.as_ref().map(|d| d.0.scaled(1.0 / speed));
                let demand_stream = self.stream(format!("demand:{name}"));
                let per_item = op_cfg.per_item.as_ref().map(|d| d.0.scaled(1.0 / speed));
                let per_item_stream = if per_item.is_some() { self.stream(format!("per_item:{name}")) } else { NONE };
                let error_rate = op_cfg.error_rate.map_or(0.0, |p| p.0);
                let error_stream = if error_rate > 0.0 { self.stream(format!("errors:{name}")) } else { NONE };
                let mut mean_cpu = demand.as_ref().map_or(0.0, Dist::mean);
                let first_step = steps.len() as u32;
                let n_steps = op_cfg.steps.len();
                for (i, step_spanned) in op_cfg.steps.iter().enumerate() {
                    let key = format!("services.{sname}.ops.{oname}.steps[{i}]");
                    let step = step_spanned.get_ref();
                    let set = [
                        step.cache.is_some(),
                        step.write.is_some(),
                        step.read.is_some(),
                        step.publish.is_some(),
                        step.call.is_some(),
                        step.forward.is_some(),
                        step.compute.is_some(),
                        step.branch.is_some(),
                    ];
                    let n_set = set.iter().filter(|&&b| b).count();
                    if n_set != 1 {
                        return Err(self.err(
                            step_spanned.span(),
                            key,
                            if n_set == 0 { "a step needs an action" } else { "a step has exactly one action" },
                        )
                        .with_hint("write one of { call = \"svc.op\" }, { forward = \"svc.op\" }, { compute = \"exp(1ms)\" } or { branch = [...] }"));
                    }
                    let call_options = step.count.is_some()
                        || step.timeout.is_some()
                        || step.retry.is_some()
                        || step.breaker.is_some()
                        || step.parallel.is_some()
                        || step.quorum.is_some()
                        || step.batch.is_some()
                        || step.pool.is_some()
                        || step.latency.is_some()
                        || step.response_size.is_some();
                    let cache_write = step.write.as_ref().is_some_and(|w| !db_ids.contains_key(w.get_ref()));
                    if call_options
                        && (cache_write || (step.call.is_none() && step.read.is_none() && step.write.is_none()))
                    {
                        return Err(self.err(
                            step_spanned.span(),
                            key,
                            "`count`, `parallel`, `quorum`, `batch`, `pool`, `latency`, `response_size`, `timeout`, `retry` and `breaker` apply to calls only (`call`, and database `read` and `write`)",
                        ));
                    }
                    if step.forward.is_some() && i + 1 != n_steps {
                        return Err(self
                            .err(step_spanned.span(), key, "steps after a `forward` would never run")
                            .with_hint("a forward hands the request on; make it the operation's last step"));
                    }
                    if step.miss.is_some() && step.cache.is_none() {
                        return Err(self.err(step_spanned.span(), key, "`miss` applies to `cache` steps only"));
                    }
                    if step.poll.is_some() && step.publish.is_none() {
                        return Err(self.err(step_spanned.span(), key, "`poll` applies to `publish` steps only"));
                    }
                    let compiled = if let Some(name) = &step.cache {
                        let cache = self.cache_id(name, &cache_ids, &format!("{key}.cache"))?;
                        let Some(miss_target) = &step.miss else {
                            return Err(self
                                .err(step_spanned.span(), key, "a cache read needs a miss path")
                                .with_hint("add miss = \"db.read\": the operation called when the key is not cached"));
                        };
                        let lookup_op = calls[caches[cache as usize].lookup as usize].op;
                        edges.push(Edge {
                            from: op_id,
                            to: lookup_op,
                            weight: 1.0,
                            items: 1.0,
                            sync: true,
                            span: name.span(),
                            key: format!("{key}.cache"),
                        });
                        let op = resolve(&OpRef { name: miss_target, key: format!("{key}.miss") })?;
                        let spec = CallSpec {
                            latency: &None,
                            response_size: None,
                            count: None,
                            parallel: None,
                            quorum: &None,
                            batch: None,
                            pool: &None,
                            timeout: None,
                            retry: &None,
                            breaker: &None,
                        };
                        let ctx = CallContext {
                            op_id,
                            service: service_id,
                            probability: 1.0,
                            key: &format!("{key}.miss"),
                            span: miss_target.span(),
                        };
                        let Action::Call { call: miss } =
                            self.call_site(&spec, op, &ctx, &pool_ids, &pools, &mut edges, &mut calls)?
                        else {
                            unreachable!("call_site makes calls")
                        };
                        Step::CacheRead { cache, miss }
                    } else if let Some(db) =
                        step.read.as_ref().or(step.write.as_ref().filter(|w| db_ids.contains_key(w.get_ref())))
                    {
                        let writing = step.write.is_some();
                        let field = if writing { "write" } else { "read" };
                        let db_id = *db_ids.get(db.get_ref()).ok_or_else(|| {
                            let mut e = self
                                .src
                                .error_at(db.span(), format!("no database named `{}`", db.get_ref()))
                                .with_key(format!("{key}.read"));
                            e.hint = Some(match closest(db.get_ref(), db_ids.keys().map(String::as_str)) {
                                Some(c) => format!("did you mean `{c}`?"),
                                None => format!(
                                    "define it: [databases.{}] with keys, lag, read = \"replica.query\" and write = \"primary.update\"",
                                    db.get_ref()
                                ),
                            });
                            e
                        })?;
                        let d = &databases[db_id as usize];
                        let op = if writing { d.write_op } else { d.read_op };
                        let ctx = CallContext {
                            op_id,
                            service: service_id,
                            probability: 1.0,
                            key: &format!("{key}.{field}"),
                            span: db.span(),
                        };
                        let Action::Call { call } = self.call_site(
                            &CallSpec::of_step(step),
                            op,
                            &ctx,
                            &pool_ids,
                            &pools,
                            &mut edges,
                            &mut calls,
                        )?
                        else {
                            unreachable!("call_site makes calls")
                        };
                        if writing { Step::DbWrite { db: db_id, call } } else { Step::DbRead { db: db_id, call } }
                    } else if let Some(name) = &step.publish {
                        let queue = *queue_ids.get(name.get_ref()).ok_or_else(|| {
                            let mut e = self
                                .src
                                .error_at(name.span(), format!("no queue named `{}`", name.get_ref()))
                                .with_key(format!("{key}.publish"));
                            e.hint = Some(match closest(name.get_ref(), queue_ids.keys().map(String::as_str)) {
                                Some(c) => format!("did you mean `{c}`?"),
                                None => {
                                    format!("define it: [queues.{}] with consumer = \"worker.process\"", name.get_ref())
                                }
                            });
                            e
                        })?;
                        // Each message visits the consumer once (for offered load, not response time).
                        edges.push(Edge {
                            from: op_id,
                            to: queues[queue as usize].consumer,
                            weight: 1.0,
                            items: 1.0,
                            sync: false,
                            span: name.span(),
                            key: format!("{key}.publish"),
                        });
                        let poll = match &step.poll {
                            Some(p) => {
                                let cfg = p.get_ref();
                                let op = resolve(&OpRef { name: &cfg.op, key: format!("{key}.poll.op") })?;
                                let base = format!("{}.poll", name.get_ref());
                                let n = poll_classes.iter().filter(|c| c.starts_with(&base)).count();
                                poll_classes.push(if n == 0 { base } else { format!("{base}#{}", n + 1) });
                                polls.push(Poll {
                                    op,
                                    class: NONE,
                                    first: cfg.first.0,
                                    factor: cfg.factor.0,
                                    cap: cfg.cap.map_or(f64::INFINITY, |c| c.0),
                                });
                                (polls.len() - 1) as u32
                            }
                            None => NONE,
                        };
                        Step::Publish { queue, poll }
                    } else if let Some(name) = &step.write {
                        Step::CacheWrite { cache: self.cache_id(name, &cache_ids, &format!("{key}.write"))? }
                    } else if let Some(c) = &step.compute {
                        let dist = c.0.scaled(1.0 / speed);
                        mean_cpu += dist.mean();
                        let stream = self.stream(format!("compute:{name}#{i}"));
                        Step::Compute { dist, stream }
                    } else if let Some(target) = &step.call {
                        let spec = CallSpec::of_step(step);
                        let op = resolve(&OpRef { name: target, key: format!("{key}.call") })?;
                        let ctx = CallContext {
                            op_id,
                            service: service_id,
                            probability: 1.0,
                            key: &key,
                            span: step_spanned.span(),
                        };
                        Step::Act(self.call_site(&spec, op, &ctx, &pool_ids, &pools, &mut edges, &mut calls)?)
                    } else if let Some(target) = &step.forward {
                        let op = resolve(&OpRef { name: target, key: format!("{key}.forward") })?;
                        edges.push(Edge {
                            from: op_id,
                            to: op,
                            weight: 1.0,
                            items: 1.0,
                            sync: true,
                            span: target.span(),
                            key: format!("{key}.forward"),
                        });
                        Step::Act(Action::Forward { op })
                    } else {
                        let branch = step.branch.as_ref().expect("one action is set");
                        let first_arm = arms.len() as u32;
                        let mut cumulative = 0.0;
                        for (j, arm_spanned) in branch.get_ref().iter().enumerate() {
                            let arm = arm_spanned.get_ref();
                            let akey = format!("{key}.branch[{j}]");
                            cumulative += arm.p.0;
                            let action = match (&arm.call, &arm.forward) {
                                (Some(_), Some(_)) => {
                                    return Err(self.err(
                                        arm_spanned.span(),
                                        akey,
                                        "an arm has `call` or `forward`, not both",
                                    ));
                                }
                                (Some(target), None) => {
                                    let spec = CallSpec {
                                        latency: &arm.latency,
                                        response_size: arm.response_size,
                                        count: arm.count,
                                        parallel: arm.parallel,
                                        quorum: &arm.quorum,
                                        batch: arm.batch,
                                        pool: &arm.pool,
                                        timeout: arm.timeout,
                                        retry: &arm.retry,
                                        breaker: &arm.breaker,
                                    };
                                    let op = resolve(&OpRef { name: target, key: format!("{akey}.call") })?;
                                    let ctx = CallContext {
                                        op_id,
                                        service: service_id,
                                        probability: arm.p.0,
                                        key: &akey,
                                        span: arm_spanned.span(),
                                    };
                                    self.call_site(&spec, op, &ctx, &pool_ids, &pools, &mut edges, &mut calls)?
                                }
                                (None, Some(target)) => {
                                    let op = resolve(&OpRef { name: target, key: format!("{akey}.forward") })?;
                                    edges.push(Edge {
                                        from: op_id,
                                        to: op,
                                        weight: arm.p.0,
                                        items: 1.0,
                                        sync: true,
                                        span: target.span(),
                                        key: format!("{akey}.forward"),
                                    });
                                    Action::Forward { op }
                                }
                                (None, None) => {
                                    if arm.count.is_some()
                                        || arm.timeout.is_some()
                                        || arm.retry.is_some()
                                        || arm.breaker.is_some()
                                        || arm.parallel.is_some()
                                        || arm.quorum.is_some()
                                        || arm.batch.is_some()
                                        || arm.pool.is_some()
                                        || arm.latency.is_some()
                                        || arm.response_size.is_some()
                                    {
                                        return Err(self.err(
                                            arm_spanned.span(),
                                            akey,
                                            "`count`, `parallel`, `quorum`, `batch`, `pool`, `latency`, `response_size`, `timeout`, `retry` and `breaker` apply to `call` only",
                                        ));
                                    }
                                    Action::Continue
                                }
                            };
                            arms.push(Arm { cumulative, action });
                        }
                        if branch.get_ref().is_empty() || (cumulative - 1.0).abs() > 1e-9 {
                            return Err(self
                                .err(
                                    branch.span(),
                                    format!("{key}.branch"),
                                    format!("branch probabilities sum to {cumulative}, not 1"),
                                )
                                .with_hint("add an arm with no action for \"otherwise continue\", e.g. { p = 0.2 }"));
                        }
                        // Guard the last arm against rounding: a uniform draw always lands somewhere.
                        arms.last_mut().expect("non-empty").cumulative = f64::INFINITY;
                        let stream = self.stream(format!("branch:{name}#{i}"));
                        Step::Branch { arms: first_arm..arms.len() as u32, stream }
                    };
                    steps.push(compiled);
                }
                ops.push(Op {
                    name,
                    service: service_id,
                    demand,
                    demand_stream,
                    per_item,
                    per_item_stream,
                    error_rate,
                    error_stream,
                    steps: first_step..steps.len() as u32,
                    mean_cpu,
                });
            }
            let balance_stream = self.stream(format!("balance:{sname}"));
            services.push(Service {
                name: sname.clone(),
                instances: svc.instances.0,
                threads,
                cores,
                speed,
                queue_limit: svc.queue_limit.unwrap_or(u32::MAX),
                discipline: svc.discipline,
                balance: svc.balance,
                cost_per_hour,
                instance_type: svc.instance_type.as_ref().map(|t| t.get_ref().clone()),
                balance_stream,
                ops: first_op..ops.len() as u32,
                rate_limit: svc.rate_limit.as_ref().map(|r| {
                    let r = r.get_ref();
                    RateLimit { rate: r.rate.0, burst: r.burst.0, per: r.per }
                }),
                shed_wait: svc.shed_wait.map(|w| w.0),
                consumes: NONE,
                autoscale: match &svc.autoscale {
                    Some(a) => {
                        let cfg = a.get_ref();
                        if cfg.min.0 > cfg.max.0 || svc.instances.0 < cfg.min.0 || svc.instances.0 > cfg.max.0 {
                            return Err(self
                                .err(
                                    a.span(),
                                    format!("services.{sname}.autoscale"),
                                    format!(
                                        "need min <= instances <= max, got min = {}, instances = {}, max = {}",
                                        cfg.min.0, svc.instances.0, cfg.max.0
                                    ),
                                )
                                .with_hint("`instances` is the starting count of an autoscaled service"));
                        }
                        if cfg.window.0 < 1e-3 {
                            return Err(self.err(
                                a.span(),
                                format!("services.{sname}.autoscale.window"),
                                "the window must be at least 1 ms",
                            ));
                        }
                        if cfg.max.0 > 100_000 {
                            return Err(self.err(
                                a.span(),
                                format!("services.{sname}.autoscale.max"),
                                "at most 100000 instances",
                            ));
                        }
                        Some(Autoscale {
                            metric: cfg.metric,
                            target: cfg.target.0,
                            min: cfg.min.0,
                            max: cfg.max.0,
                            window: cfg.window.0,
                            delay: cfg.delay.0,
                            cooldown: cfg.cooldown.0,
                        })
                    }
                    None => None,
                },
                failures: match &svc.failures {
                    Some(f) => {
                        let cfg = f.get_ref();
                        // Faster failures would make a model of nothing but failures, and
                        // zero would repeat forever at one instant.
                        if cfg.mttf.0.mean().is_nan() || cfg.mttf.0.mean() < 1e-3 {
                            return Err(self
                                .err(
                                    f.span(),
                                    format!("services.{sname}.failures.mttf"),
                                    "mean time to failure under 1 ms",
                                )
                                .with_hint("typical values are hours or days, e.g. mttf = \"exp(mean=12h)\""));
                        }
                        Some(Failures {
                            mttf: cfg.mttf.0.clone(),
                            mttr: cfg.mttr.0.clone(),
                            detect: cfg.detect.0,
                            stream: self.stream(format!("failures:{sname}")),
                        })
                    }
                    None => None,
                },
            });
        }

        let mut classes = self.classes(&file, &settings, &resolve)?;
        for (q, queue) in queues.iter().enumerate() {
            let service = ops[queue.consumer as usize].service as usize;
            if services[service].consumes != NONE {
                let span = file.queues[q].span();
                return Err(self
                    .err(
                        span,
                        format!("queues.{}.consumer", queue.name),
                        format!(
                            "service `{}` already consumes queue `{}`",
                            services[service].name, queues[services[service].consumes as usize].name
                        ),
                    )
                    .with_hint("give each queue its own consumer service"));
            }
            services[service].consumes = q as u32;
        }
        for (poll, name) in polls.iter_mut().zip(poll_classes) {
            poll.class = classes.len() as u32;
            classes.push(Class {
                stream: self.stream(format!("arrivals:{name}")),
                client_stream: self.stream(format!("clients:{name}")),
                name,
                target: poll.op,
                arrivals: Arrivals::Open { interarrival: None },
                priority: 0,
                clients: 1,
                polling: true,
                modulation: None,
                trace: None,
            });
        }
        let total_users: u64 = classes
            .iter()
            .map(|c| match c.arrivals {
                Arrivals::Closed { users, .. } => u64::from(users),
                Arrivals::Open { .. } => 0,
            })
            .sum();
        if total_users > u64::from(settings.max_in_flight) {
            return Err(ModelError::new(
                &self.src.file,
                format!("{total_users} closed-loop users exceed max_in_flight = {}", settings.max_in_flight),
            )
            .with_key("simulation.max_in_flight")
            .with_hint(format!("set simulation.max_in_flight to at least {total_users}")));
        }

        let mut visits = Vec::with_capacity(classes.len());
        let mut item_visits = Vec::with_capacity(classes.len());
        let mut sync_visits = Vec::with_capacity(classes.len());
        for class in &classes {
            let v = expected_visits(ops.len(), &edges, class.target)
                .map_err(|cycle| graph::cycle_error(self.src, &edges, &cycle, &ops))?;
            item_visits.push(expected_items(&v, &edges, class.target));
            visits.push(v);
            let sync: Vec<Edge> =
                edges.iter().filter(|e| e.sync).map(|e| Edge { key: String::new(), span: 0..0, ..*e }).collect();
            sync_visits.push(
                expected_visits(ops.len(), &sync, class.target).expect("a subset of edges without cycles has none"),
            );
        }

        let mut guarded = self.guarded.take();
        name_guarded(&mut guarded, &ops, &calls);
        let priority_levels = classes.iter().map(|c| u16::from(c.priority)).max().unwrap_or(0) + 1;
        let mut network = Network {
            file: self.src.file.clone(),
            inputs,
            calls,
            pools,
            latencies: self.latencies.into_inner(),
            caches,
            databases,
            retries: self.retries.into_inner(),
            breakers: self.breakers.into_inner(),
            guarded,
            queues,
            polls,
            settings,
            services,
            ops,
            steps,
            arms,
            classes,
            streams: self.streams.into_inner(),
            visits,
            sync_visits,
            item_visits,
            priority_levels,
            warnings: Vec::new(),
        };
        network.warnings = saturation_warnings(&network);
        Ok(network)
    }

    fn pools(
        &self,
        file: &ModelFile,
        service_ids: &HashMap<&str, u32>,
    ) -> Result<(HashMap<String, u32>, Vec<Pool>), ModelError> {
        let mut ids = HashMap::new();
        let mut pools = Vec::new();
        for (name, p) in &file.pools {
            let cfg = p.get_ref();
            let per = match &cfg.per {
                Some(svc) => Some(*service_ids.get(svc.get_ref().as_str()).ok_or_else(|| {
                    self.src
                        .error_at(svc.span(), format!("no service named `{}`", svc.get_ref()))
                        .with_key(format!("pools.{name}.per"))
                        .with_hint("`per` names the service whose every instance has its own pool")
                })?),
                None => None,
            };
            ids.insert(name.clone(), pools.len() as u32);
            pools.push(Pool { name: name.clone(), size: cfg.size.0, per, wait_timeout: cfg.wait_timeout.map(|t| t.0) });
        }
        Ok((ids, pools))
    }

    fn cache_id(&self, name: &Spanned<String>, ids: &HashMap<String, u32>, key: &str) -> Result<u32, ModelError> {
        ids.get(name.get_ref()).copied().ok_or_else(|| {
            let mut e = self
                .src
                .error_at(name.span(), format!("no cache named `{}`", name.get_ref()))
                .with_key(key.to_string());
            e.hint = Some(match closest(name.get_ref(), ids.keys().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("define it: [caches.{}] with keys, ttl and lookup = \"redis.get\"", name.get_ref()),
            });
            e
        })
    }

    /// Compiles one call site, checking its pool and quorum.
    #[allow(clippy::too_many_arguments)]
    fn call_site(
        &self,
        spec: &CallSpec,
        op: u32,
        ctx: &CallContext,
        pool_ids: &HashMap<String, u32>,
        pools: &[Pool],
        edges: &mut Vec<Edge>,
        calls: &mut Vec<Call>,
    ) -> Result<Action, ModelError> {
        let count = spec.count.map_or(1, |c| c.0);
        let parallel = spec.parallel.map_or(1, |c| c.0);
        let quorum = match spec.quorum {
            Some(q) if q.get_ref().0 > parallel => {
                return Err(self
                    .err(
                        q.span(),
                        format!("{}.quorum", ctx.key),
                        format!("a quorum of {} out of {parallel} parallel calls can never be met", q.get_ref().0),
                    )
                    .with_hint(
                        "quorum counts replies awaited among the `parallel` copies; it must not exceed `parallel`",
                    ));
            }
            Some(q) => q.get_ref().0,
            None => parallel,
        };
        let pool = match spec.pool {
            Some(name) => {
                let id = *pool_ids.get(name.get_ref()).ok_or_else(|| {
                    let mut e = self
                        .src
                        .error_at(name.span(), format!("no pool named `{}`", name.get_ref()))
                        .with_key(format!("{}.pool", ctx.key));
                    e.hint = Some(match closest(name.get_ref(), pool_ids.keys().map(String::as_str)) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("define it: [pools.{}] with size = 20", name.get_ref()),
                    });
                    e
                })?;
                if let Some(per) = pools[id as usize].per
                    && per != ctx.service
                {
                    return Err(self
                        .err(name.span(), format!("{}.pool", ctx.key), format!("pool `{}` belongs to the instances of another service", name.get_ref()))
                        .with_hint("a pool with `per = \"svc\"` is used by calls that service makes; drop `per` for a shared pool"));
                }
                id
            }
            None => NONE,
        };
        edges.push(Edge {
            from: ctx.op_id,
            to: op,
            weight: ctx.probability * f64::from(count) * f64::from(parallel),
            span: ctx.span.clone(),
            items: f64::from(spec.batch.map_or(1, |b| b.0)),
            sync: true,
            key: format!("{}.call", ctx.key),
        });
        let (latency, latency_stream) = match spec.latency.as_ref().map(|d| &d.0).or(self.network.latency.as_ref()) {
            Some(d) if d.mean() > 0.0 => {
                let mut latencies = self.latencies.borrow_mut();
                latencies.push(d.clone());
                ((latencies.len() - 1) as u32, self.stream(format!("latency:{}", ctx.key)))
            }
            _ => (NONE, NONE),
        };
        let bytes = spec.response_size.map_or(0.0, |b| b.0);
        let transfer = bytes / self.network.bandwidth;
        let batch = spec.batch.map_or(1, |b| b.0);
        let retry = match spec.retry {
            Some(r) => {
                let cfg = r.get_ref();
                let stream = self.stream(format!("retry:{}", ctx.key));
                let mut retries = self.retries.borrow_mut();
                retries.push(Retry {
                    attempts: cfg.attempts.0,
                    backoff: cfg.backoff.0,
                    factor: cfg.factor.0,
                    cap: cfg.cap.map_or(f64::INFINITY, |c| c.0),
                    jitter: cfg.jitter,
                    budget: cfg.budget.map(|b| b.0),
                    honor_retry_after: cfg.honor_retry_after,
                    stream,
                });
                (retries.len() - 1) as u32
            }
            None => NONE,
        };
        let breaker = match spec.breaker {
            Some(b) => {
                let cfg = b.get_ref();
                let mut breakers = self.breakers.borrow_mut();
                breakers.push(Breaker {
                    failure_rate: cfg.failure_rate.0,
                    window: cfg.window.0,
                    min_calls: cfg.min_calls.0,
                    open_for: cfg.open_for.0,
                    fallback: cfg.fallback,
                });
                (breakers.len() - 1) as u32
            }
            None => NONE,
        };
        let timeout = spec.timeout.map_or(0.0, |t| t.0);
        let guard = if timeout > 0.0 || retry != NONE || breaker != NONE {
            // Named once every op exists (see `name_guarded`).
            let mut guarded = self.guarded.borrow_mut();
            guarded.push(Guarded { name: String::new(), caller: ctx.op_id, call: calls.len() as u32 });
            (guarded.len() - 1) as u32
        } else {
            NONE
        };
        calls.push(Call {
            op,
            count,
            parallel,
            quorum,
            batch,
            timeout,
            retry,
            breaker,
            guard,
            pool,
            latency,
            latency_stream,
            bytes,
            transfer,
        });
        Ok(Action::Call { call: (calls.len() - 1) as u32 })
    }

    fn settings(&self, sim: &config::SimulationConfig) -> Result<Settings, ModelError> {
        if sim.duration.is_none() && sim.requests.is_none() {
            return Err(ModelError::new(&self.src.file, "the model does not say how long to simulate")
                .with_key("simulation.duration")
                .with_hint("add duration = \"10m\" (simulated time) or requests = 1000000 under [simulation]"));
        }
        if let Some(d) = sim.duration
            && d.0 <= 0.0
        {
            return Err(
                ModelError::new(&self.src.file, "the duration must be positive").with_key("simulation.duration")
            );
        }
        // The clock counts nanoseconds in a u64: it ends after about 584 years.
        let end = sim.warmup.seconds() + sim.duration.map_or(0.0, |d| d.0);
        if end * 1e9 >= u64::MAX as f64 {
            let key =
                if sim.warmup.seconds() * 1e9 >= u64::MAX as f64 { "simulation.warmup" } else { "simulation.duration" };
            return Err(ModelError::new(
                &self.src.file,
                format!(
                    "warm-up and duration add up to {:.3e} years, beyond the clock's range of 584 years (u64 nanoseconds)",
                    end / (365.0 * 86400.0)
                ),
            )
            .with_key(key));
        }
        if let Some(interval) = sim.series {
            let intervals = end / interval.0;
            if interval.0 < 1e-3 || intervals > MAX_SERIES_INTERVALS {
                return Err(ModelError::new(
                    &self.src.file,
                    format!(
                        "a series interval of {} gives {intervals:.3e} intervals; it must be at least 1 ms and give at most {MAX_SERIES_INTERVALS:.0}",
                        crate::units::format_duration(interval.0)
                    ),
                )
                .with_key("simulation.series"));
            }
        }
        Ok(Settings {
            duration: sim.duration.map(|d| d.0),
            requests: sim.requests.map(|r| r.0),
            warmup: sim.warmup.seconds(),
            seed: sim.seed,
            replications: sim.replications.0,
            max_in_flight: sim.max_in_flight.0,
            series: sim.series.map(|s| s.0),
            warmup_auto: sim.warmup == crate::config::Warmup::Auto,
            max_events: sim.max_events.map(|m| m.0),
            max_wall: sim.max_wall.map(|m| m.0),
        })
    }

    fn classes(
        &self,
        file: &ModelFile,
        settings: &Settings,
        resolve: &dyn Fn(&OpRef) -> Result<u32, ModelError>,
    ) -> Result<Vec<Class>, ModelError> {
        if file.workload.is_empty() {
            return Err(ModelError::new(&self.src.file, "the model has no request class")
                .with_key("workload")
                .with_hint(
                    "add a [workload.NAME] table with target = \"service.op\" and rate = \"100/s\" (or users = 50)",
                ));
        }
        let mut classes = Vec::new();
        let mut total_clients = 0u64;
        for (cname, w_spanned) in &file.workload {
            let w = w_spanned.get_ref();
            let key = format!("workload.{cname}");
            let target = resolve(&OpRef { name: &w.target, key: format!("{key}.target") })?;
            let kinds = [w.rate.is_some(), w.interarrival.is_some(), w.users.is_some(), w.trace.is_some()];
            if kinds.iter().filter(|&&b| b).count() != 1 {
                return Err(self
                    .err(w_spanned.span(), key, "a class needs exactly one of `rate`, `interarrival`, `users` or `trace`")
                    .with_hint("open traffic: rate = \"100/s\"; any renewal process: interarrival = \"const(10ms)\"; closed loop: users = 50 and think = \"exp(1s)\"; replay: trace = \"arrivals.csv\""));
            }
            if (w.profile.is_some() || w.bursts.is_some()) && (w.rate.is_none() || w.process != ArrivalProcess::Poisson)
            {
                return Err(self
                    .err(w_spanned.span(), key, "`profile` and `bursts` vary the rate of Poisson traffic")
                    .with_hint("give the class a `rate` (and no `process`, or process = \"poisson\")"));
            }
            if w.think.is_some() && w.users.is_none() {
                return Err(self.err(w_spanned.span(), key, "`think` applies to closed classes (with `users`) only"));
            }
            if w.process != ArrivalProcess::Poisson && w.rate.is_none() {
                return Err(self.err(w_spanned.span(), key, "`process` applies to classes with a `rate` only"));
            }
            let source = if let Some(users) = w.users {
                let think = w
                    .think
                    .as_ref()
                    .map_or_else(|| Dist::constant(0.0).expect("zero is a valid constant"), |t| t.0.clone());
                // A request can fail at once (a full queue, the in-flight cap): its
                // user would then retry at the same instant, forever.
                if users > 0 && think.mean() < CLOCK_RESOLUTION_S {
                    return Err(self
                        .err(
                            w_spanned.span(),
                            format!("{key}.think"),
                            "a closed class needs a think time of at least 1 ns on average: without one, \
                             a user whose request fails at once retries at the same instant, forever",
                        )
                        .with_hint(
                            "add e.g. think = \"exp(1s)\"; for users that send back to back, think = \"const(1ns)\"",
                        ));
                }
                if users > 0 && !moves_the_clock(&think) {
                    return Err(self
                        .err(w_spanned.span(), format!("{key}.think"), stuck_clock("a think time", &think))
                        .with_hint(EXTREME_HINT));
                }
                Arrivals::Closed { users, think }
            } else if let Some(rate) = w.rate {
                let interarrival = if rate.0 == 0.0 {
                    None
                } else {
                    let mean = 1.0 / rate.0;
                    if mean < CLOCK_RESOLUTION_S {
                        return Err(self
                            .err(
                                w_spanned.span(),
                                format!("{key}.rate"),
                                format!("{}/s is faster than the simulation clock, which ticks in nanoseconds", rate.0),
                            )
                            .with_hint("a rate can be at most 1e9/s (one arrival per nanosecond)"));
                    }
                    Some(
                        match w.process {
                            ArrivalProcess::Poisson => Dist::exponential(mean),
                            ArrivalProcess::Deterministic => Dist::constant(mean),
                        }
                        .map_err(|e| self.err(w_spanned.span(), format!("{key}.rate"), e.to_string()))?,
                    )
                };
                Arrivals::Open { interarrival }
            } else if w.trace.is_some() {
                Arrivals::Open { interarrival: None }
            } else {
                let d = w.interarrival.as_ref().expect("one kind is set").0.clone();
                if d.mean() < CLOCK_RESOLUTION_S {
                    return Err(self.err(
                        w_spanned.span(),
                        format!("{key}.interarrival"),
                        "the mean inter-arrival time must be positive, and at least the clock's resolution of 1 ns",
                    ));
                }
                if !moves_the_clock(&d) {
                    return Err(self
                        .err(w_spanned.span(), format!("{key}.interarrival"), stuck_clock("an inter-arrival time", &d))
                        .with_hint(EXTREME_HINT));
                }
                Arrivals::Open { interarrival: Some(d) }
            };
            // Per-client rate limits keep a token bucket for every client of every class.
            total_clients += u64::from(w.clients.map_or(1, |c| c.0));
            if total_clients > 10_000_000 {
                return Err(self.err(
                    w_spanned.span(),
                    format!("{key}.clients"),
                    "at most 10 million clients over all classes (memory grows with clients)",
                ));
            }
            let stream = self.stream(format!("arrivals:{cname}"));
            let modulation = self.modulation(w, &key, cname, settings)?;
            let (source, trace) = match &w.trace {
                Some(path) => (Arrivals::Open { interarrival: None }, Some(self.trace(path, &format!("{key}.trace"))?)),
                None => match &modulation {
                    Some(m) if m.peak > 0.0 => (
                        Arrivals::Open {
                            interarrival: Some(
                                Dist::exponential(1.0 / m.peak)
                                    .map_err(|e| self.err(w_spanned.span(), format!("{key}.rate"), e.to_string()))?,
                            ),
                        },
                        None,
                    ),
                    Some(_) => (Arrivals::Open { interarrival: None }, None),
                    None => (source, None),
                },
            };
            classes.push(Class {
                name: cname.clone(),
                target,
                arrivals: source,
                stream,
                priority: w.priority,
                clients: w.clients.map_or(1, |c| c.0),
                client_stream: self.stream(format!("clients:{cname}")),
                polling: false,
                modulation,
                trace,
            });
        }
        Ok(classes)
    }

    /// The rate curve and bursts of a class, if it has either.
    fn modulation(
        &self,
        w: &config::WorkloadConfig,
        key: &str,
        name: &str,
        settings: &Settings,
    ) -> Result<Option<Modulation>, ModelError> {
        if w.profile.is_none() && w.bursts.is_none() {
            return Ok(None);
        }
        let rate = w.rate.map_or(0.0, |r| r.0);
        let profile = match &w.profile {
            Some(p) => {
                let cfg = p.get_ref();
                let points: Vec<(f64, f64)> = cfg.points.iter().map(|(t, f)| (t.0, f.0)).collect();
                let err = |msg: &str| self.err(p.span(), format!("{key}.profile.points"), msg.to_string());
                if points.is_empty() {
                    return Err(err("a profile needs at least one [time, factor] point"));
                }
                if points.windows(2).any(|w| w[1].0 <= w[0].0) {
                    return Err(err("profile points must be in increasing time order"));
                }
                if let Some(period) = cfg.period
                    && points.last().is_some_and(|l| l.0 >= period.0)
                {
                    return Err(self.err(
                        p.span(),
                        format!("{key}.profile.period"),
                        "every profile point must lie within the period",
                    ));
                }
                Some(Profile {
                    points,
                    linear: cfg.shape == config::ProfileShape::Linear,
                    period: cfg.period.map(|p| p.0),
                    window: settings.duration.map(|d| (settings.warmup, settings.warmup + d)),
                })
            }
            None => None,
        };
        let bursts = w.bursts.as_ref().map(|b| {
            let cfg = b.get_ref();
            Bursts {
                factor: cfg.factor.0,
                every: cfg.every.0.clone(),
                lasting: cfg.lasting.0.clone(),
                stream: self.stream(format!("bursts:{name}")),
            }
        });
        let peak =
            rate * profile.as_ref().map_or(1.0, Profile::peak) * bursts.as_ref().map_or(1.0, |b| b.factor.max(1.0));
        // Candidates come at the peak rate: beyond one a nanosecond the clock could not move.
        if peak > 1e9 {
            let span = w.profile.as_ref().map_or_else(|| w.bursts.as_ref().expect("one is set").span(), |p| p.span());
            return Err(self
                .err(
                    span,
                    format!("{key}.rate"),
                    format!("the peak rate is {peak:.3e}/s: more than a billion requests per second"),
                )
                .with_hint("check the profile factors and burst factor: the peak is rate x largest factor"));
        }
        Ok(Some(Modulation { rate, profile, bursts, peak }))
    }

    /// Reads a trace of arrival times: one number of seconds per line, a header allowed.
    fn trace(&self, path: &Spanned<String>, key: &str) -> Result<std::sync::Arc<Vec<f64>>, ModelError> {
        let base = std::path::Path::new(&self.src.file).parent().unwrap_or(std::path::Path::new("."));
        let file = base.join(path.get_ref());
        let text = std::fs::read_to_string(&file).map_err(|e| {
            self.err(path.span(), key.to_string(), format!("cannot read the trace `{}`: {e}", file.display()))
        })?;
        let mut times = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let field = line.split(',').next().unwrap_or("").trim();
            if field.is_empty() {
                continue;
            }
            match field.parse::<f64>() {
                Ok(t) if t.is_finite() && t >= 0.0 && times.last().is_none_or(|&l| t >= l) => times.push(t),
                Ok(_) => {
                    return Err(ModelError::new(
                        &file.display().to_string(),
                        format!("line {}: arrival times must be non-negative, finite and in order", i + 1),
                    )
                    .with_key(key.to_string()));
                }
                // A header line.
                Err(_) if times.is_empty() && i == 0 => {}
                Err(_) => {
                    return Err(ModelError::new(
                        &file.display().to_string(),
                        format!("line {}: `{field}` is not a number of seconds", i + 1),
                    )
                    .with_key(key.to_string()));
                }
            }
        }
        if times.is_empty() {
            return Err(self.err(path.span(), key.to_string(), "the trace has no arrival times"));
        }
        Ok(std::sync::Arc::new(times))
    }
}

/// The simulation clock's resolution \[s\]: time is kept in integer nanoseconds.
const CLOCK_RESOLUTION_S: f64 = 1e-9;

/// Draws that [`moves_the_clock`] looks at.
const CLOCK_DRAWS: usize = 100_000;

/// Whether the gaps a renewal process draws from `d` ever reach the clock's
/// tick. With extreme parameters (gamma with cv = 1e9, Weibull with shape
/// 0.01) a distribution can have a sensible mean that rests on draws rarer
/// than one in billions, all others rounding to 0 ns: its arrivals would pile
/// up at one instant and the run would never end. The draws use a fixed
/// stream, so the verdict is the same every time.
fn moves_the_clock(d: &Dist) -> bool {
    let mut rng = crate::rng::stream(0, "clock check");
    (0..CLOCK_DRAWS).any(|_| d.sample(&mut rng) >= CLOCK_RESOLUTION_S / 2.0)
}

fn stuck_clock(what: &str, d: &Dist) -> String {
    format!(
        "{d} almost never draws {what} of a nanosecond or more (none of {CLOCK_DRAWS} draws did), \
         though its mean is {}: arrivals would pile up at one instant",
        crate::units::format_duration(d.mean())
    )
}

const EXTREME_HINT: &str = "use less extreme parameters (a smaller cv, a larger shape or alpha)";
