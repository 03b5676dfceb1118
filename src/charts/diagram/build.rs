//! The diagram as a graph: a node per workload, balancer, service, pool and
//! queue, an edge per kind of traffic between them, each labelled with its
//! visits per request from the model's traffic equations
//! ([`Network::visits`]); after a run, the measured load of each node.

use crate::format::{format_duration, whole_or_sig3};
use crate::model::{Action, Arrivals, NONE, Network, Step};
use crate::stats::Summary;

/// What a node stands for; decides its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A request class (clients): open arrivals, closed users or status polls.
    Workload,
    /// The balancer in front of a service of several instances.
    Balancer,
    /// A service.
    Service,
    /// A service that holds a database's primary or replicas.
    Database,
    /// A service that serves a cache's lookups.
    Cache,
    /// A connection pool held around calls.
    Pool,
    /// A message queue.
    Queue,
}

impl NodeKind {
    /// The prefix of the node's id in DOT ("service:api").
    pub fn prefix(self) -> &'static str {
        match self {
            NodeKind::Workload => "workload",
            NodeKind::Balancer => "balancer",
            NodeKind::Service | NodeKind::Database | NodeKind::Cache => "service",
            NodeKind::Pool => "pool",
            NodeKind::Queue => "queue",
        }
    }
}

/// What a run measured at a node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLoad {
    /// Utilisation: a service's usable cores busy, a pool's connections in use.
    pub utilisation: f64,
    /// A service's threads held.
    pub threads: Option<f64>,
    /// Mean wait: for a thread, a connection, or in the queue \[s\].
    pub mean_wait_s: Option<f64>,
    /// 99th percentile of the wait for a thread or a connection \[s\].
    pub p99_wait_s: Option<f64>,
    /// Share of a request's mean time spent at this service (waiting and on its CPU).
    pub time_share: Option<f64>,
    /// The busiest service: the bottleneck.
    pub bottleneck: bool,
    /// A queue's mean depth.
    pub depth: Option<f64>,
}

/// One box of the diagram.
#[derive(Debug, Clone)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Its name in the model (a balancer: its service's).
    pub name: String,
    /// Lines under the name: size, role, settings.
    pub lines: Vec<String>,
    /// Index of the service in the model, for its palette colour.
    pub service: Option<usize>,
    /// No request reaches it (a switched-off or unused part).
    pub idle: bool,
    /// Measured load, after a run.
    pub load: Option<NodeLoad>,
}

impl Node {
    /// Its DOT id, e.g. "service:api".
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind.prefix(), self.name)
    }
}

/// How traffic moves along an edge; decides its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// Requests of a workload entering the system.
    Enter,
    /// A balancer spreading requests over its service's instances.
    Balance,
    /// A call: the caller waits (holding its thread).
    Call,
    /// A forward: the request is handed on and the thread freed.
    Forward,
    /// A publish to a queue: the caller goes on at once (asynchronous).
    Publish,
    /// A queue's messages taken by its consumer (asynchronous).
    Consume,
}

impl EdgeKind {
    /// Work after the response: drawn dashed.
    pub fn asynchronous(self) -> bool {
        matches!(self, EdgeKind::Publish | EdgeKind::Consume)
    }
}

/// One arrow of the diagram.
#[derive(Debug, Clone)]
pub struct Edge {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// How traffic moves.
    pub kind: EdgeKind,
    /// The operation reached (a queue's name for a publish; empty for a balancer).
    pub op: String,
    /// Traversals per request of the classes that take it (the mean over them by their
    /// rates; 1 for an entry, 0 for a balancer).
    pub visits: f64,
    /// Traversals per second, when every class has an open rate.
    pub per_s: Option<f64>,
    /// A cache's miss path without an expected hit ratio: the traffic
    /// equations count every lookup as a miss, so the visits are an upper bound.
    pub upper_bound: bool,
    /// Reached only by status polls.
    pub polls_only: bool,
    /// No request takes it.
    pub idle: bool,
    /// The classes whose requests take it, when not every class does;
    /// `visits` is then per request of these classes.
    pub classes: Vec<String>,
}

