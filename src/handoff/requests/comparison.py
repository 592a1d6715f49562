"""A request in match review beside each candidate booking: field by field, what differs, the score and the
differences matching found (`ImmigrationRequest.match_details`).

Why one module for the page and the API: a clerk resolving a near miss on the review page and a jail system
doing it through the API must see the same candidates, the same fields and the same "differs" marks; two
copies would drift. Who may see it is the caller's question: it takes the bookings its reader may read
(access.scoping, which sits above this app) and never shows a candidate outside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from handoff.custody import names
from handoff.custody.models import Booking
from handoff.requests.models import ImmigrationRequest


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    request: Any
    booking: Any
    differs: bool


@dataclass
class Candidate:
    booking: Booking
    score: int | None
    differences: list[str]
    fields: list[Field] = field(default_factory=list)
    charges: list[str] = field(default_factory=list)


def _differs(kind: str, ours: Any, theirs: Any) -> bool:
    """A field differs when both sides have a value and the values differ as a clerk reads them (letter case
    and spaces aside for names; hyphens for codes). A blank on either side is "unknown", not a difference."""
    if ours in (None, "") or theirs in (None, ""):
        return False
    if kind == "name":
        return str(ours).strip().casefold() != str(theirs).strip().casefold()
    if kind == "code":
        return str(ours).replace("-", "").strip().upper() != str(theirs).replace("-", "").strip().upper()
    return bool(ours != theirs)


#: (key, label, how compared, the request's value, the candidate's value)
FIELDS: list[tuple[str, str, str, Callable[[ImmigrationRequest], Any], Callable[[Booking], Any]]] = [
    ("last_name", "Family name", "name", lambda r: r.subject_last_name, lambda b: b.person.last_name),
    ("first_name", "Given names", "name", lambda r: r.subject_first_name,
     lambda b: " ".join(x for x in (b.person.first_name, b.person.middle_name) if x)),
    ("date_of_birth", "Date of birth", "value", lambda r: r.subject_date_of_birth, lambda b: b.person.date_of_birth),
    ("sex", "Sex", "code", lambda r: r.subject_sex, lambda b: b.person.sex),
    ("a_number", "A-number", "code", lambda r: r.subject_a_number, lambda b: b.person.a_number),
    ("fbi_number", "FBI number", "code", lambda r: r.subject_fbi_number, lambda b: b.person.fbi_number),
    ("booking_number", "Booking number", "code", lambda r: r.booking_number, lambda b: b.booking_number),
]


def candidates(req: ImmigrationRequest, bookings: QuerySet[Booking]) -> list[Candidate]:
    """The candidates of a request in review that are among `bookings` (the reader's), best score first."""
    ids = [int(i) for i in (req.match_candidates or []) if str(i).isdigit()]
    if not ids:
        return []
    found = {b.pk: b for b in bookings.filter(pk__in=ids, facility_id=req.facility_id)
             .select_related("person", "facility").prefetch_related("charges")}
    details = {int(d.get("booking_id", 0)): d for d in (req.match_details or []) if isinstance(d, dict)}
    order = sorted(found, key=lambda pk: (-int(details.get(pk, {}).get("score", -1)), pk))
    out = []
    for pk in order:
        b = found[pk]
        d = details.get(pk, {})
        score = d.get("score")
        if score is None:  # a request put to review before scores were kept
            p = b.person
            cmp = names.compare(req.subject_last_name, req.subject_first_name, req.subject_date_of_birth,
                                p.last_name, p.first_name, p.date_of_birth)
            score, diffs = (cmp.score, list(cmp.differences)) if cmp.fits else (None, [])
        else:
            diffs = list(d.get("differences") or [])
        fields = [Field(key, label, ours(req), theirs(b), _differs(kind, ours(req), theirs(b)))
                  for key, label, kind, ours, theirs in FIELDS]
        charges = [ch.statute + (f" ({ch.description})" if ch.description else "") for ch in b.charges.all()]
        out.append(Candidate(b, score, diffs, fields, charges))
    return out
