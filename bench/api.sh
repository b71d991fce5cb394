#!/usr/bin/env bash
# The license API benchmark: activations, deactivations, checks at full speed and at a
# fixed 5,000/s, signature verification of a sample, and the admin license page, at
# 1,000,000 licenses on SQLite, each rate a ratio to ../shared/yardstick measured in the
# same run (see bench/api.py).
#
#   bash bench/api.sh
#   BENCH_SECONDS=20 BENCH_FIXED_SECONDS=60 bash bench/api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian package)…"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi
fi
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install -q cryptography
cargo build --release --quiet
CARGO_TARGET_DIR=target/yardstick cargo build --release --quiet --manifest-path ../shared/yardstick/Cargo.toml
CARGO_TARGET_DIR=target/loadgen cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
exec python3 bench/api.py
