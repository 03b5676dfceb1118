//! Graph analysis of the call graph: the [`Edge`]s that calls, forwards and
//! publishes draw between operations, the expected visits and batch items per
//! request they imply (the traffic equations), the call cycle reported when
//! visits are unbounded, the miss ratios expected behind caches, the offered
//! CPU load behind the saturation warnings, and the cycles of
//! thread-holding calls that can deadlock.

use std::ops::Range;

use super::{NONE, Network, Op, Step};
use crate::config::Source;
use crate::error::ModelError;

/// A call or forward from one op to another, weighted by its expected count per visit.
pub(super) struct Edge {
    pub(super) from: u32,
    pub(super) to: u32,
    pub(super) weight: f64,
    /// Batch items each traversal carries.
    pub(super) items: f64,
    /// The caller waits for (or hands on to) the target; false for a publish,
    /// whose consumer runs after the response.
    pub(super) sync: bool,
    /// The caller keeps its thread while the callee runs (a call or a cache
    /// lookup; not a forward or a publish).
    pub(super) holds: bool,
    pub(super) span: Range<usize>,
    pub(super) key: String,
}

/// Expected visits to each op per request entering at `entry`: the solution of
/// the traffic equations v = e + v P. Fails with a cycle when visits are
/// unbounded (the spectral radius of P on the reachable ops is at least 1).
pub(super) fn expected_visits(n: usize, edges: &[Edge], entry: u32) -> Result<Vec<f64>, Vec<u32>> {
    // Reachable ops, in discovery order.
    let mut index = vec![usize::MAX; n];
    let mut reach = vec![entry];
    index[entry as usize] = 0;
    let mut i = 0;
    while i < reach.len() {
        let from = reach[i];
        for e in edges.iter().filter(|e| e.from == from && e.weight > 0.0) {
            if index[e.to as usize] == usize::MAX {
                index[e.to as usize] = reach.len();
                reach.push(e.to);
            }
        }
        i += 1;
    }
    let m = reach.len();
    // Traffic equations (I - P^T) v = e as an augmented row-major matrix.
    let width = m + 1;
    let mut a = vec![0.0; m * width];
    for r in 0..m {
        a[r * width + r] = 1.0;
    }
    a[m] = 1.0;
    for e in edges.iter().filter(|e| e.weight > 0.0) {
        let (f, t) = (index[e.from as usize], index[e.to as usize]);
        if f != usize::MAX && t != usize::MAX {
            a[t * width + f] -= e.weight;
        }
    }
    // A non-negative solution exists iff visits are finite; huge values mean
    // a loop so likely that the model is certainly a mistake.
    let solution = crate::theory::solve_augmented(&mut a, m).filter(|v| v.iter().all(|&x| x < 1e7));
    let Some(solution) = solution else { return Err(find_cycle(edges, &reach)) };
    let mut visits = vec![0.0; n];
    for (&op, v) in reach.iter().zip(solution) {
        visits[op as usize] = v;
    }
    Ok(visits)
}

/// Expected batch items through each op per request: every traversal of an
/// edge brings its call's batch; the request itself is one item.
pub(super) fn expected_items(visits: &[f64], edges: &[Edge], entry: u32) -> Vec<f64> {
    let mut items = vec![0.0; visits.len()];
    items[entry as usize] = 1.0;
    for e in edges {
        items[e.to as usize] += visits[e.from as usize] * e.weight * e.items;
    }
    items
}

