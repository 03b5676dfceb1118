"""Peer benchmark driver: capsim against SimPy and Ciw on the same three models.

Run through run.sh, which prepares the Python environment and the capsim
binary. Usage:

    bench.py [--quick] [--repeat N] [--capsim BIN] [--json FILE]
    bench.py child TOOL MODEL WARMUP DURATION REPS SEED   (internal: one tool, one model)

Every tool simulates the same replications: WARMUP + DURATION simulated
seconds each, from an empty system; SimPy and Ciw REPS of them, capsim
CAPSIM_REPLICATION_FACTOR times as many (see there). Each run is repeated N
times with fresh seeds, the tools taking turns slice by slice (SLICES); speed
is the median over the repeats, a ratio the median of the repeats' ratios,
and latencies pool all replications. Exit status 1 if the tools disagree.
"""

import json
import math
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["mm1", "mm8", "three-tier"]
TOOLS = ["capsim", "SimPy", "Ciw"]

# (warm-up s, observed s, replications) per model. Full: SimPy takes about 10
# CPU-s per model (Ciw 2-4 times longer), enough for a few per cent of error on
# the M/M/1 mean, the slowest to converge (relaxation time ~380 s at rho 0.9).
# Quick: about a tenth of that, a smoke test whose tolerances are wide.
HORIZONS = {
    "full": {"mm1": (2000, 78000, 10), "mm8": (500, 9500, 10), "three-tier": (5, 35, 10)},
    "quick": {"mm1": (1000, 12000, 10), "mm8": (200, 1400, 10), "three-tier": (2, 2, 10)},
}
CLOSED = {"full": (20, 1000, 2), "quick": (10, 100, 2)}  # capsim only: 10,000 users

# capsim simulates this many times the replications of the Python tools
# (each of the same warm-up and window) on the three peer models: its share
# of a full run would otherwise be a tenth of a CPU-second, too short to
# time on a shared machine (single runs of one binary moved by 30%). Events
# per CPU-second is a rate, so only capsim's per-run costs (start-up,
# summary: 2-3% of a 10-replication run) are spread thinner; the
# agreement check weighs each tool by its own standard errors.
CAPSIM_REPLICATION_FACTOR = 10

# A repeat's replications are run in this many slices, the tools taking
# turns slice by slice (a slice of SimPy is 1-2 CPU-seconds): a spell of
# this shared machine running slow or fast then falls on all tools alike.
# Whole runs in turn left one tool's 1-second run in a fast spell and
# another's 10-second run in a slow one: single ratios moved by 30%.
SLICES = 5

# Family-wise false-alarm rate of the agreement check (Bonferroni over all comparisons).
ALPHA = 0.01


# ---- statistics (no scipy: the environment holds only the tools measured) ----


