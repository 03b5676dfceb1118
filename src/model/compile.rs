//! The compiler: passes over a parsed [`ModelFile`] that build a [`Network`]
//! in file order. Every pass takes `&mut Compiler`, which holds the network
//! under construction and the name-to-id tables later passes resolve
//! against:
//!
//! 1. settings and the instance-type catalogue (here),
//! 2. operation ids, so steps can refer to ops of services defined later (here),
//! 3. pools, caches, databases and queues (`components.rs`),
//! 4. services and their operations (here), whose steps `steps.rs` compiles,
//! 5. request classes and poll classes (`workload.rs`),
//! 6. finish: the traffic equations per class from the call graph
//!    (`graph.rs`), guarded call sites named, saturation warnings (here).
//!
//! Random streams are numbered in the order the passes ask for them, and
//! the first mistake found is the one reported, so the order of the passes,
//! and of the checks within them, is part of the behaviour.

use std::collections::HashMap;

use indexmap::IndexMap;
use toml::Spanned;

use super::components;
use super::graph::{self, Edge, expected_items, expected_visits, saturation_warnings};
use super::{
    Arm, Autoscale, Breaker, Cache, Call, Class, Database, Failures, Guarded, MAX_SERIES_INTERVALS, NONE, Network, Op,
    Poll, Pool, Queue, RateLimit, Retry, Service, Settings, Step, UNLIMITED,
};
use crate::catalog::{Catalog, InstanceType};
use crate::config::{self, ModelFile, Source, Threads};
use crate::dist::Dist;
use crate::error::{ModelError, closest};
use crate::policy::{Concurrency, Discipline};

/// `[network]` with defaults filled in.
pub(super) struct NetworkDefaults {
    pub(super) latency: Option<Dist>,
    /// Bytes per second.
    pub(super) bandwidth: f64,
}

/// The network under construction, and the name-to-id tables that later
/// passes resolve names against.
pub(super) struct Compiler<'a> {
    /// The model text, for errors at a key's line.
    pub(super) src: &'a Source,
    /// Defaults for call sites.
    pub(super) network: NetworkDefaults,
    /// Op ids by "service.op".
    op_ids: HashMap<String, u32>,
    /// Op names in id order (for hints).
    op_names: Vec<String>,
    pub(super) pool_ids: HashMap<String, u32>,
    pub(super) cache_ids: HashMap<String, u32>,
    pub(super) db_ids: HashMap<String, u32>,
    pub(super) queue_ids: HashMap<String, u32>,
    /// Names of the random streams, in id order.
    pub(super) streams: Vec<String>,
    pub(super) latencies: Vec<Dist>,
    pub(super) retries: Vec<Retry>,
    pub(super) hedges: Vec<super::Hedge>,
    pub(super) breakers: Vec<Breaker>,
    /// Guarded call sites, named by [`name_guarded`] once every op exists.
    pub(super) guarded: Vec<Guarded>,
    pub(super) calls: Vec<Call>,
    /// Calls, forwards and publishes with their positions, for the traffic
    /// equations and cycle reports.
    pub(super) edges: Vec<Edge>,
    /// The edges of each cache read's miss path, with the cache's id: the
    /// traffic equations weight them by its expected miss ratio.
    pub(super) miss_edges: Vec<(u32, std::ops::Range<usize>)>,
    pub(super) pools: Vec<Pool>,
    pub(super) caches: Vec<Cache>,
    pub(super) databases: Vec<Database>,
    pub(super) queues: Vec<Queue>,
    pub(super) polls: Vec<Poll>,
    /// Class names of the polls, one per poll, added after the workload's classes.
    pub(super) poll_classes: Vec<String>,
    pub(super) services: Vec<Service>,
    pub(super) ops: Vec<Op>,
    pub(super) steps: Vec<Step>,
    /// Expected runs per visit of each step in `steps`.
    pub(super) reach: Vec<f64>,
    /// The blocks of the op being compiled (its arms' steps and inlined
    /// operations), placed after its own steps; `None` while reserved.
    pub(super) blocks: Vec<Option<(Step, f64)>>,
    /// Steps of the op being compiled, before its blocks.
    pub(super) main_len: usize,
    /// Each database read's replica and primary edges, which `finish` weights by the expected split.
    pub(super) split_edges: Vec<(u32, usize, usize)>,
    pub(super) arms: Vec<Arm>,
    /// Services switched off (`enabled = false`), with the span of that key.
    switched_off: Vec<(u32, std::ops::Range<usize>)>,
}

