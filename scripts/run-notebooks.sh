#!/usr/bin/env bash
# Execute the workshop notebooks (notebooks/*.ipynb) headlessly, as CI does.
#
#   scripts/run-notebooks.sh                      # every notebook and solution; exit 1 if any cell fails
#   scripts/run-notebooks.sh notebooks/02-*.ipynb # only these
#   scripts/run-notebooks.sh --clear-outputs      # strip outputs and execution counts in place
#   scripts/run-notebooks.sh --export DIR         # run, then write each as HTML and its figures
#                                                 # (PNG at 180 dpi and SVG) into DIR, for slides
#
# Builds nothing: it needs a capsim binary, $CAPSIM_BIN or target/release/capsim
# (`cargo build --release` first). Creates or reuses a virtual environment with
# notebooks/requirements.txt (only PyPI is needed), runs each notebook in a fresh
# kernel from notebooks/, prints one line per notebook with its duration, and keeps
# the executed copies (with outputs) in target/notebook-runs/ for inspection.
#
# Environment:
#   CAPSIM_BIN               the capsim binary (default: target/release/capsim)
#   PYTHON                   interpreter that creates the environment (default: python3, 3.11+)
#   NOTEBOOK_VENV            the environment (default: target/notebook-venv)
#   NOTEBOOK_BUDGET_S        a notebook slower than this fails; 0 = no limit (default: 60)
#   NOTEBOOK_CELL_TIMEOUT_S  a cell slower than this fails (default: 120)
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# Paths given by the caller are relative to the caller's directory: resolve them first.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/${1#./}" ;; esac; }

mode=run
export_dir=
notebooks=()
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --clear-outputs) mode=clear ;;
    --export)
      [ $# -ge 2 ] || { echo "run-notebooks: --export needs a folder" >&2; exit 2; }
      export_dir=$(abspath "$2")
      shift
      ;;
    -*) echo "run-notebooks: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) notebooks+=("$(abspath "$1")") ;;
  esac
  shift
done

