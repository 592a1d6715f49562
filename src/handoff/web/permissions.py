"""Permission rules for every page URL of the web app (read by handoff.access.permissions)."""

from __future__ import annotations

from handoff.access.models import Role
from handoff.access.permissions import PUBLIC_READ, R, Rule

JAIL_READERS = frozenset({Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.COUNTY_COUNSEL, Role.AUDITOR, Role.ADMIN})
OFFICE_READERS = frozenset({Role.FEDERAL_OFFICER, Role.AUDITOR, Role.ADMIN})
OUTCOME_WRITERS = frozenset({Role.FEDERAL_OFFICER, Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.ADMIN})

RULES = {
    "web:home": Rule(read=R.ANYONE),  # anonymous -> sign-in page; users -> their role's dashboard
    "web:jail": Rule(read=JAIL_READERS),
    "web:office": Rule(read=OFFICE_READERS),
    "web:request_detail": Rule(read=R.READERS, scope="request"),
    "web:request_review": Rule(read=R.JAIL, write=R.JAIL, scope="request"),
    "web:request_override": Rule(read=R.SUPERVISOR, write=R.SUPERVISOR, scope="request"),
    "web:request_outcome": Rule(read=OUTCOME_WRITERS, write=OUTCOME_WRITERS, scope="request"),
    "web:letter": Rule(read=R.JAIL, scope="notice"),
    "web:notice_ack": Rule(read=R.FEDERAL, write=R.FEDERAL, scope="notice"),
    "web:policies": PUBLIC_READ,
    "web:policy_detail": PUBLIC_READ,
    "web:policy_try": PUBLIC_READ,
    "web:transparency": PUBLIC_READ,
    "web:transparency_csv": PUBLIC_READ,
    "web:keepalive": Rule(read=R.ANY_USER, write=R.ANY_USER),
}
