"""The one choke point for who sees what: every query that touches personal data starts here, and every
place name shown to a party goes through the confidential-cooperation labels here.

Why a module of functions over querysets: views, API routes, exports and e-mails all need the same answer;
a queryset composes with whatever filter the caller adds, and the database does the work.
Why 404 (NotFound) rather than 403 for objects outside the scope: the existence of a detainer in another
county is itself information.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q, QuerySet

from handoff.access.actor import Actor, anonymous
from handoff.access.errors import Forbidden
from handoff.access.models import Role
from handoff.core.errors import Conflict, InvalidInput, NotFound
from handoff.custody.models import Booking, Person
from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
from handoff.notices.models import PERSON_KINDS, Notice  # type: ignore[attr-defined]
from handoff.policy.registry import registry
from handoff.requests.models import Decision, ImmigrationRequest

if TYPE_CHECKING:
    from handoff.custody.models import Booking, Person
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.requests.models import Decision, ImmigrationRequest

#: the actor for anything the public or a third party (the person, their attorney) receives
PUBLIC = anonymous()

PLACE_ROLES = (Role.JAIL_CLERK, Role.JAIL_SUPERVISOR, Role.COUNTY_COUNSEL)


# --- places ---------------------------------------------------------------------------------------------

def _facility_q(actor: Actor, prefix: str) -> Q:
    """Facilities an actor with a place role belongs to, as a filter on `<prefix>facility`: a plain list of
    facility ids (see Actor.place_facility_ids), an empty list matching nothing."""
    return Q(**{f"{prefix}facility_id__in": sorted(actor.place_facility_ids)})


def facilities_for(actor: Actor) -> QuerySet[Facility]:

    qs = Facility.objects.all()
    if actor.is_global:
        return qs
    if actor.role in PLACE_ROLES:
        q = Q(pk__in=[])
        if actor.facility_ids:
            q |= Q(pk__in=actor.facility_ids)
        if actor.jurisdiction_ids:
            q |= Q(jurisdiction_id__in=actor.jurisdiction_ids) | Q(city_id__in=actor.jurisdiction_ids)
        return qs.filter(q)
    if actor.role == Role.FEDERAL_OFFICER:
        return qs.filter(Q(jurisdiction_id__in=actor.covered_ids) | Q(city_id__in=actor.covered_ids))
    return qs.none()


def _facility_in_scope(actor: Actor, facility: Facility) -> bool:
    if actor.is_global:
        return True
    if actor.role in PLACE_ROLES:
        return (facility.pk in actor.facility_ids or facility.jurisdiction_id in actor.jurisdiction_ids
                or (facility.city_id is not None and facility.city_id in actor.jurisdiction_ids))
    if actor.role == Role.FEDERAL_OFFICER:
        return facility.jurisdiction_id in actor.covered_ids or (
            facility.city_id is not None and facility.city_id in actor.covered_ids)
    return False


def writable_facility(actor: Actor, code: str) -> Facility:
    """The facility an actor records jail data (or a request) for. Forbidden outside the actor's places,
    whether or not the code exists, so that probing codes reveals nothing."""

    if not actor.can_write:
        raise Forbidden("your role cannot change records")
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        if actor.is_global:
            raise NotFound(f"facility {code!r} is not registered")
        raise Forbidden("that facility is outside your scope")
    if actor.role == Role.COUNTY_COUNSEL or not _facility_in_scope(actor, facility):
        raise Forbidden("that facility is outside your scope")
    return facility


def writable_office(actor: Actor, code: str) -> FederalOffice:
    """The office a request is filed for: a federal officer only for their own offices."""

    office = FederalOffice.objects.filter(code=code).first()
    if actor.role == Role.FEDERAL_OFFICER and (office is None or office.pk not in actor.office_ids):
        raise Forbidden("that office is not yours")
    if office is None:
        raise NotFound(f"federal office {code!r} is not registered")
    return office


# --- personal data ----------------------------------------------------------------------------------------

def requests_for(actor: Actor) -> QuerySet[ImmigrationRequest]:

    qs = ImmigrationRequest.objects.all()
    if actor.is_global:
        return qs
    if actor.role in PLACE_ROLES:
        return qs.filter(_facility_q(actor, ""))
    if actor.role == Role.FEDERAL_OFFICER:
        return qs.filter(
            Q(office_id__in=actor.office_ids)
            | Q(facility__jurisdiction_id__in=actor.covered_ids)
            | Q(facility__city_id__in=actor.covered_ids)
        )
    return qs.none()


def can_read_request(actor: Actor, req: ImmigrationRequest) -> bool:
    """The same answer as `requests_for`, for one request already in hand (no query)."""
    if actor.is_global:
        return True
    if actor.role in PLACE_ROLES:
        return _facility_in_scope(actor, req.facility)
    if actor.role == Role.FEDERAL_OFFICER:
        return req.office_id in actor.office_ids or _facility_in_scope(actor, req.facility)
    return False


def get_request(actor: Actor, request_id: str, *, office: str | None = None,
                facility: str | None = None) -> ImmigrationRequest:
    """One request by its federal id among those the actor may read, or NotFound when there is none.

    An id is unique per office and facility (review M8), so a reader may see it twice (a jail that got the
    same number from two offices); `office` and `facility` (codes, e.g. from `?office=&facility=`) tell them
    apart, and without them the answer is AmbiguousRequest (409) listing only what the reader may see.
    Requests outside the scope are never counted: "not yours" and "does not exist" stay one answer."""
    qs = ImmigrationRequest.objects.select_related(
        "facility", "facility__jurisdiction", "facility__city", "office", "booking", "current_decision"
    ).filter(request_id=request_id)
    if office:
        qs = qs.filter(office__code=office)
    if facility:
        qs = qs.filter(facility__code=facility)
    found = [req for req in qs.order_by("pk")[:100] if can_read_request(actor, req)]
    if not found:
        raise NotFound(f"request {request_id!r} not found")
    if len(found) > 1:
        raise AmbiguousRequest(request_id, found)
    return found[0]


class AmbiguousRequest(Conflict):
    """Several requests the reader may see carry one id: they are told apart by office and facility."""

    def __init__(self, request_id: str, found: list[ImmigrationRequest]) -> None:
        self.found = found  # codes are not in the text: a facility may be one this reader knows by a label
        super().__init__(f"{len(found)} requests you can see carry the id {request_id!r}; name one with "
                         "?office=CODE&facility=CODE")


def request_query(actor: Actor, req: ImmigrationRequest) -> str:
    """`?office=..&facility=..` for links to this request when the actor can see another request with its
    id, else "". Why only then: most ids are unique and their addresses stay as they were; and only the
    actor's own scope counts, or the address would tell that the id is taken elsewhere (review M8)."""
    others = ImmigrationRequest.objects.select_related("facility").filter(
        request_id=req.request_id).exclude(pk=req.pk)
    if not any(can_read_request(actor, other) for other in others[:100]):
        return ""
    return "?" + urlencode({"office": req.office.code, "facility": req.facility.code})


