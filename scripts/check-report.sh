#!/usr/bin/env bash
# Opens a capsim report in a real headless browser (Debian's chromium, driven
# by playwright-core) and fails if any resource fails to load, anything is
# fetched from outside the file, an image is broken, or the console shows an
# error. Takes a full-page screenshot at laptop size.
#
#   scripts/check-report.sh REPORT_HTML SCREENSHOT_PNG [PRINT_PDF]
#
# Installs what it needs: chromium with apt-get (run as root), playwright-core
# from npm into scripts/node_modules (ignored by git). Needs no other network.
# Exit status: 0 clean, 1 the report has problems, 2 usage or setup failed.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 REPORT_HTML SCREENSHOT_PNG [PRINT_PDF]" >&2
  exit 2
fi
report=$1
shot=$2
pdf=${3:-}
if [ ! -f "$report" ]; then
  echo "error: $report does not exist; write it first (capsim report RESULTS_DIR)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "error: chromium is missing; install it (apt-get install -y chromium) or run this script as root" >&2
    exit 2
  fi
  echo "== installing chromium" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "== installing playwright-core into $here/node_modules" >&2
  npm install --prefix "$here" --no-save --no-audit --no-fund --loglevel=error playwright-core@1 >&2
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
node "$here/check-report.mjs" "$report" "$shot" "$(command -v chromium)" "$profile" "$pdf"
