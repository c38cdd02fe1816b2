#!/usr/bin/env python3
"""One peer, one model, one path table (ChannelAttribution's layout): the whole process that
benches/peers/timing.py times. Usage: peer_run.py TOOL MODEL FILE

TOOL: ca (ChannelAttribution 2.2.5) | mam (marketing-attribution-models 2.1.1)
MODEL: heuristics | markov1 | markov3 | shapley
Prints the total credited conversions, so a run that did nothing shows.
"""
import sys

import pandas as pd


def main():
    tool, model, path = sys.argv[1:4]
    data = pd.read_csv(path, sep=";")
    if tool == "ca":
        import ChannelAttribution as ca

        if model == "heuristics":
            res = ca.heuristic_models(data, "path", "total_conversions",
                                      var_value="total_conversion_value", flg_pro=False)
            total = res["last_touch_conversions"].sum()
        elif model.startswith("markov"):
            res = ca.markov_model(data, "path", "total_conversions",
                                  var_value="total_conversion_value", var_null="total_null",
                                  order=int(model[-1]), verbose=False, flg_pro=False)
            total = res["total_conversions"].sum()
        else:
            sys.exit(f"ChannelAttribution has no {model}")
    elif tool == "mam":
        import polars as pl
        from mam import MAM

        conv = data[data.total_conversions > 0]
        null = data[data.total_null > 0]
        grouped = pd.concat([
            pd.DataFrame({"path": conv.path, "occurrences": conv.total_conversions,
                          "has_conv": True, "value": conv.total_conversion_value}),
            pd.DataFrame({"path": null.path, "occurrences": null.total_null,
                          "has_conv": False, "value": 0.0}),
        ])
        mam = MAM(pl.from_pandas(grouped), format_type="grouped_journey",
                  channels_colname="path", journey_with_conv_colname="has_conv",
                  occurrences_colname="occurrences", conversion_value_colname="value")
        if model == "heuristics":
            results = [mam.run_first_click(), mam.run_last_click(), mam.run_linear()]
        elif model == "markov1":
            results = [mam.run_markov()]
        elif model == "shapley":
            results = [mam.run_shapley()]
        else:
            sys.exit(f"MAM has no {model}")
        total = len(results)
    else:
        sys.exit(f"unknown tool {tool}")
    print(total)


if __name__ == "__main__":
    main()
