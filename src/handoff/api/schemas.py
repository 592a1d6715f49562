"""The API's request and response shapes.

Why strict models: a jail system that sends `"booked_at": 20250101` or `"ice_hold": "no"` has a bug, and
guessing what it meant changes what the law is applied to. Input models forbid unknown fields and never
coerce between types (strict mode); dates and times are the only strings parsed, and only from ISO 8601
text. Every string has a length limit and may not contain control characters, so nothing a database would
reject (a NUL, an over-long value) gets past the edge as a 500.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints, model_validator

from handoff.core import ids, vocab

# --- building blocks ------------------------------------------------------------------------------------

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MIN_YEAR, MAX_YEAR = 1880, 2199
NO_CONTROL = ids.NO_CONTROL_PATTERN
NO_NUL = r"^[^\x00]*$"


def _iso_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be a date and time as text (ISO 8601, e.g. 2025-06-01T14:30:00-07:00)")
    if not _DATETIME_RE.match(value):
        raise ValueError("not an ISO 8601 date and time (YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])")
    text = value.replace("t", "T").replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid date and time") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    if parsed.tzinfo is not None:
        try:
            instant = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError("date and time out of range") from None
        if not MIN_YEAR <= instant.year <= MAX_YEAR:  # after the offset (review L5: +23:59 moved 1880 to 1879)
            raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR} (in UTC)")
    return parsed


def _iso_date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a date as text (YYYY-MM-DD)")
    if not _DATE_RE.match(value):
        raise ValueError("not a date (YYYY-MM-DD)")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a valid date") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return parsed


#: a date and time, from ISO 8601 text only; without an offset it is the facility's local time
DateTimeIn = Annotated[datetime, Strict(False), BeforeValidator(_iso_datetime)]
#: a calendar date, from YYYY-MM-DD text only
DateIn = Annotated[date, Strict(False), BeforeValidator(_iso_date)]


Str20 = Annotated[str, StringConstraints(max_length=20, pattern=NO_CONTROL)]
Str30 = Annotated[str, StringConstraints(max_length=30, pattern=NO_CONTROL)]
Str60 = Annotated[str, StringConstraints(max_length=60, pattern=NO_CONTROL)]
Str100 = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
Str200 = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Str300 = Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROL)]
Str500 = Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROL)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Statute = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")]


# identifiers: the one pattern of core.ids, as at every other door (review H5, L3)
Code = Annotated[str, StringConstraints(min_length=1, max_length=ids.CODE_MAX, pattern=ids.ID_PATTERN)]
BookingNumber = Annotated[str, StringConstraints(min_length=1, max_length=ids.BOOKING_NUMBER_MAX, pattern=ids.ID_PATTERN)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=ids.REQUEST_ID_MAX, pattern=ids.ID_PATTERN)]
ANumber = Annotated[str, StringConstraints(pattern=ids.A_NUMBER_PATTERN)]
FbiNumber = Annotated[str, StringConstraints(max_length=20, pattern=r"^[A-Za-z0-9-]*$")]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
UUIDText = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
]

# The allowed values come from core.vocab. Why the TYPE_CHECKING split: Pydantic needs a real Literal to
# validate and to describe the value in the OpenAPI schema, and a Literal built from a tuple is invisible to
# mypy, which sees plain str instead.
if TYPE_CHECKING:
    Sex: TypeAlias = str
    ReleaseType: TypeAlias = str
    ReleaseReason: TypeAlias = str
    Level: TypeAlias = str
    Disposition: TypeAlias = str
    Category: TypeAlias = str
    RequestKind: TypeAlias = str
    Basis: TypeAlias = str
    WarrantKind: TypeAlias = str
    Hold: TypeAlias = str
    Transfer: TypeAlias = str
    NoticeStatus: TypeAlias = str
    RecordableOutcome: TypeAlias = str
    Adjudication: TypeAlias = str
else:
    Sex = Literal[*vocab.SEXES]
    ReleaseType = Literal[*vocab.RELEASE_TYPE_VALUES]
    ReleaseReason = Literal[*vocab.RELEASE_REASONS]
    Level = Literal[*vocab.CHARGE_LEVELS]
    Disposition = Literal[*vocab.DISPOSITIONS]
    Category = Literal[*vocab.OFFENCE_CATEGORIES]
    RequestKind = Literal[*vocab.REQUEST_KINDS]
    Basis = Literal[*vocab.BASIS_VALUES]
    WarrantKind = Literal[*vocab.WARRANT_TYPES]
    Hold = Literal[*vocab.HOLD_VALUES]
    Transfer = Literal[*vocab.TRANSFER_VALUES]
    NoticeStatus = Literal[*vocab.NOTICE_STATUSES]
    RecordableOutcome = Literal[*vocab.RECORDABLE_OUTCOMES]
    Adjudication = Literal[*vocab.ADJUDICATIONS[1:]]  # "" (a conviction) is the field left out
Categories = Annotated[list[Category], Field(max_length=20)]


class StrictIn(BaseModel):
    """Every input body: no unknown fields, no coercion between types."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Out(BaseModel):
    """Every response body: documented exactly (no extra fields)."""

    model_config = ConfigDict(extra="forbid")


