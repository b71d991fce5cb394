#!/usr/bin/env bash
# Searches and the header search at 1,000,000 licenses, with customers spread over 997
# email domains (see bench/search.py).
#
#   bash bench/search.sh
#   BENCH_SECONDS=20 bash bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian package)…"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi
fi
cargo build --release --quiet
exec python3 bench/search.py
