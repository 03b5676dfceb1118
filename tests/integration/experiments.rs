//! `capsim sweep` and `capsim merge` as users run them: every shipped
//! experiment, byte-identical results across thread counts and shards (with
//! GNU parallel), Ctrl-C keeping finished runs, and bad experiments refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) fn capsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_capsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

pub(crate) fn run(args: &[&str]) -> Output {
    capsim().args(args).output().expect("the binary runs")
}

#[track_caller]
pub(crate) fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capsim-exp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small experiment written next to a copy of the M/M/c model.
pub(crate) fn small_experiment(dir: &Path, extra: &str) -> PathBuf {
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mmc.toml"), dir.join("mmc.toml")).unwrap();
    let path = dir.join("small.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[experiment]
name = "small"
question = "How many threads?"
model = "mmc.toml"
replications = 3
seed = 3
set = {{ "simulation.duration" = "20s", "simulation.warmup" = "2s" }}

[[axes]]
path = "workload.main.rate"
values = ["40/s", "70/s", "120/s"]

[slo]
p99 = "500ms"

[designs.eight]
description = "8 threads"

[designs.twelve]
set = {{ "services.app.threads" = 12 }}
{extra}
"#
        ),
    )
    .unwrap();
    path
}

pub(crate) fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

#[test]
fn every_shipped_experiment_runs_briefly() {
    let out_root = scratch("shipped");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let out = out_root.join(path.file_stem().unwrap());
        // A recovery question needs the run to outlast its trigger and hold:
        // such an experiment (about a second) runs as written.
        let exp = capsim::experiment::spec::Experiment::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        let recovery = exp.networks.iter().flatten().any(|n| n.settings.recovery.is_some());
        let brief: &[&str] =
            if recovery { &[] } else { &["--set", "simulation.duration=2s", "--set", "simulation.warmup=0.5s"] };
        let mut args = vec!["sweep", path.to_str().unwrap()];
        args.extend(brief);
        args.extend(["-q", "-o", out.to_str().unwrap()]);
        ok(&run(&args));
        let results: serde_json::Value = serde_json::from_str(&read(&out, "results.json")).unwrap();
        assert_eq!(results["experiment"]["complete"], true);
        assert!(!results["points"].as_array().unwrap().is_empty());
        assert!(read(&out, "runs.csv").lines().count() > 1);
        assert!(read(&out, "summary.csv").lines().count() > 1);
        seen += 1;
    }
    assert!(seen >= 3, "expected at least 3 experiments, found {seen}");
}

#[test]
fn results_answer_the_capacity_question() {
    let dir = scratch("answers");
    let exp = small_experiment(&dir, "[capacity]\ntarget_load = \"70/s\"\n");
    let out = dir.join("results");
    let o = run(&["sweep", exp.to_str().unwrap(), "-q", "-o", out.to_str().unwrap()]);
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // 8 threads of 80 ms hold 100/s: at 120/s the queue grows and the p99's
    // whole interval is above 500 ms; 12 threads hold 150/s and pass everywhere.
    assert!(stdout.contains("eight meets the SLO up to 70-120 req/s;"), "{stdout}");
    assert!(stdout.contains("twelve meets the SLO at every load tried"), "{stdout}");
    let results: serde_json::Value = serde_json::from_str(&read(&out, "results.json")).unwrap();
    assert_eq!(results["capacity"]["designs"][0]["bottleneck"][0], "app");
    assert_eq!(results["experiment"]["inputs_sha256"].as_str().unwrap().len(), 64);
    let runs = read(&out, "runs.csv");
    assert!(runs.starts_with("run,design,workload.main.rate,replication,seed,"), "{runs}");
    assert_eq!(runs.lines().count(), 1 + 2 * 3 * 3);
}

