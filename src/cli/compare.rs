//! `capsim compare`: the baseline model and its variants, every replication
//! through the experiments' executor with the same seed (common random
//! numbers), then the paired comparison as a table, JSON or CSV.

use std::io::{IsTerminal, Write};

use capsim::compare::{self, DetectRules, Variant};
use capsim::experiment::execute::{Unfinished, simulate_networks};
use capsim::files;

use super::args::{CompareArgs, SimulateArgs, TableJsonCsv};
use super::sweep::{Interrupted, progress_bar, stop_on_ctrl_c, use_threads};

/// Runs every network's replications with a progress bar and Ctrl-C;
/// `name` names network i in a failure.
pub(crate) fn simulate(
    nets: &[capsim::model::Network],
    name: &(dyn Fn(usize) -> String + Sync),
    sim: &SimulateArgs,
) -> anyhow::Result<Vec<Vec<capsim::stats::RunMetrics>>> {
    let stop = stop_on_ctrl_c();
    let runs: usize = nets.iter().map(|n| n.settings.replications as usize).sum();
    let bar = progress_bar(runs, !sim.quiet && std::io::stderr().is_terminal(), "runs");
    let done = simulate_networks(nets, name, &|| bar.inc(1), &stop);
    bar.finish_and_clear();
    done.map_err(|e| match e {
        Unfinished::Interrupted { done, total } => {
            anyhow::Error::from(Interrupted(format!("interrupted: {done} of {total} runs finished; nothing written")))
        }
        Unfinished::Failed(message) => anyhow::anyhow!(message),
    })
}

/// `capsim compare`.
pub(crate) fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let sim = &args.simulate;
    use_threads(sim.threads)?;
    let overrides =
        super::run::with_shorthands(&args.model.overrides, sim.replications, sim.seed, sim.duration.as_deref());
    let variants = args.variants.iter().map(|v| Variant::parse(v)).collect::<Result<Vec<_>, _>>()?;
    let detect = DetectRules::parse(&args.detect)?;
    let nets = compare::networks(&args.model.model, &overrides, &variants)?;
    let name =
        |i: usize| if i == 0 { "the baseline".to_string() } else { format!("variant `{}`", variants[i - 1].name) };
    let runs = simulate(&nets, &name, sim)?;
    let c = compare::comparison(&args.model.model.display().to_string(), &overrides, &variants, &nets, &runs, &detect);
    let text = match args.format {
        TableJsonCsv::Table => compare::table(&c),
        TableJsonCsv::Json => compare::json(&c),
        TableJsonCsv::Csv => compare::csv(&c),
    };
    match &args.output {
        Some(path) => files::write_file_atomically(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    for w in &nets[0].warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}
