//! The model file as written: serde types for the TOML model language
//! (here), the quantities its values are written in (`quantities`), and the
//! text with its `--set` overrides and located parse errors (`source`).
//!
//! Values are checked as far as one key can be checked on its own (units,
//! ranges, distribution syntax) while deserializing, so that toml attaches the
//! exact location. Checks that span several keys (an operation that does not
//! exist, probabilities that must sum to one) live in [`crate::model`], which
//! uses the [`Spanned`] positions kept here.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use toml::Spanned;

use crate::policy::{ArrivalProcess, Balance, Concurrency, Discipline, Jitter, LimitScope, ScaleMetric, WritePolicy};
use crate::units;

mod hedge;
mod hpa;
mod platform;
mod quantities;
mod recovery;
mod serverless;
mod source;

pub use hedge::{HedgeAfter, HedgeConfig};
pub use hpa::{HpaConfig, HpaPolicyConfig, HpaRulesConfig};
pub use platform::{CpuQuantity, PausesConfig};
use quantities::Text;
pub use quantities::{
    Bandwidth, Bytes, DistSpec, NonNegativeF64, Positive, PositiveF64, PositiveSeconds, Probability, Rate, Seconds,
    Threads,
};
pub use recovery::RecoveryConfig;
pub use serverless::ServerlessConfig;
pub use source::Source;

/// The whole model file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// An instance catalogue file, relative to the model (default: the built-in one).
    pub catalog: Option<Spanned<String>>,
    /// Run length, warm-up, seed and replications.
    #[serde(default)]
    pub simulation: SimulationConfig,
    /// Request classes by name, in file order.
    #[serde(default)]
    pub workload: IndexMap<String, Spanned<WorkloadConfig>>,
    /// Services by name, in file order.
    #[serde(default)]
    pub services: IndexMap<String, Spanned<ServiceConfig>>,
    /// Connection pools by name.
    #[serde(default)]
    pub pools: IndexMap<String, Spanned<PoolConfig>>,
    /// Defaults for calls over the network.
    #[serde(default)]
    pub network: NetworkConfig,
    /// Keyed caches by name.
    #[serde(default)]
    pub caches: IndexMap<String, Spanned<CacheConfig>>,
    /// Replicated databases (a primary and read replicas) by name.
    #[serde(default)]
    pub databases: IndexMap<String, Spanned<DatabaseConfig>>,
    /// Message queues (brokers) by name.
    #[serde(default)]
    pub queues: IndexMap<String, Spanned<QueueConfig>>,
}

/// `[queues.NAME]`: a broker queue whose messages a consumer service takes in order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// The operation run for each message; its service's threads on all instances are the consumers.
    pub consumer: Spanned<String>,
    /// Messages that may wait; publishing to a full queue fails (default: unlimited).
    pub capacity: Option<Positive<u32>>,
}

/// `poll = { ... }` on a publish step: the client polls a status operation until the message is done.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    /// The status operation each poll calls, e.g. "api.status".
    pub op: Spanned<String>,
    /// Wait before the first poll (after the publish).
    pub first: PositiveSeconds,
    /// Each further poll waits this many times longer.
    #[serde(default = "factor_one")]
    pub factor: PositiveF64,
    /// Longest wait between polls (default: no cap).
    pub cap: Option<Seconds>,
}

/// `[databases.NAME]`: data written on a primary and read from replicas that
/// apply each write after a replication lag.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Distinct rows (keys) read and written.
    pub keys: Positive<u32>,
    /// Zipf exponent of key popularity (0: uniform).
    #[serde(default)]
    pub zipf: NonNegativeF64,
    /// Time until a write reaches the replicas.
    pub lag: DistSpec,
    /// The operation that serves reads, on the replica service (its instances are the replicas).
    pub read: Spanned<String>,
    /// The operation that takes writes, on the primary.
    pub write: Spanned<String>,
    /// An operation on the primary that serves reads too: reads are then
    /// spread over the primary and the replicas (default: replicas only).
    pub primary_read: Option<Spanned<String>>,
    /// With `primary_read`: the fraction of reads sent to the primary (default:
    /// each read goes to the least loaded of the primary and the replicas).
    pub primary_share: Option<Spanned<Probability>>,
}