#[test]
fn output_is_byte_identical_for_1_and_2_threads() {
    let dir = scratch("threads");
    let exp = small_experiment(&dir, "");
    let (a, b) = (dir.join("one"), dir.join("two"));
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "-j", "1", "--no-charts", "-o", a.to_str().unwrap()]));
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "-j", "2", "--no-charts", "-o", b.to_str().unwrap()]));
    for f in ["runs.csv", "summary.csv", "results.json"] {
        assert_eq!(read(&a, f), read(&b, f), "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn shards_run_with_gnu_parallel_merge_to_the_unsharded_result() {
    let dir = scratch("shards");
    let exp = small_experiment(&dir, "");
    let whole = dir.join("whole");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "--no-charts", "-o", whole.to_str().unwrap()]));

    let bin = env!("CARGO_BIN_EXE_capsim");
    let shard_dir = |i: usize| dir.join(format!("shard-{i}"));
    let has_parallel =
        Command::new("parallel").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if has_parallel {
        // What a user types: one shard per job, 2 jobs at a time.
        let status = Command::new("parallel")
            .args(["--will-cite", "-j", "2", "--halt", "now,fail=1"])
            .arg(format!("{bin} sweep {} -q --shard {{}}/3 -o {}/shard-{{}}", exp.display(), dir.display()))
            .args([":::", "0", "1", "2"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "GNU parallel failed");
    } else {
        assert!(std::env::var_os("CI").is_none(), "GNU parallel is missing; .ci/run installs it");
        eprintln!("note: GNU parallel is not installed; running the shards one by one");
        for i in 0..3 {
            ok(&run(&[
                "sweep",
                exp.to_str().unwrap(),
                "-q",
                "--shard",
                &format!("{i}/3"),
                "-o",
                shard_dir(i).to_str().unwrap(),
            ]));
        }
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge".to_string(), "--no-charts".into(), "-o".into(), merged.display().to_string()];
    args.extend((0..3).map(|i| shard_dir(i).display().to_string()));
    ok(&capsim().args(&args).output().unwrap());
    for f in ["runs.csv", "summary.csv", "results.json"] {
        assert_eq!(read(&whole, f), read(&merged, f), "{f} differs between sharded and unsharded runs");
    }

    // A missing shard is named, and nothing is written.
    let partial = dir.join("partial");
    let out = run(&[
        "merge",
        "-o",
        partial.to_str().unwrap(),
        shard_dir(0).to_str().unwrap(),
        shard_dir(2).to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shard 1/3 is missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!partial.exists());
}

#[test]
fn merging_shards_of_different_experiments_is_refused() {
    let dir = scratch("mixed");
    let exp = small_experiment(&dir, "");
    ok(&run(&["sweep", exp.to_str().unwrap(), "-q", "--shard", "0/2", "-o", dir.join("a").to_str().unwrap()]));
    ok(&run(&[
        "sweep",
        exp.to_str().unwrap(),
        "-q",
        "--set",
        "services.app.threads=9",
        "--shard",
        "1/2",
        "-o",
        dir.join("b").to_str().unwrap(),
    ]));
    let out = run(&["merge", dir.join("a").to_str().unwrap(), dir.join("b").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different inputs"));
}

#[test]
#[cfg(unix)]
fn ctrl_c_keeps_the_finished_runs() {
    let dir = scratch("interrupt");
    let exp = small_experiment(&dir, "");
    // Long runs so the sweep is still busy when interrupted.
    let out = dir.join("results");
    let child = capsim()
        .args(["sweep", exp.to_str().unwrap(), "-q", "-j", "1", "--no-charts", "--set", "simulation.duration=100000s"])
        .args(["-o", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: sending SIGINT to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    // Whoever reads only stdout learns that the findings are partial.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("PARTIAL RESULTS: the sweep was interrupted"), "{stdout}");
    let results: serde_json::Value = serde_json::from_str(&read(&out, "results.json")).unwrap();
    assert_eq!(results["experiment"]["complete"], false);
    let done = results["experiment"]["runs_done"].as_u64().unwrap();
    assert!((1..18).contains(&done), "runs done: {done}");
    assert_eq!(read(&out, "runs.csv").lines().count() as u64, 1 + done);
}

#[test]
fn bad_experiments_are_refused_without_half_written_output() {
    let dir = scratch("bad");
    let cases: [(&str, &str); 5] = [
        ("[designs.broken]\nset = { \"services.nope.threads\" = 2 }\n", "no `services.nope`"),
        ("[[axes]]\npath = \"services.app.threads\"\nvalues = []\n", "has no values"),
        ("", "unknown field `p98`"),
        ("[[axes]]\npath = \"services.app.threads\"\nfrom = 1\nto = 4\n", "needs `steps`"),
        ("[slo]\n", "duplicate key"),
    ];
    for (i, (extra, needle)) in cases.iter().enumerate() {
        let exp = small_experiment(&dir, extra);
        if *needle == "unknown field `p98`" {
            let text = std::fs::read_to_string(&exp).unwrap().replace("p99 = \"500ms\"", "p98 = \"500ms\"");
            std::fs::write(&exp, text).unwrap();
        }
        let out_dir = dir.join(format!("out-{i}"));
        let out = run(&["sweep", exp.to_str().unwrap(), "-q", "-o", out_dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(needle), "case {i}: `{needle}` missing from: {err}");
        assert!(!out_dir.exists(), "case {i}: output was written");
    }
    let exp = small_experiment(&dir, "");
    let out = run(&["sweep", exp.to_str().unwrap(), "--shard", "5/4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard 5/4 does not exist"));
}

#[test]
fn bisection_runs_through_the_executor_and_honours_stop() {
    use capsim::experiment::{aggregate::assemble, capacity::refine, execute::execute, spec::Experiment};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = scratch("bisect");
    let path = small_experiment(&dir, "[capacity]\nbisect = 2\n");
    let exp = Experiment::load(&path, &[]).unwrap();
    let done = execute(&exp, &exp.runs(), &|| (), &AtomicBool::new(false), false);
    let grid = assemble(&exp, &done.records, &done.failures, "capsim sweep small.toml");
    let bracket = |d: &capsim::experiment::results::DesignCapacity| d.max_load_low.zip(d.max_load_high);
    let bracketed = grid.capacity.designs.iter().filter(|d| bracket(d).is_some()).count();
    assert!(bracketed > 0, "the test needs a design that passes, then fails: {:?}", grid.capacity.designs);

    // Ctrl-C before the bisection: the grid's brackets stay, and the findings say so.
    let mut stopped = grid.clone();
    let refined = refine(&exp, &mut stopped, &|| (), &AtomicBool::new(true));
    assert_eq!(refined.notes.len(), 1, "{:?}", refined.notes);
    assert!(refined.notes[0].contains("interrupted"), "{:?}", refined.notes);
    assert!(stopped.capacity.findings.contains(&refined.notes[0]));
    assert!(refined.runs.is_empty());
    for (g, s) in grid.capacity.designs.iter().zip(&stopped.capacity.designs) {
        assert_eq!((bracket(g), g.max_load, g.fails_at), (bracket(s), s.max_load, s.fails_at));
    }

    // Two steps for each bracketed design; every simulation reports its
    // progress and is returned, numbered after the grid's runs.
    let calls = AtomicUsize::new(0);
    let mut after = grid.clone();
    let refined = refine(&exp, &mut after, &|| _ = calls.fetch_add(1, Ordering::Relaxed), &AtomicBool::new(false));
    assert!(refined.notes.is_empty(), "{:?}", refined.notes);
    let runs = bracketed * 2 * exp.replications as usize;
    assert_eq!(calls.into_inner(), runs);
    assert_eq!(refined.runs.len(), runs);
    assert_eq!(after.experiment.bisection_runs, runs);
    for (i, run) in refined.runs.iter().enumerate() {
        assert_eq!(run.record.index, exp.runs().len() + i);
        assert!((1..=2).contains(&run.step), "{run:?}");
        let design = &grid.capacity.designs[run.record.design];
        let (lo, hi) = bracket(design).expect("only bracketed designs are refined");
        let load: f64 = run.axis_values[0].trim_end_matches("/s").parse().unwrap();
        assert!(lo < load && load < hi, "{}: {load} is outside [{lo}, {hi}]", design.design);
    }
    for (g, r) in grid.capacity.designs.iter().zip(&after.capacity.designs) {
        let Some((lo, hi)) = bracket(g) else { continue };
        let (rlo, rhi) = bracket(r).expect("a refined bracket keeps both ends");
        assert!(lo <= rlo && rhi <= hi, "{} left its bracket: [{lo}, {hi}] -> [{rlo}, {rhi}]", g.design);
        let estimate = r.max_load.expect("a bracketed design has an estimate");
        assert!(rlo <= estimate && estimate < rhi, "{}: estimate {estimate} outside [{rlo}, {rhi}]", g.design);
    }
}

/// The sweep's runs.csv with `--set` overrides, and what it said on stderr.
fn sweep_runs(exp: &Path, out: &Path, sets: &[&str]) -> (String, String) {
    let mut cmd = capsim();
    cmd.args(["sweep", exp.to_str().unwrap(), "-q", "-j", "2", "--no-charts", "-o", out.to_str().unwrap()]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let output = cmd.output().unwrap();
    ok(&output);
    (read(out, "runs.csv"), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn set_seed_changes_the_seed_of_every_run_of_a_sweep() {
    let dir = scratch("set-seed");
    let exp = small_experiment(&dir, "");
    let short = "simulation.duration=5s";
    let (file_seed, quiet) = sweep_runs(&exp, &dir.join("file-seed"), &[short]);
    assert!(!quiet.contains("seed"), "{quiet}");
    let (set_seed, said) = sweep_runs(&exp, &dir.join("set-seed"), &[short, "simulation.seed=9"]);
    assert_ne!(set_seed, file_seed, "--set simulation.seed=9 was ignored");
    // Exactly as if the file said seed = 9: one seed for every design and point.
    let nine = dir.join("nine.toml");
    std::fs::write(&nine, read(&dir, "small.toml").replace("seed = 3", "seed = 9")).unwrap();
    let (file_nine, _) = sweep_runs(&nine, &dir.join("file-nine"), &[short]);
    assert_eq!(set_seed, file_nine);
    assert!(said.contains("small: seed 9 (from simulation.seed=9; the file says seed = 3)"), "{said}");
    let results: serde_json::Value = serde_json::from_str(&read(&dir.join("set-seed"), "results.json")).unwrap();
    assert_eq!(results["experiment"]["seed"], 9);
    assert!(results["experiment"]["command"].as_str().unwrap().ends_with("--set simulation.seed=9"), "{results}");
}

#[test]
fn set_replications_changes_the_replications_of_a_sweep() {
    let dir = scratch("set-replications");
    let exp = small_experiment(&dir, "");
    let (runs, said) = sweep_runs(&exp, &dir.join("one"), &["simulation.duration=5s", "simulation.replications=1"]);
    // 2 designs x 3 loads x 1 replication, not the file's 3.
    assert_eq!(runs.lines().count(), 1 + 6, "{runs}");
    assert!(
        said.contains("1 replication(s) (from simulation.replications=1; the file says replications = 3)"),
        "{said}"
    );
}

#[test]
fn a_design_or_an_axis_cannot_have_its_own_seed() {
    let dir = scratch("own-seed");
    let design = small_experiment(&dir, "\n[designs.lucky]\nset = { \"simulation.seed\" = 4 }\n");
    let out = run(&["check", design.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`designs.lucky.set`: design `lucky` sets `simulation.seed`"), "{err}");
    assert!(err.contains("write `seed = N` under [experiment]"), "{err}");
    let axis = small_experiment(&dir, "\n[[axes]]\npath = \"simulation.replications\"\nvalues = [1, 2]\n");
    let out = run(&["check", axis.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("an axis cannot vary `simulation.replications`"), "{err}");
    assert!(err.contains("write `replications = N` under [experiment]"), "{err}");
}
