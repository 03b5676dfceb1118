#!/usr/bin/env python3
"""Writes the calibration example's measurement files from reference.toml.

The measurements are synthetic: a real team would export them from its
monitoring, APM and load-test tools. They are produced here from a stated
reference configuration (reference.toml) with measurement noise, so that the
walkthrough in docs/calibration.md can show that calibration recovers the
truth, and so that anyone can regenerate them:

    python3 examples/calibration/generate.py [path/to/capsim]

Seeded: the same command writes the same bytes. Standard library only.
"""

import json
import math
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CAPSIM = sys.argv[1] if len(sys.argv) > 1 else "capsim"

# The truth, as in reference.toml: CPU seconds per request.
API_BROWSE, API_CHECKOUT = 0.015, 0.040  # api.browse, api.checkout
DB_QUERY, DB_WRITE = 0.002, 0.010  # db.query (browse makes 2, checkout 1), db.write (checkout 1)
API_CORES, DB_CORES = 2 * 4, 16


def lognormal(rng, mean, cv):
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def windows(rng):
    """48 fifteen-minute monitoring windows of a working day: browse and
    checkout peak at different hours, so their mix varies (which is what lets
    the utilisation law separate their demands)."""
    rows = ["window_start,rate:browse,rate:checkout,util:api,util:db"]
    for i in range(48):
        hour = 8 + i / 4
        browse = 200 + 110 * math.sin((hour - 8) / 12 * math.pi) + rng.gauss(0, 10)
        checkout = 30 + 22 * math.sin((hour - 12) / 8 * math.pi) + rng.gauss(0, 3)
        api = (browse * API_BROWSE + checkout * API_CHECKOUT) / API_CORES + rng.gauss(0, 0.015)
        db = (browse * 2 * DB_QUERY + checkout * (DB_QUERY + DB_WRITE)) / DB_CORES + rng.gauss(0, 0.004)
        stamp = f"2026-11-30T{int(hour):02d}:{int(hour % 1 * 60):02d}:00Z"
        rows.append(f"{stamp},{browse:.1f},{checkout:.1f},{100 * api:.1f}%,{db:.3f}")
    (HERE / "windows.csv").write_text("\n".join(rows) + "\n")


def query_durations(rng):
    """5,000 db.query durations from the database's slow-query log, sampled
    at night when nothing queues, so they are service times."""
    rows = ["duration_ms"] + [f"{1000 * lognormal(rng, DB_QUERY, 1.2):.3f}" for _ in range(5000)]
    (HERE / "db-query-durations.csv").write_text("\n".join(rows) + "\n")


def cpu_histogram(rng):
    """The api's CPU time per request as a Prometheus histogram (the default
    client buckets), as `curl http://api:9090/metrics` shows it."""
    buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
    draws = {
        "browse": [lognormal(rng, API_BROWSE, 0.8) for _ in range(40000)],
        "checkout": [rng.gammavariate(4.0, API_CHECKOUT / 4.0) for _ in range(6000)],
    }
    lines = [
        "# HELP api_request_cpu_seconds CPU time spent per request.",
        "# TYPE api_request_cpu_seconds histogram",
    ]
    for handler, xs in draws.items():
        for le in buckets:
            count = sum(1 for x in xs if x <= le)
            lines.append(f'api_request_cpu_seconds_bucket{{handler="{handler}",le="{le}"}} {count}')
        lines.append(f'api_request_cpu_seconds_bucket{{handler="{handler}",le="+Inf"}} {len(xs)}')
        lines.append(f'api_request_cpu_seconds_sum{{handler="{handler}"}} {sum(xs):.6f}')
        lines.append(f'api_request_cpu_seconds_count{{handler="{handler}"}} {len(xs)}')
    (HERE / "api-cpu.prom").write_text("\n".join(lines) + "\n")


def load_test(rng):
    """A load test of browse at four levels with checkout steady at 30/s, as
    the team's k6 run reported it: the reference simulated with another seed,
    and 2% measurement noise on the latencies."""
    rows = ["load_per_s,throughput_per_s,mean_s,p50_s,p95_s,p99_s,error_ratio,util:api,util:db"]
    for load in (100, 200, 300, 350):
        out = subprocess.run(
            [CAPSIM, "run", str(HERE / "reference.toml"), "-f", "json", "--seed", "77",
             "--set", f'workload.browse.rate="{load}/s"'],
            check=True, capture_output=True, text=True,
        ).stdout
        s = json.loads(out)
        browse = next(c for c in s["classes"] if c["name"] == "browse")
        util = {v["name"]: v["paid_core_utilisation"]["value"] for v in s["services"]}
        lat = browse["latency_s"]
        noisy = lambda key: lat[key]["value"] * (1 + rng.gauss(0, 0.02))
        rows.append(
            f"{load},{browse['throughput_per_s']['value']:.1f},{noisy('mean'):.4f},{noisy('p50'):.4f},"
            f"{noisy('p95'):.4f},{noisy('p99'):.4f},{browse['error_ratio']['value']:.4f},"
            f"{util['api']:.3f},{util['db']:.3f}"
        )
    (HERE / "load-test.csv").write_text("\n".join(rows) + "\n")


def main():
    rng = random.Random(2026)
    windows(rng)
    query_durations(rng)
    cpu_histogram(rng)
    load_test(rng)


if __name__ == "__main__":
    main()
