"""The role lists the review found missing: the federal officer's list of all the office's requests (status,
decision and reason, within what access.disclosure lets them see) and county counsel's list of overrides.
Paged, so an office with years of requests reads them page by page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.access import disclosure, scoping
from handoff.requests.models import RequestStatus
from handoff.web.views.common import actor, audit_read

PAGE = 50
STATUS_FILTERS = [("", "Any status"), ("waiting", "Waiting for booking"), ("matched", "Matched"),
                  ("withdrawn", "Withdrawn")]
DECISION_FILTERS = [("", "Any decision"), ("notify", "Notify"), ("declined", "Declined"),
                    ("review", "Left to a supervisor"), ("none", "No decision yet")]


def _reason(who: Any, req: Any, seen: Any) -> str:
    """Why, by citation, from the most local policy the decision applied: the rules that held (notify), or
    the exceptions none of which held (declined). A rule's own detail repeats the person's history, so it
    is added only where the reader may see it (as on the request page)."""
    d = req.current_decision
    if d is None:
        return ""
    reasons = [r for r in (d.reasons or []) if isinstance(r, dict)]
    local_id = str(list(d.policies)[-1]).split("@")[0] if d.policies else ""  # "us-ca@2018-01-01"
    local = [r for r in reasons if r.get("policy") == local_id] or reasons

    def cite(r: dict[str, Any]) -> str:
        text = str(r.get("cite") or r.get("rule") or "").split(";")[0]
        return f"{text}: {r['detail']}" if seen.allowed and r.get("detail") else text

    if not d.notify and not d.review:
        missed = [r for r in local if not r.get("holds")]
        if not missed:
            return f"Under {local_id}, notice is not allowed"
        more = f" and {len(missed) - 3} more" if len(missed) > 3 else ""
        return f"Under {local_id}, none of these held: " + "; ".join(cite(r) for r in missed[:3]) + more
    held = [r for r in local if r.get("holds")]
    return "; ".join(cite(r) for r in held[:3])


@require_http_methods(["GET", "HEAD"])
def office_requests(request: HttpRequest) -> HttpResponse:
    who = actor(request)
    status = request.GET.get("status", "")
    decision = request.GET.get("decision", "")
    qs = scoping.requests_for(who).select_related("facility", "facility__jurisdiction", "facility__city",
                                                  "current_decision", "office")
    federal = disclosure.is_federal(who)
    if status == "waiting" and federal:  # an office sees a match under review as still waiting (C1)
        qs = qs.filter(status__in=[RequestStatus.WAITING, RequestStatus.REVIEW])
    elif status in ("waiting", "matched", "withdrawn"):
        qs = qs.filter(status=status)
    if decision == "notify":
        qs = qs.filter(current_decision__notify=True, current_decision__review=False)
    elif decision == "declined":
        qs = qs.filter(current_decision__notify=False, current_decision__review=False)
    elif decision == "review":
        qs = qs.filter(current_decision__review=True)
    elif decision == "none":
        qs = qs.filter(current_decision__isnull=True)
    page = Paginator(qs.order_by("-received_at", "-pk"), PAGE).get_page(request.GET.get("page"))
    rows = []
    for r in page.object_list:
        seen = disclosure.for_request(who, r)
        d = r.current_decision
        shown_status = (RequestStatus.WAITING.label if federal and r.status == RequestStatus.REVIEW
                        else r.get_status_display())
        if d is None:
            answer = "No decision yet"
        elif d.review:
            answer = "Left to a supervisor"
        else:
            answer = "Notify before release" if d.notify else "Declined"
        rows.append({"req": r, "status": shown_status, "answer": answer, "declined": bool(d and not d.notify
                     and not d.review), "reason": _reason(who, r, seen),
                     "facility": scoping.label_facility(who, r.facility), "hold": d.hold if d else ""})
    audit_read(request, who, "request.list", "request", [row["req"].request_id for row in rows])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/office_requests.html", {
        "rows": rows, "page": page, "status": status, "decision": decision, "status_filters": STATUS_FILTERS,
        "decision_filters": DECISION_FILTERS, "query": query.urlencode(),
    })


@require_http_methods(["GET", "HEAD"])
def overrides(request: HttpRequest) -> HttpResponse:
    """Every supervisor's override in the reader's places, newest first, with the reason and what the law
    had said before it (the decision it overrode)."""
    who = actor(request)
    qs = (scoping.decisions_for(who).filter(override_by__isnull=False)
          .select_related("request", "request__facility", "override_by", "overrides")
          .order_by("-evaluated_at", "-pk"))
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    audit_read(request, who, "decision.list", "decision", [d.pk for d in page.object_list])
    return render(request, "web/overrides.html", {"page": page, "query": ""})
