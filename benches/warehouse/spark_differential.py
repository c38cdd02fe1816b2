"""The Spark script against the local engine, differentially.

Usage (PySpark 4.3 from PyPI in a scratch virtualenv; Java 17):

    python3 -m venv /var/tmp/omnitouch-spark
    /var/tmp/omnitouch-spark/bin/pip install pyspark==4.3.0
    /var/tmp/omnitouch-spark/bin/python benches/warehouse/spark_differential.py \
        --omnitouch target/release/omnitouch --config sample-data/omnitouch.toml

It copies the config beside its exports with `[identity] guard = "isolate_shared"` added,
runs `omnitouch sql --dialect spark` in local Spark (2 cores, session time zone UTC), and
compares with `omnitouch validate -o`, `--rejects`, `stitch -o` and `journeys -o`:
touchpoints, rejected rows, the identity map (person numbers included) and the path table
must be equal (path values to 1e-9 relative). Prints one line per check and exits 1 on any
difference. Read it, do not trust it: it is not part of `cargo test` (a 450 MB download).
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnitouch", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--keep", help="work folder to keep (default: a temporary one)")
    args = ap.parse_args()
    omnitouch = os.path.abspath(args.omnitouch)
    work = args.keep or tempfile.mkdtemp(prefix="omnitouch-spark-")
    os.makedirs(work, exist_ok=True)
    config = os.path.abspath(args.config)
    guarded = os.path.join(os.path.dirname(config), ".omnitouch-spark-check.toml")
    with open(config, encoding="utf-8") as f:
        text = f.read()
    if "isolate_shared" in text:
        pass
    elif "[identity]" in text:
        text = text.replace("[identity]", '[identity]\nguard = "isolate_shared"', 1)
    else:
        text += '\n[identity]\nguard = "isolate_shared"\n'
    with open(guarded, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        local = {}
        started = time.time()
        run([omnitouch, "validate", "-q", "--config", guarded, "-o", f"{work}/local.parquet", "--rejects", f"{work}/rejects.csv"])
        run([omnitouch, "stitch", "-q", "--config", guarded, "-o", f"{work}/map.csv"])
        run([omnitouch, "journeys", "-q", "--config", guarded, "-o", f"{work}/paths.csv"])
        local["seconds"] = time.time() - started
        run([omnitouch, "sql", "--config", guarded, "--dialect", "spark", "-o", f"{work}/script.sql"])
    finally:
        os.remove(guarded)

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", f"{work}/spark-warehouse")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.time()
    with open(f"{work}/script.sql", encoding="utf-8") as f:
        spark.sql(f.read()).collect()
    spark_seconds = time.time() - started

    failures = 0

    def check(name, local_rows, spark_rows):
        nonlocal failures
        local_set, spark_set = sorted(local_rows), sorted(spark_rows)
        same = local_set == spark_set
        failures += not same
        local_lookup, spark_lookup = set(local_set), set(spark_set)
        only_local = [r for r in local_set if r not in spark_lookup][:3]
        only_spark = [r for r in spark_set if r not in local_lookup][:3]
        print(f"{'equal' if same else 'DIFFERENT'}: {name}: {len(local_set)} local, {len(spark_set)} Spark"
              + ("" if same else f"; local only {only_local}; Spark only {only_spark}"))

    kinds = ["cookie_id", "device_id", "user_id", "customer_id", "email_sha256", "phone_sha256", "loyalty_id"]
    tp = spark.read.parquet(f"{work}/local.parquet")
    present = [k for k in kinds if k in tp.columns]
    cols = ["source", "kind", "channel", "conversion_type", "conversion_id"] + present
    local_tp = [tuple([int(r["ts"].timestamp() * 1_000_000)] + [r[c] for c in cols] + [round(r["value"], 9)]) for r in tp.collect()]
    spark_tp = [tuple([r["ts_us"]] + [r[c] for c in cols] + [round(r["value"], 9)]) for r in spark.table("omnitouch_touchpoints").collect()]
    check("touchpoints", local_tp, spark_tp)

    with open(f"{work}/rejects.csv", newline="", encoding="utf-8") as f:
        local_rejects = [(r["source"], int(r["line"]), r["reason"]) for r in csv.DictReader(f)]
    reasons = ("ragged_row", "invalid_encoding", "invalid_json", "unknown_kind", "no_identifier",
               "bad_timestamp", "timestamp_out_of_range", "bad_value")
    tables = [t.name for t in spark.catalog.listTables() if t.name.startswith("omnitouch_rows_")]
    spark_rejects = []
    for t in tables:
        spark_rejects += [(r["source"], int(r["line"]), r["outcome"]) for r in spark.table(t).select("source", "line", "outcome").collect() if r["outcome"] in reasons]
    check("rejected rows", local_rejects, spark_rejects)

    with open(f"{work}/map.csv", newline="", encoding="utf-8") as f:
        local_map = [(r["kind"], r["value"], int(r["person_id"])) for r in csv.DictReader(f)]
    spark_map = [(r["kind"], r["value"], int(r["person_id"])) for r in spark.table("omnitouch_identity_map").collect()]
    check("identity map", local_map, spark_map)

    with open(f"{work}/paths.csv", newline="", encoding="utf-8") as f:
        local_paths = [(r["path"], int(r["conversions"]), round(float(r["value"]), 6), int(r["nulls"])) for r in csv.DictReader(f)]
    spark_paths = [(r["path"], int(r["conversions"]), round(r["value"], 6), int(r["nulls"])) for r in spark.table("omnitouch_paths").collect()]
    check("path table", local_paths, spark_paths)

    print(f"local engine (validate, stitch, journeys): {local['seconds']:.1f} s; Spark script: {spark_seconds:.1f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
