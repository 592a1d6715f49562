"""The request page: the facts, the decision with every rule, the notice timeline with every attempt, the
letters ready to print, and the two things a person may do here: confirm an uncertain match (jail staff) and
override a decision the law leaves to a supervisor (reason required, audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from handoff.access import disclosure, scoping
from handoff.audit import record
from handoff.casework import flow
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.evidence.outcomes import LABELS as OUTCOME_LABELS
from handoff.evidence.services import outcome_of
from handoff.notices import letters
from handoff.notices.models import LETTER_KINDS
from handoff.web import forms as web_forms
from handoff.web.forms import ConfirmMatchForm, LinkForm, OverrideForm
from handoff.web.views import compare
from handoff.web.views.common import actor, audit_read, person_name, staff_user, subject_name


def _get(request: HttpRequest, request_id: str) -> Any:
    try:
        return scoping.get_request(actor(request), request_id, **scoping.request_qualifiers(request.GET))
    except NotFound:
        raise Http404("request not found") from None


def _to_detail(request: HttpRequest, req: Any) -> HttpResponse:
    """Back to the request's page; told apart by office and facility when its id is not unique (M8)."""
    url = reverse("web:request_detail", args=[req.request_id])
    return HttpResponseRedirect(url + scoping.request_query(actor(request), req))


def _candidates(req: Any, who: Any) -> list[tuple[int, str]]:
    """The review form's choices, best score first, each telling the candidates apart (name, birth date,
    booking date) with the comparison table above the form showing every field."""
    return [(c.booking.pk, f"{c.label}: {person_name(c.booking)}, born "
             f"{c.booking.person.date_of_birth.isoformat() if c.booking.person.date_of_birth else 'unknown'}, "
             f"booked {c.booking.booked_at.date().isoformat()}")
            for c in compare.build(req, who).candidates]


def detail_context(request: HttpRequest, req: Any) -> dict[str, Any]:

    who = actor(request)
    seen = disclosure.for_request(who, req)
    # a federal reader sees the booked person, release, charges and history only where the decision lets
    # the jail tell it (README "What each party sees"); otherwise only what its own request said
    booking = req.booking if seen.allowed else None
    person = booking.person if booking is not None else None
    charges = list(booking.charges.all()) if booking is not None else []
    convictions = list(person.convictions.all()) if person is not None else []
    federal = disclosure.is_federal(who)
    decisions = list(scoping.decisions_for(who).filter(request=req).select_related("override_by").order_by("-evaluated_at", "-pk"))
    notices = list(
        scoping.notices_for(who).filter(request=req).select_related("office", "acknowledged_by").prefetch_related(
            "deliveries", "deliveries__attempt_log"
        ).order_by("created_at", "pk")
    )
    letters = [] if federal else [n for n in notices if n.kind in LETTER_KINDS]
    office_notices = [n for n in notices if n.kind not in LETTER_KINDS]
    timeline = []
    for n in office_notices:
        attempts = sorted(
            (a for d in n.deliveries.all() for a in d.attempt_log.all()), key=lambda a: (a.attempted_at, a.pk)
        )
        timeline.append({"notice": n, "attempts": attempts, "deliveries": list(n.deliveries.all()),
                         "withheld": not (seen.allowed or disclosure.office_was_told(n))})
    current = req.current_decision
    reasons = list(current.reasons) if current is not None else []
    if not seen.allowed:  # a rule's detail repeats the facts (charges, history) the reader may not see
        reasons = [{**r, "detail": ""} if isinstance(r, dict) else r for r in reasons]
    not_disclosed = seen.text
    booking_number = booking.booking_number if booking is not None else ""
    override_reason = current.override_reason if current is not None else ""
    policies = list(current.policies or []) if current is not None else []
    if not scoping.sees_facility(who, req.facility):
        # a reader who gets the place's label reads no policy, rule or citation of its law, and no booking
        # number or note that embeds its code (review H2, M1): the same labels as the API and the notices
        labelled = scoping.label_decision(who, req.facility, {"reasons": reasons, "policies": policies}) or {}
        reasons, policies = labelled.get("reasons", []), labelled.get("policies", [])
        not_disclosed = scoping.label_disclosure_text(who, req.facility, not_disclosed) or ""
        booking_number = scoping.redact(who, booking_number)
    # a supervisor's reason and name, whole or withheld whole, on every decision shown (review H2, L9)
    for d in decisions + ([current] if current is not None else []):
        d.shown_reason, d.shown_by = scoping.label_override(
            who, req.facility, d.override_reason or "", d.override_by.get_username() if d.override_by else "")
    if current is not None:
        override_reason = current.shown_reason
    is_supervisor = who.has_role("jail_supervisor", "admin")
    jail_side = who.has_role("jail_clerk", "jail_supervisor", "county_counsel", "auditor", "admin")
    scans = list(req.attachments.defer("content").order_by("uploaded_at", "pk")) if jail_side else []
    return {
        "scans": scans,
        "can_record": bool(who.has_role("jail_clerk", "jail_supervisor", "admin") and who.can_write),
        "req": req,
        "qualify": scoping.request_query(actor(request), req),  # forms post back to this one request (review M8)
        "who": who,
        "booking": booking,
        "person": person,
        "name": subject_name(req) if seen.allowed else
                f"{req.subject_last_name}, {req.subject_first_name}".strip(", "),
        "not_disclosed": not_disclosed,
        "booking_number": booking_number,
        "override_reason": override_reason,
        "policies": policies,
        "status_label": ("Waiting for booking" if federal and req.status == "review" else req.get_status_display()),
        "reasons": reasons,
        "tz": req.facility.timezone,
        "facility_label": scoping.label_facility(who, req.facility),
        "charges": charges,
        "convictions": convictions,
        "decision": current,
        "history": decisions[1:] if decisions and current and decisions[0].pk == current.pk else decisions,
        "timeline": timeline,
        "letters": letters,
        "can_override": bool(current and current.review and is_supervisor and who.can_write),
        "override_form": OverrideForm(),
        "can_confirm": bool(req.status == "review" and who.has_role("jail_clerk", "jail_supervisor", "admin")),
        "match_note": "" if federal else req.match_note,
        "confirm_form": ConfirmMatchForm(candidates=_candidates(req, who)) if req.status == "review" else None,
        "comparison": compare.build(req, who) if req.status == "review" and not federal else None,
        "can_ack": who.has_role("federal_officer"),
        "can_link": bool(req.status != "withdrawn" and not req.historical and who.can_write
                         and who.has_role("jail_clerk", "jail_supervisor", "admin")),
        "link_form": LinkForm(initial={"booking": (request.GET.get("link") or "")[:130]}),
        # how the request ended (issue 11): shown where the reader may see the booking, since an outcome tells
        # whether and how the person left; jail staff go on to the outcome page to record it
        "outcome": _outcome(req) if seen.allowed and booking is not None else None,
        "can_record_outcome": bool(booking is not None and who.can_write
                                   and who.has_role("jail_clerk", "jail_supervisor", "admin")),
    }