# --- errors -----------------------------------------------------------------------------------------------

class ErrorItem(Out):
    loc: list[str | int] = []
    msg: str
    type: str = ""


class Error(Out):
    """Every error: a stable code and a detail a person can act on."""

    error: str = Field(description="unauthenticated, forbidden, not_found, conflict, invalid, bad_request, ...")
    detail: str | list[ErrorItem] | None = None
    field: str | None = None


ERRORS: dict[int, type[Error]] = {400: Error, 401: Error, 403: Error, 404: Error, 413: Error, 422: Error}
ERRORS_409: dict[int, type[Error]] = {**ERRORS, 409: Error}


# --- custody ------------------------------------------------------------------------------------------------

class BookingIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "facility": "LA-MCJ", "booking_number": "LA-MCJ-2025-000123", "booked_at": "2025-06-01T14:30:00",
        "last_name": "Doe", "first_name": "Jan", "date_of_birth": "1980-01-01", "sex": "M",
        "fbi_number": "0000001AB1", "scheduled_release_at": "2025-09-01T09:00:00-07:00", "release_type": "scheduled"}]})

    facility: Code
    booking_number: BookingNumber
    booked_at: DateTimeIn
    last_name: Name
    first_name: Name
    middle_name: Str100 = ""
    date_of_birth: DateIn | None = Field(default=None, description="omit when unknown")
    sex: Sex | None = None
    fbi_number: FbiNumber = ""
    state_id: Str30 = ""
    a_number: ANumber | None = None
    country_of_birth: Str60 = ""
    scheduled_release_at: DateTimeIn | None = None
    release_type: ReleaseType | None = None
    released_at: DateTimeIn | None = None
    release_reason: ReleaseReason | None = None
    ice_hold: bool = False
    address_street: Str200 = ""
    address_city: Str100 = ""
    address_postcode: Str20 = ""
    address_state: Str30 = ""
    arrested_at: DateTimeIn | None = Field(
        default=None, description="the arrest for this booking's charges, when known (NYC 9-131 counts its five "
        "years back from it); omit when unknown")

    @model_validator(mode="after")
    def _release_has_a_reason(self) -> BookingIn:
        # the same rule as POST .../release (review L5): a release without a reason cannot be reported or
        # checked against the law (a transfer to ICE and a bail release are different facts)
        if self.released_at is not None and self.release_reason is None:
            raise ValueError("released_at needs release_reason (why the person left custody)")
        return self


class ChargeIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "facility": "LA-MCJ", "booking_number": "LA-MCJ-0001", "seq": 1, "statute": "CA PC 211",
        "description": "Robbery", "level": "felony", "disposition": "pending", "categories": ["serious_felony"]}]})

    facility: Code
    booking_number: BookingNumber
    seq: Annotated[int, Field(ge=0, le=2_147_483_647)]
    statute: Statute
    description: Str300 = ""
    level: Level
    wobbler: bool = False
    disposition: Disposition
    disposition_date: DateIn | None = None
    probable_cause_found: bool = False
    categories: Categories = []


class ConvictionIn(StrictIn):
    """The person by fbi_number, state_id, a_number, or last_name + first_name + date_of_birth, looked up only
    among the people of `facility`'s county (security review H4). A jail may add history only for people of its
    own county; `facility` may be left out when the caller's places are all in one county."""
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "fbi_number": "0000001AB1", "statute": "CA PC 211", "level": "felony", "convicted_on": "2019-04-02",
        "state": "CA", "categories": ["serious_felony", "violent_felony"]}]})

    facility: Code | None = None
    fbi_number: FbiNumber = ""
    state_id: Str30 = ""
    a_number: ANumber | None = None
    last_name: Str100 = ""
    first_name: Str100 = ""
    date_of_birth: DateIn | None = None
    statute: Statute
    level: Level
    wobbler: bool = False
    convicted_on: DateIn
    state: StateCode | None = None
    categories: Categories = []
    state_prison: bool = False
    prop47_reduced: bool = False
    adjudication: Adjudication | None = Field(
        default=None, description="omit for an ordinary conviction; a youthful-offender or juvenile-delinquency "
        "adjudication is kept as history but is not a conviction under NYC 9-131")
    custody_days_since: int = Field(
        default=0, ge=0, le=36_500, description="days the person spent in custody after this conviction and before the current "
        "arrest (NYC 9-131 leaves them out of its five years)")


class ReleaseIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"released_at": "2025-06-03T10:00:00-07:00", "release_reason": "bail_posted"}]})

    released_at: DateTimeIn
    release_reason: ReleaseReason
    release_type: ReleaseType | None = None


class BookingOut(Out):
    """A booking. To a federal office, its custody facts follow the request's decision (README "What each
    party sees"): where the decision does not let the jail tell the office, they are null and
    `not_disclosed` says why, with the citation."""

    facility: str
    booking_number: str
    booked_at: datetime | None
    arrested_at: datetime | None = Field(
        default=None, description="the arrest for this booking's charges; jail staff only (null for others)")
    scheduled_release_at: datetime | None
    released_at: datetime | None
    release_type: str | None
    release_reason: str | None
    in_custody: bool | None
    disclosed: bool = True
    not_disclosed: str | None = None
    cite: str | None = None


class BookingWrite(Out):
    outcome: Literal["created", "updated", "unchanged"]
    booking: BookingOut
    changed_fields: list[str]


class ChargeWrite(Out):
    outcome: Literal["created", "updated", "unchanged"]
    facility: str
    booking_number: str
    seq: int
    changed_fields: list[str]


class ConvictionWrite(Out):
    outcome: Literal["created", "updated", "unchanged"]
    conviction_id: int
    changed_fields: list[str]


# --- requests -------------------------------------------------------------------------------------------

class SubjectIn(StrictIn):
    last_name: Str100 = ""
    first_name: Str100 = ""
    date_of_birth: DateIn | None = None
    sex: Sex | None = None
    a_number: ANumber | None = None
    fbi_number: FbiNumber = ""
    citizenship: Str60 = ""


class WarrantIn(StrictIn):
    type: WarrantKind = "none"
    form: Str20 = ""


class FederalIn(StrictIn):
    aggravated_felony_conviction: bool = False
    outstanding_federal_felony_warrant: bool = False
    terrorist_screening_match: bool = False


class RequestIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "request_id": "LOS-2025-0042", "kind": "detainer", "form": "I-247A", "issued_at": "2025-06-01T15:00:00Z",
        "office": "LOS", "facility": "LA-MCJ", "booking_number": "LA-MCJ-0001",
        "subject": {"last_name": "Doe", "first_name": "Jan", "date_of_birth": "1980-01-01", "a_number": "A000000001"},
        "basis": ["biometric_match"], "warrant": {"type": "administrative", "form": "I-200"}, "lead_time_hours": 48}]})

    request_id: RequestId
    kind: RequestKind
    form: Str20 = ""
    issued_at: DateTimeIn
    office: Code
    subject: SubjectIn
    facility: Code
    booking_number: Annotated[str, StringConstraints(max_length=ids.BOOKING_NUMBER_MAX,
                                                     pattern=ids.OPTIONAL_ID_PATTERN)] = ""
    basis: Annotated[list[Basis], Field(max_length=4)] = []
    warrant: WarrantIn | None = None
    judicial_probable_cause: bool = False
    lead_time_hours: Annotated[int, Field(ge=1, le=720)] = 48
    federal: FederalIn | None = None


class WithdrawIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"withdrawn_at": "2025-06-02T08:00:00Z"}]})

    withdrawn_at: DateTimeIn


class OverrideIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"reason": "Counsel advised the conviction is a listed offence.", "notify": True}]})

    reason: Reason
    notify: bool | None = None
    hold: Hold | None = None
    transfer: Transfer | None = None
    individual_notice: bool | None = None
    attorney_notice: bool | None = None
    lead_time_hours: Annotated[int, Field(ge=1, le=720)] | None = None


class Place(Out):
    code: str
    name: str


class JurisdictionOut(Out):
    fips: str
    name: str
    confidential: bool | None = Field(None, description="shown only to those who see the name")


class FacilityOut(Out):
    code: str
    name: str
    jurisdiction: JurisdictionOut


class SubjectOut(Out):
    last_name: str
    first_name: str
    date_of_birth: date | None
    sex: str
    a_number: str
    fbi_number: str
    citizenship: str


class WarrantOut(Out):
    type: str
    form: str


class ReasonOut(BaseModel):
    """One rule the law consulted (fields as the policy engine writes them)."""

    model_config = ConfigDict(extra="allow")
    rule: str = ""
    cite: str = ""
    holds: bool | None = None
    detail: str = ""


class OverrideOut(Out):
    overrides: int
    reason: str
    by: str | None


