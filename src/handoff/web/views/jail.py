"""The jail dashboard: what needs a person now, what is due in the next 72 hours, what went wrong, and what
the law recently decided. One page a records clerk can read at a glance; htmx refreshes it every minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.access import scoping
from handoff.core import clock
from handoff.notices.models import (
    AT_RISK_HOURS,
    OPEN_STATUSES,
    PERSON_KINDS,
    Notice,
    NoticeQuerySet,
    NoticeStatus,
)
from handoff.requests.models import RequestStatus
from handoff.web.queries import Likely
from handoff.web.views import waiting
from handoff.web.views.common import actor, audit_read, subject_name

WINDOW_HOURS = 72
MISSED_DAYS = 30
LIST_LIMIT = 50
OVER_DETENTION_DAYS = 365  # releases after the hold's end stay on the dashboard this long
TASK_SCAN = 500  # the latest matched requests of people still booked looked at for the law's jail tasks


@dataclass
class ReleaseRow:
    request: Any
    booking: Any
    name: str
    notices: list[Any]


def _facility_filter(request: HttpRequest, facilities: list[Any]) -> Any | None:
    code = request.GET.get("facility", "")
    for f in facilities:
        if f.code == code:
            return f
    return None


# Personal-data JSON the dashboard never shows: left in the database instead of decoded for every row.
REQUEST_UNUSED = ("basis", "match_candidates")
DECISION_UNUSED = ("reasons", "facts", "policies")
RECENT_LIMIT = 15
RECENT_DAYS = 7  # recent decisions are looked for among the last week's first, then further back
# How often the rare conditions below hold, for SQLite's planner (see handoff.web.queries): notices past due
# but still unsent, decisions left to a person, and decisions of the last week are all a sliver of the rows.
RARE = 0.001


def _recent_decisions(who: Any, chosen: Any | None, now: datetime) -> list[Any]:
    """The newest decisions in scope. Why two steps: reading the last week's decisions newest first stops
    after a few rows, where starting from the facilities reads every decision they ever had; only a place with
    fewer than RECENT_LIMIT decisions in the week needs the second, older look. Together they give exactly
    the newest RECENT_LIMIT decisions."""
    qs = scoping.decisions_for(who)
    if chosen is not None:
        qs = qs.filter(request__facility=chosen)
    qs = qs.select_related("request", "request__facility", "override_by").defer(
        *DECISION_UNUSED, *(f"request__{f}" for f in REQUEST_UNUSED)
    )
    since = now - timedelta(days=RECENT_DAYS)
    order = ("-evaluated_at", "-pk")
    recent = list(qs.filter(Likely(Q(evaluated_at__gte=since), RARE)).order_by(*order)[:RECENT_LIMIT])
    if len(recent) < RECENT_LIMIT:
        recent += list(qs.filter(evaluated_at__lt=since).order_by(*order)[:RECENT_LIMIT - len(recent)])
    return recent


def _problem_notices(office_notices: Any, now: datetime) -> tuple[list[Any], list[Any]]:
    """At-risk and missed notices. At risk is the manager's one definition (Notice.objects.at_risk), less
    the overdue ones, which have their own table above it. Why one narrow pass and then a fetch: both can
    only be found by looking at each of the place's notices (no index serves "failed", "sent and not
    acknowledged near release" or "missed" yet), so they share one look that reads a few columns, and only
    the rows shown are loaded."""
    # not overdue (NoticeQuerySet.overdue_q), written so this pass never reads as the overdue list's query
    not_overdue = Q(due_at__gte=now) | ~Q(status__in=OPEN_STATUSES)
    at_risk = NoticeQuerySet.at_risk_q(now) & not_overdue
    missed = Q(missed=True, release_at__gte=now - timedelta(days=MISSED_DAYS))
    rows = list(
        office_notices.annotate(
            is_at_risk=ExpressionWrapper(at_risk, output_field=BooleanField()),
            is_missed=ExpressionWrapper(missed, output_field=BooleanField()),
        ).filter(at_risk | missed).values_list("pk", "release_at", "is_at_risk", "is_missed")
    )
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    risk_ids = [pk for pk, rel, risk, _ in sorted((r for r in rows if r[2]), key=lambda r: (r[1] or oldest, r[0]))]
    missed_ids = [pk for pk, rel, _, miss in sorted((r for r in rows if r[3]), key=lambda r: (r[1] or oldest, r[0]),
                                                     reverse=True)]
    risk_ids, missed_ids = risk_ids[:LIST_LIMIT], missed_ids[:LIST_LIMIT]
    shown = {n.pk: n for n in office_notices.filter(pk__in=[*risk_ids, *missed_ids])}
    return [shown[i] for i in risk_ids if i in shown], [shown[i] for i in missed_ids if i in shown]


def law_tasks(reqs: Any) -> list[tuple[Any, str, dict[str, Any]]]:
    """What the law makes the jail do for a person it holds on a request (a rule's `task`, e.g. Fla. Stat.
    908.105(1)(a)-(b): tell the bail judge of the detainer, record it in the case file): (request, subject,
    reason) for every holding reason with a task, of the latest matched requests of people still booked.

    Why from the decision's reasons: the duty exists exactly when the law's rule holds, so the dashboard shows
    what the decision says, with its citation, and a changed decision changes the list."""
    rows: list[tuple[Any, str, dict[str, Any]]] = []
    candidates = (reqs.filter(status=RequestStatus.MATCHED, booking__released_at__isnull=True,
                              current_decision__isnull=False)
                  .select_related("facility", "booking", "booking__person", "current_decision")
                  .defer(*REQUEST_UNUSED, "current_decision__facts")
                  .order_by("-received_at", "-pk")[:TASK_SCAN])
    for r in candidates:
        for reason in r.current_decision.reasons or []:
            if reason.get("holds") and reason.get("task"):
                rows.append((r, subject_name(r), reason))
    return rows[:LIST_LIMIT]


def dashboard_context(request: HttpRequest, now: datetime | None = None) -> dict[str, Any]:

    who = actor(request)
    now = now or clock.now()
    facilities = list(scoping.facilities_for(who).select_related("jurisdiction").order_by("code"))
    chosen = _facility_filter(request, facilities)
    reqs = scoping.requests_for(who)
    notices = scoping.notices_for(who)
    if chosen is not None:
        reqs = reqs.filter(facility=chosen)
        notices = notices.filter(request__facility=chosen)

    base = reqs.select_related("facility", "booking", "booking__person", "current_decision").defer(
        *REQUEST_UNUSED, *(f"current_decision__{f}" for f in DECISION_UNUSED)
    )
    match_review = list(base.filter(status=RequestStatus.REVIEW).order_by("received_at")[:LIST_LIMIT])
    decision_review = list(
        # the plain filter makes the join to the decision an inner one, which the hint needs to start from it
        base.filter(Likely(Q(current_decision__review__in=[True]), RARE), current_decision__review=True,
                    status=RequestStatus.MATCHED)
        .order_by("received_at")[:LIST_LIMIT]
    )

    window_end = now + timedelta(hours=WINDOW_HOURS)
    bookings = scoping.bookings_for(who).filter(
        released_at__isnull=True, scheduled_release_at__gte=now - timedelta(hours=12),
        scheduled_release_at__lte=window_end,
    )
    if chosen is not None:
        bookings = bookings.filter(facility=chosen)
    release_reqs = list(
        base.filter(booking__in=bookings.values("pk"))
        .exclude(status=RequestStatus.WITHDRAWN)
        .order_by("booking__scheduled_release_at", "pk")[:200]
    )
    by_request: dict[int, list[Any]] = {}
    for n in (
        notices.filter(request__in=[r.pk for r in release_reqs])
        .exclude(kind__in=PERSON_KINDS)
        .exclude(status=NoticeStatus.CANCELLED)
        .order_by("due_at", "pk")
    ):
        by_request.setdefault(n.request_id, []).append(n)
    releases = [ReleaseRow(r, r.booking, subject_name(r), by_request.get(r.pk, [])) for r in release_reqs]

    office_notices = notices.exclude(kind__in=PERSON_KINDS).select_related(
        "request", "request__facility", "booking", "booking__person"
    ).defer(*(f"request__{f}" for f in REQUEST_UNUSED))
    overdue = list(
        office_notices.filter(Likely(Q(due_at__lt=now), RARE)).filter(NoticeQuerySet.overdue_q(now))
        .order_by("due_at", "pk")[:LIST_LIMIT]
    )
    at_risk, missed = _problem_notices(office_notices, now)
    recent = _recent_decisions(who, chosen, now)
    # issue 9: each review's due time (the notice it holds back, less the margin), the live holds with their
    # clocks, and the alarms nobody has resolved
    from handoff.casework.alarms import pending_due, review_due_at
    from handoff.notices.models import Alarm
    from handoff.requests.holds import live_holds

    dues = pending_due([r.pk for r in decision_review])
    review_due = {r.pk: review_due_at(r, dues.get(r.pk)) for r in decision_review}
    holds = live_holds(reqs, now)
    alarms = list(Alarm.objects.filter(request__in=reqs.values("pk"), resolved_at=None)
                  .select_related("request").order_by("-raised_at")[:LIST_LIMIT])
    # issue 9 item 2: releases recorded after the hold's end (over-detention) stay visible for a year, resolved
    # alarm or not: the count is the jail's own record of people held longer than the law allowed
    from handoff.reports.services import over_detentions

    over = over_detentions(request_ids=reqs.values("pk"), released_from=now - timedelta(days=OVER_DETENTION_DAYS))
    tasks = law_tasks(reqs)
    shown = {r.request_id for r in match_review + decision_review + release_reqs}
    return {
        "now": now,
        "facilities": facilities,
        "chosen": chosen,
        # the tiles count exactly the rows listed below them (review: `a|length|add:b|length` read 0)
        "review_count": len(match_review) + len(decision_review),
        "problem_count": len(overdue) + len(at_risk),
        "match_review": [(r, subject_name(r)) for r in match_review],
        "decision_review": [(r, subject_name(r), review_due.get(r.pk)) for r in decision_review],
        "holds": holds,
        "alarms": alarms,
        "tasks": tasks,
        "over_detentions": over[::-1][:LIST_LIMIT],  # the latest first
        "over_detention_count": len(over),
        "over_detention_days": OVER_DETENTION_DAYS,
        "releases": releases,
        "overdue": overdue,
        "at_risk": at_risk,
        "missed": missed,
        "recent": recent,
        "window_hours": WINDOW_HOURS,
        "at_risk_seconds": AT_RISK_HOURS * 3600,  # the countdown turns amber: the same 6 h as at risk
        "missed_days": MISSED_DAYS,
        "shown_ids": shown,
        "Notice": Notice,
        "who": who,
        "can_override": who.has_role("jail_supervisor", "admin"),
        # each release row links to its booking (its record, history, and where a release or correction is
        # recorded) for the roles that may open it (access.permissions "web:booking_correct")
        "can_open_booking": who.has_role("jail_clerk", "jail_supervisor", "admin"),
    }


@require_http_methods(["GET", "HEAD"])
def jail_dashboard(request: HttpRequest) -> HttpResponse:
    ctx = dashboard_context(request)
    ctx.update(waiting.context(request, ctx["who"], ctx["chosen"], ctx["now"]))
    ctx["match_due"] = waiting.match_review_due([r for r, _ in ctx["match_review"]])
    shown = set(ctx["shown_ids"]) | {row.request.request_id for row in ctx["waiting"]}
    audit_read(request, ctx["who"], "request.list", "request", sorted(shown))
    template = "web/_jail_live.html" if getattr(request, "htmx", False) else "web/jail.html"
    return render(request, template, ctx)
