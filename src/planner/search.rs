//! The search proper: per group (a combination of the unordered variables),
//! the smallest count that meets the SLO at a load, found by a bracket
//! that starts where theory puts the boundary and then bisection, so a
//! group costs a handful of decisions instead of one per count; groups in
//! order of their cheapest possible price, a group skipped once `best`
//! cheaper plans are known. The exhaustive grid decides every candidate at
//! every load, for comparison.

use std::collections::BTreeMap;

use crate::planner::decide::{Decider, Evaluation, Stopped};
use crate::planner::prune::Theory;
use crate::planner::space::{Candidate, Space};
use crate::planner::spec::SearchSpec;

/// What the search learnt about one group at one load.
#[derive(Debug, Clone, Default)]
pub struct GroupSearch {
    /// The smallest count index that meets the SLO, if any.
    pub answer: Option<usize>,
    /// Every count index decided, with its evaluation.
    pub tried: BTreeMap<usize, Evaluation>,
    /// The smallest count theory does not reject.
    pub first_open: Option<usize>,
    /// Not searched: `best` cheaper plans were known (the price that ruled it out).
    pub skipped_at: Option<f64>,
}

/// The context every decision needs.
pub struct Ctx<'a> {
    /// The search.
    pub spec: &'a SearchSpec,
    /// Its space.
    pub space: &'a Space,
    /// Overrides every run shares.
    pub base: &'a [String],
    /// Prices per candidate (group-major).
    pub costs: &'a [f64],
    /// The SLO's latency limit \[s\].
    pub limit: f64,
}

impl Ctx<'_> {
    /// Price of a candidate.
    pub fn cost(&self, c: Candidate) -> f64 {
        self.costs[c.group * self.space.counts + c.count]
    }

    /// Decides `c` at `load`, with the headroom's capacity lost.
    pub fn decide(&self, d: &mut Decider, c: Candidate, load: f64) -> Result<Evaluation, Stopped> {
        let name = self.space.name(self.spec, c);
        let e = match self.space.overrides(self.spec, self.base, c, load, true) {
            Some(o) => d.evaluate(o, load, &name)?,
            None => no_instance_left(load),
        };
        let decision = crate::planner::Decision {
            candidate: name,
            group: (c.group, self.space.group_name(self.spec, c.group)),
            cost_per_hour: self.cost(c),
            load,
            meets: e.meets,
            by_theory: e.decided == crate::planner::decide::Decided::Theory,
        };
        if !d.log.contains(&decision) {
            d.log.push(decision);
        }
        Ok(e)
    }

    /// Theory's judgement of `c` at `load` (degraded), without runs.
    pub fn theory(&self, d: &Decider, c: Candidate, load: f64) -> Result<Theory, Stopped> {
        match self.space.overrides(self.spec, self.base, c, load, true) {
            Some(o) => d.theory_of(&o),
            None => Ok(Theory::Rejects("no instance left".into())),
        }
    }
}

fn no_instance_left(load: f64) -> Evaluation {
    Evaluation {
        load,
        meets: false,
        decided: crate::planner::decide::Decided::Theory,
        latency: None,
        theory_latency: None,
        busiest: None,
        why: "no instance left".into(),
    }
}

/// The smallest count index of `group` that theory does not reject at `load`,
/// and the one theory's percentile puts at the boundary (its guess).
pub fn theory_bounds(ctx: &Ctx, d: &Decider, group: usize, load: f64) -> Result<(Option<usize>, usize), Stopped> {
    let limit = ctx.limit;
    let mut first = None;
    let mut guess = None;
    for count in 0..ctx.space.counts {
        if let Theory::Open { latency, .. } = ctx.theory(d, Candidate { group, count }, load)? {
            first.get_or_insert(count);
            if guess.is_none() && latency.is_some_and(|l| l <= limit) {
                guess = Some(count);
            }
        }
    }
    Ok((first, guess.or(first).unwrap_or(0)))
}

