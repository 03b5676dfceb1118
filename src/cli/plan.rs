//! `capsim plan`: an experiment's `[search]` through the planner (or the
//! exhaustive grid), the plan printed, and a folder with plan.json,
//! candidates.csv, the chart and report.html.

use std::io::{IsTerminal, Write};
use std::path::Path;

use capsim::calibrate::InputError;
use capsim::experiment::spec::Experiment;
use capsim::files::{self, Destination};
use capsim::planner::{self, Options, PlanError, decide::Stopped};

use super::args::{PlanArgs, TableOrJson};
use super::sweep::{Interrupted, progress_bar, stop_on_ctrl_c, use_threads};

/// `capsim plan`.
pub(crate) fn plan(args: PlanArgs) -> anyhow::Result<()> {
    use_threads(args.threads)?;
    let exp = Experiment::load(&args.experiment, &args.overrides)?;
    if exp.search.is_none() {
        return Err(InputError::new(format!("experiment `{}` has no [search]", exp.name))
            .with_key("search")
            .with_hint("add [search] with target_load and [search.vary] with the variables; see docs/experiments.md, \"Planning\"")
            .into());
    }
    if let Some(dir) = &args.out {
        files::check_destination(dir, Destination::Plan, &[args.experiment.as_path(), exp.base_model()], args.force)?;
    }
    let stop = stop_on_ctrl_c();
    let bar = progress_bar(0, !args.quiet && std::io::stderr().is_terminal(), "runs");
    let started = std::time::Instant::now();
    let result = planner::plan(&exp, Options { exhaustive: args.exhaustive }, &|| bar.inc(1), &stop);
    bar.finish_and_clear();
    let plan = result.map_err(|e| -> anyhow::Error {
        match e {
            PlanError::NoSearch => InputError::new("the experiment has no [search]").into(),
            PlanError::TooLarge { message, hint } => {
                InputError::new(message).with_key("search.budget").with_hint(hint).into()
            }
            PlanError::Stopped(Stopped::Budget(b)) => InputError::new(format!(
                "the search used its budget of {b} simulation runs before it could decide; nothing written"
            ))
            .with_key("search.budget")
            .with_hint("raise budget, lower max_replications, or narrow the domains")
            .into(),
            PlanError::Stopped(Stopped::Interrupted) => Interrupted("interrupted; nothing written".into()).into(),
            PlanError::Stopped(Stopped::Failed(m)) => anyhow::anyhow!(m),
        }
    })?;
    if let Some(dir) = &args.out {
        write(dir, &plan, args.force)?;
    }
    let text = match args.format {
        TableOrJson::Table => planner::output::table(&plan),
        TableOrJson::Json => planner::output::json(&plan),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    if !args.quiet {
        eprintln!("planned in {:.1} s", started.elapsed().as_secs_f64());
    }
    if let Some(dir) = &args.out {
        eprintln!("plan.json, candidates.csv, plan.png and report.html written to {}", dir.display());
    }
    match &plan.infeasible {
        Some(why) => Err(anyhow::anyhow!("{why}")),
        None => Ok(()),
    }
}

fn write(dir: &Path, plan: &planner::Plan, force: bool) -> anyhow::Result<()> {
    files::write_dir_atomically(dir, Destination::Plan, force, |tmp| {
        files::write_file_atomically(&tmp.join("plan.json"), planner::output::json(plan).as_bytes())?;
        files::write_file_atomically(&tmp.join("candidates.csv"), planner::output::csv(plan).as_bytes())?;
        let charts = capsim::charts::plan_charts(plan, tmp)?;
        capsim::report::plan::write_plan_report(plan, &charts, tmp)?;
        Ok::<(), anyhow::Error>(())
    })
}