/// `[caches.NAME]`: a keyed cache with a key population, TTL expiry and a write policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Distinct keys requested.
    pub keys: Positive<u32>,
    /// Zipf exponent of key popularity (0: uniform).
    #[serde(default)]
    pub zipf: NonNegativeF64,
    /// Time an entry lives after it is filled.
    pub ttl: Seconds,
    /// The cache server's lookup operation (called for every read), e.g. "redis.get".
    pub lookup: Spanned<String>,
    /// What a write does to the cached entry.
    #[serde(default)]
    pub on_write: WritePolicy,
}

/// `[network]`: defaults for every call.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Round-trip latency of a call (default: none).
    pub latency: Option<DistSpec>,
    /// Link bandwidth for payload transfer (default: 1Gbps).
    pub bandwidth: Option<Bandwidth>,
}

/// `[pools.NAME]`: a counted resource held around calls (a database connection pool).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Connections in the pool.
    pub size: Positive<u32>,
    /// One pool per instance of this service (default: one pool shared by all).
    pub per: Option<Spanned<String>>,
    /// Longest wait for a connection before the request fails (default: wait forever; "0s": never wait).
    pub wait_timeout: Option<Seconds>,
}

/// `[simulation]`: how long to simulate and how often.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Simulated time observed after the warm-up.
    pub duration: Option<Seconds>,
    /// Alternatively: stop after this many requests completed after the warm-up.
    pub requests: Option<Positive<u64>>,
    /// Simulated time whose observations are discarded, or `"auto"` (MSER-5).
    #[serde(default)]
    pub warmup: Warmup,
    /// Master seed; every random stream derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Independent replications (different streams, same model).
    #[serde(default = "default_replications")]
    pub replications: Positive<u32>,
    /// Most requests in flight at once; arrivals beyond it fail (bounded memory).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: Positive<u32>,
    /// Record a time series with one row per this interval (e.g. "10s").
    pub series: Option<PositiveSeconds>,
    /// Stop a replication (as failed) after this many events.
    pub max_events: Option<Positive<u64>>,
    /// Stop a replication (as failed) after this much wall-clock time.
    pub max_wall: Option<PositiveSeconds>,
    /// Whether and how fast the run recovers after a trigger ends.
    pub recovery: Option<Spanned<RecoveryConfig>>,
}

/// `simulation.warmup`: a duration, or `"auto"`: chosen by MSER-5 from a pilot run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warmup {
    /// Discard this much simulated time \[s\].
    Fixed(Seconds),
    /// Truncate where MSER-5 says the response times settle.
    Auto,
}

impl Default for Warmup {
    fn default() -> Self {
        Warmup::Fixed(Seconds(0.0))
    }
}

impl Warmup {
    /// The fixed warm-up \[s\] (0 for `auto`, whose pilot starts observing at once).
    pub fn seconds(self) -> f64 {
        match self {
            Warmup::Fixed(s) => s.0,
            Warmup::Auto => 0.0,
        }
    }
}

impl<'de> Deserialize<'de> for Warmup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        if t.trim() == "auto" {
            return Ok(Warmup::Auto);
        }
        units::parse_duration(&t)
            .map(|s| Warmup::Fixed(Seconds(s)))
            .map_err(|e| de::Error::custom(format!("{e} (or \"auto\": MSER-5 chooses the warm-up)")))
    }
}

fn default_seed() -> u64 {
    1
}
fn default_replications() -> Positive<u32> {
    Positive(1)
}
fn default_max_in_flight() -> Positive<u32> {
    Positive(200_000)
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig {
            duration: None,
            requests: None,
            warmup: Warmup::default(),
            seed: default_seed(),
            replications: default_replications(),
            max_in_flight: default_max_in_flight(),
            series: None,
            max_events: None,
            max_wall: None,
            recovery: None,
        }
    }
}