impl Edge {
    /// The label: "read ×0.2 · 180/s", "get_page", "publish ×1 · 2/s".
    pub fn label(&self) -> String {
        match self.kind {
            EdgeKind::Balance => return String::new(),
            EdgeKind::Enter => return self.op.clone(),
            _ => {}
        }
        if self.idle {
            return format!("{} (unused)", self.op);
        }
        if self.polls_only {
            return format!("{} (polls)", self.op);
        }
        let bound = if self.upper_bound { "≤" } else { "" };
        let rate = self.per_s.map(|r| format!(" · {bound}{}/s", rate_text(r))).unwrap_or_default();
        let miss = if self.upper_bound { " on miss" } else { "" };
        let classes = if self.classes.is_empty() { String::new() } else { format!(" ({})", self.classes.join(", ")) };
        format!("{} ×{bound}{}{classes}{rate}{miss}", self.op, visits_text(self.visits))
    }
}

/// Visits per request to three significant digits, without trailing zeros:
/// "1", "12", "0.2", "0.938".
pub fn visits_text(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

fn rate_text(r: f64) -> String {
    if r >= 100.0 { whole_or_sig3(r.round()) } else { visits_text(r) }
}

/// The model as boxes and arrows.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// The heading: the model's file, or a design's name.
    pub title: String,
    /// One line under it: what the colours show, or how to read it.
    pub subtitle: String,
    /// Boxes: workloads, then services with their balancers, pools, queues.
    pub nodes: Vec<Node>,
    /// Arrows, in the order the model writes its steps.
    pub edges: Vec<Edge>,
}

/// Per class: its weight in the mix ("per request" averages over the
/// classes by their open rates) and its admitted rate, if open.
struct Mix {
    weight: Vec<f64>,
    rate: Vec<Option<f64>>,
}

impl Mix {
    fn of(net: &Network) -> Mix {
        let people: Vec<usize> = (0..net.classes.len()).filter(|&c| !net.classes[c].polling).collect();
        let mut weight = vec![0.0; net.classes.len()];
        let rates: Vec<Option<f64>> = people.iter().map(|&c| net.classes[c].open_rate()).collect();
        let total: f64 = rates.iter().flatten().sum();
        if rates.iter().all(Option::is_some) && total > 0.0 {
            for (&c, r) in people.iter().zip(&rates) {
                weight[c] = r.unwrap_or(0.0) / total;
            }
        } else {
            // Closed classes have no rate before a run: weigh the classes alike.
            for &c in &people {
                weight[c] = 1.0 / people.len() as f64;
            }
        }
        let all_open = people.iter().all(|&c| net.classes[c].open_rate().is_some());
        let rate = (0..net.classes.len())
            .map(|c| if all_open && !net.classes[c].polling { net.admitted_rate(c) } else { None })
            .collect();
        Mix { weight, rate }
    }

    /// Traversals per request of the classes that take an edge (`per_class`:
    /// each class's), with their names when they are not every class: the
    /// mean over those classes by their weights in the mix.
    fn per_request(&self, net: &Network, per_class: &[f64]) -> (f64, Vec<String>) {
        let people: Vec<usize> = (0..net.classes.len()).filter(|&c| !net.classes[c].polling).collect();
        let using: Vec<usize> = people.iter().copied().filter(|&c| per_class[c] > 0.0).collect();
        if using.is_empty() {
            return (0.0, Vec::new());
        }
        let weight: f64 = using.iter().map(|&c| self.weight[c]).sum();
        let visits = if weight > 0.0 {
            using.iter().map(|&c| self.weight[c] * per_class[c]).sum::<f64>() / weight
        } else {
            using.iter().map(|&c| per_class[c]).sum::<f64>() / using.len() as f64
        };
        let names = if using.len() == people.len() {
            Vec::new()
        } else {
            using.iter().map(|&c| net.classes[c].name.clone()).collect()
        };
        (visits, names)
    }
}

/// One traversal site of the model: from an op, weighted per visit of it.
struct Site {
    /// The op whose visits the traversals follow.
    from_op: usize,
    /// The source node, when it is not the op's service (a pool, a queue).
    from: Option<usize>,
    to: usize,
    kind: EdgeKind,
    op: String,
    weight: f64,
    upper_bound: bool,
}

