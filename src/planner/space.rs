//! The search space: every combination of the unordered variables (a
//! "group": an instance type, a thread count, a policy) times the ordered
//! count the search bisects. A candidate's overrides, its headroom-reduced
//! model, its name and its price live here.

use serde::Serialize;

use crate::model;
use crate::planner::spec::{SearchSpec, load_text};

/// One point of the space: a group and, with a count variable, an index into its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Candidate {
    /// Index of the combination of the other variables.
    pub group: usize,
    /// Index into the count variable's values (0 without one).
    pub count: usize,
}

/// The space of a search.
#[derive(Debug, Clone)]
pub struct Space {
    /// Per group, the value index of every variable (the count's left at 0).
    pub groups: Vec<Vec<usize>>,
    /// Values of the count variable (one empty value without one).
    pub counts: usize,
}

impl Space {
    /// Every group of `spec`, first variable slowest.
    pub fn new(spec: &SearchSpec) -> Space {
        let mut groups: Vec<Vec<usize>> = vec![vec![]];
        for (i, v) in spec.variables.iter().enumerate() {
            let n = if Some(i) == spec.count { 1 } else { v.values.len() };
            groups = groups.into_iter().flat_map(|g| (0..n).map(move |x| [g.clone(), vec![x]].concat())).collect();
        }
        let counts = spec.count.map_or(1, |c| spec.variables[c].values.len());
        Space { groups, counts }
    }

    /// Candidates in the space.
    pub fn size(&self) -> usize {
        self.groups.len() * self.counts
    }

    /// Every candidate, group by group, counts ascending.
    pub fn all(&self) -> impl Iterator<Item = Candidate> + '_ {
        (0..self.groups.len()).flat_map(move |group| (0..self.counts).map(move |count| Candidate { group, count }))
    }

    /// The candidate's value of every variable, as (path, value).
    pub fn settings(&self, spec: &SearchSpec, c: Candidate) -> Vec<(String, String)> {
        spec.variables
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = if Some(i) == spec.count { c.count } else { self.groups[c.group][i] };
                (v.path.clone(), v.values[x].clone())
            })
            .collect()
    }

    /// Overrides that make the candidate at `load` from the base model,
    /// with the headroom's capacity taken away when `degraded`; `None` when
    /// no instance would be left.
    pub fn overrides(
        &self,
        spec: &SearchSpec,
        base: &[String],
        c: Candidate,
        load: f64,
        degraded: bool,
    ) -> Option<Vec<String>> {
        let mut all = base.to_vec();
        for (i, (path, value)) in self.settings(spec, c).into_iter().enumerate() {
            let value = if degraded && Some(i) == spec.instances {
                let n: u32 = value.parse().ok()?;
                let left = spec.headroom.left(n);
                if left == 0 {
                    return None;
                }
                left.to_string()
            } else {
                value
            };
            all.push(format!("{path}={value}"));
        }
        all.push(format!("{}={}", spec.load_path, load_text(&spec.load_path, load)));
        Some(all)
    }

    /// "4 x m5.large, api.threads=8": an instances variable with its
    /// service's type reads as N x TYPE, the others as path=value.
    pub fn name(&self, spec: &SearchSpec, c: Candidate) -> String {
        let settings = self.settings(spec, c);
        let mut parts = Vec::new();
        let mut used = vec![false; settings.len()];
        for (i, (path, value)) in settings.iter().enumerate() {
            if let Some(service) = path.strip_prefix("services.").and_then(|p| p.strip_suffix(".instances")) {
                let ty = format!("services.{service}.instance_type");
                let what = match settings.iter().position(|(p, _)| *p == ty) {
                    Some(t) => {
                        used[t] = true;
                        settings[t].1.clone()
                    }
                    None => service.to_string(),
                };
                parts.push(format!("{value} x {what}"));
                used[i] = true;
            }
        }
        for (i, (path, value)) in settings.iter().enumerate() {
            if !used[i] {
                parts.push(format!("{}={value}", path.strip_prefix("services.").unwrap_or(path)));
            }
        }
        parts.join(", ")
    }

    /// A group's name: the values of the variables other than the count ("m5.large"), or "all".
    pub fn group_name(&self, spec: &SearchSpec, group: usize) -> String {
        let settings = self.settings(spec, Candidate { group, count: 0 });
        let values: Vec<&str> =
            settings.iter().enumerate().filter(|(i, _)| Some(*i) != spec.count).map(|(_, (_, v))| v.as_str()).collect();
        if values.is_empty() { "all".into() } else { values.join(", ") }
    }

    /// The candidate's price per hour with every instance up.
    pub fn cost_per_hour(
        &self,
        spec: &SearchSpec,
        base_model: &std::path::Path,
        base: &[String],
        c: Candidate,
    ) -> Result<f64, String> {
        let load = spec.loads.values()[0];
        let overrides = self.overrides(spec, base, c, load, false).ok_or("no instance")?;
        let net = model::load(base_model, &overrides).map_err(|e| e.to_string())?;
        Ok(net.services.iter().map(|s| f64::from(s.instances) * s.cost_per_hour).sum())
    }
}
