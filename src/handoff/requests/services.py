"""Receiving requests, matching them to bookings, and deciding them. (Being built by the requests helper.)

Contract used by other apps (keep these names and signatures):
- receive_request(data: RequestInput, *, source: str) -> ImmigrationRequest
- withdraw_request(request_id: str, withdrawn_at: datetime, *, source: str) -> ImmigrationRequest
- on_booking_changed(booking: Booking, *, trigger: str) -> None
    called by custody in the same transaction after a booking is created or changed (release time set or
    moved, released, charge added/disposed); matches waiting requests and re-decides affected ones.
- on_person_changed(person: Person, *, trigger: str) -> None   (a conviction added or changed)
- decide(req: ImmigrationRequest, *, trigger: str) -> Decision   (stores a new immutable Decision, sets
    req.current_decision, then calls notices.services.reconcile_request(req, trigger=trigger))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handoff.custody.models import Booking, Person


def on_booking_changed(booking: Booking, *, trigger: str) -> None:
    return None


def on_person_changed(person: Person, *, trigger: str) -> None:
    return None
