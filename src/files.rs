//! Writing to the user's disk without ever losing their work.
//!
//! This module owns every write capsim makes outside standard output:
//! - [`write_file_atomically`]: a file appears whole or not at all
//!   (temporary sibling, then rename);
//! - [`write_dir_atomically`]: a results or shard folder appears whole or not
//!   at all, and files of the user's inside a folder it replaces are carried
//!   into the new one;
//! - [`check_destination`]: before any simulation starts, refuses a
//!   destination whose replacement would destroy something of the user's (a
//!   file, the current folder, a folder holding the inputs, a folder of
//!   someone else's) and proves the destination writable, so a long sweep
//!   never ends in "permission denied".

use std::fs;
use std::path::{Path, PathBuf};

/// Why a write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The operating system refused a read or write.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause (not a `source`: the message already says it once).
        error: std::io::Error,
    },
    /// The destination is unsafe to write; the message says what to do instead.
    #[error("{0}")]
    Refused(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |error| FileError::Io { path: path.to_path_buf(), error }
}

/// What a destination folder is for, which decides what counts as capsim's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A results folder (`sweep`, `merge`), replaced whole.
    Results,
    /// A shard folder (`sweep --shard`), replaced whole.
    Shard,
    /// A folder of charts (`run --charts`, `plot -o`): chart files are
    /// written one by one and nothing else is touched.
    Charts,
    /// A folder for `report -o`: `report.html` and its `charts/`.
    Report,
    /// A validation folder (`validate -o`): validation.csv, validation.json
    /// and the charts, replaced whole.
    Validation,
    /// A sensitivity folder (`sensitivity -o`): sensitivity.csv,
    /// sensitivity.json and the tornado charts, replaced whole.
    Sensitivity,
    /// A plan folder (`plan -o`): plan.json, candidates.csv, report.html and
    /// the chart, replaced whole.
    Plan,
}

impl Destination {
    /// The file that marks a folder of this kind as capsim's.
    fn marker(self) -> Option<&'static str> {
        match self {
            Destination::Results => Some("results.json"),
            Destination::Shard => Some("shard.json"),
            Destination::Validation => Some("validation.json"),
            Destination::Sensitivity => Some("sensitivity.json"),
            Destination::Plan => Some("plan.json"),
            Destination::Charts | Destination::Report => None,
        }
    }

    /// Whether `name`, at the top of a folder of this kind, is written by capsim.
    fn owns(self, name: &str) -> bool {
        match self {
            Destination::Results => matches!(name, "runs.csv" | "summary.csv" | "results.json" | "report.html"),
            Destination::Shard => name == "shard.json",
            Destination::Charts => is_chart_file(name),
            Destination::Report => matches!(name, "report.html" | "charts"),
            Destination::Validation => matches!(name, "validation.csv" | "validation.json") || is_chart_file(name),
            Destination::Sensitivity => matches!(name, "sensitivity.csv" | "sensitivity.json") || is_chart_file(name),
            Destination::Plan => matches!(name, "plan.json" | "candidates.csv" | "report.html") || is_chart_file(name),
        }
    }
}

fn is_chart_file(name: &str) -> bool {
    name.ends_with(".png") || name.ends_with(".svg")
}

/// The absolute form of `path` with symbolic links and `..` resolved as far
/// as the path exists (the rest is appended as written).
fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) if parent != absolute => resolve(parent).join(name),
        _ => absolute,
    }
}

/// Whether `dir` is a folder capsim wrote: its marker file parses as capsim's.
fn is_capsim_folder(dir: &Path, kind: Destination) -> bool {
    let Some(marker) = kind.marker() else { return false };
    let Ok(text) = fs::read_to_string(dir.join(marker)) else { return false };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return false };
    match kind {
        Destination::Results => json["experiment"]["capsim_version"].is_string(),
        Destination::Shard => json["format"].as_str().is_some_and(|f| f.starts_with("capsim-shard-")),
        Destination::Validation => json["format"].as_str().is_some_and(|f| f.starts_with("capsim-validation-")),
        Destination::Sensitivity => json["format"].as_str().is_some_and(|f| f.starts_with("capsim-sensitivity-")),
        Destination::Plan => json["format"].as_str().is_some_and(|f| f.starts_with("capsim-plan-")),
        Destination::Charts | Destination::Report => false,
    }
}