/// `[workload.NAME]`: one request class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// The operation requests enter at, as `service.operation`.
    pub target: Spanned<String>,
    /// Open class: mean arrival rate.
    pub rate: Option<Rate>,
    /// Open class: how arrivals are spaced at `rate`.
    #[serde(default)]
    pub process: ArrivalProcess,
    /// Open class: any renewal process, by its inter-arrival distribution.
    pub interarrival: Option<DistSpec>,
    /// Closed class: number of users, each sending one request at a time.
    pub users: Option<u32>,
    /// Closed class: think time between a response and the user's next request.
    pub think: Option<DistSpec>,
    /// Queue priority at services with `discipline = "priority"` (0 is served first).
    #[serde(default)]
    pub priority: u8,
    /// Distinct clients the class's requests come from, uniformly (for per-client rate limits).
    pub clients: Option<Positive<u32>>,
    /// Poisson traffic whose rate follows a curve over time: `rate` times the curve's factor.
    pub profile: Option<Spanned<ProfileConfig>>,
    /// Poisson traffic that bursts: `rate` times `factor` during bursts (on-off, MMPP style).
    pub bursts: Option<Spanned<BurstConfig>>,
    /// Replay arrival times from a CSV file (seconds, one per line; relative to the model file).
    pub trace: Option<Spanned<String>>,
}

/// `profile = { ... }`: a rate curve as factors of the class's `rate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// `[time, factor]` points in time order, e.g. `[["0h", 0.2], ["12h", 1.0]]`.
    pub points: Vec<(Seconds, NonNegativeF64)>,
    /// Between points: `linear` interpolation (default) or `steps` (hold until the next point).
    #[serde(default)]
    pub shape: ProfileShape,
    /// Repeat the curve with this period (e.g. "24h"); default: hold the last factor.
    pub period: Option<PositiveSeconds>,
}

/// How a rate curve runs between its points.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileShape {
    /// Straight lines between points.
    #[default]
    Linear,
    /// Each point's factor holds until the next point.
    Steps,
}

/// `bursts = { ... }`: alternating normal and burst periods.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstConfig {
    /// Rate multiplier during a burst.
    pub factor: PositiveF64,
    /// Time between bursts.
    pub every: DistSpec,
    /// Length of a burst.
    pub lasting: DistSpec,
}

/// `autoscale = { ... }` on a service: the "add a server when CPU > 70% for 5 minutes" rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleConfig {
    /// What to hold at `target`.
    #[serde(default)]
    pub metric: ScaleMetric,
    /// Target utilisation (0-1) or mean queue per instance.
    pub target: PositiveF64,
    /// Fewest instances.
    pub min: Positive<u32>,
    /// Most instances.
    pub max: Positive<u32>,
    /// The metric is averaged over this window, and a decision taken at its end.
    pub window: PositiveSeconds,
    /// Time a new instance takes to start serving.
    #[serde(default)]
    pub delay: Seconds,
    /// No decision for this long after a scaling action.
    #[serde(default)]
    pub cooldown: Seconds,
}

/// `failures = { mttf, mttr, detect }` on a service: each instance fails
/// after a sampled time up and comes back after a sampled repair time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureConfig {
    /// Time an instance runs between failures.
    pub mttf: DistSpec,
    /// Time a failed instance takes to come back.
    pub mttr: DistSpec,
    /// Time until the balancer's health check notices a failure and stops
    /// sending work; until then requests sent there fail at once.
    #[serde(default)]
    pub detect: Seconds,
}

/// `retry = { ... }` on a call: how often and how patiently a round is retried.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts in all, the first included.
    pub attempts: Positive<u32>,
    /// Wait before the first retry.
    #[serde(default)]
    pub backoff: Seconds,
    /// Each further retry waits this many times longer.
    #[serde(default = "factor_one")]
    pub factor: PositiveF64,
    /// Longest wait between attempts (default: no cap).
    pub cap: Option<Seconds>,
    /// Randomisation of each wait.
    #[serde(default)]
    pub jitter: Jitter,
    /// Retry budget: retries may add at most this fraction to the calls made (default: unlimited).
    pub budget: Option<NonNegativeF64>,
    /// After a 429, wait at least as long as the limiter's Retry-After.
    #[serde(default)]
    pub honor_retry_after: bool,
}

fn factor_one() -> PositiveF64 {
    PositiveF64(1.0)
}

/// `breaker = { ... }` on a call: closed, open and half-open.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerConfig {
    /// Fraction of failed rounds over the window that opens the breaker.
    pub failure_rate: Probability,
    /// Rolling window the failure rate is measured over.
    pub window: PositiveSeconds,
    /// Rounds in the window before the rate counts.
    #[serde(default = "twenty")]
    pub min_calls: Positive<u32>,
    /// Time the breaker stays open before letting one probe through (half-open).
    pub open_for: PositiveSeconds,
    /// While open: skip the call as if it succeeded (a fallback) instead of failing.
    #[serde(default)]
    pub fallback: bool,
}

