//! What the charts and the report show, derived from the results: series
//! per design, the class and percentile the SLO is about, the load at which
//! designs are compared, which points fail the SLO, the Pareto frontier,
//! saturation and the latency breakdown.

use crate::experiment::results::{DesignCapacity, ExperimentResults, PointResult};
use crate::stats::Estimate;
use crate::stats::{ClassSummary, LatencyKind, LatencyStat, Measure, Summary};

use super::axis::compact;
use super::palette::{self, Dash, Marker};

/// One line on a chart: a design (and a combination of the other axes, when
/// the sweep has more axes than the load).
#[derive(Debug)]
pub(crate) struct Series<'a> {
    /// Legend text.
    pub label: String,
    /// Index of the design: picks the colour.
    pub design: usize,
    /// Marker, unique among the design's series.
    pub marker: Marker,
    /// Line pattern: the design's first series is solid, its others differ.
    pub dash: Dash,
    /// Its points in axis order (by load, when there is a load axis).
    pub points: Vec<&'a PointResult>,
    /// The capacity answer for it, if one matches.
    pub capacity: Option<&'a DesignCapacity>,
}

/// The sweep seen through the charts.
#[derive(Debug)]
pub(crate) struct View<'a> {
    /// The results.
    pub results: &'a ExperimentResults,
    /// One per design (x combination of the other axes).
    pub series: Vec<Series<'a>>,
    /// The class whose latency is charted.
    pub class: Option<String>,
    /// The latency the SLO names (the p99 of the reply by default):
    /// completion when the SLO constrains it.
    pub metric: Measure,
    /// The load axis, if any.
    pub load_axis: Option<usize>,
    /// The target load designs are compared at (default: the first one asked).
    pub target: Option<f64>,
}

impl<'a> View<'a> {
    pub(crate) fn new(results: &'a ExperimentResults) -> View<'a> {
        let info = &results.experiment;
        let load_axis = info.load_axis.filter(|&i| i < info.axes.len());
        // Without a load axis the points themselves are the categories.
        let others: Vec<usize> = match load_axis {
            Some(load) => (0..info.axes.len()).filter(|&i| i != load).collect(),
            None => Vec::new(),
        };
        let mut series: Vec<Series<'a>> = Vec::new();
        // Capacity answers name a combination "design @ path=value, ..."; the
        // legend uses the last path segment to stay short.
        let mut keys: Vec<String> = Vec::new();
        for p in &results.points {
            let combo = |short: bool| -> Vec<String> {
                others
                    .iter()
                    .filter_map(|&i| {
                        let path = &info.axes[i].path;
                        let name = if short { path.rsplit('.').next().unwrap_or(path) } else { path };
                        p.axis_values.get(i).map(|v| format!("{name}={v}"))
                    })
                    .collect()
            };
            let (short, full) = (combo(true), combo(false));
            let label = if short.is_empty() { p.design.clone() } else { format!("{}, {}", p.design, short.join(", ")) };
            let key = if full.is_empty() { p.design.clone() } else { format!("{} @ {}", p.design, full.join(", ")) };
            match keys.iter().position(|k| *k == key) {
                Some(i) => series[i].points.push(p),
                None => {
                    keys.push(key);
                    // The k-th series of its design.
                    let k = series.iter().filter(|s| s.design == p.design_index).count();
                    let (marker, dash) = palette::series_style(p.design_index, k);
                    series.push(Series {
                        label,
                        design: p.design_index,
                        marker,
                        dash,
                        points: vec![p],
                        capacity: None,
                    });
                }
            }
        }
        for (s, key) in series.iter_mut().zip(&keys) {
            if load_axis.is_some() {
                s.points.sort_by(|a, b| a.load.unwrap_or(f64::NAN).total_cmp(&b.load.unwrap_or(f64::NAN)));
            } else {
                s.points.sort_by_key(|p| p.point_index);
            }
            s.capacity = results.capacity.designs.iter().find(|c| c.design == *key);
        }
        let class = info
            .slo
            .as_ref()
            .and_then(|slo| slo.class.clone())
            .or_else(|| results.points.iter().find_map(|p| p.summary.classes.first().map(|c| c.name.clone())));
        let metric = info
            .slo
            .as_ref()
            .and_then(|slo| slo.charted())
            .map_or(Measure { kind: LatencyKind::Reply, stat: LatencyStat::P99 }, |(m, _)| m);
        let target = results.capacity.target_loads().first().copied();
        View { results, series, class, metric, load_axis, target }
    }

    /// The loads designs are compared at, each with the suffix of its
    /// charts' file stems: every target load ("-at-1800" when there are
    /// several), else the default load (`None`).
    pub(crate) fn comparison_loads(&self) -> Vec<(Option<f64>, String)> {
        let targets = self.results.capacity.target_loads();
        if self.load_axis.is_none() || targets.is_empty() {
            return vec![(None, String::new())];
        }
        let many = targets.len() > 1;
        let suffix = |t: f64| if many { format!("-at-{}", crate::format::round_sig6(t)) } else { String::new() };
        targets.into_iter().map(|t| (Some(t), suffix(t))).collect()
    }

    /// This view, comparing designs at `target` (`None`: the default load).
    pub(crate) fn aimed_at(self, target: Option<f64>) -> View<'a> {
        View { target, ..self }
    }

