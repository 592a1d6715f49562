"""The side-by-side comparison on the review form: the request's subject beside each candidate booking, every
field that differs marked, with the score and the differences matching found (requests.match_details).

Why on the page and not only in the note: the review form could not tell two candidates apart ("Booking
LA-0250xx: Gomez, Carlos, born 1973-06-20" twice, users review December 2026). A clerk needs the booking date,
charges, A-number and FBI number of each, and what exactly differs from the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handoff.access import scoping
from handoff.requests import comparison
from handoff.web import timefmt


@dataclass
class Cell:
    text: str
    differs: bool = False
    #: the candidate's label: a stacked table's data-label on a phone
    label: str = ""


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


def build(req: Any, who: Any) -> Comparison:
    """The candidates the reader may see (their own facilities), best score first (requests.comparison)."""
    found = comparison.candidates(req, scoping.bookings_for(who))
    out = Comparison()
    if not found:
        return out
    for c in found:
        label = f"Booking {c.booking.booking_number}" + (f" (score {c.score} of 100)" if c.score is not None else "")
        out.candidates.append(Candidate(c.booking, c.score, c.differences, label))
    for i, f in enumerate(found[0].fields):
        out.rows.append((f.label, _text(f.request),
                         [Cell(_text(c.fields[i].booking), c.fields[i].differs, shown.label)
                          for c, shown in zip(found, out.candidates, strict=True)]))
    tz = req.facility.timezone
    out.rows.append(("Booked", "—", [Cell(timefmt.local(c.booking.booked_at, tz), label=shown.label)
                                     for c, shown in zip(found, out.candidates, strict=True)]))
    out.rows.append(("Charges", "—", [Cell("; ".join(c.charges) or "none recorded", label=shown.label)
                                      for c, shown in zip(found, out.candidates, strict=True)]))
    return out
