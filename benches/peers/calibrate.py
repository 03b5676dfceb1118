"""How often does the agreement check fail when nothing is wrong?

Three independent capsim runs (different seeds) stand in for capsim, SimPy
and Ciw, so every difference is statistical noise; the fraction of trials
whose check fails is the check's real false-alarm rate, to compare with its
nominal 1% (bench.ALPHA). capsim is fast enough to run hundreds of trials:

    python3 benches/peers/calibrate.py [--quick] [--repeat N] [--trials N] [--capsim BIN]

Full mode with 3 repeats takes about 5 s per trial on 2 cores; quick, 0.3 s.
"""

import os
import sys

import bench


def main(argv):
    mode, repeat, trials = "full", None, 100
    binary = os.path.join(bench.HERE, "../../target/release/capsim")
    args = iter(argv)
    for arg in args:
        if arg == "--quick":
            mode = "quick"
        elif arg == "--repeat":
            repeat = int(next(args))
        elif arg == "--trials":
            trials = int(next(args))
        elif arg == "--capsim":
            binary = next(args)
        else:
            sys.exit(f"calibrate.py: unknown argument {arg}")
    repeat = repeat or (1 if mode == "quick" else 3)
    failed = 0
    for trial in range(trials):
        results = {}
        for model in bench.MODELS:
            results[model] = {}
            for i, tool in enumerate(bench.TOOLS):
                # Seeds apart from bench.py's (1..repeat) and from each other.
                seeds = [100_000 + trial * 100 + i * 10 + k for k in range(repeat)]
                horizon = bench.HORIZONS[mode][model]
                runs = [bench.run_capsim(binary, model + ".toml", horizon, s) for s in seeds]
                results[model][tool] = {
                    "mean": bench.Estimate.pool([r[2] for r in runs]),
                    "p99": bench.Estimate.pool([r[3] for r in runs]),
                }
        lines, ok = bench.agreement(results)
        if not ok:
            failed += 1
            print("\n".join(line for line in lines if line.startswith("FAIL")), flush=True)
    print(f"{mode} mode, {repeat} repeat(s): {failed} of {trials} trials failed (nominal {bench.ALPHA:.0%})")


if __name__ == "__main__":
    main(sys.argv[1:])
