"""A letter's PDF and its hand-over, from the request page (issue 9 item 4).

Why their own module: the request page's view belongs to the clerk pages; these two only frame the notices
app's letter service for a browser."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from handoff.access import scoping
from handoff.audit import record
from handoff.core.errors import Conflict, InvalidInput
from handoff.notices import letters, services
from handoff.notices.models import LETTER_KINDS
from handoff.notices.payloads import iso
from handoff.web.forms import HandoverForm
from handoff.web.views.common import actor, audit_read, staff_user


def _letter(request: HttpRequest, notice_id: str) -> Any:
    who = actor(request)
    try:
        uid = uuid.UUID(notice_id)
    except ValueError:
        raise Http404("letter not found") from None  # a malformed id is the same as an unknown one
    notice = (scoping.notices_for(who).filter(uid=uid, kind__in=LETTER_KINDS)
              .select_related("request", "request__facility", "request__office", "booking", "booking__person",
                              "decision").first())
    if notice is None:
        raise Http404("letter not found")
    return notice


@require_http_methods(["GET", "HEAD"])
def letter_pdf(request: HttpRequest, notice_id: str) -> HttpResponse:
    """The letter as PDF, to print or to e-mail (English by default, ?lang=es for Spanish)."""
    notice = _letter(request, notice_id)
    lang = request.GET.get("lang", "en")
    if lang not in letters.LANGUAGES:
        lang = "en"
    response = HttpResponse(letters.render_pdf(notice, lang), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{notice.uid}-{lang}.pdf"'
    audit_read(request, actor(request), "notice.read", "notice", [notice.pk])
    return response


@require_POST
def letter_handover(request: HttpRequest, notice_id: str) -> HttpResponse:
    """Record a hand-over; refusals (before the letter existed, in the future, wrong addressee) come back
    as a message on the request page with their reason."""
    notice = _letter(request, notice_id)
    who = actor(request)
    back = redirect("web:request_detail", request_id=notice.request.request_id)
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Hand-over not recorded: " + "; ".join(
            f"{form.fields[f].label if f in form.fields else f}: {' '.join(str(m) for m in e)}"
            for f, e in form.errors.items()))
        return back
    at = form.cleaned_data["handed_over_at"]
    if at is not None:
        at = at.replace(tzinfo=ZoneInfo(notice.request.facility.timezone or "UTC"))
    try:
        with transaction.atomic():
            h = services.record_handover(notice.uid, to=form.cleaned_data["to"], handed_over_at=at,
                                         language=form.cleaned_data["language"],
                                         recipient=form.cleaned_data["recipient"], user=staff_user(request))
            record(who, "letter.handover", object_type="notice", object_ids=[notice.pk],
                   detail={"request": notice.request.request_id, "kind": notice.kind, "to": form.cleaned_data["to"],
                           "at": iso(h.handed_over_at)}, request=request)
    except (InvalidInput, Conflict) as exc:
        with transaction.atomic():
            record(who, "letter.handover", outcome="failure", object_type="notice", object_ids=[notice.pk],
                   detail={"error": exc.code}, request=request)
        messages.error(request, f"Hand-over not recorded: {exc}")
        return back
    messages.success(request, f"{notice.get_kind_display()}: hand-over to the {form.cleaned_data['to']} recorded.")
    return back
