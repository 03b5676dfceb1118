//! The planner (`capsim plan`): the cheapest configuration that meets the
//! SLO at the target loads, with headroom, over an experiment's `[search]`.
//!
//! `spec` reads `[search]`; `space` enumerates candidates, names and prices
//! them; `prune` is what theory decides unsimulated; `decide` simulates a
//! candidate with common random numbers and adaptive replications;
//! `search` bisects each group's count from theory's guess (or runs the
//! exhaustive grid); `regret` chooses under uncertain load; this file
//! ranks the answers into a [`Plan`]; `output` prints and writes it.

pub mod decide;
pub mod output;
pub mod prune;
pub mod regret;
pub mod search;
pub mod space;
pub mod spec;

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::experiment::spec::Experiment;
use crate::format::whole_or_sig3;
use crate::stats::Estimate;
use decide::{Decided, Decider, Evaluation, Stopped};
use search::{Ctx, GroupSearch};
use space::{Candidate, Space};
use spec::{Headroom, Loads, Objective, SearchSpec, Variable};

/// How to search.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Decide every candidate at every load (no theory, no bisection): the reference the planner is checked against.
    pub exhaustive: bool,
}

/// A candidate at one load, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct AtLoad {
    /// Load [requests/s].
    pub load: f64,
    /// Meets the SLO (with the headroom's capacity lost).
    pub meets: bool,
    /// The SLO's latency statistic with its 95% interval \[s\] (simulated).
    pub latency: Option<Estimate>,
    /// Theory's value of it \[s\].
    pub theory_latency: Option<f64>,
    /// The busiest service and its utilisation.
    pub busiest: Option<(String, f64)>,
    /// 1 - latency / limit: the share of the SLO left.
    pub margin: Option<f64>,
    /// Dollars per million requests at this load.
    pub cost_per_million: f64,
    /// How it was decided.
    pub decided: Decided,
    /// Why it misses.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// A ranked or rejected candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    /// "4 x m5.large, api.threads=8".
    pub name: String,
    /// Its value of every variable.
    pub settings: Vec<(String, String)>,
    /// Dollars per hour, every instance up.
    pub cost_per_hour: f64,
    /// Per load decided.
    pub at: Vec<AtLoad>,
    /// Meets the SLO at every load (every target load; under uncertainty: its regret is least).
    pub feasible: bool,
    /// Why not, in a sentence ("4 x m5.large: p99 180 ms > 100 ms at 1,800/s with one instance down").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why_not: String,
    /// Under uncertain load: its regret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regret: Option<regret::Regret>,
}

/// One decision the search made, for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The candidate's name.
    pub candidate: String,
    /// Its group (the values of the variables the search does not bisect), and the group's name.
    pub group: (usize, String),
    /// Its price per hour.
    pub cost_per_hour: f64,
    /// The load.
    pub load: f64,
    /// Whether it meets the SLO there.
    pub meets: bool,
    /// Decided by theory alone.
    pub by_theory: bool,
}

/// What the planner found.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// "capsim-plan-1": the schema of plan.json.
    pub format: String,
    /// The experiment.
    pub experiment: String,
    /// The SLO in words.
    pub slo: String,
    /// The headroom in words ("" for none).
    pub headroom: String,
    /// The objective.
    pub objective: Objective,
    /// The loads.
    pub loads: Loads,
    /// The variables.
    pub variables: Vec<Variable>,
    /// "planner" or "exhaustive grid".
    pub method: String,
    /// The best candidates, ranked (the first is the plan).
    pub best: Vec<Ranked>,
    /// The nearest rejected candidates, with why not.
    pub rejected: Vec<Ranked>,
    /// Groups never simulated because enough cheaper plans were known, with their lowest price.
    pub not_simulated: Vec<(String, f64)>,
    /// No candidate meets the SLO: which constraint and the best miss.
    pub infeasible: Option<String>,
    /// Candidates in the space.
    pub space: usize,
    /// Simulation runs used.
    pub runs: u64,
    /// Runs an exhaustive grid of the same resolution needs (every candidate at every load, the starting replications).
    pub grid_runs: u64,
    /// (candidate, load) decisions simulated.
    pub simulated: u64,
    /// (candidate, load) decisions theory made without simulation.
    pub pruned_by_theory: u64,
    /// Decisions the replication cap left undecided.
    pub capped: Vec<String>,
    /// Every decision, in the order the search made it.
    pub decisions: Vec<Decision>,
    /// The seed every run shares.
    pub seed: u64,
    /// Replications a decision starts with (and adds at a time).
    pub replications: u32,
    /// Their cap.
    pub max_replications: u32,
    /// Regret weight of under-provisioning (uncertain load).
    pub under_weight: f64,
}

