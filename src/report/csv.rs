//! Tidy CSV for tools: a run's summary (one row per measurement) and its
//! time series (one row per interval).

use super::{tidy, tidy_text};
use crate::stats::columns::{self, CACHE, CALL, CLASS, DATABASE, POOL, QUEUE, SCALING, SERVERLESS, SERVICE};
use crate::stats::{Estimate, Summary};

pub(super) fn csv(s: &Summary) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["scope", "name", "metric", "value", "ci95"]).expect("in-memory write");
    let mut put = |scope: &str, name: &str, metric: &str, e: &Estimate| {
        let ci = e.ci95.map_or(String::new(), |h| tidy(h).to_string());
        w.write_record([scope, name, metric, &tidy(e.value).to_string(), &ci]).expect("in-memory write");
    };
    // Every estimated metric of each table, in the tables' order.
    for c in &s.classes {
        columns::estimates(CLASS, c, false).into_iter().for_each(|(m, e)| put("class", &c.name, m, e));
        for table in columns::async_tables(c.completion_s.is_some(), c.seen_done_s.is_some()) {
            columns::estimates(table, c, false).into_iter().for_each(|(m, e)| put("class", &c.name, m, e));
        }
        for (cause, e) in &c.errors {
            put("class", &c.name, &format!("errors_{cause}"), e);
        }
    }
    for v in &s.services {
        columns::estimates(SERVICE, v, false).into_iter().for_each(|(m, e)| put("service", &v.name, m, e));
        for table in columns::platform_tables(v.cpu_limit.is_some(), v.pauses.is_some()) {
            columns::estimates(table, v, false).into_iter().for_each(|(m, e)| put("service", &v.name, m, e));
        }
        if v.scaling.is_some() {
            columns::estimates(SCALING, v, false).into_iter().for_each(|(m, e)| put("service", &v.name, m, e));
        }
        if v.serverless.is_some() {
            columns::estimates(SERVERLESS, v, false).into_iter().for_each(|(m, e)| put("service", &v.name, m, e));
        }
        put("service", &v.name, "cost_per_hour", &Estimate::exact(v.cost_per_hour));
    }
    for c in &s.caches {
        columns::estimates(CACHE, c, false).into_iter().for_each(|(m, e)| put("cache", &c.name, m, e));
    }
    for q in &s.queues {
        columns::estimates(QUEUE, q, false).into_iter().for_each(|(m, e)| put("queue", &q.name, m, e));
    }
    for c in &s.calls {
        columns::estimates(CALL, c, false).into_iter().for_each(|(m, e)| put("call", &c.name, m, e));
        for table in columns::hedge_tables(c.hedge.is_some()) {
            columns::estimates(table, c, false).into_iter().for_each(|(m, e)| put("call", &c.name, m, e));
        }
    }
    for d in &s.databases {
        columns::estimates(DATABASE, d, false).into_iter().for_each(|(m, e)| put("database", &d.name, m, e));
    }
    for p in &s.pools {
        columns::estimates(POOL, p, false).into_iter().for_each(|(m, e)| put("pool", &p.name, m, e));
    }
    put("model", "cost", "per_hour", &Estimate::exact(s.cost.per_hour));
    put("model", "cost", "per_million_requests", &s.cost.per_million_requests);
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("csv is utf-8")
}

/// A time series as a wide CSV: one row per interval, a column per
/// measurement (`class.NAME.p99_s`, `service.NAME.utilisation`, ...).
pub fn series_csv(s: &Summary) -> Option<String> {
    let series = s.series.as_ref()?;
    let mut header = vec!["t_s".to_string()];
    let mut columns: Vec<&Vec<f64>> = Vec::new();
    for (c, cs) in s.classes.iter().zip(&series.classes) {
        for (m, v) in [
            ("throughput_per_s", &cs.throughput_per_s),
            ("errors_per_s", &cs.errors_per_s),
            ("p50_s", &cs.p50_s),
            ("p99_s", &cs.p99_s),
        ] {
            header.push(format!("class.{}.{m}", c.name));
            columns.push(v);
        }
    }
    for (v, vs) in s.services.iter().zip(&series.services) {
        for (m, col) in [("utilisation", &vs.utilisation), ("queue", &vs.queue), ("instances", &vs.instances)] {
            header.push(format!("service.{}.{m}", v.name));
            columns.push(col);
        }
        for (m, col) in [
            ("throttled", &vs.throttled),
            ("paused", &vs.paused),
            ("busy_instances", &vs.busy_instances),
            ("idle_instances", &vs.idle_instances),
        ] {
            if let Some(col) = col {
                header.push(format!("service.{}.{m}", v.name));
                columns.push(col);
            }
        }
    }
    for (q, depth) in s.queues.iter().zip(&series.queue_depth) {
        header.push(format!("queue.{}.depth", q.name));
        columns.push(depth);
    }
    for (call, hedges) in s.calls.iter().zip(&series.hedges_per_s) {
        if let Some(hedges) = hedges {
            header.push(format!("call.{}.hedges_per_s", call.name));
            columns.push(hedges);
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory write");
    for (i, t) in series.t_s.iter().enumerate() {
        let mut row = vec![tidy_text(*t)];
        row.extend(columns.iter().map(|c| tidy_text(c[i])));
        w.write_record(&row).expect("in-memory write");
    }
    Some(String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8"))
}
