"""The permission map: every URL name and every API route has a declared rule.

Why one map: a reviewer (or an auditor) can read in one place who may call what, and a test walks Django's
URL resolver and the API's routers and fails on anything without a rule. Every page's rule is here, the web
app's and the notices app's included (as manage.get.gov keeps its URL_PERMISSIONS); the access app enforces
them: pages in
`access.middleware.PermissionMiddleware`, API routes in the API's token authentication. A rule checks the
role; the objects a role may see are the scoping layer's job (`access.scoping`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handoff.access.models import Role

if TYPE_CHECKING:
    from handoff.access.actor import Actor

ANYONE = "anyone"  # pseudo-role: every visitor, logged on or not
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCOPES = frozenset({"request", "notice", "booking", "person", "decision", "jurisdiction", "facility", "office"})


class R:
    """Role sets to build rules from."""

    ANYONE = frozenset({ANYONE})
    ALL_ROLES = frozenset(r.value for r in Role)
    ANY_USER = ALL_ROLES
    READERS = ALL_ROLES
    JAIL = frozenset({Role.JAIL_CLERK.value, Role.JAIL_SUPERVISOR.value, Role.ADMIN.value})
    SUPERVISOR = frozenset({Role.JAIL_SUPERVISOR.value, Role.ADMIN.value})
    FEDERAL = frozenset({Role.FEDERAL_OFFICER.value, Role.ADMIN.value})
    COUNSEL = frozenset({Role.COUNTY_COUNSEL.value, Role.ADMIN.value})
    AUDITOR = frozenset({Role.AUDITOR.value, Role.ADMIN.value})
    ADMIN = frozenset({Role.ADMIN.value})
    NOBODY: frozenset[str] = frozenset()
    #: who reads requests, decisions and notices (everyone with a place, plus auditors)
    CASE_READERS = ALL_ROLES
    #: who records what a jail knows (bookings, charges, convictions, releases)
    JAIL_WRITERS = JAIL
    #: who files or withdraws a federal request: the office, or the jail recording one it received on paper
    REQUEST_WRITERS = frozenset({Role.FEDERAL_OFFICER.value, Role.JAIL_CLERK.value, Role.JAIL_SUPERVISOR.value,
                                 Role.ADMIN.value})


@dataclass(frozen=True)
class Rule:
    """`read` roles may use GET/HEAD/OPTIONS, `write` roles POST/PUT/PATCH/DELETE. `scope` names what the
    URL's parameters point at (for the authorization matrix and for readers of this map)."""

    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    scope: str | None = None
    note: str = ""
    #: a role the rule does not list is answered 404 instead of 403: the route says nothing, not even that
    #: there is something to refuse (the attorney contact and interview consent: never the federal side's)
    conceal: bool = False

    def __post_init__(self) -> None:
        known = R.ALL_ROLES | {ANYONE}
        for roles in (self.read, self.write):
            unknown = set(roles) - known
            if unknown:
                raise ValueError(f"unknown role(s) in rule: {sorted(unknown)}")
        if self.scope is not None and self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; one of {sorted(SCOPES)}")

    def roles_for(self, method: str) -> frozenset[str]:
        return self.read if method.upper() in SAFE_METHODS else self.write

    def is_public(self, method: str) -> bool:
        return ANYONE in self.roles_for(method)

    def allows(self, actor: Actor, method: str) -> bool:
        roles = self.roles_for(method)
        if ANYONE in roles:
            return True
        return actor.is_authenticated and (actor.internal or actor.role in roles)


PUBLIC = Rule(read=R.ANYONE, write=R.ANYONE, note="no personal data")
PUBLIC_READ = Rule(read=R.ANYONE, note="no personal data")

#: pages owned by the access app, plus the pieces of the project every deployment has
URL_RULES: dict[str, Rule] = {
    "healthz": PUBLIC_READ,
    "access:login": PUBLIC,
    "access:verify": Rule(read=R.ANYONE, write=R.ANYONE, note="needs the password step in this session"),
    "access:enrol": Rule(read=R.ANYONE, write=R.ANYONE, note="needs the password step in this session"),
    "access:logout": Rule(read=R.ANYONE, write=R.ANYONE),
    "access:locked": PUBLIC_READ,
    "access:audit_log": Rule(read=R.AUDITOR | R.COUNSEL, scope="jurisdiction",
                             note="the audit log, read-only; county counsel see their county's accounts' entries"),
    "access:audit_export": Rule(read=R.AUDITOR, note="the audit log for a date range, CSV or JSON"),
    "api:api-root": PUBLIC_READ,
    "api:openapi-json": PUBLIC_READ,
    "api:openapi-view": PUBLIC_READ,
    "admin:*": Rule(read=R.ADMIN, write=R.ADMIN, note="Django admin: admins with a verified second factor"),
}

