"""Custody operations: bookings, charges and criminal history, one record or a batch at a time.

Why batches all the way down: a jail export has a million rows, and the single-record services the REST
API calls are the same code with a batch of one, so a file and an API call are judged by the same rules
and recorded the same way. Callers open the transaction (the ingest runner per batch, the API per call).

Person matching is deterministic (fuzzy linkage comes later): FBI number, else state ID, else A-number,
else exact last name + first name + date of birth. A candidate is never taken when it carries a different
value for an identifier of higher rank than the one that matched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Q

from handoff.core import clock
from handoff.core.errors import InvalidInput, NotFound
from handoff.custody.ingest import fields as F
from handoff.custody.ingest.contract import BatchResult, Problem
from handoff.custody.models import (
    Booking,
    Charge,
    ChargeLevel,
    Conviction,
    Disposition,
    Person,
    RecordChange,
    ReleaseReason,
    ReleaseScheduleChange,
    ReleaseType,
    Sex,
)
from handoff.jurisdictions.models import Facility

OFFENCE_CATEGORIES = frozenset({
    "violent_felony", "serious_felony", "state_prison_felony", "assault_battery", "criminal_threats",
    "child_abuse", "sex_offense_registrable", "theft_burglary_robbery_fraud", "dui_felony", "domestic_violence",
    "weapons", "controlled_substance_felony", "gang", "death_or_great_bodily_injury", "human_trafficking",
    "stalking", "hate_crime", "kidnapping", "obstruction_bribery_escape", "aggravated_felony_federal",
})
PERSON_FIELDS = ("last_name", "first_name", "middle_name", "date_of_birth", "sex", "fbi_number", "state_id",
                 "a_number", "country_of_birth")
IDENTIFIERS = ("fbi_number", "state_id", "a_number")  # in order of rank
BOOKING_FIELDS = ("booked_at", "scheduled_release_at", "release_type", "released_at", "release_reason", "ice_hold")
CHARGE_FIELDS = ("statute", "description", "level", "wobbler", "disposition", "disposition_date",
                 "probable_cause_found", "categories")
CONVICTION_FIELDS = ("level", "wobbler", "state", "categories", "state_prison", "prop47_reduced")
MAX_SEQ = 2_147_483_647
_GRACE = timedelta(minutes=10)  # clocks of jail systems drift; "in the future" allows for it

BOOKING_KNOWN = frozenset({"facility", "booking_number", "booked_at", *PERSON_FIELDS, "scheduled_release_at",
                           "release_type", "released_at", "release_reason", "ice_hold"})
CHARGE_KNOWN = frozenset({"facility", "booking_number", "seq", *CHARGE_FIELDS})
CONVICTION_KNOWN = frozenset({"fbi_number", "state_id", "a_number", "last_name", "first_name", "date_of_birth",
                              "statute", "level", "wobbler", "convicted_on", "state", "categories", "state_prison",
                              "prop47_reduced"})

T = TypeVar("T")


# --------------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True, slots=True)
class PersonInput:
    last_name: str
    first_name: str
    middle_name: str
    date_of_birth: date | None
    sex: str
    fbi_number: str
    state_id: str
    a_number: str
    country_of_birth: str


@dataclass(frozen=True, slots=True)
class BookingInput:
    facility_id: int
    facility_code: str
    booking_number: str
    person: PersonInput
    booked_at: datetime
    scheduled_release_at: datetime | None
    release_type: str
    released_at: datetime | None
    release_reason: str
    ice_hold: bool


@dataclass(frozen=True, slots=True)
class ChargeInput:
    facility_id: int
    facility_code: str
    booking_number: str
    seq: int
    statute: str
    description: str
    level: str
    wobbler: bool
    disposition: str
    disposition_date: date | None
    probable_cause_found: bool
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConvictionInput:
    person: PersonInput
    statute: str
    level: str
    wobbler: bool
    convicted_on: date
    state: str
    categories: tuple[str, ...]
    state_prison: bool
    prop47_reduced: bool
    source_key: str


@dataclass
class UpsertResult(Generic[T]):
    """What a single-record service did: the stored object, "created" / "updated" / "unchanged", and the
    {field: [old, new]} changes it recorded."""

    obj: T
    outcome: str
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Applied(Generic[T]):
    """A batch's outcome plus, per input row number, the stored object (for the single-record services)."""

    result: BatchResult
    objects: dict[int, T] = field(default_factory=dict)
    outcomes: dict[int, str] = field(default_factory=dict)
    changes: dict[int, dict[str, list[Any]]] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ facilities
