"""Custody operations: bookings, charges and criminal history, one record or a batch at a time.

Why batches all the way down: a jail export has a million rows, and the single-record services the REST
API calls are the same code with a batch of one, so a file and an API call are judged by the same rules
and recorded the same way. Callers open the transaction (the ingest runner per batch, the API per call).

Custody never calls upward: every batch returns, beside its counts, the bookings and people it changed with
the trigger for each (`bookings_changed`, `people_changed`), and the flow (handoff.casework.flow) hands them
to the requests they concern.

Person matching is deterministic and happens only inside the county that booked the person (security review
H4): FBI number, else state ID, else A-number, else exact last name + first name + date of birth (never on an
unknown date of birth). A candidate is never taken when it carries a different value for an identifier of
higher rank than the one that matched. The same human in two counties is two Persons, joined (for those cleared
to see it) by the linkage layer, `handoff.linkage`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count

from handoff.core import clock, ids, vocab
from handoff.core.errors import BatchResult, InvalidInput, NotFound, Problem
from handoff.custody import fields as F
from handoff.custody.models import (
    NAME_FIELDS,
    Booking,
    Charge,
    ChargeLevel,
    Conviction,
    Disposition,
    NameKey,
    Person,
    RecordChange,
    ReleaseReason,
    ReleaseScheduleChange,
    ReleaseType,
    Sex,
)
from handoff.jurisdictions.models import Facility

OFFENCE_CATEGORIES = frozenset(vocab.OFFENCE_CATEGORIES)
PERSON_FIELDS = ("last_name", "first_name", "middle_name", "date_of_birth", "sex", "fbi_number", "state_id",
                 "a_number", "country_of_birth")
IDENTIFIERS = ("fbi_number", "state_id", "a_number")  # in order of rank
ADDRESS_FIELDS = ("address_street", "address_city", "address_postcode", "address_state")
BOOKING_FIELDS = ("booked_at", "scheduled_release_at", "release_type", "released_at", "release_reason", "ice_hold",
                  *ADDRESS_FIELDS, "arrested_at")
CHARGE_FIELDS = ("statute", "description", "level", "wobbler", "disposition", "disposition_date",
                 "probable_cause_found", "categories", "offence")
CONVICTION_FIELDS = ("level", "wobbler", "state", "categories", "state_prison", "prop47_reduced", "adjudication",
                     "custody_days_since")
MAX_SEQ = 2_147_483_647
_GRACE = timedelta(minutes=10)  # clocks of jail systems drift; "in the future" allows for it

BOOKING_KNOWN = frozenset({"facility", "booking_number", "booked_at", *PERSON_FIELDS, "scheduled_release_at",
                           "release_type", "released_at", "release_reason", "ice_hold", *ADDRESS_FIELDS,
                           "arrested_at"})
CHARGE_KNOWN = frozenset({"facility", "booking_number", "seq", *CHARGE_FIELDS})
CONVICTION_KNOWN = frozenset({"facility", "fbi_number", "state_id", "a_number", "last_name", "first_name", "date_of_birth",
                              "statute", "level", "wobbler", "convicted_on", "state", "categories", "state_prison",
                              "prop47_reduced", "adjudication", "custody_days_since"})

T = TypeVar("T")


# --------------------------------------------------------------------------------------------- inputs
@dataclass(slots=True)
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


@dataclass(slots=True)
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
    address_street: str = ""
    address_city: str = ""
    address_postcode: str = ""
    address_state: str = ""
    jurisdiction_id: int | None = None  # the facility's county: where the person is matched
    arrested_at: datetime | None = None  # the arrest for this booking's charges, when the jail's system says


@dataclass(slots=True)
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
    offence: bool = True


@dataclass(slots=True)
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
    jurisdiction_id: int | None = None  # the county whose Person it is; None: every county's (system imports)
    adjudication: str = ""  # "" a conviction; youthful_offender / juvenile_delinquent (core.vocab.ADJUDICATIONS)
    custody_days_since: int = 0  # days in custody after this conviction (NYC 9-131: not counted in the 5 years)


@dataclass
class UpsertResult(Generic[T]):
    """What a single-record service did: the stored object, "created" / "updated" / "unchanged", and the
    {field: [old, new]} changes it recorded."""

    obj: T
    outcome: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    bookings_changed: dict[int, tuple[Booking, str]] = field(default_factory=dict)
    people_changed: dict[int, tuple[Person, str]] = field(default_factory=dict)


@dataclass
class Applied(Generic[T]):
    """A batch's outcome plus, per input row number, the stored object (for the single-record services)."""

    result: BatchResult
    objects: dict[int, T] = field(default_factory=dict)
    outcomes: dict[int, str] = field(default_factory=dict)
    changes: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    #: what the flow must hand on: {key: (booking, trigger)} and {key: (person, trigger)}
    bookings_changed: dict[int, tuple[Booking, str]] = field(default_factory=dict)
    people_changed: dict[int, tuple[Person, str]] = field(default_factory=dict)


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
_SEX = frozenset(Sex.values)
_RELEASE_TYPES = frozenset(ReleaseType.values)
_RELEASE_REASONS = frozenset(ReleaseReason.values)
_LEVELS = frozenset(ChargeLevel.values)
_ADJUDICATIONS = frozenset(a for a in vocab.ADJUDICATIONS if a)
_DISPOSITIONS = frozenset(Disposition.values)
_UTC = ZoneInfo("UTC")


