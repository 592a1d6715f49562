"""Daily jobs run from the notice worker's housekeeping (registered with it by ops' AppConfig.ready).

Why here and not cron: `handoff serve` and `handoff worker` are the only processes an installation runs,
and a new policy version taking effect (or a 5- or 15-year lookback rolling over) must change decisions
without anyone remembering to schedule a command.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction

from handoff.audit import witness
from handoff.casework.flow import recheck
from handoff.core import clock
from handoff.ops.models import DailyJob

log = logging.getLogger(__name__)
_tried_on: dict[str, date] = {}  # per process: the housekeeping loop asks every second, the database once a day


def claim_daily(name: str, today: date) -> bool:
    """True for exactly one caller per job and day: compare-and-set on last_run_on."""
    try:
        with transaction.atomic():
            DailyJob.objects.get_or_create(name=name)
    except IntegrityError:  # another process created it first
        pass
    claimed = DailyJob.objects.filter(name=name).exclude(last_run_on=today).exclude(last_run_on__gt=today)
    return claimed.update(last_run_on=today) == 1


def run_daily(name: str, job: Callable[[], Any], *, today: date | None = None) -> Any | None:
    """Run `job` if no process has run it today. Returns its result, or None when already done."""
    today = today or clock.now().date()
    if _tried_on.get(name) == today:
        return None
    _tried_on[name] = today
    if not claim_daily(name, today):
        return None
    result = job()
    summary = asdict(result) if is_dataclass(result) and not isinstance(result, type) else {"result": str(result)}
    DailyJob.objects.filter(name=name).update(last_result=summary)
    log.info("daily job %s ran: %s", name, summary)
    return result


def fire_alarms() -> Any:
    """Review due times, hold warnings and ends, stale release data (casework.alarms; throttled there, not
    once a day: a hold's end cannot wait for tomorrow)."""
    from handoff.casework import alarms

    return alarms.fire_due()


def recheck_decisions() -> Any | None:
    """Re-decide open requests whose law changed with the date (a new policy version in force)."""
    return run_daily("requests.recheck", recheck)


def optimize_database() -> Any | None:
    """Keep SQLite's planner statistics current: the dashboard's plans for rare rows (overdue notices,
    decisions needing review) rely on them. PostgreSQL's autovacuum analyses on its own."""
    def optimize() -> str:
        if connection.vendor != "sqlite":
            return "not needed"
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
        return "optimized"

    return run_daily("database.optimize", optimize)


_witnessed_at = 0.0


def witness_audit_head() -> bool:
    """At least once a minute, witness the audit head outside the database (security review M3): the
    per-commit line can be lost when a process dies between commit and write, or when a command ran with
    witnessing pointed elsewhere. Cheap: one primary-key read, and a line only when the head moved."""
    global _witnessed_at
    if time.monotonic() - _witnessed_at < 60:
        return False
    _witnessed_at = time.monotonic()
    return witness.catch_up()
