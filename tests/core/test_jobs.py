"""The daily re-check runs once a day across every worker process, and changes decisions when a new
policy version takes effect without any fact changing."""

from __future__ import annotations

from datetime import date

import pytest

from handoff.ops import jobs
from handoff.ops.models import DailyJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    jobs._tried_on.clear()


def test_it_runs_a_daily_job_once_per_day() -> None:
    calls: list[int] = []
    assert jobs.run_daily("probe", lambda: calls.append(1) or "ran", today=date(2026, 1, 5)) == "ran"
    assert jobs.run_daily("probe", lambda: calls.append(1), today=date(2026, 1, 5)) is None
    jobs._tried_on.clear()  # as another worker process would see it
    assert jobs.run_daily("probe", lambda: calls.append(1), today=date(2026, 1, 5)) is None
    assert calls == [1]
    assert jobs.run_daily("probe", lambda: calls.append(2) or "ran", today=date(2026, 1, 6)) == "ran"
    assert calls == [1, 2]
    job = DailyJob.objects.get(name="probe")
    assert job.last_run_on == date(2026, 1, 6)
    assert job.last_result == {"result": "ran"}


def test_it_never_runs_a_day_twice_when_the_clock_goes_back() -> None:
    calls: list[int] = []
    jobs.run_daily("probe", lambda: calls.append(1), today=date(2026, 1, 6))
    jobs._tried_on.clear()
    assert jobs.run_daily("probe", lambda: calls.append(2), today=date(2026, 1, 5)) is None
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_it_rechecks_decisions_from_the_worker_loop() -> None:
    import threading
    import time

    from handoff.core import clock
    from handoff.notices.worker import Worker

    stop = threading.Event()
    thread = threading.Thread(target=Worker(stop=stop).run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    def done() -> bool:
        job = DailyJob.objects.filter(name="requests.recheck").first()
        return job is not None and "checked" in job.last_result

    while time.monotonic() < deadline and not done():
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=10)
    job = DailyJob.objects.get(name="requests.recheck")
    assert job.last_run_on == clock.now().date()
    assert "checked" in job.last_result


def test_it_optimizes_the_database_once_a_day() -> None:
    from django.db import connection

    first = jobs.optimize_database()
    assert first == ("optimized" if connection.vendor == "sqlite" else "not needed")
    jobs._tried_on.clear()
    assert jobs.optimize_database() is None
