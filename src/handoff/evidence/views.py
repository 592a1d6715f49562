"""The evidence pages: jail staff record how a request ended; county counsel replay their requests under
another law. Thin: the work is in handoff.evidence.services / whatif and notices.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handoff.access import scoping
from handoff.access.actor import actor_for_request
from handoff.access.errors import Forbidden
from handoff.audit import record
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.evidence.forms import RecordOutcomeForm, WhatIfForm
from handoff.evidence.outcomes import LABELS
from handoff.evidence.services import outcome_of
from handoff.evidence.whatif import replay

MAX_ROWS = 500  # rows of the request-by-request table on the page (the CLI and JSON give all)


def _user(request: HttpRequest) -> Any:
    """The signed-in user (the permission middleware has refused anonymous visitors before this)."""
    return request.user if request.user.is_authenticated else None


@require_http_methods(["GET", "POST"])
def record_outcome(request: HttpRequest, request_id: str) -> HttpResponse:
    from handoff.notices.services import record_outcome as store

    who = actor_for_request(request)
    try:
        req = scoping.get_request(who, request_id, **scoping.request_qualifiers(request.GET))
    except NotFound:
        raise Http404("request not found") from None
    try:
        scoping.writable_facility(who, req.facility.code)
    except (Forbidden, NotFound):
        return HttpResponseForbidden("This request is not at a facility you record for.")
    form = RecordOutcomeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        booking = req.booking
        if booking is None:
            form.add_error(None, "This request has no booking yet: match it to a booking first.")
        if form.is_valid() and booking is not None:
            try:
                with transaction.atomic():
                    outcome = store(booking, form.cleaned_data["outcome"], user=_user(request), source="staff",
                                    note=form.cleaned_data["note"], request=req)
                    record(who, "outcome.record", object_type="request", object_ids=[req.request_id, outcome.pk],
                           detail={"outcome": outcome.kind}, request=request)
            except (Conflict, InvalidInput) as exc:
                form.add_error("outcome", str(exc))
            else:
                messages.success(request, f"Outcome recorded for request {req.request_id}: "
                                          f"{LABELS[outcome.kind]}.")
                return redirect("web:request_detail", request_id=req.request_id)
        status = 400
    kind, recorded = outcome_of(req)
    with transaction.atomic():
        record(who, "request.read", object_type="request", object_ids=[req.request_id], request=request)
    return render(request, "evidence/record_outcome.html", {
        "req": req, "form": form, "current": LABELS[kind], "recorded": recorded,
        "facility": scoping.label_facility(who, req.facility),
    }, status=status)


@require_http_methods(["GET"])
def whatif(request: HttpRequest) -> HttpResponse:
    who = actor_for_request(request)
    facilities = list(scoping.facilities_for(who).values_list("pk", flat=True))
    form = WhatIfForm(request.GET if "chain" in request.GET else None)
    result: Any = None
    error = ""
    if form.is_bound and form.is_valid():
        try:
            result = replay(form.cleaned_data["chain"], start=form.cleaned_data.get("start"),
                            end=form.cleaned_data.get("end"), facilities=facilities)
        except InvalidInput as exc:
            form.add_error("chain", str(exc).removeprefix("--chain: "))
        else:
            with transaction.atomic():
                record(who, "whatif.view", object_type="request",
                       object_ids=[r.request_id for r in result.requests][:1000],
                       detail={"chain": result.chain, "requests": len(result.requests)}, request=request)
    changed = [r for r in result.requests if r.differs][:MAX_ROWS] if result else []
    return render(request, "evidence/whatif.html", {
        "form": form, "result": result, "totals": result.totals() if result else None, "changed": changed,
        "max_rows": MAX_ROWS, "error": error, "places": len(facilities),
    }, status=400 if form.is_bound and not form.is_valid() else 200)
