"""Notices: what the jail owes the office, and the office's acknowledgement."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status
from pydantic import Field

from handoff.access import scoping
from handoff.access.models import Role
from handoff.api import present
from handoff.api.common import actor_of, audited
from handoff.api.schemas import (
    ERRORS,
    ERRORS_409,
    DateTimeIn,
    HandoverIn,
    HandoverOut,
    NoticeList,
    NoticeOut,
    NoticeStatus,
    RequestId,
    UUIDText,
)
from handoff.core.errors import NotFound
from handoff.notices import letters
from handoff.notices import services as notices
from handoff.notices.models import LETTER_KINDS
from handoff.notices.payloads import iso

router = Router(tags=["notices"])


@router.get("/notices", response={200: NoticeList, **ERRORS}, url_name="api_notices")
def list_notices(
    request: HttpRequest,
    status: Annotated[NoticeStatus | None, Query()] = None,
    due_before: Annotated[DateTimeIn | None, Query(description="ISO 8601 date and time")] = None,
    request_id: Annotated[RequestId | None, Query()] = None,
    limit: Annotated[int, Query(), Field(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(), Field(ge=0, le=1_000_000)] = 0,
) -> Status[dict[str, Any]]:
    """Notices of the requests you may see, soonest due first."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        qs = scoping.notices_for(actor).select_related(
            "office", "booking", "request__facility__jurisdiction", "request__facility__city",
            "request__current_decision", "decision",
        )
        if status is not None:
            qs = qs.filter(status=status)
        if due_before is not None:
            qs = qs.filter(due_at__lt=due_before)
        if request_id is not None:
            qs = qs.filter(request__request_id=request_id)
        rows = list(qs.order_by("due_at", "pk")[offset: offset + limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        out = {"notices": [present.notice(actor, n) for n in rows], "limit": limit, "offset": offset,
               "next_offset": offset + limit if more else None}
        return out, [n.pk for n in rows], {"requests": sorted({n.request_id for n in rows})}

    return Status(200, audited(actor, "notice.list", "notice", run))


@router.post("/notices/{notice_id}/ack", response={200: NoticeOut, **ERRORS_409}, url_name="api_notice_ack")
def ack_notice(request: HttpRequest, notice_id: Annotated[UUIDText, Path()]) -> Status[dict[str, Any]]:
    """The office confirms it received a notice (idempotent)."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:

        notice = scoping.notices_for(actor).select_related("office").filter(uid=notice_id).first()
        if notice is None or (actor.role == Role.FEDERAL_OFFICER and notice.office_id not in actor.office_ids):
            raise NotFound(f"no notice {notice_id}")
        user = get_user_model().objects.get(pk=actor.user_id) if actor.user_id else None
        office = notice.office if actor.role == Role.FEDERAL_OFFICER else None
        acked = notices.acknowledge(notice.uid, office=office, user=user, via="api")
        acked = scoping.notices_for(actor).select_related(
            "office", "booking", "request__facility__jurisdiction", "request__facility__city").get(pk=acked.pk)
        return present.notice(actor, acked), [acked.pk], {"request": acked.request_id, "status": acked.status}

    return Status(200, audited(actor, "notice.ack", "notice", run, target=[notice_id]))


def _letter(actor: Any, notice_id: str) -> Any:
    """A letter the token's holder may see (jail staff of its facility; a federal office never sees letters to
    the person: access.permissions gives it no rule here, and scoping hides other facilities' letters)."""
    notice = scoping.notices_for(actor).select_related(
        "request", "request__facility", "request__office", "booking", "booking__person", "decision").filter(
        uid=notice_id, kind__in=LETTER_KINDS).first()
    if notice is None:
        raise NotFound(f"no letter {notice_id}")
    return notice


@router.get("/notices/{notice_id}/letter", response=ERRORS, url_name="api_notice_letter")
def get_letter(request: HttpRequest, notice_id: Annotated[UUIDText, Path()],
               lang: Annotated[Literal["en", "es"], Query()] = "en",
               format: Annotated[Literal["pdf", "html"], Query()] = "pdf") -> HttpResponse:
    """A letter to the person or their attorney or designee, as PDF (default) or HTML, English or Spanish."""
    actor = actor_of(request)

    def run() -> tuple[HttpResponse, list[int], dict[str, Any]]:
        notice = _letter(actor, notice_id)
        if format == "pdf":
            response = HttpResponse(letters.render_pdf(notice, lang), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="letter-{notice.uid}-{lang}.pdf"'
        else:
            response = HttpResponse(letters.render_html(notice, lang), content_type="text/html; charset=utf-8")
        return response, [notice.pk], {"request": notice.request.request_id, "format": format, "lang": lang}

    return audited(actor, "notice.read", "notice", run, target=[notice_id])


@router.post("/notices/{notice_id}/handover", response={200: HandoverOut, **ERRORS_409},
             url_name="api_notice_handover")
def post_handover(request: HttpRequest, notice_id: Annotated[UUIDText, Path()],
                  body: HandoverIn) -> Status[dict[str, Any]]:
    """Record that a letter was handed to the person or to their attorney or designee. A time before the
    letter existed, or in the future, is refused (400) with the reason."""
    actor = actor_of(request)

    def run() -> tuple[dict[str, Any], list[int], dict[str, Any]]:
        notice = _letter(actor, notice_id)
        at = body.handed_over_at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(notice.request.facility.timezone or "UTC"))
        user = get_user_model().objects.get(pk=actor.user_id) if actor.user_id else None
        h = notices.record_handover(notice.uid, to=body.to, handed_over_at=at, language=body.language,
                                    recipient=body.recipient, note=body.note, user=user)
        notice.refresh_from_db()
        out = {"notice_id": str(notice.uid), "kind": notice.kind, "to": body.to, "language": h.language,
               "handed_over_at": h.handed_over_at, "recorded_at": h.recorded_at, "status": notice.status}
        return out, [notice.pk], {"request": notice.request.request_id, "kind": notice.kind, "to": body.to,
                                  "at": iso(h.handed_over_at)}

    return Status(200, audited(actor, "letter.handover", "notice", run, target=[notice_id]))