capsim_bin=
if [ -n "${CAPSIM_BIN:-}" ]; then
  case $CAPSIM_BIN in
    */*) capsim_bin=$(abspath "$CAPSIM_BIN") ;;
    *) capsim_bin=$(command -v "$CAPSIM_BIN" || true) ;;
  esac
  if [ -z "$capsim_bin" ] || [ ! -f "$capsim_bin" ] || [ ! -x "$capsim_bin" ]; then
    echo "run-notebooks: CAPSIM_BIN=$CAPSIM_BIN is not an executable file" >&2
    exit 2
  fi
fi

cd "$(dirname "$0")/.."
ROOT=$PWD

if [ ${#notebooks[@]} -eq 0 ]; then
  shopt -s nullglob
  notebooks=("$ROOT"/notebooks/*.ipynb "$ROOT"/notebooks/solutions/*.ipynb)
  shopt -u nullglob
  if [ ${#notebooks[@]} -eq 0 ]; then
    echo "run-notebooks: no notebooks in notebooks/" >&2
    exit 2
  fi
fi

if [ "$mode" = run ] && [ -z "$capsim_bin" ]; then
  capsim_bin=$ROOT/target/release/capsim
  if [ ! -x "$capsim_bin" ]; then
    echo "run-notebooks: $capsim_bin not found." >&2
    echo "  Build it first with \`cargo build --release\`, or point CAPSIM_BIN at a capsim binary." >&2
    exit 2
  fi
  stale=$(find src Cargo.toml Cargo.lock -newer "$capsim_bin" -print -quit 2>/dev/null || true)
  if [ -n "$stale" ]; then
    echo "run-notebooks: warning: $stale is newer than target/release/capsim (run \`cargo build --release\`)" >&2
  fi
fi

# ---- the virtual environment ------------------------------------------------
PYTHON=${PYTHON:-python3}
VENV=${NOTEBOOK_VENV:-$ROOT/target/notebook-venv}
REQUIREMENTS=$ROOT/notebooks/requirements.txt

if ! command -v "$PYTHON" >/dev/null; then
  echo "run-notebooks: $PYTHON not found; install Python 3.11 or newer, or set PYTHON" >&2
  exit 2
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "run-notebooks: the notebooks need Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1) (set PYTHON)" >&2
  exit 2
fi

# A broken environment (say, its Python was upgraded away) is rebuilt from scratch.
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "== rebuilding the broken environment $VENV"
  rm -rf "$VENV"
fi
if [ ! -e "$VENV/bin/python" ]; then
  echo "== creating the environment $VENV"
  if ! "$PYTHON" -m venv "$VENV"; then
    echo "run-notebooks: \`$PYTHON -m venv\` failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
    rm -rf "$VENV"
    exit 2
  fi
fi

# Reinstall when requirements.txt or the environment's Python changes.
want=$("$VENV/bin/python" - "$REQUIREMENTS" <<'PY'
import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest(), sys.version.split()[0])
PY
)
stamp=$VENV/.capsim-requirements
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "== installing notebooks/requirements.txt into $VENV"
  log=$VENV/pip-install.log
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$REQUIREMENTS" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "run-notebooks: pip install failed (full log: $log)" >&2
    exit 2
  fi
  # A kernel spec inside the environment, found first through JUPYTER_PATH below, so that
  # the notebooks never run on another `python3` kernel the user may have installed.
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (capsim notebooks)" >/dev/null
  echo "$want" >"$stamp"
fi

# ---- export: HTML needs nbconvert (installed on first use, not for CI's runs), and
# the kernels draw every figure as PNG at 180 dpi and as SVG, through an IPython
# profile of their own.
if [ -n "$export_dir" ]; then
  if ! "$VENV/bin/python" -c 'import nbconvert' 2>/dev/null; then
    echo "== installing nbconvert into $VENV (for --export)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q 'nbconvert>=7.16,<8' >&2
  fi
  mkdir -p "$export_dir"
  ipython_dir=$ROOT/target/notebook-ipython # kept: the runner below replaces this shell
  mkdir -p "$ipython_dir/profile_default"
  cat >"$ipython_dir/profile_default/ipython_kernel_config.py" <<'CFG'
c.InlineBackend.figure_formats = {"png", "svg"}
c.InlineBackend.rc = {"figure.dpi": 180}
CFG
  export IPYTHONDIR=$ipython_dir
  export NOTEBOOK_EXPORT=$export_dir
fi

# ---- run ----------------------------------------------------------------------
export JUPYTER_PATH=$VENV/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}
export JUPYTER_PLATFORM_DIRS=1
export PYDEVD_DISABLE_FILE_VALIDATION=1 # silences the debugger's "frozen modules" notice
# Solutions in notebooks/solutions/ import the shared helper beside the lessons.
export PYTHONPATH=$ROOT/notebooks${PYTHONPATH:+:$PYTHONPATH}
if [ "$mode" = run ]; then
  export CAPSIM_BIN=$capsim_bin
  echo "== capsim: $CAPSIM_BIN ($("$CAPSIM_BIN" --version))"
  echo "== executing ${#notebooks[@]} notebook(s)"
fi

runner=$(
  cat <<'PY'
import os, re, shutil, sys, tempfile, time
from pathlib import Path

import nbformat

mode, root, paths = sys.argv[1], Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]


def show(path):
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def stored_outputs(nb):
    return sum(1 for c in nb.cells if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")))


def export(nb, path, folder):
    """The executed notebook as one HTML page, and its figures as files, numbered in order."""
    import base64

    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(nb)
    (folder / f"{path.stem}.html").write_text(html, encoding="utf-8")
    figures = folder / path.stem
    shutil.rmtree(figures, ignore_errors=True)
    count = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data and "image/svg+xml" not in data:
                continue
            count += 1
            figures.mkdir(parents=True, exist_ok=True)
            if "image/png" in data:
                (figures / f"figure-{count:02d}.png").write_bytes(base64.b64decode(data["image/png"]))
            if "image/svg+xml" in data:
                svg = data["image/svg+xml"]
                (figures / f"figure-{count:02d}.svg").write_text("".join(svg) if isinstance(svg, list) else svg)


if mode == "clear":
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)
        print(f"cleared  {show(path)}")
    sys.exit(0)

from nbclient import NotebookClient
from traitlets.config import Config

budget = float(os.environ.get("NOTEBOOK_BUDGET_S", "60"))
cell_timeout = int(os.environ.get("NOTEBOOK_CELL_TIMEOUT_S", "120"))
runs = root / "target" / "notebook-runs"
runs.mkdir(parents=True, exist_ok=True)
failed, started = [], time.monotonic()
for path in paths:
    problem = None
    try:
        nb = nbformat.read(path, as_version=4)
        if stored_outputs(nb):
            problem = (f"{stored_outputs(nb)} code cell(s) carry outputs or execution counts; notebooks are "
                       "committed without them: scripts/run-notebooks.sh --clear-outputs")
        # A scratch folder per notebook, removed afterwards: the kernel's TMPDIR (where the
        # notebook writes its results) and its IPC sockets (no TCP ports, no "unencrypted" notice).
        scratch = tempfile.mkdtemp(prefix="capsim-nb-")
        os.environ["TMPDIR"] = scratch
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(scratch, "k")
        client = NotebookClient(nb, config=config, timeout=cell_timeout,
                                kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.monotonic()
        try:
            client.execute()
        except Exception as e:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
            problem = "\n".join(filter(None, [problem, f"{type(e).__name__}: {e}"]))
        finally:
            elapsed = time.monotonic() - t0
            shutil.rmtree(scratch, ignore_errors=True)
            nbformat.write(nb, runs / path.name)
        if problem is None and os.environ.get("NOTEBOOK_EXPORT"):
            export(nb, path, Path(os.environ["NOTEBOOK_EXPORT"]))
        if problem is None and budget > 0 and elapsed > budget:
            problem = f"took {elapsed:.1f} s, over the {budget:.0f} s budget (NOTEBOOK_BUDGET_S)"
    except Exception as e:  # unreadable notebook, no kernel, ...
        elapsed, problem = 0.0, f"{type(e).__name__}: {e}"
    print(f"{'ok' if problem is None else 'FAILED':6} {elapsed:5.1f} s  {show(path)}", flush=True)
    if problem is not None:
        failed.append(path)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", problem)  # tracebacks come with terminal colours
        print("\n".join("    " + line for line in plain.strip().splitlines()), file=sys.stderr, flush=True)

total = time.monotonic() - started
if failed:
    print(f"{len(failed)} of {len(paths)} notebook(s) failed ({total:.1f} s); executed copies in {show(runs)}/")
    sys.exit(1)
print(f"all {len(paths)} notebook(s) passed in {total:.1f} s; executed copies in {show(runs)}/")
PY
)
exec "$VENV/bin/python" -c "$runner" "$mode" "$ROOT" "${notebooks[@]}"
