//! Validation and compilation of a parsed model into a flat, index-based
//! [`Network`]: services, operations, steps and request classes as `u32` ids
//! in `Vec`s. Nothing after this point sees a name on the hot path.
//!
//! This is also where cross-key mistakes are caught (a call to an operation
//! that does not exist, branch probabilities that do not sum to one, a call
//! cycle that never ends), each reported at the line of the offending key.
//!
//! One file per part of the job:
//!
//! - `mod.rs` (here): the network types the kernel and the analyses read
//!   ([`Network`], [`Service`], [`Op`], [`Step`], [`Call`], [`Class`], ...)
//!   with their small derived quantities, and the entry points [`compile`],
//!   [`load`] and [`from_str`].
//! - `compile.rs`: the compiler and its passes in order (settings,
//!   catalogue, op ids, services and ops, finish).
//! - `components.rs`: pools, caches, databases and queues, and the name
//!   lookups steps make.
//! - `steps.rs`: one function per kind of step, and call sites.
//! - `blocks.rs`: arms with steps and operations run inline (`do`), as
//!   blocks of the op's flat program.
//! - `workload.rs`: request classes (open, closed, modulated, replayed,
//!   polling) and the checks that keep the clock moving.
//! - `graph.rs`: the call graph's traffic equations, cycles, offered load
//!   and saturation warnings.

use std::ops::Range;

use crate::config::Source;
use crate::dist::Dist;
use crate::error::ModelError;
use crate::policy::{self, Balance, Discipline, Jitter, LimitScope};

mod blocks;
mod classes;
mod compile;
mod components;
mod graph;
mod hedge;
mod hpa;
mod platform;
mod recovery;
mod serverless;
mod steps;
mod workload;

pub use classes::{Arrivals, Bursts, Class, Modulation, Profile};
use compile::Compiler;
pub(crate) use graph::DEADLOCK_WARNING;
pub use graph::offered_cpu_load;
pub use hedge::Hedge;
pub use hpa::{Hpa, ScalingPolicy, ScalingRules};
pub use platform::{CpuLimit, DEFAULT_CPU_PERIOD, Pauses};
pub use recovery::Recovery;
pub use serverless::Serverless;

/// No parent: the job is the request itself.
pub const NONE: u32 = u32::MAX;

/// Threads (or cores) of a station without a limit: `threads = "unlimited"`,
/// `discipline = "ps"`, or the cores of a pure delay station.
pub const UNLIMITED: u32 = u32::MAX;

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
    /// Expected runs of each step per visit of its op (1 for an op's own
    /// steps; an arm's probability, times those of the arms around it, inside arms).
    pub reach: Vec<f64>,
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
    /// Hedged call sites' options (`Call::hedge` points here).
    pub hedges: Vec<Hedge>,
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
    /// The recovery question after a trigger, if asked.
    pub recovery: Option<Recovery>,
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
    /// A CPU limit with CFS quota semantics, per instance.
    pub cpu_limit: Option<CpuLimit>,
    /// Stop-the-world pauses of each instance.
    pub pauses: Option<Pauses>,
    /// Instances started per request (`serverless`).
    pub serverless: Option<Serverless>,
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
    /// Kubernetes' HPA rules (`hpa`); `None` for `autoscale`.
    pub hpa: Option<Hpa>,
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

impl Service {
    /// True when every thread can compute at full speed at once, so CPU work
    /// needs no processor sharing.
    pub fn dedicated_cores(&self) -> bool {
        self.threads <= self.cores
    }

    /// Cores per instance its threads can keep busy: see [`usable_cores`].
    pub fn usable_cores(&self) -> u32 {
        usable_cores(self.threads, self.cores)
    }

    /// True for a delay (infinite-server) station: no thread limit and no
    /// cores to share, so every request is served at once at full speed.
    pub fn is_delay(&self) -> bool {
        self.threads == UNLIMITED && self.cores == UNLIMITED
    }
}