impl<'a> Compiler<'a> {
    /// A compiler for `src`, whose parsed form is `file`, with nothing compiled yet.
    pub(super) fn new(src: &'a Source, file: &ModelFile) -> Self {
        Compiler {
            src,
            network: NetworkDefaults {
                latency: file.network.latency.as_ref().map(|d| d.0.clone()),
                bandwidth: file.network.bandwidth.map_or(125e6, |b| b.0),
            },
            op_ids: HashMap::new(),
            op_names: Vec::new(),
            pool_ids: HashMap::new(),
            cache_ids: HashMap::new(),
            db_ids: HashMap::new(),
            queue_ids: HashMap::new(),
            streams: Vec::new(),
            latencies: Vec::new(),
            retries: Vec::new(),
            hedges: Vec::new(),
            breakers: Vec::new(),
            guarded: Vec::new(),
            calls: Vec::new(),
            edges: Vec::new(),
            miss_edges: Vec::new(),
            pools: Vec::new(),
            caches: Vec::new(),
            databases: Vec::new(),
            queues: Vec::new(),
            polls: Vec::new(),
            poll_classes: Vec::new(),
            services: Vec::new(),
            ops: Vec::new(),
            steps: Vec::new(),
            reach: Vec::new(),
            blocks: Vec::new(),
            main_len: 0,
            split_edges: Vec::new(),
            arms: Vec::new(),
            switched_off: Vec::new(),
        }
    }

    /// Runs the passes in order.
    pub(super) fn compile(mut self, file: &ModelFile) -> Result<Network, ModelError> {
        let mut settings = self.settings(&file.simulation)?;
        let (inputs, catalog) = self.catalog(file)?;
        self.number_ops(file);
        self.pools(file)?;
        self.caches(file)?;
        self.databases(file)?;
        self.queues(file)?;
        for (sname, svc) in &file.services {
            self.service(sname, svc, &catalog)?;
        }
        let mut classes = self.classes(file, &settings)?;
        self.recovery(file, &mut settings, &classes)?;
        self.queue_consumers(file)?;
        self.hpa_backlogs(file)?;
        self.poll_classes(&mut classes);
        self.closed_users(&classes, &settings)?;
        self.finish(settings, inputs, classes)
    }

    /// A new random stream named `name`; returns its id.
    pub(super) fn stream(&mut self, name: String) -> u32 {
        self.streams.push(name);
        (self.streams.len() - 1) as u32
    }