/// Why `plan` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The experiment has no `[search]`.
    #[error("the experiment has no [search]")]
    NoSearch,
    /// The space would need more runs than the budget allows.
    #[error("{message}")]
    TooLarge {
        /// The sentence.
        message: String,
        /// Bounds to try.
        hint: String,
    },
    /// The search stopped.
    #[error(transparent)]
    Stopped(#[from] Stopped),
}

/// Runs the search of `exp`.
pub fn plan(
    exp: &Experiment,
    options: Options,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<Plan, PlanError> {
    let spec = exp.search.as_ref().ok_or(PlanError::NoSearch)?;
    let slo = exp.slo.as_ref().ok_or(PlanError::NoSearch)?;
    let limit = slo.charted().map_or(f64::INFINITY, |(_, l)| l);
    let base = exp.overrides_at(0, 0);
    let space = Space::new(spec);
    let costs: Vec<f64> = space
        .all()
        .map(|c| space.cost_per_hour(spec, exp.base_model(), &base, c))
        .collect::<Result<_, _>>()
        .map_err(Stopped::Failed)?;
    let ctx = Ctx { spec, space: &space, base: &base, costs: &costs, limit };
    let step = exp.replications.max(2);
    let mut d = Decider::new(
        exp.base_model(),
        slo,
        spec.max_utilisation,
        step,
        spec.max_replications,
        spec.budget,
        stop,
        progress,
    );
    let loads = spec.loads.values();
    let grid_runs = (space.size() * loads.len()) as u64 * u64::from(step);
    // The loads each group is searched at: the highest (the SLO at every
    // target load; latency grows with load), or each of low, mid, high.
    let search_loads: Vec<f64> = match &spec.loads {
        Loads::Every(v) => vec![v.iter().copied().fold(f64::MIN, f64::max)],
        Loads::Uncertain { .. } => loads.clone(),
    };
    check_budget(&ctx, &d, &search_loads, options)?;
    let per_load: Vec<Vec<GroupSearch>> = if options.exhaustive {
        let all = search::grid(&ctx, &mut d, &loads)?;
        match &spec.loads {
            // A group's answer meets every load.
            Loads::Every(_) => vec![every_load(&all, space.counts)],
            Loads::Uncertain { .. } => all,
        }
    } else {
        search_loads.iter().map(|&l| search::search_all(&ctx, &mut d, l)).collect::<Result<_, _>>()?
    };
    // Candidates: each group's answer at each searched load, decided at every load.
    let mut chosen: Vec<Candidate> = Vec::new();
    for results in &per_load {
        for (g, r) in results.iter().enumerate() {
            if let Some(i) = r.answer {
                let c = Candidate { group: g, count: i };
                if !chosen.contains(&c) {
                    chosen.push(c);
                }
            }
        }
    }
    chosen.sort();
    let mut ranked = Vec::new();
    for &c in &chosen {
        let mut at = Vec::new();
        for &l in &loads {
            at.push(ctx.decide(&mut d, c, l)?);
        }
        ranked.push(report(&ctx, c, at, spec.headroom));
    }
    let mut rejected = rejected(&ctx, &per_load, &search_loads);
    let infeasible = match &spec.loads {
        Loads::Every(_) => {
            // An answer that misses a lower load (latency not monotone in load) is rejected too.
            let (ok, missed): (Vec<Ranked>, Vec<Ranked>) = ranked.drain(..).partition(|r| r.feasible);
            ranked = ok;
            rejected.extend(missed);
            ranked.sort_by(|a, b| a.cost_per_hour.total_cmp(&b.cost_per_hour).then(a.name.cmp(&b.name)));
            ranked.is_empty().then(|| infeasible(slo.text.as_str(), spec, &rejected))
        }
        Loads::Uncertain { confidence, .. } => {
            choose_by_regret(&mut ranked, spec.under_weight, *confidence);
            ranked.iter().all(|r| r.at.iter().all(|a| !a.meets)).then(|| infeasible(slo.text.as_str(), spec, &rejected))
        }
    };
    let best_cost = ranked.first().map_or(0.0, |r| r.cost_per_hour);
    rejected.sort_by(|a, b| {
        (a.cost_per_hour - best_cost).abs().total_cmp(&(b.cost_per_hour - best_cost).abs()).then(a.name.cmp(&b.name))
    });
    rejected.truncate(spec.best);
    ranked.truncate(spec.best);
    let mut not_simulated: Vec<(String, f64)> = Vec::new();
    for results in &per_load {
        for (g, r) in results.iter().enumerate() {
            if let Some(floor) = r.skipped_at {
                let name = space.name(spec, Candidate { group: g, count: r.first_open.unwrap_or(0) });
                if !not_simulated.iter().any(|(n, _)| *n == name) {
                    not_simulated.push((name, floor));
                }
            }
        }
    }
    Ok(Plan {
        format: "capsim-plan-1".into(),
        experiment: exp.name.clone(),
        slo: slo.text.clone(),
        headroom: spec.headroom.words(),
        objective: spec.objective,
        loads: spec.loads.clone(),
        variables: spec.variables.clone(),
        method: if options.exhaustive { "exhaustive grid".into() } else { "planner".into() },
        best: ranked,
        rejected,
        not_simulated,
        infeasible,
        space: space.size(),
        runs: d.runs,
        grid_runs,
        simulated: d.simulated,
        pruned_by_theory: d.pruned,
        capped: d.capped.clone(),
        decisions: d.log.clone(),
        seed: exp.seed,
        replications: step,
        max_replications: spec.max_replications,
        under_weight: spec.under_weight,
    })
}

/// The grid's per-group answer when every load must be met.
fn every_load(all: &[Vec<GroupSearch>], counts: usize) -> Vec<GroupSearch> {
    let groups = all.first().map_or(0, Vec::len);
    (0..groups)
        .map(|g| {
            let meets_all = |i: usize| all.iter().all(|l| l[g].tried.get(&i).is_some_and(|e| e.meets));
            let last = all.last().map(|l| l[g].tried.clone()).unwrap_or_default();
            GroupSearch { answer: (0..counts).find(|&i| meets_all(i)), tried: last, ..GroupSearch::default() }
        })
        .collect()
}

/// A candidate's report from its evaluation at every load.
fn report(ctx: &Ctx, c: Candidate, at: Vec<Evaluation>, headroom: Headroom) -> Ranked {
    let cost = ctx.cost(c);
    let name = ctx.space.name(ctx.spec, c);
    let at: Vec<AtLoad> = at.into_iter().map(|e| at_load(ctx, cost, e)).collect();
    let feasible = at.iter().all(|a| a.meets);
    let why_not = at.iter().find(|a| !a.meets).map_or(String::new(), |a| why_not(&name, a, headroom));
    Ranked { settings: ctx.space.settings(ctx.spec, c), name, cost_per_hour: cost, at, feasible, why_not, regret: None }
}

fn at_load(ctx: &Ctx, cost: f64, e: Evaluation) -> AtLoad {
    AtLoad {
        load: e.load,
        meets: e.meets,
        margin: e.latency.map(|l| 1.0 - l.value / ctx.limit),
        latency: e.latency,
        theory_latency: e.theory_latency,
        busiest: e.busiest,
        cost_per_million: cost / (e.load * 3600.0) * 1e6,
        decided: e.decided,
        why: e.why,
    }
}

/// "4 x m5.large: p99 180 ms > 100 ms at 1,800/s with one instance down".
fn why_not(name: &str, a: &AtLoad, headroom: Headroom) -> String {
    let words = headroom.words();
    let tail = if words.is_empty() { String::new() } else { format!(" {words}") };
    format!("{name}: {} at {}/s{tail}", a.why, whole_or_sig3(a.load))
}

/// Per group, the nearest count below its answer that missed (or its best miss).
fn rejected(ctx: &Ctx, per_load: &[Vec<GroupSearch>], search_loads: &[f64]) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = Vec::new();
    for (results, _) in per_load.iter().zip(search_loads) {
        for (g, r) in results.iter().enumerate() {
            let below = r.answer.unwrap_or(usize::MAX);
            let Some((&i, e)) = r.tried.range(..below).rfind(|(_, e)| !e.meets) else { continue };
            let c = Candidate { group: g, count: i };
            let rep = report(ctx, c, vec![e.clone()], ctx.spec.headroom);
            if !out.iter().any(|o| o.name == rep.name && o.why_not == rep.why_not) {
                out.push(rep);
            }
        }
    }
    out
}

