#!/usr/bin/env bash
# Scaling in one sitting: all-Parquet export sets of about 1M, 10M and 100M rows, the main job
# on each (whole process: wall, user and system time, peak memory, seconds per million rows),
# and DuckDB running omnitouch's own DuckDB script on the same set beside it. Absolute seconds
# differ between machines of one kind by 2x and more: compare only rows of one sitting.
#
#   benches/scaling.sh [PEOPLE ...]   (default: 230000 2300000 23000000)
#
# BIN: the omnitouch binary (default: this tree, built in release); PYTHON: a Python with
# duckdb (default /var/tmp/omnitouch-venv/bin/python, which .ci/run makes); WORK: where the
# sets go (kept; a set already there is reused); RUN_ARGS: arguments to `omnitouch run`
# (default `--memory-limit 8GiB`, which picks shards from the size of the exports);
# DUCKDB_UP_TO=PEOPLE: run the script only on sets up to that many people (default: all).
# Every config gets `[identity] guard = "isolate_shared"`, the guard the script builds people
# under. The path tables of both engines are compared on every set: they must be equal.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BIN:-}" ]; then
  bin=$(realpath "$BIN")
else
  cargo build --release -q
  bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/omnitouch")
fi
python=${PYTHON:-/var/tmp/omnitouch-venv/bin/python}
work="${WORK:-$(mktemp -d)}"
read -r -a run_args <<< "${RUN_ARGS:---memory-limit 8GiB}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(230000 2300000 23000000)
duckdb_up_to=${DUCKDB_UP_TO:-${sizes[-1]}}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "omnitouch: $("$bin" --version); run ${run_args[*]}, every model of the generated config"
echo "work folder: $work"
echo
echo "| people | rows | omnitouch run: wall, user, system (s) | peak | s per 1M rows | DuckDB script: wall, user, system (s) | peak | script / run |"
echo "|---:|---:|---|---:|---:|---|---:|---:|"

# Runs a command under /usr/bin/time into file $1 ("wall user system peak_kb" on its last
# line); returns the command's status.
timed() {
  local out=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$out" "$@" > /dev/null
}

for people in "${sizes[@]}"; do
  set_dir="$work/pq-$people"
  if [ ! -f "$set_dir/omnitouch.toml" ]; then
    "$bin" generate -q --parquet --people "$people" --out-dir "$set_dir" > "$work/generate-$people.txt"
    printf '\n[identity]\nguard = "isolate_shared"\n' >> "$set_dir/omnitouch.toml"
  fi
  rows=$(grep -o '[0-9]* rows in' "$work/generate-$people.txt" | grep -o '^[0-9]*' || echo "?")
  rm -rf "$work/report-$people"
  timed "$work/time-run-$people" \
    "$bin" run -q -c "$set_dir/omnitouch.toml" "${run_args[@]}" --out-dir "$work/report-$people"
  read -r wall user sys peak < <(tail -n 1 "$work/time-run-$people")
  per_million=$(awk -v w="$wall" -v r="$rows" 'BEGIN { printf "%.2f", w / (r / 1e6) }')
  duck="not run"; duck_peak=""; ratio=""
  if [ "$people" -le "$duckdb_up_to" ]; then
    "$bin" sql --config "$set_dir/omnitouch.toml" --dialect duckdb -o "$work/script-$people.sql"
    rm -f "$work/duck.db" "$work/duck.db.wal"
    duck_ok=yes
    timed "$work/time-duck-$people" "$python" benches/warehouse/run_script.py \
      "$work/duck.db" "$work/script-$people.sql" "$work/duck-paths-$people.parquet" \
      2> "$work/duck-$people.log" || duck_ok=
    read -r dwall duser dsys dpeak < <(tail -n 1 "$work/time-duck-$people")
    duck_peak="$((dpeak / 1024)) MiB"
    if [ -n "$duck_ok" ]; then
      "$python" benches/warehouse/same_paths.py "$work/report-$people/paths.parquet" "$work/duck-paths-$people.parquet" >&2
      duck="$dwall, $duser, $dsys"
      ratio=$(awk -v d="$dwall" -v w="$wall" 'BEGIN { printf "%.1f×", d / w }')
    else
      # DuckDB can run out of memory on the largest sets: say so, and go on.
      duck="failed after $dwall s ($(grep -m1 -o '[A-Za-z]*Exception: [^(]*' "$work/duck-$people.log" || echo "see $work/duck-$people.log"))"
    fi
    rm -f "$work/duck.db" "$work/duck.db.wal"
  fi
  echo "| $people | $rows | $wall, $user, $sys | $((peak / 1024)) MiB | $per_million | $duck | $duck_peak | $ratio |"
done
