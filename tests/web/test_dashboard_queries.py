"""The jail dashboard's lists at scale: each shows exactly the rows it promises, and the rare rows (overdue
notices, the newest decisions, decisions left to a person) are read from an index that holds them instead of
from every notice or decision the jail ever had (bench/pages.py measures the effect on 1,000,000 bookings).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from handoff.core import clock
from tests.web.conftest import login
from tests.web.world import World

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="query plans are SQLite's; PostgreSQL plans from its own statistics")


def _text(response: Any) -> str:
    return response.content.decode()


def _section(html: str, start: str, end: str) -> str:
    return html.split(f'id="{start}"')[1].split(f'id="{end}"')[0] if end else html.split(f'id="{start}"')[1]


@contextmanager
def _queries() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def wrap(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrap):
        yield seen


def _plan(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [str(row[3]) for row in cur.fetchall()]


def _more_decisions(world: World, count: int, *, days: int) -> list[Any]:
    """History: `count` earlier answers spread over the last `days` days, for every request in the world."""
    from handoff.requests.models import Decision

    now = clock.now()
    rows = []
    requests = [r for r in world.requests.values() if hasattr(r, "current_decision_id")]
    for i in range(count):
        req = requests[i % len(requests)]
        rows.append(Decision(request=req, evaluated_at=now - timedelta(minutes=7 + i * days * 24 * 60 // count),
                             trigger=f"history {i}", policies=["us-federal@2017-04-02"], notify=bool(i % 2),
                             hold="prohibited", transfer="permitted", individual_notice=False,
                             attorney_notice=False, lead_time_hours=48, review=False))
    return Decision.objects.bulk_create(rows)


def _history(world: World, per_facility: int) -> None:
    """Years of work at two jails, as bench/pages.py builds it at scale: many requests, each with its decision
    and its notice (sent long ago, or scheduled for later), and the planner statistics ANALYZE gathers."""
    from handoff.notices.models import Notice
    from handoff.requests.models import Decision, ImmigrationRequest

    now = clock.now()
    office = world.offices["LOS"]
    reqs = [ImmigrationRequest(request_id=f"H-{code}-{i:05d}", kind="detainer", issued_at=now, received_at=now,
                               office=office, facility=world.facilities[code], status="matched")
            for code in ("LA-MCJ", "ALA-SRJ") for i in range(per_facility)]
    reqs = ImmigrationRequest.objects.bulk_create(reqs)
    if reqs[0].pk is None:  # backends without RETURNING on bulk inserts
        reqs = list(ImmigrationRequest.objects.filter(request_id__startswith="H-").order_by("pk"))
    Decision.objects.bulk_create(
        Decision(request=r, evaluated_at=now - timedelta(minutes=10 + i), trigger="history",
                 policies=["us-federal@2017-04-02"], notify=True, hold="prohibited", transfer="permitted",
                 individual_notice=False, attorney_notice=False, lead_time_hours=48, review=False)
        for i, r in enumerate(reqs))
    Notice.objects.bulk_create(
        Notice(kind="release.advance_notice", request=r, office=office, status="sent" if i % 2 else "scheduled",
               due_at=now + timedelta(hours=(-1 if i % 2 else 1) * (10 + i)),
               release_at=now + timedelta(hours=(-1 if i % 2 else 1) * (10 + i) + 48))
        for i, r in enumerate(reqs))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


@pytest.mark.django_db
def test_it_lists_exactly_the_newest_decisions_of_the_clerks_jail_even_when_the_week_was_quiet(
    world: World, client: Client
) -> None:
    """The newest 15 of the jail's decisions, newest first, whether they fall in the last week or before it."""
    from handoff.requests.models import Decision

    _more_decisions(world, 60, days=40)  # most of them older than a week
    login(client, world.users["clerk_la"])
    recent = _section(_text(client.get("/jail/")), "h-recent", "")
    shown = re.findall(r'<a href="/requests/([^/]+)/">', recent)
    expected = list(
        Decision.objects.filter(request__facility__code="LA-MCJ").order_by("-evaluated_at", "-pk")
        .values_list("request__request_id", "trigger")[:15]
    )
    assert len(shown) == 15 and shown == [rid for rid, _ in expected]
    assert [t for _, t in expected if t.startswith("history")], "the older history must reach the list"
    assert "HOU-2025-0001" not in recent and "BAL-2025-0001" not in recent


