"""Helpers for the tests that run real `handoff worker` processes against a database of their own.

Run as `python -m tests.notices.procs COMMAND [options]` with HANDOFF_DATABASE_URL naming that database:
- `seed --url URL --n N --offices K --first S --spread S`: N requests (and their advance notices, through the
  real reconcile) whose notices come due between S and S+spread seconds from now, spread over K offices;
  prints {"notices": {notice_id: office_code}, "requests": [request_id, ...], "seeded_at": epoch}
- `move-release --request ID --hours H`: move a booking's release to H hours from now and reconcile, in one
  transaction; prints {"committed_at": epoch}
- `state`: every office delivery as JSON: {"deliveries": [[notice_id, webhook_id, status, attempts], ...]}

The pytest side (`ProcDb`) clones a migrated template database per test: a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parents[2]


# --- inside the child process ----------------------------------------------------------------------------

def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
    import django

    django.setup()


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction

    from handoff.core import clock
    from tests.notices.support import make_case, make_world

    now = clock.now()
    out: dict[str, str] = {}
    requests: list[str] = []
    with transaction.atomic():
        worlds = [make_world(webhook_url=args.url, code=f"OF{i}") for i in range(args.offices)]
        for i in range(args.n):
            offset = args.first + args.spread * i / max(args.n - 1, 1)
            case = make_case(worlds[i % args.offices], release_at=now + timedelta(hours=48, seconds=offset))
            notice = case.request.notices.exclude(kind="letter.request_copy").get()
            out[str(notice.uid)] = notice.office.code
            requests.append(case.request.request_id)
    return {"notices": out, "requests": requests, "seeded_at": time.time()}


def move_release(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction

    from handoff.core import clock
    from handoff.notices.services import reconcile_request
    from handoff.requests.models import ImmigrationRequest

    with transaction.atomic():
        req = ImmigrationRequest.objects.select_related("booking").get(request_id=args.request)
        booking = req.booking
        assert booking is not None
        booking.scheduled_release_at = clock.now() + timedelta(hours=args.hours)
        booking.save()
        reconcile_request(req, trigger="release moved")
        committing_at = time.time()  # the change becomes visible to workers a moment after this
    return {"committed_at": committing_at}


def state(args: argparse.Namespace) -> dict[str, Any]:
    from handoff.notices.models import Delivery

    rows = Delivery.objects.exclude(channel="escalation").values_list("notice__uid", "webhook_id", "status",
                                                                      "attempts")
    return {"deliveries": [[str(u), w, s, a] for u, w, s, a in rows]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--offices", type=int, default=5)
    p.add_argument("--first", type=float, default=5)
    p.add_argument("--spread", type=float, default=30)
    p = sub.add_parser("move-release")
    p.add_argument("--request", required=True)
    p.add_argument("--hours", type=float, required=True)
    sub.add_parser("state")
    args = parser.parse_args(argv)
    _setup()
    result = {"seed": seed, "move-release": move_release, "state": state}[args.cmd](args)
    sys.stdout.write(json.dumps(result))


#: a strong key for worker processes: the worker refuses the debug key outside debug mode (review M13)
WORKER_KEY = "procs-worker-key-7Qm2Zr9vXw4Lk8Tn3Hb6Yd1Fs5Gc0Jp-Ue7Ia2Oe4Rt6Wy8Qz"


# --- on the pytest side ----------------------------------------------------------------------------------

class ProcDb:
    """A database of one test's own, reachable by child processes, cloned from a migrated template."""

    def __init__(self, url: str, home: Path, **env: str) -> None:
        self.url = url
        self.home = home
        self.env = {**os.environ, "HANDOFF_DATABASE_URL": url, "HANDOFF_TESTING": "1", "HANDOFF_HOME": str(home),
                    "HANDOFF_SECRET_KEY": WORKER_KEY, "HANDOFF_WEBHOOK_ALLOW_LOCAL": "1",
                    "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "handoff.settings", **env}
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def run(self, *args: str, timeout: float = 120) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "tests.notices.procs", *args], cwd=REPO, env=self.env,
                              capture_output=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"procs {args[0]} failed: {done.stderr.decode()[-3000:]}")
        return dict(json.loads(done.stdout))

    def spawn_worker(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.home / f"worker-{len(self._logs)}.log", "wb")  # noqa: SIM115 (closed in stop_all)
        self._logs.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "handoff.cli", "worker", *args], cwd=REPO, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.home.glob("worker-*.log")))


def migrate(url: str, home: Path) -> None:
    env = {**os.environ, "HANDOFF_DATABASE_URL": url, "HANDOFF_TESTING": "1", "HANDOFF_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], cwd=REPO, env=env,
                          capture_output=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"migrate failed: {done.stderr.decode()[-3000:]}")


def sqlite_clone(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def pg_url(base_url: str, dbname: str) -> str:
    parsed = urlparse(base_url)
    return urlunparse(parsed._replace(path="/" + dbname, query=""))


def pg_admin(base_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(pg_url(base_url, "postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