/// Cores per instance that `threads` threads (or an event loop's in-flight
/// requests) can keep busy at once: `min(threads, cores)`. A single-threaded
/// server on two cores can use one. Utilisation everywhere (the kernel's
/// series and autoscaler, per-run metrics, theory) is busy time over this
/// capacity; the share of all paid cores is reported apart, for cost.
pub fn usable_cores(threads: u32, cores: u32) -> u32 {
    threads.min(cores)
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
    /// The op's program in `Network::steps`: its own steps, then (if it has
    /// any) a placeholder at `main_end` and the blocks of its arms and
    /// inlined operations (see [`Step::Jump`]).
    pub steps: Range<u32>,
    /// Where its own steps end: reaching it ends the op.
    pub main_end: u32,
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

    /// Whether requests of `class` can publish messages (in their own
    /// operations, their calls' or their messages' consumers'): they then
    /// have a completion latency beside their reply latency.
    pub fn publishes(&self, class: usize) -> bool {
        self.publish_polls(class).next().is_some()
    }

    /// Whether a publish of `class` has a polling client: its requests then
    /// have a seen-done latency.
    pub fn polls_for(&self, class: usize) -> bool {
        self.publish_polls(class).any(|poll| poll != NONE)
    }

    /// The `poll` of every publish step that requests of `class` can reach.
    fn publish_polls(&self, class: usize) -> impl Iterator<Item = u32> + '_ {
        self.ops
            .iter()
            .zip(&self.visits[class])
            .filter(|(_, v)| **v > 0.0)
            .flat_map(|(op, _)| &self.steps[op.steps.start as usize..op.steps.end as usize])
            .filter_map(|s| match s {
                Step::Publish { poll, .. } => Some(*poll),
                _ => None,
            })
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
    /// Go on at another step of the op's program (an arm's or an inlined op's block ends so).
    Jump {
        /// Program counter (relative to the op's first step).
        to: u16,
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
    /// Run the block at this program counter (an arm with `steps` or `do`).
    Goto {
        /// Program counter (relative to the op's first step).
        pc: u16,
    },
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
    /// Hedge options (index into `Network::hedges`), or `NONE`.
    pub hedge: u32,
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
    /// The steady-state hit ratio TTL theory expects from the open workload's
    /// reads and writes ([`crate::theory::ttl_hit_ratio`]); `None` when no open
    /// class reads it. The traffic equations send `1 -` this of its reads
    /// down the miss path (every read, when `None`).
    pub expected_hit_ratio: Option<f64>,
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
    /// The primary's read op, or `NONE`: reads go to the replicas only.
    pub primary_read_op: u32,
    /// The fixed fraction of reads the primary serves, or `None`: each read
    /// goes to the least loaded of the primary and the replicas.
    pub primary_share: Option<f64>,
    /// Stream for the fixed split's draws, or `NONE`.
    pub split_stream: u32,
    /// The fraction of reads the traffic equations send to the primary.
    pub expected_primary_share: f64,
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

/// Parses and compiles a model source.
pub fn compile(source: &Source) -> Result<Network, ModelError> {
    let file = source.parse()?;
    Compiler::new(source, &file).compile(&file)
}

/// Reads, overrides, parses and compiles a model file. An error that an
/// override brought in names that `--set` argument, not a line of the file
/// (the line may not even exist there: an override can add a key).
pub fn load(path: &std::path::Path, overrides: &[String]) -> Result<Network, ModelError> {
    let base = Source::read(path)?;
    let mut source = base.clone();
    source.apply_overrides(overrides)?;
    compile(&source).map_err(|err| blame_override(&base, overrides, err))
}

/// Names the override that caused `err`, when the file without overrides
/// does not fail the same way: the first override after which it does.
fn blame_override(base: &Source, overrides: &[String], err: ModelError) -> ModelError {
    if overrides.is_empty() || compile(base).is_err_and(|e| e.message == err.message) {
        return err;
    }
    for k in 1..=overrides.len() {
        let mut partial = base.clone();
        let fails_so = partial.apply_overrides(&overrides[..k]).is_ok()
            && compile(&partial).is_err_and(|e| e.message == err.message);
        if fails_so {
            let place = err.key.as_ref().map(|key| format!("in `{key}`: ")).unwrap_or_default();
            let mut blamed = ModelError::new(&base.file, format!("{place}{}", err.message))
                .with_key(format!("--set {}", overrides[k - 1]));
            blamed.hint = err.hint.map(|h| h.replace("listed above", "listed in this message"));
            return blamed;
        }
    }
    err
}

/// Parses and compiles model text (for tests and embedding).
pub fn from_str(text: &str) -> Result<Network, ModelError> {
    compile(&Source { file: "<model>".into(), text: text.into() })
}
