"""What the engine is told (Facts) and what it answers (Decision).

Pure Python, no Django: the Django side builds a `Facts` from the database, calls
`Registry.evaluate(facts, at, chain)` and stores `Decision.to_dict()`. Scenario files and the benchmark build
`Facts` with `Facts.from_dict()`, so the database and the scenarios describe a request the same way.

Why frozen dataclasses with validated enums: a misspelt value ("judical") would otherwise reach a CEL rule
as a string that equals nothing and silently turn a "may notify" into a "may not". Construction fails instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from handoff.core import vocab
from handoff.core.vocab import CALENDARS, HOLD_VALUES, OUTCOME_FIELDS, TRANSFER_VALUES

REQUEST_KINDS = frozenset(vocab.REQUEST_KINDS)
WARRANT_TYPES = frozenset(vocab.WARRANT_TYPES)
RELEASE_TYPES = frozenset(vocab.RELEASE_TYPES)
DISPOSITIONS = frozenset(vocab.DISPOSITIONS)
LEVELS = frozenset(vocab.LEVELS)
ADJUDICATIONS = frozenset(vocab.ADJUDICATIONS)
__all__ = ["CALENDARS", "HOLD_VALUES", "OUTCOME_FIELDS", "TRANSFER_VALUES"]  # re-exported for the engine


class FactsError(ValueError):
    """A fact that cannot be right; `path` says which one (e.g. ``convictions[1].convicted_on``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _check(value: object, allowed: frozenset[str], path: str) -> None:
    if value not in allowed:
        raise FactsError(path, f"{value!r} is not one of {sorted(allowed)}")


@dataclass(frozen=True, slots=True)
class Warrant:
    type: str = "none"
    form: str = ""

    def __post_init__(self) -> None:
        _check(self.type, WARRANT_TYPES, "request.warrant.type")


@dataclass(frozen=True, slots=True)
class Request:
    kind: str = "detainer"
    form: str = ""
    basis: tuple[str, ...] = ()
    warrant: Warrant = field(default_factory=Warrant)
    lead_time_hours: int = 48
    withdrawn: bool = False
    judicial_probable_cause: bool = False

    def __post_init__(self) -> None:
        _check(self.kind, REQUEST_KINDS, "request.kind")


@dataclass(frozen=True, slots=True)
class Booking:
    release_type: str = ""
    released: bool = False
    # The date of the arrest for this booking's charges (the "instant arrest"), in the facility's zone; None
    # when the jail's system does not say. A look-back counted from the arrest (NYC 9-131) uses it.
    arrested_on: date | None = None

    def __post_init__(self) -> None:
        _check(self.release_type, RELEASE_TYPES, "booking.release_type")
        if self.arrested_on is not None and (
            not isinstance(self.arrested_on, date) or isinstance(self.arrested_on, datetime)
        ):
            raise FactsError("booking.arrested_on", f"{self.arrested_on!r} is not a date")

    @property
    def arrest_date_known(self) -> bool:
        """What a rule reads (`booking.arrest_date_known`): whether a look-back can start at the arrest."""
        return self.arrested_on is not None


@dataclass(frozen=True, slots=True)
class Charge:
    statute: str
    level: str = ""
    wobbler: bool = False
    disposition: str = "pending"
    probable_cause_found: bool = False
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self.level, LEVELS, "charges[].level")
        _check(self.disposition, DISPOSITIONS, "charges[].disposition")


@dataclass(frozen=True, slots=True)
class Conviction:
    statute: str
    convicted_on: date
    level: str = ""
    wobbler: bool = False
    state: str = ""
    categories: tuple[str, ...] = ()
    state_prison: bool = False
    prop47_reduced: bool = False
    custody_days_since: int = 0
    # "" an ordinary conviction; "youthful_offender" / "juvenile_delinquent": an adjudication that is not a
    # conviction where the law says so (NYC 9-131; a rule reads `c.adjudication`)
    adjudication: str = ""

    def __post_init__(self) -> None:
        _check(self.level, LEVELS, "convictions[].level")
        _check(self.adjudication, ADJUDICATIONS, "convictions[].adjudication")
        if not isinstance(self.convicted_on, date) or isinstance(self.convicted_on, datetime):
            raise FactsError("convictions[].convicted_on", f"{self.convicted_on!r} is not a date")
        if self.custody_days_since < 0:
            raise FactsError("convictions[].custody_days_since", "must not be negative")


@dataclass(frozen=True, slots=True)
class Registrant:
    sex_offender: bool = False
    arson: bool = False