class _Collector:
    """Reads one row's fields and gathers every problem, not only the first.

    Why typed methods with a fast path for plain strings: this runs for every field of every row of a
    million-row export, so the common case (a clean string from a CSV cell) takes a few operations, and
    anything else falls back to the shared parsers in ingest.fields, which give the same reasons."""

    __slots__ = ("values", "problems")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.problems: list[Problem] = []

    def fail(self, name: str, reason: str, value: Any = None) -> None:
        self.problems.append(Problem(name, _show(self.values.get(name) if value is None else value), reason))

    def _missing(self, name: str, required: bool) -> None:
        if required:
            self.problems.append(Problem(name, "", F.MISSING))

    def text(self, name: str, max_length: int, *, required: bool = False, upper: bool = False) -> str:
        v = self.values.get(name)
        if v is None or v == "":
            self._missing(name, required)
            return ""
        if type(v) is str:
            s = v.strip()
            if len(s) > max_length:
                self.fail(name, f"longer than {max_length} characters")
                return ""
            if "\x00" in s:
                self.fail(name, "contains a NUL character")
                return ""
            if not s.isprintable() and (problem := ids.text_problem(s)):  # CR/LF, ESC... (review L3)
                self.fail(name, problem)
                return ""
        else:
            try:
                s = F.text(v, max_length=max_length)
            except F.FieldError as exc:
                self.fail(name, str(exc))
                return ""
        if not s:
            self._missing(name, required)
        return s.upper() if upper else s

    def ident(self, name: str, max_length: int, *, required: bool = False) -> str:
        """An identifier (booking number, facility code): the one shape of core.ids (review H5, L3)."""
        s = self.text(name, max_length, required=required)
        if s and (problem := ids.id_problem(s, max_length)):
            self.fail(name, problem)
            return ""
        return s

    def enum(self, name: str, allowed: frozenset[str], *, required: bool = False) -> str:
        v = self.values.get(name)
        if v is None or v == "":
            self._missing(name, required)
            return ""
        if type(v) is str and v in allowed:
            return v
        try:
            return F.parse_enum(v, sorted(allowed, key=lambda v: _ENUM_ORDER.get(v, 99)))
        except F.FieldError as exc:
            self.fail(name, str(exc))
            return ""

    def when(self, name: str, tz: tzinfo, *, required: bool = False) -> datetime | None:
        v = self.values.get(name)
        if v is None or v == "":
            self._missing(name, required)
            return None
        # The common shapes, checked by position: the same forms F.ISO_DATETIME accepts (no week dates, no
        # hour-only times), without a regular expression per value.
        if type(v) is str and v[4:5] == "-" and v[7:8] == "-" and (len(v) == 10 or v[13:14] == ":"):
            try:
                dt = datetime.fromisoformat(v)
                dt = (dt.replace(tzinfo=tz) if dt.tzinfo is None else dt).astimezone(UTC)
                if F.MIN_YEAR <= dt.year <= F.MAX_YEAR:
                    return dt
            except (ValueError, OverflowError):
                pass
        try:
            return F.parse_datetime(v, tz)
        except F.FieldError as exc:
            self.fail(name, str(exc))
            return None

    def day(self, name: str, *, required: bool = False) -> date | None:
        v = self.values.get(name)
        if v is None or v == "":
            self._missing(name, required)
            return None
        if type(v) is str and len(v) == 10 and v[4] == "-" and v[7] == "-":
            try:
                return date.fromisoformat(v)
            except ValueError:
                pass
        try:
            return F.parse_date(v)
        except F.FieldError as exc:
            self.fail(name, str(exc))
            return None

    def flag(self, name: str) -> bool:
        v = self.values.get(name)
        if v is None or v == "" or v is False:
            return False
        if v is True:
            return True
        try:
            return F.parse_bool(v)
        except F.FieldError as exc:
            self.fail(name, str(exc))
            return False

    def parsed(self, name: str, parse: Any, *, required: bool = False, default: Any = None) -> Any:
        v = self.values.get(name)
        if F.is_blank(v):
            self._missing(name, required)
            return default
        try:
            return parse(v)
        except F.FieldError as exc:
            self.fail(name, str(exc))
            return default


_ENUM_ORDER: dict[str, int] = {v: i for i, v in enumerate(
    [*Sex.values, *ReleaseType.values, *ReleaseReason.values, *ChargeLevel.values, *Disposition.values])}


def _show(value: Any) -> str:
    if value is None:
        return ""
    s = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return s if len(s) <= 200 else s[:197] + "..."


