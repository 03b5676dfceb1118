#!/usr/bin/env bash
# Checks that two capsim builds print the same numbers, byte for byte: every
# model in models/ (`run --format json`, `--format csv`, the table with `--theory`, and `capsim theory`), every
# experiment in experiments/ (the sweep's runs.csv, summary.csv and
# results.json), and one experiment's charts and report.html.
# Use it around any refactor or speed change that must not move a result.
#
#   scripts/same-output.sh OLD_BINARY NEW_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
differ=0
for bin in old new; do
  exe=${!bin}
  mkdir -p "$work/$bin"
  for m in models/*.toml; do
    name=$(basename "$m" .toml)
    "$exe" run "$m" --format json --seed 7 -r 2 --duration 200s -j 2 > "$work/$bin/$name.json" 2>/dev/null || echo "failed" >> "$work/$bin/$name.json"
    "$exe" run "$m" --format csv --seed 7 -r 2 --duration 200s -j 2 > "$work/$bin/$name.csv" 2>/dev/null || echo "failed" >> "$work/$bin/$name.csv"
    "$exe" run "$m" --theory --seed 7 -r 2 --duration 200s -j 2 > "$work/$bin/$name.txt" 2>/dev/null || echo "failed" >> "$work/$bin/$name.txt"
    "$exe" theory "$m" >> "$work/$bin/$name.txt" 2>&1 || true
  done
  for e in experiments/*.toml; do
    name=$(basename "$e" .toml)
    "$exe" sweep "$e" -q --no-charts -j 2 --set simulation.duration=20s -o "$work/$bin/sweep-$name" > /dev/null 2>&1 || true
  done
  "$exe" sweep experiments/scaling-showdown.toml -q -j 2 --set simulation.duration=10s -o "$work/$bin/report" > /dev/null 2>&1 || true
done
for f in "$work"/old/*.json "$work"/old/*.csv "$work"/old/*.txt; do
  cmp -s "$f" "$work/new/$(basename "$f")" || { echo "differs: run $(basename "$f" .json)"; differ=1; }
done
for d in "$work"/old/sweep-*; do
  for f in runs.csv summary.csv results.json; do
    cmp -s "$d/$f" "$work/new/$(basename "$d")/$f" || { echo "differs: $(basename "$d")/$f"; differ=1; }
  done
done
for f in report.html $(cd "$work/old/report/charts" && ls | sed 's|^|charts/|'); do
  cmp -s "$work/old/report/$f" "$work/new/report/$f" || { echo "differs: scaling-showdown $f"; differ=1; }
done
count=$(ls "$work"/old/*.json | wc -l) sweeps=$(ls -d "$work"/old/sweep-* | wc -l)
if [ $differ = 0 ]; then echo "same output: $count models (JSON, CSV, tables), $sweeps experiments, and scaling-showdown's charts and report"; else exit 1; fi
