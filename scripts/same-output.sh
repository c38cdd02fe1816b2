#!/usr/bin/env bash
# Checks that a change keeps every output byte-identical: runs the commands below with the
# binary of a base revision and with the working tree's, on the bundled sample data and on a
# generated set of about 1M rows, and compares every file written and everything printed.
#
# Usage: scripts/same-output.sh [BASE_REV]   (default: HEAD, i.e. the uncommitted change)
#   BASE_BIN=/path/to/omnitouch  skips building the base and uses that binary
#   PEOPLE=230000                size of the generated set (about 4.4 rows a person: ~1M rows)
#   PROFILE=release              build profile of both binaries (default: dev)
#
# The base is built in a git worktree with the same target folder (the dependencies are
# shared; only omnitouch itself is compiled again) and its binary copied aside.
# Exit 0 when every output matches; otherwise the differing files are listed and it exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
profile=${PROFILE:-dev}
dir_of() { [ "$1" = dev ] && echo debug || echo "$1"; }
people=${PEOPLE:-230000}
work=${WORK:-$(mktemp -d /var/tmp/omnitouch-same-output.XXXXXX)}
mkdir -p "$work"

base_rev=$(git rev-parse "${1:-HEAD}")

build() { # build DIR TARGET_DIR -> path of the binary
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo build -q --profile "$profile" --bin omnitouch >&2)
  echo "$2/$(dir_of "$profile")/omnitouch"
}

if [ -n "${BASE_BIN:-}" ]; then
  base_bin=$BASE_BIN
else
  tree="$work/base-tree"
  [ -d "$tree" ] || git worktree add -q --detach "$tree" "$base_rev"
  built=$(build "$tree" "${CARGO_TARGET_DIR:-$root/target}")
  base_bin="$work/omnitouch-base"
  cp "$built" "$base_bin"
fi
# Copied aside, so a build started while the commands run cannot swap the binary under them.
cp "$(build "$root" "${CARGO_TARGET_DIR:-$root/target}")" "$work/omnitouch-new"
new_bin="$work/omnitouch-new"
echo "base: $base_bin (${BASE_BIN:+given; }$([ -n "${BASE_BIN:-}" ] && echo "its revision is the caller's to know" || echo "$base_rev"))"
echo "new:  $new_bin (working tree)"

# The commands whose outputs are compared, run from the data folder ($1 = binary, $2 = out).
# Every output file goes under $2; stdout of each command to $2/<name>.stdout.
commands() {
  local bin=$1 out=$2 config=$3 extra=$4
  mkdir -p "$out"
  run() { local name=$1; shift; "$bin" -q "$@" > "$out/$name.stdout" 2> "$out/$name.stderr" || echo "exit $?" >> "$out/$name.stdout"; }
  run run run --config "$config" --out "$out/report" $extra
  run run-all run --config "$config" --out "$out/report-all" --models all --bootstrap 20 --period week --compare-previous
  run validate validate --config "$config" --rejects "$out/rejects.csv"
  run stitch stitch --config "$config" --out "$out/identity.parquet"
  run journeys journeys --config "$config" --paths-out "$out/paths.csv"
  for f in table csv json markdown parquet; do
    run "attribute-$f" attribute --paths "$out/paths.csv" --models all --format "$f" -o "$out/attribute.$f"
    run "compare-$f" compare --config "$config" --format "$f" -o "$out/compare.$f"
    run "budget-$f" budget --config "$config" --model markov --total 100000 --format "$f" -o "$out/budget.$f"
  done
  # Temporary paths printed in messages differ between the two runs by construction.
  sed -i "s#$out#OUT#g" "$out"/*.stdout "$out"/*.stderr
}

status=0
compare_sets() { # name config
  local name=$1 config=$2
  commands "$base_bin" "$work/$name/base" "$config" ""
  commands "$new_bin" "$work/$name/new" "$config" ""
  if diff -r -q "$work/$name/base" "$work/$name/new"; then
    echo "$name: every output identical ($(find "$work/$name/new" -type f | wc -l) files)"
  else
    echo "$name: outputs differ (see $work/$name)"
    status=1
  fi
}

compare_sets sample "$root/sample-data/omnitouch.toml"

gen="$work/generated-$people"
if [ ! -f "$gen/omnitouch.toml" ]; then
  "$base_bin" generate -q --people "$people" --seed 7 --out "$gen"
fi
# The generator is an output too: the new binary must write the same set.
"$new_bin" generate -q --people "$people" --seed 7 --out "$gen-new"
if diff -r -q "$gen" "$gen-new"; then
  echo "generate: identical set ($(find "$gen" -type f | wc -l) files)"
else
  echo "generate: the sets differ"
  status=1
fi
compare_sets "generated-$people" "$gen/omnitouch.toml"
exit $status