    /// An error at `span`, about the key `key`.
    pub(super) fn err(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ModelError {
        self.src.error_at(span, msg).with_key(key)
    }

    /// The span of `key`'s value among the lines of the table whose header
    /// is at `table` (a `key = value` line of its own), else the header: errors
    /// found after parsing then point at the value the user wrote.
    pub(super) fn value_span(&self, table: std::ops::Range<usize>, key: &str) -> std::ops::Range<usize> {
        let text = &self.src.text;
        // toml spans a table by its header: its keys follow, up to the next header.
        let Some(after) = text.get(table.start..) else { return table };
        let mut offset = table.start;
        for (i, line) in after.split_inclusive('\n').enumerate() {
            if i > 0 && line.trim_start().starts_with('[') {
                break;
            }
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix(key)
                && let Some(value) = rest.trim_start().strip_prefix('=')
            {
                let value = value.trim();
                let start = offset + line.find(value).unwrap_or(0);
                return start..start + value.split('#').next().unwrap_or(value).trim_end().len();
            }
            offset += line.len();
        }
        table
    }

    /// The id of the op that `name` ("service.op") refers to, or an error at
    /// `name` about `key` naming the closest op.
    pub(super) fn resolve(&self, name: &Spanned<String>, key: String) -> Result<u32, ModelError> {
        self.op_ids.get(name.get_ref().as_str()).copied().ok_or_else(|| {
            let wanted = name.get_ref();
            let mut e = self.src.error_at(name.span(), format!("no operation named \"{wanted}\"")).with_key(key);
            e.hint = Some(match closest(wanted, self.op_names.iter().map(String::as_str)) {
                Some(c) => format!("did you mean \"{c}\"? Operations are written service.operation"),
                None if !wanted.contains('.') => {
                    "operations are written service.operation, e.g. \"db.query\"".to_string()
                }
                None => format!("the model's operations are: {}", self.op_names.join(", ")),
            });
            e
        })
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
                        crate::format::format_duration(interval.0)
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
            recovery: None,
        })
    }

    /// The instance-type catalogue (the model's own, or the built-in one),
    /// with the inputs that provenance hashes: the model text, then the
    /// catalogue's if it has its own.
    fn catalog(&self, file: &ModelFile) -> Result<(Vec<String>, Catalog), ModelError> {
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
        Ok((inputs, catalog))
    }

    /// Op ids first, so steps can refer to ops of services defined later.
    fn number_ops(&mut self, file: &ModelFile) {
        for (sname, svc) in &file.services {
            for oname in svc.get_ref().ops.keys() {
                let full = format!("{sname}.{oname}");
                self.op_ids.insert(full.clone(), self.op_names.len() as u32);
                self.op_names.push(full);
            }
        }
    }

    /// Compiles a service and its operations.
    fn service(
        &mut self,
        sname: &str,
        svc_spanned: &Spanned<config::ServiceConfig>,
        catalog: &Catalog,
    ) -> Result<(), ModelError> {
        let svc = svc_spanned.get_ref();
        let service_id = self.services.len() as u32;
        let instance_type = self.instance_type(sname, svc, catalog)?;
        let (mut threads, mut cores) = self.threads_and_cores(sname, svc_spanned, instance_type)?;
        let speed = svc.speed.map(|s| s.0).or(instance_type.map(|t| t.speed.0)).unwrap_or(1.0);
        if !(1.0 / speed).is_finite() {
            return Err(self.err(
                self.value_span(svc_spanned.span(), "speed"),
                format!("services.{sname}.speed"),
                format!("a speed of {speed} is too small: CPU work divided by it overflows"),
            ));
        }
        // Each instance has its own queues and counters, set up before the
        // run, and some balancers look at every instance for every request.
        const MAX_INSTANCES: u32 = 10_000;
        if svc.instances.0 > MAX_INSTANCES {
            return Err(self.err(
                self.value_span(svc_spanned.span(), "instances"),
                format!("services.{sname}.instances"),
                format!(
                    "at most {MAX_INSTANCES} instances per service (memory and balancing time grow with instances), got {}",
                    svc.instances.0
                ),
            ));
        }
        let mut cost_per_hour =
            svc.cost_per_hour.map(|c| c.0).or(instance_type.map(|t| t.price_per_hour.0)).unwrap_or(0.0);
        if !svc.enabled {
            cost_per_hour = 0.0;
            self.switched_off.push((service_id, self.value_span(svc_spanned.span(), "enabled")));
        }
        let first_op = self.ops.len() as u32;
        for oname in svc.ops.keys() {
            self.op(sname, oname, &svc.ops, service_id, speed)?;
        }
        let balance_stream = self.stream(format!("balance:{sname}"));
        let autoscale = match self.hpa(sname, svc)? {
            Some(h) => Some(h),
            None => self.autoscale(sname, svc)?,
        };
        let failures = self.failures(sname, svc)?;
        let serverless = self.serverless(sname, svc_spanned)?;
        if let Some(s) = &serverless {
            // One slot per request an instance may serve, each with its own core.
            (threads, cores) = (s.max_instances * s.concurrency, s.max_instances * s.concurrency);
        }
        let cpu_limit = self.cpu_limit(sname, svc, cores)?;
        let pauses = self.pauses(sname, svc)?;
        self.services.push(Service {
            serverless,
            name: sname.to_string(),
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
            ops: first_op..self.ops.len() as u32,
            rate_limit: svc.rate_limit.as_ref().map(|r| {
                let r = r.get_ref();
                RateLimit { rate: r.rate.0, burst: r.burst.0, per: r.per }
            }),
            shed_wait: svc.shed_wait.map(|w| w.0),
            consumes: NONE,
            autoscale,
            failures,
            cpu_limit,
            pauses,
        });
        Ok(())
    }

    /// The catalogue entry a service names, if it names one.
    fn instance_type<'c>(
        &self,
        sname: &str,
        svc: &config::ServiceConfig,
        catalog: &'c Catalog,
    ) -> Result<Option<&'c InstanceType>, ModelError> {
        let Some(name) = &svc.instance_type else { return Ok(None) };
        let found = catalog.types.get(name.get_ref()).ok_or_else(|| {
            let mut e = self
                .src
                .error_at(name.span(), format!("no instance type named \"{}\" in the catalogue", name.get_ref()))
                .with_key(format!("services.{sname}.instance_type"));
            e.hint = Some(match closest(name.get_ref(), catalog.types.keys().map(String::as_str)) {
                Some(c) => format!("did you mean \"{c}\"?"),
                None => format!("known types: {}", catalog.types.keys().cloned().collect::<Vec<_>>().join(", ")),
            });
            e
        })?;
        Ok(Some(found))
    }

    /// Threads (or in-flight requests of an event loop) and cores per instance.
    fn threads_and_cores(
        &self,
        sname: &str,
        svc_spanned: &Spanned<config::ServiceConfig>,
        instance_type: Option<&InstanceType>,
    ) -> Result<(u32, u32), ModelError> {
        let svc = svc_spanned.get_ref();
        match svc.concurrency {
            Concurrency::ThreadPerRequest => {
                if svc.max_in_flight.is_some() {
                    return Err(self
                        .err(
                            svc_spanned.span(),
                            format!("services.{sname}.max_in_flight"),
                            "`max_in_flight` applies to event-loop services",
                        )
                        .with_hint(
                            "add concurrency = \"event_loop\", or bound a thread-per-request service with `threads`",
                        ));
                }
                let vcpus = instance_type.map(|t| t.vcpus.0);
                let threads = match (svc.discipline, svc.threads) {
                    (Discipline::Ps, Some(Threads::Count(_))) => {
                        return Err(self
                            .err(
                                self.value_span(svc_spanned.span(), "threads"),
                                format!("services.{sname}.threads"),
                                "processor sharing (discipline = \"ps\") has no thread limit",
                            )
                            .with_hint(
                                "remove `threads` (the cores are shared by every request in service), or keep \
                                 the threads with discipline = \"fifo\": more threads than cores share the cores too",
                            ));
                    }
                    (Discipline::Ps, _) | (_, Some(Threads::Unlimited)) => UNLIMITED,
                    (_, Some(Threads::Count(n))) => n,
                    (_, None) => vcpus.unwrap_or(1),
                };
                // Processor sharing shares one core unless told more; unlimited
                // threads without cores (or a type's) make a pure delay station.
                let default_cores = if svc.discipline == Discipline::Ps { 1 } else { threads };
                let cores = svc.cores.map(|c| c.0).or(vcpus).unwrap_or(default_cores);
                if svc.discipline == Discipline::PriorityPreemptive && threads > cores {
                    return Err(self
                        .err(
                            self.value_span(svc_spanned.span(), "discipline"),
                            format!("services.{sname}.discipline"),
                            format!(
                                "preemption takes a core from a computing request, so it needs a core per thread; \
                                 {sname} has {} threads on {cores} cores",
                                if threads == UNLIMITED { "unlimited".to_string() } else { threads.to_string() }
                            ),
                        )
                        .with_hint("give it at least as many cores as threads, or use discipline = \"priority\""));
                }
                Ok((threads, cores))
            }
            // An event loop admits many requests; none holds a thread while
            // it waits, and their CPU work shares the cores.
            Concurrency::EventLoop => {
                if matches!(svc.discipline, Discipline::Ps | Discipline::PriorityPreemptive) {
                    return Err(self
                        .err(
                            self.value_span(svc_spanned.span(), "discipline"),
                            format!("services.{sname}.discipline"),
                            format!("discipline = \"{}\" needs threads; an event loop has none", svc.discipline.key()),
                        )
                        .with_hint("an event loop already shares its cores among the requests in flight (processor sharing): remove `discipline`"));
                }
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
                Ok((in_flight, svc.cores.map(|c| c.0).or(instance_type.map(|t| t.vcpus.0)).unwrap_or(1)))
            }
        }
    }

    /// Compiles an operation: its CPU demand, then its steps.
    fn op(
        &mut self,
        sname: &str,
        oname: &str,
        ops: &IndexMap<String, Spanned<config::OpConfig>>,
        service: u32,
        speed: f64,
    ) -> Result<(), ModelError> {
        let cfg = ops[oname].get_ref();
        let op_id = self.ops.len() as u32;
        let name = format!("{sname}.{oname}");
        let demand = cfg.demand.as_ref().map(|d| d.0.scaled(1.0 / speed));
        let demand_stream = self.stream(format!("demand:{name}"));
        let per_item = cfg.per_item.as_ref().map(|d| d.0.scaled(1.0 / speed));
        let per_item_stream = if per_item.is_some() { self.stream(format!("per_item:{name}")) } else { NONE };
        let error_rate = cfg.error_rate.map_or(0.0, |p| p.0);
        let error_stream = if error_rate > 0.0 { self.stream(format!("errors:{name}")) } else { NONE };
        let first_step = self.steps.len() as u32;
        let at = super::steps::OpSite::new(op_id, service, &name, speed, sname, oname, ops);
        // The op ends on reaching `main_end`; its blocks come after that slot
        // (a placeholder, never run), so that no jump into a block ends it.
        self.blocks.clear();
        self.blocks.push(Some((Step::Jump { to: cfg.steps.len() as u16 }, 0.0)));
        self.main_len = cfg.steps.len();
        for (i, step) in cfg.steps.iter().enumerate() {
            let key = format!("services.{sname}.ops.{oname}.steps[{i}]");
            let compiled = self.step(&at, &key, i, i + 1 == cfg.steps.len(), step)?;
            self.steps.push(compiled);
            self.reach.push(1.0);
        }
        let main_end = self.steps.len() as u32;
        if self.blocks.len() == 1 {
            self.blocks.clear();
        }
        for (step, reach) in self.blocks.drain(..).map(|b| b.expect("every reserved step is compiled")) {
            self.steps.push(step);
            self.reach.push(reach);
        }
        let program = first_step as usize..self.steps.len();
        let mean_cpu = demand.as_ref().map_or(0.0, Dist::mean)
            + self.steps[program.clone()]
                .iter()
                .zip(&self.reach[program])
                .filter_map(|(s, r)| match s {
                    Step::Compute { dist, .. } => Some(r * dist.mean()),
                    _ => None,
                })
                .sum::<f64>();
        self.ops.push(Op {
            name,
            service,
            demand,
            demand_stream,
            per_item,
            per_item_stream,
            error_rate,
            error_stream,
            steps: first_step..self.steps.len() as u32,
            main_end,
            mean_cpu,
        });
        Ok(())
    }

    /// A service's autoscaling policy, if it has one.
    fn autoscale(&self, sname: &str, svc: &config::ServiceConfig) -> Result<Option<Autoscale>, ModelError> {
        let Some(a) = &svc.autoscale else { return Ok(None) };
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
            return Err(self.err(a.span(), format!("services.{sname}.autoscale.max"), "at most 100000 instances"));
        }
        Ok(Some(Autoscale {
            metric: cfg.metric,
            target: cfg.target.0,
            min: cfg.min.0,
            max: cfg.max.0,
            window: cfg.window.0,
            delay: cfg.delay.0,
            cooldown: cfg.cooldown.0,
            hpa: None,
        }))
    }

    /// A service's failure process, if it has one.
    fn failures(&mut self, sname: &str, svc: &config::ServiceConfig) -> Result<Option<Failures>, ModelError> {
        let Some(f) = &svc.failures else { return Ok(None) };
        let cfg = f.get_ref();
        // Faster failures would make a model of nothing but failures, and
        // zero would repeat forever at one instant.
        if cfg.mttf.0.mean().is_nan() || cfg.mttf.0.mean() < 1e-3 {
            return Err(self
                .err(f.span(), format!("services.{sname}.failures.mttf"), "mean time to failure under 1 ms")
                .with_hint("typical values are hours or days, e.g. mttf = \"exp(mean=12h)\""));
        }
        Ok(Some(Failures {
            mttf: cfg.mttf.0.clone(),
            mttr: cfg.mttr.0.clone(),
            detect: cfg.detect.0,
            stream: self.stream(format!("failures:{sname}")),
        }))
    }

    /// Solves the traffic equations of every class (failing on a call cycle
    /// that never ends), names the guarded call sites and assembles the
    /// network with its warnings.
    fn finish(mut self, settings: Settings, inputs: Vec<String>, classes: Vec<Class>) -> Result<Network, ModelError> {
        let (src, switched_off) = (self.src, std::mem::take(&mut self.switched_off));
        let split = std::mem::take(&mut self.split_edges);
        components::guess_read_shares(&mut self.databases, &self.services, &self.ops);
        let edges = components::split_reads(&self.databases, &self.edges, &split);
        let (visits, item_visits, sync_visits) = traffic(src, &self.ops, &edges, &classes)?;

        name_guarded(&mut self.guarded, &self.ops, &self.calls);
        let priority_levels = classes.iter().map(|c| u16::from(c.priority)).max().unwrap_or(0) + 1;
        let mut network = Network {
            file: self.src.file.clone(),
            inputs,
            calls: self.calls,
            pools: self.pools,
            latencies: self.latencies,
            caches: self.caches,
            databases: self.databases,
            retries: self.retries,
            hedges: self.hedges,
            breakers: self.breakers,
            guarded: self.guarded,
            queues: self.queues,
            polls: self.polls,
            settings,
            services: self.services,
            ops: self.ops,
            steps: self.steps,
            reach: self.reach,
            arms: self.arms,
            classes,
            streams: self.streams,
            visits,
            sync_visits,
            item_visits,
            priority_levels,
            warnings: Vec::new(),
        };
        expect_cache_misses(src, &edges, &self.miss_edges, &mut network)?;
        // Reads spread by load: once more with the primary's writes counted
        // (a fixed point of the equal-load split; two rounds settle it to rounding).
        for _ in 0..4 {
            if !components::balance_reads(&mut network) {
                break;
            }
            let edges = components::split_reads(&network.databases, &self.edges, &split);
            (network.visits, network.item_visits, network.sync_visits) =
                traffic(src, &network.ops, &edges, &network.classes)?;
            expect_cache_misses(src, &edges, &self.miss_edges, &mut network)?;
        }
        network.warnings = saturation_warnings(&network);
        network.warnings.extend(graph::deadlock_warnings(&network, &self.edges));
        check_reached(src, &switched_off, &mut network)?;
        Ok(network)
    }
}

