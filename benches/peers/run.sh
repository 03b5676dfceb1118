#!/usr/bin/env bash
# Peer benchmark: capsim against SimPy and Ciw on the same three models
# (M/M/1 and M/M/8 at rho 0.9, a three-tier open network), plus capsim alone
# on a closed model of 10,000 users. Prints events per CPU-second for each
# tool, the ratios capsim/SimPy and capsim/Ciw, mean and p99 latency, and
# exits 1 if the tools disagree beyond their statistical error.
#
#   benches/peers/run.sh            # full: each measurement 3 times, about 10 minutes
#   benches/peers/run.sh --quick    # smoke test: once, shorter horizons, 20-30 s
#   benches/peers/run.sh --repeat 5 --json target/peers.json
#
# Builds capsim (cargo build --release --locked) unless CAPSIM_BIN names a
# binary. Creates or reuses a virtual environment with requirements.txt.
#
# Environment:
#   CAPSIM_BIN   the capsim binary to measure (default: build target/release/capsim)
#   PYTHON       interpreter that creates the environment (default: python3.11)
#   PEERS_VENV   the environment (default: target/peers-venv)
set -euo pipefail

case ${1:-} in
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
esac

cd "$(dirname "$0")/../.."
req=benches/peers/requirements.txt
venv=${PEERS_VENV:-target/peers-venv}

# Reuse the environment only if it was made from exactly this requirements file.
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/requirements.txt"; then
  echo "peers: creating $venv" >&2
  rm -rf "$venv"
  "${PYTHON:-python3.11}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.txt"
fi

if [ -z "${CAPSIM_BIN:-}" ]; then
  cargo build --release --locked --quiet
  CAPSIM_BIN=$PWD/target/release/capsim
fi

exec "$venv/bin/python" benches/peers/bench.py --capsim "$CAPSIM_BIN" "$@"