/// A cycle among the reachable ops (for the error message).
fn find_cycle(edges: &[Edge], reach: &[u32]) -> Vec<u32> {
    fn dfs(node: u32, edges: &[Edge], stack: &mut Vec<u32>, done: &mut Vec<u32>) -> Option<Vec<u32>> {
        if let Some(pos) = stack.iter().position(|&s| s == node) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if done.contains(&node) {
            return None;
        }
        stack.push(node);
        for e in edges.iter().filter(|e| e.from == node && e.weight > 0.0) {
            if let Some(c) = dfs(e.to, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.push(node);
        None
    }
    let mut done = Vec::new();
    for &start in reach {
        if let Some(c) = dfs(start, edges, &mut Vec::new(), &mut done) {
            return c;
        }
    }
    reach.to_vec()
}

/// Offered CPU load per service from open classes, as a fraction of its
/// usable cores ([`Service::usable_cores`](super::Service::usable_cores) per
/// instance, at its largest fleet): the utilisation law's utilisation.
pub fn offered_cpu_load(net: &Network) -> Vec<f64> {
    let mut load = vec![0.0; net.services.len()];
    for c in 0..net.classes.len() {
        let Some(rate) = net.admitted_rate(c) else { continue };
        for (o, op) in net.ops.iter().enumerate() {
            load[op.service as usize] += rate * net.cpu_per_request(c, o);
        }
    }
    // An autoscaled service is saturated only if even its largest fleet is.
    for (l, s) in load.iter_mut().zip(&net.services) {
        *l /= f64::from(s.max_instances()) * f64::from(s.usable_cores());
    }
    load
}

/// The miss ratio TTL theory expects at each cache
/// ([`crate::theory::ttl_miss_ratio`]) from the open classes' reads and
/// writes at the current visits; `None` for a cache no open class reads
/// (closed classes have no rate until their network is solved).
pub(super) fn expected_miss_ratios(net: &Network) -> Vec<Option<f64>> {
    let mut reads = vec![0.0; net.caches.len()];
    let mut writes = vec![0.0; net.caches.len()];
    for c in 0..net.classes.len() {
        let Some(rate) = net.admitted_rate(c) else { continue };
        for (op, &v) in net.ops.iter().zip(&net.visits[c]) {
            for s in op.steps.start as usize..op.steps.end as usize {
                let runs = rate * v * net.reach[s];
                match net.steps[s] {
                    Step::CacheRead { cache, .. } => reads[cache as usize] += runs,
                    Step::CacheWrite { cache } => writes[cache as usize] += runs,
                    _ => {}
                }
            }
        }
    }
    net.caches
        .iter()
        .zip(reads.iter().zip(&writes))
        .map(|(c, (&r, &w))| {
            (r > 0.0).then(|| crate::theory::ttl_miss_ratio(c.keys, c.zipf, c.ttl, r, w, c.on_write)).flatten()
        })
        .collect()
}

pub(super) fn saturation_warnings(net: &Network) -> Vec<String> {
    let mut out = Vec::new();
    for (&load, s) in offered_cpu_load(net).iter().zip(&net.services) {
        if load >= 1.0 && s.queue_limit == 0 {
            // A loss system (Erlang B): turning arrivals away is its point.
            out.push(format!(
                "service `{}` has no queue (queue_limit = 0) and its open workload offers {:.0}% of its CPU capacity: most arrivals find every thread busy and are turned away (see rejected_per_s and the error ratio)",
                s.name,
                load * 100.0
            ));
        } else if load >= 1.0 {
            // What the excess turns into depends on what bounds the queue.
            let queue = (s.consumes != NONE).then(|| &net.queues[s.consumes as usize]);
            let fate = if s.queue_limit != u32::MAX {
                format!("the excess is rejected at its queue limit of {} per instance", s.queue_limit)
            } else if let Some(q) = queue.filter(|q| q.capacity != u32::MAX) {
                format!(
                    "queue `{}` fills to its capacity of {} and further publishes fail with queue_full",
                    q.name, q.capacity
                )
            } else if let Some(q) = queue {
                format!("the backlog of queue `{}` grows without bound until max_in_flight stops new messages", q.name)
            } else {
                "its queue grows without bound until max_in_flight stops new requests".to_string()
            };
            out.push(format!(
                "service `{}` is saturated: its open workload offers {:.0}% of its CPU capacity ({} instance(s) x {} usable core(s)); {fate}. Add instances, threads/cores or speed, or lower the rate",
                s.name,
                load * 100.0,
                s.max_instances(),
                s.usable_cores()
            ));
        } else if let Some(f) = &s.failures {
            let n = s.max_instances();
            if load / f.availability() >= 1.0 {
                out.push(format!(
                    "service `{}` is saturated on average once failures count: {:.0}% of its CPU with all {n} instance(s) up, but they are up {:.1}% of the time",
                    s.name,
                    load * 100.0,
                    100.0 * f.availability()
                ));
            } else if n > 1 && load * f64::from(n) / f64::from(n - 1) >= 1.0 {
                out.push(format!(
                    "service `{}` has no spare instance: at {:.0}% of its CPU, one failed instance of {n} saturates the others until it is repaired",
                    s.name,
                    load * 100.0
                ));
            }
        }
    }
    out
}

/// How the warning of a thread-holding call cycle begins (the run's
/// summary looks for it to call a stalled run a deadlock).
pub(crate) const DEADLOCK_WARNING: &str = "calls that hold a thread form a cycle";

/// Calls that hold a thread and come back to a service already holding one:
/// a -> b -> a. When every thread of the services in such a cycle waits on
/// a call into the others, nothing completes: a deadlock, at the first such
/// call with one thread each, under load with more. One warning per cycle.
pub(super) fn deadlock_warnings(net: &Network, edges: &[Edge]) -> Vec<String> {
    let n = net.services.len();
    let service_of = |op: u32| net.ops[op as usize].service as usize;
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges.iter().filter(|e| e.holds && e.weight > 0.0) {
        let (a, b) = (service_of(e.from), service_of(e.to));
        if !next[a].contains(&b) {
            next[a].push(b);
        }
    }
    // The shortest path back to each service, breadth first.
    let mut seen_cycles: Vec<Vec<usize>> = Vec::new();
    let mut out = Vec::new();
    // Every service on a cycle is re-entered, so the cycle can deadlock when
    // one of them has a thread limit; one without a limit alone cannot.
    for start in (0..n).filter(|&s| net.services[s].threads != super::UNLIMITED) {
        let mut parent = vec![usize::MAX; n];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        while let Some(s) = queue.pop_front() {
            for &t in &next[s] {
                if t == start {
                    closing = Some(s);
                    break;
                }
                if parent[t] == usize::MAX {
                    parent[t] = s;
                    queue.push_back(t);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let Some(mut at) = closing else { continue };
        let mut cycle = vec![start];
        let mut back = Vec::new();
        while at != start {
            back.push(at);
            at = parent[at];
        }
        cycle.extend(back.into_iter().rev());
        let mut key = cycle.clone();
        key.sort_unstable();
        if seen_cycles.contains(&key) {
            continue;
        }
        seen_cycles.push(key);
        let names: Vec<String> = cycle
            .iter()
            .chain(std::iter::once(&start))
            .map(|&s| match net.services[s].threads {
                super::UNLIMITED => format!("`{}` (unlimited threads)", net.services[s].name),
                t => format!("`{}` ({t} thread(s))", net.services[s].name),
            })
            .collect();
        out.push(format!(
            "{DEADLOCK_WARNING}: {}. When every thread of these services waits on a call into the others, nothing completes (a deadlock, not saturation). Give the services more threads than the cycle can hold, put a timeout on one of the calls, or forward instead of call",
            names.join(" calls ")
        ));
    }
    out
}

/// The error for a call cycle: at the first call or forward that closes it.
pub(super) fn cycle_error(src: &Source, edges: &[Edge], cycle: &[u32], ops: &[Op]) -> ModelError {
    let names: Vec<&str> = cycle.iter().map(|&o| ops[o as usize].name.as_str()).collect();
    let first = edges
        .iter()
        .find(|e| cycle.len() >= 2 && e.from == cycle[0] && e.to == cycle[1])
        .or_else(|| edges.iter().find(|e| cycle.contains(&e.from) && cycle.contains(&e.to)));
    let msg = format!("a call cycle that never ends: {}", names.join(" -> "));
    let hint = "every request would loop forever; make the loop probabilistic with a branch, e.g. { branch = [{ p = 0.1, forward = \"...\" }, { p = 0.9 }] }";
    match first {
        Some(e) => src.error_at(e.span.clone(), msg).with_key(e.key.clone()).with_hint(hint),
        None => ModelError::new(&src.file, msg).with_hint(hint),
    }
}
