//! One request class's analytic view: the sum of its stations' times for
//! an open class, exact Mean Value Analysis for a closed one.

use super::{ClassTheory, ServiceTheory, layered_reason, sync_cpu};
use crate::model::{Arrivals, Network};
use crate::theory;

/// A class's estimate, and for a closed class the stations and MVA result behind it.
pub(super) fn class_theory(
    net: &Network,
    c: usize,
    services: &[ServiceTheory],
) -> (ClassTheory, Option<(Vec<usize>, theory::MvaResult)>) {
    let class = &net.classes[c];
    // The response waits only for what is reached without a publish.
    let visits = &net.sync_visits[c];
    let visited: Vec<usize> =
        (0..net.services.len()).filter(|&s| net.services[s].ops.clone().any(|o| visits[o as usize] > 0.0)).collect();
    match &class.arrivals {
        Arrivals::Open { .. } => {
            let mut total = 0.0;
            let mut exact = true;
            let mut not_poisson = None;
            for &s in &visited {
                let st = &services[s];
                let Some(m) = st.metrics else {
                    let floor: f64 = (0..net.ops.len()).map(|o| sync_cpu(net, c, o)).sum();
                    let note = format!(
                        "no estimate at `{}`: {}. Without any queueing a request needs at least {}",
                        st.service,
                        st.note,
                        crate::format::format_duration(floor)
                    );
                    return (
                        ClassTheory {
                            class: class.name.clone(),
                            mean_response: None,
                            throughput: class.open_rate(),
                            note,
                            response_percentiles: None,
                            percentiles_exact: false,
                        },
                        None,
                    );
                };
                exact &= st.exact;
                // A station whose departures are not Poisson feeds the next
                // one arrivals that its formula does not assume.
                if !st.departures_poisson
                    && (visited.len() > 1 || net.services[s].ops.clone().any(|o| visits[o as usize] > 1.0))
                {
                    not_poisson.get_or_insert(st.service.as_str());
                }
                // Classes that the station treats apart wait their own time there.
                let wait = st.classes.iter().find(|k| k.class == class.name).map_or(m.mean_wait, |k| k.mean_wait);
                for op in net.services[s].ops.clone() {
                    let v = visits[op as usize];
                    if v > 0.0 {
                        total += match st.stretch {
                            Some(x) => x * sync_cpu(net, c, op as usize),
                            None => v * wait + sync_cpu(net, c, op as usize),
                        };
                    }
                }
            }
            let multi_class = net.classes.iter().filter(|k| k.open_rate().is_some()).count() > 1;
            let shared = visited.iter().any(|&s| services[s].classes.is_empty());
            let note = match not_poisson {
                _ if !exact => "sum of station response times weighted by visits (approximation)".to_string(),
                Some(s) => format!(
                    "sum of station response times weighted by visits (approximation: `{s}`'s departures, or its \
                     arrivals on a second visit, are not a Poisson stream as the stations' formulas assume)"
                ),
                None if multi_class && shared => {
                    "sum of station response times weighted by visits (approximation: several classes share FCFS stations)"
                        .to_string()
                }
                None => "sum of station response times weighted by visits (open Jackson network: exact)".to_string(),
            };
            // One visit to a station whose traffic all runs the same
            // operation: the class's response is the station's.
            let single = match visited[..] {
                [s] => {
                    let used: Vec<usize> = net.services[s]
                        .ops
                        .clone()
                        .map(|o| o as usize)
                        .filter(|&o| net.visits.iter().any(|v| v[o] > 0.0))
                        .collect();
                    (used.len() == 1 && (visits[used[0]] - 1.0).abs() < 1e-12).then_some(&services[s])
                }
                _ => None,
            };
            (
                ClassTheory {
                    class: class.name.clone(),
                    mean_response: Some(total),
                    throughput: class.open_rate(),
                    note,
                    response_percentiles: single.and_then(|st| st.response_percentiles),
                    percentiles_exact: single.is_some_and(|st| st.percentiles_exact),
                },
                None,
            )
        }
        Arrivals::Closed { users, think } => {
            let others = net.classes.len() > 1;
            let mut demands = Vec::new();
            let mut exact = true;
            for &s in &visited {
                let svc = &net.services[s];
                if others || svc.threads != 1 || svc.instances != 1 || layered_reason(net, s).is_some() {
                    let note = format!(
                        "exact MVA needs one closed class visiting single-server stations without held calls; `{}` is not one",
                        svc.name
                    );
                    return (
                        ClassTheory {
                            class: class.name.clone(),
                            mean_response: None,
                            throughput: None,
                            note,
                            response_percentiles: None,
                            percentiles_exact: false,
                        },
                        None,
                    );
                }
                let demand: f64 = svc.ops.clone().map(|o| sync_cpu(net, c, o as usize)).sum();
                demands.push(demand);
                let ps = svc.threads > svc.cores;
                exact &= ps
                    || svc.ops.clone().all(|o| net.ops[o as usize].demand.as_ref().is_none_or(|d| d.is_exponential()));
            }
            let r = theory::mva(*users, think.mean(), &demands);
            let theory = ClassTheory {
                class: class.name.clone(),
                mean_response: Some(r.response),
                throughput: Some(r.throughput),
                response_percentiles: None,
                percentiles_exact: false,
                note: if exact {
                    "exact Mean Value Analysis (product form: exponential or processor-sharing stations)".into()
                } else {
                    "Mean Value Analysis with non-exponential FIFO stations (approximation)".into()
                },
            };
            (theory, Some((visited, r)))
        }
    }
}