class Facilities:
    """Facility code -> (id, time zone), read once per code per run. Why: validation needs the zone for
    every time in every row, and a million-row file names one or two jails."""

    def __init__(self) -> None:
        self._by_code: dict[str, Facility | None] = {}
        self._zones: dict[str, tzinfo] = {}

    def get(self, code: str) -> Facility | None:
        if code not in self._by_code:
            self._by_code[code] = Facility.objects.filter(code=code).first()
        return self._by_code[code]

    def zone(self, facility: Facility) -> tzinfo:
        tz = self._zones.get(facility.timezone)
        if tz is None:
            tz = self._zones[facility.timezone] = ZoneInfo(facility.timezone)
        return tz


# ------------------------------------------------------------------------------------------ validation
class _Collector:
    """Runs field parsers and gathers every problem of a row, not only the first."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.problems: list[Problem] = []

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get(self, name: str, parse: Any, *, required: bool = False, default: Any = None) -> Any:
        value = self.values.get(name)
        if F.is_blank(value):
            if required:
                self.problems.append(Problem(name, "", F.MISSING))
            return default
        try:
            return parse(value)
        except F.FieldError as exc:
            self.problems.append(Problem(name, _show(value), str(exc)))
            return default

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(name, _show(self.values.get(name)), reason))


def _show(value: Any) -> str:
    if value is None:
        return ""
    s = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return s if len(s) <= 200 else s[:197] + "..."


def _txt(max_length: int) -> Any:
    return lambda v: F.text(v, max_length=max_length)


def _enum(choices: Iterable[str]) -> Any:
    allowed = list(choices)
    return lambda v: F.parse_enum(v, allowed)


def _categories(value: Any) -> tuple[str, ...]:
    items = F.parse_list(value)
    unknown = [c for c in items if c not in OFFENCE_CATEGORIES]
    if unknown:
        raise F.FieldError(f"unknown offence categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    return tuple(items)


def _fbi(value: Any) -> str:
    s = F.text(value, max_length=20).upper()
    if s and not s.replace("-", "").isalnum():
        raise F.FieldError("an FBI number has only letters and digits")
    return s


def _dob(value: Any) -> date:
    d = F.parse_date(value)
    if d > clock.now().date():
        raise F.FieldError("date of birth is in the future")
    if d.year < 1880:
        raise F.FieldError("date of birth before 1880")
    return d


def _person(c: _Collector, *, names_required: bool) -> PersonInput:
    return PersonInput(
        last_name=c.get("last_name", _txt(100), required=names_required, default=""),
        first_name=c.get("first_name", _txt(100), required=names_required, default=""),
        middle_name=c.get("middle_name", _txt(100), default=""),
        date_of_birth=c.get("date_of_birth", _dob, required=names_required),
        sex=c.get("sex", _enum(Sex.values), default=""),
        fbi_number=c.get("fbi_number", _fbi, default=""),
        state_id=c.get("state_id", lambda v: F.text(v, max_length=30).upper(), default=""),
        a_number=c.get("a_number", F.parse_a_number, default=""),
        country_of_birth=c.get("country_of_birth", _txt(60), default=""),
    )


def _facility(c: _Collector, facilities: Facilities) -> Facility | None:
    code = c.get("facility", _txt(40), required=True, default="")
    if not code:
        return None
    facility = facilities.get(code)
    if facility is None:
        c.fail("facility", "unknown facility (register it with `handoff facility add`)")
    return facility


def validate_booking(values: Mapping[str, Any], facilities: Facilities) -> BookingInput | list[Problem]:
    c = _Collector(values)
    facility = _facility(c, facilities)
    tz = facilities.zone(facility) if facility is not None else ZoneInfo("UTC")

    def when(v: Any) -> datetime:
        return F.parse_datetime(v, tz)

    booking_number = c.get("booking_number", _txt(60), required=True, default="")
    booked_at = c.get("booked_at", when, required=True)
    person = _person(c, names_required=True)
    scheduled = c.get("scheduled_release_at", when)
    released_at = c.get("released_at", when)
    release_type = c.get("release_type", _enum(ReleaseType.values), default="")
    release_reason = c.get("release_reason", _enum(ReleaseReason.values), default="")
    ice_hold = c.get("ice_hold", F.parse_bool, default=False)
    if booked_at is not None:
        if released_at is not None and released_at < booked_at:
            c.fail("released_at", "released before booked")
        if scheduled is not None and scheduled < booked_at:
            c.fail("scheduled_release_at", "scheduled release is before the booking")
        if booked_at > clock.now() + _GRACE:
            c.fail("booked_at", "booked in the future")
    if released_at is not None and released_at > clock.now() + _GRACE:
        c.fail("released_at", "release is in the future (use scheduled_release_at)")
    if c.problems or facility is None:
        return c.problems
    return BookingInput(facility.pk, facility.code, booking_number, person, booked_at, scheduled, release_type,
                        released_at, release_reason, bool(ice_hold))


def validate_charge(values: Mapping[str, Any], facilities: Facilities) -> ChargeInput | list[Problem]:
    c = _Collector(values)
    facility = _facility(c, facilities)
    booking_number = c.get("booking_number", _txt(60), required=True, default="")
    seq = c.get("seq", lambda v: F.parse_int(v, minimum=0, maximum=MAX_SEQ), required=True)
    statute = c.get("statute", _txt(120), required=True, default="")
    level = c.get("level", _enum(ChargeLevel.values), required=True, default="")
    disposition = c.get("disposition", _enum(Disposition.values), required=True, default="")
    charge = dict(
        description=c.get("description", _txt(300), default=""),
        wobbler=c.get("wobbler", F.parse_bool, default=False),
        disposition_date=c.get("disposition_date", F.parse_date),
        probable_cause_found=c.get("probable_cause_found", F.parse_bool, default=False),
        categories=c.get("categories", _categories, default=()),
    )
    if c.problems or facility is None:
        return c.problems
    return ChargeInput(facility.pk, facility.code, booking_number, seq, statute, level=level,
                       disposition=disposition, **charge)


def validate_conviction(values: Mapping[str, Any]) -> ConvictionInput | list[Problem]:
    c = _Collector(values)
    person = _person(c, names_required=False)
    has_name = bool(person.last_name and person.first_name and person.date_of_birth)
    if not (person.fbi_number or person.state_id or person.a_number or has_name) and not c.problems:
        c.problems.append(Problem("person", "", "no person identifiers: give fbi_number, state_id, a_number, "
                                                "or last_name + first_name + date_of_birth"))
    statute = c.get("statute", _txt(120), required=True, default="")
    level = c.get("level", _enum(ChargeLevel.values), required=True, default="")

    def conviction_date(v: Any) -> date:
        d = F.parse_date(v)
        if d > clock.now().date():
            raise F.FieldError("conviction date is in the future")
        return d

    convicted_on = c.get("convicted_on", conviction_date, required=True)
    state = c.get("state", lambda v: F.text(v).upper(), default="")
    if state and not (len(state) == 2 and state.isalpha() and state.isascii()):
        c.fail("state", "not a two-letter state code")
    rest = dict(
        wobbler=c.get("wobbler", F.parse_bool, default=False),
        categories=c.get("categories", _categories, default=()),
        state_prison=c.get("state_prison", F.parse_bool, default=False),
        prop47_reduced=c.get("prop47_reduced", F.parse_bool, default=False),
    )
    if c.problems:
        return c.problems
    key = conviction_source_key(person, statute, convicted_on, state)
    return ConvictionInput(person, statute, level, convicted_on=convicted_on, state=state, source_key=key, **rest)


def conviction_source_key(person: PersonInput, statute: str, convicted_on: date, state: str) -> str:
    """The identity of a conviction as the source states it. Why these parts: the same conviction
    re-exported must land on the same row (so a changed level or category is an update, recorded), while
    the person's identifiers as given keep two people's identical convictions apart."""
    parts = [person.fbi_number, person.state_id, person.a_number, person.last_name.casefold(),
             person.first_name.casefold(), person.date_of_birth.isoformat() if person.date_of_birth else "",
             statute.casefold(), convicted_on.isoformat(), state]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _raise_invalid(problems: list[Problem]) -> None:
    first = problems[0]
    detail = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in problems)
    raise InvalidInput(detail, first.field or None)


# ------------------------------------------------------------------------------------------ people
class PersonIndex:
    """The people a batch may match, by each identifier; new people join it as they are made, so two
    bookings of one new person in one batch share a Person."""

    def __init__(self) -> None:
        self.by: dict[str, dict[Any, list[Person]]] = {k: {} for k in (*IDENTIFIERS, "name")}
        self._seen: set[int] = set()

    def add(self, p: Person) -> None:
        if id(p) in self._seen:
            return
        self._seen.add(id(p))
        for attr in IDENTIFIERS:
            value = getattr(p, attr)
            if value:
                self.by[attr].setdefault(value, []).append(p)
        self.by["name"].setdefault((p.last_name, p.first_name, p.date_of_birth), []).append(p)

    def prefetch(self, people: Iterable[PersonInput]) -> None:
        wanted: dict[str, set[Any]] = {k: set() for k in IDENTIFIERS}
        names: set[tuple[str, str, date]] = set()
        for p in people:
            for attr in IDENTIFIERS:
                if getattr(p, attr):
                    wanted[attr].add(getattr(p, attr))
            if p.last_name and p.first_name and p.date_of_birth:
                names.add((p.last_name, p.first_name, p.date_of_birth))
        for attr, values in wanted.items():
            if values:
                for person in Person.objects.filter(**{f"{attr}__in": values}).order_by("pk"):
                    self.add(person)
        # Exact (last, first, dob) triples, OR-ed in chunks: each term uses the person_name_dob index,
        # where `last_name IN .. AND dob IN ..` would drag in every Smith born on any of those days.
        triples = sorted(names)
        for i in range(0, len(triples), 300):
            q = Q()
            for last, first, dob in triples[i:i + 300]:
                q |= Q(last_name=last, first_name=first, date_of_birth=dob)
            for person in Person.objects.filter(q).order_by("pk"):
                self.add(person)

    def find(self, p: PersonInput) -> Person | None:
        for rank, attr in enumerate(IDENTIFIERS):
            value = getattr(p, attr)
            if not value:
                continue
            for cand in sorted(self.by[attr].get(value, []), key=_pk_order):
                if not _conflicts(cand, p, IDENTIFIERS[:rank]):
                    return cand
        if p.last_name and p.first_name and p.date_of_birth:
            for cand in sorted(self.by["name"].get((p.last_name, p.first_name, p.date_of_birth), []), key=_pk_order):
                if not _conflicts(cand, p, IDENTIFIERS):
                    return cand
        return None


def _pk_order(p: Person) -> tuple[int, int]:
    return (0, p.pk) if p.pk is not None else (1, 0)


def _conflicts(cand: Person, p: PersonInput, attrs: Iterable[str]) -> bool:
    return any(getattr(p, a) and getattr(cand, a) and getattr(p, a) != getattr(cand, a) for a in attrs)


def _new_person(p: PersonInput) -> Person:
    return Person(**{f: getattr(p, f) for f in PERSON_FIELDS})


def _merge_person(person: Person, p: PersonInput, *, overwrite: bool) -> dict[str, list[Any]]:
    """Apply a row's person fields. The booking's own row overwrites (the jail corrected it); a row of
    another booking only fills blanks (so two exports that disagree cannot flip a name back and forth)."""
    changes: dict[str, list[Any]] = {}
    for f in PERSON_FIELDS:
        new = getattr(p, f)
        if new in ("", None):
            continue
        old = getattr(person, f)
        if old == new or (not overwrite and old not in ("", None)):
            continue
        changes[f] = [_jsonable(old), _jsonable(new)]
        setattr(person, f, new)
    return changes


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    return v


def _diff(obj: Any, new: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for f, value in new.items():
        old = getattr(obj, f)
        if isinstance(value, tuple):
            value = list(value)
        if old != value:
            changes[f] = [_jsonable(old), _jsonable(value)]
    return changes


# ------------------------------------------------------------------------------------------ reevaluation
def _live_request_facilities(facility_ids: set[int]) -> set[int]:
    """Facilities with any request that is not withdrawn. Why: a booking can only concern a request at its
    own facility, so for a jail with no open requests the call would find nothing; skipping it keeps a
    million-row import from making a million calls that each query for requests."""
    if not facility_ids:
        return set()
    from handoff.requests.models import ImmigrationRequest, RequestStatus

    return set(
        ImmigrationRequest.objects.filter(facility_id__in=facility_ids)
        .exclude(status=RequestStatus.WITHDRAWN)
        .values_list("facility_id", flat=True)
        .distinct()
    )


def _notify_bookings(triggers: dict[int, tuple[Booking, str]]) -> None:
    if not triggers:
        return
    from handoff.requests import services as requests_services

    live = _live_request_facilities({b.facility_id for b, _ in triggers.values()})
    for booking, trigger in triggers.values():
        if booking.facility_id in live:
            requests_services.on_booking_changed(booking, trigger=trigger)


def _notify_people(triggers: dict[int, tuple[Person, str]]) -> None:
    if not triggers:
        return
    from handoff.requests import services as requests_services
    from handoff.requests.models import ImmigrationRequest, RequestStatus

    if not ImmigrationRequest.objects.exclude(status=RequestStatus.WITHDRAWN).exists():
        return  # history loaded before any request arrives concerns no request yet

    for person, trigger in triggers.values():
        requests_services.on_person_changed(person, trigger=trigger)


def _booking_trigger(created: bool, changes: Mapping[str, Any]) -> str | None:
    if created:
        return "booking.created"
    if "released_at" in changes:
        return "booking.released" if changes["released_at"][1] is not None else "booking.unreleased"
    if "scheduled_release_at" in changes:
        return "release.scheduled" if changes["scheduled_release_at"][0] is None else "release.moved"
    if changes:
        return "booking.updated"
    return None


_TRIGGER_RANK = {"booking.created": 0, "booking.released": 1, "booking.unreleased": 2, "release.moved": 3,
                 "release.scheduled": 4, "charge.disposed": 5, "charge.added": 6, "booking.updated": 7,
                 "charge.updated": 8, "person.updated": 9}


def _keep_first(triggers: dict[int, tuple[Any, str]], key: int, obj: Any, trigger: str) -> None:
    current = triggers.get(key)
    if current is None or _TRIGGER_RANK.get(trigger, 99) < _TRIGGER_RANK.get(current[1], 99):
        triggers[key] = (obj, trigger)


# ------------------------------------------------------------------------------------------ bookings
def apply_bookings(items: list[tuple[int, BookingInput]], *, source: str) -> Applied[Booking]:
    """Create or update bookings (and their people). Runs in the caller's transaction."""
    out: Applied[Booking] = Applied(BatchResult())
    if not items:
        return out
    now = clock.now()
    existing: dict[tuple[int, str], Booking] = {}
    by_facility: dict[int, list[str]] = {}
    for _, b in items:
        by_facility.setdefault(b.facility_id, []).append(b.booking_number)
    for facility_id, numbers in by_facility.items():
        for found in Booking.objects.filter(facility_id=facility_id, booking_number__in=numbers).select_related(
            "person"
        ):
            existing[(facility_id, found.booking_number)] = found

    index = PersonIndex()
    for found in existing.values():
        index.add(found.person)
    index.prefetch(b.person for _, b in items if (b.facility_id, b.booking_number) not in existing)

    new_people: list[Person] = []
    changed_people: dict[int, tuple[Person, dict[str, list[Any]]]] = {}
    new_bookings: list[tuple[int, Booking]] = []
    changed_bookings: list[tuple[int, Booking, dict[str, list[Any]]]] = []
    history: list[ReleaseScheduleChange] = []
    triggers: dict[int, tuple[Booking, str]] = {}
    person_changed_for: list[tuple[int, Booking]] = []

    for number, b in items:
        wanted = {f: getattr(b, f) for f in BOOKING_FIELDS}
        booking = existing.get((b.facility_id, b.booking_number))
        if booking is not None:
            person = booking.person
            pchanges = _merge_person(person, b.person, overwrite=True)
            if pchanges:
                _record_person_change(changed_people, person, pchanges)
                person_changed_for.append((number, booking))
            changes = _diff(booking, wanted)
            out.objects[number] = booking
            if not changes:
                if not pchanges:
                    out.result.unchanged += 1
                    out.outcomes[number] = "unchanged"
                else:
                    out.result.updated += 1
                    out.outcomes[number] = "updated"
                    out.changes[number] = {f"person.{k}": v for k, v in pchanges.items()}
                    _keep_first(triggers, id(booking), booking, "person.updated")
                continue
            for f, value in wanted.items():
                setattr(booking, f, value)
            booking.updated_at = now
            changed_bookings.append((number, booking, changes))
            if "scheduled_release_at" in changes:
                history.append(ReleaseScheduleChange(
                    booking=booking, previous=_parse_back(changes["scheduled_release_at"][0]),
                    scheduled_release_at=b.scheduled_release_at, changed_at=now, source=source[:200]))
            out.result.updated += 1
            out.outcomes[number] = "updated"
            out.changes[number] = {**changes, **{f"person.{k}": v for k, v in pchanges.items()}}
            trigger = _booking_trigger(False, changes)
            if trigger:
                _keep_first(triggers, id(booking), booking, trigger)
            continue

        person_match = index.find(b.person)
        if person_match is None:
            person_match = _new_person(b.person)
            new_people.append(person_match)
            index.add(person_match)
        elif person_match.pk is not None:
            pchanges = _merge_person(person_match, b.person, overwrite=False)
            if pchanges:
                _record_person_change(changed_people, person_match, pchanges)
        created = Booking(facility_id=b.facility_id, booking_number=b.booking_number, person=person_match,
                          created_at=now, updated_at=now, **wanted)
        new_bookings.append((number, created))
        existing[(b.facility_id, b.booking_number)] = created
        out.objects[number] = created
        out.result.created += 1
        out.outcomes[number] = "created"
        _keep_first(triggers, id(created), created, "booking.created")

    if new_people:
        for p in new_people:
            p.created_at = p.updated_at = now
        Person.objects.bulk_create(new_people, batch_size=500)
    _save_people(changed_people, source, now)
    if new_bookings:
        for _, booking in new_bookings:
            booking.person_id = booking.person.pk
        Booking.objects.bulk_create([bk for _, bk in new_bookings], batch_size=500)
        history.extend(
            ReleaseScheduleChange(booking=bk, previous=None, scheduled_release_at=bk.scheduled_release_at,
                                  changed_at=now, source=source[:200])
            for _, bk in new_bookings if bk.scheduled_release_at is not None
        )
    if changed_bookings:
        Booking.objects.bulk_update([bk for _, bk, _ in changed_bookings], [*BOOKING_FIELDS, "updated_at"],
                                    batch_size=500)
        RecordChange.objects.bulk_create(
            RecordChange(model="Booking", object_id=bk.pk, changes=changes, source=source[:300], changed_at=now)
            for _, bk, changes in changed_bookings
        )
    if history:
        for h in history:
            h.booking_id = h.booking.pk
        ReleaseScheduleChange.objects.bulk_create(history, batch_size=500)
    _notify_bookings(triggers)
    return out


