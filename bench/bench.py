"""Drives Keyfold's pages with wrk at two database sizes; see bench/run.sh."""

import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "keyfold")
WORK = os.environ.get("BENCH_DIR", os.path.join(ROOT, "target", "bench"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000 1000000").split()]
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 8
PASSWORD = "keyfold-demo"


def seed(n):
    db = os.path.join(WORK, f"keyfold-{n}.db")
    if os.path.exists(db) and not os.environ.get("BENCH_RESEED"):
        return db, None
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", RUST_LOG="warn")
    started = time.monotonic()
    subprocess.run([BIN, "seed", "--licenses", str(n)], env=env, check=True)
    return db, time.monotonic() - started


def wait_healthy(base):
    for _ in range(200):
        try:
            if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(base, login="/login", email="admin@example.com"):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(base + login).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    try:
        opener.open(base + login, body)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise
    cookie = next(c for c in jar if c.name == "keyfold")
    return f"keyfold={cookie.value}"


PORTAL_MANAGER = "bench-manager@example.com"
PORTAL_LICENSES = 1000


def portal_setup(db):
    """A license manager (the admin's password) with every permission on one order that
    holds 1,000 licenses (moved there from other orders, so the totals stay), and 300
    portal changes in that order's activity. Returns (order, license, key)."""
    con = sqlite3.connect(db)
    q = lambda sql, *a: con.execute(sql, a).fetchone()
    (order,) = q("SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET (SELECT COUNT(*) / 3 FROM orders)")
    if q("SELECT id FROM license_managers WHERE email_norm = ?", PORTAL_MANAGER) is None:
        (first,) = q("SELECT id FROM licenses ORDER BY id LIMIT 1 OFFSET (SELECT COUNT(*) / 3 FROM licenses)")
        con.execute("UPDATE licenses SET order_id = ? WHERE id IN (SELECT id FROM licenses WHERE id >= ? ORDER BY id LIMIT ?)",
                    (order, first, PORTAL_LICENSES))
        (hash_,) = q("SELECT password_hash FROM staff_users WHERE email_norm = 'admin@example.com'")
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        cur = con.execute("INSERT INTO license_managers (email, email_norm, name, name_norm, password_hash, enabled, created_at, updated_at) "
                          "VALUES (?, ?, 'Bench Manager', 'bench manager', ?, 1, ?, ?)", (PORTAL_MANAGER, PORTAL_MANAGER, hash_, now, now))
        manager = cur.lastrowid
        con.execute("INSERT INTO manager_grants (manager_id, order_id, manage_license_users, manage_user_credentials, manage_managers, "
                    "reset_device, reset_license, borrow_license, create_bundle_order, create_order, issue_license, invite_state, "
                    "created_by_kind, created_at, updated_at) VALUES (?, ?, 1, 1, 1, 1, 1, 1, 1, 1, 1, 'accepted', 'system', ?, ?)",
                    (manager, order, now, now))
        ids = [r[0] for r in con.execute("SELECT id, license_key FROM licenses WHERE order_id = ? LIMIT 300", (order,))]
        con.executemany("INSERT INTO audit_log (at, actor_kind, actor_id, actor_label, action, object_type, object_id, object_label, ip, order_id, source) "
                        "VALUES (?, 'manager', ?, ?, 'license.device_reset', 'license', ?, 'bench', '127.0.0.1', ?, 'end-user portal')",
                        [(now, manager, PORTAL_MANAGER, i, order) for i in ids])
        con.commit()
    (license, key) = q("SELECT id, license_key FROM licenses WHERE order_id = ? ORDER BY id LIMIT 1 OFFSET 500", order)
    con.close()
    return order, license, key


def portal_pages(db):
    order, license, key = portal_setup(db)
    return [
        ("portal dashboard", "/portal"),
        ("portal order", f"/portal/orders/{order}"),
        ("portal order key search", f"/portal/orders/{order}?key=" + key[:6].lower()),
        ("portal license", f"/portal/licenses/{license}"),
        ("portal activity", f"/portal/orders/{order}/activity"),
    ]


def pages(db):
    con = sqlite3.connect(db)
    q = lambda sql: con.execute(sql).fetchone()
    (max_order,) = q("SELECT MAX(id) FROM orders")
    mid = lambda table: q(f"SELECT id FROM {table} ORDER BY id LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM {table})")[0]
    order, license, customer, product = mid("orders"), mid("licenses"), mid("customers"), q("SELECT MIN(id) FROM products")[0]
    (reference,) = q(f"SELECT reference FROM orders WHERE id = {order}")
    (key,) = q(f"SELECT license_key FROM licenses WHERE id = {license}")
    (email,) = q(f"SELECT email FROM customers WHERE id = {customer}")
    con.close()
    return [
        ("orders list", "/orders"),
        ("orders search", "/orders?q=" + urllib.parse.quote(reference[:-2].lower())),
        ("licenses list", "/licenses"),
        ("licenses key search", "/licenses?key=" + key[:7].lower()),
        ("licenses active", "/licenses?status=active"),
        ("licenses disabled", "/licenses?status=disabled"),
        ("customers list", "/customers"),
        ("customers search", "/customers?q=" + urllib.parse.quote(email.split("@")[0])),
        ("products list", "/products"),
        ("audit log", "/audit-log"),
        ("customer accounts", "/customer-accounts"),
        ("labels", "/labels"),
        ("order detail", f"/orders/{order}"),
        ("license detail", f"/licenses/{license}"),
        ("customer detail", f"/customers/{customer}"),
        ("product detail", f"/products/{product}"),
    ]


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, cookie, seconds):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"{url} answered errors:\n{out}")
    pct = {}
    for p, v, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        pct[p] = float(v) * UNITS[unit]
    (requests,) = re.findall(r"(\d+) requests in", out)
    return pct["50"], pct["99"], int(requests)


