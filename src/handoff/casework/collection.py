"""Collect only what the law allows (issue 9 item 5; law review X5): the fields a place's law forbids
collecting or keeping (policy setting `collection_limits`, read by policy.duties) are dropped on the way in and
blanked in what is already held.

- On the way in: `strip_booking` / `strip_request` drop an enforced field before it is stored (ingest counts
  what it dropped in its report; the API and the clerk's pages go through the same flow).
- Already held: `holdings()` lists, per facility, the limits in force and how many records still hold each
  field (`handoff collection`); `purge()` blanks the enforced ones (`handoff collection purge`), the record
  history's old values included, and is idempotent: a second run finds nothing to change.

Only a limit the law clearly sets is enforced; an uncertain one is listed for counsel and left alone unless
`purge(include_uncertain=True)` is asked for by a person who has decided it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from handoff.core import clock
from handoff.custody.models import Booking, Person, RecordChange
from handoff.custody.services import BookingInput
from handoff.jurisdictions.models import Facility
from handoff.jurisdictions.services import policy_chain
from handoff.policy.duties import CollectionLimit, collection_limits
from handoff.requests.inputs import RequestInput
from handoff.requests.models import ImmigrationRequest

#: where each limited field is stored: (model, column)
STORED = {"place_of_birth": ("custody.Person", "country_of_birth"),
          "citizenship": ("requests.ImmigrationRequest", "subject_citizenship")}


class Limits:
    """The limits in force per facility, read once per facility per use (an import asks for every row)."""

    def __init__(self) -> None:
        self._by_id: dict[int, list[CollectionLimit]] = {}
        self._by_code: dict[str, int | None] = {}

    def for_facility(self, facility: Facility) -> list[CollectionLimit]:
        found = self._by_id.get(facility.pk)
        if found is None:
            found = collection_limits(policy_chain(facility), clock.now())
            self._by_id[facility.pk] = found
        return found

    def for_id(self, facility_id: int) -> list[CollectionLimit]:
        if facility_id not in self._by_id:
            facility = Facility.objects.filter(pk=facility_id).first()
            self._by_id[facility_id] = self.for_facility(facility) if facility is not None else []
        return self._by_id[facility_id]

    def for_code(self, code: str) -> list[CollectionLimit]:
        if code not in self._by_code:
            self._by_code[code] = Facility.objects.filter(code=code).values_list("pk", flat=True).first()
        pk = self._by_code[code]
        return self.for_id(pk) if pk is not None else []

    @staticmethod
    def enforced(limits: Iterable[CollectionLimit], name: str) -> CollectionLimit | None:
        return next((lim for lim in limits if lim.field == name and lim.enforced), None)


def strip_booking(b: BookingInput, limits: Limits) -> tuple[BookingInput, list[CollectionLimit]]:
    """The booking without a place of birth its facility's law forbids keeping; and the limits applied."""
    if not b.person.country_of_birth:
        return b, []
    limit = limits.enforced(limits.for_id(b.facility_id), "place_of_birth")
    if limit is None:
        return b, []
    b.person = dataclasses.replace(b.person, country_of_birth="")
    return b, [limit]


def strip_booking_values(values: dict[str, Any], limits: Limits) -> tuple[dict[str, Any], list[CollectionLimit]]:
    """The same for a booking given as a mapping (the API's POST /bookings)."""
    if not values.get("country_of_birth"):
        return values, []
    limit = limits.enforced(limits.for_code(str(values.get("facility") or "")), "place_of_birth")
    if limit is None:
        return values, []
    return {k: v for k, v in values.items() if k != "country_of_birth"}, [limit]


def strip_request(data: RequestInput, limits: Limits) -> tuple[RequestInput, list[CollectionLimit]]:
    """The request without a citizenship its facility's law forbids keeping (none of the shipped limits on a
    request's citizenship is certain today: they are listed, not enforced)."""
    if not data.subject.citizenship:
        return data, []
    limit = limits.enforced(limits.for_code(data.facility), "citizenship")
    if limit is None:
        return data, []
    return dataclasses.replace(data, subject=dataclasses.replace(data.subject, citizenship="")), [limit]


# --- what is held, and the purge ---------------------------------------------------------------------------

@dataclass
class Holding:
    facility: str
    policies: list[str]
    limits: list[dict[str, Any]]
    held: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"facility": self.facility, "policies": self.policies, "limits": self.limits, "held": self.held}


def _people(facility: Facility) -> Any:
    return Person.objects.filter(pk__in=Booking.objects.filter(facility=facility).values("person_id"))


def _held(facility: Facility, name: str) -> int:
    if name == "place_of_birth":
        return int(_people(facility).exclude(country_of_birth="").count())
    return int(ImmigrationRequest.objects.filter(facility=facility).exclude(subject_citizenship="").count())


def holdings() -> list[Holding]:
    """Per facility whose law limits collection: each limit in force and how many records hold the field."""
    out = []
    limits = Limits()
    for facility in Facility.objects.select_related("jurisdiction").order_by("code"):
        found = limits.for_facility(facility)
        if not found:
            continue
        h = Holding(facility.code, sorted({lim.policy for lim in found}), [lim.to_dict() for lim in found])
        for name in sorted({lim.field for lim in found}):
            h.held[name] = _held(facility, name)
        out.append(h)
    return out


@dataclass
class PurgeResult:
    blanked: dict[str, int] = field(default_factory=dict)
    history_scrubbed: int = 0
    by_facility: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.blanked.values()) + self.history_scrubbed

    def to_dict(self) -> dict[str, Any]:
        return {"blanked": self.blanked, "history_scrubbed": self.history_scrubbed,
                "by_facility": self.by_facility, "changed": self.changed}


def _scrub_history(model: str, ids: Any, column: str) -> int:
    """Old values of the field in the record history (a correction keeps old and new): kept there, the purge
    would keep what the law forbids. The entry stays, with the field's values blanked. `ids` is a subquery
    (a county's people may be a million: no list of ids is sent to the database)."""
    n = 0
    rows = RecordChange.objects.filter(model=model, object_id__in=ids, changes__has_key=column)
    for row in rows.iterator(chunk_size=2000):
        change = row.changes.get(column) if isinstance(row.changes, dict) else None
        if isinstance(change, list) and any(v not in ("", None) for v in change):
            row.changes = {**row.changes, column: ["", ""]}
            row.save(update_fields=["changes"])
            n += 1
    return n


def purge(*, include_uncertain: bool = False) -> PurgeResult:
    """Blank every enforced limited field in what is held (and, if asked, the uncertain ones too). One
    transaction; the caller audits it with the counts (never the values)."""
    result = PurgeResult()
    limits = Limits()
    with transaction.atomic():
        for facility in Facility.objects.order_by("code"):
            wanted = {lim.field for lim in limits.for_facility(facility) if lim.enforced or include_uncertain}
            counts: dict[str, int] = {}
            if "place_of_birth" in wanted:
                n = _people(facility).exclude(country_of_birth="").update(country_of_birth="",
                                                                          updated_at=clock.now())
                if n:
                    counts["place_of_birth"] = n
                result.history_scrubbed += _scrub_history("Person", _people(facility).values("pk"),
                                                          "country_of_birth")
            if "citizenship" in wanted:
                qs = ImmigrationRequest.objects.filter(facility=facility).exclude(subject_citizenship="")
                n = qs.update(subject_citizenship="")
                if n:
                    counts["citizenship"] = n
            for name, n in counts.items():
                result.blanked[name] = result.blanked.get(name, 0) + n
            if counts:
                result.by_facility[facility.code] = counts
    return result