/// Builds the diagram of a compiled model.
pub(super) fn build(net: &Network, title: &str) -> Diagram {
    let mut d = Diagram { title: title.to_string(), subtitle: String::new(), nodes: Vec::new(), edges: Vec::new() };
    let add = |d: &mut Diagram, node: Node| {
        d.nodes.push(node);
        d.nodes.len() - 1
    };
    let reached = |op: usize| net.visits.iter().any(|v| v[op] > 0.0);

    let workloads: Vec<usize> = net
        .classes
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let mut node = workload_node(class);
            node.idle = class.polling && !polled(net, c);
            add(&mut d, node)
        })
        .collect();
    let called = called_services(net);
    // Each service, behind its balancer when it has several instances and
    // requests arrive by calls or forwards (a consumer takes its messages).
    let mut front = vec![0; net.services.len()];
    let mut body = vec![0; net.services.len()];
    for (s, svc) in net.services.iter().enumerate() {
        let idle = !svc.ops.clone().any(|o| reached(o as usize));
        let lb = (svc.max_instances() > 1 && called[s]).then(|| {
            let policy = svc.balance.key().replace('_', " ");
            add(
                &mut d,
                Node {
                    kind: NodeKind::Balancer,
                    name: svc.name.clone(),
                    lines: vec![policy],
                    service: Some(s),
                    idle,
                    load: None,
                },
            )
        });
        let (kind, lines) = service_lines(net, s);
        body[s] = add(&mut d, Node { kind, name: svc.name.clone(), lines, service: Some(s), idle, load: None });
        front[s] = lb.unwrap_or(body[s]);
        if let Some(lb) = lb {
            d.edges.push(Edge {
                from: lb,
                to: body[s],
                kind: EdgeKind::Balance,
                op: String::new(),
                visits: 0.0,
                per_s: None,
                upper_bound: false,
                polls_only: false,
                idle,
                classes: Vec::new(),
            });
        }
    }
    let pools: Vec<usize> = net
        .pools
        .iter()
        .map(|p| {
            let mut lines = vec![match p.per {
                Some(s) => format!("{} connections per {} instance", p.size, net.services[s as usize].name),
                None => format!("{} connections, shared", p.size),
            }];
            if let Some(t) = p.wait_timeout {
                lines.push(format!("waits at most {}", format_duration(t)));
            }
            add(
                &mut d,
                Node { kind: NodeKind::Pool, name: p.name.clone(), lines, service: None, idle: false, load: None },
            )
        })
        .collect();
    let queues: Vec<usize> = net
        .queues
        .iter()
        .map(|q| {
            let lines = vec![if q.capacity == u32::MAX {
                "unbounded".to_string()
            } else {
                format!("holds ≤ {}", whole_or_sig3(f64::from(q.capacity)))
            }];
            add(
                &mut d,
                Node { kind: NodeKind::Queue, name: q.name.clone(), lines, service: None, idle: false, load: None },
            )
        })
        .collect();

    // Entries: each class into its target's service (through its balancer).
    for (c, class) in net.classes.iter().enumerate() {
        let op = &net.ops[class.target as usize];
        d.edges.push(Edge {
            from: workloads[c],
            to: front[op.service as usize],
            kind: EdgeKind::Enter,
            op: short(&op.name).to_string(),
            visits: 1.0,
            per_s: None,
            upper_bound: false,
            polls_only: class.polling,
            idle: d.nodes[workloads[c]].idle,
            classes: Vec::new(),
        });
    }

    // Every call, forward and publish the steps make.
    let mut sites: Vec<Site> = Vec::new();
    let targets = Targets { front: &front, body: &body, pools: &pools, queues: &queues };
    for (o, op) in net.ops.iter().enumerate() {
        for s in op.steps.start as usize..op.steps.end as usize {
            // A step in an arm runs on that arm's share of the op's visits.
            let first = sites.len();
            step_sites(net, o, &net.steps[s], &targets, &mut sites);
            sites[first..].iter_mut().for_each(|site| site.weight *= net.reach[s]);
        }
    }
    let mix = Mix::of(net);
    // Per merged edge: its traversals per request of each class.
    let mut merged: Vec<(Edge, Vec<f64>)> = Vec::new();
    for site in &sites {
        let from = site.from.unwrap_or(body[net.ops[site.from_op].service as usize]);
        let per_class: Vec<f64> = net.visits.iter().map(|v| v[site.from_op] * site.weight).collect();
        let per_s: Option<f64> = (0..net.classes.len())
            .filter(|&c| !net.classes[c].polling)
            .map(|c| mix.rate[c].map(|r| r * per_class[c]))
            .sum();
        let used = reached(site.from_op);
        let same = |e: &Edge| e.from == from && e.to == site.to && e.kind == site.kind && e.op == site.op;
        match merged.iter_mut().find(|(e, _)| same(e)) {
            Some((e, visits)) => {
                visits.iter_mut().zip(&per_class).for_each(|(a, b)| *a += b);
                e.per_s = e.per_s.zip(per_s).map(|(a, b)| a + b);
                e.idle &= !used;
            }
            None => merged.push((
                Edge {
                    from,
                    to: site.to,
                    kind: site.kind,
                    op: site.op.clone(),
                    visits: 0.0,
                    per_s,
                    upper_bound: site.upper_bound,
                    polls_only: false,
                    idle: !used,
                    classes: Vec::new(),
                },
                per_class,
            )),
        }
    }
    for (mut e, per_class) in merged {
        (e.visits, e.classes) = mix.per_request(net, &per_class);
        e.polls_only = !e.idle && e.visits == 0.0;
        d.edges.push(e);
    }
    d
}

