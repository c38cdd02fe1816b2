#!/usr/bin/env bash
# Larger than memory: runs the main job on an export set inside a memory cgroup smaller than
# a run in one piece needs, once in one piece (the kernel kills it) and once with
# `--memory-limit` (it completes in shards), and checks the credits against an unlimited run.
# Needs root (to make a cgroup); generation is not timed.
# Usage: benches/larger_than_memory.sh [PEOPLE] [LIMIT]   (default: 2300000 people, about 10M
# rows, and 3G)
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-2300000}"
limit="${2:-3G}"
cargo build --release -q
bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/omnitouch"
work="${WORK:-$(mktemp -d)}"
set_dir="$work/set-$people"
[ -f "$set_dir/omnitouch.toml" ] || "$bin" generate -q --people "$people" --out "$set_dir" > /dev/null
bytes=$(numfmt --from=iec "$limit")

# A memory cgroup (v2, else v1) holding this script's children.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cg=/sys/fs/cgroup/omnitouch-$$
  mkdir "$cg"; echo "$bytes" > "$cg/memory.max"; echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
  peak_file="$cg/memory.peak"; reset_peak() { :; }
elif [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/omnitouch-$$
  mkdir "$cg"; echo "$bytes" > "$cg/memory.limit_in_bytes"
  peak_file="$cg/memory.max_usage_in_bytes"; reset_peak() { echo 0 > "$peak_file"; }
else
  echo "no memory cgroup to limit the run with" >&2; exit 1
fi
trap 'rmdir "$cg" 2>/dev/null || true' EXIT
in_cgroup() { (echo "$BASHPID" > "$cg/cgroup.procs"; exec "$@"); }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; set $set_dir; cgroup limit $limit"
echo "| run | limit | exit | wall time (s) | peak memory (MB) |"
echo "|---|---|---:|---:|---:|"
/usr/bin/time -f "%e %M" -o "$work/time-free.txt" \
  "$bin" run -q -c "$set_dir/omnitouch.toml" --out "$work/report-free" > /dev/null
read -r wall rss < "$work/time-free.txt"
echo "| in one piece | none | 0 | $wall | $((rss / 1024)) |"

run_limited() { # name, then omnitouch arguments
  local name="$1"; shift
  reset_peak
  local start end code=0
  start=$(date +%s.%N)
  in_cgroup "$bin" run -q -c "$set_dir/omnitouch.toml" "$@" > /dev/null 2> "$work/stderr-$name.txt" || code=$?
  end=$(date +%s.%N)
  local peak=$(( $(cat "$peak_file") / 1048576 ))
  printf '| %s | %s | %s | %.1f | %s |\n' "$name" "$limit" "$code" "$(echo "$end - $start" | bc)" "$peak"
}
run_limited "in one piece" --out "$work/report-one"
run_limited "--memory-limit $limit" --out "$work/report-limited" --memory-limit "$limit"

# The shards' credits against the unlimited run (credits.csv rounds; allow its last digit).
python3 - "$work/report-free/credits.csv" "$work/report-limited/credits.csv" <<'EOF'
import csv, sys
read = lambda p: {(r["model"], r["channel"]): (float(r["conversions"]), float(r["value"]))
                  for r in csv.DictReader(open(p))}
a, b = read(sys.argv[1]), read(sys.argv[2])
assert a.keys() == b.keys(), "different models or channels"
worst = max(max(abs(x[0] - y[0]), abs(x[1] - y[1])) for x, y in ((a[k], b[k]) for k in a))
print(f"credits: {len(a)} model × channel cells, largest difference {worst:.3g}")
EOF
