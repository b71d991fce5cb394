#!/usr/bin/env bash
# Floating seats (check-out, heartbeats), consumption and the usage report at 1,000,000
# licenses and 2,000,000 events on SQLite (see bench/seats.py).
#
#   bash bench/seats.sh
#   BENCH_SECONDS=20 bash bench/seats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian package)…"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi
fi
cargo build --release --quiet
CARGO_TARGET_DIR=target/loadgen cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
exec python3 bench/seats.py