/// Whether the publishes that status-poll class `c` polls for are reached.
fn polled(net: &Network, c: usize) -> bool {
    let polls: Vec<u32> = (0..net.polls.len() as u32).filter(|&p| net.polls[p as usize].class as usize == c).collect();
    net.ops.iter().enumerate().any(|(o, op)| {
        net.visits.iter().any(|v| v[o] > 0.0)
            && net.steps[op.steps.start as usize..op.steps.end as usize]
                .iter()
                .any(|s| matches!(s, Step::Publish { poll, .. } if polls.contains(poll)))
    })
}

/// Services that calls, forwards or workloads send requests to (through a balancer).
fn called_services(net: &Network) -> Vec<bool> {
    let mut called = vec![false; net.services.len()];
    let mut mark = |op: u32| called[net.ops[op as usize].service as usize] = true;
    for class in &net.classes {
        mark(class.target);
    }
    for call in &net.calls {
        mark(call.op);
    }
    for step in &net.steps {
        match step {
            Step::Act(Action::Forward { op }) => mark(*op),
            Step::Branch { arms, .. } => {
                for arm in &net.arms[arms.start as usize..arms.end as usize] {
                    if let Action::Forward { op } = arm.action {
                        mark(op);
                    }
                }
            }
            _ => {}
        }
    }
    called
}

/// The op's name without its service: "db.read" -> "read".
fn short(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, op)| op)
}

/// Where the arrows of a service, pool or queue end.
struct Targets<'a> {
    /// Per service: its balancer, or itself.
    front: &'a [usize],
    /// Per service: its own node.
    body: &'a [usize],
    pools: &'a [usize],
    queues: &'a [usize],
}

