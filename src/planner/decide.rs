//! Deciding one candidate at one load: theory first (`prune`), then
//! simulation with common random numbers (replication r of every candidate
//! uses the same seed), adding replications only while the SLO statistic's
//! 95% interval straddles the limit, up to a cap that is reported. Every
//! decision is remembered by the model settings it simulated, so a count
//! that headroom turns into another candidate's count is simulated once.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::experiment::capacity::{Verdict, meets, quoted, verdict};
use crate::experiment::execute::simulate_all;
use crate::experiment::spec::SloInfo;
use crate::format::format_duration;
use crate::model;
use crate::planner::prune::{self, Theory};
use crate::stats::{Estimate, RunMetrics, Summary, summarise, utilisation::busiest};

/// How a decision was reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decided {
    /// Theory rejected it unsimulated.
    Theory,
    /// Simulated: so many replications; `capped` when the interval still straddled the SLO at the cap.
    Simulation {
        /// Replications run.
        replications: u32,
        /// The cap was reached undecided (judged on the point estimates).
        capped: bool,
    },
}

/// One candidate's verdict at one load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The load [requests/s].
    pub load: f64,
    /// Whether it meets the SLO (and the utilisation ceiling).
    pub meets: bool,
    /// How that was decided.
    pub decided: Decided,
    /// The SLO's latency statistic with its 95% interval (simulated).
    pub latency: Option<Estimate>,
    /// Theory's value of it, when theory has one \[s\].
    pub theory_latency: Option<f64>,
    /// The busiest service and its utilisation (simulated, else the utilisation law).
    pub busiest: Option<(String, f64)>,
    /// Why it misses, in words ("p99 180 ms > 100 ms").
    pub why: String,
}

/// Why a search stopped short.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stopped {
    /// The run budget ran out.
    #[error("the search used its budget of {0} simulation runs before it could decide")]
    Budget(u64),
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// A model that did not compile, or a run that failed.
    #[error("{0}")]
    Failed(String),
}

/// Decides candidates, counting the runs.
pub struct Decider<'a> {
    base_model: &'a std::path::Path,
    slo: &'a SloInfo,
    ceiling: Option<f64>,
    /// Replications added at a time.
    step: u32,
    cap: u32,
    budget: u64,
    /// Use theory to reject (off for the exhaustive grid).
    pub theory: bool,
    memo: HashMap<Vec<String>, Evaluation>,
    /// Simulation runs so far.
    pub runs: u64,
    /// Candidates simulated (distinct settings and load).
    pub simulated: u64,
    /// Candidates theory rejected.
    pub pruned: u64,
    /// Decisions the cap left undecided, in words.
    pub capped: Vec<String>,
    /// Every decision made through the search, in order, for the chart.
    pub log: Vec<crate::planner::Decision>,
    stop: &'a AtomicBool,
    progress: &'a (dyn Fn() + Sync),
}

