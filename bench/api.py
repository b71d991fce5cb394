"""The license API benchmark (see bench/api.sh and README → Benchmarks).

At 1,000,000 licenses (the page benchmark's seeded SQLite database, copied), with
rate limits on and a server secret set:
1. activates 10,000 devices on 10,000 random usable licenses through the API
   (closed loop, 8 connections): activations per second counting `"created":true`;
   deactivates 2,000 of them and activates them again (deactivations, re-activations);
2. checks those 10,000 devices at full speed with wrk, interleaved with the yardstick
   (yardstick → Keyfold → yardstick …, three Keyfold runs): the median of each, counting
   only 200 answers with `"valid":true`;
3. checks at a fixed 5,000 requests/s for BENCH_FIXED_SECONDS (180) with kf-loadgen
   (open loop, latency from each request's intended send time): p50/p99/p99.9;
4. verifies the signatures of a sample of check answers independently (Python
   `cryptography`, the signature base rebuilt by hand);
5. the admin license page, signed in, at random licenses, interleaved with the
   yardstick's page the same way.
Prints the figures and whether each target holds."""

import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (seeding, sign-in, health wait)

ROOT = bench.ROOT
WORK = bench.WORK
BIN = bench.BIN
YARDSTICK = os.path.join(ROOT, "target", "yardstick", "release", "kf-baseline")
LOADGEN = os.path.join(ROOT, "target", "loadgen", "release", "kf-loadgen")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
FIXED_SECONDS = int(os.environ.get("BENCH_FIXED_SECONDS", "180"))
FIXED_RATE = int(os.environ.get("BENCH_FIXED_RATE", "5000"))
DEVICES = 10_000
SECRET = "a benchmark secret of more than thirty-two characters"
PORT, YPORT = 18181, 18190
SCRIPTS = os.path.join(ROOT, "bench")


def wrk(url, script, env=None, seconds=SECONDS):
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", script, url],
        capture_output=True, text=True, env=dict(os.environ, **(env or {})), check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    ok = re.search(r"^OK (\d+)", out, re.M)
    dur = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else None
    return {"rate": rate, "ok_rate": (int(ok.group(1)) / dur) if ok else rate, "p99_ms": p99_ms}


def loadgen(path, bodies, marker, **kw):
    cmd = [LOADGEN, "--url", f"http://127.0.0.1:{PORT}{path}", "--bodies", bodies, "--ok-marker", marker]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def usable_licenses(db, n):
    con = sqlite3.connect(db)
    rows = con.execute(
        """SELECT l.license_key, p.code FROM licenses l JOIN products p ON p.id = l.product_id
           WHERE l.enabled AND (l.start_date IS NULL OR l.start_date <= date('now'))
             AND (l.valid_until IS NULL OR l.valid_until > datetime('now', '+1 day'))
             AND l.active_devices < l.max_activations AND p.archived_at IS NULL AND NOT p.is_bundle
           ORDER BY random() LIMIT ?""", (n,)).fetchall()
    con.close()
    return rows


def verify_sample(n=50):
    """Checks `n` random answers' signatures with an independent verifier."""
    script = os.path.join(SCRIPTS, "verify_checks.py")
    out = subprocess.run([sys.executable, script, f"http://127.0.0.1:{PORT}", os.path.join(WORK, "check-bodies.jsonl"), str(n)],
                         capture_output=True, text=True)
    return out.returncode == 0, out.stdout.strip() or out.stderr.strip()


def interleave(name, yard, ours):
    ys, ks = [yard()], []
    for _ in range(3):
        ks.append(ours())
        ys.append(yard())
    y = statistics.median(r["ok_rate"] for r in ys)
    k = statistics.median(r["ok_rate"] for r in ks)
    runs = lambda rs: ", ".join(format(r["ok_rate"], ",.0f") for r in rs)  # noqa: E731
    print(f"  {name}: Keyfold {k:,.0f}/s (runs {runs(ks)}), yardstick {y:,.0f}/s (runs {runs(ys)}): {k / y:.2f} ×")
    return k / y


