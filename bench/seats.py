"""The floating seats, consumption and usage report benchmark (see bench/seats.sh and
README → Benchmarks). At 1,000,000 licenses and 2,000,000 events (the page
benchmark's seeded SQLite database, copied; the usage report's daily counts built from
its events by the migration), with rate limits on and a server secret set:
1. 200 licenses made floating (50 seats each): 4,000 hardware ids check out a seat
   (closed loop, 8 connections; the first check-out activates);
2. heartbeats of those 4,000 at full speed with wrk (counting 200 answers with
   `"lease_until"`), BENCH_SECONDS long;
3. single-event consumptions on 200 licenses with a consumption feature, each with a
   fresh event id (closed loop, 8 connections), counting `"accepted":true`;
4. the admin usage report, signed in: all products over 366 days and over 30 days,
   and one product over 366 days — the median of 20 requests each.
Prints the figures and whether each target holds."""

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from api import LOADGEN, SCRIPTS, SECRET, usable_licenses, wrk  # noqa: E402

ROOT, WORK, BIN = bench.ROOT, bench.WORK, bench.BIN
PORT = 18183
SEAT_LICENSES, PER_LICENSE = 200, 20
EVENTS = int(os.environ.get("BENCH_EVENTS", "30000"))


def loadgen(path, bodies, marker, **kw):
    cmd = [LOADGEN, "--url", f"http://127.0.0.1:{PORT}{path}", "--bodies", bodies, "--ok-marker", marker]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def timed(url, cookie, n=20):
    took = []
    for _ in range(n):
        req = urllib.request.Request(url, headers={"Cookie": cookie})
        start = time.perf_counter()
        body = urllib.request.urlopen(req, timeout=30).read()
        took.append((time.perf_counter() - start) * 1000)
        assert b"<svg" in body
    return statistics.median(took)


def main():
    os.makedirs(WORK, exist_ok=True)
    base_db, took = bench.seed(1_000_000)
    if took:
        print(f"seeded 1,000,000 licenses in {took:.0f} s")
    db = os.path.join(WORK, "seats.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    shutil.copy(base_db, db)
    picked = usable_licenses(db, SEAT_LICENSES * 2)
    seats, consuming = picked[:SEAT_LICENSES], picked[SEAT_LICENSES:]
    con = sqlite3.connect(db)
    con.executemany("UPDATE licenses SET floating_seats = 50, max_activations = 1000 WHERE license_key = ?",
                    [(k,) for k, _ in seats])
    con.commit()
    con.close()
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", KEYFOLD_BIND=f"127.0.0.1:{PORT}",
               KEYFOLD_SECRET_KEY=SECRET, RUST_LOG="warn")
    # The migrations (the usage report's daily counts from 2,000,000 events) run first.
    started = time.monotonic()
    subprocess.run([BIN, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"migrated (daily counts built from the events) in {time.monotonic() - started:.1f} s")
    con = sqlite3.connect(db)
    events = con.execute("SELECT COUNT(*) FROM license_events").fetchone()[0]
    licenses = con.execute("SELECT COUNT(*) FROM licenses").fetchone()[0]
    for key, _ in consuming:
        con.execute("""INSERT INTO license_features (license_id, code, name, kind, max_consumption, consumed)
                       SELECT id, 'bench-units', 'Bench units', 'consumption', NULL, 0 FROM licenses WHERE license_key = ?""", (key,))
    con.commit()
    con.close()
    seat_bodies = os.path.join(WORK, "seat-bodies.jsonl")
    write(seat_bodies, ({"product_code": code, "license_key": key, "hardware_id": f"seat-hw-{i:03d}-{j:02d}"}
                        for i, (key, code) in enumerate(seats) for j in range(PER_LICENSE)))
    device_bodies = os.path.join(WORK, "consume-devices.jsonl")
    write(device_bodies, ({"product_code": code, "license_key": key, "hardware_id": f"use-hw-{i:03d}"}
                          for i, (key, code) in enumerate(consuming)))
    event_bodies = os.path.join(WORK, "consume-bodies.jsonl")
    write(event_bodies, ({"product_code": consuming[i % len(consuming)][1], "license_key": consuming[i % len(consuming)][0],
                          "hardware_id": f"use-hw-{i % len(consuming):03d}", "feature": "bench-units",
                          "event_id": f"bench-{i:07d}", "quantity": 1 + i % 5} for i in range(EVENTS)))
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    results = {}
    try:
        bench.wait_healthy(f"http://127.0.0.1:{PORT}")
        print(f"Floating seats and consumption at {licenses:,} licenses and {events:,} events (SQLite, rate limits on):")
        out = loadgen("/api/v1/seats/checkout", seat_bodies, '"valid":true', connections=8,
                      count=SEAT_LICENSES * PER_LICENSE, seconds=600)
        print(f"  check-out: {out['ok']:,} seats at {out['ok_per_second']:,.0f}/s (p99 {out['p99_ms']:.1f} ms, refused {out['refused']})")
        hb = wrk(f"http://127.0.0.1:{PORT}", os.path.join(SCRIPTS, "check.lua"),
                 {"BODIES": seat_bodies, "API_PATH": "/api/v1/seats/heartbeat", "OK_MARKER": '"lease_until"'})
        print(f"  heartbeat: {hb['ok_rate']:,.0f}/s renewed (p99 {hb['p99_ms']:.1f} ms)")
        results["heartbeat"] = hb["ok_rate"]
        act = loadgen("/api/v1/activate", device_bodies, '"valid":true', connections=8, count=len(consuming), seconds=600)
        assert act["ok"] == len(consuming), act
        use = loadgen("/api/v1/consumption", event_bodies, '"accepted":true', connections=8, count=EVENTS, seconds=600)
        print(f"  consumption: {use['ok']:,} events accepted at {use['ok_per_second']:,.0f}/s (p99 {use['p99_ms']:.1f} ms, refused {use['refused']})")
        results["consume"] = use["ok_per_second"]

        cookie = bench.sign_in(f"http://127.0.0.1:{PORT}")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        year_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 365 * 86400))
        base = f"http://127.0.0.1:{PORT}/reports/usage"
        full = timed(f"{base}?from={year_ago}&to={today}", cookie)
        month = timed(base, cookie)
        one = timed(f"{base}?from={year_ago}&to={today}&product=1", cookie)
        print(f"  usage report: 366 days {full:.1f} ms, 30 days {month:.1f} ms, one product over 366 days {one:.1f} ms (median of 20)")
        results["report_ms"] = max(full, month, one)
    finally:
        server.terminate()
        server.wait()
    targets = [
        ("heartbeat ≥ 2,000/s", results.get("heartbeat", 0) >= 2000),
        ("consumption ≥ 1,000/s", results.get("consume", 0) >= 1000),
        ("usage report ≤ 200 ms", results.get("report_ms", 1e9) <= 200),
    ]
    for name, held in targets:
        print(f"  {'✓' if held else '✗'} {name}")
    return 0 if all(h for _, h in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
