//! `capsim sensitivity`: the settings to vary (the model, or each design of
//! an experiment at one load), the plan of low and high runs, every run
//! through the experiments' executor with the nominal's seed, then the
//! table or JSON, and a folder with the CSV, the JSON and the tornado charts.

use std::io::Write;
use std::path::Path;

use capsim::calibrate::InputError;
use capsim::experiment::spec::{Experiment, SloInfo};
use capsim::files::{self, Destination};
use capsim::sensitivity::{self, Setting, Vary};

use super::args::{SensitivityArgs, TableOrJson};
use super::sweep::use_threads;

/// What to vary, read from the flags and (for an experiment) its file.
struct Setup {
    model: std::path::PathBuf,
    settings: Vec<Setting>,
    varies: Vec<Vary>,
    range: f64,
    slo: Option<SloInfo>,
}

fn range(text: &str, key: &str) -> Result<f64, InputError> {
    sensitivity::parse_range(text).ok_or_else(|| {
        InputError::new(format!("`{text}` is not a range"))
            .with_key(key.to_string())
            .with_hint("a percentage below 100, e.g. 10% or ±20%")
    })
}

fn setup(args: &SensitivityArgs, overrides: &[String]) -> anyhow::Result<Setup> {
    let mut varies = args.vary.iter().map(|v| Vary::parse(v)).collect::<Result<Vec<_>, _>>()?;
    let mut default_range = range(&args.range, "--range")?;
    if !super::super::is_experiment(&args.model) {
        return Ok(Setup {
            model: args.model.clone(),
            settings: vec![Setting { name: "model".into(), overrides: overrides.to_vec() }],
            varies,
            range: default_range,
            slo: None,
        });
    }
    let exp = Experiment::load(&args.model, overrides)?;
    let spec = exp.sensitivity.clone();
    if varies.is_empty()
        && let Some(spec) = &spec
    {
        for v in &spec.vary {
            varies.push(Vary::parse(v).map_err(|e| e.with_key(format!("sensitivity.vary: {v}")))?);
        }
        if let Some(r) = &spec.range {
            default_range = range(r, "sensitivity.range")?;
        }
    }
    // One point of the grid: the `[sensitivity] load`, else the first target load, else the only point.
    let load = spec.as_ref().and_then(|s| s.load).or_else(|| exp.target_loads.first().copied());
    let overrides_of = |d: usize| -> anyhow::Result<Vec<String>> {
        match (load, exp.load_axis, exp.points.len()) {
            (Some(l), Some(_), _) => Ok(exp.overrides_at_load(d, 0, l)),
            (_, _, 1) => Ok(exp.overrides_at(d, 0)),
            _ => Err(InputError::new(format!(
                "experiment `{}` has {} points: at which load should the designs be varied?",
                exp.name,
                exp.points.len()
            ))
            .with_key("sensitivity.load")
            .with_hint("add [sensitivity] with load = \"...\" (a value of the load axis; other axes take their first value), or [capacity] target_load")
            .into()),
        }
    };
    let settings = (0..exp.designs.len())
        .map(|d| {
            // The experiment's replications are its own, not the model's.
            let mut overrides = overrides_of(d)?;
            overrides.push(format!("simulation.replications={}", exp.replications));
            Ok(Setting { name: exp.designs[d].name.clone(), overrides })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Setup { model: exp.base_model().to_path_buf(), settings, varies, range: default_range, slo: exp.slo.clone() })
}

/// `capsim sensitivity`.
pub(crate) fn sensitivity(args: SensitivityArgs) -> anyhow::Result<()> {
    let sim = &args.simulate;
    use_threads(sim.threads)?;
    let overrides = super::run::with_shorthands(&args.overrides, sim.replications, sim.seed, sim.duration.as_deref());
    let setup = setup(&args, &overrides)?;
    let plan = sensitivity::plan(&setup.model, &setup.settings, &setup.varies, setup.range)?;
    let net = &plan.networks[0];
    let class = match &args.class {
        Some(c) => net.classes.iter().find(|k| &k.name == c).map(|k| k.name.clone()).ok_or_else(|| {
            InputError::new(format!("the model has no class `{c}`")).with_key("--class").with_hint(format!(
                "its classes: {}",
                net.classes.iter().map(|k| k.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?,
        None => setup
            .slo
            .as_ref()
            .and_then(|s| s.class.clone())
            .or_else(|| net.classes.iter().find(|k| !k.polling).map(|k| k.name.clone()))
            .unwrap_or_default(),
    };
    if let Some(dir) = &args.out {
        files::check_destination(
            dir,
            Destination::Sensitivity,
            &[args.model.as_path(), setup.model.as_path()],
            args.force,
        )?;
    }
    let runs = super::compare::simulate(&plan.networks, &|i| plan.describe(i), sim)?;
    let result = sensitivity::analyse(&args.model.display().to_string(), &plan, &runs, &class, setup.slo.as_ref());
    if let Some(dir) = &args.out {
        write(dir, &result, args.force)?;
    }
    let text = match args.format {
        TableOrJson::Table => sensitivity::table(&result),
        TableOrJson::Json => sensitivity::json(&result),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    if let Some(dir) = &args.out {
        eprintln!("sensitivity.csv, sensitivity.json and tornado charts written to {}", dir.display());
    }
    Ok(())
}

fn write(dir: &Path, result: &sensitivity::Sensitivity, force: bool) -> anyhow::Result<()> {
    files::write_dir_atomically(dir, Destination::Sensitivity, force, |tmp| {
        files::write_file_atomically(&tmp.join("sensitivity.csv"), sensitivity::csv(result).as_bytes())?;
        files::write_file_atomically(&tmp.join("sensitivity.json"), sensitivity::json(result).as_bytes())?;
        capsim::charts::tornado_charts(result, tmp)?;
        Ok::<(), anyhow::Error>(())
    })
}
