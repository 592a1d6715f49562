"""Objects as the API shows them, with every place name passed through the confidential-cooperation labels.

Why labels here and not in the routes: a new field that names a facility is written once, here, against
the actor, so no route can forget it.
"""

from __future__ import annotations

from typing import Any

from handoff.access import disclosure, scoping
from handoff.access.actor import Actor
from handoff.access.models import Role
from handoff.custody.models import Booking
from handoff.jurisdictions.models import Facility
from handoff.requests import comparison
from handoff.requests.models import ImmigrationRequest
from handoff.requests.presenters import decision_json

#: the roles that resolve a match review, and so read its candidates (the same as the review form's)
MATCH_READERS = ("jail_clerk", "jail_supervisor", "admin")


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def match(actor: Actor, req: ImmigrationRequest) -> dict[str, Any] | None:
    """A request in review beside each candidate booking the reader may read: the score, the differences in
    words, and every compared field side by side with whether it differs. Why jail roles only: the candidates
    are other people's records, shown so that the person resolving the review can tell them apart; the federal
    office reads "waiting" for a request in review, and counsel and the auditor resolve nothing."""
    if req.status != "review" or not actor.has_role(*MATCH_READERS):
        return None
    found = comparison.candidates(req, scoping.bookings_for(actor))
    return {"candidates": [{
        "facility": scoping.facility_code(actor, c.booking.facility),
        "booking_number": c.booking.booking_number,
        "booked_at": c.booking.booked_at,
        "in_custody": c.booking.released_at is None,
        "score": c.score,
        "differences": c.differences,
        "charges": c.charges,
        "fields": [{"field": f.key, "label": f.label, "request": _text(f.request), "booking": _text(f.booking),
                    "differs": f.differs} for f in c.fields],
    } for c in found]}


def facility(actor: Actor, f: Facility) -> dict[str, Any]:
    j = f.jurisdiction
    sees = scoping.sees_jurisdiction(actor, j)
    return {
        "code": scoping.facility_code(actor, f),
        "name": scoping.label_facility(actor, f),
        "jurisdiction": {
            "fips": scoping.jurisdiction_code(actor, j),
            "name": scoping.label_jurisdiction(actor, j),
            "confidential": j.confidential if sees else None,
        },
    }


def _jail_side(actor: Actor) -> bool:
    """Jail staff (and admins, the system) see the arrest time: it is the jail's record, not the office's."""
    return actor.kind == "system" or actor.has_role(Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.ADMIN)


def booking(actor: Actor, b: Booking, f: Facility | None = None,
            seen: disclosure.Disclosure = disclosure.ALLOWED) -> dict[str, Any]:
    """A booking; its custody facts only where `seen` (the decision, for a federal reader) allows them."""
    f = f or b.facility
    if not seen.allowed:
        return {
            "facility": scoping.facility_code(actor, f),
            "booking_number": b.booking_number,
            "booked_at": None, "scheduled_release_at": None, "released_at": None,
            "release_type": None, "release_reason": None, "in_custody": None,
            **seen.as_json(),
        }
    return {
        "facility": scoping.facility_code(actor, f),
        "booking_number": b.booking_number,
        "booked_at": b.booked_at,
        "arrested_at": b.arrested_at if _jail_side(actor) else None,
        "scheduled_release_at": b.scheduled_release_at,
        "released_at": b.released_at,
        "release_type": b.release_type,
        "release_reason": b.release_reason,
        "in_custody": b.released_at is None,
        **seen.as_json(),
    }


def notice(actor: Actor, n: Any, req: ImmigrationRequest | None = None,
           seen: disclosure.Disclosure | None = None) -> dict[str, Any]:
    req = req or n.request
    b = n.booking if n.booking_id else None
    if seen is None:
        seen = disclosure.for_request(actor, req)
    told = seen.allowed or disclosure.office_was_told(n)
    out = {
        "notice_id": str(n.uid),
        "kind": n.kind,
        "status": n.status,
        "request_id": req.request_id,
        "office": n.office.code,
        "facility": scoping.facility_code(actor, req.facility),
        "booking_number": b.booking_number if b is not None else req.booking_number,
        "due_at": n.due_at if told else None,
        "release_at": n.release_at if told else None,
        "short_notice": n.short_notice,
        "missed": n.missed,
        "sent_at": n.sent_at,
        "acknowledged_at": n.acknowledged_at,
        "escalated_at": n.escalated_at,
    }
    return out if scoping.sees_facility(actor, req.facility) else scoping.redact(actor, out)


