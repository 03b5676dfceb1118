//! `-o` never destroys a user's files: `sweep`, `merge`, `plot`, `report`
//! and `run --charts` refuse a destination whose replacement would lose
//! something (exit 2, before any simulation), keep the user's files inside a
//! results folder they replace, and find an unwritable destination before
//! the work, not after it.

use std::fs;
use std::path::Path;
use std::process::Output;

use super::experiments::{capsim, ok, read, run, scratch, small_experiment};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[track_caller]
fn refused(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "expected a refusal (exit 2): {err}");
    assert!(err.contains(needle), "`{needle}` missing from: {err}");
}

/// Every entry of `dir`, sorted, hidden ones included.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn sweep_into_a_parent_of_another_experiments_results_is_refused() {
    let dir = scratch("o-parent");
    let exp = small_experiment(&dir, "");
    let results = dir.join("results");
    fs::create_dir_all(results.join("other")).unwrap();
    fs::write(results.join("other/keep.txt"), "a sibling experiment").unwrap();
    refused(&run(&["sweep", s(&exp), "-q", "-o", s(&results)]), "is not a capsim results folder");
    assert_eq!(read(&results, "other/keep.txt"), "a sibling experiment");
    assert_eq!(listing(&results), ["other"]);
}

#[test]
fn sweep_into_a_folder_of_the_users_files_is_refused_unless_forced() {
    let dir = scratch("o-users");
    let exp = small_experiment(&dir, "");
    let sub = dir.join("sub");
    fs::create_dir_all(&sub).unwrap();
    fs::write(sub.join("keep.txt"), "mine").unwrap();
    refused(&run(&["sweep", s(&exp), "-q", "--no-charts", "-o", s(&sub)]), "--force");
    assert_eq!(listing(&sub), ["keep.txt"]);
    ok(&run(&["sweep", s(&exp), "-q", "--no-charts", "--force", "-o", s(&sub)]));
    assert!(!sub.join("keep.txt").exists(), "--force replaces the folder whole");
    assert!(sub.join("results.json").exists());
    assert_eq!(listing(&dir), ["mmc.toml", "small.toml", "sub"], "no temporary or old folder left");
}

#[test]
fn sweep_onto_an_existing_file_is_refused() {
    let dir = scratch("o-file");
    let exp = small_experiment(&dir, "");
    let file = dir.join("notes.txt");
    fs::write(&file, "mine").unwrap();
    refused(&run(&["sweep", s(&exp), "-q", "--force", "-o", s(&file)]), "is an existing file");
    assert_eq!(read(&dir, "notes.txt"), "mine");
    assert_eq!(listing(&dir), ["mmc.toml", "notes.txt", "small.toml"], "nothing renamed or left behind");
}

#[test]
fn sweep_into_the_current_folder_or_the_inputs_folder_is_refused() {
    let dir = scratch("o-dot");
    let exp = small_experiment(&dir, "");
    let out = capsim().current_dir(&dir).args(["sweep", "small.toml", "-q", "--force", "-o", "."]).output().unwrap();
    refused(&out, "is the current folder");
    let out = capsim().current_dir(&dir).args(["sweep", "small.toml", "-q", "--force", "-o", ".."]).output().unwrap();
    refused(&out, "is the current folder");
    refused(&run(&["sweep", s(&exp), "-q", "--force", "-o", s(&dir)]), "contains the input");
    assert_eq!(listing(&dir), ["mmc.toml", "small.toml"], "no temporary folder left behind");
}

#[test]
fn rerunning_into_a_results_folder_keeps_the_users_notes() {
    let dir = scratch("o-rerun");
    let exp = small_experiment(&dir, "");
    let out = dir.join("out");
    ok(&run(&["sweep", s(&exp), "-q", "--no-charts", "-o", s(&out)]));
    fs::write(out.join("notes.md"), "what we decided").unwrap();
    fs::write(out.join("runs.csv"), "stale").unwrap();
    ok(&run(&["sweep", s(&exp), "-q", "--no-charts", "-o", s(&out)]));
    assert_eq!(read(&out, "notes.md"), "what we decided");
    assert_ne!(read(&out, "runs.csv"), "stale", "capsim's own files are replaced");
}

