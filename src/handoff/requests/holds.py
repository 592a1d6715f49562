"""The hold clock (law review X3; issue 9 item 2): every hold a decision permits or requires, when it ends, and
what state it is in now.

Why a list computed from the decisions rather than a stored "hold" row: the end of a hold follows from two
facts that can change (the decision, the booking's release time), so it is recomputed wherever it is shown;
only the alarms it raises are stored (they must fire once).

States, for a booking whose current decision permits or requires a hold:
- `upcoming`: the release time is still ahead; the hold, if used, will end at `hold_until`.
- `holding`: the release time has passed and the person is still in custody: they are held, and must be
  released by `hold_until` (a warning goes `HANDOFF_HOLD_WARNING_HOURS` before).
- `expired`: `hold_until` has passed and the person is still in custody: "hold expired: release now".
- `no_release_time`: the booking has no release time, so the 48 hours cannot start (`note` says so).
A booking that has left custody is not listed; a release recorded after `hold_until` is over-detention
(see `over_detained`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from handoff.requests.models import ImmigrationRequest, RequestStatus
from handoff.requests.presenters import hold_clock

HOLD_VALUES = ("permitted", "required")


@dataclass(frozen=True)
class Hold:
    request_id: str
    facility: str
    timezone: str
    booking_number: str
    hold: str
    release_at: datetime | None
    hold_until: datetime | None
    state: str
    note: str
    seconds_left: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id, "facility": self.facility, "booking_number": self.booking_number,
            "hold": self.hold,
            "release_at": self.release_at.isoformat() if self.release_at else None,
            "hold_until": self.hold_until.isoformat() if self.hold_until else None,
            "state": self.state, "note": self.note, "seconds_left": self.seconds_left,
        }


def hold_requests(qs: QuerySet[ImmigrationRequest]) -> QuerySet[ImmigrationRequest]:
    """Requests (already scoped by the caller) whose current decision permits or requires a hold and whose
    booking is still in custody."""
    return (qs.filter(status=RequestStatus.MATCHED, current_decision__hold__in=HOLD_VALUES,
                      booking__released_at__isnull=True, withdrawn_at__isnull=True)
            .select_related("facility", "booking", "current_decision").order_by("booking__scheduled_release_at", "pk"))


def state_of(req: ImmigrationRequest, now: datetime) -> Hold:
    decision = req.current_decision
    assert decision is not None and req.booking is not None
    until, note = hold_clock(decision, req)
    release = req.booking.scheduled_release_at
    if until is None:
        state, left = "no_release_time", None
    elif now >= until:
        state, left = "expired", int((until - now).total_seconds())
        note = "hold expired: release now"
    elif release is not None and now >= release:
        state, left = "holding", int((until - now).total_seconds())
        note = f"held past release; release by {until.isoformat()} at the latest"
    else:
        state, left = "upcoming", int((until - now).total_seconds())
    return Hold(req.request_id, req.facility.code, req.facility.timezone, req.booking.booking_number,
                decision.hold, release, until, state, note, left)


def live_holds(qs: QuerySet[ImmigrationRequest], now: datetime) -> list[Hold]:
    return [state_of(r, now) for r in hold_requests(qs)]


def over_detained(released_at: datetime, req: ImmigrationRequest) -> tuple[bool, datetime | None]:
    """Was a release at `released_at` later than the hold's end under the request's current decision?"""
    decision = req.current_decision if req.current_decision_id else None
    if decision is None or decision.hold not in HOLD_VALUES:
        return False, None  # no hold ran; a late release without one is the stale-data alarm's business
    until, _ = hold_clock(decision, req)
    return (until is not None and released_at > until), until
