//! Compiling the steps of an operation, one function per kind of step:
//! cache read, database read or write, publish (with its poll), cache
//! write, compute, call, forward and branch (with its arms). Calls of every
//! kind go through [`Compiler::call_site`], which checks the call's pool and
//! quorum, draws its edge in the call graph and sets up its latency,
//! retries, breaker and guard.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::compile::Compiler;
use super::graph::Edge;
use super::{Action, Arm, Breaker, Call, Guarded, NONE, Poll, Retry, Step};
use crate::config;
use crate::error::ModelError;

/// The operation whose steps are being compiled, and where in it they sit.
#[derive(Clone)]
pub(super) struct OpSite<'n> {
    /// Its id.
    pub(super) op: u32,
    /// Its service's id.
    pub(super) service: u32,
    /// "service.op", for stream names.
    pub(super) name: &'n str,
    /// Its service's speed, dividing CPU work.
    pub(super) speed: f64,
    /// Its service's name and operations (the ones `do` may run).
    pub(super) sname: &'n str,
    pub(super) ops: &'n IndexMap<String, Spanned<config::OpConfig>>,
    /// Probability that a visit of the op reaches these steps (arms multiply it).
    pub(super) p: f64,
    /// The op, then the operations inlined around these steps by `do`, outermost first.
    pub(super) chain: Vec<&'n str>,
    /// "" for the op's own steps; "@op#pc" inside an inlined operation, so
    /// that its call sites' random streams differ from one use to the next.
    pub(super) tag: String,
}

impl<'n> OpSite<'n> {
    /// The op's own steps.
    pub(super) fn new(
        op: u32,
        service: u32,
        name: &'n str,
        speed: f64,
        sname: &'n str,
        oname: &'n str,
        ops: &'n IndexMap<String, Spanned<config::OpConfig>>,
    ) -> Self {
        OpSite { op, service, name, speed, sname, ops, p: 1.0, chain: vec![oname], tag: String::new() }
    }
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
    /// Index into `Network::hedges`, if hedged (`call` steps only).
    hedge: Option<u32>,
}

impl<'s> CallSpec<'s> {
    /// A call with no options: every default.
    const PLAIN: CallSpec<'static> = CallSpec {
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
        hedge: None,
    };

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
            hedge: None,
        }
    }

    /// The call options written in a branch arm.
    fn of_arm(arm: &'s config::ArmConfig) -> Self {
        CallSpec {
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
            hedge: None,
        }
    }

    /// Whether any call option is written (they apply to calls only).
    fn has_options(&self) -> bool {
        self.count.is_some()
            || self.timeout.is_some()
            || self.retry.is_some()
            || self.breaker.is_some()
            || self.parallel.is_some()
            || self.quorum.is_some()
            || self.batch.is_some()
            || self.pool.is_some()
            || self.latency.is_some()
            || self.response_size.is_some()
    }
}

/// Where a call site sits.
struct CallContext<'k> {
    op_id: u32,
    service: u32,
    probability: f64,
    key: &'k str,
    tag: &'k str,
    span: Range<usize>,
}

impl<'k> CallContext<'k> {
    /// A call site that every run of these steps of `at` reaches.
    fn certain(at: &'k OpSite, key: &'k str, span: Range<usize>) -> Self {
        CallContext { op_id: at.op, service: at.service, probability: at.p, key, tag: &at.tag, span }
    }
}

