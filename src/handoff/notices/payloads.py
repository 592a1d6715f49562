"""What a notice says to the office: the JSON body of INTERFACES.md ("Notices to a federal office").

Why the subject is the office's own description (the request's subject fields) rather than our custody record:
the office needs to match the notice to its case, and telling it no more about the person than it already
sent keeps the disclosure to what the decision permits.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handoff.access import disclosure, scoping
from handoff.access.actor import Actor, actor_for_office
from handoff.notices.models import Channel, Delivery, Notice


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _confidential_place(facility: Any) -> bool:
    """Whether the facility's county or city is confidential (only then can the recipient get a label)."""
    if facility.jurisdiction.confidential:
        return True
    return facility.city_id is not None and facility.city.confidential


def recipient(notice: Notice) -> Actor | None:
    """The office a notice goes to, as a reader, when it may get the place's label; None when it sees the
    place (the usual case: no query is spent on it)."""
    facility = notice.request.facility
    if not _confidential_place(facility):
        return None
    reader = actor_for_office(notice.office)
    return None if scoping.sees_facility(reader, facility) else reader


def decision_payload(notice: Notice, reader: Actor | None = None) -> dict[str, Any] | None:
    d = notice.decision
    if d is None:
        return None
    full: dict[str, Any] | None = {"policies": list(d.policies or []),
                                   "reasons": [r for r in (d.reasons or []) if isinstance(r, dict)]}
    if reader is not None:  # the recipient gets the label: no policy, rule or cite of the place's law (H1)
        full = scoping.label_decision(reader, notice.request.facility, full)
    assert full is not None
    reasons = [
        {"rule": r.get("rule", ""), "cite": r.get("cite", ""), "holds": r.get("holds")}
        for r in full["reasons"]
    ]
    return {
        "policies": full["policies"],
        "evaluated_at": iso(d.evaluated_at),
        "notify": d.notify,
        "hold": d.hold,
        "transfer": d.transfer,
        "lead_time_hours": d.lead_time_hours,
        "calendar": d.calendar,
        "reasons": reasons,
    }


def build(notice: Notice, delivery: Delivery | None, sent_at: datetime) -> dict[str, Any]:
    """The body for one attempt. Notice, request, facility, booking, decision and supersedes should be
    loaded with select_related by the caller (the worker does) so building costs no queries."""
    req = notice.request
    booking = notice.booking
    reader = recipient(notice)
    body: dict[str, Any] = {
        "type": notice.kind,
        "notice_id": str(notice.uid),
        "request_id": req.request_id,
        "facility": req.facility.code,
        "booking_number": booking.booking_number if booking is not None else req.booking_number,
        "subject": {
            "last_name": req.subject_last_name,
            "first_name": req.subject_first_name,
            "date_of_birth": req.subject_date_of_birth.isoformat() if req.subject_date_of_birth else None,
            "sex": req.subject_sex,
            "a_number": req.subject_a_number,
            "fbi_number": req.subject_fbi_number,
            "citizenship": req.subject_citizenship,
        },
        "release_at": iso(notice.release_at),
        "sent_at": iso(sent_at),
        "due_at": iso(notice.due_at),
        "not_disclosed": None,
        "short_notice": notice.short_notice,
        "decision": decision_payload(notice, reader),
        "ack": f"/api/v1/notices/{notice.uid}/ack",
    }
    seen = disclosure.for_decision(notice.decision)
    if not seen.allowed:
        # a declined request's answer (ORS 181A.826) or any notice whose decision does not let the jail tell
        # the office: no release or due time, nothing the decision was applied to (security review C1)
        body["release_at"] = None
        body["due_at"] = None
        body["not_disclosed"] = seen.text
        if body["decision"] is not None:
            for r in body["decision"]["reasons"]:
                r.pop("detail", None)
    if notice.supersedes_id is not None and notice.supersedes is not None:
        body["supersedes"] = str(notice.supersedes.uid)
    if delivery is not None and delivery.channel == Channel.ESCALATION:
        body["escalation"] = {"reason": delivery.reason, "office": notice.office.code}
    if reader is not None:
        # built for the recipient through the same labels as its pages (review H1, M1): the facility's label,
        # no citation naming the place, and no name or code left anywhere (booking numbers embed codes)
        body["facility"] = scoping.facility_code(reader, req.facility)
        body["not_disclosed"] = scoping.label_disclosure_text(reader, req.facility, body["not_disclosed"])
        body = scoping.redact(reader, body)
    return body


def encode(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)
