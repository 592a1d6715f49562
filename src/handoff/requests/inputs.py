"""What a federal request looks like on the way in, and how a JSON object becomes one.

Why a plain dataclass here rather than the API's Pydantic model: the same input arrives from files
(`handoff ingest requests`), from the REST API and from the demo data, and each of them must reject a bad
field with the same words. Parsing is strict: an unknown enum value is an error naming the field, never a
silent default, because a mistyped warrant type changes what the law allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from handoff.core import ids
from handoff.core.errors import InvalidInput
from handoff.core.vocab import BASIS_VALUES
from handoff.requests.models import RequestKind, WarrantType

SEX_VALUES = ("M", "F", "X", "U")
MAX_LEAD_TIME_HOURS = 24 * 30


@dataclass(frozen=True)
class SubjectInput:
    last_name: str = ""
    first_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    a_number: str = ""
    fbi_number: str = ""
    citizenship: str = ""


@dataclass(frozen=True)
class RequestInput:
    """One request as the federal office sent it. `issued_at` may be naive: it is then local time of the
    facility (INTERFACES.md), and `receive_request` localises it."""

    request_id: str
    kind: str
    issued_at: datetime
    office: str
    facility: str
    subject: SubjectInput = field(default_factory=SubjectInput)
    form: str = ""
    booking_number: str = ""
    basis: tuple[str, ...] = ()
    warrant_type: str = WarrantType.NONE
    warrant_form: str = ""
    judicial_probable_cause: bool = False
    lead_time_hours: int = 48
    federal_aggravated_felony_conviction: bool = False
    federal_outstanding_felony_warrant: bool = False
    federal_terrorist_screening_match: bool = False

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class WithdrawalInput:
    request_id: str
    withdrawn_at: datetime
    #: codes that tell apart requests carrying the same id (ids are unique per office and facility, review M8)
    office: str = ""
    facility: str = ""


def normalize_a_number(value: str) -> str:
    """'A-012-345-678', 'a012345678' and '012345678' are the same A-number; store 'A012345678'."""
    cleaned = re.sub(r"[\s\-.]", "", value or "").upper()
    if cleaned and cleaned[0].isdigit():
        cleaned = "A" + cleaned
    return cleaned


def a_number_variants(value: str) -> list[str]:
    """An 8-digit A-number is often written zero-padded to 9 digits; both spellings name one file."""
    a = normalize_a_number(value)
    if not a:
        return []
    digits = a[1:]
    variants = {a}
    if len(digits) == 8:
        variants.add("A0" + digits)
    elif len(digits) == 9 and digits.startswith("0"):
        variants.add("A" + digits[1:])
    return sorted(variants)


def validate(data: RequestInput) -> None:
    # every identifier has the one shape of core.ids, at this door as at the API's (review H5, L3)
    for name, value, limit in (("request_id", data.request_id, ids.REQUEST_ID_MAX),
                               ("office", data.office, ids.CODE_MAX), ("facility", data.facility, ids.CODE_MAX)):
        problem = ids.id_problem(value, limit)
        if problem:
            raise InvalidInput(f"{name} {problem}", name)
    if data.booking_number:
        problem = ids.id_problem(data.booking_number, ids.BOOKING_NUMBER_MAX)
        if problem:
            raise InvalidInput(f"booking_number {problem}", "booking_number")
    if data.kind not in RequestKind.values:
        raise InvalidInput(f"kind {data.kind!r} is not one of {', '.join(RequestKind.values)}", "kind")
    if data.warrant_type not in WarrantType.values:
        raise InvalidInput(
            f"warrant type {data.warrant_type!r} is not one of {', '.join(WarrantType.values)}", "warrant.type"
        )
    if len(data.warrant_form) > 20:
        raise InvalidInput("warrant form is longer than 20 characters", "warrant.form")
    if len(data.form) > 20:
        raise InvalidInput("form is longer than 20 characters", "form")
    for b in data.basis:
        if b not in BASIS_VALUES:
            raise InvalidInput(f"basis {b!r} is not one of {', '.join(BASIS_VALUES)}", "basis")
    if isinstance(data.lead_time_hours, bool) or not isinstance(data.lead_time_hours, int):
        raise InvalidInput("lead_time_hours must be a whole number of hours", "lead_time_hours")
    if not 0 < data.lead_time_hours <= MAX_LEAD_TIME_HOURS:
        raise InvalidInput(f"lead_time_hours must be between 1 and {MAX_LEAD_TIME_HOURS}", "lead_time_hours")
    s = data.subject
    if s.sex and s.sex not in SEX_VALUES:
        raise InvalidInput(f"subject sex {s.sex!r} is not one of {', '.join(SEX_VALUES)}", "subject.sex")
    if s.a_number and not ids.is_a_number(s.a_number):
        raise InvalidInput(f"subject a_number {s.a_number!r} is not A followed by 8 or 9 digits", "subject.a_number")
    if len(s.fbi_number) > 20:
        raise InvalidInput("subject fbi_number is longer than 20 characters", "subject.fbi_number")
    for name in ("last_name", "first_name"):
        if len(getattr(s, name)) > 100:
            raise InvalidInput(f"subject {name} is longer than 100 characters", f"subject.{name}")
    for name in ("last_name", "first_name", "fbi_number", "citizenship"):
        problem = ids.text_problem(getattr(s, name))
        if problem:
            raise InvalidInput(f"subject {name} {problem}", f"subject.{name}")
    for name in ("form", "warrant_form"):
        problem = ids.text_problem(getattr(data, name))
        if problem:
            raise InvalidInput(f"{name} {problem}", name)
    has_name = bool(s.last_name and s.first_name and s.date_of_birth)
    if not (data.booking_number or s.a_number or s.fbi_number or has_name):
        raise InvalidInput(
            "the request names no booking_number, A-number, FBI number, or name with date of birth: "
            "it cannot be matched to anyone",
            "subject",
        )


# --- parsing JSON objects -------------------------------------------------------------------------------

def _str(obj: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{path} is required", path)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(f"{path} must be a string", path)
    return str(value).strip()


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = obj.get(key)
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidInput(f"{path} must be true or false, not {value!r}", path)


def _date(obj: Mapping[str, Any], key: str, path: str) -> date | None:
    value = _str(obj, key, path)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{path} {value!r} is not a date (YYYY-MM-DD)", path) from None


def parse_datetime(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{path} is required", path)
    text = value.strip()
    # a date and a time, as every door reads it (review L3): no week dates, no date without a time (a
    # detainer's hour matters), no hour-only times
    if not _DATETIME_SHAPE.fullmatch(text):
        raise InvalidInput(f"{path} {value!r} is not a date and time (YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM])", path)
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{path} {value!r} is not a date and time (ISO 8601)", path) from None


_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?",
                             re.IGNORECASE)


def _object(obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{path} must be an object", path)
    return value


def _reject_unknown(obj: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(obj) - known)
    if unknown:
        where = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise InvalidInput(f"unknown field {where!r}", where)


_SUBJECT_KEYS = {f.name for f in fields(SubjectInput)}
_TOP_KEYS = {"request_id", "kind", "form", "issued_at", "office", "subject", "facility", "booking_number", "basis",
             "warrant", "lead_time_hours", "federal", "judicial_probable_cause"}
_FEDERAL_KEYS = {"aggravated_felony_conviction", "outstanding_federal_felony_warrant", "terrorist_screening_match"}


def parse_request(obj: Mapping[str, Any], *, strict: bool = True) -> RequestInput:
    """A request object from JSON Lines or the API (INTERFACES.md "requests") -> RequestInput.
    Strict (the API): unknown keys are rejected, because a field we silently ignore is a fact the law never
    sees. Files (`strict=False`) go through the ingest runner, which drops and reports unknown columns once
    per file; unknown keys inside the nested objects are then ignored the same way."""
    if not isinstance(obj, Mapping):
        raise InvalidInput("a request must be a JSON object", None)
    if strict:
        _reject_unknown(obj, _TOP_KEYS, "")
    subject = _object(obj, "subject", "subject")
    if strict:
        _reject_unknown(subject, _SUBJECT_KEYS, "subject")
    warrant = obj.get("warrant")
    if isinstance(warrant, str):  # shorthand used in scenario files: "warrant": "administrative"
        warrant = {"type": warrant}
    if warrant is not None and not isinstance(warrant, Mapping):
        raise InvalidInput("warrant must be an object {type, form}", "warrant")
    warrant = warrant or {}
    federal = _object(obj, "federal", "federal")
    if strict:
        _reject_unknown(warrant, {"type", "form"}, "warrant")
        _reject_unknown(federal, _FEDERAL_KEYS, "federal")
    basis_raw = obj.get("basis") or []
    if isinstance(basis_raw, str):
        basis_raw = [b for b in basis_raw.split(";") if b.strip()]
    if not isinstance(basis_raw, list) or not all(isinstance(b, str) for b in basis_raw):
        raise InvalidInput("basis must be a list of strings", "basis")
    lead = obj.get("lead_time_hours")
    if lead is None or lead == "":
        lead = 48
    elif isinstance(lead, str) and lead.strip().isdigit():
        lead = int(lead.strip())
    if "issued_at" not in obj or obj.get("issued_at") in (None, ""):
        raise InvalidInput("issued_at is required", "issued_at")
    if isinstance(lead, str):
        raise InvalidInput(f"lead_time_hours {lead!r} is not a whole number of hours", "lead_time_hours")
    sex = _str(subject, "sex", "subject.sex").upper()
    a_number = _str(subject, "a_number", "subject.a_number")
    return RequestInput(
        request_id=_str(obj, "request_id", "request_id", required=True),
        kind=_str(obj, "kind", "kind", required=True),
        form=_str(obj, "form", "form"),
        issued_at=parse_datetime(obj.get("issued_at"), "issued_at"),
        office=_str(obj, "office", "office", required=True),
        facility=_str(obj, "facility", "facility", required=True),
        booking_number=_str(obj, "booking_number", "booking_number"),
        subject=SubjectInput(
            last_name=_str(subject, "last_name", "subject.last_name"),
            first_name=_str(subject, "first_name", "subject.first_name"),
            date_of_birth=_date(subject, "date_of_birth", "subject.date_of_birth"),
            sex=sex,
            a_number=normalize_a_number(a_number) if a_number else "",
            fbi_number=_str(subject, "fbi_number", "subject.fbi_number").upper(),
            citizenship=_str(subject, "citizenship", "subject.citizenship"),
        ),
        basis=tuple(dict.fromkeys(b.strip() for b in basis_raw)),
        warrant_type=_str(warrant, "type", "warrant.type") or WarrantType.NONE,
        warrant_form=_str(warrant, "form", "warrant.form"),
        judicial_probable_cause=_bool(obj, "judicial_probable_cause", "judicial_probable_cause"),
        lead_time_hours=lead,
        federal_aggravated_felony_conviction=_bool(federal, "aggravated_felony_conviction",
                                                   "federal.aggravated_felony_conviction"),
        federal_outstanding_felony_warrant=_bool(federal, "outstanding_federal_felony_warrant",
                                                 "federal.outstanding_federal_felony_warrant"),
        federal_terrorist_screening_match=_bool(federal, "terrorist_screening_match",
                                                "federal.terrorist_screening_match"),
    )


def parse_withdrawal(obj: Mapping[str, Any]) -> WithdrawalInput:
    if not isinstance(obj, Mapping):
        raise InvalidInput("a withdrawal must be a JSON object", None)
    _reject_unknown(obj, {"request_id", "withdrawn_at", "office", "facility"}, "")
    return WithdrawalInput(
        request_id=_str(obj, "request_id", "request_id", required=True),
        withdrawn_at=parse_datetime(obj.get("withdrawn_at"), "withdrawn_at"),
        office=_str(obj, "office", "office") if obj.get("office") not in (None, "") else "",
        facility=_str(obj, "facility", "facility") if obj.get("facility") not in (None, "") else "",
    )