/// Expected visits, batch items and visits within the response of each
/// class, from the traffic equations over `edges`.
#[allow(clippy::type_complexity)]
fn traffic(
    src: &Source,
    ops: &[Op],
    edges: &[Edge],
    classes: &[Class],
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<Vec<f64>>), ModelError> {
    let mut visits = Vec::with_capacity(classes.len());
    let mut item_visits = Vec::with_capacity(classes.len());
    let mut sync_visits = Vec::with_capacity(classes.len());
    let sync: Vec<Edge> =
        edges.iter().filter(|e| e.sync).map(|e| Edge { key: String::new(), span: 0..0, ..*e }).collect();
    for class in classes {
        let v = expected_visits(ops.len(), edges, class.target)
            .map_err(|cycle| graph::cycle_error(src, edges, &cycle, ops))?;
        item_visits.push(expected_items(&v, edges, class.target));
        visits.push(v);
        sync_visits
            .push(expected_visits(ops.len(), &sync, class.target).expect("a subset of edges without cycles has none"));
    }
    Ok((visits, item_visits, sync_visits))
}

/// Weights every cache's miss path by the miss ratio TTL theory expects
/// and solves the traffic equations again, so that offered load and
/// saturation warnings behind a cache count the reads that reach it, not
/// every read. A cache read on another's miss path sees fewer reads once
/// the first is weighted: one round per level of nesting.
fn expect_cache_misses(
    src: &Source,
    all_edges: &[Edge],
    miss_edges: &[(u32, std::ops::Range<usize>)],
    network: &mut Network,
) -> Result<(), ModelError> {
    let mut used = vec![None; network.caches.len()];
    for _ in 0..network.caches.len() {
        let misses = graph::expected_miss_ratios(network);
        if misses == used {
            break;
        }
        let mut edges: Vec<Edge> =
            all_edges.iter().map(|e| Edge { key: e.key.clone(), span: e.span.clone(), ..*e }).collect();
        for (cache, range) in miss_edges {
            let Some(miss) = misses[*cache as usize] else { continue };
            for e in &mut edges[range.clone()] {
                e.weight *= miss;
            }
        }
        (network.visits, network.item_visits, network.sync_visits) =
            traffic(src, &network.ops, &edges, &network.classes)?;
        used = misses;
    }
    for (c, miss) in network.caches.iter_mut().zip(used) {
        c.expected_hit_ratio = miss.map(|m| 1.0 - m);
    }
    Ok(())
}