/// Checks, before any work, that writing `kind` output to `dir` destroys
/// nothing of the user's and can succeed. `inputs` are the files and folders
/// the command reads; `force` allows replacing a folder that is not capsim's.
///
/// Refused (with what to do instead): an existing file; the current folder or
/// one that contains it; a folder that contains an input; a non-empty folder
/// that capsim did not write (for charts: one holding anything but PNG and
/// SVG files). Then a probe file is created and removed where the output will
/// be written, so an unwritable destination fails now, not after the work.
pub fn check_destination(dir: &Path, kind: Destination, inputs: &[&Path], force: bool) -> Result<(), FileError> {
    let shown = dir.display();
    let target = resolve(dir);
    if let Ok(meta) = fs::metadata(dir)
        && !meta.is_dir()
    {
        return Err(FileError::Refused(format!(
            "`{shown}` is an existing file, not a folder: choose a new folder name for the output"
        )));
    }
    let cwd = std::env::current_dir().map(|c| resolve(&c)).unwrap_or_default();
    if cwd.starts_with(&target) {
        return Err(FileError::Refused(format!(
            "`{shown}` is the current folder or contains it, and capsim would write over it: name a new folder, e.g. -o results/my-run"
        )));
    }
    for input in inputs {
        if resolve(input).starts_with(&target) {
            return Err(FileError::Refused(format!(
                "`{shown}` contains the input {}, and capsim would write over it: name a folder outside the inputs, e.g. -o results/my-run",
                input.display()
            )));
        }
    }
    if let Ok(entries) = fs::read_dir(dir) {
        let names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        let foreign = match kind {
            Destination::Charts | Destination::Report => names.iter().any(|n| !kind.owns(n)),
            Destination::Results
            | Destination::Shard
            | Destination::Validation
            | Destination::Sensitivity
            | Destination::Plan => !names.is_empty() && !is_capsim_folder(dir, kind),
        };
        if foreign && !force {
            let what = match kind {
                Destination::Results => "a capsim results folder (no results.json of capsim's)",
                Destination::Shard => "a capsim shard folder (no shard.json of capsim's)",
                Destination::Charts => "a folder of charts (it holds files other than PNG and SVG)",
                Destination::Report => "a report folder (it holds files other than report.html and charts/)",
                Destination::Validation => "a capsim validation folder (no validation.json of capsim's)",
                Destination::Sensitivity => "a capsim sensitivity folder (no sensitivity.json of capsim's)",
                Destination::Plan => "a capsim plan folder (no plan.json of capsim's)",
            };
            let force_hint = if matches!(kind, Destination::Charts | Destination::Report) {
                ""
            } else {
                ", or pass --force to replace it and everything in it"
            };
            return Err(FileError::Refused(format!(
                "`{shown}` is not empty and is not {what}: choose a new or empty folder{force_hint}"
            )));
        }
    }
    // Results and shard folders are built beside the destination and renamed;
    // charts are written inside it.
    let probe_dir = match kind {
        Destination::Charts | Destination::Report if dir.is_dir() => dir.to_path_buf(),
        _ => parent_of(dir).to_path_buf(),
    };
    fs::create_dir_all(&probe_dir).map_err(io(&probe_dir))?;
    let probe = probe_dir.join(format!(".capsim-probe-{}", std::process::id()));
    fs::OpenOptions::new().write(true).create_new(true).open(&probe).map_err(|error| {
        FileError::Refused(format!("cannot write into {}: {error}; choose another folder", probe_dir.display()))
    })?;
    fs::remove_file(&probe).map_err(io(&probe))?;
    Ok(())
}

fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Writes `path` through a temporary sibling and a rename: readers never see half a file.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent_of(path).join(format!(".{name}.tmp{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    rename_or_clean(&tmp, path)
}

/// Renames `from` to `to`; on failure removes `from` (a temporary file).
pub(crate) fn rename_or_clean(from: &Path, to: &Path) -> Result<(), FileError> {
    fs::rename(from, to).map_err(|error| {
        let _ = fs::remove_file(from);
        FileError::Io { path: to.to_path_buf(), error }
    })
}

/// Writes the folder `dir` atomically: `fill` writes into a temporary
/// sibling, which then replaces `dir`. Entries of an existing `dir` that
/// capsim did not write are carried into the new folder first (hard links,
/// else copies), so the user's notes inside a results folder survive; with
/// `force` the old folder is replaced whole.
pub fn write_dir_atomically<E: From<FileError>>(
    dir: &Path,
    kind: Destination,
    force: bool,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if dir.exists() && !dir.is_dir() {
        return Err(FileError::Refused(format!("`{}` is an existing file, not a folder", dir.display())).into());
    }
    let parent = parent_of(dir);
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = dir.file_name().map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let filled = fill(&tmp).and_then(|()| if force { Ok(()) } else { carry_over(dir, &tmp, kind).map_err(E::from) });
    if let Err(e) = filled {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let existed = dir.exists();
    if existed {
        fs::rename(dir, &old).map_err(io(dir))?;
    }
    if let Err(error) = fs::rename(&tmp, dir) {
        if existed {
            let _ = fs::rename(&old, dir);
        }
        let _ = fs::remove_dir_all(&tmp);
        return Err(FileError::Io { path: dir.to_path_buf(), error }.into());
    }
    if existed {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// Copies what the user put into the old folder `from` into the new one `to`:
/// every entry capsim does not own, and in `charts/` every file that is not
/// a chart.
fn carry_over(from: &Path, to: &Path, kind: Destination) -> Result<(), FileError> {
    let Ok(entries) = fs::read_dir(from) else { return Ok(()) };
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let (src, dst) = (entry.path(), to.join(&name));
        if kind.owns(&name) {
            continue;
        }
        if kind == Destination::Results && name == "charts" && src.is_dir() {
            fs::create_dir_all(&dst).map_err(io(&dst))?;
            carry_over(&src, &dst, Destination::Charts)?;
        } else if !dst.exists() {
            link_or_copy(&src, &dst)?;
        }
    }
    Ok(())
}

fn link_or_copy(src: &Path, dst: &Path) -> Result<(), FileError> {
    let meta = fs::symlink_metadata(src).map_err(io(src))?;
    if meta.is_dir() {
        fs::create_dir_all(dst).map_err(io(dst))?;
        for entry in fs::read_dir(src).map_err(io(src))? {
            let entry = entry.map_err(io(src))?;
            link_or_copy(&entry.path(), &dst.join(entry.file_name()))?;
        }
        return Ok(());
    }
    if meta.file_type().is_symlink() {
        #[cfg(unix)]
        return std::os::unix::fs::symlink(fs::read_link(src).map_err(io(src))?, dst).map_err(io(dst));
        // Elsewhere a symbolic link needs privileges: copy what it points to.
        #[cfg(not(unix))]
        return fs::copy(src, dst).map(|_| ()).map_err(io(dst));
    }
    if fs::hard_link(src, dst).is_ok() {
        return Ok(());
    }
    fs::copy(src, dst).map(|_| ()).map_err(io(dst))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch folder, removed when the test ends (passed or not).
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("capsim-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn fill_results(dir: &Path) -> Result<(), FileError> {
        fs::write(dir.join("results.json"), r#"{"experiment":{"capsim_version":"test"}}"#).unwrap();
        fs::create_dir_all(dir.join("charts")).unwrap();
        fs::write(dir.join("charts/latency.png"), "new").unwrap();
        Ok(())
    }

    #[test]
    fn replacing_a_results_folder_keeps_the_users_files() {
        let root = scratch("keep");
        let out = root.join("out");
        write_dir_atomically(&out, Destination::Results, false, fill_results).unwrap();
        fs::write(out.join("notes.md"), "mine").unwrap();
        fs::write(out.join("charts/annotated.pdf"), "mine too").unwrap();
        fs::write(out.join("charts/stale.png"), "old chart").unwrap();
        check_destination(&out, Destination::Results, &[], false).unwrap();
        write_dir_atomically(&out, Destination::Results, false, fill_results).unwrap();
        assert_eq!(fs::read_to_string(out.join("notes.md")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(out.join("charts/annotated.pdf")).unwrap(), "mine too");
        assert!(!out.join("charts/stale.png").exists(), "an old chart is capsim's and goes");
        assert_eq!(fs::read_to_string(out.join("charts/latency.png")).unwrap(), "new");
        write_dir_atomically(&out, Destination::Results, true, fill_results).unwrap();
        assert!(!out.join("notes.md").exists(), "--force replaces the folder whole");
        let leftovers: Vec<_> = fs::read_dir(&*root).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("out")], "no temporary folder is left behind");
    }

    #[test]
    fn a_folder_that_is_not_capsims_is_refused_unless_forced() {
        let root = scratch("foreign");
        fs::write(root.join("keep.txt"), "mine").unwrap();
        let refused = check_destination(&root, Destination::Results, &[], false).unwrap_err().to_string();
        assert!(refused.contains("not a capsim results folder") && refused.contains("--force"), "{refused}");
        check_destination(&root, Destination::Results, &[], true).unwrap();
        let refused = check_destination(&root, Destination::Charts, &[], false).unwrap_err().to_string();
        assert!(refused.contains("other than PNG and SVG"), "{refused}");
    }

    #[test]
    fn files_and_folders_holding_inputs_are_refused() {
        let root = scratch("inputs");
        let file = root.join("model.toml");
        fs::write(&file, "").unwrap();
        let refused = check_destination(&file, Destination::Results, &[], true).unwrap_err().to_string();
        assert!(refused.contains("is an existing file"), "{refused}");
        let refused = check_destination(&root, Destination::Results, &[&file], true).unwrap_err().to_string();
        assert!(refused.contains("contains the input"), "{refused}");
        let refused = check_destination(Path::new("."), Destination::Charts, &[], true).unwrap_err().to_string();
        assert!(refused.contains("current folder"), "{refused}");
        let refused = check_destination(Path::new(".."), Destination::Results, &[], true).unwrap_err().to_string();
        assert!(refused.contains("current folder"), "{refused}");
    }

    #[test]
    fn io_errors_name_the_cause_once() {
        let err = write_file_atomically(Path::new("/nonexistent-capsim/dir/x.json"), b"").unwrap_err();
        let text = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(text.matches("No such file").count(), 1, "{text}");
    }
}
