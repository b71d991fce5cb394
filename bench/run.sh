#!/usr/bin/env bash
# Keyfold's speed benchmark: seeds SQLite databases of 1,000 and 1,000,000 licenses,
# serves each with the release build, and drives every list page (first page and a
# prefix search) and every detail page with wrk (8 connections) as a signed-in user, and
# the license portal (dashboard, an order of 1,000 licenses, a key search in it, a license,
# the activity page) as a license manager.
# Prints p50/p99 per page at both sizes and checks the targets.
#
#   bash bench/run.sh                 # both sizes, 5 s per page
#   BENCH_SECONDS=10 bash bench/run.sh
#   BENCH_SIZES="1000 100000" bash bench/run.sh
#   BENCH_RESEED=1 bash bench/run.sh  # seed again even if the databases exist
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian package)…"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi
fi
cargo build --release --quiet
exec python3 bench/bench.py
