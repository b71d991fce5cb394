#!/usr/bin/env bash
# CSV export benchmark: rows/s and the server's peak RSS while streaming
# /licenses/export.csv from a SQLite database of 1,000,000 licenses (seeded once into
# target/bench, shared with bench/run.sh). See bench/export.py.
#
#   bash bench/export.sh
#   BENCH_SIZES="100000 1000000" bash bench/export.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 bench/export.py