def _federal_decision(decision: dict[str, Any], seen: disclosure.Disclosure) -> dict[str, Any]:
    """The decision as a federal office may read it when custody facts are withheld: the outcome and the
    law, without the facts it was applied to (booking, charges, history) or a hold's end."""
    decision["facts"] = {}
    decision["hold_until"] = None
    decision["hold_note"] = ""
    for reason in decision["reasons"]:
        if isinstance(reason, dict) and "detail" in reason:
            reason["detail"] = ""
    decision["not_disclosed"] = seen.text
    return decision


def request(actor: Actor, req: ImmigrationRequest, notices: list[Any]) -> dict[str, Any]:
    seen = disclosure.for_request(actor, req)
    federal = disclosure.is_federal(actor)
    decision = None
    if req.current_decision_id is not None and req.current_decision is not None:
        # a reader who gets the place's label reads no policy, rule or citation that names it (H2, M1)
        decision = scoping.label_decision(actor, req.facility, decision_json(req.current_decision, req))
        assert decision is not None
        if not seen.allowed:
            decision = _federal_decision(decision, seen)
        else:
            decision.setdefault("not_disclosed", None)
        facts_booking = (decision.get("facts") or {}).get("booking")
        if isinstance(facts_booking, dict) and not _jail_side(actor):
            facts_booking.pop("arrested_on", None)  # the arrest time is the jail's record (BookingOut's rule)
    status = req.status
    if federal and status == "review":
        # only jail staff see that (or why) a match failed: to the office it is simply not matched yet
        status = "waiting"
    out: dict[str, Any] = {
        "request_id": req.request_id,
        "kind": req.kind,
        "form": req.form,
        "status": status,
        "issued_at": req.issued_at,
        "received_at": req.received_at,
        "office": {"code": req.office.code, "name": req.office.name},
        "facility": facility(actor, req.facility),
        "booking_number": req.booking_number,
        "booking": booking(actor, req.booking, req.facility, seen) if req.booking_id and req.booking else None,
        "subject": {
            "last_name": req.subject_last_name,
            "first_name": req.subject_first_name,
            "date_of_birth": req.subject_date_of_birth,
            "sex": req.subject_sex,
            "a_number": req.subject_a_number,
            "fbi_number": req.subject_fbi_number,
            "citizenship": req.subject_citizenship,
        },
        "basis": list(req.basis or []),
        "warrant": {"type": req.warrant_type, "form": req.warrant_form},
        "judicial_probable_cause": req.judicial_probable_cause,
        "lead_time_hours": req.lead_time_hours,
        "withdrawn_at": req.withdrawn_at,
        "match_note": "" if federal else req.match_note,
        "match": match(actor, req),
        "decision": decision,
        "not_disclosed": seen.text or None,
        "notices": [notice(actor, n, req, seen) for n in notices],
    }
    if scoping.sees_facility(actor, req.facility):
        return out
    # booking numbers and notes that embed a confidential facility's code, the citation of a withheld answer
    if decision is not None and decision.get("not_disclosed"):
        decision["not_disclosed"] = scoping.label_disclosure_text(actor, req.facility, decision["not_disclosed"])
    out["not_disclosed"] = scoping.label_disclosure_text(actor, req.facility, out["not_disclosed"])
    if isinstance(out["booking"], dict) and out["booking"].get("not_disclosed"):
        out["booking"]["not_disclosed"] = scoping.label_disclosure_text(
            actor, req.facility, out["booking"]["not_disclosed"])
        out["booking"]["cite"] = scoping.WITHHELD_CITE
    return scoping.redact(actor, out)