def request_qualifiers(params: Any) -> dict[str, str | None]:
    """`office` and `facility` from a query string (a QueryDict or any mapping), for get_request."""
    return {"office": (params.get("office") or "").strip() or None,
            "facility": (params.get("facility") or "").strip() or None}


def decisions_for(actor: Actor) -> QuerySet[Decision]:

    if actor.is_global:
        return Decision.objects.all()
    if actor.role in PLACE_ROLES:  # a join on the request's facility: see _facility_q
        return Decision.objects.filter(_facility_q(actor, "request__"))
    return Decision.objects.filter(request__in=requests_for(actor))


def bookings_for(actor: Actor) -> QuerySet[Booking]:

    qs = Booking.objects.all()
    if actor.is_global:
        return qs
    if actor.role in PLACE_ROLES:
        return qs.filter(_facility_q(actor, ""))
    if actor.role == Role.FEDERAL_OFFICER:
        return qs.filter(pk__in=requests_for(actor).filter(booking__isnull=False).values("booking_id"))
    return qs.none()


def can_read_booking(actor: Actor, booking: Booking) -> bool:
    if actor.is_global:
        return True
    if actor.role in PLACE_ROLES:
        return _facility_in_scope(actor, booking.facility)
    if actor.role == Role.FEDERAL_OFFICER:
        return requests_for(actor).filter(booking_id=booking.pk).exists()
    return False