fn twenty() -> Positive<u32> {
    Positive(20)
}

/// `rate_limit = { ... }` on a service: a token bucket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Tokens added per second.
    pub rate: Rate,
    /// Bucket size: requests admitted at once after a quiet spell.
    pub burst: Positive<u32>,
    /// One bucket per client (default), per request class, or one for the service.
    #[serde(default)]
    pub per: LimitScope,
}

fn yes() -> bool {
    true
}

/// `[services.NAME]`: a service with identical instances.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// `false` switches the service off (a design without a cache or
    /// replicas): it costs nothing, and nothing may reach it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Identical instances behind the balancer.
    #[serde(default = "one")]
    pub instances: Positive<u32>,
    /// An instance type from the catalogue: sets cores, speed and price (and
    /// threads, one per vCPU) unless given here.
    pub instance_type: Option<Spanned<String>>,
    /// Threads per instance: requests served at once, held across calls
    /// (default: one per vCPU of the instance type, else 1), or "unlimited".
    #[serde(alias = "workers")]
    pub threads: Option<Threads>,
    /// CPU cores per instance, shared by the requests computing (default: the
    /// type's vCPUs, else as many as threads).
    pub cores: Option<Positive<u32>>,
    /// CPU speed relative to the reference machine; demand is divided by it
    /// (default: the type's speed, else 1).
    pub speed: Option<PositiveF64>,
    /// Requests that may wait per instance; beyond it arrivals are rejected.
    pub queue_limit: Option<u32>,
    /// Thread per request (default) or event loop.
    #[serde(default)]
    pub concurrency: Concurrency,
    /// Event loop: requests in flight per instance (default 10000).
    pub max_in_flight: Option<Positive<u32>>,
    /// A token bucket in front of the service (HTTP 429 when empty).
    pub rate_limit: Option<Spanned<RateLimitConfig>>,
    /// Load shedding: reject an arrival whose expected wait for a thread exceeds this.
    pub shed_wait: Option<PositiveSeconds>,
    /// Add and remove instances to hold a target utilisation or queue.
    pub autoscale: Option<Spanned<AutoscaleConfig>>,
    /// A Kubernetes Horizontal Pod Autoscaler (or KEDA queue scaler) instead of `autoscale`.
    pub hpa: Option<Spanned<HpaConfig>>,
    /// Instances started per request, with cold starts and keep-alive (AWS Lambda and the like).
    pub serverless: Option<Spanned<ServerlessConfig>>,
    /// Instances fail and are repaired: time to failure, time to repair, health-check delay.
    pub failures: Option<Spanned<FailureConfig>>,
    /// A CPU limit per instance with CFS quota semantics ("600m"): see `platform`.
    pub cpu_limit: Option<Spanned<CpuQuantity>>,
    /// The CFS period over which `cpu_limit`'s quota is granted (default 100ms).
    pub cpu_period: Option<Spanned<PositiveSeconds>>,
    /// Stop-the-world pauses of each instance (garbage collection).
    pub pauses: Option<Spanned<PausesConfig>>,
    /// Queue order.
    #[serde(default)]
    pub discipline: Discipline,
    /// How requests are spread over instances.
    #[serde(default)]
    pub balance: Balance,
    /// Price of one instance per hour (default: the type's price, else 0).
    pub cost_per_hour: Option<NonNegativeF64>,
    /// Operations by name.
    #[serde(default)]
    pub ops: IndexMap<String, Spanned<OpConfig>>,
}

fn one() -> Positive<u32> {
    Positive(1)
}

/// `[services.S.ops.NAME]`: one operation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpConfig {
    /// CPU work on the reference machine before the steps (default: none).
    pub demand: Option<DistSpec>,
    /// More CPU work per item of a batched call (`batch` on the call).
    pub per_item: Option<DistSpec>,
    /// Probability that the operation fails when it ends (HTTP 500).
    #[serde(default)]
    pub error_rate: Option<Probability>,
    /// What the operation does after its demand, in order.
    #[serde(default)]
    pub steps: Vec<Spanned<StepConfig>>,
}

