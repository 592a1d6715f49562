"""Real `handoff worker` processes against a database of their own: the kill test (SQLite and PostgreSQL), a
receiver that goes down and comes back, and a short notice that must leave within 5 seconds.

Sizing: the issue's kill test (500 notices due within a minute, 4 workers, one killed about every half second)
runs as written and takes under a minute. The four workers are the children of one `handoff worker
--processes 4`, which forks a new one when one dies: a cold `handoff worker` spends about a second of CPU
loading Django, so on a two-core machine with a kill every half second the cold-started workers were all
killed before claiming anything (measured: no delivery at all while the kills went on), which would prove
nothing. Forked workers claim within milliseconds, so kills land between a send and its record. The outage is HANDOFF_TEST_OUTAGE_SECONDS long (20 s by default so
CI stays fast; the issue's 2 minutes is `HANDOFF_TEST_OUTAGE_SECONDS=120`): what is exercised is the same,
endpoints paused by backoff (capped at 5 s here instead of 60 s) and a backlog drained in due order.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.conf import settings

from tests.notices.procs import ProcDb, migrate, pg_admin, pg_url, sqlite_clone
from tests.notices.support import Receiver

pytestmark = pytest.mark.slow
_n = itertools.count(1)


@pytest.fixture(scope="session")
def proc_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("procdb")
    if settings.IS_POSTGRES:
        base = os.environ["HANDOFF_DATABASE_URL"]
        name = f"{settings.DATABASES['default']['NAME']}_proctpl_{os.getpid()}"
        pg_admin(base, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        migrate(pg_url(base, name), home)
        yield {"pg": True, "base": base, "template": name, "home": home}
        pg_admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    else:
        path = home / "template.sqlite3"
        migrate(f"sqlite:///{path}", home)
        yield {"pg": False, "template": path, "home": home}


@pytest.fixture
def proc_db(proc_template: dict[str, Any], tmp_path: Path) -> Iterator[Callable[..., ProcDb]]:
    made: list[tuple[ProcDb, str | None]] = []

    def make(**env: str) -> ProcDb:
        if proc_template["pg"]:
            name = f"{proc_template['template']}_{next(_n)}"
            pg_admin(proc_template["base"], f'DROP DATABASE IF EXISTS "{name}"',
                     f'CREATE DATABASE "{name}" TEMPLATE "{proc_template["template"]}"')
            db = ProcDb(pg_url(proc_template["base"], name), tmp_path, **env)
            made.append((db, name))
        else:
            db = ProcDb(sqlite_clone(proc_template["template"], tmp_path / "handoff.sqlite3"), tmp_path, **env)
            made.append((db, None))
        return db

    yield make
    for db, name in made:
        db.stop_all()
        if name:
            pg_admin(proc_template["base"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait(until: Callable[[], bool], seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if until():
            return True
        time.sleep(0.2)
    return until()


def _kill_test(proc_db: Callable[..., ProcDb], receiver: Receiver) -> None:
    db = proc_db(HANDOFF_LEASE_SECONDS="2", HANDOFF_WORKER_POLL_SECONDS="0.2", HANDOFF_RETRY_CAP_SECONDS="2")
    seeded = db.run("seed", "--url", receiver.url, "--n", "500", "--offices", "5", "--first", "3", "--spread", "30")
    expected: dict[str, str] = seeded["notices"]
    assert len(expected) == 500
    receiver.delay = 0.02  # a slow office: more kills land between a send and its record
    supervisor = db.spawn_worker("--processes", "4")

    def workers() -> list[psutil.Process]:
        return [p for p in psutil.Process(supervisor.pid).children() if p.status() != psutil.STATUS_ZOMBIE]

    assert _wait(lambda: len(workers()) == 4, 60), db.logs()
    rng = random.Random(20250602)
    kills = 0
    stop_killing = seeded["seeded_at"] + 3 + 30 + 5  # through the whole due window and a little after
    # On a loaded machine the supervisor may be slow to fork replacements, so fewer kills fit in the window;
    # keep killing (up to a minute more) until 40 have landed rather than fail on the machine's speed.
    while time.time() < stop_killing or (kills < 40 and time.time() < stop_killing + 60):
        time.sleep(rng.uniform(0.3, 0.7))
        alive = workers()
        if alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                rng.choice(alive).send_signal(signal.SIGKILL)  # the supervisor forks a new one
                kills += 1

    def received_ids() -> set[str]:
        return {r.body["notice_id"] for r in receiver.snapshot()}

    _wait(lambda: set(expected) <= received_ids(), 60)
    db.stop_all()
    got = receiver.snapshot()
    missing = set(expected) - {r.body["notice_id"] for r in got}
    assert not missing, f"{len(missing)} notices never arrived; worker logs:\n{db.logs()}"
    ids_per_notice: dict[str, set[str]] = defaultdict(set)
    for r in got:
        ids_per_notice[r.body["notice_id"]].add(r.webhook_id)
    assert all(len(ids) == 1 for ids in ids_per_notice.values()), "a duplicate carries the same webhook-id"
    state = db.run("state")["deliveries"]
    assert len(state) == 500
    for notice_id, webhook_id, status, _attempts in state:
        assert status == "sent", f"delivery {webhook_id} ended {status}"
        assert ids_per_notice[notice_id] == {webhook_id}, "marked sent only with a 2xx from the receiver"
    assert receiver.bad_signatures == 0
    assert kills >= 40
    duplicates = len(got) - len(expected)
    during = sum(1 for r in got if r.at < stop_killing)
    print(f"kill test: {kills} kills, {len(got)} receipts for 500 notices ({duplicates} duplicates, {during} "
          f"while killing), done {time.time() - seeded['seeded_at']:.1f} s after seeding")


@pytest.mark.skipif(settings.IS_POSTGRES, reason="the PostgreSQL run has its own kill test")
def test_it_delivers_every_notice_at_least_once_while_workers_are_killed_on_sqlite(
        proc_db: Callable[..., ProcDb], receiver: Receiver) -> None:
    _kill_test(proc_db, receiver)


@pytest.mark.postgres
def test_it_delivers_every_notice_at_least_once_while_workers_are_killed_on_postgresql(
        proc_db: Callable[..., ProcDb], receiver: Receiver) -> None:
    _kill_test(proc_db, receiver)


def test_it_delivers_everything_in_due_order_per_office_after_the_receiver_was_down(
        proc_db: Callable[..., ProcDb], receiver: Receiver) -> None:
    outage = float(os.environ.get("HANDOFF_TEST_OUTAGE_SECONDS", "20"))
    db = proc_db(HANDOFF_RETRY_CAP_SECONDS="5", HANDOFF_LEASE_SECONDS="10")
    receiver.stop()
    seeded = db.run("seed", "--url", receiver.url, "--n", "60", "--offices", "3", "--first", "1", "--spread", "10")
    expected: dict[str, str] = seeded["notices"]
    db.spawn_worker()
    db.spawn_worker()

    time.sleep(max(0.0, seeded["seeded_at"] + outage - time.time()))
    # the outage lasts until the workers have recorded a retry (two attempts on one delivery), however slowly
    # they start on a loaded machine: the last assertion below must not depend on the machine's speed
    assert _wait(lambda: any(a >= 2 for *_, a in db.run("state")["deliveries"]), 300), db.logs()
    assert receiver.received == []
    receiver.start()
    assert _wait(lambda: len({r.body["notice_id"] for r in receiver.snapshot()}) >= len(expected), 40), db.logs()
    db.stop_all()
    first: dict[str, Any] = {}
    for r in receiver.snapshot():
        first.setdefault(r.body["notice_id"], r)
    assert set(first) == set(expected)
    for office in set(expected.values()):
        arrivals = sorted((r for nid, r in first.items() if expected[nid] == office), key=lambda r: r.at)
        due = [datetime.fromisoformat(r.body["due_at"]) for r in arrivals]
        assert due == sorted(due), f"office {office} received its notices out of due order"
    state = db.run("state")["deliveries"]
    assert sum(a for *_, a in state) > len(state), "the attempts during the outage were recorded"


def test_it_sends_the_short_notice_within_5_seconds_of_the_release_moving_inside_the_lead_time(
        proc_db: Callable[..., ProcDb], receiver: Receiver) -> None:
    db = proc_db()  # production poll interval and lease
    seeded = db.run("seed", "--url", receiver.url, "--n", "1", "--offices", "1", "--first", "86400",
                    "--spread", "0")
    worker = db.spawn_worker()
    assert _wait(lambda: "running" in db.logs(), 60), db.logs()
    time.sleep(1.0)
    assert receiver.received == [] and worker.poll() is None
    moved = db.run("move-release", "--request", seeded["requests"][0], "--hours", "10")
    assert _wait(lambda: bool(receiver.received), 15), db.logs()
    [got] = receiver.snapshot()
    assert got.body["type"] == "release.short_notice"
    latency = got.at - moved["committed_at"]
    print(f"short notice left {latency:.2f} s after the change")
    assert latency <= 5.0
