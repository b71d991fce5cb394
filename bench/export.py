"""CSV export benchmark (issue: exporting 1,000,000 licenses streams at >= 100,000 rows/s
with the server's peak RSS under 150 MB). Seeds (or reuses) the benchmark's SQLite
database, serves it with the release build, downloads /licenses/export.csv as the demo
admin, and prints rows, seconds, rows/s, the time to the first byte and the server's peak
RSS (VmHWM). Run: bash bench/export.sh  (BENCH_SIZES="1000000" by default)."""

import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (seed, wait_healthy, sign_in, BIN, WORK)

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000000").split()]


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def export(n):
    db, seeded = bench.seed(n)
    port = 18000 + n % 1000
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", KEYFOLD_BIND=f"127.0.0.1:{port}", RUST_LOG="warn")
    server = subprocess.Popen([bench.BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        bench.wait_healthy(base)
        cookie = bench.sign_in(base)
        rss_before = peak_rss_mb(server.pid)
        req = urllib.request.Request(base + "/licenses/export.csv", headers={"Cookie": cookie})
        started = time.monotonic()
        first = None
        lines = 0
        with urllib.request.urlopen(req, timeout=600) as r:
            while True:
                chunk = r.read(1 << 16)
                if not chunk:
                    break
                if first is None:
                    first = time.monotonic() - started
                lines += chunk.count(b"\n")
        took = time.monotonic() - started
        rows = lines - 1
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"{n:>9} licenses: {rows} rows in {took:.1f} s = {rows / took:,.0f} rows/s; "
          f"first byte after {first * 1000:.0f} ms; server peak RSS {rss:.0f} MB "
          f"(after sign-in {rss_before:.0f} MB)" + (f"; seeded in {seeded:.0f} s" if seeded else ""))
    ok = rows == n and rss < 150 and (n < 1_000_000 or rows / took >= 100_000)
    return ok


def main():
    os.makedirs(bench.WORK, exist_ok=True)
    results = [export(n) for n in SIZES]
    print("targets met" if all(results) else "TARGETS MISSED")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