def _categories(value: Any) -> tuple[str, ...]:
    items = F.parse_list(value)
    unknown = [c for c in items if c not in OFFENCE_CATEGORIES]
    if unknown:
        raise F.FieldError(f"unknown offence categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    return tuple(items)


def _person(c: _Collector, *, names_required: bool, today: date) -> PersonInput:
    # A booking needs a name (last or first: people are booked as "DOE" or under one name) but may have an
    # unknown date of birth: a jail books whoever is in front of it.
    dob = c.day("date_of_birth")
    if dob is not None:
        if dob > today:
            c.fail("date_of_birth", "date of birth is in the future")
        elif dob.year < 1880:
            c.fail("date_of_birth", "date of birth before 1880")
    fbi = c.text("fbi_number", 20, upper=True)
    if fbi and not fbi.replace("-", "").isalnum():
        c.fail("fbi_number", "an FBI number has only letters and digits")
    a_number = c.values.get("a_number")
    if a_number is None or a_number == "":
        a_number = ""
    elif not (type(a_number) is str and F.A_NUMBER.fullmatch(a_number)):
        a_number = c.parsed("a_number", F.parse_a_number, default="")
    last_name = c.text("last_name", 100)
    first_name = c.text("first_name", 100)
    if names_required and not (last_name or first_name) and not any(
            p.field in ("last_name", "first_name") for p in c.problems):
        c.problems.append(Problem("last_name", "", "give last_name or first_name (or both)"))
    return PersonInput(
        last_name,
        first_name,
        c.text("middle_name", 100),
        dob,
        c.enum("sex", _SEX),
        fbi,
        c.text("state_id", 30, upper=True),
        a_number,
        c.text("country_of_birth", 60),
    )


def _facility(c: _Collector, facilities: Facilities) -> Facility | None:
    code = c.ident("facility", ids.CODE_MAX, required=True)
    if not code:
        return None
    facility = facilities.get(code)
    if facility is None:
        c.fail("facility", "unknown facility (register it with `handoff facility add`)")
    return facility


def validate_booking(values: Mapping[str, Any], facilities: Facilities) -> BookingInput | list[Problem]:
    c = _Collector(values)
    facility = _facility(c, facilities)
    tz = facilities.zone(facility) if facility is not None else _UTC
    now = clock.now()
    booking_number = c.ident("booking_number", ids.BOOKING_NUMBER_MAX, required=True)
    booked_at = c.when("booked_at", tz, required=True)
    arrested_at = c.when("arrested_at", tz)
    person = _person(c, names_required=True, today=now.date())
    scheduled = c.when("scheduled_release_at", tz)
    released_at = c.when("released_at", tz)
    release_type = c.enum("release_type", _RELEASE_TYPES)
    release_reason = c.enum("release_reason", _RELEASE_REASONS)
    ice_hold = c.flag("ice_hold")
    address = (c.text("address_street", 200), c.text("address_city", 100), c.text("address_postcode", 20),
               c.text("address_state", 30))
    latest = now + _GRACE
    if booked_at is not None:
        if released_at is not None and released_at < booked_at:
            c.fail("released_at", "released before booked")
        if scheduled is not None and scheduled < booked_at:
            c.fail("scheduled_release_at", "scheduled release is before the booking")
        if booked_at > latest:
            c.fail("booked_at", "booked in the future")
        if arrested_at is not None and arrested_at > booked_at + _GRACE:
            c.fail("arrested_at", "arrested after the booking")
    if released_at is not None and released_at > latest:
        c.fail("released_at", "release is in the future (use scheduled_release_at)")
    if c.problems or facility is None or booked_at is None:
        return c.problems
    return BookingInput(facility.pk, facility.code, booking_number, person, booked_at, scheduled, release_type,
                        released_at, release_reason, ice_hold, *address, jurisdiction_id=facility.jurisdiction_id,
                        arrested_at=arrested_at)


def validate_charge(values: Mapping[str, Any], facilities: Facilities) -> ChargeInput | list[Problem]:
    c = _Collector(values)
    facility = _facility(c, facilities)
    booking_number = c.ident("booking_number", ids.BOOKING_NUMBER_MAX, required=True)
    seq = c.parsed("seq", lambda v: F.parse_int(v, minimum=0, maximum=MAX_SEQ), required=True)
    statute = c.text("statute", 120, required=True)
    # a row that is not an offence (a hold, a violation) has no offence level; every offence must have one
    offence = not (values.get("offence") not in (None, "") and not c.flag("offence"))
    level = c.enum("level", _LEVELS, required=offence) if offence or values.get("level") else ""
    disposition = c.enum("disposition", _DISPOSITIONS, required=True)
    description = c.text("description", 300)
    wobbler = c.flag("wobbler")
    disposition_date = c.day("disposition_date")
    probable_cause = c.flag("probable_cause_found")
    categories = c.parsed("categories", _categories, default=())
    if c.problems or facility is None:
        return c.problems
    return ChargeInput(facility.pk, facility.code, booking_number, seq, statute, description, level or "", wobbler,
                       disposition, disposition_date, probable_cause, categories, offence)


def validate_conviction(values: Mapping[str, Any], facilities: Facilities | None = None
                        ) -> ConvictionInput | list[Problem]:
    c = _Collector(values)
    today = clock.now().date()
    jurisdiction_id: int | None = None
    if not F.is_blank(values.get("facility")):
        facility = _facility(c, facilities or Facilities())
        jurisdiction_id = facility.jurisdiction_id if facility is not None else None
    person = _person(c, names_required=False, today=today)
    has_name = bool(person.last_name and person.first_name and person.date_of_birth)
    if not (person.fbi_number or person.state_id or person.a_number or has_name) and not c.problems:
        c.problems.append(Problem("person", "", "no person identifiers: give fbi_number, state_id, a_number, "
                                                "or last_name + first_name + date_of_birth"))
    statute = c.text("statute", 120, required=True)
    level = c.enum("level", _LEVELS, required=True)
    convicted_on = c.day("convicted_on", required=True)
    if convicted_on is not None and convicted_on > today:
        c.fail("convicted_on", "conviction date is in the future")
    state = c.text("state", 10, upper=True)
    if state and not (len(state) == 2 and state.isalpha() and state.isascii()):
        c.fail("state", "not a two-letter state code")
    wobbler = c.flag("wobbler")
    categories = c.parsed("categories", _categories, default=())
    state_prison = c.flag("state_prison")
    prop47 = c.flag("prop47_reduced")
    adjudication = c.enum("adjudication", _ADJUDICATIONS)
    custody_days = c.parsed("custody_days_since", lambda v: F.parse_int(v, minimum=0, maximum=36_500), default=0)
    if c.problems or convicted_on is None:
        return c.problems
    key = conviction_source_key(person, statute, convicted_on, state)
    return ConvictionInput(person, statute, level, wobbler, convicted_on, state, categories, state_prison, prop47,
                           key, jurisdiction_id, adjudication=adjudication, custody_days_since=custody_days)


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
class _P:
    """A person as the matcher sees them: the identifying fields and an id. Why not a Person model
    instance: building a million model instances costs more than matching them; a Person is only built
    for the few that a request may concern."""

    __slots__ = ("pk", "last_name", "first_name", "middle_name", "date_of_birth", "sex", "fbi_number", "state_id",
                 "a_number", "country_of_birth", "jurisdiction_id")
    pk: int | None
    jurisdiction_id: int | None
    last_name: str
    first_name: str
    middle_name: str
    date_of_birth: date | None
    sex: str
    fbi_number: str
    state_id: str
    a_number: str
    country_of_birth: str

    def __init__(self, pk: int | None, values: Iterable[Any], jurisdiction_id: int | None = None) -> None:
        self.pk = pk
        self.jurisdiction_id = jurisdiction_id
        (self.last_name, self.first_name, self.middle_name, self.date_of_birth, self.sex, self.fbi_number,
         self.state_id, self.a_number, self.country_of_birth) = values

    def model(self) -> Person:
        return Person(id=self.pk, jurisdiction_id=self.jurisdiction_id, **{f: getattr(self, f) for f in PERSON_FIELDS})


Matchable = Person | _P


class PersonIndex:
    """The people a batch may match, by each identifier; new people join it as they are made, so two
    bookings of one new person in one batch share a Person. `find` looks inside one county only (H4)."""

    def __init__(self) -> None:
        self.by: dict[str, dict[Any, list[Matchable]]] = {k: {} for k in (*IDENTIFIERS, "name")}
        self._seen: set[int] = set()
        self._pk_set: set[int] = set()
        self._keys: dict[int, list[tuple[str, Any]]] = {}  # id(person) -> where it is filed

    def add(self, p: Matchable) -> None:
        if id(p) in self._seen:
            return
        self._seen.add(id(p))
        if p.pk is not None:
            self._pk_set.add(p.pk)
        self._file(p)

    def _file(self, p: Matchable) -> None:
        keys: list[tuple[str, Any]] = []
        for attr in IDENTIFIERS:
            value = getattr(p, attr)
            if value:
                self.by[attr].setdefault(value, []).append(p)
                keys.append((attr, value))
        name = (p.last_name, p.first_name, p.date_of_birth)
        self.by["name"].setdefault(name, []).append(p)
        keys.append(("name", name))
        self._keys[id(p)] = keys

    def changed(self, p: Matchable) -> None:
        """A row changed this person's identifying fields: later rows of the batch find it by what it is now,
        not by what it was. Why: otherwise a renamed person was still found under its old name by the rows
        after it in one transaction, but not in the next one, so what an import stored depended on where
        its batches were cut (found by tests/custody/test_m11_short_transactions.py)."""
        if id(p) not in self._seen:
            return
        for attr, value in self._keys.pop(id(p), []):
            bucket = self.by[attr].get(value)
            if bucket is not None:
                bucket[:] = [q for q in bucket if q is not p]
        self._file(p)

    def prefetch(self, people: Iterable[PersonInput]) -> None:
        """Everyone the batch could match, in a handful of plain queries (no model instances)."""
        wanted: dict[str, set[Any]] = {k: set() for k in IDENTIFIERS}
        names: set[tuple[str, str, date]] = set()
        for p in people:
            if p.fbi_number:
                wanted["fbi_number"].add(p.fbi_number)
            if p.state_id:
                wanted["state_id"].add(p.state_id)
            if p.a_number:
                wanted["a_number"].add(p.a_number)
            if p.last_name and p.first_name and p.date_of_birth:
                names.add((p.last_name, p.first_name, p.date_of_birth))
        qn = connection.ops.quote_name
        select = (f"SELECT id, {', '.join(qn(f) for f in PERSON_FIELDS)}, {qn('jurisdiction_id')} "
                  f"FROM {qn(Person._meta.db_table)} WHERE ")
        with connection.cursor() as cur:
            for attr, values in wanted.items():
                ordered = sorted(values)
                for i in range(0, len(ordered), 900):
                    chunk = ordered[i:i + 900]
                    cur.execute(select + f"{qn(attr)} IN ({', '.join(['%s'] * len(chunk))})", chunk)
                    self._take(cur.fetchall())
            # Exact (last, first, dob) triples OR-ed in chunks: each term uses the person_name_dob index,
            # where `last_name IN .. AND dob IN ..` would drag in every Smith born on any of those days.
            adapt = connection.ops.adapt_datefield_value
            term = f"({qn('last_name')} = %s AND {qn('first_name')} = %s AND {qn('date_of_birth')} = %s)"
            triples = sorted(names)
            for i in range(0, len(triples), 300):
                chunk3 = triples[i:i + 300]
                params: list[Any] = []
                for last, first, dob in chunk3:
                    params += (last, first, adapt(dob))
                cur.execute(select + " OR ".join([term] * len(chunk3)), params)
                self._take(cur.fetchall())

    def _take(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            if row[0] in self._pk_set:
                continue
            values = list(row[1:-1])
            dob = values[3]
            if isinstance(dob, str):
                values[3] = date.fromisoformat(dob)
            elif isinstance(dob, datetime):
                values[3] = dob.date()
            p = _P(row[0], values, row[-1])
            self._pk_set.add(row[0])
            self.add(p)

    def find(self, p: PersonInput, jurisdiction_id: int | None) -> Matchable | None:
        """The person this input is, among the people of one county (None: those with no county yet)."""
        by = self.by
        for rank, attr in enumerate(IDENTIFIERS):
            value = getattr(p, attr)
            if not value:
                continue
            found = by[attr].get(value)
            if found:
                for cand in sorted(found, key=_pk_order):
                    if cand.jurisdiction_id == jurisdiction_id and not _conflicts(cand, p, IDENTIFIERS[:rank]):
                        return cand
        if p.last_name and p.first_name and p.date_of_birth:  # never on an unknown date of birth
            found = by["name"].get((p.last_name, p.first_name, p.date_of_birth))
            if found:
                for cand in sorted(found, key=_pk_order):
                    if cand.jurisdiction_id == jurisdiction_id and not _conflicts(cand, p, IDENTIFIERS):
                        return cand
        return None

    def find_all(self, p: PersonInput) -> list[Matchable]:
        """This input's person in every county that has one (the system's imports of state records)."""
        counties: set[int | None] = set()
        for attr in IDENTIFIERS:
            value = getattr(p, attr)
            if value:
                counties.update(c.jurisdiction_id for c in self.by[attr].get(value, ()))
        if p.last_name and p.first_name and p.date_of_birth:
            counties.update(c.jurisdiction_id for c in self.by["name"].get((p.last_name, p.first_name,
                                                                            p.date_of_birth), ()))
        found = [self.find(p, j) for j in sorted(counties, key=lambda j: (j is not None, j or 0))]
        return [f for f in found if f is not None]


def _pk_order(p: Matchable) -> tuple[int, int]:
    return (0, p.pk) if p.pk is not None else (1, 0)


def _conflicts(cand: Matchable, p: PersonInput, attrs: Iterable[str]) -> bool:
    return any(getattr(p, a) and getattr(cand, a) and getattr(p, a) != getattr(cand, a) for a in attrs)


def _new_person(p: PersonInput, jurisdiction_id: int | None) -> _P:
    return _P(None, (p.last_name, p.first_name, p.middle_name, p.date_of_birth, p.sex, p.fbi_number, p.state_id,
                     p.a_number, p.country_of_birth), jurisdiction_id)


def _merge_person(person: Matchable, p: PersonInput, *, overwrite: bool) -> dict[str, list[Any]]:
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


# ------------------------------------------------------------------------------------------ triggers
Watch = Callable[[set[int]], set[int]]


def _every_facility(facility_ids: set[int]) -> set[int]:
    return facility_ids


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
def apply_bookings(items: list[tuple[int, BookingInput]], *, source: str,
                   want_objects: bool = False, watch: Watch = _every_facility) -> Applied[Booking]:
    """Create or update bookings (and their people). Runs in the caller's transaction.

    `watch(facility_ids)` names the facilities whose changed bookings the caller wants back in
    `bookings_changed` (the flow passes "facilities with a live request", so a million-row import of a
    jail nobody asked about builds no objects for it).

    Why plain SQL for new rows: this is the path a million-row export takes, and the ORM's per-object
    cost (building instances, preparing each value) is several times the cost of the insert itself. Rows
    that already exist (re-imports, API updates) go through the ORM: there are few of them, and their
    changes are recorded field by field."""
    out: Applied[Booking] = Applied(BatchResult())
    if not items:
        return out
    now = clock.now()
    src = source[:200]
    facility_ids = {b.facility_id for _, b in items}
    live = watch(facility_ids)
    existing = _existing_bookings(items)

    index = PersonIndex()
    for found in existing.values():
        index.add(found.person)
    index.prefetch(b.person for _, b in items if (b.facility_id, b.booking_number) not in existing)
    # A booking's own row may correct its person (a misspelt name) only while the person is that booking's
    # alone; a person matched across bookings keeps what it has and takes only blanks, or two bookings whose
    # rows disagree would flip the person back and forth on every import.
    shared = _shared_people({bk.person_id for bk in existing.values()})

    new_people: list[_P] = []
    changed_people: dict[int, tuple[Matchable, dict[str, list[Any]]]] = {}
    new_bookings: list[tuple[int, BookingInput, Matchable]] = []
    changed_bookings: list[tuple[int, Booking, dict[str, list[Any]]]] = []
    history: list[ReleaseScheduleChange] = []
    triggers: dict[int, tuple[Booking, str]] = {}

    for number, b in items:
        booking = existing.get((b.facility_id, b.booking_number))
        if booking is None:
            match = index.find(b.person, b.jurisdiction_id)
            if match is None:
                match = _new_person(b.person, b.jurisdiction_id)
                new_people.append(match)
                index.add(match)
            else:
                pchanges = _merge_person(match, b.person, overwrite=False)
                if pchanges:
                    index.changed(match)
                if pchanges and match.pk is not None:
                    _record_person_change(changed_people, match, pchanges)
                if match.pk is not None:
                    shared.add(match.pk)  # from now on matched across bookings, as the next batch would see
            new_bookings.append((number, b, match))
            out.result.created += 1
            out.outcomes[number] = "created"
            continue

        wanted = {f: getattr(b, f) for f in BOOKING_FIELDS}
        if wanted["scheduled_release_at"] is None and booking.scheduled_release_at is not None:
            # A blank is "this export does not say", not "the release was cancelled": a partial re-import
            # (no scheduled_release_at column) erased known releases and people dropped off the 72-hour
            # list (users review, issue 12). A clerk changes or clears it on the correction page.
            wanted["scheduled_release_at"] = booking.scheduled_release_at
        if wanted["arrested_at"] is None and booking.arrested_at is not None:
            wanted["arrested_at"] = booking.arrested_at  # likewise: a blank arrest time is "not said"
        person = booking.person
        pchanges = _merge_person(person, b.person, overwrite=booking.person_id not in shared)
        if pchanges:
            index.changed(person)
            _record_person_change(changed_people, person, pchanges)
        changes = _diff(booking, wanted)
        out.objects[number] = booking
        if not changes and not pchanges:
            out.result.unchanged += 1
            out.outcomes[number] = "unchanged"
            continue
        out.result.updated += 1
        out.outcomes[number] = "updated"
        out.changes[number] = {**changes, **{f"person.{k}": v for k, v in pchanges.items()}}
        if not changes:
            _keep_first(triggers, id(booking), booking, "person.updated")
            continue
        for f, value in wanted.items():
            setattr(booking, f, value)
        booking.updated_at = now
        changed_bookings.append((number, booking, changes))
        if "scheduled_release_at" in changes:
            history.append(ReleaseScheduleChange(
                booking=booking, previous=_parse_back(changes["scheduled_release_at"][0]),
                scheduled_release_at=b.scheduled_release_at, changed_at=now, source=src))
        trigger = _booking_trigger(False, changes)
        if trigger:
            _keep_first(triggers, id(booking), booking, trigger)

    _insert_people(new_people, now)
    _save_people(changed_people, source, now)
    if new_bookings:
        dt, _ = _db_formats()
        stamp = dt(now)
        ids = _insert(Booking._meta.db_table,
                      ("facility_id", "booking_number", "person_id", *BOOKING_FIELDS, "created_at", "updated_at"),
                      [(b.facility_id, b.booking_number, p.pk, dt(b.booked_at), dt(b.scheduled_release_at),
                        b.release_type, dt(b.released_at), b.release_reason, b.ice_hold, b.address_street,
                        b.address_city, b.address_postcode, b.address_state, dt(b.arrested_at), stamp, stamp)
                       for _, b, p in new_bookings],
                      returning=True)
        _insert(ReleaseScheduleChange._meta.db_table,
                ("booking_id", "previous", "scheduled_release_at", "changed_at", "source"),
                [(pk, None, dt(b.scheduled_release_at), stamp, src)
                 for (_, b, _), pk in zip(new_bookings, ids, strict=True) if b.scheduled_release_at is not None],
                returning=False)
        for (number, b, p), pk in zip(new_bookings, ids, strict=True):
            if b.facility_id in live or want_objects:
                created = Booking(id=pk, facility_id=b.facility_id, booking_number=b.booking_number,
                                  person=p.model() if isinstance(p, _P) else p, created_at=now, updated_at=now,
                                  **{f: getattr(b, f) for f in BOOKING_FIELDS})
                created._state.adding = False
                out.objects[number] = created
                _keep_first(triggers, pk, created, "booking.created")
    if changed_bookings:
        Booking.objects.bulk_update([bk for _, bk, _ in changed_bookings], [*BOOKING_FIELDS, "updated_at"],
                                    batch_size=500)
        RecordChange.objects.bulk_create(
            RecordChange(model="Booking", object_id=bk.pk, changes=changes, source=source[:300], changed_at=now)
            for _, bk, changes in changed_bookings
        )
    if history:
        ReleaseScheduleChange.objects.bulk_create(history, batch_size=500)
    out.bookings_changed = {k: v for k, v in triggers.items() if v[0].facility_id in live}
    return out


def _shared_people(person_ids: set[int]) -> set[int]:
    if not person_ids:
        return set()
    ordered = sorted(person_ids)
    shared: set[int] = set()
    for i in range(0, len(ordered), 900):
        shared.update(
            Booking.objects.filter(person_id__in=ordered[i:i + 900]).values("person_id")
            .annotate(n=Count("id")).filter(n__gt=1).values_list("person_id", flat=True)
        )
    return shared


def _existing_bookings(items: list[tuple[int, BookingInput]]) -> dict[tuple[int, str], Booking]:
    """The batch's bookings that are already stored, with their people. A first import finds none, with
    one cheap query per facility and batch; only the rows found become model instances."""
    by_facility: dict[int, list[str]] = {}
    for _, b in items:
        by_facility.setdefault(b.facility_id, []).append(b.booking_number)
    qn = connection.ops.quote_name
    ids: list[int] = []
    with connection.cursor() as cur:
        for facility_id, numbers in by_facility.items():
            for i in range(0, len(numbers), 900):
                chunk = numbers[i:i + 900]
                cur.execute(f"SELECT id FROM {qn(Booking._meta.db_table)} WHERE {qn('facility_id')} = %s AND "
                            f"{qn('booking_number')} IN ({', '.join(['%s'] * len(chunk))})", [facility_id, *chunk])
                ids += [r[0] for r in cur.fetchall()]
    existing: dict[tuple[int, str], Booking] = {}
    for i in range(0, len(ids), 900):
        for found in Booking.objects.filter(pk__in=ids[i:i + 900]).select_related("person"):
            existing[(found.facility_id, found.booking_number)] = found
    return existing


def _db_formats() -> tuple[Any, Any]:
    """Converters for datetimes and dates as the ORM would store them on this connection: naive UTC text on
    SQLite ("YYYY-MM-DD HH:MM:SS[.ffffff]"), the objects themselves on PostgreSQL."""
    if connection.vendor != "sqlite":
        return _same, _same
    return _sqlite_dt, _sqlite_date


def _same(v: Any) -> Any:
    return v


def _sqlite_dt(v: datetime | None) -> str | None:
    if v is None:
        return None
    if v.tzinfo is not UTC:
        v = v.astimezone(UTC)
    return v.replace(tzinfo=None).isoformat(" ")


def _sqlite_date(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def _cursor() -> Any:
    if connection.vendor == "sqlite":
        return contextlib.closing(connection.connection.cursor())
    return connection.cursor()


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], *, returning: bool) -> list[int]:
    """INSERT many rows (dates and times already converted with _db_formats); with `returning`, their new ids
    in row order (multi-row INSERT ... RETURNING, as Django's own bulk_create does on SQLite 3.35+ and
    PostgreSQL)."""
    if not rows:
        return []
    qn = connection.ops.quote_name
    mark = "%s"
    if connection.vendor == "sqlite":
        # The driver's own cursor: Django's wrapper rewrites every %s to ? with a regular expression, which
        # on a 7,000-parameter statement costs more than the statement.
        connection.ensure_connection()
        mark = "?"
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES "
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    with _cursor() as cur:
        if not returning:
            cur.executemany(head + one, rows)
            return []
        ids: list[int] = []
        per = max(1, min(500, 30000 // len(columns)))  # under SQLite's 32,766 parameters per statement
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            cur.execute(head + ", ".join([one] * len(chunk)) + f" RETURNING {qn('id')}",
                        [v for row in chunk for v in row])
            ids += [r[0] for r in cur.fetchall()]
    if len(ids) != len(rows):
        raise RuntimeError("the database returned fewer ids than rows inserted")
    return ids


def _parse_back(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if isinstance(v, str) else v


def _record_person_change(acc: dict[int, tuple[Matchable, dict[str, list[Any]]]], person: Matchable,
                          changes: dict[str, list[Any]]) -> None:
    key = id(person)
    if key in acc:
        merged = acc[key][1]
        for f, (old, new) in changes.items():
            merged[f] = [merged[f][0] if f in merged else old, new]
    else:
        acc[key] = (person, dict(changes))


def _save_people(changed: dict[int, tuple[Matchable, dict[str, list[Any]]]], source: str, now: datetime) -> None:
    """People whose fields a row filled in or corrected: saved one by one (there are few) with a record."""
    if not changed:
        return
    records = []
    for p, c in changed.values():
        assert p.pk is not None
        Person.objects.filter(pk=p.pk).update(updated_at=now, **{f: getattr(p, f) for f in c})
        records.append(RecordChange(model="Person", object_id=p.pk, changes=c, source=source[:300], changed_at=now))
    RecordChange.objects.bulk_create(records)
    NameKey.replace(p for p, c in changed.values() if set(c) & set(NAME_FIELDS))


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
    out.bookings_changed = triggers
    return out


# ------------------------------------------------------------------------------------------ convictions
def apply_convictions(items: list[tuple[int, ConvictionInput]], *, source: str) -> Applied[Conviction]:
    """Criminal history onto Persons. A row naming a facility lands on that county's Person only; a row without
    one (the system importing a state's records) lands on the Person of every county that has that human, and
    on a new county-less Person when none does and the row names them fully."""
    out: Applied[Conviction] = Applied(BatchResult())
    if not items:
        return out
    now = clock.now()
    existing: dict[str, list[Conviction]] = {}
    keys = sorted({cv.source_key for _, cv in items})
    for i in range(0, len(keys), 900):
        for found in Conviction.objects.filter(source_key__in=keys[i:i + 900]).select_related("person"):
            existing.setdefault(found.source_key, []).append(found)
    index = PersonIndex()
    index.prefetch(cv.person for _, cv in items)
    new_people: list[_P] = []
    changed_people: dict[int, tuple[Matchable, dict[str, list[Any]]]] = {}
    new: list[tuple[int, Conviction, Matchable]] = []
    changed: list[tuple[Conviction, dict[str, list[Any]]]] = []
    touched: dict[int, tuple[Matchable, str]] = {}
    for number, cv in items:
        wanted = {f: getattr(cv, f) for f in CONVICTION_FIELDS}
        wanted["categories"] = list(cv.categories)
        if cv.jurisdiction_id is not None:
            found_one = index.find(cv.person, cv.jurisdiction_id)
            targets: list[Matchable] = [found_one] if found_one is not None else []
        else:
            targets = index.find_all(cv.person)
        stored = [c for c in existing.get(cv.source_key, [])
                  if cv.jurisdiction_id is None or c.person.jurisdiction_id == cv.jurisdiction_id]
        stored_people = {c.person_id for c in stored}
        targets = [t for t in targets if t.pk is None or t.pk not in stored_people]
        if not targets and not stored:
            given = cv.person
            if not (given.last_name and given.first_name and given.date_of_birth):
                ids = ", ".join(f"{a} {getattr(given, a)}" for a in IDENTIFIERS if getattr(given, a))
                where = " in that facility's county" if cv.jurisdiction_id is not None else ""
                out.result.problems.append((number, Problem(
                    "person", ids, f"no person with these identifiers{where}; give last_name, first_name and "
                                   "date_of_birth to record history for someone not yet booked")))
                continue
            person = _new_person(given, cv.jurisdiction_id)
            new_people.append(person)
            index.add(person)
            targets = [person]
        outcomes: list[str] = []
        for conviction in stored:
            changes = _diff(conviction, wanted)
            out.objects.setdefault(number, conviction)
            if not changes:
                outcomes.append("unchanged")
                continue
            for f, value in wanted.items():
                setattr(conviction, f, value)
            conviction.updated_at = now
            changed.append((conviction, changes))
            outcomes.append("updated")
            out.changes.setdefault(number, changes)
            _keep_first(touched, id(conviction.person), conviction.person, "conviction.changed")
        for target in targets:
            if target.pk is not None:
                pchanges = _merge_person(target, cv.person, overwrite=False)
                if pchanges:
                    _record_person_change(changed_people, target, pchanges)
            conviction = Conviction(statute=cv.statute, convicted_on=cv.convicted_on, source_key=cv.source_key,
                                    created_at=now, updated_at=now, **wanted)
            new.append((number, conviction, target))
            out.objects.setdefault(number, conviction)
            outcomes.append("created")
            _keep_first(touched, id(target), target, "conviction.added")
        outcome = next(o for o in ("created", "updated", "unchanged") if o in outcomes)
        setattr(out.result, outcome, getattr(out.result, outcome) + 1)
        out.outcomes[number] = outcome
    _insert_people(new_people, now)
    _save_people(changed_people, source, now)
    if new:
        for _, c, p in new:
            assert p.pk is not None
            c.person_id = p.pk
        Conviction.objects.bulk_create([c for _, c, _ in new], batch_size=500)
    if changed:
        Conviction.objects.bulk_update([c for c, _ in changed], [*CONVICTION_FIELDS, "updated_at"], batch_size=500)
        RecordChange.objects.bulk_create(
            RecordChange(model="Conviction", object_id=c.pk, changes=d, source=source[:300], changed_at=now)
            for c, d in changed
        )
    out.people_changed = {k: (p.model() if isinstance(p, _P) else p, t) for k, (p, t) in touched.items()}
    return out


def _insert_people(people: list[_P], now: datetime) -> None:
    if not people:
        return
    dt, d = _db_formats()
    stamp = dt(now)
    ids = _insert(Person._meta.db_table,
                  (*PERSON_FIELDS, "jurisdiction_id", "registrant_sex_offender", "registrant_arson",
                   "lawful_status_proven", "created_at", "updated_at"),
                  [(p.last_name, p.first_name, p.middle_name, d(p.date_of_birth), p.sex, p.fbi_number, p.state_id,
                    p.a_number, p.country_of_birth, p.jurisdiction_id, False, False, False, stamp, stamp)
                   for p in people],
                  returning=True)
    for p, pk in zip(people, ids, strict=True):
        p.pk = pk
    _insert(NameKey._meta.db_table, ("person_id", "key"), NameKey.rows(people), returning=False)


# ------------------------------------------------------------------------------------------ single records
def upsert_booking(data: Mapping[str, Any], *, source: str) -> UpsertResult[Booking]:
    """One booking from the API (or anywhere): same rules as a file row. Raises InvalidInput."""
    cleaned = validate_booking(_strip_unknown(data, BOOKING_KNOWN), Facilities())
    if isinstance(cleaned, list):
        _raise_invalid(cleaned)
        raise AssertionError  # unreachable
    result = _single(apply_bookings([(1, cleaned)], source=source, want_objects=True))
    if result.outcome == "created":
        result.obj = Booking.objects.select_related("person", "facility").get(pk=result.obj.pk)
    return result


def upsert_charge(data: Mapping[str, Any], *, source: str) -> UpsertResult[Charge]:
    cleaned = validate_charge(_strip_unknown(data, CHARGE_KNOWN), Facilities())
    if isinstance(cleaned, list):
        _raise_invalid(cleaned)
        raise AssertionError
    return _single(apply_charges([(1, cleaned)], source=source))


def add_conviction(data: Mapping[str, Any], *, source: str) -> UpsertResult[Conviction]:
    cleaned = validate_conviction(_strip_unknown(data, CONVICTION_KNOWN), Facilities())
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
    when = c.when("released_at", facilities.zone(facility), required=True)
    reason = c.enum("release_reason", _RELEASE_REASONS, required=True)
    rtype = c.enum("release_type", _RELEASE_TYPES) or booking.release_type
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
                     booking.scheduled_release_at, rtype, when, reason, booking.ice_hold,
                     jurisdiction_id=facility.jurisdiction_id, arrested_at=booking.arrested_at,
                     **{f: getattr(booking, f) for f in ADDRESS_FIELDS})
    return _single(apply_bookings([(1, b)], source=source, want_objects=True))


#: what a clerk may correct on a booking page, and on the booked person
CORRECTABLE_BOOKING = ("booked_at", "scheduled_release_at", "release_type", "released_at", "release_reason",
                       "released_to")
CORRECTABLE_PERSON = ("last_name", "first_name", "middle_name", "date_of_birth", "a_number", "fbi_number",
                      "state_id")
CORRECTABLE = (*CORRECTABLE_BOOKING, *CORRECTABLE_PERSON)


def _corrected_value(booking: Booking, name: str, value: str) -> Any:
    """The typed value of one corrected field, checked by the same rules as a file row. Raises InvalidInput."""
    c = _Collector({name: value})
    tz = ZoneInfo(booking.facility.timezone)
    new: Any
    if name in ("booked_at", "scheduled_release_at", "released_at"):
        new = c.when(name, tz, required=name == "booked_at")
    elif name == "release_type":
        new = c.enum(name, _RELEASE_TYPES)
    elif name == "release_reason":
        new = c.enum(name, _RELEASE_REASONS)
    elif name == "released_to":
        new = c.text(name, 200)
    elif name in ("last_name", "first_name", "middle_name"):
        new = c.text(name, 100)
    elif name in ("date_of_birth", "a_number", "fbi_number", "state_id"):
        person = _person(c, names_required=False, today=clock.now().date())
        new = getattr(person, name)
    else:
        raise InvalidInput(f"{name!r} is not a field that can be corrected here", "field")
    if not c.problems:
        booked = new if name == "booked_at" else booking.booked_at
        released = new if name == "released_at" else booking.released_at
        scheduled = new if name == "scheduled_release_at" else booking.scheduled_release_at
        if released is not None and released < booked:
            c.fail(name, "released before booked")
        elif scheduled is not None and scheduled < booked:
            c.fail(name, "scheduled release is before the booking")
        elif name in ("booked_at", "released_at") and new is not None and new > clock.now() + _GRACE:
            c.fail(name, "in the future" + (" (use scheduled_release_at)" if name == "released_at" else ""))
        elif name == "last_name" and not new and not booking.person.first_name:
            c.fail(name, "give last_name or first_name (or both)")
    if c.problems:
        _raise_invalid(c.problems)
    return new


def correct_booking(booking: Booking, name: str, value: str, *, reason: str,
                    source: str) -> UpsertResult[Booking]:
    """A clerk corrects one field of a booking or of its person. The old value stays in the record history
    (RecordChange, with the reason), and a changed release time in the release schedule history, so a
    correction never rewrites the past silently. Runs in the caller's transaction; the flow re-decides."""
    new = _corrected_value(booking, name, value)
    target: Any = booking.person if name in CORRECTABLE_PERSON else booking
    old = getattr(target, name)
    if old == new:
        return UpsertResult(booking, "unchanged")
    now = clock.now()
    changes = {name: [_jsonable(old), _jsonable(new)]}
    setattr(target, name, new)
    target.updated_at = now
    target.save(update_fields=[name, "updated_at"])
    RecordChange.objects.create(model=type(target).__name__, object_id=target.pk, changes=changes,
                                source=f"{source}; reason: {reason}"[:300], changed_at=now)
    if name == "scheduled_release_at":
        ReleaseScheduleChange.objects.create(booking=booking, previous=old, scheduled_release_at=new,
                                             changed_at=now, source=source[:200])
    if target is booking:
        trigger = _booking_trigger(False, changes) or "booking.corrected"
        return UpsertResult(booking, "updated", changes, bookings_changed={booking.pk: (booking, trigger)})
    return UpsertResult(booking, "updated", {f"person.{name}": changes[name]},
                        people_changed={booking.person.pk: (booking.person, "person.updated")},
                        bookings_changed={booking.pk: (booking, "person.updated")})


def record_released_to(booking: Booking, released_to: str, *, source: str) -> None:
    """Who the person was released to, kept on the booking with its history (the release page)."""
    released_to = released_to.strip()[:200]
    if released_to == booking.released_to:
        return
    now = clock.now()
    RecordChange.objects.create(model="Booking", object_id=booking.pk,
                                changes={"released_to": [booking.released_to, released_to]},
                                source=source[:300], changed_at=now)
    booking.released_to = released_to
    Booking.objects.filter(pk=booking.pk).update(released_to=released_to, updated_at=now)


def _strip_unknown(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in known}


def _single(applied: Applied[T]) -> UpsertResult[T]:
    if applied.result.problems:
        _, problem = applied.result.problems[0]
        if problem.field in ("booking_number", "person"):  # not there, or not the caller's county's (H4)
            raise NotFound(problem.reason)
        raise InvalidInput(problem.reason, problem.field or None)
    return UpsertResult(applied.objects[1], applied.outcomes[1], applied.changes.get(1, {}),
                        applied.bookings_changed, applied.people_changed)