class DecisionOut(Out):
    request_id: str
    decision_id: int
    policies: list[str]
    evaluated_at: datetime
    trigger: str
    notify: bool
    hold: str
    transfer: str
    individual_notice: bool
    attorney_notice: bool
    lead_time_hours: int
    calendar: str
    review: bool
    answer_declined: bool
    reasons: list[ReasonOut]
    override: OverrideOut | None
    facts: dict[str, Any]
    hold_until: datetime | None = None
    hold_note: str = ""
    not_disclosed: str | None = None


class NoticeOut(Out):
    notice_id: str
    kind: str
    status: str
    request_id: str
    office: str
    facility: str
    booking_number: str
    due_at: datetime | None
    release_at: datetime | None
    short_notice: bool
    missed: bool
    sent_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None


class HandoverIn(StrictIn):
    """A letter handed to the person or to their attorney or designee (issue 9 item 4)."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"to": "person", "handed_over_at": "2026-12-05T14:30:00Z", "language": "es"}]})

    to: Literal["person", "attorney"]
    handed_over_at: DateTimeIn | None = Field(None, description="default now; without an offset, the jail's local time")
    language: Literal["en", "es"] = "en"
    recipient: Annotated[str, StringConstraints(max_length=200)] = ""
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class HandoverOut(Out):
    notice_id: str
    kind: str
    to: str
    language: str
    handed_over_at: datetime
    recorded_at: datetime
    status: str


class MatchFieldOut(Out):
    """One compared field: the request's value beside the candidate's (null: not given), and whether they
    differ as a clerk reads them (letter case aside for names, hyphens for codes; a blank never differs)."""

    field: Literal["last_name", "first_name", "date_of_birth", "sex", "a_number", "fbi_number", "booking_number"]
    label: str
    request: str | None
    booking: str | None
    differs: bool


class MatchCandidateOut(Out):
    facility: str
    booking_number: str
    booked_at: datetime
    in_custody: bool
    score: int | None = Field(description="0-100: how near the names and date of birth are (100: the same)")
    differences: list[str] = Field(description="the differences in words, e.g. 'date of birth: one day apart'")
    charges: list[str]
    fields: list[MatchFieldOut]


class MatchOut(Out):
    """A request in match review beside each candidate booking, best score first. Only for the roles that
    resolve a review (jail clerk, jail supervisor, administrator); null for everyone else and for a request
    not in review. Resolve it with POST /requests/{request_id}/link (with a reason)."""

    candidates: list[MatchCandidateOut]


class RequestOut(Out):
    request_id: str
    kind: str
    form: str
    status: str
    issued_at: datetime
    received_at: datetime
    office: Place
    facility: FacilityOut
    booking_number: str
    booking: BookingOut | None
    subject: SubjectOut
    basis: list[str]
    warrant: WarrantOut
    judicial_probable_cause: bool
    lead_time_hours: int
    withdrawn_at: datetime | None
    match_note: str
    match: MatchOut | None = None
    decision: DecisionOut | None
    not_disclosed: str | None = None
    notices: list[NoticeOut]


class RequestWrite(Out):
    outcome: Literal["created", "updated", "unchanged"]
    request: RequestOut


class OutcomeIn(StrictIn):
    """How the request ended (one of six; "still_in_custody" is what is left when nothing is recorded). While
    the person is held only transferred_to_ice, detainer_cancelled or withdrawn can be recorded."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"outcome": "released_ice_not_present", "note": "No officer came by the release time."}]})

    outcome: RecordableOutcome
    note: Str500 = ""


class OutcomeOut(Out):
    request_id: str
    outcome: str
    label: str
    source: str
    recorded_at: datetime
    note: str


class NoticeList(Out):
    notices: list[NoticeOut]
    limit: int
    offset: int
    next_offset: int | None


class AckIn(StrictIn):
    """Optional body of an acknowledgement (a note for the jail)."""

    note: Str500 = ""


class MeOut(Out):
    kind: str
    name: str
    role: str | None
    token_prefix: str
    facilities: list[str]
    jurisdictions: list[str]
    offices: list[str]


# --- people search and linking by hand (issue 12.1) ----------------------------------------------------------

BookingRef = Annotated[str, StringConstraints(min_length=3, max_length=130, pattern=r"^[^\x00-\x1f\x7f/]+/[^\x00-\x1f\x7f]+$")]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]


class LinkIn(StrictIn):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"booking": "LA-MCJ/24-001", "reason": "A-number on the faxed I-213 matches the jail record"}]})

    booking: BookingRef
    reason: Reason


class SearchHitOut(Out):
    facility: str
    booking_number: str
    last_name: str
    first_name: str
    middle_name: str
    date_of_birth: date | None
    a_number: str
    fbi_number: str
    booked_at: datetime
    released_at: datetime | None
    in_custody: bool
    found_by: list[str]


class SearchOut(Out):
    total: int
    shown: int
    results: list[SearchHitOut]