    /// The class charted at point `p`.
    pub(crate) fn class_of<'b>(&self, p: &'b PointResult) -> Option<&'b ClassSummary> {
        let name = self.class.as_deref()?;
        p.summary.classes.iter().find(|c| c.name == name)
    }

    /// The name of design `i`.
    pub(crate) fn design_name(&self, i: usize) -> String {
        self.results.experiment.designs.get(i).map_or_else(|| format!("design {}", i + 1), |d| d.name.clone())
    }

    /// The latency `measure` (reply or completion) of the charted class at `p` \[s\]: the
    /// one place where a chart reads a class's latency.
    pub(crate) fn latency(&self, p: &PointResult, measure: Measure) -> Option<Estimate> {
        self.class_of(p).map(|c| *measure.of(c))
    }

    /// Whether `p` was judged against the SLO and failed it (drawn crossed,
    /// never on the Pareto frontier).
    pub(crate) fn fails_slo(&self, p: &PointResult) -> bool {
        p.meets_slo == Some(false)
    }

    /// Whether `p` has measurements (an interrupted sweep leaves points empty).
    pub(crate) fn has_data(&self, p: &PointResult) -> bool {
        p.replications > 0 && self.class_of(p).is_some_and(|c| c.throughput_per_s.value.is_finite())
    }

    /// The load axis label, e.g. "offered load [requests/s]".
    pub(crate) fn load_label(&self) -> String {
        self.load_axis.map(|i| self.results.experiment.axes[i].label.clone()).unwrap_or_default()
    }

    /// "900 requests/s" for a load, using the unit in the axis label.
    pub(crate) fn load_text(&self, load: f64) -> String {
        let label = self.load_label();
        match label.split_once('[').and_then(|(_, rest)| rest.split_once(']')) {
            Some((unit, _)) => format!("{} {unit}", compact(load)),
            None => format!("{} = {}", label, compact(load)),
        }
    }

    /// "1,750–1,900 requests/s" for a range of loads.
    pub(crate) fn load_range_text(&self, low: f64, high: f64) -> String {
        let label = self.load_label();
        let range = format!("{}–{}", compact(low), compact(high));
        match label.split_once('[').and_then(|(_, rest)| rest.split_once(']')) {
            Some((unit, _)) => format!("{range} {unit}"),
            None => format!("{label} = {range}"),
        }
    }

    /// The SLO's limit \[s\] on the charted latency, and its measure, if the SLO has one.
    pub(crate) fn slo_limit(&self) -> Option<(Measure, f64)> {
        self.results.experiment.slo.as_ref().and_then(|s| s.charted()).filter(|(_, v)| v.is_finite())
    }

    /// The latency axes' title: which latency the charts draw.
    pub(crate) fn latency_title(&self) -> &'static str {
        match self.metric.kind {
            LatencyKind::Reply => "latency",
            LatencyKind::Completion => "completion latency",
        }
    }

    /// The point at which designs are compared: the target load if set (the
    /// nearest swept load), else the highest load where every series has
    /// data; without a load axis, the last point where every series has data.
    pub(crate) fn focus(&self) -> Option<Focus<'a>> {
        if self.series.is_empty() {
            return None;
        }
        if self.load_axis.is_some() {
            let mut loads: Vec<f64> = self
                .series
                .iter()
                .flat_map(|s| s.points.iter().filter(|p| self.has_data(p)).filter_map(|p| p.load))
                .filter(|l| l.is_finite())
                .collect();
            loads.sort_by(f64::total_cmp);
            loads.dedup_by(|a, b| same(*a, *b));
            let target = self.target.filter(|t| t.is_finite());
            let at = |load: f64| -> Vec<Option<&'a PointResult>> {
                self.series
                    .iter()
                    .map(|s| {
                        s.points.iter().copied().find(|p| p.load.is_some_and(|l| same(l, load)) && self.has_data(p))
                    })
                    .collect()
            };
            let chosen = match target {
                Some(t) => loads.iter().copied().min_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs())),
                None => loads
                    .iter()
                    .rev()
                    .copied()
                    .find(|&l| at(l).iter().all(Option::is_some))
                    .or_else(|| loads.last().copied()),
            }?;
            let mut label = format!("at {}", self.load_text(chosen));
            if let Some(t) = target {
                if same(t, chosen) {
                    label.push_str(" (the target load)");
                } else {
                    label.push_str(&format!(" (the swept load nearest the target {})", self.load_text(t)));
                }
            }
            return Some(Focus { label, points: at(chosen) });
        }
        let n = self.series.iter().map(|s| s.points.len()).max()?;
        let has = |s: &Series<'a>, i: usize| s.points.get(i).copied().filter(|p| self.has_data(p));
        let i = (0..n).rev().find(|&i| self.series.iter().all(|s| has(s, i).is_some())).unwrap_or(n - 1);
        let name = self.series.iter().find_map(|s| s.points.get(i)).map(|p| point_label(p)).unwrap_or_default();
        Some(Focus { label: format!("at {name}"), points: self.series.iter().map(|s| has(s, i)).collect() })
    }
}

