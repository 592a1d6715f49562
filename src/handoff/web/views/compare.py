"""The side-by-side comparison on the review form: the request's subject beside each candidate booking, every
field that differs marked, with the score and the differences matching found (requests.match_details).

Why on the page and not only in the note: the review form could not tell two candidates apart ("Booking
LA-0250xx: Gomez, Carlos, born 1973-06-20" twice, users review December 2026). A clerk needs the booking date,
charges, A-number and FBI number of each, and what exactly differs from the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handoff.access import scoping
from handoff.custody import names
from handoff.web import timefmt


@dataclass
class Cell:
    text: str
    differs: bool = False


@dataclass
class Candidate:
    booking: Any
    score: int | None
    differences: list[str]
    label: str


@dataclass
class Comparison:
    candidates: list[Candidate] = field(default_factory=list)
    #: (row label, the request's value, one Cell per candidate)
    rows: list[tuple[str, str, list[Cell]]] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _differs(kind: str, ours: Any, theirs: Any) -> bool:
    if ours in (None, "") or theirs in (None, ""):
        return False
    if kind == "name":
        return str(ours).strip().casefold() != str(theirs).strip().casefold()
    if kind == "code":
        return str(ours).replace("-", "").strip().upper() != str(theirs).replace("-", "").strip().upper()
    return bool(ours != theirs)


def build(req: Any, who: Any) -> Comparison:
    """The candidates the reader may see (their own facilities), best score first."""
    ids = [int(i) for i in (req.match_candidates or []) if str(i).isdigit()]
    if not ids:
        return Comparison()
    found = {b.pk: b for b in scoping.bookings_for(who).filter(pk__in=ids, facility=req.facility)
             .select_related("person").prefetch_related("charges")}
    details = {int(d.get("booking_id", 0)): d for d in (req.match_details or []) if isinstance(d, dict)}
    order = sorted(found, key=lambda pk: (-int(details.get(pk, {}).get("score", -1)), pk))
    out = Comparison()
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
        label = f"Booking {b.booking_number}" + (f" (score {score} of 100)" if score is not None else "")
        out.candidates.append(Candidate(b, score, diffs, label))
    fields: list[tuple[str, str, Any, Callable[[Any], Any]]] = [
        ("Family name", "name", req.subject_last_name, lambda b: b.person.last_name),
        ("Given names", "name", req.subject_first_name,
         lambda b: " ".join(x for x in (b.person.first_name, b.person.middle_name) if x)),
        ("Date of birth", "value", req.subject_date_of_birth, lambda b: b.person.date_of_birth),
        ("Sex", "code", req.subject_sex, lambda b: b.person.sex),
        ("A-number", "code", req.subject_a_number, lambda b: b.person.a_number),
        ("FBI number", "code", req.subject_fbi_number, lambda b: b.person.fbi_number),
        ("Booking number", "code", req.booking_number, lambda b: b.booking_number),
    ]
    for label, kind, ours, get in fields:
        cells = [Cell(_text(get(c.booking)), _differs(kind, ours, get(c.booking))) for c in out.candidates]
        out.rows.append((label, _text(ours), cells))
    tz = req.facility.timezone
    out.rows.append(("Booked", "—", [Cell(timefmt.local(c.booking.booked_at, tz)) for c in out.candidates]))
    out.rows.append(("Charges", "—", [Cell("; ".join(f"{ch.statute}" + (f" ({ch.description})" if ch.description
                                                                      else "") for ch in c.booking.charges.all())
                                           or "none recorded") for c in out.candidates]))
    return out
