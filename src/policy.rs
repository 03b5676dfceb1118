//! The shared vocabulary: closed sets of policies that the model file names,
//! the compiled model holds and the kernel acts on (balancing, queue
//! discipline, concurrency, rate-limit scope, cache write policy, autoscaling
//! metric, retry jitter, arrival process).
//!
//! This is a leaf: it imports nothing of capsim's, so `config`, `model`,
//! `analysis` and `kernel` share it without the kernel depending on the
//! file format. A new balancing policy starts here (its name in the file),
//! then `kernel/mod.rs`'s balancer and `analysis.rs`'s estimate.

use serde::Deserialize;

/// What a write does to a key's cached entry.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicy {
    /// Cache-aside: the entry is deleted; the next read misses.
    #[default]
    Invalidate,
    /// Write-through: the entry is updated with the new value.
    Update,
    /// Nothing: the entry stays until its TTL, and reads of it are stale.
    Ignore,
}

/// How a service's instances hold their workers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Concurrency {
    /// A thread per request, held while the request waits for its calls.
    #[default]
    ThreadPerRequest,
    /// An event loop: up to `max_in_flight` requests at once per instance, none
    /// holding a thread while it waits; their CPU work shares the cores.
    EventLoop,
}

/// What an autoscaler watches.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleMetric {
    /// CPU utilisation of the active instances.
    #[default]
    Utilisation,
    /// Requests waiting for a thread, per active instance.
    Queue,
}

/// What a Horizontal Pod Autoscaler (`hpa`) holds at its target.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HpaMetric {
    /// CPU utilisation of the ready pods' cores over the sync period (a `Resource` metric).
    #[default]
    Utilisation,
    /// Messages waiting in the queue the service consumes, per replica (KEDA's queue scaler).
    Backlog,
}

/// Which of an HPA's scaling policies limits a change (`selectPolicy`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HpaSelect {
    /// The policy that allows the largest change.
    #[default]
    Max,
    /// The policy that allows the smallest change.
    Min,
    /// No change in this direction.
    Disabled,
}

/// What must come back after a trigger (`simulation.recovery`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryMetric {
    /// Successful requests per second, at least (1 - within) of the baseline.
    #[default]
    Goodput,
    /// The 99th percentile latency, at most (1 + within) of the baseline.
    P99,
}

/// How a retry's wait is randomised.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Exactly the backoff.
    None,
    /// Uniform between zero and the backoff ("full jitter").
    #[default]
    Full,
    /// Half the backoff plus uniform up to the other half.
    Equal,
}

/// Whose requests share a token bucket.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitScope {
    /// Each client of each class.
    #[default]
    Client,
    /// Each request class.
    Class,
    /// Everyone.
    Service,
}

/// How an open class spaces its arrivals.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalProcess {
    /// Exponential inter-arrival times.
    #[default]
    Poisson,
    /// Exactly 1/rate apart.
    Deterministic,
}

/// Order in which waiting requests get a thread.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    /// First come, first served.
    #[default]
    Fifo,
    /// Lower workload `priority` first (non-preemptive), FIFO within a priority.
    Priority,
    /// As `Priority`, and an arrival that finds every thread busy takes the
    /// thread of a lower-priority request that is computing; that request
    /// waits at the head of its priority and resumes its work where it stopped.
    PriorityPreemptive,
    /// Processor sharing: no thread limit; every request in service shares
    /// the cores equally.
    Ps,
}

impl Discipline {
    /// The discipline as a model file writes it (`discipline = "ps"`).
    pub fn key(self) -> &'static str {
        match self {
            Discipline::Fifo => "fifo",
            Discipline::Priority => "priority",
            Discipline::PriorityPreemptive => "priority_preemptive",
            Discipline::Ps => "ps",
        }
    }

    /// Whether waiting requests are ordered by their class's priority.
    pub fn by_priority(self) -> bool {
        matches!(self, Discipline::Priority | Discipline::PriorityPreemptive)
    }
}

/// Balancing policy across a service's instances.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// Each instance in turn.
    #[default]
    RoundRobin,
    /// A uniformly random instance.
    Random,
    /// The instance with the fewest requests (in service plus waiting).
    LeastConnections,
    /// Two random instances; the one with fewer requests.
    PowerOfTwo,
    /// The instance with the fewest waiting requests (ties: fewest in service).
    JoinShortestQueue,
}

impl Balance {
    /// The policy as a model file writes it (`balance = "power_of_two"`).
    pub fn key(self) -> &'static str {
        match self {
            Balance::RoundRobin => "round_robin",
            Balance::Random => "random",
            Balance::LeastConnections => "least_connections",
            Balance::PowerOfTwo => "power_of_two",
            Balance::JoinShortestQueue => "join_shortest_queue",
        }
    }
}
