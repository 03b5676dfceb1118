//! The call graph, learnt trace by trace: spans wait in a buffer until their
//! trace is complete, then the trace is reduced to per-operation counts,
//! own times (a bounded reservoir each), calls and root arrivals, and
//! dropped. Memory grows with distinct operations, not spans, once traces
//! complete: a Jaeger trace is complete where its element ends; an OTLP
//! trace when a whole document (a file, or a line of JSON Lines) brought it
//! no new span.
//!
//! What a span means (OpenTelemetry's span kinds):
//! - SERVER, CONSUMER, INTERNAL (and unspecified): work of operation `name`
//!   in service `service.name`;
//! - CLIENT with children: a synchronous call to the children's operations;
//!   its interval (network, queueing, the callee's work) is not the
//!   caller's own time;
//! - PRODUCER with children: a message to a queue, consumed by the children;
//! - CLIENT without children: a call to an uninstrumented dependency, an
//!   operation of the service `peer.service` names (else `SERVICE-downstream`);
//!   a failed one never reached a server and is only counted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::{RngExt as _, SeedableRng};

use super::read::{Read1, Sink};
use crate::rng::Stream;

/// Own-time samples kept per operation (uniformly chosen when there are more).
pub const RESERVOIR: usize = 20_000;

const NONE: u32 = u32::MAX;

/// Names seen in the input, each once.
#[derive(Debug, Default)]
pub struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.list.push(name.to_string());
        self.index.insert(name.to_string(), (self.list.len() - 1) as u32);
        (self.list.len() - 1) as u32
    }

    /// The name of id `id`.
    pub fn get(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
}

#[derive(Debug, Clone, Copy)]
struct Span {
    id: u64,
    parent: u64,
    service: u32,
    instance: u32,
    name: u32,
    kind: u8,
    start: u64,
    end: u64,
    error: bool,
    peer: u32,
    queue: u32,
}

struct Pending {
    spans: Vec<Span>,
    unit: u64,
}

/// What one operation did.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Service name id.
    pub service: u32,
    /// Operation (span) name id.
    pub name: u32,
    /// Spans.
    pub count: u64,
    /// Failed spans.
    pub errors: u64,
    /// Sum of durations \[ns\].
    pub duration_sum: f64,
    /// Sum of own times \[ns\].
    pub own_sum: f64,
    /// Spans whose own time was zero (all covered by children).
    pub own_zero: u64,
    /// Own times \[s\], a uniform sample of at most [`RESERVOIR`].
    pub own: Vec<f64>,
}

/// Calls from one operation to another.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    /// Calls (or messages) in all.
    pub count: u64,
    /// Sum over calls of the call's start after its caller's \[ns\], for ordering steps.
    pub offset_sum: f64,
}

/// Requests entering at one operation.
#[derive(Debug, Clone)]
pub struct ClassStats {
    /// Root spans.
    pub count: u64,
    /// First root's start \[ns since 1970\].
    pub first: u64,
    /// Last root's start.
    pub last: u64,
}

/// What one service's spans show.
#[derive(Debug, Clone, Default)]
pub struct ServiceStats {
    /// Distinct `service.instance.id`s.
    pub instances: BTreeSet<u32>,
    /// Busy span-nanoseconds per second of the traces' clock.
    pub busy: BTreeMap<u64, f64>,
}

/// Things the input got wrong or could not say, counted.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Spans read.
    pub spans: u64,
    /// Traces reduced.
    pub traces: u64,
    /// Spans whose parent is in no span of their trace.
    pub orphans: u64,
    /// Children that start before their parent (clock skew between hosts).
    pub skewed: u64,
    /// Spans whose id repeats in their trace (dropped).
    pub duplicates: u64,
    /// Failed CLIENT spans without a server child (refused before any server span).
    pub unreached: u64,
    /// PRODUCER spans without a consumer in the traces.
    pub unconsumed: u64,
}

/// The call graph learnt so far.
pub struct Graph {
    /// Every name.
    pub names: Names,
    /// Operations in order of first sight.
    pub ops: Vec<OpStats>,
    op_index: HashMap<(u32, u32), u32>,
    /// (caller op, callee op, queue name id or NONE for a synchronous call).
    pub calls: BTreeMap<(u32, u32, u32), CallStats>,
    /// (class name id, target op).
    pub classes: BTreeMap<(u32, u32), ClassStats>,
    /// By service name id.
    pub services: BTreeMap<u32, ServiceStats>,
    /// Counts of problems.
    pub counts: Counts,
    pending: HashMap<u128, Pending>,
    unit: u64,
    rng: Stream,
    /// Reused per trace.
    scratch: Vec<(u64, u64)>,
}