impl Compiler<'_> {
    /// Compiles the step at program counter `pc` of operation `at`, written
    /// at `key` (`last`: the last of its list).
    pub(super) fn step(
        &mut self,
        at: &OpSite,
        key: &str,
        pc: usize,
        last: bool,
        step_spanned: &Spanned<config::StepConfig>,
    ) -> Result<Step, ModelError> {
        self.check_step(key, last, step_spanned)?;
        let step = step_spanned.get_ref();
        let hedge = self.hedge(key, step)?;
        let db_write = step.write.as_ref().filter(|w| self.db_ids.contains_key(w.get_ref()));
        if let Some(name) = &step.cache {
            self.cache_read(at, key, step_spanned.span(), name, step.miss.as_ref())
        } else if let Some(db) = step.read.as_ref().or(db_write) {
            self.database_access(at, key, step, db)
        } else if let Some(name) = &step.publish {
            self.publish(at, key, name, step.poll.as_ref())
        } else if let Some(name) = &step.write {
            Ok(Step::CacheWrite { cache: self.cache_id(name, &format!("{key}.write"))? })
        } else if let Some(c) = &step.compute {
            Ok(self.compute(at, pc, &c.0))
        } else if let Some(target) = &step.call {
            let op = self.resolve(target, format!("{key}.call"))?;
            let ctx = CallContext::certain(at, key, step_spanned.span());
            let spec = CallSpec { hedge, ..CallSpec::of_step(step) };
            Ok(Step::Act(Action::Call { call: self.call_site(&spec, op, &ctx)? }))
        } else if let Some(target) = &step.forward {
            Ok(Step::Act(self.forward(at, key, target, at.p)?))
        } else if let Some(name) = &step.run {
            let to = self.block(at, key, super::blocks::Body::Op(name), pc + 1)?;
            Ok(Step::Jump { to })
        } else {
            self.branch(at, key, pc, step.branch.as_ref().expect("one action is set"))
        }
    }

    /// Checks that a step has one action, and only the options that action takes.
    fn check_step(&self, key: &str, last: bool, step_spanned: &Spanned<config::StepConfig>) -> Result<(), ModelError> {
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
            step.run.is_some(),
        ];
        let n_set = set.iter().filter(|&&b| b).count();
        if n_set != 1 {
            return Err(self.err(
                step_spanned.span(),
                key,
                if n_set == 0 { "a step needs an action" } else { "a step has exactly one action" },
            )
            .with_hint("write one of { call = \"svc.op\" }, { forward = \"svc.op\" }, { compute = \"exp(1ms)\" }, { do = \"op\" } or { branch = [...] }"));
        }
        let cache_write = step.write.as_ref().is_some_and(|w| !self.db_ids.contains_key(w.get_ref()));
        if CallSpec::of_step(step).has_options()
            && (cache_write || (step.call.is_none() && step.read.is_none() && step.write.is_none()))
        {
            return Err(self.err(
                step_spanned.span(),
                key,
                "`count`, `parallel`, `quorum`, `batch`, `pool`, `latency`, `response_size`, `timeout`, `retry` and `breaker` apply to calls only (`call`, and database `read` and `write`)",
            ));
        }
        if step.forward.is_some() && !last {
            return Err(self
                .err(step_spanned.span(), key, "steps after a `forward` would never run")
                .with_hint("a forward hands the request on; make it the last step of its list"));
        }
        if step.miss.is_some() && step.cache.is_none() {
            return Err(self.err(step_spanned.span(), key, "`miss` applies to `cache` steps only"));
        }
        if step.poll.is_some() && step.publish.is_none() {
            return Err(self.err(step_spanned.span(), key, "`poll` applies to `publish` steps only"));
        }
        Ok(())
    }

    /// A read through cache `name`, calling `miss` when the key is not cached.
    fn cache_read(
        &mut self,
        at: &OpSite,
        key: &str,
        span: Range<usize>,
        name: &Spanned<String>,
        miss: Option<&Spanned<String>>,
    ) -> Result<Step, ModelError> {
        let cache = self.cache_id(name, &format!("{key}.cache"))?;
        let Some(miss_target) = miss else {
            return Err(self
                .err(span, key, "a cache read needs a miss path")
                .with_hint("add miss = \"db.read\": the operation called when the key is not cached"));
        };
        let lookup_op = self.calls[self.caches[cache as usize].lookup as usize].op;
        self.edges.push(Edge {
            from: at.op,
            to: lookup_op,
            weight: at.p,
            items: 1.0,
            sync: true,
            holds: true,
            span: name.span(),
            key: format!("{key}.cache"),
        });
        let op = self.resolve(miss_target, format!("{key}.miss"))?;
        let miss_key = format!("{key}.miss");
        let ctx = CallContext::certain(at, &miss_key, miss_target.span());
        let first_edge = self.edges.len();
        let miss = self.call_site(&CallSpec::PLAIN, op, &ctx)?;
        self.miss_edges.push((cache, first_edge..self.edges.len()));
        Ok(Step::CacheRead { cache, miss })
    }

    /// A read (from a replica) or a write (on the primary) of database `db`.
    fn database_access(
        &mut self,
        at: &OpSite,
        key: &str,
        step: &config::StepConfig,
        db: &Spanned<String>,
    ) -> Result<Step, ModelError> {
        let writing = step.write.is_some();
        let field = if writing { "write" } else { "read" };
        let db_id = self.database_id(db, format!("{key}.read"))?;
        let d = &self.databases[db_id as usize];
        let op = if writing { d.write_op } else { d.read_op };
        let field_key = format!("{key}.{field}");
        let ctx = CallContext::certain(at, &field_key, db.span());
        let first_edge = self.edges.len();
        let call = self.call_site(&CallSpec::of_step(step), op, &ctx)?;
        let primary = self.databases[db_id as usize].primary_read_op;
        if !writing && primary != NONE {
            // The primary's copy of the call site is the next one: the kernel picks `call` or `call + 1`.
            self.call_site(&CallSpec::of_step(step), primary, &ctx)?;
            self.split_edges.push((db_id, first_edge, first_edge + 1));
        }
        Ok(if writing { Step::DbWrite { db: db_id, call } } else { Step::DbRead { db: db_id, call } })
    }

    /// A publish to queue `name`, with the client polling for completion if `poll` is given.
    fn publish(
        &mut self,
        at: &OpSite,
        key: &str,
        name: &Spanned<String>,
        poll: Option<&Spanned<config::PollConfig>>,
    ) -> Result<Step, ModelError> {
        let queue = self.queue_id(name, format!("{key}.publish"))?;
        // Each message visits the consumer once (for offered load, not response time).
        self.edges.push(Edge {
            from: at.op,
            to: self.queues[queue as usize].consumer,
            weight: at.p,
            items: 1.0,
            sync: false,
            holds: false,
            span: name.span(),
            key: format!("{key}.publish"),
        });
        let poll = match poll {
            Some(p) => self.poll(key, name, p.get_ref())?,
            None => NONE,
        };
        Ok(Step::Publish { queue, poll })
    }

    /// The polling client of a publish to `queue`; its class is added after the workload's.
    fn poll(&mut self, key: &str, queue: &Spanned<String>, cfg: &config::PollConfig) -> Result<u32, ModelError> {
        let op = self.resolve(&cfg.op, format!("{key}.poll.op"))?;
        let base = format!("{}.poll", queue.get_ref());
        let n = self.poll_classes.iter().filter(|c| c.starts_with(&base)).count();
        self.poll_classes.push(if n == 0 { base } else { format!("{base}#{}", n + 1) });
        self.polls.push(Poll {
            op,
            class: NONE,
            first: cfg.first.0,
            factor: cfg.factor.0,
            cap: cfg.cap.map_or(f64::INFINITY, |c| c.0),
        });
        Ok((self.polls.len() - 1) as u32)
    }

    /// More CPU work (reference-machine seconds), at program counter `pc` of operation `at`.
    pub(super) fn compute(&mut self, at: &OpSite, pc: usize, work: &crate::dist::Dist) -> Step {
        let dist = work.scaled(1.0 / at.speed);
        let stream = self.stream(format!("compute:{}#{pc}", at.name));
        Step::Compute { dist, stream }
    }

    /// A forward to `target`, taken with probability `p` per visit.
    fn forward(&mut self, at: &OpSite, key: &str, target: &Spanned<String>, p: f64) -> Result<Action, ModelError> {
        let op = self.resolve(target, format!("{key}.forward"))?;
        self.edges.push(Edge {
            from: at.op,
            to: op,
            weight: p,
            items: 1.0,
            sync: true,
            holds: false,
            span: target.span(),
            key: format!("{key}.forward"),
        });
        Ok(Action::Forward { op })
    }

    /// A random choice among arms whose probabilities sum to one, at program counter `pc` of operation `at`.
    fn branch(
        &mut self,
        at: &OpSite,
        key: &str,
        pc: usize,
        branch: &Spanned<Vec<Spanned<config::ArmConfig>>>,
    ) -> Result<Step, ModelError> {
        // Collected here: an arm's own branches add their arms as it compiles.
        let mut arms = Vec::with_capacity(branch.get_ref().len());
        let mut cumulative = 0.0;
        for (j, arm_spanned) in branch.get_ref().iter().enumerate() {
            let akey = format!("{key}.branch[{j}]");
            cumulative += arm_spanned.get_ref().p.0;
            let action = self.arm(at, &akey, arm_spanned, pc)?;
            arms.push(Arm { cumulative, action });
        }
        if branch.get_ref().is_empty() || (cumulative - 1.0).abs() > 1e-9 {
            return Err(self
                .err(branch.span(), format!("{key}.branch"), format!("branch probabilities sum to {cumulative}, not 1"))
                .with_hint("add an arm with no action for \"otherwise continue\", e.g. { p = 0.2 }"));
        }
        // Guard the last arm against rounding: a uniform draw always lands somewhere.
        arms.last_mut().expect("non-empty").cumulative = f64::INFINITY;
        let first_arm = self.arms.len() as u32;
        self.arms.extend(arms);
        let stream = self.stream(format!("branch:{}#{pc}", at.name));
        Ok(Step::Branch { arms: first_arm..self.arms.len() as u32, stream })
    }

    /// The action of one branch arm, written at `akey`, of the branch at program counter `pc`.
    fn arm(
        &mut self,
        at: &OpSite,
        akey: &str,
        arm_spanned: &Spanned<config::ArmConfig>,
        pc: usize,
    ) -> Result<Action, ModelError> {
        let arm = arm_spanned.get_ref();
        let actions = [arm.call.is_some(), arm.forward.is_some(), arm.steps.is_some(), arm.run.is_some()];
        if actions.iter().filter(|&&a| a).count() > 1 {
            return Err(self
                .err(arm_spanned.span(), akey, "an arm has one of `call`, `forward`, `steps` or `do`")
                .with_hint("for several actions, write them in order as the arm's steps = [ ... ]"));
        }
        let options = CallSpec::of_arm(arm).has_options();
        if options && arm.call.is_none() {
            return Err(self.err(
                arm_spanned.span(),
                akey,
                "`count`, `parallel`, `quorum`, `batch`, `pool`, `latency`, `response_size`, `timeout`, `retry` and `breaker` apply to `call` only (inside `steps`, write them on the step)",
            ));
        }
        let mut inner = at.clone();
        inner.p = at.p * arm.p.0;
        match (&arm.call, &arm.forward, &arm.steps, &arm.run) {
            (Some(target), ..) => {
                let op = self.resolve(target, format!("{akey}.call"))?;
                let ctx = CallContext {
                    op_id: at.op,
                    service: at.service,
                    probability: inner.p,
                    key: akey,
                    tag: &at.tag,
                    span: arm_spanned.span(),
                };
                Ok(Action::Call { call: self.call_site(&CallSpec::of_arm(arm), op, &ctx)? })
            }
            (_, Some(target), ..) => self.forward(at, akey, target, inner.p),
            (_, _, Some(steps), _) => {
                let body = super::blocks::Body::Steps(steps);
                Ok(Action::Goto { pc: self.block(&inner, akey, body, pc + 1)? })
            }
            (_, _, _, Some(name)) => {
                Ok(Action::Goto { pc: self.block(&inner, akey, super::blocks::Body::Op(name), pc + 1)? })
            }
            (None, None, None, None) => {
                if options {
                    return Err(self.err(
                        arm_spanned.span(),
                        akey,
                        "`count`, `parallel`, `quorum`, `batch`, `pool`, `latency`, `response_size`, `timeout`, `retry` and `breaker` apply to `call` only",
                    ));
                }
                Ok(Action::Continue)
            }
        }
    }

    /// Compiles one call site, checking its pool and quorum; returns its index
    /// in `Network::calls`.
    fn call_site(&mut self, spec: &CallSpec, op: u32, ctx: &CallContext) -> Result<u32, ModelError> {
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
            Some(name) => self.call_pool(name, ctx)?,
            None => NONE,
        };
        self.edges.push(Edge {
            from: ctx.op_id,
            to: op,
            weight: ctx.probability * f64::from(count) * f64::from(parallel),
            span: ctx.span.clone(),
            items: f64::from(spec.batch.map_or(1, |b| b.0)),
            sync: true,
            holds: true,
            key: format!("{}.call", ctx.key),
        });
        let latency = spec.latency.as_ref().map(|d| &d.0).or(self.network.latency.as_ref()).filter(|d| d.mean() > 0.0);
        let (latency, latency_stream) = match latency.cloned() {
            Some(d) => {
                self.latencies.push(d);
                ((self.latencies.len() - 1) as u32, self.stream(format!("latency:{}{}", ctx.key, ctx.tag)))
            }
            None => (NONE, NONE),
        };
        let bytes = spec.response_size.map_or(0.0, |b| b.0);
        let transfer = bytes / self.network.bandwidth;
        let batch = spec.batch.map_or(1, |b| b.0);
        let retry = match spec.retry {
            Some(r) => self.retry(r.get_ref(), &format!("{}{}", ctx.key, ctx.tag)),
            None => NONE,
        };
        let breaker = match spec.breaker {
            Some(b) => self.breaker(b.get_ref()),
            None => NONE,
        };
        let timeout = spec.timeout.map_or(0.0, |t| t.0);
        let hedge = spec.hedge.unwrap_or(NONE);
        let guard = if timeout > 0.0 || retry != NONE || breaker != NONE || hedge != NONE {
            // Named once every op exists (see `name_guarded`).
            self.guarded.push(Guarded { name: String::new(), caller: ctx.op_id, call: self.calls.len() as u32 });
            (self.guarded.len() - 1) as u32
        } else {
            NONE
        };
        self.calls.push(Call {
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
            hedge,
        });
        Ok((self.calls.len() - 1) as u32)
    }

    /// The pool `name` held around a call, which must be shared or belong to the caller's service.
    fn call_pool(&self, name: &Spanned<String>, ctx: &CallContext) -> Result<u32, ModelError> {
        let id = self.pool_id(name, format!("{}.pool", ctx.key))?;
        if let Some(per) = self.pools[id as usize].per
            && per != ctx.service
        {
            return Err(self
                .err(
                    name.span(),
                    format!("{}.pool", ctx.key),
                    format!("pool `{}` belongs to the instances of another service", name.get_ref()),
                )
                .with_hint(
                    "a pool with `per = \"svc\"` is used by calls that service makes; drop `per` for a shared pool",
                ));
        }
        Ok(id)
    }

    /// The retry policy of the call site at `key`; returns its index in `Network::retries`.
    fn retry(&mut self, cfg: &config::RetryConfig, key: &str) -> u32 {
        let stream = self.stream(format!("retry:{key}"));
        self.retries.push(Retry {
            attempts: cfg.attempts.0,
            backoff: cfg.backoff.0,
            factor: cfg.factor.0,
            cap: cfg.cap.map_or(f64::INFINITY, |c| c.0),
            jitter: cfg.jitter,
            budget: cfg.budget.map(|b| b.0),
            honor_retry_after: cfg.honor_retry_after,
            stream,
        });
        (self.retries.len() - 1) as u32
    }

    /// A circuit breaker; returns its index in `Network::breakers`.
    fn breaker(&mut self, cfg: &config::BreakerConfig) -> u32 {
        self.breakers.push(Breaker {
            failure_rate: cfg.failure_rate.0,
            window: cfg.window.0,
            min_calls: cfg.min_calls.0,
            open_for: cfg.open_for.0,
            fallback: cfg.fallback,
        });
        (self.breakers.len() - 1) as u32
    }
}