def get_booking(actor: Actor, reference: str) -> Booking:
    """One booking by "FACILITY/NUMBER" (as the link command and route take it), or NotFound when it does not
    exist or is outside the actor's scope: a booking in another county is as absent as one never made."""
    facility, sep, number = (reference or "").strip().partition("/")
    if not sep or not facility.strip() or not number.strip():
        raise InvalidInput(f"booking {reference!r} is not FACILITY/NUMBER (e.g. LA-MCJ/24-001)", "booking")
    booking = (bookings_for(actor).filter(facility__code=facility.strip(), booking_number=number.strip())
               .select_related("person", "facility").first())
    if booking is None:
        raise NotFound(f"booking {reference.strip()!r} not found")
    return booking


def _county_ids(actor: Actor) -> list[int]:
    """The counties of the facilities a place role may read: a Person belongs to one of them or to none."""
    return sorted(set(Facility.objects.filter(pk__in=sorted(actor.place_facility_ids))
                      .values_list("jurisdiction_id", flat=True)))


def persons_for(actor: Actor) -> QuerySet[Person]:
    """People an actor may read. A Person belongs to the county that booked them (H4): jail staff and counsel
    read the people of their counties, a federal officer those booked where a request of theirs points."""

    if actor.is_global:
        return Person.objects.all()
    if actor.role in PLACE_ROLES:
        # Booked in the actor's jails, or of the actor's county and not booked anywhere yet (history recorded
        # ahead of a booking). Never another county's person, whatever identifiers the two share.
        return Person.objects.filter(
            Q(pk__in=bookings_for(actor).values("person_id"))
            | (Q(jurisdiction_id__in=_county_ids(actor)) & ~Q(pk__in=Booking.objects.values("person_id"))))
    return Person.objects.filter(pk__in=bookings_for(actor).values("person_id"))


def get_person(actor: Actor, person_id: int) -> Person:
    """One person, or NotFound when it does not exist or is another county's."""
    person = persons_for(actor).filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def conviction_facility(actor: Actor, code: str | None) -> Facility | None:
    """The facility whose county's Person a conviction is recorded for: the one named, which must be the
    actor's; or, unnamed, the actor's only county. Why a county at all: history matched across counties is how
    a clerk could write into another county's record (H4). None only for an administrator naming no facility:
    like the system's imports of state records, the history then lands on every county's record of the human."""
    if code:
        return writable_facility(actor, code)
    if not actor.can_write or actor.role == Role.COUNTY_COUNSEL:
        raise Forbidden("your role cannot change records")
    if actor.is_global:
        return None
    if not actor.is_global and actor.role in PLACE_ROLES:
        facilities = list(facilities_for(actor).order_by("pk"))
        if facilities and len({f.jurisdiction_id for f in facilities}) == 1:
            return facilities[0]
    raise InvalidInput("give facility: the jail whose county's person this history belongs to", "facility")


def notices_for(actor: Actor) -> QuerySet[Any]:
    """Notices of the requests the actor may read.

    A federal officer never sees the letters or e-mails to the person and their attorney or designee (the
    request copy and the release-date notices, Cal. Gov. Code 7283.1(b)): they are the person's, not the
    office's, so no list, page, count or id lookup built on this query can show one to an office.
    """

    qs = Notice.objects.all()
    if actor.is_global:
        return qs
    if actor.role in PLACE_ROLES:  # a join on the request's facility: see _facility_q
        return qs.filter(_facility_q(actor, "request__"))
    if actor.role == Role.FEDERAL_OFFICER:
        # letters and e-mails to the person and their attorney or designee are theirs, never the office's: when
        # they are due tells an office when to expect a release (review L9)
        return qs.filter(request__in=requests_for(actor).values("pk")).exclude(kind__in=PERSON_KINDS)
    return qs.none()