impl Default for Graph {
    fn default() -> Self {
        Graph {
            names: Names::default(),
            ops: Vec::new(),
            op_index: HashMap::new(),
            calls: BTreeMap::new(),
            classes: BTreeMap::new(),
            services: BTreeMap::new(),
            counts: Counts::default(),
            pending: HashMap::new(),
            unit: 0,
            rng: Stream::seed_from_u64(0x696d_706f_7274),
            scratch: Vec::new(),
        }
    }
}

/// The service name id of a synthetic downstream service.
const DOWNSTREAM: &str = "-downstream";

impl Sink for Graph {
    fn span(&mut self, s: Read1) {
        self.counts.spans += 1;
        let span = Span {
            id: s.id,
            parent: s.parent,
            service: self.names.id(&s.service),
            instance: s.instance.as_deref().map_or(NONE, |i| self.names.id(i)),
            name: self.names.id(&s.name),
            kind: s.kind,
            start: s.start,
            end: s.end,
            error: s.error,
            peer: s.peer.as_deref().map_or(NONE, |p| self.names.id(p)),
            queue: s.queue.as_deref().map_or(NONE, |q| self.names.id(q)),
        };
        let unit = self.unit;
        let p = self.pending.entry(s.trace).or_insert_with(|| Pending { spans: Vec::new(), unit });
        p.unit = unit;
        p.spans.push(span);
    }

    fn unit_end(&mut self, complete: bool) {
        let unit = self.unit;
        let done: Vec<u128> = self.pending.iter().filter(|(_, p)| complete || p.unit < unit).map(|(&t, _)| t).collect();
        self.reduce(done);
        self.unit += 1;
    }
}

impl Graph {
    /// Reduces every trace still waiting (the input has ended).
    pub fn finish(&mut self) {
        let all: Vec<u128> = self.pending.keys().copied().collect();
        self.reduce(all);
    }

    /// Spans waiting for their trace to complete.
    pub fn pending_spans(&self) -> usize {
        self.pending.values().map(|p| p.spans.len()).sum()
    }

    fn reduce(&mut self, mut traces: Vec<u128>) {
        // In id order: the reservoir's draws, hence the model, do not depend on hashing.
        traces.sort_unstable();
        for t in traces {
            if let Some(p) = self.pending.remove(&t) {
                self.trace(p.spans);
            }
        }
    }

    fn op(&mut self, service: u32, name: u32) -> u32 {
        if let Some(&i) = self.op_index.get(&(service, name)) {
            return i;
        }
        self.ops.push(OpStats {
            service,
            name,
            count: 0,
            errors: 0,
            duration_sum: 0.0,
            own_sum: 0.0,
            own_zero: 0,
            own: Vec::new(),
        });
        let i = (self.ops.len() - 1) as u32;
        self.op_index.insert((service, name), i);
        i
    }