#: the web app's pages
JAIL_READERS = frozenset({Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.COUNTY_COUNSEL, Role.AUDITOR, Role.ADMIN})
OFFICE_READERS = frozenset({Role.FEDERAL_OFFICER, Role.AUDITOR, Role.ADMIN})
OUTCOME_WRITERS = frozenset({Role.FEDERAL_OFFICER, Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.ADMIN})
URL_RULES.update({
    "web:home": Rule(read=R.ANYONE),  # the public -> /transparency; users -> their role's dashboard
    "web:jail": Rule(read=JAIL_READERS),
    "web:office": Rule(read=OFFICE_READERS),
    "web:office_csv": Rule(read=OFFICE_READERS),
    "web:request_detail": Rule(read=R.READERS, scope="request"),
    "web:request_review": Rule(read=R.JAIL, write=R.JAIL, scope="request"),
    "web:request_override": Rule(read=R.SUPERVISOR, write=R.SUPERVISOR, scope="request"),
    "web:request_link": Rule(read=R.JAIL, write=R.JAIL, scope="request",
                             note="jail staff link a request of their facility to a booking they may read, with "
                                  "a reason (audited); another county's booking is answered 404"),
    "web:people_search": Rule(read=R.JAIL, note="jail staff search the people and bookings of their own "
                                                "facilities (audited: kinds of search and bookings shown)"),
    "web:request_outcome": Rule(read=OUTCOME_WRITERS, write=OUTCOME_WRITERS, scope="request"),
    "web:letter": Rule(read=R.JAIL, scope="notice"),
    "web:letter_pdf": Rule(read=R.JAIL, scope="notice"),
    "web:letter_handover": Rule(read=R.JAIL, write=R.JAIL, scope="notice",
                                note="jail staff record a letter's hand-over (audited)"),
    "web:notice_ack": Rule(read=R.FEDERAL, write=R.FEDERAL, scope="notice"),
    "web:policies": PUBLIC_READ,
    "web:policy_detail": PUBLIC_READ,
    "web:policy_try": PUBLIC_READ,
    "web:transparency": PUBLIC_READ,
    "web:transparency_csv": PUBLIC_READ,
    "web:transparency_parquet": PUBLIC_READ,
    "web:transparency_codebook": PUBLIC_READ,
    "web:transparency_codebook_csv": PUBLIC_READ,
    # the records clerk's pages (issue 12): paper requests with their scan, releases, corrections; the
    # view checks the facility is one the user records for (scoping.writable_facility)
    "web:request_new": Rule(read=R.JAIL, write=R.JAIL, scope="facility",
                            note="a request that came by fax or e-mail, keyed in by jail staff"),
    "web:request_scan": Rule(read=JAIL_READERS, scope="request",
                             note="the scanned form; the jail's copy, not shown to the federal side"),
    "web:booking_release": Rule(read=R.JAIL, write=R.JAIL, scope="booking"),
    "web:booking_correct": Rule(read=R.JAIL, write=R.JAIL, scope="booking",
                                note="the old value stays in the record history"),
    "web:booking_interview": Rule(read=R.JAIL, write=R.JAIL, scope="booking", conceal=True,
                                  note="ICE interview requests and the written consent (Cal. Gov. Code "
                                       "7283.1(a)); audited; any other role is answered 404"),
    "web:booking_attorney": Rule(read=R.JAIL, write=R.JAIL, scope="booking", conceal=True,
                                 note="the person's attorney or designee (TRUTH Act copies); audited; any other "
                                      "role is answered 404"),
    "web:office_requests": Rule(read=OFFICE_READERS, scope="office",
                                note="every request of the officer's offices; what each shows follows access.disclosure"),
    "web:overrides": Rule(read=frozenset({*R.COUNSEL, *R.SUPERVISOR, Role.AUDITOR.value}), scope="jurisdiction",
                          note="supervisors' overrides in the reader's places"),
    "web:keepalive": Rule(read=R.ANY_USER, write=R.ANY_USER),
    "web:people_review": Rule(read=frozenset({*R.JAIL, Role.AUDITOR.value}), write=R.JAIL,
                              note="linkage review: pairs whose two people the reader may both read (H4)"),
    # evidence (issue 11): jail staff of the request's facility record how it ended; county counsel replay
    # their own jurisdiction's requests under another law
    "evidence:record_outcome": Rule(read=R.JAIL, write=R.JAIL, scope="request",
                                    note="jail staff of the request's facility"),
    "evidence:whatif": Rule(read=R.COUNSEL, scope="jurisdiction",
                            note="county counsel, replaying the requests of their own jurisdiction"),
    # The one-click acknowledgement link is public: the signed token in the URL is the credential (it names
    # one notice and its office, cannot be forged without the secret key, and expires).
    "notices:ack": Rule(read=R.ANYONE, write=R.ANYONE, scope="notice",
                        note="the signed token in the link is the credential"),
    # /metrics is public like /healthz: aggregate counts only, no personal data and no place names.
    "metrics": Rule(read=R.ANYONE, note="aggregate delivery figures, no personal data"),
})

