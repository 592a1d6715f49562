"""The federal office dashboard: upcoming releases in the places the office covers with their notices, the
acknowledge button, the pickup outcome, and what each covered jurisdiction's law allows (so an officer can
see why a county declined before calling it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from handoff.access import disclosure, scoping
from handoff.audit import record
from handoff.core import clock
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.jurisdictions.models import Jurisdiction
from handoff.jurisdictions.services import policy_chain
from handoff.notices.models import LETTER_KINDS, NoticeStatus
from handoff.notices.services import acknowledge, record_outcome
from handoff.policy.registry import registry
from handoff.requests.models import RequestStatus
from handoff.web.forms import OutcomeForm
from handoff.web.views.common import actor, audit_read, staff_user, subject_name

UPCOMING_DAYS = 7
RECENT_RELEASE_HOURS = 48


def _law_for(who: Any, places: list[Jurisdiction]) -> list[dict[str, Any]]:

    reg = registry()
    today = clock.now().date()
    out = []
    for j in places:
        policies = []
        for pid in policy_chain(j):
            doc = reg.policies.get(pid)
            if doc is None:
                continue
            version = doc.version_at(today)
            policies.append({"doc": doc, "version": version,
                             "defaults": dict(version.defaults) if version else {},
                             "rules": list(version.rules) if version else []})
        out.append({"label": scoping.label_jurisdiction(who, j), "jurisdiction": j, "policies": policies})
    return out


def _office_context(request: HttpRequest) -> dict[str, Any]:

    who = actor(request)
    now = clock.now()
    reqs = scoping.requests_for(who).exclude(status=RequestStatus.WITHDRAWN).select_related(
        "facility", "facility__jurisdiction", "booking", "booking__person", "current_decision", "office",
        "booking__notice_outcome",
    )
    withheld = 0
    if disclosure.is_federal(who):
        # release times and custody status only where the current decision lets the jail tell the office
        # (notify, not awaiting review): security review C1, law review X1
        withheld = reqs.filter(booking__isnull=False).exclude(
            current_decision__notify=True, current_decision__review=False).count()
        reqs = reqs.filter(current_decision__notify=True, current_decision__review=False)
    upcoming = list(
        reqs.filter(booking__released_at__isnull=True, booking__scheduled_release_at__gte=now - timedelta(hours=12),
                    booking__scheduled_release_at__lte=now + timedelta(days=UPCOMING_DAYS))
        .order_by("booking__scheduled_release_at", "pk")[:200]
    )
    released = list(
        reqs.filter(booking__released_at__gte=now - timedelta(hours=RECENT_RELEASE_HOURS))
        .order_by("-booking__released_at", "pk")[:100]
    )
    ids = [r.pk for r in upcoming + released]
    by_request: dict[int, list[Any]] = {}
    for n in (scoping.notices_for(who).filter(request__in=ids).exclude(kind__in=LETTER_KINDS)
              .exclude(status=NoticeStatus.CANCELLED).order_by("due_at", "pk")):
        by_request.setdefault(n.request_id, []).append(n)
    unacked = list(
        scoping.notices_for(who).filter(status=NoticeStatus.SENT).exclude(kind__in=LETTER_KINDS)
        .select_related("request", "request__facility", "booking", "booking__person").order_by("release_at")[:100]
    )
    covered = list(Jurisdiction.objects.filter(pk__in=who.covered_ids).order_by("fips")) if who.covered_ids else []
    if who.is_global and not covered:
        covered = list(Jurisdiction.objects.filter(facilities__isnull=False).distinct().order_by("fips"))
    offices = list(who.office_ids)

    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [{"req": r, "name": subject_name(r), "notices": by_request.get(r.pk, []),
                 "facility_label": scoping.label_facility(who, r.facility),
                 "outcome": getattr(r.booking, "notice_outcome", None) if r.booking else None} for r in items]

    return {
        "who": who, "now": now, "upcoming": rows(upcoming), "released": rows(released),
        "unacked": [(n, subject_name(n.request)) for n in unacked],
        "law": _law_for(who, covered), "outcome_form": OutcomeForm(), "upcoming_days": UPCOMING_DAYS,
        "recent_hours": RECENT_RELEASE_HOURS, "offices": offices, "withheld": withheld,
        "can_act": who.has_role("federal_officer") and who.can_write,
        "shown_ids": sorted({r.request_id for r in upcoming + released} | {n.request.request_id for n in unacked}),
    }


@require_http_methods(["GET", "HEAD"])
def office_dashboard(request: HttpRequest) -> HttpResponse:
    ctx = _office_context(request)
    audit_read(request, ctx["who"], "request.list", "request", ctx["shown_ids"])
    return render(request, "web/office.html", ctx)


CSV_COLUMNS = ["request_id", "kind", "status", "facility", "booking_number", "notify", "hold", "transfer",
               "review", "scheduled_release_at", "released_at", "in_custody", "not_disclosed"]


@require_http_methods(["GET", "HEAD"])
def office_csv(request: HttpRequest) -> HttpResponse:
    """The office's requests as CSV. Release times and custody status follow each request's decision exactly
    as on the API and the pages: blank, with "not disclosed" and the citation, where the law withholds them."""
    import csv
    import io

    from handoff.requests.models import RequestStatus

    who = actor(request)
    reqs = list(scoping.requests_for(who).select_related(
        "facility", "facility__jurisdiction", "facility__city", "booking", "current_decision")
        .order_by("received_at", "pk")[:5000])
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(CSV_COLUMNS)
    for r in reqs:
        seen = disclosure.for_request(who, r)
        d = r.current_decision if r.current_decision_id else None
        b = r.booking if (r.booking_id and seen.allowed) else None
        status = RequestStatus.WAITING.value if (disclosure.is_federal(who) and r.status == "review") else r.status
        row = [
            r.request_id, r.kind, status, scoping.facility_code(who, r.facility), r.booking_number,
            "" if d is None else str(d.notify).lower(), "" if d is None else d.hold,
            "" if d is None else d.transfer, "" if d is None else str(d.review).lower(),
            b.scheduled_release_at.isoformat() if b is not None and b.scheduled_release_at else "",
            b.released_at.isoformat() if b is not None and b.released_at else "",
            "" if b is None else str(b.released_at is None).lower(),
            seen.text,
        ]
        if not scoping.sees_facility(who, r.facility):  # embedded codes, citations naming the place (H1, M1)
            row[-1] = scoping.label_disclosure_text(who, r.facility, seen.text) or ""
            row = scoping.redact(who, row)
        out.writerow(row)
    audit_read(request, who, "request.export", "request", [r.request_id for r in reqs])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="requests.csv"'
    return response


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:office")


@require_POST
def notice_ack(request: HttpRequest, notice_id: str) -> HttpResponse:

    who = actor(request)
    notice = scoping.notices_for(who).filter(uid=notice_id if _uuid_ok(notice_id) else None).first()
    if notice is None:
        raise Http404("notice not found")
    if who.role == "federal_officer" and notice.office_id not in who.office_ids:
        messages.error(request, "Only the office the notice was sent to can acknowledge it.")
        return _back(request)
    try:
        with transaction.atomic():
            # an officer acknowledges for the office the notice went to; scoping above already proved reach
            acknowledge(notice.uid, user=staff_user(request), via="web")
            record(who, "notice.ack", object_type="notice", object_ids=[notice.pk], request=request)
    except (Conflict, NotFound, InvalidInput) as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, f"Notice for request {notice.request.request_id} acknowledged.")
    return _back(request)


def _uuid_ok(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@require_POST
def request_outcome(request: HttpRequest, request_id: str) -> HttpResponse:

    who = actor(request)
    try:
        req = scoping.get_request(who, request_id, **scoping.request_qualifiers(request.GET))
    except NotFound:
        raise Http404("request not found") from None
    form = OutcomeForm(request.POST)
    if not form.is_valid() or req.booking is None:
        messages.error(request, "Choose what happened at the release." if req.booking else "The request has no booking.")
        return _back(request)
    if who.role == "federal_officer" and req.booking.released_at is None:
        # security review M14: an office cannot record how a request ended while the jail still holds the person
        messages.error(request, "The person has not been released: the jail records the outcome while it holds them.")
        return _back(request)
    try:
        with transaction.atomic():
            outcome = record_outcome(req.booking, form.cleaned_data["outcome"], user=staff_user(request),
                                     source="staff", note=form.cleaned_data.get("note", ""), request=req)
            record(who, "outcome.record", object_type="request", object_ids=[req.request_id, outcome.pk],
                   detail={"outcome": outcome.kind}, request=request)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, f"Outcome recorded for request {req.request_id}: {outcome.get_kind_display()}.")
    return _back(request)