def _parse_back(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if isinstance(v, str) else v


def _record_person_change(acc: dict[int, tuple[Person, dict[str, list[Any]]]], person: Person,
                          changes: dict[str, list[Any]]) -> None:
    key = id(person)
    if key in acc:
        merged = acc[key][1]
        for f, (old, new) in changes.items():
            merged[f] = [merged[f][0] if f in merged else old, new]
    else:
        acc[key] = (person, dict(changes))


def _save_people(changed: dict[int, tuple[Person, dict[str, list[Any]]]], source: str, now: datetime) -> None:
    if not changed:
        return
    people = [p for p, _ in changed.values()]
    for p in people:
        p.updated_at = now
    Person.objects.bulk_update(people, [*PERSON_FIELDS, "updated_at"], batch_size=500)
    RecordChange.objects.bulk_create(
        RecordChange(model="Person", object_id=p.pk, changes=c, source=source[:300], changed_at=now)
        for p, c in changed.values()
    )


# ------------------------------------------------------------------------------------------ charges
def apply_charges(items: list[tuple[int, ChargeInput]], *, source: str) -> Applied[Charge]:
    out: Applied[Charge] = Applied(BatchResult())
    if not items:
        return out
    now = clock.now()
    bookings: dict[tuple[int, str], Booking] = {}
    by_facility: dict[int, set[str]] = {}
    for _, ch in items:
        by_facility.setdefault(ch.facility_id, set()).add(ch.booking_number)
    for facility_id, numbers in by_facility.items():
        for bk in Booking.objects.filter(facility_id=facility_id, booking_number__in=numbers):
            bookings[(facility_id, bk.booking_number)] = bk
    existing: dict[tuple[int, int], Charge] = {
        (c.booking_id, c.seq): c for c in Charge.objects.filter(booking__in=[b.pk for b in bookings.values()])
    } if bookings else {}

    new: list[Charge] = []
    changed: list[tuple[Charge, dict[str, list[Any]]]] = []
    triggers: dict[int, tuple[Booking, str]] = {}
    for number, ch in items:
        booking = bookings.get((ch.facility_id, ch.booking_number))
        if booking is None:
            out.result.problems.append((number, Problem(
                "booking_number", ch.booking_number,
                f"no booking {ch.booking_number} at facility {ch.facility_code} (import the bookings first)")))
            continue
        wanted = {f: getattr(ch, f) for f in CHARGE_FIELDS}
        wanted["categories"] = list(ch.categories)
        charge = existing.get((booking.pk, ch.seq))
        if charge is None:
            charge = Charge(booking=booking, seq=ch.seq, created_at=now, updated_at=now, **wanted)
            new.append(charge)
            existing[(booking.pk, ch.seq)] = charge
            out.result.created += 1
            out.outcomes[number] = "created"
            _keep_first(triggers, booking.pk, booking,
                        "charge.disposed" if ch.disposition != Disposition.PENDING else "charge.added")
        else:
            changes = _diff(charge, wanted)
            if not changes:
                out.result.unchanged += 1
                out.outcomes[number] = "unchanged"
            else:
                for f, value in wanted.items():
                    setattr(charge, f, value)
                charge.updated_at = now
                changed.append((charge, changes))
                out.result.updated += 1
                out.outcomes[number] = "updated"
                out.changes[number] = changes
                _keep_first(triggers, booking.pk, booking,
                            "charge.disposed" if "disposition" in changes else "charge.updated")
        out.objects[number] = charge
    if new:
        Charge.objects.bulk_create(new, batch_size=500)
    if changed:
        Charge.objects.bulk_update([c for c, _ in changed], [*CHARGE_FIELDS, "updated_at"], batch_size=500)
        RecordChange.objects.bulk_create(
            RecordChange(model="Charge", object_id=c.pk, changes=d, source=source[:300], changed_at=now)
            for c, d in changed
        )
    _notify_bookings(triggers)
    return out


# ------------------------------------------------------------------------------------------ convictions
def apply_convictions(items: list[tuple[int, ConvictionInput]], *, source: str) -> Applied[Conviction]:
    out: Applied[Conviction] = Applied(BatchResult())
    if not items:
        return out
    now = clock.now()
    existing = {c.source_key: c for c in Conviction.objects.filter(source_key__in=[cv.source_key for _, cv in items])
                .select_related("person")}
    index = PersonIndex()
    index.prefetch(cv.person for _, cv in items if cv.source_key not in existing)
    new_people: list[Person] = []
    changed_people: dict[int, tuple[Person, dict[str, list[Any]]]] = {}
    new: list[Conviction] = []
    changed: list[tuple[Conviction, dict[str, list[Any]]]] = []
    touched: dict[int, tuple[Person, str]] = {}
    for number, cv in items:
        wanted = {f: getattr(cv, f) for f in CONVICTION_FIELDS}
        wanted["categories"] = list(cv.categories)
        conviction = existing.get(cv.source_key)
        if conviction is not None:
            changes = _diff(conviction, wanted)
            out.objects[number] = conviction
            if not changes:
                out.result.unchanged += 1
                out.outcomes[number] = "unchanged"
                continue
            for f, value in wanted.items():
                setattr(conviction, f, value)
            conviction.updated_at = now
            changed.append((conviction, changes))
            out.result.updated += 1
            out.outcomes[number] = "updated"
            out.changes[number] = changes
            _keep_first(touched, id(conviction.person), conviction.person, "conviction.changed")
            continue
        person = index.find(cv.person)
        if person is None:
            given = cv.person
            if not (given.last_name and given.first_name and given.date_of_birth):
                ids = ", ".join(f"{a} {getattr(given, a)}" for a in IDENTIFIERS if getattr(given, a))
                out.result.problems.append((number, Problem(
                    "person", ids, "no person with these identifiers; give last_name, first_name and "
                                   "date_of_birth to record history for someone not yet booked")))
                continue
            person = _new_person(given)
            new_people.append(person)
            index.add(person)
        elif person.pk is not None:
            pchanges = _merge_person(person, cv.person, overwrite=False)
            if pchanges:
                _record_person_change(changed_people, person, pchanges)
        conviction = Conviction(person=person, statute=cv.statute, convicted_on=cv.convicted_on,
                                source_key=cv.source_key, created_at=now, updated_at=now, **wanted)
        new.append(conviction)
        existing[cv.source_key] = conviction
        out.objects[number] = conviction
        out.result.created += 1
        out.outcomes[number] = "created"
        _keep_first(touched, id(person), person, "conviction.added")
    if new_people:
        for p in new_people:
            p.created_at = p.updated_at = now
        Person.objects.bulk_create(new_people, batch_size=500)
    _save_people(changed_people, source, now)
    if new:
        for c in new:
            c.person_id = c.person.pk
        Conviction.objects.bulk_create(new, batch_size=500)
    if changed:
        Conviction.objects.bulk_update([c for c, _ in changed], [*CONVICTION_FIELDS, "updated_at"], batch_size=500)
        RecordChange.objects.bulk_create(
            RecordChange(model="Conviction", object_id=c.pk, changes=d, source=source[:300], changed_at=now)
            for c, d in changed
        )
    _notify_people({k: v for k, v in touched.items() if v[0].pk is not None})
    return out


# ------------------------------------------------------------------------------------------ single records
def upsert_booking(data: Mapping[str, Any], *, source: str) -> UpsertResult[Booking]:
    """One booking from the API (or anywhere): same rules as a file row. Raises InvalidInput."""
    cleaned = validate_booking(_strip_unknown(data, BOOKING_KNOWN), Facilities())
    if isinstance(cleaned, list):
        _raise_invalid(cleaned)
        raise AssertionError  # unreachable
    return _single(apply_bookings([(1, cleaned)], source=source))


def upsert_charge(data: Mapping[str, Any], *, source: str) -> UpsertResult[Charge]:
    cleaned = validate_charge(_strip_unknown(data, CHARGE_KNOWN), Facilities())
    if isinstance(cleaned, list):
        _raise_invalid(cleaned)
        raise AssertionError
    return _single(apply_charges([(1, cleaned)], source=source))


def add_conviction(data: Mapping[str, Any], *, source: str) -> UpsertResult[Conviction]:
    cleaned = validate_conviction(_strip_unknown(data, CONVICTION_KNOWN))
    if isinstance(cleaned, list):
        _raise_invalid(cleaned)
        raise AssertionError
    return _single(apply_convictions([(1, cleaned)], source=source))


def record_release(facility_code: str, booking_number: str, released_at: datetime | str,
                   release_reason: str, release_type: str = "", *, source: str) -> UpsertResult[Booking]:
    """A release reported as it happens. A time without an offset is the facility's local time."""
    facilities = Facilities()
    facility = facilities.get(str(facility_code).strip())
    if facility is None:
        raise InvalidInput("unknown facility (register it with `handoff facility add`)", "facility")
    booking = Booking.objects.filter(facility=facility, booking_number=str(booking_number).strip()).select_related(
        "person").first()
    if booking is None:
        raise NotFound(f"no booking {booking_number} at facility {facility.code}")
    c = _Collector({"released_at": released_at, "release_reason": release_reason, "release_type": release_type})
    when = c.get("released_at", lambda v: F.parse_datetime(v, facilities.zone(facility)), required=True)
    reason = c.get("release_reason", _enum(ReleaseReason.values), required=True, default="")
    rtype = c.get("release_type", _enum(ReleaseType.values), default=booking.release_type)
    if when is not None:
        if when < booking.booked_at:
            c.fail("released_at", "released before booked")
        elif when > clock.now() + _GRACE:
            c.fail("released_at", "release is in the future (use scheduled_release_at)")
    if c.problems:
        _raise_invalid(c.problems)
    p = booking.person
    b = BookingInput(facility.pk, facility.code, booking.booking_number,
                     PersonInput(**{f: getattr(p, f) for f in PERSON_FIELDS}), booking.booked_at,
                     booking.scheduled_release_at, rtype, when, reason, booking.ice_hold)
    return _single(apply_bookings([(1, b)], source=source))


def _strip_unknown(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in known}


def _single(applied: Applied[T]) -> UpsertResult[T]:
    if applied.result.problems:
        _, problem = applied.result.problems[0]
        if problem.field == "booking_number":
            raise NotFound(problem.reason)
        raise InvalidInput(problem.reason, problem.field or None)
    return UpsertResult(applied.objects[1], applied.outcomes[1], applied.changes.get(1, {}))