#[test]
fn merge_into_a_folder_holding_its_shards_is_refused() {
    let dir = scratch("o-merge");
    let exp = small_experiment(&dir, "");
    let shards = dir.join("shards");
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = shards.join(format!("s{i}"));
        ok(&run(&["sweep", s(&exp), "-q", "--shard", &shard, "-o", s(&out)]));
    }
    let (a, b) = (shards.join("s0"), shards.join("s1"));
    refused(&run(&["merge", s(&a), s(&b), "--force", "-o", s(&shards)]), "contains the input");
    assert_eq!(listing(&shards), ["s0", "s1"]);
    let merged = dir.join("merged");
    ok(&run(&["merge", s(&a), s(&b), "--no-charts", "-o", s(&merged)]));
    refused(&run(&["merge", s(&a), s(&b), "--no-charts", "-o", s(&dir.join("small.toml"))]), "is an existing file");
}

#[test]
fn charts_are_not_written_into_a_folder_of_other_files() {
    let dir = scratch("o-charts");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mm1.toml");
    fs::write(dir.join("slides.key"), "mine").unwrap();
    let quick = ["--duration", "200s", "-r", "2"];
    refused(&capsim().args(["run", s(&model), "--charts", s(&dir)]).args(quick).output().unwrap(), "other than PNG");
    let charts = dir.join("charts");
    ok(&capsim().args(["run", s(&model), "--charts", s(&charts)]).args(quick).output().unwrap());
    ok(&capsim().args(["run", s(&model), "--charts", s(&charts)]).args(quick).output().unwrap());

    let exp = small_experiment(&dir, "");
    let results = dir.join("results");
    ok(&run(&["sweep", s(&exp), "-q", "-o", s(&results)]));
    refused(&run(&["plot", s(&results), "-o", s(&dir)]), "contains the input");
    let deck = dir.join("deck");
    fs::create_dir_all(&deck).unwrap();
    fs::write(deck.join("slides.key"), "mine").unwrap();
    refused(&run(&["plot", s(&results), "-o", s(&deck)]), "other than PNG");
    refused(&run(&["report", s(&results), "-o", s(&deck)]), "other than report.html");
    refused(&run(&["report", s(&results), "-o", s(&dir.join("slides.key"))]), "is an existing file");
    let review = dir.join("review");
    ok(&run(&["report", s(&results), "-o", s(&review)]));
    assert!(review.join("report.html").exists() && review.join("charts").is_dir());
    assert_eq!(read(&dir, "slides.key"), "mine");
}

/// Runs the command as `nobody` when this process is root (root writes
/// anywhere, so the permission case needs a plain user). None when it cannot.
#[cfg(unix)]
fn as_plain_user(cmd: &mut std::process::Command) -> Option<std::process::Command> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some(std::mem::replace(cmd, std::process::Command::new("true")));
    }
    if std::process::Command::new("setpriv").arg("--version").output().is_err() {
        return None;
    }
    let mut wrapped = std::process::Command::new("setpriv");
    wrapped.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        wrapped.current_dir(d);
    }
    Some(wrapped)
}

#[test]
#[cfg(unix)]
fn an_unwritable_destination_is_found_before_the_sweep_runs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("o-unwritable");
    let exp = small_experiment(&dir, "");
    let locked = dir.join("locked");
    fs::create_dir_all(&locked).unwrap();
    for p in [&dir, &exp, &dir.join("mmc.toml")] {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Long runs: if the check came after the simulation, this test would take minutes.
    let mut cmd = run_cmd(&["sweep", s(&exp), "-q", "--set", "simulation.duration=1000000s", "-o"]);
    cmd.arg(locked.join("out"));
    let Some(mut cmd) = as_plain_user(&mut cmd) else {
        eprintln!("skipped: running as root without setpriv, so permissions cannot be tested");
        return;
    };
    let started = std::time::Instant::now();
    let out = cmd.output().unwrap();
    refused(&out, "cannot write into");
    assert!(started.elapsed().as_secs() < 20, "the refusal came after simulating");
    assert_eq!(listing(&locked), Vec::<String>::new());
}

#[cfg(unix)]
fn run_cmd(args: &[&str]) -> std::process::Command {
    let mut c = capsim();
    c.args(args);
    c
}