/// The traversal sites of one step of op `o`.
fn step_sites(net: &Network, o: usize, step: &Step, t: &Targets, out: &mut Vec<Site>) {
    let site = |from: Option<usize>, to: usize, kind: EdgeKind, op: &str, weight: f64, upper_bound: bool| Site {
        from_op: o,
        from,
        to,
        kind,
        op: op.to_string(),
        weight,
        upper_bound,
    };
    let call = |call: u32, p: f64, upper_bound: bool, out: &mut Vec<Site>| {
        let c = &net.calls[call as usize];
        let callee = &net.ops[c.op as usize];
        let weight = p * f64::from(c.count) * f64::from(c.parallel);
        let op = short(&callee.name);
        let to = t.front[callee.service as usize];
        if c.pool == NONE {
            out.push(site(None, to, EdgeKind::Call, op, weight, upper_bound));
        } else {
            // Through the pool: caller -> pool -> callee, the same traffic.
            let pool = t.pools[c.pool as usize];
            out.push(site(None, pool, EdgeKind::Call, op, weight, upper_bound));
            out.push(site(Some(pool), to, EdgeKind::Call, op, weight, upper_bound));
        }
    };
    let forward = |to_op: u32, p: f64, out: &mut Vec<Site>| {
        let callee = &net.ops[to_op as usize];
        out.push(site(None, t.front[callee.service as usize], EdgeKind::Forward, short(&callee.name), p, false));
    };
    match step {
        Step::Act(Action::Call { call: c }) => call(*c, 1.0, false, out),
        Step::Act(Action::Forward { op }) => forward(*op, 1.0, out),
        Step::DbRead { call: c, db } => {
            // Spread over the primary (the next call site) and the replicas, as the traffic equations expect.
            let d = &net.databases[*db as usize];
            if d.primary_read_op == NONE {
                call(*c, 1.0, false, out);
            } else {
                call(*c, 1.0 - d.expected_primary_share, false, out);
                call(*c + 1, d.expected_primary_share, false, out);
            }
        }
        Step::DbWrite { call: c, .. } => call(*c, 1.0, false, out),
        Step::CacheRead { cache, miss } => {
            let cache = &net.caches[*cache as usize];
            call(cache.lookup, 1.0, false, out);
            // The traffic equations send the expected misses down the miss
            // path (TTL theory); without an estimate, every lookup: a bound.
            match cache.expected_hit_ratio {
                Some(hit) => call(*miss, 1.0 - hit, false, out),
                None => call(*miss, 1.0, true, out),
            }
        }
        Step::Publish { queue, .. } => {
            // Each message visits the consumer once, from the queue.
            let q = *queue as usize;
            let consumer = &net.ops[net.queues[q].consumer as usize];
            out.push(site(None, t.queues[q], EdgeKind::Publish, "publish", 1.0, false));
            let to = t.body[consumer.service as usize];
            out.push(site(Some(t.queues[q]), to, EdgeKind::Consume, short(&consumer.name), 1.0, false));
        }
        Step::Branch { arms, .. } => {
            let mut before = 0.0;
            for arm in &net.arms[arms.start as usize..arms.end as usize] {
                // The last arm's cumulative is infinite (a guard against rounding).
                let p = if arm.cumulative.is_finite() { arm.cumulative - before } else { 1.0 - before };
                before = arm.cumulative;
                match arm.action {
                    Action::Call { call: c } => call(c, p, false, out),
                    Action::Forward { op } => forward(op, p, out),
                    // The block's own steps are sites of their own.
                    Action::Continue | Action::Goto { .. } => {}
                }
            }
        }
        Step::Compute { .. }
        | Step::CacheWrite { .. }
        | Step::Jump { .. }
        | Step::Act(Action::Continue | Action::Goto { .. }) => {}
    }
}

fn workload_node(class: &crate::model::Class) -> Node {
    let mut lines = Vec::new();
    if class.polling {
        lines.push("status polls".to_string());
    } else if let Some(m) = &class.modulation {
        lines.push(format!("{}/s on average, varying", rate_text(m.mean_rate())));
    } else if let Some(t) = &class.trace {
        lines.push(format!("replayed trace, {} arrivals", whole_or_sig3(t.len() as f64)));
    } else {
        match &class.arrivals {
            Arrivals::Open { interarrival: Some(d) } => {
                let process = if d.is_exponential() { " Poisson" } else { "" };
                lines.push(format!("{}/s{process}", rate_text(1.0 / d.mean())));
            }
            Arrivals::Open { interarrival: None } => lines.push("no arrivals".to_string()),
            Arrivals::Closed { users, think } => {
                lines.push(format!("{users} users, think {}", format_duration(think.mean())));
            }
        }
    }
    if class.priority > 0 {
        lines.push(format!("priority {}", class.priority));
    }
    Node { kind: NodeKind::Workload, name: class.name.clone(), lines, service: None, idle: false, load: None }
}