@pytest.mark.django_db
def test_it_lists_at_risk_and_missed_notices_and_nothing_else(world: World, client: Client) -> None:
    from handoff.notices.models import Notice

    now = clock.now()
    notice = Notice.objects.filter(request__request_id="LOS-2025-0001", kind__startswith="release.").get()
    # sent, not acknowledged, release in 5 hours: at risk
    Notice.objects.filter(pk=notice.pk).update(status="sent", sent_at=now, release_at=now + timedelta(hours=5))
    # the same, released 3 days ago without a notice: missed (listed), and one released 40 days ago (not)
    old = Notice.objects.create(kind="release.advance_notice", request=notice.request, office=notice.office,
                                booking=notice.booking, status="cancelled", missed=True,
                                release_at=now - timedelta(days=40), due_at=now - timedelta(days=42))
    recent_miss = Notice.objects.create(kind="release.advance_notice", request=notice.request, office=notice.office,
                                        booking=notice.booking, status="cancelled", missed=True,
                                        release_at=now - timedelta(days=3), due_at=now - timedelta(days=5))
    login(client, world.users["clerk_la"])
    problems = _section(_text(client.get("/jail/")), "h-problems", "h-recent")
    assert problems.count("at risk</span>") == 1 and "not acknowledged" in problems
    assert problems.count("missed</span>") == 1
    assert str(recent_miss.request.request_id) in problems.split("missed</span>")[1]
    assert old.release_at.strftime("%d %b") not in problems.split("missed</span>")[1]
    # another county's clerk sees none of it
    other = login(Client(), world.users["clerk_mc"])
    assert "LOS-2025-0001" not in _section(_text(other.get("/jail/")), "h-problems", "h-recent")


@sqlite_only
@pytest.mark.django_db
def test_it_reads_overdue_notices_from_the_due_index_not_from_every_notice_of_the_jail(
    world: World, client: Client
) -> None:
    from handoff.notices.models import Notice

    now = clock.now()
    notice = Notice.objects.filter(request__request_id="LOS-2025-0001", kind__startswith="release.").get()
    Notice.objects.filter(pk=notice.pk).update(due_at=now - timedelta(hours=3), status="scheduled")
    _history(world, 1500)
    login(client, world.users["clerk_la"])
    with _queries() as seen:
        html = _text(client.get("/jail/"))
    assert "overdue by 3 h" in html
    overdue = [(sql, p) for sql, p in seen
               if sql.startswith('SELECT "notices_notice"') and re.search(r'"notices_notice"\."due_at" < ', sql)]
    assert len(overdue) == 1
    plan = _plan(*overdue[0])
    assert any(step.startswith("SEARCH notices_notice USING INDEX notice_status_due") for step in plan), plan
    assert not any("notices_notice_request_id" in step for step in plan), plan


@sqlite_only
@pytest.mark.django_db
def test_it_reads_recent_decisions_from_the_newest_first_once_the_database_knows_its_tables(
    world: World, client: Client
) -> None:
    """With the statistics `ANALYZE` (or `PRAGMA optimize`) gathers, the newest decisions come from the
    evaluated_at index: a few rows read, however long the jail's history."""
    _history(world, 1500)
    login(client, world.users["clerk_la"])
    with _queries() as seen:
        assert client.get("/jail/").status_code == 200
    decisions = [(sql, p) for sql, p in seen if sql.startswith('SELECT "requests_decision"')]
    assert decisions, "no recent-decisions query"
    plan = _plan(*decisions[0])
    assert any("USING INDEX decision_evaluated" in step for step in plan), plan
