"""The jail dashboard's list of waiting requests: every request no booking fits yet, oldest first, with how long
it has waited and a search.

Why a list of its own: a waiting request showed on no dashboard, so a detainer whose subject was booked under
a spelling matching could not find stayed unseen while the person walked out (users review, December 2026).
A clerk reads this list, searches the people in custody (people search) and links by hand.
Kept in its own module and template include (web/_waiting_requests.html): the dashboard's tiles and other
sections belong to the dashboard; this section only adds to its context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from handoff.access import scoping
from handoff.casework import alarms
from handoff.requests.models import ImmigrationRequest, RequestStatus

WAITING_LIMIT = 50
SEARCH_MAX = 100


@dataclass
class WaitingRow:
    request: Any
    name: str
    age_seconds: float


def search_q(text: str) -> Q:
    """Request id, booking number, A-number, FBI number or any word of the subject's name."""
    q = Q()
    for word in text.split()[:5]:
        q &= (Q(request_id__icontains=word) | Q(booking_number__icontains=word)
              | Q(subject_last_name__icontains=word) | Q(subject_first_name__icontains=word)
              | Q(subject_a_number__icontains=word.replace("-", "")) | Q(subject_fbi_number__iexact=word))
    return q


def waiting_requests(who: Any, chosen: Any | None, text: str = "") -> QuerySet[ImmigrationRequest]:
    qs = scoping.requests_for(who).filter(status=RequestStatus.WAITING)
    if chosen is not None:
        qs = qs.filter(facility=chosen)
    if text:
        qs = qs.filter(search_q(text))
    return qs


def context(request: HttpRequest, who: Any, chosen: Any | None, now: datetime) -> dict[str, Any]:
    """What the include needs: the rows shown (oldest first), how many wait in all, and the search text."""
    text = (request.GET.get("waiting") or "").strip()[:SEARCH_MAX]
    qs = waiting_requests(who, chosen, text).select_related("facility").defer("basis", "match_candidates")
    total = qs.count()
    rows = [WaitingRow(r, f"{r.subject_last_name}, {r.subject_first_name}".strip(", ") or "—",
                       (now - r.received_at).total_seconds())
            for r in qs.order_by("received_at", "pk")[:WAITING_LIMIT]]
    return {"waiting": rows, "waiting_total": total, "waiting_search": text, "waiting_limit": WAITING_LIMIT}


def match_review_due(requests: list[Any]) -> dict[int, datetime]:
    """When each request in *match* review must be resolved (casework.alarms.candidate_release_due: the
    earliest scheduled release among its candidates still in custody, less the review margin); the alarm
    that escalates it to the supervisors reads the same time. Why: a near miss has no decision and so no
    notice waiting; without it the dashboard showed no deadline and the person could be released unseen."""
    return alarms.candidate_release_due(requests)