impl<'a> Decider<'a> {
    /// A decider over `base_model` whose runs start at `step` replications.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        base_model: &'a std::path::Path,
        slo: &'a SloInfo,
        ceiling: Option<f64>,
        step: u32,
        cap: u32,
        budget: u64,
        stop: &'a AtomicBool,
        progress: &'a (dyn Fn() + Sync),
    ) -> Decider<'a> {
        Decider {
            base_model,
            slo,
            ceiling,
            step: step.max(2),
            cap: cap.max(step.max(2)),
            budget,
            theory: true,
            memo: HashMap::new(),
            runs: 0,
            simulated: 0,
            pruned: 0,
            capped: Vec::new(),
            log: Vec::new(),
            stop,
            progress,
        }
    }

    /// Theory's judgement alone (no runs).
    pub fn theory_of(&self, overrides: &[String]) -> Result<Theory, Stopped> {
        let net = model::load(self.base_model, overrides).map_err(|e| Stopped::Failed(e.to_string()))?;
        Ok(prune::judge(&net, self.slo, self.ceiling))
    }

    /// Decides the model `overrides` make at `load`; `name` names it in the cap's report.
    pub fn evaluate(&mut self, overrides: Vec<String>, load: f64, name: &str) -> Result<Evaluation, Stopped> {
        if let Some(e) = self.memo.get(&overrides) {
            return Ok(e.clone());
        }
        let net = model::load(self.base_model, &overrides).map_err(|e| Stopped::Failed(e.to_string()))?;
        let theory = prune::judge(&net, self.slo, self.ceiling);
        let theory_latency = match &theory {
            Theory::Open { latency, .. } => *latency,
            Theory::Rejects(_) => None,
        };
        if let (true, Theory::Rejects(why)) = (self.theory, &theory) {
            self.pruned += 1;
            let e = Evaluation {
                load,
                meets: false,
                decided: Decided::Theory,
                latency: None,
                theory_latency,
                busiest: prune::busiest(&net),
                why: why.clone(),
            };
            self.memo.insert(overrides, e.clone());
            return Ok(e);
        }
        let mut runs: Vec<RunMetrics> = Vec::new();
        let summary = loop {
            let from = runs.len() as u32;
            if self.runs + u64::from(self.step) > self.budget {
                return Err(Stopped::Budget(self.budget));
            }
            let reps: Vec<u32> = (from..from + self.step).collect();
            let outcomes = simulate_all(
                &reps,
                |&r| {
                    let (stats, _) = crate::run::simulate_choosing(&net, r);
                    match stats.stopped {
                        Some(reason) => Err(reason),
                        None => Ok(RunMetrics::new(&net, &stats)),
                    }
                },
                self.progress,
                self.stop,
                true,
            );
            self.runs += u64::from(self.step);
            for o in outcomes {
                match o {
                    None => return Err(Stopped::Interrupted),
                    Some(Err(m)) => return Err(Stopped::Failed(format!("{name} at {load}/s: {m}"))),
                    Some(Ok(m)) => runs.push(m),
                }
            }
            let s = summarise(&net, &runs);
            if verdict(self.slo, &s) != Verdict::Undecided || runs.len() as u32 + self.step > self.cap {
                break s;
            }
        };
        self.simulated += 1;
        let v = verdict(self.slo, &summary);
        let capped = v == Verdict::Undecided;
        // The grid (theory off) still holds the ceiling, which is the utilisation law's.
        let ceiling_ok = match (self.ceiling, prune::busiest(&net)) {
            (Some(c), Some((service, u))) if !self.theory && u > c => {
                Some(format!("{service} at {:.0}% > the {:.0}% ceiling (utilisation law)", u * 100.0, c * 100.0))
            }
            _ => None,
        };
        let meets_slo = match v {
            Verdict::Pass => true,
            Verdict::Fail => false,
            Verdict::Undecided => meets(self.slo, &summary) == Some(true),
        };
        if capped {
            self.capped.push(format!(
                "{name} at {}/s: undecided after {} replications, judged on its point estimates",
                crate::format::whole_or_sig3(load),
                runs.len()
            ));
        }
        let latency = self.latency(&summary);
        let e = Evaluation {
            load,
            meets: meets_slo && ceiling_ok.is_none(),
            decided: Decided::Simulation { replications: runs.len() as u32, capped },
            latency,
            theory_latency,
            busiest: busiest(&summary.services).map(|s| (s.name.clone(), s.utilisation.value)),
            why: ceiling_ok.unwrap_or_else(|| if meets_slo { String::new() } else { self.why(&summary) }),
        };
        self.memo.insert(overrides, e.clone());
        Ok(e)
    }

    /// The quoted SLO statistic, worst over the classes the SLO applies to.
    fn latency(&self, s: &Summary) -> Option<Estimate> {
        let m = quoted(self.slo);
        s.classes
            .iter()
            .filter(|c| self.slo.class.as_ref().is_none_or(|n| n == &c.name))
            .map(|c| *m.of(c))
            .max_by(|a, b| a.value.total_cmp(&b.value))
    }

    /// Which limit a summary misses, in words.
    fn why(&self, s: &Summary) -> String {
        if let Some(q) = s.queues.iter().find(|q| q.backlog_growing) {
            return format!("the backlog of queue {} grows", q.name);
        }
        for c in s.classes.iter().filter(|c| self.slo.class.as_ref().is_none_or(|n| n == &c.name)) {
            for (m, limit) in self.slo.limits() {
                let v = m.of(c).value;
                if v.is_nan() {
                    return format!("nothing of {} completed", c.name);
                }
                if v > limit {
                    return format!("{} {} > {}", m.stat, format_duration(v), format_duration(limit));
                }
            }
            if let Some(limit) = self.slo.error_ratio
                && c.error_ratio.value > limit
            {
                return format!(
                    "errors {}% > {}%",
                    crate::format::sig3(c.error_ratio.value * 100.0),
                    crate::format::sig3(limit * 100.0)
                );
            }
        }
        "its 95% interval reaches past the SLO".into()
    }
}
