"""Pages that record what the law owes the person in custody: the attorney or designee who receives the
TRUTH Act copies (Cal. Gov. Code 7283.1(b)). Jail staff of the booking's facility only; every other role gets
404 (access.permissions `conceal`), so the page never confirms a booking or a contact to the federal side."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from handoff.audit import record
from handoff.casework import flow
from handoff.core import clock
from handoff.core.errors import Conflict, InvalidInput
from handoff.custody import contacts, interviews
from handoff.notices.models import Notice, NoticeKind
from handoff.web.clerk_forms import wall_time
from handoff.web.law_forms import AttorneyForm, InterviewForm
from handoff.web.views.clerk import _add_error, _booking, _booking_requests, _source
from handoff.web.views.common import audit_read, person_name


@require_http_methods(["GET", "POST"])
def booking_attorney(request: HttpRequest, facility: str, number: str) -> HttpResponse:
    """Record or change the person's attorney or designee; the e-mailed copies and their delivery evidence
    are listed below the form."""
    who, booking = _booking(request, facility, number)
    reqs = _booking_requests(who, booking)
    current = contacts.contact_for(booking)
    post = request.method == "POST"
    initial = {k: getattr(current, k) for k in contacts.FIELDS} if current is not None else {}
    form = AttorneyForm(request.POST if post else None, initial=initial)
    if post and form.is_valid():
        try:
            data = contacts.validate(form.cleaned_data)
            with transaction.atomic():
                contact, changes = flow.set_attorney_contact(booking, data, source=_source(who))
                record(who, "attorney.set", object_type="booking", object_ids=[booking.pk],
                       detail={"facility": booking.facility.code, "booking_number": booking.booking_number,
                               "relation": contact.relation, "fields": sorted(changes)}, request=request)
        except InvalidInput as exc:
            _add_error(form, exc.field, str(exc))
        else:
            if changes:
                messages.success(request, f"The {contact.get_relation_display().split(' (')[0].lower()} of booking "
                                          f"{booking.booking_number} is recorded; copies owed to them follow.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("web:booking_attorney", facility=booking.facility.code, number=booking.booking_number)
    if not post:
        audit_read(request, who, "attorney.read", "booking", [booking.pk])
    emails = list(Notice.objects.filter(booking=booking, kind=NoticeKind.EMAIL_ATTORNEY)
                  .prefetch_related("deliveries__attempt_log").order_by("pk"))
    return render(request, "web/booking_attorney.html", {
        "form": form, "booking": booking, "name": person_name(booking), "requests": reqs, "contact": current,
        "emails": emails, "tz": booking.facility.timezone}, status=400 if post else 200)


@require_http_methods(["GET", "POST"])
def booking_interview(request: HttpRequest, facility: str, number: str) -> HttpResponse:
    """Record an ICE request to interview the person and their answer, with the written consent form where
    the place's law requires one (Cal. Gov. Code 7283.1(a)); refused with the law's reason otherwise."""
    who, booking = _booking(request, facility, number)
    reqs = _booking_requests(who, booking)
    zone = clock.zone(booking.facility.timezone)
    post = request.method == "POST"
    form = InterviewForm(request.POST if post else None)
    status = 200
    if post and form.is_valid():
        d = form.cleaned_data

        def local(value: object) -> object:
            naive = wall_time(value)
            return naive.replace(tzinfo=zone) if naive is not None else None

        try:
            data = interviews.validate({**d, **{k: local(d[k]) for k in ("requested_at", "signed_at",
                                                                           "interview_at")}})
            with transaction.atomic():
                row = interviews.record(booking, data, source=_source(who))
                record(who, "interview.record", object_type="booking", object_ids=[booking.pk, row.pk],
                       detail={"facility": booking.facility.code, "booking_number": booking.booking_number,
                               "answer": row.answer, "rule": row.rule, "uncertain": row.rule_uncertain},
                       request=request)
        except InvalidInput as exc:
            _add_error(form, exc.field, str(exc))
            status = 422
            with transaction.atomic():
                record(who, "interview.record", outcome="failure", object_type="booking", object_ids=[booking.pk],
                       detail={"error": "invalid_input", "field": exc.field or ""}, request=request)
        except Conflict as exc:
            form.add_error(None, str(exc))
            status = 409
            with transaction.atomic():
                record(who, "interview.record", outcome="failure", object_type="booking", object_ids=[booking.pk],
                       detail={"error": "conflict"}, request=request)
        else:
            messages.success(request, f"Interview request recorded ({row.answer}).")
            return redirect("web:booking_interview", facility=booking.facility.code, number=booking.booking_number)
    elif post:
        status = 400
    if not post:
        audit_read(request, who, "interview.read", "booking", [booking.pk])
    return render(request, "web/booking_interview.html", {
        "form": form, "booking": booking, "name": person_name(booking), "requests": reqs,
        "rule": interviews.rule_for(booking), "records": list(booking.interviews.order_by("requested_at", "pk")),
        "languages": interviews.LANGUAGE_NAMES, "tz": booking.facility.timezone}, status=status)
