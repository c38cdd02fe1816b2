#!/usr/bin/env bash
# omnitouch against DuckDB running omnitouch's own DuckDB script, whole process each, on the
# same export set: `journeys -o` (load, stitch, journeys, path table) and `run` (everything,
# models and report folder) against the script through the path table. Checks that the two
# path tables are equal before it prints the times.
#
#   benches/warehouse/duckdb_vs_local.sh CONFIG [RUNS]
#
# BIN: the omnitouch binary (default target/release/omnitouch); PYTHON: a Python with duckdb
# (default /var/tmp/omnitouch-venv/bin/python, which .ci/run makes). The config needs
# [identity] guard = "isolate_shared" (the script builds people only under it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
config=$(realpath "$1")
runs=${2:-2}
bin=$(realpath "${BIN:-target/release/omnitouch}")
python=${PYTHON:-/var/tmp/omnitouch-venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" sql --config "$config" --dialect duckdb -o "$work/script.sql"
timed() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "$label %e s wall, %U s user, %S s system, %M KB peak" "$@" > /dev/null 2>> "$work/times"
}
for i in $(seq "$runs"); do
  timed "omnitouch journeys -o" "$bin" journeys -q --config "$config" -o "$work/local-paths.parquet"
  timed "omnitouch run" "$bin" run -q --config "$config" --out-dir "$work/report"
  rm -f "$work/duck.db"
  timed "duckdb script" "$python" "$here/run_script.py" "$work/duck.db" "$work/script.sql" "$work/duck-paths.parquet"
done
"$python" "$here/same_paths.py" "$work/local-paths.parquet" "$work/duck-paths.parquet"
cat "$work/times"
