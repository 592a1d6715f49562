"""The signed one-click acknowledgement link sent in notice e-mails.

Why a confirmation button instead of acknowledging on GET: mail security scanners open every link in a
message; a GET that acknowledged would let a scanner say "received" for an office that never read the notice.
The link opens a page with one button; pressing it (a POST) acknowledges.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from handoff.access import disclosure
from handoff.audit import services as audit
from handoff.core import clock
from handoff.core.errors import HandoffError
from handoff.notices import services


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        notice = services.notice_for_ack_token(token)
    except HandoffError as exc:
        return render(request, "notices/ack.html", {"error": str(exc)}, status=400 if exc.code == "invalid" else 404)
    # the page is the office's reading: a release time only where the notice's decision let the jail tell it
    seen = disclosure.for_decision(notice.decision)
    tz = notice.request.facility.timezone  # the office reads the release by the jail's clock, zone named
    context = {"notice": notice, "now": clock.now(), "not_disclosed": seen.text,
               "release_local": clock.local_text(notice.release_at, tz, missing="-")}
    if request.method == "POST":
        try:
            with transaction.atomic():
                notice = services.acknowledge(notice.uid, office=notice.office, via="link")
                who = audit.PlainActor(kind="link", who=f"office:{notice.office.code} (signed link)",
                                       ip=str(request.META.get("REMOTE_ADDR", ""))[:80])
                audit.record(who, "notice.ack", object_type="notice", object_ids=[notice.pk],
                             detail={"via": "link"}, request=request)
        except HandoffError as exc:
            return render(request, "notices/ack.html", {**context, "error": str(exc)}, status=409)
        context["notice"] = notice
        context["done"] = True
    if notice.acknowledged_at is not None:
        context["acknowledged_local"] = clock.local_text(notice.acknowledged_at, tz)
    return render(request, "notices/ack.html", context)
