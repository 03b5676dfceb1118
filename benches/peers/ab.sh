#!/usr/bin/env bash
# A/B speed test of two capsim builds on one peer model, for engine work.
#
#   benches/peers/ab.sh OLD_BIN NEW_BIN [MODEL] [PAIRS]
#
# MODEL is mm1, mm8 (default), three-tier or closed-10k; PAIRS defaults to 15.
# The two builds run one after the other, in ABBA order, PAIRS times, each
# run a third of a CPU-second or so. On a shared machine single runs move by
# 30-50%, but the two runs of a pair see nearly the same machine. Prints the
# median events per CPU-second of each build and the median ratio NEW/OLD
# with a 95% bootstrap interval: on a busy shared machine 15 pairs resolve
# about 3% on a quiet day and 5-8% on a noisy one (two runs of the same
# comparison gave 0.961 and 1.049); add pairs until the interval is narrow.
set -euo pipefail

old=$1 new=$2 model=${3:-mm8} pairs=${4:-15}
case $model in
  mm1) horizon=(--duration 78000s -r 30) ;;
  mm8) horizon=(--duration 9500s -r 30) ;;
  three-tier) horizon=(--duration 35s -r 30) ;;
  closed-10k) horizon=(--duration 300s -r 1) ;;
  *) echo "ab.sh: unknown model $model" >&2; exit 2 ;;
esac
toml=$(dirname "$0")/models/$model.toml

rate() {
  "$1" run "$toml" --perf -f json -j 1 "${horizon[@]}" 2>&1 >/dev/null |
    sed -n 's/.*: \([0-9.]*\) million events per CPU-second.*/\1/p'
}

pairs_out=()
for i in $(seq "$pairs"); do
  if (( i % 2 )); then a=$(rate "$old"); b=$(rate "$new"); else b=$(rate "$new"); a=$(rate "$old"); fi
  pairs_out+=("$a $b")
done

printf '%s\n' "${pairs_out[@]}" | python3 -c '
import random, statistics as s, sys
pairs = [tuple(map(float, line.split())) for line in sys.stdin]
old, new = zip(*pairs)
ratios = [b / a for a, b in pairs]
# A 95% bootstrap interval for the median ratio: how far another run of
# this script may land (fixed seed, so the interval repeats for the same pairs).
rng = random.Random(1)
boot = sorted(s.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
print(f"'"$model"': old {s.median(old):.2f} M, new {s.median(new):.2f} M events per CPU-second (medians); "
      f"new/old {s.median(ratios):.3f} (median of {len(pairs)} paired ratios; "
      f"95% interval {boot[50]:.3f}-{boot[1949]:.3f})")
'
