"""The records clerk's pages: key in a request that came on paper (with its scan), record a release,
correct a booking. Thin: the forms check shape, casework.flow records the fact and re-decides in one
transaction, and every change writes an audit entry in that same transaction."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from handoff.access import scoping
from handoff.access.errors import Forbidden
from handoff.audit import record
from handoff.casework import flow
from handoff.core import clock
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.custody.models import Booking, RecordChange
from handoff.custody.services import CORRECTABLE
from handoff.jurisdictions.models import FederalOffice
from handoff.requests.inputs import RequestInput, SubjectInput
from handoff.requests.models import ImmigrationRequest, RequestAttachment
from handoff.web.clerk_forms import (
    CORRECTION_LABELS,
    KIND_FOR_FORM,
    CorrectionForm,
    ReleaseForm,
    RequestEntryForm,
    wall_time,
)
from handoff.web.views.common import actor, audit_read, person_name, staff_user

assert set(CORRECTION_LABELS) == set(CORRECTABLE), "the correction form and custody disagree on the fields"

#: where a service's field name lands on the entry form
ENTRY_FIELDS = {"request_id": "request_id", "kind": "form", "form": "form", "office": "office",
                "facility": "facility", "issued_at": "issued_at", "booking_number": "booking_number",
                "subject.last_name": "last_name", "subject.first_name": "first_name",
                "subject.date_of_birth": "date_of_birth", "subject.a_number": "a_number",
                "subject.fbi_number": "fbi_number", "subject.sex": "sex", "subject.citizenship": "citizenship",
                "subject": "booking_number", "warrant.type": "warrant_type",
                "warrant.form": "warrant_form", "basis": "basis", "lead_time_hours": "lead_time_hours"}


def _source(who: Any) -> str:
    return f"web:{who.who}"[:200]


def _add_error(form: forms.Form, field: str | None, message: str) -> None:
    form.add_error(field if field in form.fields else None, message)


def _writable_facilities(who: Any) -> list[Any]:
    out = []
    for f in scoping.facilities_for(who).order_by("code"):
        try:
            scoping.writable_facility(who, f.code)
        except (Forbidden, NotFound):
            continue
        out.append(f)
    return out


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """A detainer or notification request that came by fax or e-mail, keyed in with the scan attached."""
    who = actor(request)
    facilities = _writable_facilities(who)
    offices = list(FederalOffice.objects.order_by("code"))
    post = request.method == "POST"
    form = RequestEntryForm(request.POST if post else None, request.FILES if post else None,
                            facilities=facilities, offices=offices)
    if post and form.is_valid():
        d = form.cleaned_data
        # ids are unique per office and facility (review M8): only that namespace, which this clerk sees
        # whole, decides "already recorded"; the same number elsewhere is another request and tells nothing
        if ImmigrationRequest.objects.filter(request_id=d["request_id"].strip(), office__code=d["office"],
                                             facility__code=d["facility"]).exists():
            form.add_error("request_id", "A request with this number from this office for this facility is "
                                         "already recorded; open it instead.")
        else:
            data = RequestInput(
                request_id=d["request_id"].strip(), kind=KIND_FOR_FORM[d["form"]], form=d["form"],
                issued_at=wall_time(d["issued_at"]), office=d["office"], facility=d["facility"],
                booking_number=d["booking_number"].strip(),
                subject=SubjectInput(last_name=d["last_name"].strip(), first_name=d["first_name"].strip(),
                                     date_of_birth=d["date_of_birth"], a_number=d["a_number"],
                                     fbi_number=d["fbi_number"].strip().upper(), sex=d["sex"],
                                     citizenship=d["citizenship"].strip()),
                basis=tuple(d["basis"]), warrant_type=d["warrant_type"], warrant_form=d["warrant_form"].strip(),
                judicial_probable_cause=d["judicial_probable_cause"], lead_time_hours=d["lead_time_hours"],
                federal_aggravated_felony_conviction=d["federal_aggravated_felony_conviction"],
                federal_outstanding_felony_warrant=d["federal_outstanding_felony_warrant"],
                federal_terrorist_screening_match=d["federal_terrorist_screening_match"],
            )
            scan = form.scan_file
            assert scan is not None
            try:
                with transaction.atomic():
                    scoping.writable_facility(who, data.facility)
                    received = flow.receive(data, source=_source(who))
                    req = received.request
                    kept = RequestAttachment.objects.create(
                        request=req, filename=scan.filename, content_type=scan.content_type,
                        size=len(scan.content), sha256=scan.sha256, content=scan.content,
                        uploaded_by=staff_user(request), uploaded_at=clock.now())
                    record(who, "request.enter", object_type="request", object_ids=[req.request_id, kept.pk],
                           detail={"form": data.form, "facility": data.facility, "office": data.office,
                                   "scan": {"type": scan.content_type, "bytes": len(scan.content),
                                            "sha256": scan.sha256}},
                           request=request)
            except InvalidInput as exc:
                _add_error(form, ENTRY_FIELDS.get(exc.field or ""), str(exc))
            except (Forbidden, NotFound):
                form.add_error("facility", "You do not record requests for that facility.")
            else:
                messages.success(request, f"Request {req.request_id} recorded with its scanned form; status: "
                                          f"{req.get_status_display().lower()}.")
                return HttpResponseRedirect(
                    reverse("web:request_detail", args=[req.request_id]) + scoping.request_query(who, req))
    return render(request, "web/request_new.html", {"form": form, "facilities": facilities},
                  status=400 if post else 200)


@require_http_methods(["GET", "HEAD"])
def request_scan(request: HttpRequest, request_id: str, scan_id: int) -> HttpResponse:
    """The scanned form, shown in the browser (served with its checked type, never sniffed)."""
    who = actor(request)
    try:
        req = scoping.get_request(who, request_id, **scoping.request_qualifiers(request.GET))
    except NotFound:
        raise Http404("request not found") from None
    if not who.has_role("jail_clerk", "jail_supervisor", "county_counsel", "auditor", "admin"):
        raise Http404("scan not found")  # the federal side sent it; the jail's copy is the jail's
    scan = RequestAttachment.objects.filter(request=req, pk=scan_id).first()
    if scan is None:
        raise Http404("scan not found")
    audit_read(request, who, "request.scan.read", "request", [req.request_id, scan.pk])
    response = HttpResponse(bytes(scan.content), content_type=scan.content_type)
    response["Content-Disposition"] = f'inline; filename="{scan.filename.replace(chr(34), "")}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _booking(request: HttpRequest, facility: str, number: str) -> tuple[Any, Booking]:
    who = actor(request)
    try:
        fac = scoping.writable_facility(who, facility)
    except (Forbidden, NotFound):
        raise Http404("booking not found") from None
    booking = Booking.objects.filter(facility=fac, booking_number=number).select_related(
        "person", "facility").first()
    if booking is None:
        raise Http404("booking not found")
    return who, booking


def _booking_requests(who: Any, booking: Booking) -> list[Any]:
    return list(scoping.requests_for(who).filter(booking=booking).order_by("received_at"))


def _back_to(booking: Booking, reqs: list[Any]) -> HttpResponse:
    if reqs:
        return redirect("web:request_detail", request_id=reqs[0].request_id)
    return redirect("web:jail")


@require_http_methods(["GET", "POST"])
def booking_release(request: HttpRequest, facility: str, number: str) -> HttpResponse:
    """Record a release as it happens: the time, the type, the reason, and to whom."""
    who, booking = _booking(request, facility, number)
    reqs = _booking_requests(who, booking)
    post = request.method == "POST"
    form = ReleaseForm(request.POST if post else None,
                       initial={"released_at": clock.now().astimezone(_zone(booking)).replace(tzinfo=None),
                                "release_type": booking.release_type})
    if post and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                result = flow.record_release_to(booking.facility.code, booking.booking_number,
                                                wall_time(d["released_at"]), d["release_reason"],
                                                d["release_type"], released_to=d["released_to"],
                                                source=_source(who))
                record(who, "booking.release", object_type="booking", object_ids=[booking.pk],
                       detail={"facility": booking.facility.code, "booking_number": booking.booking_number,
                               "released_at": result.obj.released_at.isoformat() if result.obj.released_at else "",
                               "release_type": d["release_type"], "release_reason": d["release_reason"],
                               "released_to": d["released_to"]}, request=request)
        except InvalidInput as exc:
            _add_error(form, exc.field, str(exc))
        except (Conflict, NotFound) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Release of booking {booking.booking_number} recorded; the notices follow.")
            return _back_to(booking, reqs)
    if not post:
        audit_read(request, who, "booking.read", "booking", [booking.pk])
    return render(request, "web/booking_release.html", {
        "form": form, "booking": booking, "name": person_name(booking), "requests": reqs,
        "tz": booking.facility.timezone}, status=400 if post else 200)


@require_http_methods(["GET", "POST"])
def booking_correct(request: HttpRequest, facility: str, number: str) -> HttpResponse:
    """Correct one field of a booking or of the booked person; the old value stays in the record history."""
    who, booking = _booking(request, facility, number)
    reqs = _booking_requests(who, booking)
    post = request.method == "POST"
    form = CorrectionForm(request.POST if post else request.GET or None)
    if post and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                result = flow.correct_booking(booking, d["field"], d["value"], reason=d["reason"],
                                              source=_source(who))
                record(who, "booking.correct", object_type="booking", object_ids=[booking.pk],
                       detail={"field": d["field"], "changes": result.changes, "reason": d["reason"]},
                       request=request)
        except InvalidInput as exc:
            form.add_error("value", str(exc))
        else:
            if result.outcome == "unchanged":
                messages.info(request, f"{CORRECTION_LABELS[d['field']]} already had that value; nothing changed.")
            else:
                messages.success(request, f"{CORRECTION_LABELS[d['field']]} corrected; the old value is kept in "
                                          "the record history.")
            return redirect("web:booking_correct", facility=booking.facility.code, number=booking.booking_number)
    if not post:
        audit_read(request, who, "booking.read", "booking", [booking.pk])
        form = CorrectionForm(initial={"field": request.GET.get("field", "scheduled_release_at")})
    history = list(RecordChange.objects.filter(model="Booking", object_id=booking.pk).order_by("-changed_at", "-pk")
                   [:50]) + list(RecordChange.objects.filter(model="Person", object_id=booking.person_id)
                                 .order_by("-changed_at", "-pk")[:50])
    history.sort(key=lambda c: (c.changed_at, c.pk), reverse=True)
    rows = [{"when": c.changed_at, "field": CORRECTION_LABELS.get(k, k.replace("_", " ")), "old": v[0],
             "new": v[1], "source": c.source} for c in history for k, v in c.changes.items()
            if isinstance(v, list) and len(v) == 2]
    current = [(CORRECTION_LABELS[f], getattr(booking.person if hasattr(booking.person, f) and
                                              not hasattr(booking, f) else booking, f)) for f in CORRECTABLE]
    return render(request, "web/booking_correct.html", {
        "form": form, "booking": booking, "name": person_name(booking), "requests": reqs, "history": rows,
        "current": current, "tz": booking.facility.timezone}, status=400 if post else 200)


def _zone(booking: Booking) -> ZoneInfo:
    return ZoneInfo(booking.facility.timezone)
