"""CSV import benchmark (issue: importing 100,000 licenses, dry run + commit, <= 10 s and
1,000,000 <= 60 s on SQLite; the longest time another writer waited; a sign-in during a
100,000-row commit succeeds). For each size: a fresh SQLite database seeded with 1,000
licenses (for the bulk products), a generated CSV of N licenses over 1,000 new orders
with new customers, then `keyfold import licenses FILE` (check + commit) timed, while a
second process writes one row every 20 ms and records its longest wait, and a served
instance on the same database is signed in to again and again during the commit (from
the moment the import's row says it is committing until the command ends).

Run: bash bench/import.sh  (BENCH_SIZES="100000 1000000" by default)."""

import csv
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (BIN, WORK, wait_healthy, sign_in)

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "100000 1000000").split()]
CODES = ["BULK-STUDIO", "BULK-RENDER", "BULK-API"]


def make_csv(path, n):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["license_key", "product_short_code", "order_reference", "customer_email",
                    "customer_first_name", "license_type", "enabled", "max_activations",
                    "valid_duration", "note", "metadata"])
        for i in range(n):
            order = i % 1000
            w.writerow([f"IMP-{i:010d}", CODES[i % 3], f"IMPORT-{order:04d}",
                        f"buyer{order}@import.example", "Buyer", "", "true", "2", "1y",
                        "migrated", "{}"])


class Writer(threading.Thread):
    """Another writer: one small write every 20 ms, its longest wait recorded."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db, self.stop, self.longest, self.count, self.failed = db, False, 0.0, 0, 0

    def run(self):
        con = sqlite3.connect(self.db, timeout=30)
        con.execute("CREATE TABLE IF NOT EXISTS bench_writes (at REAL)")
        con.commit()
        while not self.stop:
            started = time.monotonic()
            try:
                con.execute("INSERT INTO bench_writes VALUES (?)", (started,))
                con.commit()
            except sqlite3.OperationalError:
                self.failed += 1
            self.longest = max(self.longest, time.monotonic() - started)
            self.count += 1
            time.sleep(0.02)


def run(n):
    db = os.path.join(bench.WORK, f"import-{n}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", RUST_LOG="warn")
    subprocess.run([bench.BIN, "seed", "--licenses", "1000"], env=env, check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(bench.WORK, f"import-{n}.csv")
    make_csv(path, n)
    port = 18100 + n % 100
    server = subprocess.Popen([bench.BIN, "serve"], env=dict(env, KEYFOLD_BIND=f"127.0.0.1:{port}"),
                              stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    bench.wait_healthy(base)
    writer = Writer(db)
    writer.start()
    sign_ins = []
    done = threading.Event()

    def committing():
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            row = con.execute("SELECT status FROM imports ORDER BY id DESC LIMIT 1").fetchone()
            con.close()
            return row is not None and row[0] == "committing"
        except sqlite3.OperationalError:
            return False

    def sign_in_during():
        """Signs in again and again while the commit runs (from the moment the import's
        row says so until the command ends)."""
        while not done.is_set() and not committing():
            time.sleep(0.05)
        while not done.is_set():
            started = time.monotonic()
            try:
                bench.sign_in(base)
                sign_ins.append(("ok", time.monotonic() - started))
            except Exception as e:  # noqa: BLE001
                sign_ins.append((f"failed: {e}", time.monotonic() - started))
            time.sleep(1.0)

    signer = threading.Thread(target=sign_in_during, daemon=True)
    signer.start()
    started = time.monotonic()
    with open(os.path.join(bench.WORK, f"import-{n}.out"), "w+") as log:
        proc = subprocess.Popen([bench.BIN, "import", "licenses", path], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.monotonic() - started
        log.seek(0)
        output = log.read()
    code = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024
    done.set()
    signer.join(timeout=60)
    writer.stop = True
    writer.join()
    server.terminate()
    server.wait()
    if code != 0:
        print(output)
        raise SystemExit("the import failed")
    imported = sqlite3.connect(db).execute("SELECT COUNT(*) FROM licenses WHERE key_norm LIKE 'IMP%'").fetchone()[0]
    failed_sign_ins = [s for s in sign_ins if s[0] != "ok"]
    slowest = max((s[1] for s in sign_ins), default=0)
    print(f"{n:>9} licenses: check + commit {took:.1f} s ({n / took:,.0f} rows/s), {imported} imported, "
          f"peak RSS {peak_mb:,.0f} MB; "
          f"another writer: {writer.count} writes, longest wait {writer.longest * 1000:.0f} ms, {writer.failed} failed; "
          f"sign-ins during the commit: {len(sign_ins)}, {len(failed_sign_ins)} failed, slowest {slowest * 1000:.0f} ms"
          + (f" ({failed_sign_ins[0][0]})" if failed_sign_ins else ""))
    limit = 10 if n <= 100_000 else 60
    return (imported == n and took <= limit and writer.failed == 0 and sign_ins
            and not failed_sign_ins)


def main():
    os.makedirs(bench.WORK, exist_ok=True)
    results = [run(n) for n in SIZES]
    print("targets met" if all(results) else "TARGETS MISSED")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
