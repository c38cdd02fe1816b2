#!/usr/bin/env python3
"""Compare omnitouch's models with the PyPI peers on ChannelAttribution's shipped Data.csv.

Run through benches/peers/compare_models.sh, which installs the peers into a scratch
virtualenv (they are never vendored) and builds omnitouch. Prints, per model, the largest
difference in attributed conversions between omnitouch and each peer, and exits 1 when a
comparison that should agree does not.

Expected agreement:
  * heuristics (first, last, linear touch) equal ChannelAttribution's to 1e-9;
  * Markov order 1 removal effects equal MAM's (exact, fundamental matrix) to 1e-9;
  * Markov orders 1-3 within ChannelAttribution's simulation noise: it simulates and we solve
    exactly, so the gap must shrink as its simulations grow (1e5 -> 1e7) and stay within 0.1 %
    of all conversions at 1e7;
  * Shao-Li equals mta's shao (normalised shares) to 1e-9;
  * Shapley equals mta's shapley over every coalition to 1e-9.
"""
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd

OMNITOUCH = os.environ.get("OMNITOUCH", "target/release/omnitouch")


def data_csv():
    import ChannelAttribution

    root = os.path.dirname(os.path.dirname(ChannelAttribution.__file__))
    path = os.path.join(root, "cypack", "data", "Data.csv")
    if not os.path.exists(path):
        sys.exit(f"ChannelAttribution's Data.csv not found at {path}")
    return path


def omnitouch(path, models):
    args = [OMNITOUCH, "attribute", "-q", "--paths", path, "--format", "csv"]
    for m in models:
        args += ["--model", m]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    df = pd.read_csv(io.StringIO(out))
    return {m: df[df.model == m].set_index("channel") for m in models}


def report(name, ours, theirs, tolerance):
    channels = sorted(set(ours.index) | set(theirs.index))
    a = ours.reindex(channels).fillna(0.0).to_numpy()
    b = theirs.reindex(channels).fillna(0.0).to_numpy()
    diff = float(np.max(np.abs(a - b)))
    ok = tolerance is None or diff <= tolerance
    limit = "report only" if tolerance is None else f"≤ {tolerance:g}"
    print(f"| {name} | {diff:.3g} | {limit} | {'ok' if ok else 'DIFFERS'} |")
    return ok


def main():
    path = data_csv()
    data = pd.read_csv(path, sep=";")
    print(f"data: {path} ({len(data)} paths, {data.total_conversions.sum()} conversions)\n")
    print("| comparison | largest difference (conversions) | expected | result |")
    print("|---|---|---|---|")
    ok = True

    import ChannelAttribution as ca

    heur = ca.heuristic_models(data, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False)
    heur = heur.set_index("channel_name")
    ours = omnitouch(path, ["first_touch", "last_touch", "linear", "markov", "markov:order=2",
                            "markov:order=3", "shapley", "shao_li"])
    for model, column in [("first_touch", "first_touch"), ("last_touch", "last_touch"), ("linear", "linear_touch")]:
        col = column + "_conversions" if column + "_conversions" in heur else column
        ok &= report(f"{model} vs ChannelAttribution", ours[model].conversions, heur[col], 1e-9)
        vcol = column + "_value"
        if vcol in heur:
            ok &= report(f"{model} value vs ChannelAttribution", ours[model].value, heur[vcol], 1e-9)

    # ChannelAttribution estimates removal effects by simulating paths through the chain; we
    # solve the chain exactly. Its error shrinks like 1/sqrt(simulations), so a definitional
    # difference would show as a gap that does not shrink. Check at 1e5 (its default) and 1e7
    # simulations: the gap must shrink and, at 1e7, stay within 0.1 % of all conversions.
    total = float(data.total_conversions.sum())
    for order, name in [(1, "markov"), (2, "markov:order=2"), (3, "markov:order=3")]:
        gaps = []
        for nsim in (10**5, 10**7):
            res = ca.markov_model(data, "path", "total_conversions", var_null="total_null",
                                  order=order, verbose=False, flg_pro=False, seed=1,
                                  nsim_start=nsim)
            theirs = res.set_index("channel_name")["total_conversions"]
            channels = ours[name].index
            gaps.append(float(np.max(np.abs(theirs.reindex(channels).fillna(0.0).to_numpy()
                                            - ours[name].conversions.to_numpy()))))
        shrinks = gaps[1] < gaps[0]
        within = gaps[1] <= 0.001 * total
        print(f"| markov order {order} vs ChannelAttribution (simulated; 1e5 sims: {gaps[0]:.3g}) "
              f"| {gaps[1]:.3g} at 1e7 sims | shrinks with sims, ≤ {0.001 * total:.3g} "
              f"| {'ok' if shrinks and within else 'DIFFERS'} |")
        ok &= shrinks and within

    # MAM: exact removal effects at order 1, from its own Markov model class.
    import polars as pl
    from mam.models.markov import MarkovModel

    rows = []
    for p, c, n in zip(data.path, data.total_conversions, data.total_null):
        chans = [x.strip() for x in p.split(">")]
        if c:
            rows.append((chans, True, float(c)))
        if n:
            rows.append((chans, False, float(n)))
    journeys = pl.DataFrame(rows, schema=["channels", "has_conversion", "weight"], orient="row")
    mam = MarkovModel()
    weights = mam._compute_markov(journeys)
    mam_credit = pd.Series(weights) * data.total_conversions.sum()
    ok &= report("markov order 1 vs MAM (exact)", ours["markov"].conversions, mam_credit, 1e-9)

    # mta: Shao & Li, normalised shares.
    from mta import MTA

    # mta rounds normalised shares to 6 digits: take its raw contributions and normalise here.
    m = MTA(data=data, allow_loops=False)
    m.shao(normalize=False)
    raw = pd.Series(m.attribution["shao"])
    shao = raw / raw.sum() * data.total_conversions.sum()
    ok &= report("shao_li vs mta", ours["shao_li"].conversions, shao, 1e-9)

    # mta: Shapley over every coalition (max_coalition_size=None) with v(S) = conversions of the
    # journeys whose channel set is a subset of S: the simplified Shapley value.
    m = MTA(data=data, allow_loops=False)
    m.shapley(max_coalition_size=None, normalize=False)
    ok &= report("shapley vs mta (every coalition)", ours["shapley"].conversions,
                 pd.Series(m.attribution["shapley"]), 1e-9)

    print()
    print("all comparisons agree" if ok else "SOME COMPARISONS DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
