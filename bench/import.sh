#!/usr/bin/env bash
# CSV import benchmark: `keyfold import licenses` of 100,000 and 1,000,000 generated
# licenses into SQLite (check + commit), with another writer and a sign-in running
# meanwhile. See bench/import.py.
#
#   bash bench/import.sh
#   BENCH_SIZES="100000" bash bench/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 bench/import.py
