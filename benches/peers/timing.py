#!/usr/bin/env python3
"""Whole-process time and peak memory of omnitouch and the PyPI peers on the same generated
path tables. Run through benches/peers/timing.sh. Prints a Markdown table: per model and tool,
wall seconds (best of RUNS), peak RSS, and each peer's time over omnitouch's.
"""
import os
import platform
import subprocess
import sys

OMNITOUCH = os.environ.get("OMNITOUCH", "target/release/omnitouch")
PYTHON = sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = int(os.environ.get("RUNS", "3"))
TIMEOUT = int(os.environ.get("PEER_TIMEOUT", "600"))


def timed(args):
    """Best wall time over RUNS and the peak RSS (MB) of that run, via GNU time."""
    best = None
    for _ in range(RUNS):
        try:
            proc = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + args, capture_output=True,
                                  text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, None, f"timed out after {TIMEOUT} s"
        if proc.returncode != 0:
            return None, None, proc.stderr.strip().splitlines()[-2][:120]
        wall, rss = proc.stderr.strip().splitlines()[-1].split()
        run = (float(wall), int(rss) / 1024)
        if best is None or run[0] < best[0]:
            best = run
    return best[0], best[1], ""


def ours(table, models):
    args = [OMNITOUCH, "attribute", "-q", "--paths", table, "--format", "csv"]
    for m in models:
        args += ["--model", m]
    return args


def peer(tool, model, table):
    return [PYTHON, os.path.join(HERE, "peer_run.py"), tool, model, table]


def twelve_channel_cases(table, shape):
    """Heuristics, Markov order 1 and order 3 on one 12-channel table: (name, our command,
    [(peer, its command)])."""
    return [
        (f"heuristics (first, last, linear), {shape}",
         ours(table, ["first_touch", "last_touch", "linear"]),
         [("ChannelAttribution", peer("ca", "heuristics", table)),
          ("MAM", peer("mam", "heuristics", table))]),
        (f"Markov order 1, {shape}", ours(table, ["markov"]),
         [("ChannelAttribution", peer("ca", "markov1", table)),
          ("MAM", peer("mam", "markov1", table))]),
        (f"Markov order 3, {shape}", ours(table, ["markov:order=3"]),
         [("ChannelAttribution", peer("ca", "markov3", table))]),
    ]


def main():
    tables = sys.argv[1:]
    if len(tables) != 4:
        sys.exit("usage: timing.py TABLE_12_CHANNELS TABLE_20_CHANNELS TABLE_50_CHANNELS "
                 "TABLE_12_CHANNELS_ONE_ROW_PER_JOURNEY")
    t12, t20, t50, j12 = tables
    cases = (twelve_channel_cases(t12, "12 channels")
             + [("Markov order 1, 50 channels", ours(t50, ["markov"]),
                 [("ChannelAttribution", peer("ca", "markov1", t50)),
                  ("MAM", peer("mam", "markov1", t50))]),
                ("Shapley, 20 channels", ours(t20, ["shapley"]),
                 [("MAM (coalitions up to 4)", peer("mam", "shapley", t20))])]
             + twelve_channel_cases(j12, "12 channels, one row per journey"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
          f"best of {RUNS} runs\n")
    print("| model | tool | wall time (s) | peak memory (MB) | peer time / omnitouch time |")
    print("|---|---|---:|---:|---:|")
    worst = None
    for name, our_args, peers in cases:
        t, m, err = timed(our_args)
        if t is None:
            print(f"| {name} | omnitouch | failed: {err} | | |")
            continue
        print(f"| {name} | omnitouch | {t:.2f} | {m:.0f} | |")
        fastest = None
        for tool, args in peers:
            pt, pm, perr = timed(args)
            if pt is None:
                print(f"| | {tool} | {perr} | | |")
                continue
            ratio = pt / max(t, 0.01)
            print(f"| | {tool} | {pt:.2f} | {pm:.0f} | {ratio:.1f}× |")
            fastest = ratio if fastest is None else min(fastest, ratio)
        if fastest is not None:
            print(f"| | fastest peer / omnitouch | | | **{fastest:.1f}×** |")
            worst = fastest if worst is None else min(worst, fastest)
    if worst is not None:
        print(f"\nsmallest ratio against the fastest peer of a model: {worst:.1f}×")


if __name__ == "__main__":
    main()