    /// Reduces one complete trace.
    fn trace(&mut self, mut spans: Vec<Span>) {
        self.counts.traces += 1;
        spans.sort_by_key(|s| (s.start, s.id));
        let mut index: HashMap<u64, usize> = HashMap::with_capacity(spans.len());
        let mut keep = vec![true; spans.len()];
        for (i, s) in spans.iter().enumerate() {
            if index.insert(s.id, i).is_some() {
                self.counts.duplicates += 1;
                keep[i] = false;
            }
        }
        // Children of each span, in start order.
        let n = spans.len();
        let mut parent = vec![usize::MAX; n];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            if !keep[i] || spans[i].parent == 0 {
                continue;
            }
            match index.get(&spans[i].parent) {
                Some(&p) if p != i && keep[p] => {
                    parent[i] = p;
                    children[p].push(i);
                }
                _ => self.counts.orphans += 1,
            }
        }
        let edge: Vec<bool> = (0..n).map(|i| matches!(spans[i].kind, 3 | 4) && !children[i].is_empty()).collect();
        // The operation each non-edge span ran.
        let mut op = vec![NONE; n];
        for i in 0..n {
            if !keep[i] || edge[i] {
                continue;
            }
            let s = spans[i];
            op[i] = match s.kind {
                3 if s.error => {
                    self.counts.unreached += 1;
                    NONE
                }
                3 => {
                    let service = if s.peer != NONE {
                        s.peer
                    } else {
                        let name = format!("{}{DOWNSTREAM}", self.names.get(s.service));
                        self.names.id(&name)
                    };
                    self.op(service, s.name)
                }
                4 => {
                    self.counts.unconsumed += 1;
                    NONE
                }
                _ => self.op(s.service, s.name),
            };
        }
        for i in 0..n {
            if op[i] != NONE {
                self.node(&spans, &children, &edge, &op, i);
            }
        }
        // Roots: requests entering the system.
        for i in 0..n {
            if !keep[i] || spans[i].parent != 0 {
                continue;
            }
            let (class, target, rest): (u32, u32, &[usize]) = if edge[i] && spans[i].kind == 3 {
                let mut entered = children[i].iter().filter(|&&c| op[c] != NONE);
                let Some(&first) = entered.next() else { continue };
                (spans[i].name, op[first], &children[i][1..])
            } else if op[i] != NONE {
                (spans[i].name, op[i], &[])
            } else {
                continue;
            };
            // A root call with more servers under it (a forward chain): later ones as calls of the first.
            for &c in rest {
                if op[c] != NONE {
                    let call = self.calls.entry((target, op[c], NONE)).or_default();
                    call.count += 1;
                    call.offset_sum += spans[c].start.saturating_sub(spans[i].start) as f64;
                }
            }
            let at = spans[i].start;
            let stats = self.classes.entry((class, target)).or_insert(ClassStats { count: 0, first: at, last: at });
            stats.count += 1;
            stats.first = stats.first.min(at);
            stats.last = stats.last.max(at);
        }
    }

    /// A span of an operation: its own time, its calls, its service's busy time.
    fn node(&mut self, spans: &[Span], children: &[Vec<usize>], edge: &[bool], op: &[u32], i: usize) {
        let s = spans[i];
        let x = op[i];
        let mut covered = std::mem::take(&mut self.scratch);
        covered.clear();
        for &c in &children[i] {
            let child = spans[c];
            if child.start < s.start {
                self.counts.skewed += 1;
            }
            if edge[c] {
                covered.push((child.start, child.end));
                let queue = match child.kind {
                    4 if child.queue != NONE => child.queue,
                    4 => child.name,
                    _ => NONE,
                };
                for &g in &children[c] {
                    if op[g] == NONE {
                        continue;
                    }
                    if queue == NONE && spans[g].start < child.start {
                        self.counts.skewed += 1;
                    }
                    let call = self.calls.entry((x, op[g], queue)).or_default();
                    call.count += 1;
                    call.offset_sum += child.start.saturating_sub(s.start) as f64;
                }
            } else if op[c] != NONE {
                let queue = if child.kind == 5 {
                    if child.queue != NONE {
                        child.queue
                    } else {
                        self.names.id(&format!("{}_queue", self.names.get(child.name)))
                    }
                } else {
                    covered.push((child.start, child.end));
                    NONE
                };
                let call = self.calls.entry((x, op[c], queue)).or_default();
                call.count += 1;
                call.offset_sum += child.start.saturating_sub(s.start) as f64;
            }
        }
        let duration = s.end - s.start;
        let own = duration - union_within(&mut covered, s.start, s.end);
        self.scratch = covered;
        let stats = &mut self.ops[x as usize];
        stats.count += 1;
        stats.errors += u64::from(s.error);
        stats.duration_sum += duration as f64;
        stats.own_sum += own as f64;
        if own == 0 {
            stats.own_zero += 1;
        } else if stats.own.len() < RESERVOIR {
            stats.own.push(own as f64 / 1e9);
        } else {
            // Algorithm R over the positive own times.
            let seen = stats.count - stats.own_zero;
            let j = self.rng.random_range(0..seen);
            if (j as usize) < RESERVOIR {
                stats.own[j as usize] = own as f64 / 1e9;
            }
        }
        let service = stats.service;
        let svc = self.services.entry(service).or_default();
        if s.instance != NONE && s.kind != 3 {
            svc.instances.insert(s.instance);
        }
        add_busy(&mut svc.busy, s.start, s.end);
    }
}

/// Length of the union of `intervals` clipped to [lo, hi].
fn union_within(intervals: &mut [(u64, u64)], lo: u64, hi: u64) -> u64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut reach = lo;
    for &(a, b) in intervals.iter() {
        let (a, b) = (a.max(reach), b.min(hi));
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

/// Adds [start, end) to per-second busy time.
fn add_busy(busy: &mut BTreeMap<u64, f64>, start: u64, end: u64) {
    const S: u64 = 1_000_000_000;
    let mut t = start;
    while t < end {
        let second = t / S;
        let next = ((second + 1) * S).min(end);
        *busy.entry(second).or_default() += (next - t) as f64;
        t = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_counts_overlaps_once_and_clips_to_the_parent() {
        let mut v = vec![(5, 10), (8, 12), (20, 30), (0, 2)];
        assert_eq!(union_within(&mut v, 1, 25), 1 + 7 + 5);
    }

    #[test]
    fn busy_time_splits_at_second_boundaries() {
        let mut b = BTreeMap::new();
        add_busy(&mut b, 500_000_000, 2_250_000_000);
        assert_eq!(b.get(&0), Some(&5e8));
        assert_eq!(b.get(&1), Some(&1e9));
        assert_eq!(b.get(&2), Some(&2.5e8));
    }
}