/// A service's kind (database, cache or plain) and its lines: fleet, threads
/// and cores, its role.
fn service_lines(net: &Network, s: usize) -> (NodeKind, Vec<String>) {
    let svc = &net.services[s];
    let mut lines = Vec::new();
    let fleet = match &svc.autoscale {
        Some(a) => format!("{}–{} instances (autoscaled)", a.min, a.max.max(svc.instances)),
        None if svc.instances == 1 => "1 instance".to_string(),
        None => format!("{} instances", svc.instances),
    };
    let fleet = match &svc.instance_type {
        Some(t) if svc.autoscale.is_none() => format!("{} × {t}", svc.instances),
        _ => fleet,
    };
    let cost = if svc.cost_per_hour > 0.0 && svc.autoscale.is_none() {
        format!(" · {}/h", crate::format::dollars(svc.cost_per_hour * f64::from(svc.instances)))
    } else {
        String::new()
    };
    lines.push(format!("{fleet}{cost}"));
    let mut each = if svc.threads == svc.cores {
        format!("{} threads", svc.threads)
    } else {
        format!("{} threads, {} cores", svc.threads, svc.cores)
    };
    if (svc.speed - 1.0).abs() > 1e-9 {
        each.push_str(&format!(", speed ×{}", visits_text(svc.speed)));
    }
    lines.push(if svc.max_instances() > 1 { format!("{each} each") } else { each });
    let mut kind = NodeKind::Service;
    for db in &net.databases {
        let (reads, writes) =
            (net.ops[db.read_op as usize].service as usize == s, net.ops[db.write_op as usize].service as usize == s);
        let role = match (reads, writes) {
            (true, true) => format!("database {}", db.name),
            (true, false) if svc.max_instances() > 1 => format!("{}: read replicas", db.name),
            (true, false) => format!("{}: read replica", db.name),
            (false, true) => format!("{}: primary", db.name),
            (false, false) => continue,
        };
        kind = NodeKind::Database;
        lines.push(role);
    }
    for cache in &net.caches {
        if net.ops[net.calls[cache.lookup as usize].op as usize].service as usize == s {
            kind = NodeKind::Cache;
            lines.push(format!("cache {}, TTL {}", cache.name, format_duration(cache.ttl)));
        }
    }
    if svc.consumes != NONE {
        lines.push(format!("consumes {}", net.queues[svc.consumes as usize].name));
    }
    (kind, lines)
}

/// Marks the measured load of a run on the diagram's nodes: utilisation,
/// mean wait and time share of the services (the busiest is the
/// bottleneck), pools' connections in use and wait, queues' depth and wait.
pub(super) fn annotate(d: &mut Diagram, summary: &Summary) {
    let busiest = crate::stats::utilisation::busiest(&summary.services).map(|s| s.name.clone());
    let breakdown = super::super::data::breakdown(summary);
    for node in &mut d.nodes {
        node.load = match node.kind {
            NodeKind::Service | NodeKind::Database | NodeKind::Cache => {
                summary.services.iter().find(|s| s.name == node.name).map(|s| {
                    let share = breakdown.as_ref().and_then(|b| {
                        let (_, wait, cpu) = b.services.iter().find(|(n, _, _)| *n == s.name)?;
                        (b.total_s > 0.0 && !s.asynchronous).then(|| (wait + cpu) / b.total_s)
                    });
                    NodeLoad {
                        utilisation: s.utilisation.value,
                        threads: Some(s.thread_utilisation.value),
                        mean_wait_s: Some(s.mean_wait_s.value),
                        p99_wait_s: Some(s.wait_s.p99.value),
                        time_share: share,
                        bottleneck: busiest.as_deref() == Some(s.name.as_str()),
                        depth: None,
                    }
                })
            }
            NodeKind::Pool => summary.pools.iter().find(|p| p.name == node.name).map(|p| NodeLoad {
                utilisation: p.utilisation.value,
                threads: None,
                mean_wait_s: Some(p.mean_wait_s.value),
                p99_wait_s: Some(p.wait_s.p99.value),
                time_share: None,
                bottleneck: false,
                depth: None,
            }),
            NodeKind::Queue => summary.queues.iter().find(|q| q.name == node.name).map(|q| NodeLoad {
                utilisation: f64::NAN,
                threads: None,
                mean_wait_s: Some(q.mean_wait_s.value),
                p99_wait_s: None,
                time_share: None,
                bottleneck: false,
                depth: Some(q.mean_depth.value),
            }),
            NodeKind::Workload | NodeKind::Balancer => None,
        };
    }
}