/// One step of an operation; exactly one of its action keys is set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// Synchronous call to `service.operation`; the thread is held while waiting.
    pub call: Option<Spanned<String>>,
    /// Times the call is made, one after another.
    pub count: Option<Positive<u32>>,
    /// Copies of the call made at once (fork-join fan-out).
    pub parallel: Option<Positive<u32>>,
    /// Replies awaited of the parallel copies (default: all).
    pub quorum: Option<Spanned<Positive<u32>>>,
    /// Items per call: the callee's `per_item` demand is paid this many times.
    pub batch: Option<Positive<u32>>,
    /// The caller gives up on a round after this long; the callee's work goes on (orphaned).
    pub timeout: Option<PositiveSeconds>,
    /// Retries of a failed or timed-out round.
    pub retry: Option<Spanned<RetryConfig>>,
    /// A circuit breaker around the call.
    pub breaker: Option<Spanned<BreakerConfig>>,
    /// A connection pool held around the call (all its repetitions).
    pub pool: Option<Spanned<String>>,
    /// Round-trip network latency of each copy of the call (default: `[network] latency`).
    pub latency: Option<DistSpec>,
    /// Bytes each reply carries; transferred at the network's bandwidth.
    pub response_size: Option<Bytes>,
    /// Hand the request on to `service.operation`, freeing the thread.
    pub forward: Option<Spanned<String>>,
    /// More CPU work at this point.
    pub compute: Option<DistSpec>,
    /// Choose one arm at random by its probability `p`.
    pub branch: Option<Spanned<Vec<Spanned<ArmConfig>>>>,
    /// Read through a keyed cache: look the key up, call `miss` on a miss, then fill.
    pub cache: Option<Spanned<String>>,
    /// The backing operation called on a cache miss.
    pub miss: Option<Spanned<String>>,
    /// Write a key of a cache (its `on_write` policy applies) or of a database (on its primary).
    pub write: Option<Spanned<String>>,
    /// Read a key of a database from a replica.
    pub read: Option<Spanned<String>>,
    /// Publish a message to a queue and go on at once (the client gets HTTP 202).
    pub publish: Option<Spanned<String>>,
    /// With `publish`: the client polls for the message's completion.
    pub poll: Option<Spanned<PollConfig>>,
    /// Run another operation of the same service inline (its demand, then its
    /// steps) on this thread: no queue, no network.
    #[serde(rename = "do")]
    pub run: Option<Spanned<String>>,
    /// With `call`: a second copy to another instance if the first is slow; the first reply wins.
    pub hedge: Option<Spanned<HedgeConfig>>,
}

/// One arm of a branch: a probability and at most one action (none: continue).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmConfig {
    /// Probability of this arm.
    pub p: Probability,
    /// Synchronous call.
    pub call: Option<Spanned<String>>,
    /// Times the call is made.
    pub count: Option<Positive<u32>>,
    /// Copies of the call made at once.
    pub parallel: Option<Positive<u32>>,
    /// Replies awaited of the parallel copies.
    pub quorum: Option<Spanned<Positive<u32>>>,
    /// Items per call (the callee's `per_item` demand is paid this many times).
    pub batch: Option<Positive<u32>>,
    /// The caller gives up on a round after this long.
    pub timeout: Option<PositiveSeconds>,
    /// Retries of a failed or timed-out round.
    pub retry: Option<Spanned<RetryConfig>>,
    /// A circuit breaker around the call.
    pub breaker: Option<Spanned<BreakerConfig>>,
    /// A connection pool held around the call.
    pub pool: Option<Spanned<String>>,
    /// Round-trip network latency of each copy of the call (default: `[network] latency`).
    pub latency: Option<DistSpec>,
    /// Bytes each reply carries; transferred at the network's bandwidth.
    pub response_size: Option<Bytes>,
    /// Forward instead of calling.
    pub forward: Option<Spanned<String>>,
    /// Several steps, run in order when the arm is chosen (instead of one `call` or `forward`).
    pub steps: Option<Spanned<Vec<Spanned<StepConfig>>>>,
    /// Run another operation of the same service inline when the arm is chosen.
    #[serde(rename = "do")]
    pub run: Option<Spanned<String>>,
}
