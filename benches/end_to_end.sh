#!/usr/bin/env bash
# End-to-end timing of the main job: generates export sets (about 4.4 rows per person, in the
# generator's mix of CSV, NDJSON and Parquet), runs `omnitouch run` on each with every model,
# and prints rows, wall time and peak memory of the run (generation is not timed).
# Usage: benches/end_to_end.sh [PEOPLE ...]   (default: 230000 2300000, about 1M and 10M rows)
# PARQUET=1 generates all-Parquet sets (`generate --parquet`) instead of the mix; SHARDS=N runs
# the job in N shards (`run --shards N`), as 100M rows need on a 24 GB machine:
#   PARQUET=1 SHARDS=16 benches/end_to_end.sh 23000000   (about 102M rows, 3.4 GB of Parquet)
# BIN=/path/to/omnitouch times that binary instead of building this tree (to compare two
# builds on the same sets: give both the same WORK folder, so the sets are generated once).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BIN:-}" ]; then
  bin=$BIN
else
  cargo build --release -q
  bin="${CARGO_TARGET_DIR:-target}/release/omnitouch"
fi
work="${WORK:-$(mktemp -d)}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; work folder $work"
shards=()
[ -z "${SHARDS:-}" ] || shards=(--shards "$SHARDS")
echo "run: omnitouch run${SHARDS:+ --shards $SHARDS}, every model"
echo "| people | rows | run wall time (s) | peak memory (MB) |"
echo "|---:|---:|---:|---:|"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(230000 2300000)
for people in "${sizes[@]}"; do
  if [ -n "${PARQUET:-}" ]; then name="pq-$people"; format=(--parquet); else name="set-$people"; format=(); fi
  set_dir="$work/$name"
  [ -f "$set_dir/omnitouch.toml" ] || "$bin" generate -q "${format[@]}" --people "$people" --out "$set_dir" > "$work/generate-$name.txt"
  rows=$(grep -o '[0-9]* rows in' "$work/generate-$name.txt" | grep -o '^[0-9]*' || echo "?")
  /usr/bin/time -f "%e %M" -o "$work/time-$people.txt" \
    "$bin" run -q -c "$set_dir/omnitouch.toml" "${shards[@]}" --out "$work/report-$name" > /dev/null
  read -r wall rss < "$work/time-$people.txt"
  echo "| $people | $rows | $wall | $((rss / 1024)) |"
done