/// The smallest count of `group` that meets the SLO at `load`, searched from theory's guess.
pub fn search_group(ctx: &Ctx, d: &mut Decider, group: usize, load: f64) -> Result<GroupSearch, Stopped> {
    let (first, guess) = theory_bounds(ctx, d, group, load)?;
    let mut out = GroupSearch { first_open: first, ..GroupSearch::default() };
    let last = ctx.space.counts - 1;
    // The counts below the first open one are theory's decisions (the last, when none is open, is counted below).
    d.pruned += first.unwrap_or(last) as u64;
    let Some(mut lo) = first else {
        // Theory rejects every count: the largest one says why.
        let c = Candidate { group, count: last };
        out.tried.insert(last, ctx.decide(d, c, load)?);
        return Ok(out);
    };
    let mut eval = |count: usize, out: &mut GroupSearch| -> Result<bool, Stopped> {
        let e = ctx.decide(d, Candidate { group, count }, load)?;
        let ok = e.meets;
        out.tried.insert(count, e);
        Ok(ok)
    };
    // Bracket: from the guess upwards, by doubling steps, to the first count that meets.
    let mut hi = None;
    let (mut probe, mut step) = (guess.max(lo), 1);
    loop {
        if eval(probe, &mut out)? {
            hi = Some(probe);
            break;
        }
        lo = probe + 1;
        if probe == last {
            break;
        }
        probe = (probe + step).min(last);
        step *= 2;
    }
    // Theory's boundary is usually right: try just below the guess first.
    if let Some(h) = hi
        && h == guess
        && h > lo
    {
        if eval(h - 1, &mut out)? {
            hi = Some(h - 1);
        } else {
            lo = h;
        }
    }
    while let Some(h) = hi
        && lo < h
    {
        let mid = (lo + h) / 2;
        if eval(mid, &mut out)? {
            hi = Some(mid);
        } else {
            lo = mid + 1;
        }
    }
    out.answer = hi;
    Ok(out)
}

/// Every group's search at `load`, cheapest possible price first; a group
/// whose cheapest open candidate costs more than the `best`-th plan found
/// is skipped.
pub fn search_all(ctx: &Ctx, d: &mut Decider, load: f64) -> Result<Vec<GroupSearch>, Stopped> {
    let groups = ctx.space.groups.len();
    let mut floors = Vec::with_capacity(groups);
    for g in 0..groups {
        let (first, _) = theory_bounds(ctx, d, g, load)?;
        floors.push((first.map_or(f64::INFINITY, |i| ctx.cost(Candidate { group: g, count: i })), g));
    }
    floors.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut results: Vec<GroupSearch> = vec![GroupSearch::default(); groups];
    let mut found: Vec<f64> = Vec::new();
    for (floor, g) in floors {
        found.sort_by(f64::total_cmp);
        if floor.is_finite() && found.len() >= ctx.spec.best && floor > found[ctx.spec.best - 1] + 1e-9 {
            results[g].skipped_at = Some(floor);
            continue;
        }
        let r = search_group(ctx, d, g, load)?;
        if let Some(i) = r.answer {
            found.push(ctx.cost(Candidate { group: g, count: i }));
        }
        results[g] = r;
    }
    Ok(results)
}

/// The exhaustive grid at `loads`: every candidate decided at every load
/// (theory off). Per group and load, the smallest count that meets.
pub fn grid(ctx: &Ctx, d: &mut Decider, loads: &[f64]) -> Result<Vec<Vec<GroupSearch>>, Stopped> {
    d.theory = false;
    let mut per_load = Vec::new();
    for &load in loads {
        let mut results = Vec::new();
        for g in 0..ctx.space.groups.len() {
            let mut r = GroupSearch::default();
            for count in 0..ctx.space.counts {
                let e = ctx.decide(d, Candidate { group: g, count }, load)?;
                if e.meets && r.answer.is_none() {
                    r.answer = Some(count);
                }
                r.tried.insert(count, e);
            }
            results.push(r);
        }
        per_load.push(results);
    }
    Ok(per_load)
}