/// The comparison point of each series.
#[derive(Debug)]
pub(crate) struct Focus<'a> {
    /// "at 900 requests/s (the target load)".
    pub label: String,
    /// Per series, its point there (`None`: no data).
    pub points: Vec<Option<&'a PointResult>>,
}

/// A point's axis values, for category labels.
pub(crate) fn point_label(p: &PointResult) -> String {
    p.axis_values.join(", ")
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Indices of the points on the Pareto frontier of (x, y), both lower-better:
/// no other point is at least as good in both and better in one.
pub(crate) fn pareto(points: &[(f64, f64)]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            let (x, y) = points[i];
            x.is_finite()
                && y.is_finite()
                && !points.iter().any(|&(a, b)| a.is_finite() && b.is_finite() && a <= x && b <= y && (a < x || b < y))
        })
        .collect()
}

/// Total successful requests per second over all classes, with a 95% half-width.
pub(crate) fn total_throughput(s: &Summary) -> Estimate {
    let value = s.classes.iter().map(|c| c.throughput_per_s.value).sum();
    let ci = s.classes.iter().map(|c| c.throughput_per_s.ci95.map(|h| h * h)).sum::<Option<f64>>().map(f64::sqrt);
    Estimate { value, ci95: ci, ..Estimate::default() }
}

/// Offered requests per second of the open classes (`None`: a closed class).
pub(crate) fn total_offered(s: &Summary) -> Option<f64> {
    s.classes.iter().map(|c| c.offered_per_s).sum()
}

/// Where the mean time of a request goes, service by service: parts that
/// sum to the measured mean.
#[derive(Debug, Clone)]
pub(crate) struct Breakdown {
    /// Per service: name, waiting for a thread \[s\], on the CPU \[s\].
    pub services: Vec<(String, f64, f64)>,
    /// Per pool: name, waiting for a connection \[s\] (measured: its mean
    /// wait times the connections granted, per request), a part of the
    /// time its callers hold their threads.
    pub pools: Vec<(String, f64)>,
    /// Time not attributed: cores shared by more computing requests than
    /// cores (processor sharing) \[s\].
    pub other_s: f64,
    /// Measured mean time in system of a finished request, all classes \[s\]
    /// (what the parts sum to).
    pub total_s: f64,
}

