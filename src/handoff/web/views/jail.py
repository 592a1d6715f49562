"""The jail dashboard: what needs a person now, what is due in the next 72 hours, what went wrong, and what
the law recently decided. One page a records clerk can read at a glance; htmx refreshes it every minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.access import scoping
from handoff.core import clock
from handoff.web.views.common import actor, audit_read, subject_name

WINDOW_HOURS = 72
AT_RISK_HOURS = 6  # an open notice due this soon whose channel is failing, or sent and unacknowledged this close to release
MISSED_DAYS = 30
LIST_LIMIT = 50


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


def dashboard_context(request: HttpRequest, now: datetime | None = None) -> dict[str, Any]:
    from handoff.notices.models import LETTER_KINDS, OPEN_STATUSES, Notice, NoticeStatus
    from handoff.requests.models import RequestStatus

    who = actor(request)
    now = now or clock.now()
    facilities = list(scoping.facilities_for(who).select_related("jurisdiction").order_by("code"))
    chosen = _facility_filter(request, facilities)
    reqs = scoping.requests_for(who)
    notices = scoping.notices_for(who)
    if chosen is not None:
        reqs = reqs.filter(facility=chosen)
        notices = notices.filter(request__facility=chosen)

    base = reqs.select_related("facility", "booking", "booking__person", "current_decision", "office")
    match_review = list(base.filter(status=RequestStatus.REVIEW).order_by("received_at")[:LIST_LIMIT])
    decision_review = list(
        base.filter(status=RequestStatus.MATCHED, current_decision__review=True).order_by("received_at")[:LIST_LIMIT]
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
        .exclude(kind__in=LETTER_KINDS)
        .exclude(status=NoticeStatus.CANCELLED)
        .order_by("due_at", "pk")
    ):
        by_request.setdefault(n.request_id, []).append(n)
    releases = [ReleaseRow(r, r.booking, subject_name(r), by_request.get(r.pk, [])) for r in release_reqs]

    office_notices = notices.exclude(kind__in=LETTER_KINDS).select_related(
        "request", "request__facility", "booking", "booking__person"
    )
    overdue = list(office_notices.filter(status__in=OPEN_STATUSES, due_at__lt=now).order_by("due_at")[:LIST_LIMIT])
    unacked_hours = float(getattr(settings, "HANDOFF_ESCALATE_UNACKED_HOURS", 24))
    at_risk = list(
        office_notices.filter(
            Q(status=NoticeStatus.FAILED, release_at__gte=now - timedelta(days=1))
            | Q(status=NoticeStatus.SENT, release_at__gte=now, release_at__lte=now + timedelta(hours=unacked_hours))
            | Q(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lte=now + timedelta(hours=AT_RISK_HOURS),
                deliveries__attempts__gt=0)
        ).distinct().order_by("release_at")[:LIST_LIMIT]
    )
    missed = list(
        office_notices.filter(missed=True, release_at__gte=now - timedelta(days=MISSED_DAYS))
        .order_by("-release_at")[:LIST_LIMIT]
    )
    recent = list(
        scoping.decisions_for(who).filter(**({"request__facility": chosen} if chosen is not None else {}))
        .select_related("request", "request__facility", "override_by")
        .order_by("-evaluated_at", "-pk")[:15]
    )
    shown = {r.request_id for r in match_review + decision_review + release_reqs}
    return {
        "now": now,
        "facilities": facilities,
        "chosen": chosen,
        "match_review": [(r, subject_name(r)) for r in match_review],
        "decision_review": [(r, subject_name(r)) for r in decision_review],
        "releases": releases,
        "overdue": overdue,
        "at_risk": at_risk,
        "missed": missed,
        "recent": recent,
        "window_hours": WINDOW_HOURS,
        "at_risk_seconds": AT_RISK_HOURS * 3600,
        "missed_days": MISSED_DAYS,
        "shown_ids": shown,
        "Notice": Notice,
        "who": who,
        "can_override": who.has_role("jail_supervisor", "admin"),
    }


@require_http_methods(["GET", "HEAD"])
def jail_dashboard(request: HttpRequest) -> HttpResponse:
    ctx = dashboard_context(request)
    audit_read(request, ctx["who"], "request.list", "request", sorted(ctx["shown_ids"]))
    template = "web/_jail_live.html" if getattr(request, "htmx", False) else "web/jail.html"
    return render(request, template, ctx)
