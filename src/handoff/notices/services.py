"""The outbox: scheduling and reconciling notices. (Being built by the notices helper.)

Contract used by other apps (keep these names and signatures):
- reconcile_request(req: ImmigrationRequest, *, trigger: str) -> None
    called in the same transaction after a request's current decision, booking release time, release or
    withdrawal changed: schedule, reschedule, cancel, mark missed, send release.occurred / short notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handoff.requests.models import ImmigrationRequest


def reconcile_request(req: ImmigrationRequest, *, trigger: str) -> None:
    return None