def _outcome(req: Any) -> dict[str, Any]:
    kind, recorded = outcome_of(req)
    return {"kind": kind, "label": OUTCOME_LABELS[kind], "recorded": recorded}


@require_http_methods(["GET", "HEAD"])
def request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    req = _get(request, request_id)
    ctx = detail_context(request, req)
    audit_read(request, ctx["who"], "request.read", "request", [req.request_id])
    return render(request, "web/request_detail.html", ctx)


@require_POST
def request_review(request: HttpRequest, request_id: str) -> HttpResponse:
    """Jail staff confirm which booking an uncertain request is about; the law is then applied to it."""
    req = _get(request, request_id)
    who = actor(request)
    form = ConfirmMatchForm(request.POST, candidates=_candidates(req, who))
    if not form.is_valid():
        ctx = detail_context(request, req)
        ctx["confirm_form"] = form
        return render(request, "web/request_detail.html", ctx, status=400)
    if form.cleaned_data["booking"] == web_forms.NONE_OF_THESE:
        try:
            with transaction.atomic():
                ruled_out = list(req.match_candidates or [])
                flow.reject_candidates(req, by=staff_user(request), reason=form.cleaned_data["note"])
                record(who, "request.match_reject", object_type="request", object_ids=[req.request_id, *ruled_out],
                       detail={"note_chars": len(form.cleaned_data["note"]), "status": req.status},
                       request=request)
        except (InvalidInput, Conflict) as exc:
            messages.error(request, str(exc))
            return _to_detail(request, req)
        messages.success(request, "None of these: the candidates are ruled out; the request "
                                  + ("waits for its booking." if req.status == "waiting" else "has other candidates."))
        return _to_detail(request, req)
    booking = scoping.bookings_for(who).get(pk=form.cleaned_data["booking"])
    try:
        with transaction.atomic():
            flow.confirm_match(req, booking, by=staff_user(request), note=form.cleaned_data["note"])
            record(who, "request.match_confirm", object_type="request", object_ids=[req.request_id, booking.pk],
                   detail={"note_chars": len(form.cleaned_data["note"])}, request=request)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, str(exc))
        return _to_detail(request, req)
    messages.success(request, f"Booking {booking.booking_number} confirmed; the law has been applied.")
    return _to_detail(request, req)


@require_POST
def request_override(request: HttpRequest, request_id: str) -> HttpResponse:
    req = _get(request, request_id)
    who = actor(request)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        ctx = detail_context(request, req)
        ctx["override_form"] = form
        return render(request, "web/request_detail.html", ctx, status=400)
    try:
        with transaction.atomic():
            previous = req.current_decision
            row = flow.override_decision(req, staff_user(request), form.cleaned_data["reason"], **form.choices())
            record(who, "decision.override", object_type="decision",
                   object_ids=[row.pk] + ([previous.pk] if previous else []),
                   detail={"request_id": req.request_id, "reason": form.cleaned_data["reason"],
                           **{k: v for k, v in form.choices().items() if v is not None}},
                   request=request)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, str(exc))
        return _to_detail(request, req)
    messages.success(request, "Override recorded. The notices follow the new decision.")
    return _to_detail(request, req)


@require_http_methods(["GET", "HEAD"])
def letter(request: HttpRequest, notice_id: str) -> HttpResponse:
    """A letter to the person or their attorney, ready to print (the browser's print, or the PDF)."""

    who = actor(request)
    notice = (
        scoping.notices_for(who).filter(uid=notice_id if _is_uuid(notice_id) else None, kind__in=LETTER_KINDS)
        .select_related("request", "request__facility", "booking", "booking__person", "decision", "office")
        .first()
    )
    if notice is None:
        raise Http404("letter not found")
    lang = request.GET.get("lang", "en")
    if lang not in ("en", "es"):
        lang = "en"
    body = _letter_html(notice, lang)
    audit_read(request, who, "notice.read", "notice", [notice.pk])
    return render(request, "web/letter.html", {"notice": notice, "body": body, "lang": lang, "req": notice.request})


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _letter_html(notice: Any, lang: str) -> str:
    """The notices app renders letters (HTML/PDF, English and Spanish); this page frames one for printing."""

    return str(letters.render_html(notice, lang))
