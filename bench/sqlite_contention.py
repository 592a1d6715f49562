"""Benchmark (security review M11): how long an audited read waits for SQLite's write lock while an import runs,
with the import in short paced transactions (what `handoff ingest` does) against the same import in one
transaction per 100,000-row batch (what `--batch-size 100000` did before), in the same run. Prints one JSON
object.

    uv run python bench/sqlite_contention.py             # 30,000 rows, 2 rounds of each (about a minute)
    uv run python bench/sqlite_contention.py --n 100000  # closer to the review's 60,000-row import

The reader is a separate process, as an API call is: every 20 ms it takes the write lock (BEGIN IMMEDIATE),
reads one booking and appends one row, the way every read of personal data appends an audit entry. Only the
reads that started while the import ran count. The figure that matters is the longest wait (the review's
reads waited 15 to 30 s and then failed); the median shows what reads that would not have waited now pay, and
the import's own slow-down is reported too. Why a ratio: the machine is shared, so the absolute figures
move with its load; the two modes alternate (A B A B) so both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import ingest as bench_ingest  # noqa: E402  (bench/ingest.py: the same generated rows and set-up)

READER = r"""
import json, random, sqlite3, sys, time
db, stop, ready = sys.argv[1], sys.argv[2], sys.argv[3]
conn = sqlite3.connect(db, timeout=30, isolation_level=None)
conn.execute("PRAGMA busy_timeout=30000")
conn.execute("CREATE TABLE IF NOT EXISTS bench_reads (at REAL)")
open(ready, "w").close()
out = []
import os
while not os.path.exists(stop):
    t0 = time.monotonic()
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT * FROM custody_booking WHERE id = ?", (random.randrange(1, 100000),)).fetchall()
        conn.execute("INSERT INTO bench_reads VALUES (?)", (t0,))
        conn.execute("COMMIT")
        out.append((t0, time.monotonic() - t0, ""))
    except sqlite3.OperationalError as exc:
        out.append((t0, time.monotonic() - t0, str(exc)))
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    time.sleep(0.02)
print(json.dumps(out))
"""


def one(mode: str, db: Path, empty: Path, csv_path: Path, work: Path) -> dict[str, Any]:
    from django.db import connection

    from handoff.ingest.handlers import BookingHandler
    from handoff.ingest.runner import Pace, run_ingest

    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copy(empty, db)
    stop, ready = work / f"stop-{mode}", work / f"ready-{mode}"
    stop.unlink(missing_ok=True)
    ready.unlink(missing_ok=True)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(ready)],
                              stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    if mode == "paced":
        pace, batch_size = Pace(), 100_000
    else:  # before M11: one transaction per --batch-size batch
        pace, batch_size = Pace(rows=10**9, max_rows=10**9, adapt=False, pause=False), 100_000
    t0 = time.monotonic()
    report = run_ingest(csv_path, BookingHandler(source="bench"), batch_size=batch_size, pace=pace,
                        rejects_path=work / f"rejects-{mode}.csv")
    t1 = time.monotonic()
    time.sleep(0.2)
    stop.touch()
    out, _ = reader.communicate(timeout=120)
    reads = [(at, took, err) for at, took, err in json.loads(out) if t0 <= at <= t1]
    waits = sorted(took * 1000 for _, took, err in reads if not err)
    return {"import_s": round(t1 - t0, 3), "accepted": report.accepted, "reads": len(reads),
            "errors": sum(1 for r in reads if r[2]), "waits_ms": waits}


def _pct(waits: list[float], q: float) -> float:
    return round(waits[min(len(waits) - 1, int(round(q * (len(waits) - 1))))], 1)


def summary(waits: list[float]) -> dict[str, Any]:
    """The longest waits are the finding (a read stuck behind a whole batch); p50 shows the price paid by
    reads that would not have waited at all."""
    if not waits:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "over_250_ms": 0}
    return {"p50_ms": round(statistics.median(waits), 1), "p95_ms": _pct(waits, 0.95), "p99_ms": _pct(waits, 0.99),
            "max_ms": round(max(waits), 1), "over_250_ms": sum(1 for w in waits if w > 250)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="handoff-bench-contention-"))
    try:
        csv_path = work / "bookings.csv"
        bench_ingest.generate(csv_path, args.n)
        db = work / "db.sqlite3"
        bench_ingest.setup_django(db)
        from django.conf import settings

        empty = work / "empty.sqlite3"
        shutil.copy(db, empty)
        runs: dict[str, list[dict[str, Any]]] = {"one_transaction": [], "paced": []}
        load = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for mode in runs:
                runs[mode].append(one(mode, db, empty, csv_path, work))
        load.append(os.getloadavg()[0])
        result: dict[str, Any] = {"rows": args.n, "rounds": args.rounds,
                                  "tx_seconds": settings.HANDOFF_INGEST_TX_SECONDS, "loadavg": load}
        for mode, done in runs.items():
            waits = sorted(w for r in done for w in r["waits_ms"])
            result[mode] = {"import_s": [r["import_s"] for r in done], "accepted": done[0]["accepted"],
                            "reads": sum(r["reads"] for r in done), "errors": sum(r["errors"] for r in done),
                            **summary(waits)}
        base, paced = result["one_transaction"], result["paced"]
        result["ratio_p95_read_wait"] = (round(paced["p95_ms"] / base["p95_ms"], 3)
                                         if base["p95_ms"] and paced["p95_ms"] is not None else None)
        result["ratio_p99_read_wait"] = (round(paced["p99_ms"] / base["p99_ms"], 3)
                                         if base["p99_ms"] and paced["p99_ms"] is not None else None)
        result["ratio_max_read_wait"] = (round(paced["max_ms"] / base["max_ms"], 3)
                                         if base["max_ms"] and paced["max_ms"] is not None else None)
        result["ratio_reads_during_import_per_second"] = round(
            (paced["reads"] / sum(paced["import_s"])) / max(1e-9, base["reads"] / sum(base["import_s"])), 3)
        result["ratio_import_seconds"] = round(sum(paced["import_s"]) / sum(base["import_s"]), 3)
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
