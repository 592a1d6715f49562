"""Helpers shared by the page views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from handoff.access.actor import Actor, actor_for_request
from handoff.audit import record
from handoff.notices.models import NoticeKind


def actor(request: HttpRequest) -> Actor:
    return actor_for_request(request)


def audit_read(request: HttpRequest, who: Actor, action: str, object_type: str, ids: Iterable[int | str]) -> None:
    """Reads of personal data are audited too (who saw which request, when)."""

    ids = list(ids)
    if not ids:
        return
    with transaction.atomic():
        record(who, action, object_type=object_type, object_ids=ids, request=request)


def notice_label(kind: str) -> str:

    try:
        return str(NoticeKind(kind).label)
    except ValueError:
        return kind


STATUS_TAG = {
    "scheduled": "",
    "sending": "bg-primary",
    "sent": "bg-primary-dark",
    "acknowledged": "bg-green",
    "cancelled": "bg-base",
    "failed": "bg-secondary-dark",
    "pending_review": "bg-gold text-ink",
}


def status_tag(status: str) -> str:
    return STATUS_TAG.get(status, "")


def person_name(booking: Any) -> str:
    person = getattr(booking, "person", None)
    if person is None:
        return ""
    middle = f" {person.middle_name}" if person.middle_name else ""
    return f"{person.last_name}, {person.first_name}{middle}"


def subject_name(req: Any) -> str:
    if req.booking_id and getattr(req, "booking", None) is not None:
        name = person_name(req.booking)
        if name:
            return name
    return f"{req.subject_last_name}, {req.subject_first_name}".strip(", ")


def staff_user(request: HttpRequest) -> Any:
    """The signed-in user (the permission middleware has already refused anonymous visitors here)."""
    return request.user