# --- confidential cooperation ---------------------------------------------------------------------------

def label_code(jurisdiction: Jurisdiction) -> str:
    """A stable, neutral code for a confidential jurisdiction: lets a reader tell two withheld places
    apart in a table without learning which they are."""
    key = str(settings.HANDOFF_LABEL_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"confidential:{jurisdiction.fips}".encode(), hashlib.sha256).hexdigest()
    return "C-" + digest[:4].upper()


def sees_jurisdiction(actor: Actor, jurisdiction: Jurisdiction | None) -> bool:
    """Own staff, the federal offices covering it, auditors and admins see a confidential place's name."""
    if jurisdiction is None or not jurisdiction.confidential:
        return True
    if actor.is_global:
        return True
    return jurisdiction.pk in actor.home_ids or jurisdiction.pk in actor.covered_ids


def label_jurisdiction(actor: Actor, jurisdiction: Jurisdiction) -> str:
    if sees_jurisdiction(actor, jurisdiction):
        return jurisdiction.name
    return f"Confidential jurisdiction {label_code(jurisdiction)}"


def jurisdiction_code(actor: Actor, jurisdiction: Jurisdiction) -> str:
    return jurisdiction.fips if sees_jurisdiction(actor, jurisdiction) else label_code(jurisdiction)


def public_label(jurisdiction: Jurisdiction) -> str:
    return label_jurisdiction(PUBLIC, jurisdiction)


def _hiding_jurisdiction(actor: Actor, facility: Facility) -> Jurisdiction | None:
    """The confidential place (county or city) that hides this facility from the actor, if any."""
    for place in (facility.jurisdiction, facility.city if facility.city_id else None):
        if place is not None and not sees_jurisdiction(actor, place):
            return place
    return None


def sees_facility(actor: Actor, facility: Facility) -> bool:
    return _hiding_jurisdiction(actor, facility) is None


def label_facility(actor: Actor, facility: Facility) -> str:
    hiding = _hiding_jurisdiction(actor, facility)
    return facility.name if hiding is None else f"Confidential facility {label_code(hiding)}"


def facility_code(actor: Actor, facility: Facility) -> str:
    hiding = _hiding_jurisdiction(actor, facility)
    return facility.code if hiding is None else label_code(hiding)