/// Splits the measured mean time in system over services.
///
/// Each service's part is estimated by Little's law. A thread held across a
/// synchronous call also counts the callee's time, so "threads held" cannot
/// be stacked across tiers without counting calls twice; the exclusive
/// parts are waiting for a thread (mean queue length / request rate) and CPU
/// time (busy cores / request rate). What remains of the measured mean, when
/// more than 2% of it, is time computing on shared cores (more requests
/// computing than cores). Several classes are pooled by their rates.
///
/// The parts are then made to sum to the measured mean. Little's law holds
/// in a steady state; when a queue grows through the window (a saturated
/// service), its time-average length over the completion rate also counts
/// the requests still queued when the window closes, whose time is in no
/// measured latency, and the estimate exceeds the measured mean (see
/// docs/charts.md for a case). That excess is waiting,
/// so the waits are scaled down to close the gap; a shortfall under 2%
/// (noise) is spread over every part.
pub(crate) fn breakdown(s: &Summary) -> Option<Breakdown> {
    // Finished requests (successful and failed) per second, per class.
    let rates: Vec<f64> = s
        .classes
        .iter()
        .map(|c| {
            let ok = c.throughput_per_s.value;
            let err = c.error_ratio.value;
            if err.is_finite() && err < 1.0 { ok / (1.0 - err) } else { ok }
        })
        .collect();
    let rate: f64 = rates.iter().filter(|r| r.is_finite()).sum();
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let total_s = s
        .classes
        .iter()
        .zip(&rates)
        .filter(|(c, r)| r.is_finite() && c.mean_sojourn_s.value.is_finite())
        .map(|(c, r)| c.mean_sojourn_s.value * r)
        .sum::<f64>()
        / rate;
    // Work behind a queue is not in the response: leave its services out.
    let mut services: Vec<(String, f64, f64)> = s
        .services
        .iter()
        .filter(|svc| !svc.asynchronous)
        .map(|svc| {
            let wait = svc.mean_queue_len.value / rate;
            // Utilisation is of the instances serving (autoscaled, or some down).
            // Results written before `mean_instances` existed read it as 0.
            let n = if svc.mean_instances.value > 0.0 { svc.mean_instances.value } else { f64::from(svc.instances) };
            let busy_cores = svc.utilisation.value * f64::from(svc.usable_cores()) * n;
            let cpu = busy_cores / rate;
            (svc.name.clone(), finite_or_zero(wait), finite_or_zero(cpu))
        })
        .collect();
    let mut pools: Vec<(String, f64)> = s
        .pools
        .iter()
        .map(|p| (p.name.clone(), finite_or_zero(p.mean_wait_s.value * p.acquired_per_s.value / rate)))
        .filter(|p| p.1 > 0.0)
        .collect();
    let pooled: f64 = pools.iter().map(|p| p.1).sum();
    let attributed: f64 = services.iter().map(|(_, w, c)| w + c).sum::<f64>() + pooled;
    if !total_s.is_finite() {
        return Some(Breakdown { services, pools, other_s: 0.0, total_s: attributed });
    }
    let gap = total_s - attributed;
    let waits: f64 = services.iter().map(|(_, w, _)| w).sum();
    let mut other_s = 0.0;
    if gap > 0.02 * total_s {
        other_s = gap;
    } else if gap < 0.0 && waits >= -gap {
        let k = (waits + gap) / waits;
        services.iter_mut().for_each(|(_, w, _)| *w *= k);
    } else if attributed > 0.0 {
        let k = total_s / attributed;
        services.iter_mut().for_each(|(_, w, c)| (*w, *c) = (*w * k, *c * k));
        pools.iter_mut().for_each(|p| p.1 *= k);
    }
    Some(Breakdown { services, pools, other_s, total_s })
}

/// Utilisation at or above which a service counts as saturated.
pub(crate) const SATURATED_UTILISATION: f64 = 0.98;