def main():
    os.makedirs(WORK, exist_ok=True)
    base_db, took = bench.seed(1_000_000)
    if took:
        print(f"seeded 1,000,000 licenses in {took:.0f} s")
    db = os.path.join(WORK, "api.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    shutil.copy(base_db, db)
    picked = usable_licenses(db, DEVICES)
    assert len(picked) == DEVICES, f"only {len(picked)} usable licenses"
    bodies = os.path.join(WORK, "check-bodies.jsonl")
    with open(bodies, "w") as f:
        for i, (key, code) in enumerate(picked):
            f.write(json.dumps({"product_code": code, "license_key": key, "hardware_id": f"bench-hw-{i:05d}"},
                               separators=(",", ":")) + "\n")
    yard_db = os.path.join(ROOT, "target", "yardstick.db")
    yard = subprocess.Popen([YARDSTICK, yard_db, "1000000", f"127.0.0.1:{YPORT}"], stdout=subprocess.DEVNULL)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", KEYFOLD_BIND=f"127.0.0.1:{PORT}",
               KEYFOLD_SECRET_KEY=SECRET, RUST_LOG="warn")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    results = {}
    try:
        bench.wait_healthy(f"http://127.0.0.1:{PORT}")
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{YPORT}/hello", timeout=1)
                break
            except Exception:
                time.sleep(1)
        print("License API at 1,000,000 licenses (SQLite, rate limits on):")
        act = loadgen("/api/v1/activate", bodies, '"created":true', connections=8, count=DEVICES, seconds=600)
        print(f"  activate: {act['ok']:,} created at {act['ok_per_second']:,.0f}/s (p99 {act['p99_ms']:.1f} ms, refused {act['refused']})")
        deact = loadgen("/api/v1/deactivate", bodies, '"deactivated":true', connections=8, count=2000, seconds=600)
        print(f"  deactivate: {deact['ok']:,} at {deact['ok_per_second']:,.0f}/s (p99 {deact['p99_ms']:.1f} ms, refused {deact['refused']})")
        react = loadgen("/api/v1/activate", bodies, '"created":true', connections=8, count=2000, seconds=600)
        print(f"  activate again: {react['ok']:,} at {react['ok_per_second']:,.0f}/s")
        results["activate"] = min(act["ok_per_second"], react["ok_per_second"])
        results["deactivate"] = deact["ok_per_second"]

        lua = os.path.join(SCRIPTS, "check.lua")
        yard_lua = os.path.join(SCRIPTS, "yardstick.lua")
        results["check_ratio"] = interleave(
            "check",
            lambda: wrk(f"http://127.0.0.1:{YPORT}", yard_lua),
            lambda: wrk(f"http://127.0.0.1:{PORT}", lua, {"BODIES": bodies}),
        )
        fixed = loadgen("/api/v1/check", bodies, '"valid":true', connections=64, rate=FIXED_RATE, seconds=FIXED_SECONDS)
        print(f"  check at a fixed {FIXED_RATE:,}/s for {FIXED_SECONDS} s: {fixed['requests']:,} sent, {fixed['ok']:,} valid, "
              f"refused {fixed['refused']}, p50 {fixed['p50_ms']:.2f} ms, p99 {fixed['p99_ms']:.2f} ms, "
              f"p99.9 {fixed['p999_ms']:.2f} ms, max {fixed['max_ms']:.1f} ms")
        results["fixed_p99"] = fixed["p99_ms"]
        results["fixed_ok"] = fixed["ok"] / max(1, fixed["requests"])
        ok, said = verify_sample()
        print(f"  signatures of a sample: {said}")
        results["signatures"] = ok

        cookie = bench.sign_in(f"http://127.0.0.1:{PORT}")
        page_lua = os.path.join(SCRIPTS, "license_page.lua")
        results["page_ratio"] = interleave(
            "admin license page",
            lambda: wrk(f"http://127.0.0.1:{YPORT}", yard_lua),
            lambda: wrk(f"http://127.0.0.1:{PORT}", page_lua, {"COOKIE": cookie}),
        )
    finally:
        server.terminate()
        yard.terminate()
        server.wait()
        yard.wait()
    targets = [
        ("check ≥ 0.5 × yardstick", results.get("check_ratio", 0) >= 0.5),
        (f"check p99 ≤ 10 ms at {FIXED_RATE:,}/s", (results.get("fixed_p99") or 1e9) <= 10 and results.get("fixed_ok", 0) > 0.99),
        ("activate ≥ 1,000/s", results.get("activate", 0) >= 1000),
        ("deactivate ≥ 1,000/s", results.get("deactivate", 0) >= 1000),
        ("signatures verify", results.get("signatures", False)),
        ("admin license page ≥ 0.25 × yardstick", results.get("page_ratio", 0) >= 0.25),
    ]
    for name, held in targets:
        print(f"  {'✓' if held else '✗'} {name}")
    return 0 if all(h for _, h in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
