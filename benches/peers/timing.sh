#!/usr/bin/env bash
# Whole-process timing of omnitouch against the PyPI peers on the same generated path tables
# (1M journeys; 12, 20 and 50 channels, aggregated by path; and 12 channels written one row
# per journey). Installs the peers into a scratch virtualenv (never
# vendored), builds omnitouch in release, generates the tables, prints a Markdown table.
# Usage: benches/peers/timing.sh [JOURNEYS]   (RUNS=3 and PEER_TIMEOUT=600 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PEERS_VENV:-${TMPDIR:-/tmp}/omnitouch-peers}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  # ChannelAttribution imports matplotlib without declaring it.
  "$venv/bin/pip" install -q ChannelAttribution==2.2.5 marketing-attribution-models==2.1.1 mta==0.0.9 matplotlib
fi
cargo build --release -q
bin="${CARGO_TARGET_DIR:-target}/release/omnitouch"
journeys="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for k in 12 20 50; do
  "$bin" generate-paths -q --journeys "$journeys" --channels "$k" --output "$work/paths-$k.csv"
done
# The same journeys as paths-12.csv, written one row per journey (a warehouse's shape).
"$bin" generate-paths -q --journeys "$journeys" --channels 12 --per-journey --output "$work/per-journey-12.csv"
OMNITOUCH="$bin" "$venv/bin/python" benches/peers/timing.py "$work/paths-12.csv" "$work/paths-20.csv" "$work/paths-50.csv" "$work/per-journey-12.csv"