#: API routes, "METHOD /path" as declared on the routers (relative to /api/v1)
API_RULES: dict[str, Rule] = {
    "POST /bookings": Rule(write=R.JAIL_WRITERS, scope="facility"),
    "POST /charges": Rule(write=R.JAIL_WRITERS, scope="booking"),
    "POST /convictions": Rule(write=R.JAIL_WRITERS, scope="person",
                              note="a person of the writer's own county only (security review H4)"),
    "POST /bookings/{facility}/{booking_number}/release": Rule(write=R.JAIL_WRITERS, scope="booking"),
    "GET /bookings/{facility}/{booking_number}/attorney": Rule(
        read=R.JAIL, scope="booking", conceal=True,
        note="the person's attorney or designee: jail staff of the facility; any other role is answered 404"),
    "POST /bookings/{facility}/{booking_number}/attorney": Rule(
        write=R.JAIL, scope="booking", conceal=True,
        note="record the attorney or designee (audited); any other role is answered 404"),
    "GET /bookings/{facility}/{booking_number}/interviews": Rule(
        read=R.JAIL, scope="booking", conceal=True,
        note="ICE interview requests and the person's consent: jail staff; any other role is answered 404"),
    "POST /bookings/{facility}/{booking_number}/interviews": Rule(
        write=R.JAIL, scope="booking", conceal=True,
        note="record an interview request and the consent the place's law requires (audited; 422/409)"),
    "POST /requests": Rule(write=R.REQUEST_WRITERS, scope="facility"),
    "GET /requests/{request_id}": Rule(read=R.CASE_READERS, scope="request"),
    "POST /requests/{request_id}/withdraw": Rule(write=R.REQUEST_WRITERS, scope="request"),
    "POST /requests/{request_id}/override": Rule(write=R.SUPERVISOR, scope="request",
                                                 note="a supervisor overrides a decision under review"),
    "POST /requests/{request_id}/link": Rule(write=R.JAIL, scope="request",
                                             note="link a request to a booking by hand, with a reason; another "
                                                  "county's booking is answered 404"),
    "GET /people/search": Rule(read=R.JAIL, note="people and bookings of the caller's own facilities only "
                                                "(access.scoping.bookings_for); audited"),
    "POST /requests/{request_id}/outcome": Rule(write=R.JAIL_WRITERS, scope="request",
                                                note="jail staff of the request's facility (as the outcome page)"),
    "GET /notices": Rule(read=R.CASE_READERS),
    "POST /notices/{notice_id}/ack": Rule(write=R.FEDERAL, scope="notice"),
    "GET /notices/{notice_id}/letter": Rule(read=R.JAIL, scope="notice",
                                            note="letters to the person and the attorney: jail staff only"),
    "POST /notices/{notice_id}/handover": Rule(write=R.JAIL, scope="notice",
                                               note="jail staff record a letter's hand-over (audited)"),
    "GET /me": Rule(read=R.ANY_USER),
}


def url_rules() -> dict[str, Rule]:
    """Every page's rule (one map, as the API's). Kept a function: the middleware and the tests read it."""
    return URL_RULES


def rule_for_view(view_name: str) -> Rule | None:
    rules = url_rules()
    rule = rules.get(view_name)
    if rule is not None:
        return rule
    parts = view_name.split(":")
    for i in range(len(parts) - 1, 0, -1):
        wildcard = ":".join(parts[:i]) + ":*"
        if wildcard in rules:
            return rules[wildcard]
    return None


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def api_key(method: str, route: str, mount: str = "api/v1/") -> str:
    """'GET', 'api/v1/requests/<request_id>' -> 'GET /requests/{request_id}' (the key of API_RULES)."""
    path = route[len(mount):] if route.startswith(mount) else route
    path = _PARAM.sub(r"{\1}", path).rstrip("/")
    return f"{method.upper()} /{path}"


def rule_for_api(method: str, route: str) -> Rule | None:
    return API_RULES.get(api_key(method, route))