def bench(n):
    db, seeded = seed(n)
    port = 18000 + len(str(n))
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", KEYFOLD_BIND=f"127.0.0.1:{port}", RUST_LOG="warn")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(base)
        cookie = sign_in(base)
        portal = portal_pages(db)
        portal_cookie = sign_in(base, "/portal/login", PORTAL_MANAGER)
        results = {}
        for (name, path), c in [(p, cookie) for p in pages(db)] + [(p, portal_cookie) for p in portal]:
            wrk(base + path, c, 1)  # warm up
            results[name] = wrk(base + path, c, SECONDS)
            p50, p99, count = results[name]
            print(f"  {n:>9} licenses  {name:<22} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ({count} requests)", flush=True)
        return results, seeded
    finally:
        server.terminate()
        server.wait()


def main():
    os.makedirs(WORK, exist_ok=True)
    print(f"Keyfold benchmark: wrk, {CONNECTIONS} connections, {SECONDS} s per page, on {os.cpu_count()} cores")
    all_results = {}
    for n in SIZES:
        results, seeded = bench(n)
        all_results[n] = results
        if seeded is not None:
            print(f"  seeding {n} licenses took {seeded:.1f} s")
    if len(SIZES) >= 2:
        small, big = SIZES[0], SIZES[-1]
        print(f"\n| page | p50 @{small} | p99 @{small} | p50 @{big} | p99 @{big} | targets |")
        print("|---|---|---|---|---|---|")
        failed = False
        for name, (p50s, p99s, _) in all_results[small].items():
            p50b, p99b, _ = all_results[big][name]
            limit = max(1.5 * p50s, p50s + 5)
            ok = p99b <= 50 and p50b <= limit
            failed |= not ok
            print(f"| {name} | {p50s:.2f} ms | {p99s:.2f} ms | {p50b:.2f} ms | {p99b:.2f} ms | {'met' if ok else 'MISSED'} |")
        with open(os.path.join(WORK, "results.json"), "w") as f:
            json.dump({str(k): v for k, v in all_results.items()}, f, indent=1)
        if failed:
            print("\nSome targets were missed (p99 <= 50 ms, p50 <= max(1.5x, +5 ms) of the small database).")
            sys.exit(1)
        print("\nAll targets met.")


if __name__ == "__main__":
    main()