@dataclass(frozen=True, slots=True)
class Federal:
    aggravated_felony_conviction: bool = False
    outstanding_federal_felony_warrant: bool = False
    terrorist_screening_match: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    lawful_status_proven: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the law may look at for one request at one moment. Missing facts are false / empty."""

    request: Request = field(default_factory=Request)
    booking: Booking = field(default_factory=Booking)
    charges: tuple[Charge, ...] = ()
    convictions: tuple[Conviction, ...] = ()
    registrant: Registrant = field(default_factory=Registrant)
    federal: Federal = field(default_factory=Federal)
    person: Person = field(default_factory=Person)
    request_id: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        """Build from the scenario / JSON shape of INTERFACES.md; raises FactsError naming the bad field.

        Shorthand accepted: ``warrant: judicial`` for ``warrant: {type: judicial}``; dates as ISO strings.
        """
        if not isinstance(data, Mapping):
            raise FactsError("facts", "must be a mapping")
        known = {"request", "booking", "charges", "convictions", "registrant", "federal", "person", "request_id"}
        for key in data:
            if key not in known:
                raise FactsError(str(key), f"unknown fact; expected one of {sorted(known)}")
        req = _mapping(data.get("request"), "request")
        warrant_raw = req.get("warrant", {})
        if isinstance(warrant_raw, str):
            warrant_raw = {"type": warrant_raw}
        warrant_map = _mapping(warrant_raw, "request.warrant")
        warrant = Warrant(
            type=_str(warrant_map.get("type", "none"), "request.warrant.type"),
            form=_str(warrant_map.get("form", ""), "request.warrant.form"),
        )
        _only(warrant_map, {"type", "form"}, "request.warrant")
        _only(
            req,
            {"kind", "form", "basis", "warrant", "lead_time_hours", "withdrawn", "judicial_probable_cause"},
            "request",
        )
        request = Request(
            kind=_str(req.get("kind", "detainer"), "request.kind"),
            form=_str(req.get("form", ""), "request.form"),
            basis=_strs(req.get("basis", ()), "request.basis"),
            warrant=warrant,
            lead_time_hours=_int(req.get("lead_time_hours", 48), "request.lead_time_hours"),
            withdrawn=_bool(req.get("withdrawn", False), "request.withdrawn"),
            judicial_probable_cause=_bool(
                req.get("judicial_probable_cause", False), "request.judicial_probable_cause"
            ),
        )
        bk = _mapping(data.get("booking"), "booking")
        _only(bk, {"release_type", "released", "arrested_on"}, "booking")
        arrested_raw = bk.get("arrested_on")
        booking = Booking(
            release_type=_str(bk.get("release_type", "") or "", "booking.release_type"),
            released=_bool(bk.get("released", False), "booking.released"),
            arrested_on=None if arrested_raw in (None, "") else _date(arrested_raw, "booking.arrested_on"),
        )
        charges = []
        for i, raw in enumerate(_list(data.get("charges"), "charges")):
            p = f"charges[{i}]"
            c = _mapping(raw, p)
            _only(c, {"statute", "level", "wobbler", "disposition", "probable_cause_found", "categories",
                      "description", "seq"}, p)
            charges.append(
                _build(
                    Charge,
                    p,
                    statute=_str(c.get("statute", ""), f"{p}.statute"),
                    level=_str(c.get("level", "") or "", f"{p}.level"),
                    wobbler=_bool(c.get("wobbler", False), f"{p}.wobbler"),
                    disposition=_str(c.get("disposition", "pending"), f"{p}.disposition"),
                    probable_cause_found=_bool(c.get("probable_cause_found", False), f"{p}.probable_cause_found"),
                    categories=_strs(c.get("categories", ()), f"{p}.categories"),
                )
            )
        convictions = []
        for i, raw in enumerate(_list(data.get("convictions"), "convictions")):
            p = f"convictions[{i}]"
            c = _mapping(raw, p)
            _only(c, {"statute", "level", "wobbler", "convicted_on", "state", "categories", "state_prison",
                      "prop47_reduced", "custody_days_since", "adjudication", "description"}, p)
            if "convicted_on" not in c:
                raise FactsError(f"{p}.convicted_on", "is required")
            convictions.append(
                _build(
                    Conviction,
                    p,
                    statute=_str(c.get("statute", ""), f"{p}.statute"),
                    convicted_on=_date(c["convicted_on"], f"{p}.convicted_on"),
                    level=_str(c.get("level", "") or "", f"{p}.level"),
                    wobbler=_bool(c.get("wobbler", False), f"{p}.wobbler"),
                    state=_str(c.get("state", "") or "", f"{p}.state").upper(),
                    categories=_strs(c.get("categories", ()), f"{p}.categories"),
                    state_prison=_bool(c.get("state_prison", False), f"{p}.state_prison"),
                    prop47_reduced=_bool(c.get("prop47_reduced", False), f"{p}.prop47_reduced"),
                    custody_days_since=_int(c.get("custody_days_since", 0), f"{p}.custody_days_since"),
                    adjudication=_str(c.get("adjudication", "") or "", f"{p}.adjudication"),
                )
            )
        rg = _mapping(data.get("registrant"), "registrant")
        _only(rg, {"sex_offender", "arson"}, "registrant")
        fd = _mapping(data.get("federal"), "federal")
        _only(
            fd,
            {"aggravated_felony_conviction", "outstanding_federal_felony_warrant", "terrorist_screening_match"},
            "federal",
        )
        ps = _mapping(data.get("person"), "person")
        _only(ps, {"lawful_status_proven"}, "person")
        return cls(
            request=request,
            booking=booking,
            charges=tuple(charges),
            convictions=tuple(convictions),
            registrant=Registrant(
                sex_offender=_bool(rg.get("sex_offender", False), "registrant.sex_offender"),
                arson=_bool(rg.get("arson", False), "registrant.arson"),
            ),
            federal=Federal(
                aggravated_felony_conviction=_bool(
                    fd.get("aggravated_felony_conviction", False), "federal.aggravated_felony_conviction"
                ),
                outstanding_federal_felony_warrant=_bool(
                    fd.get("outstanding_federal_felony_warrant", False), "federal.outstanding_federal_felony_warrant"
                ),
                terrorist_screening_match=_bool(
                    fd.get("terrorist_screening_match", False), "federal.terrorist_screening_match"
                ),
            ),
            person=Person(
                lawful_status_proven=_bool(ps.get("lawful_status_proven", False), "person.lawful_status_proven")
            ),
            request_id=_str(data.get("request_id", "") or "", "request_id"),
        )


def _build(cls: Any, path: str, **kwargs: Any) -> Any:
    try:
        return cls(**kwargs)
    except FactsError as exc:  # re-anchor "charges[]" to the real index
        raise FactsError(exc.path.replace("charges[]", path).replace("convictions[]", path), exc.message) from None


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FactsError(path, "must be a mapping")
    return value


def _only(value: Mapping[str, Any], allowed: set[str], path: str) -> None:
    for key in value:
        if key not in allowed:
            raise FactsError(f"{path}.{key}", f"unknown field; expected one of {sorted(allowed)}")


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise FactsError(path, "must be a list")
    return list(value)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise FactsError(path, f"{value!r} is not a string")
    return value


def _strs(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):  # CSV-style "a;b"
        return tuple(v.strip() for v in value.split(";") if v.strip())
    return tuple(_str(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path)))


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise FactsError(path, f"{value!r} is not true/false")
    return value


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FactsError(path, f"{value!r} is not a whole number")
    return value


def _date(value: Any, path: str) -> date:
    if isinstance(value, datetime):
        raise FactsError(path, f"{value!r} is a date-time; give a date (YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FactsError(path, f"{value!r} is not a date (YYYY-MM-DD)")


# --------------------------------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class Reason:
    """One line a county counsel can check: which rule of which policy, its citation, and whether it held."""

    policy: str
    rule: str
    cite: str
    holds: bool
    detail: str
    uncertain: bool = False
    #: a duty of the jail the law attaches to this rule holding ("" none): a task on the jail dashboard
    task: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "rule": self.rule,
            "cite": self.cite,
            "holds": self.holds,
            "detail": self.detail,
            "uncertain": self.uncertain,
        }
        if self.task:
            out["task"] = self.task
        return out




@dataclass(frozen=True, slots=True)
class Decision:
    """What the governing law says about one request at one moment, with every reason consulted."""

    request_id: str
    policies: tuple[str, ...]
    evaluated_at: str
    notify: bool
    hold: str
    transfer: str
    individual_notice: bool
    attorney_notice: bool
    lead_time_hours: int
    calendar: str
    review: bool
    answer_declined: bool
    reasons: tuple[Reason, ...]

    def outcome(self) -> dict[str, Any]:
        """The decided fields only (no reasons): what a re-evaluation compares to see if anything changed."""
        return {name: getattr(self, name) for name in OUTCOME_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of INTERFACES.md "Decisions" (plus `calendar`, `answer_declined`, reason.policy)."""
        return {
            "request_id": self.request_id,
            "policies": list(self.policies),
            "evaluated_at": self.evaluated_at,
            "notify": self.notify,
            "hold": self.hold,
            "transfer": self.transfer,
            "individual_notice": self.individual_notice,
            "attorney_notice": self.attorney_notice,
            "lead_time_hours": self.lead_time_hours,
            "calendar": self.calendar,
            "review": self.review,
            "answer_declined": self.answer_declined,
            "reasons": [r.to_dict() for r in self.reasons],
        }

    def to_json(self, indent: int | None = None) -> str:
        """`to_dict()` as a JSON string (stable key order, so stored decisions diff cleanly)."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Read back a stored `to_dict()`."""
        return cls(
            request_id=data["request_id"],
            policies=tuple(data["policies"]),
            evaluated_at=data["evaluated_at"],
            notify=data["notify"],
            hold=data["hold"],
            transfer=data["transfer"],
            individual_notice=data["individual_notice"],
            attorney_notice=data["attorney_notice"],
            lead_time_hours=data["lead_time_hours"],
            calendar=data.get("calendar", "clock"),
            review=data["review"],
            answer_declined=data.get("answer_declined", False),
            reasons=tuple(
                Reason(
                    policy=r.get("policy", ""),
                    rule=r["rule"],
                    cite=r["cite"],
                    holds=r["holds"],
                    detail=r.get("detail", ""),
                    uncertain=r.get("uncertain", False),
                    task=r.get("task", ""),
                )
                for r in data["reasons"]
            ),
        )
