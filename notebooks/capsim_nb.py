"""What every workshop notebook needs to call capsim, in one place.

    from capsim_nb import ROOT, capsim, capsim_json, scratch, with_sets

- `ROOT`: the repository root; capsim runs there, so model paths read as in
  the README (`models/mm1.toml`, `experiments/...`).
- The capsim binary: `$CAPSIM_BIN` if set, else `capsim` on the PATH (a pip
  install puts it there) or in this Python's scripts folder, else
  `target/release/capsim` in the repository.
- `capsim(*args)`: runs capsim and returns what it printed. Its warnings
  (a short run, a rough tail, a saturated service) are printed in the
  notebook, not dropped: they are part of the lesson.
- `scratch(name)`: a fresh temporary folder for a notebook's results, never
  inside the repository.

Python 3.9 or newer, standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

__all__ = ["ROOT", "CAPSIM", "capsim", "capsim_json", "scratch", "with_sets", "toml_load"]


def _find_root():
    here = Path.cwd()
    for candidate in [here, *here.parents]:
        if (candidate / "models").is_dir() and (candidate / "notebooks").is_dir():
            return candidate
    return Path(__file__).resolve().parent.parent


ROOT = _find_root()


def find_capsim():
    """$CAPSIM_BIN if set, else `capsim` on the PATH or beside this Python, else target/release/capsim."""
    env = os.environ.get("CAPSIM_BIN")
    if env:
        found = shutil.which(env) or shutil.which(str(ROOT / env))
        if not found:
            raise FileNotFoundError(f"CAPSIM_BIN={env!r} is not an executable file")
        return str(Path(found).resolve())
    local = ROOT / "target" / "release" / ("capsim.exe" if os.name == "nt" else "capsim")
    # A wheel installed into the kernel's environment is in its scripts folder,
    # which is not on the PATH when the environment was not activated (an IDE's kernel).
    scripts = sysconfig.get_path("scripts")
    found = (
        shutil.which("capsim")
        or (scripts and shutil.which("capsim", path=scripts))
        or shutil.which(str(local))
    )
    if not found:
        raise FileNotFoundError(
            "capsim not found: `pip install` the workshop's capsim wheel, or run `cargo build --release` "
            "in the repository root, or set CAPSIM_BIN=/path/to/capsim before starting Jupyter"
        )
    return str(Path(found).resolve())


CAPSIM = find_capsim()


def capsim(*args, ok=(0,), quiet=False):
    """Run `capsim ARGS...` from the repository root and return its standard output.

    Exit statuses other than those in `ok` raise, with capsim's message. Lines
    capsim writes to standard error (warnings, notes) are printed unless `quiet`.
    """
    args = [str(a) for a in args]
    proc = subprocess.run([CAPSIM, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode not in ok:
        raise RuntimeError(f"capsim {' '.join(args)} exited with {proc.returncode}:\n{proc.stderr}")
    if proc.stderr.strip() and not quiet:
        print(proc.stderr.rstrip(), file=sys.stderr)
    return proc.stdout


def capsim_json(*args, **kwargs):
    """`capsim ARGS... -f json`, parsed."""
    return json.loads(capsim(*args, "-f", "json", **kwargs))


def with_sets(args, overrides):
    """Append one `--set PATH=VALUE` per override to a list of arguments."""
    args = list(args)
    for o in overrides:
        args += ["--set", o]
    return args


def scratch(name):
    """A fresh temporary folder for one notebook's results."""
    return Path(tempfile.mkdtemp(prefix=f"capsim-{name}-"))


def toml_load(path):
    """Reads a TOML file: tomllib on Python 3.11+, tomli before (pip install tomli)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.9 and 3.10
        import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


print("capsim:", CAPSIM, "|", capsim("--version").strip())
