#!/usr/bin/env bash
# Installs the PyPI peers into a scratch virtualenv and compares their numbers with omnitouch's
# on ChannelAttribution's shipped Data.csv. Usage: benches/peers/compare_models.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PEERS_VENV:-${TMPDIR:-/tmp}/omnitouch-peers}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q ChannelAttribution==2.2.5 marketing-attribution-models==2.1.1 mta==0.0.9 matplotlib
fi
cargo build --release -q
OMNITOUCH="${CARGO_TARGET_DIR:-target}/release/omnitouch" "$venv/bin/python" benches/peers/compare_models.py