/// "No candidate meets ...": the constraint and the best miss.
fn infeasible(slo: &str, spec: &SearchSpec, rejected: &[Ranked]) -> String {
    let load = spec.loads.values().iter().copied().fold(f64::MIN, f64::max);
    let words = spec.headroom.words();
    let tail = if words.is_empty() { String::new() } else { format!(" {words}") };
    let closest = rejected
        .iter()
        .filter_map(|r| r.at.first().map(|a| (a.latency.map_or(f64::INFINITY, |l| l.value), r)))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cost_per_hour.total_cmp(&a.1.cost_per_hour)));
    let mut text = format!("no candidate meets {slo} at {}/s{tail}", whole_or_sig3(load));
    if let Some(m) = &spec.max_utilisation {
        text.push_str(&format!(" under the {:.0}% utilisation ceiling", m * 100.0));
    }
    if let Some((_, r)) = closest {
        text.push_str(&format!("; the best miss is {}", r.why_not));
    }
    text
}

/// Under uncertain load: every candidate's regret; ranked by expected regret, then price.
fn choose_by_regret(ranked: &mut [Ranked], under_weight: f64, confidence: f64) {
    let mut best = [None; 3];
    for (s, b) in best.iter_mut().enumerate() {
        *b = ranked.iter().filter(|r| r.at[s].meets).map(|r| r.cost_per_hour).min_by(f64::total_cmp);
    }
    for r in ranked.iter_mut() {
        let meets = [r.at[0].meets, r.at[1].meets, r.at[2].meets];
        r.regret = Some(regret::regret(r.cost_per_hour, meets, best, under_weight, confidence));
        r.feasible = meets.iter().any(|&m| m);
    }
    ranked.sort_by(|a, b| {
        let (x, y) = (a.regret.as_ref().map_or(0.0, |r| r.expected), b.regret.as_ref().map_or(0.0, |r| r.expected));
        x.total_cmp(&y).then(a.cost_per_hour.total_cmp(&b.cost_per_hour)).then(a.name.cmp(&b.name))
    });
}