def t_cdf(t, dof):
    """Student t CDF for a whole number of degrees of freedom (Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(abs(t) / math.sqrt(dof))
    s, c = math.sin(theta), math.cos(theta)
    term = total = 1.0
    if dof % 2:
        for k in range(3, dof - 1, 2):
            term *= (k - 1) / k * c * c
            total += term
        a = 2 / math.pi * (theta + (s * c * total if dof > 1 else 0.0))
    else:
        for k in range(2, dof - 1, 2):
            term *= (k - 1) / k * c * c
            total += term
        a = s * total
    return 0.5 + math.copysign(a / 2, t)


def t_quantile(p, dof):
    lo, hi = 0.0, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, dof) < p else (lo, mid)
    return (lo + hi) / 2


class Estimate:
    """A mean over replications with its standard error and degrees of freedom."""

    def __init__(self, value, se, dof):
        self.value, self.se, self.dof = value, se, dof

    @staticmethod
    def of(samples):
        n = len(samples)
        return Estimate(statistics.fmean(samples), statistics.stdev(samples) / math.sqrt(n), n - 1)

    @staticmethod
    def pool(estimates):
        """Average of independent estimates from equally many replications."""
        n = len(estimates)
        se = math.sqrt(sum(e.se**2 for e in estimates)) / n
        return Estimate(statistics.fmean(e.value for e in estimates), se, sum(e.dof for e in estimates))

    def ci95(self):
        return t_quantile(0.975, self.dof) * self.se


def p99(latencies):
    """Nearest-rank 99th percentile, the definition of capsim's HDR histogram."""
    ordered = sorted(latencies)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def mmc_theory(servers, rate, mean_service):
    """Mean and p99 of the M/M/c response time: wait ~ Exp(c mu - lambda) with
    probability Erlang C, plus an Exp(mu) service."""
    mu, a = 1 / mean_service, rate * mean_service
    rho = a / servers
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / math.factorial(servers) / (1 - rho)
    erlang_c = tail / (head + tail)
    nu = servers * mu - rate
    mean = erlang_c / nu + 1 / mu

    def survival(t):  # P(response > t); wait + service is hypoexponential when waiting
        hypo = (nu * math.exp(-mu * t) - mu * math.exp(-nu * t)) / (nu - mu)
        return (1 - erlang_c) * math.exp(-mu * t) + erlang_c * hypo

    lo, hi = 0.0, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if survival(mid) > 0.01 else (lo, mid)
    return mean, (lo + hi) / 2


THEORY = {"mm1": mmc_theory(1, 0.9, 1.0), "mm8": mmc_theory(8, 7.2, 1.0)}


# ---- running one tool on one model ----


def child(tool, model, warmup, duration, reps, seed):
    """Runs in a fresh interpreter so that tools never share a heap or a GC."""
    if tool == "SimPy":
        import simpy_models as models
    else:
        import ciw_models as models
    events, cpu = 0, 0.0
    means, p99s = [], []
    for r in range(reps):
        # Both tools use Python's Mersenne Twister: distinct seeds per tool keep
        # their samples independent, as the agreement test assumes.
        stream = (seed * 10 + TOOLS.index(tool)) * 1000 + r
        ev, latencies, seconds = models.MODELS[model](stream, warmup, duration)
        events += ev
        cpu += seconds
        means.append(statistics.fmean(latencies))
        p99s.append(p99(latencies))
    json.dump({"events": events, "cpu": cpu, "means": means, "p99s": p99s}, sys.stdout)


def run_python(tool, model, horizon, seed):
    cmd = [sys.executable, __file__, "child", tool, model, *map(str, horizon), str(seed)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE).stdout)
    # The replications' own values: a repeat's slices pool them (see `combine`).
    return out["events"], out["cpu"], out["means"], out["p99s"]


PERF = re.compile(r"perf: (\d+) model events .* in ([0-9.]+) CPU-s")


def run_capsim(binary, toml, horizon, seed):
    warmup, duration, reps = horizon
    cmd = [binary, "run", os.path.join(HERE, "models", toml), "--perf", "-f", "json",
           "--set", f'simulation.warmup="{warmup}s"', "--duration", f"{duration}s",
           "-r", str(reps), "--seed", str(seed), "-j", "1"]  # fmt: skip
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    latency = json.loads(proc.stdout)["classes"][0]["latency_s"]
    events, cpu = PERF.search(proc.stderr).groups()
    t = t_quantile(0.975, reps - 1)  # capsim reports t-based 95% intervals over replications

    def est(e):
        return Estimate(e["value"], e["ci95"] / t, reps - 1)

    return int(events), float(cpu), est(latency["mean"]), est(latency["p99"])


def run_once(tool, model, horizon, seed, binary):
    if tool == "capsim":
        if model in MODELS:
            warmup, duration, reps = horizon
            horizon = (warmup, duration, reps * CAPSIM_REPLICATION_FACTOR)
        return run_capsim(binary, model + ".toml", horizon, seed)
    return run_python(tool, model, horizon, seed)


