"""Permission rules of the evidence pages (merged into handoff.access.permissions)."""

from __future__ import annotations

from handoff.access.models import Role
from handoff.access.permissions import R, Rule

#: jail staff record how a request ended (the federal officer does it from the office page)
OUTCOME_RECORDERS = frozenset({Role.JAIL_CLERK.value, Role.JAIL_SUPERVISOR.value, Role.ADMIN.value})

RULES = {
    "evidence:record_outcome": Rule(read=OUTCOME_RECORDERS, write=OUTCOME_RECORDERS, scope="request",
                                    note="jail staff of the request's facility"),
    "evidence:whatif": Rule(read=R.COUNSEL, scope="jurisdiction",
                            note="county counsel, replaying the requests of their own jurisdiction"),
}