/// Refuses a search that could need more runs than its budget, with bounds theory suggests.
fn check_budget(ctx: &Ctx, d: &Decider, loads: &[f64], options: Options) -> Result<(), PlanError> {
    let spec = ctx.spec;
    let per_decision = u64::from(spec.max_replications);
    let decisions = if options.exhaustive {
        (ctx.space.size() * spec.loads.values().len()) as u64
    } else {
        let probes = (usize::BITS - ctx.space.counts.leading_zeros()) as u64 + 2;
        (ctx.space.groups.len() * loads.len()) as u64 * probes
            + (ctx.space.groups.len() * loads.len() * spec.loads.values().len()) as u64
    };
    let worst = decisions * per_decision;
    if worst <= spec.budget {
        return Ok(());
    }
    let mut hint = format!("raise budget (now {}) to {worst}, or narrow the domains", spec.budget);
    if let Some(c) = spec.count {
        let top = loads.iter().copied().fold(f64::MIN, f64::max);
        let mut lowest = usize::MAX;
        for g in 0..ctx.space.groups.len() {
            if let Ok((Some(first), _)) = search::theory_bounds(ctx, d, g, top) {
                lowest = lowest.min(first);
            }
        }
        if lowest != usize::MAX && lowest > 0 {
            hint.push_str(&format!(
                ": theory rules out every {} below {} at {}/s, so from = {} loses nothing",
                spec.variables[c].path,
                spec.variables[c].values[lowest],
                whole_or_sig3(top),
                spec.variables[c].values[lowest]
            ));
        }
        hint.push_str(&format!(
            "; fewer values of the other variables ({} groups) cut it most",
            ctx.space.groups.len()
        ));
    }
    Err(PlanError::TooLarge {
        message: format!(
            "the search space ({} candidates) could need up to {worst} simulation runs, more than the budget of {}",
            ctx.space.size(),
            spec.budget
        ),
        hint,
    })
}