def summarise(runs):
    """One tool on one model: the median run's speed, latencies pooled over all runs."""
    rates = [ev / cpu for ev, cpu, _, _ in runs]
    median = sorted(range(len(runs)), key=lambda i: rates[i])[len(runs) // 2]
    return {
        "events": runs[median][0],
        "cpu": runs[median][1],
        "rate": rates[median],
        "rates": rates,
        "mean": Estimate.pool([r[2] for r in runs]),
        "p99": Estimate.pool([r[3] for r in runs]),
    }


def measure(model, tools, horizon, repeat, binary):
    """Runs every tool on `model` `repeat` times. Each repeat's replications
    are cut into slices and the tools take turns slice by slice, a few
    seconds each, so that all of them sample the same stretch of this shared
    machine's drifting speed and the ratios can be paired within a repeat."""
    warmup, duration, reps = horizon
    slices = SLICES if reps % SLICES == 0 and reps // SLICES >= 2 else 1
    runs = {tool: [] for tool in tools}
    for k in range(repeat):
        parts = {tool: [] for tool in tools}
        for s in range(slices):
            for tool in tools:
                seed = k * slices + s + 1
                parts[tool].append(run_once(tool, model, (warmup, duration, reps // slices), seed, binary))
        for tool, p in parts.items():
            events, cpu = sum(x[0] for x in p), sum(x[1] for x in p)
            runs[tool].append((events, cpu, combine([x[2] for x in p]), combine([x[3] for x in p])))
            print(f"  {model:<10} {tool:<6} run {k + 1}/{repeat}: {cpu:.2f} CPU-s", file=sys.stderr)
    return {tool: summarise(r) for tool, r in runs.items()}


def combine(slices):
    """One repeat's estimate from its slices: the Python tools' replication
    values pooled into one sample, capsim's estimates averaged."""
    if isinstance(slices[0], list):
        return Estimate.of([v for values in slices for v in values])
    return Estimate.pool(slices)


def paired_ratio(a, b):
    """Median over repeats of a's speed over b's in the same repeat."""
    return statistics.median(x / y for x, y in zip(a["rates"], b["rates"]))


# ---- the check and the table ----


def agreement(results):
    """Every pair of tools must agree on mean and p99, and every tool's mean
    with exact theory where there is one, by Welch t-tests at family-wise
    level ALPHA (Bonferroni). p99 is not tested against theory: the mean of
    per-replication p99s is biased low when a replication is short against
    the queue's correlation time (M/M/1: -15% with 7,000 s windows, -6% with
    the quick mode's 12,000 s, none measurable with the full mode's 78,000 s),
    but equally so in every tool: all use the same estimator and horizon.
    Returns (lines, ok)."""
    tests = []
    for model in MODELS:
        for metric in ("mean", "p99"):
            est = {tool: results[model][tool][metric] for tool in TOOLS}
            for i, a in enumerate(TOOLS):
                for b in TOOLS[i + 1 :]:
                    ea, eb = est[a], est[b]
                    se = math.hypot(ea.se, eb.se)
                    dof = se**4 / (ea.se**4 / ea.dof + eb.se**4 / eb.dof)  # Welch-Satterthwaite
                    tests.append((model, metric, f"{a} vs {b}", ea.value - eb.value, se, int(dof)))
            if model in THEORY and metric == "mean":
                exact = THEORY[model][0]
                for tool in TOOLS:
                    e = est[tool]
                    tests.append((model, metric, f"{tool} vs theory", e.value - exact, e.se, e.dof))
    lines, ok = [], True
    for model, metric, pair, diff, se, dof in tests:
        k = t_quantile(1 - ALPHA / (2 * len(tests)), dof)
        passed = abs(diff) <= k * se
        ok &= passed
        lines.append(
            f"{'ok  ' if passed else 'FAIL'} {model:<10} {metric:<4} {pair:<17} "
            f"diff {diff:+.4g} s, tolerance {k * se:.4g} s ({k:.2f} x se {se:.3g}, {dof} dof)"
        )
    return lines, ok


def fmt_latency(e):
    return f"{e.value:.5g} ± {e.ci95():.2g}"


def table(results, closed, mode):
    head = (
        f"{'model':<11} {'tool':<7} {'events':>11} {'CPU s':>8} {'events/CPU-s':>13} "
        f"{'mean latency s':>22} {'p99 latency s':>22}"
    )
    lines = [head, "-" * len(head)]
    for model in MODELS:
        for tool in TOOLS:
            r = results[model][tool]
            lines.append(
                f"{model:<11} {tool:<7} {r['events']:>11,} {r['cpu']:>8.3f} {r['rate']:>13,.0f} "
                f"{fmt_latency(r['mean']):>22} {fmt_latency(r['p99']):>22}"
            )
        if model in THEORY:
            mean, tail = THEORY[model]
            lines.append(f"{model:<11} {'theory':<7} {'':>11} {'':>8} {'':>13} {mean:>22.5g} {tail:>22.5g}")
        r = results[model]
        simpy = paired_ratio(r["capsim"], r["SimPy"])
        # Quick horizons are too short to judge: capsim's start-up weighs on its rate.
        verdict = "" if mode == "quick" else f" (target 100x: {'met' if simpy >= 100 else 'NOT met'})"
        lines.append(
            f"{'':<11} capsim/SimPy {simpy:.0f}x{verdict}, "
            f"capsim/Ciw {paired_ratio(r['capsim'], r['Ciw']):.0f}x "
            "(events per CPU-second, median of the repeats' ratios)"
        )
        lines.append("")
    lines.append(
        f"closed-10k  capsim  {closed['events']:>11,} {closed['cpu']:>8.3f} {closed['rate']:>13,.0f} "
        f"(10,000 users; target 5,000,000: {'met' if closed['rate'] >= 5e6 else 'NOT met'})"
    )
    return "\n".join(lines)


def main(argv):
    if argv[:1] == ["child"]:
        tool, model, warmup, duration, reps, seed = argv[1:]
        return child(tool, model, float(warmup), float(duration), int(reps), int(seed))
    mode, repeat, binary, json_out = "full", None, os.path.join(HERE, "../../target/release/capsim"), None
    args = iter(argv)
    for arg in args:
        if arg == "--quick":
            mode = "quick"
        elif arg == "--repeat":
            repeat = int(next(args))
        elif arg == "--capsim":
            binary = next(args)
        elif arg == "--json":
            json_out = next(args)
        else:
            sys.exit(f"bench.py: unknown argument {arg} (see the docstring)")
    repeat = repeat or (1 if mode == "quick" else 3)
    print(f"peer benchmark, {mode} mode, {repeat} repeat(s) per measurement", file=sys.stderr)
    results = {m: measure(m, TOOLS, HORIZONS[mode][m], repeat, binary) for m in MODELS}
    closed = measure("closed-10k", ["capsim"], CLOSED[mode], repeat, binary)["capsim"]
    print(table(results, closed, mode))
    lines, ok = agreement(results)
    print("\nagreement (Welch t-tests, Bonferroni family-wise alpha = %g):" % ALPHA)
    print("\n".join(lines))
    print("\nall tools agree" if ok else "\nDISAGREEMENT: see FAIL lines above")
    if json_out:
        def plain(r):
            return {**r, "mean": vars(r["mean"]), "p99": vars(r["p99"])}

        models = {m: {t: plain(r) for t, r in per_tool.items()} for m, per_tool in results.items()}
        for m, per_tool in results.items():
            models[m]["ratios"] = {
                f"capsim/{t}": paired_ratio(per_tool["capsim"], per_tool[t]) for t in TOOLS if t != "capsim"
            }
        with open(json_out, "w") as f:
            summary = {"mode": mode, "repeat": repeat, "agree": ok, "models": models, "closed-10k": plain(closed)}
            json.dump(summary, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