def _replacements(actor: Actor) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str]]]:
    """Exact values (codes) and phrases (names) the actor may not see, with what replaces them."""

    exact: dict[str, str] = {}
    phrases: list[tuple[str, str]] = []
    hidden = [j for j in Jurisdiction.objects.filter(confidential=True) if not sees_jurisdiction(actor, j)]
    if not hidden:
        return {}, []
    for j in hidden:
        code = label_code(j)
        exact[j.fips] = code
        phrases.append((j.name, f"Confidential jurisdiction {code}"))
    hidden_ids = [j.pk for j in hidden]
    by_id = {j.pk: j for j in hidden}
    for f in Facility.objects.filter(Q(jurisdiction_id__in=hidden_ids) | Q(city_id__in=hidden_ids)):
        place = by_id.get(f.jurisdiction_id) or by_id[f.city_id]  # type: ignore[index]
        code = label_code(place)
        exact[f.code] = code
        phrases.append((f.name, f"Confidential facility {code}"))
    phrases.sort(key=lambda p: -len(p[0]))  # longest first: "X County Jail" before "X County"
    compiled = [(re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)"), repl) for text, repl in phrases if text]
    # codes embedded in other identifiers: booking number "MC-DC-2026-0001", match note "matched by booking
    # number MC-DC-2026-0001" (review M1). Longest first, bounded by anything but a letter or digit.
    for code in sorted(exact, key=len, reverse=True):
        compiled.append((re.compile(r"(?<![A-Za-z0-9])" + re.escape(code) + r"(?![A-Za-z0-9])"), exact[code]))
    return exact, compiled


def redact(actor: Actor, data: Any) -> Any:
    """A copy of a JSON-like value with every confidential place the actor may not see replaced by its
    label: exact strings equal to a FIPS code or facility code, and names appearing anywhere in text.
    Use it on exports, e-mail bodies and page context as the last line of defence."""
    exact, phrases = _replacements(actor)
    if not exact and not phrases:
        return data

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            if value in exact:
                return exact[value]
            for pattern, repl in phrases:
                value = pattern.sub(repl, value)
            return value
        if isinstance(value, dict):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(walk(v) for v in value) if isinstance(value, tuple) else [walk(v) for v in value]
        return value

    return walk(data)



# --- decisions as a reader who gets the label may see them ---------------------------------------------------

#: what stands in for a policy id, rule id or citation that would name a confidential place
WITHHELD = "withheld"
WITHHELD_CITE = "withheld: the law of a confidential jurisdiction"
#: what stands in for a supervisor's reason (free text that may name the place or its law) and their name
WITHHELD_REASON = "withheld: given by a supervisor in a confidential jurisdiction"
WITHHELD_SUPERVISOR = "a supervisor"


def label_override(actor: Actor, facility: Facility, reason: str, by: str) -> tuple[str, str]:
    """A supervisor's override reason and user name as `actor` may read them: whole, or both withheld.

    Why whole and not redacted: a reason is free text ("per the county's 2024 pledge", "as the sheriff's
    policy requires"); redaction replaces only names and codes it knows, and the rest still points at one
    place. A supervisor's user name is a county employee's, and names the county as surely (review H2, L9)."""
    if sees_facility(actor, facility):
        return reason, by
    return (WITHHELD_REASON if reason else ""), (WITHHELD_SUPERVISOR if by else "")


def _national(policy_entry: str) -> bool:
    """Whether a policy id ("us-federal@2017-04-02") is national law, which names no place. State, county and
    city policies name theirs (a state narrows a pooled confidential place down too: review H3)."""
    doc = registry().policies.get(str(policy_entry).partition("@")[0])
    return doc is not None and doc.level == "federal"


def label_decision(actor: Actor, facility: Facility, decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """A decision (INTERFACES.md JSON, or the notice payload's shorter form) as `actor` may read it.

    Why: for a reader who gets the label of a confidential place, the policy ids, rule ids, citations and
    reason texts of that place's law identify it against the public /policies pages as surely as its name
    (review H1, H2). Such a reader keeps the outcome and the national law's reasons; every reason of a
    state, county or city policy becomes one withheld line (their number alone could tell the policy), and
    names and codes left anywhere are replaced by `redact`. Readers who see the place get it unchanged."""
    if decision is None or sees_facility(actor, facility):
        return decision
    out = dict(decision)
    if "policies" in out:
        out["policies"] = [p if _national(p) else WITHHELD for p in out.get("policies") or []]
        out["policies"] = list(dict.fromkeys(out["policies"]))
    reasons: list[Any] = []
    withheld = False
    for r in out.get("reasons") or []:
        if isinstance(r, dict) and _national(str(r.get("policy", ""))):
            reasons.append(r)
        elif not withheld:
            withheld = True
            line: dict[str, Any] = {"rule": WITHHELD, "cite": WITHHELD_CITE, "holds": None}
            if isinstance(r, dict) and "policy" in r:
                line = {"policy": WITHHELD, **line, "detail": "", "uncertain": False}
            reasons.append(line)
    if "reasons" in out:
        out["reasons"] = reasons
    if isinstance(out.get("facts"), dict):
        out["facts"] = {}
    if out.get("hold_note"):
        out["hold_note"] = ""
    if isinstance(out.get("override"), dict):
        override = dict(out["override"])
        override["reason"], by = label_override(actor, facility, str(override.get("reason") or ""),
                                                str(override.get("by") or ""))
        override["by"] = by or None
        out["override"] = override
    return redact(actor, out)


def label_disclosure_text(actor: Actor, facility: Facility, text: str | None) -> str | None:
    """The "not disclosed: ... (citation)" sentence, without a citation that names a confidential place."""
    if not text or sees_facility(actor, facility):
        return text
    return text.split(" (", 1)[0] + f" ({WITHHELD_CITE})" if " (" in text else text