/// Whether a run is saturated: a service in the response path at least
/// [`SATURATED_UTILISATION`] busy (CPU or threads), or a class's backlog
/// grown through the window by more than 2% of its arrivals (requests
/// arrive faster than they finish). Its latencies then grow with the
/// window: the measured ones are of the requests that happened to finish.
pub(crate) fn saturated(s: &Summary) -> bool {
    let busy = s.services.iter().filter(|svc| !svc.asynchronous).any(|svc| {
        svc.utilisation.value >= SATURATED_UTILISATION || svc.thread_utilisation.value >= SATURATED_UTILISATION
    });
    let backlog = s
        .classes
        .iter()
        .any(|c| c.in_flight_at_end as f64 - c.in_flight_at_start as f64 > 0.02 * c.arrived as f64 && c.arrived > 0);
    busy || backlog
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::results::{Capacity, ExperimentInfo};
    use crate::experiment::spec::{AxisInfo, DesignInfo};

    /// An app holding its thread across a call to a database: the case where
    /// stacking "threads held" per tier would count the database twice.
    fn app_db(rate: f64, threads: u32) -> Summary {
        let text = format!(
            r#"
            [simulation]
            duration = "200s"
            warmup = "10s"
            replications = 2
            seed = 3
            [workload.web]
            target = "app.handle"
            rate = "{rate}/s"
            [services.app]
            threads = {threads}
            [services.app.ops.handle]
            demand = "exp(8ms)"
            steps = [ {{ call = "db.read" }} ]
            [services.db]
            threads = 4
            [services.db.ops.read]
            demand = "exp(3ms)"
            "#
        );
        crate::run::run(&crate::model::from_str(&text).expect("compiles")).summary
    }

    #[test]
    fn a_pools_wait_is_its_own_part_not_shared_cpu() {
        // 20 threads share a pool of 2 connections to a 4-thread database at
        // 80% of the pool: requests wait for a connection, not for a thread
        // or a core, and the breakdown says so.
        let text = r#"
            [simulation]
            duration = "2000s"
            warmup = "100s"
            replications = 4
            seed = 9
            [workload.web]
            target = "app.handle"
            rate = "80/s"
            [pools.conns]
            size = 2
            [services.app]
            threads = 20
            [services.app.ops.handle]
            demand = "exp(1ms)"
            steps = [ { call = "db.read", pool = "conns" } ]
            [services.db]
            threads = 4
            [services.db.ops.read]
            demand = "exp(20ms)"
        "#;
        let s = crate::run::run(&crate::model::from_str(text).expect("compiles")).summary;
        let b = breakdown(&s).expect("measured");
        assert_eq!(b.pools.len(), 1);
        let p = &s.pools[0];
        let expected = p.mean_wait_s.value * p.acquired_per_s.value / s.classes[0].throughput_per_s.value;
        // The parts are scaled to the measured mean by at most a few per cent.
        assert!((b.pools[0].1 / expected - 1.0).abs() < 0.05, "{} vs {expected}", b.pools[0].1);
        assert!(b.pools[0].1 > 0.01, "a real wait: {}", b.pools[0].1);
        assert!(b.other_s < 0.1 * b.pools[0].1, "the wait is not `CPU shared`: {}", b.other_s);
        let parts: f64 = b.services.iter().map(|(_, w, c)| w + c).sum::<f64>() + b.pools[0].1 + b.other_s;
        assert!((parts / b.total_s - 1.0).abs() < 1e-9, "{parts} vs {}", b.total_s);
    }

    #[test]
    fn breakdown_leaves_out_work_behind_a_queue() {
        let text = r#"
            [simulation]
            duration = "100s"
            replications = 2
            [workload.web]
            target = "api.submit"
            rate = "5/s"
            [queues.jobs]
            consumer = "workers.run"
            [services.api.ops.submit]
            demand = "exp(2ms)"
            steps = [{ publish = "jobs" }]
            [services.workers]
            threads = 20
            [services.workers.ops.run]
            demand = "exp(1s)"
        "#;
        let s = crate::run::run(&crate::model::from_str(text).expect("valid")).summary;
        assert!(s.services[1].asynchronous && !s.services[0].asynchronous);
        let b = breakdown(&s).expect("measured");
        assert_eq!(b.services.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>(), ["api"]);
        // The 202 takes the api's 2 ms, not the workers' second.
        assert!(b.total_s < 0.01, "{}", b.total_s);
    }

    #[test]
    fn breakdown_adds_up_to_the_mean_latency_without_counting_calls_twice() {
        let s = app_db(100.0, 2);
        assert!(!saturated(&s), "{:?}", s.services.iter().map(|x| x.thread_utilisation.value).collect::<Vec<_>>());
        let b = breakdown(&s).expect("measured");
        let parts: f64 = b.services.iter().map(|(_, w, c)| w + c).sum::<f64>() + b.other_s;
        let mean = s.classes[0].mean_sojourn_s.value;
        assert!((parts - mean).abs() < 1e-12 * mean, "parts {parts} vs mean {mean}");
        assert_eq!(b.total_s, mean);
        // Each service's CPU part is its demand: 8 ms in the app, 3 ms in the database.
        let cpu: Vec<f64> = b.services.iter().map(|x| x.2).collect();
        assert!((cpu[0] - 0.008).abs() < 0.0008 && (cpu[1] - 0.003).abs() < 0.0003, "{cpu:?}");
        // Threads held include the time waiting for the database: stacking
        // them would overstate the latency by about the database's share.
        let rate = s.classes[0].throughput_per_s.value;
        let naive: f64 = s.services.iter().map(|x| (x.mean_in_service.value + x.mean_queue_len.value) / rate).sum();
        assert!(naive > mean * 1.1, "naive {naive} vs mean {mean}");
    }

    #[test]
    fn a_saturated_run_breaks_down_to_its_measured_mean_not_to_littles_law() {
        // One app thread holds 11 ms per request: about 90 requests/s, offered 150.
        let s = app_db(150.0, 1);
        assert!(saturated(&s));
        let mean = s.classes[0].mean_sojourn_s.value;
        let rate = s.classes[0].throughput_per_s.value;
        let little: f64 = s
            .services
            .iter()
            .map(|x| x.mean_queue_len.value / rate + x.utilisation.value * f64::from(x.cores) / rate)
            .sum();
        assert!(little > 1.2 * mean, "the queue grows: Little's law gives {little} s, the requests {mean} s");
        let b = breakdown(&s).expect("measured");
        let parts: f64 = b.services.iter().map(|(_, w, c)| w + c).sum::<f64>() + b.other_s;
        assert!((parts - mean).abs() < 1e-12 * mean, "parts {parts} vs mean {mean}");
        assert_eq!(b.total_s, mean);
        // The excess was waiting: the CPU parts keep their demand.
        assert!((b.services[0].2 - 0.008).abs() < 0.0008, "{:?}", b.services);
    }

    fn results(loads: &[f64], designs: &[&str], target: Option<f64>) -> ExperimentResults {
        let summary = app_db(50.0, 2);
        let mut points = Vec::new();
        for (d, name) in designs.iter().enumerate() {
            for (i, &load) in loads.iter().enumerate() {
                points.push(PointResult {
                    design: name.to_string(),
                    design_index: d,
                    point_index: i,
                    axis_values: vec![format!("{load}/s")],
                    axis_numeric: vec![load],
                    load: Some(load),
                    replications: 2,
                    meets_slo: None,
                    vs_baseline: None,
                    summary: summary.clone(),
                    cdf: Vec::new(),
                });
            }
        }
        ExperimentResults {
            experiment: ExperimentInfo {
                name: "t".into(),
                question: String::new(),
                file: String::new(),
                model: String::new(),
                inputs_sha256: String::new(),
                capsim_version: String::new(),
                seed: 1,
                replications: 2,
                command: String::new(),
                complete: true,
                runs_total: 0,
                runs_done: 0,
                bisection_runs: 0,
                failed_runs: Vec::new(),
                designs: designs
                    .iter()
                    .map(|n| DesignInfo { name: n.to_string(), description: String::new(), overrides: Vec::new() })
                    .collect(),
                axes: vec![AxisInfo {
                    path: "workload.web.rate".into(),
                    label: "offered load [requests/s]".into(),
                    values: Vec::new(),
                    numeric: loads.to_vec(),
                }],
                load_axis: Some(0),
                slo: None,
                baseline: None,
            },
            points,
            capacity: Capacity { target_load: target, ..Capacity::default() },
        }
    }

    #[test]
    fn designs_are_compared_at_the_target_or_the_highest_load_all_reached() {
        let mut r = results(&[10.0, 20.0, 30.0], &["a", "b"], None);
        // Design b never finished the highest load.
        r.points[5].replications = 0;
        let focus = View::new(&r).focus().expect("a focus");
        assert_eq!(focus.label, "at 20 requests/s");
        assert!(focus.points.iter().all(|p| p.is_some_and(|p| p.load == Some(20.0))));

        let r = results(&[10.0, 20.0, 30.0], &["a", "b"], Some(27.0));
        let focus = View::new(&r).focus().expect("a focus");
        assert_eq!(focus.label, "at 30 requests/s (the swept load nearest the target 27 requests/s)");
    }

    #[test]
    fn every_combination_of_the_other_axes_is_its_own_series() {
        let mut r = results(&[10.0, 20.0], &["a"], None);
        r.experiment.axes.push(AxisInfo {
            path: "services.app.threads".into(),
            label: "threads".into(),
            values: vec!["2".into(), "4".into()],
            numeric: vec![2.0, 4.0],
        });
        for (i, p) in r.points.iter_mut().enumerate() {
            p.axis_values.push(if i % 2 == 0 { "2".into() } else { "4".into() });
        }
        let view = View::new(&r);
        let labels: Vec<&str> = view.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["a, threads=2", "a, threads=4"]);
        assert!(view.series.iter().all(|s| s.design == 0));
        // Capacity answers are found under the sweep's own names.
        r.capacity.designs.push(crate::experiment::results::DesignCapacity {
            design: "a @ services.app.threads=4".into(),
            max_load: Some(20.0),
            fails_at: None,
            max_load_low: Some(20.0),
            max_load_high: None,
            bottleneck: None,
            cost_per_hour: 1.0,
            cost_per_million_at_max: None,
        });
        let view = View::new(&r);
        assert_eq!(view.series[1].capacity.and_then(|c| c.max_load), Some(20.0));
        assert!(view.series[0].capacity.is_none());
    }

    #[test]
    fn the_series_of_a_design_differ_by_marker_and_dash() {
        let mut r = results(&[10.0, 20.0], &["a", "b"], None);
        r.experiment.axes.push(AxisInfo {
            path: "services.app.instances".into(),
            label: "instances".into(),
            values: Vec::new(),
            numeric: Vec::new(),
        });
        let base = r.points.clone();
        r.points = (1..=8)
            .flat_map(|n| base.iter().map(move |p| (n, p)))
            .map(|(n, p)| PointResult { axis_values: vec![p.axis_values[0].clone(), n.to_string()], ..p.clone() })
            .collect();
        let view = View::new(&r);
        assert_eq!(view.series.len(), 16);
        for design in 0..2 {
            let mine: Vec<&Series> = view.series.iter().filter(|s| s.design == design).collect();
            assert_eq!(mine.len(), 8);
            // The first keeps the design's own marker and a solid line.
            assert_eq!((mine[0].marker, mine[0].dash), (palette::marker(design), Dash::Solid));
            for (i, a) in mine.iter().enumerate() {
                assert!(mine[i + 1..].iter().all(|b| b.marker != a.marker), "{design}: {:?}", a.marker);
            }
            let mut dashes: Vec<String> = mine.iter().map(|s| format!("{:?}", s.dash)).collect();
            dashes.sort();
            dashes.dedup();
            assert_eq!(dashes.len(), 4, "{dashes:?}");
        }
    }

    #[test]
    fn pareto_keeps_only_undominated_designs() {
        let pts = [(0.1, 3.0), (0.2, 1.0), (0.3, 2.0), (f64::NAN, 0.5), (0.1, 3.0)];
        // (0.3, 2.0) is dominated by (0.2, 1.0); NaN is never on the frontier;
        // equal points do not dominate each other.
        assert_eq!(pareto(&pts), vec![0, 1, 4]);
    }

    #[test]
    fn percentile_names_map_to_levels() {
        assert_eq!(LatencyStat::P999.level(), Some(0.999));
        assert_eq!(LatencyStat::Mean.level(), None);
    }
}