/// A switched-off service must not be reached; a service nothing reaches is
/// named, since it is still billed.
fn check_reached(
    src: &Source,
    switched_off: &[(u32, std::ops::Range<usize>)],
    network: &mut Network,
) -> Result<(), ModelError> {
    let reached = |s: &Service| network.visits.iter().any(|v| s.ops.clone().any(|o| v[o as usize] > 0.0));
    for (id, span) in switched_off {
        let s = &network.services[*id as usize];
        if reached(s) {
            let message = format!(
                "service `{}` is switched off, but requests still reach it: remove the calls to it too, or switch it on",
                s.name
            );
            return Err(src.error_at(span.clone(), message).with_key(format!("services.{}.enabled", s.name)));
        }
    }
    let unreached: Vec<String> = network
        .services
        .iter()
        .enumerate()
        .filter(|(i, s)| !reached(s) && !switched_off.iter().any(|(id, _)| *id as usize == *i))
        .map(|(_, s)| {
            let billed = if s.cost_per_hour > 0.0 {
                format!(", yet its {} instance(s) are billed at ${:.2} per hour each", s.instances, s.cost_per_hour)
            } else {
                String::new()
            };
            format!(
                "service `{}` is never reached: no workload's requests call, forward or publish to it{billed}. Remove it, or switch it off with `enabled = false` (a design can: set = {{ \"services.{}.enabled\" = false }})",
                s.name, s.name
            )
        })
        .collect();
    network.warnings.extend(unreached);
    Ok(())
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
