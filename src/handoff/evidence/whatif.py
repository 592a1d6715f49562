"""What-if: replay a period's real requests under another policy chain (or another version of the law) and
show, request by request and in totals, how notices, holds and transfers would have differed.

Why replay on the same facts and the same moments: the question counsel asks is "what would this law have
done with OUR requests", so the only thing that changes is the law. Each request is evaluated with the facts
Handoff holds for it now (the same facts `handoff decision show` uses) at the moment its current decision was
made (or when it was received, if it never was decided); the actual side is the decision on record.

`@DATE` pins every policy of the chain to the version in force on DATE ("the law as it stood then") while
lookback windows still count from each request's own date: a version is re-dated to cover all time rather
than evaluating the request as if it happened on DATE.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handoff.core.errors import InvalidInput
from handoff.evidence.rearrest import end_of, start_of
from handoff.jurisdictions.models import Facility
from handoff.policy.engine import Registry
from handoff.requests.facts import build_facts

#: the parts of an answer that change what the jail does, compared side by side
COMPARED: tuple[str, ...] = ("notify", "hold", "transfer", "individual_notice", "attorney_notice", "review")


def _registry() -> Registry:
    from handoff.policy.registry import registry

    return registry()


@dataclass(frozen=True)
class ChainSpec:
    policies: tuple[str, ...]
    pinned: date | None = None

    @property
    def label(self) -> str:
        text = ",".join(self.policies)
        return f"{text}@{self.pinned.isoformat()}" if self.pinned else text


def parse_chain(text: str) -> ChainSpec:
    """`us-federal,us-wa` or `us-federal,us-wa@2019-01-01` (the @DATE may follow the last id)."""
    raw = (text or "").strip()
    pinned: date | None = None
    if "@" in raw:
        raw, _, when = raw.rpartition("@")
        try:
            pinned = date.fromisoformat(when.strip())
        except ValueError:
            raise InvalidInput(f"--chain: {when!r} after @ is not a date (YYYY-MM-DD)", "chain") from None
        if "@" in raw:
            raise InvalidInput("--chain: give one @DATE, after the last policy id", "chain")
    ids = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not ids:
        raise InvalidInput("--chain: name at least one policy, nation first (e.g. us-federal,us-wa)", "chain")
    return ChainSpec(ids, pinned)


def chain_registry(spec: ChainSpec, base: Registry | None = None) -> Registry:
    """The registry to evaluate the chain with: the library itself, or (with @DATE) a copy holding, for each
    policy of the chain, only the version in force on DATE, re-dated to cover every day."""
    base = base if base is not None else _registry()
    unknown = [p for p in spec.policies if p not in base.policies]
    if unknown:
        raise InvalidInput(f"--chain: unknown policy {', '.join(unknown)}; known: {', '.join(sorted(base.policies))}",
                           "chain")
    if spec.pinned is None:
        return base
    pinned = {}
    for pid in spec.policies:
        doc = base.policies[pid]
        version = doc.version_at(spec.pinned)
        if version is None:
            raise InvalidInput(f"--chain: {pid} has no version in force on {spec.pinned}", "chain")
        forever = dataclasses.replace(version, effective_from=date.min, effective_to=None)
        pinned[pid] = dataclasses.replace(doc, versions=(forever,))
    return Registry(pinned, base.tables)


@dataclass(frozen=True)
class Answer:
    notify: bool
    hold: str
    transfer: str
    individual_notice: bool
    attorney_notice: bool
    review: bool
    policies: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in (*COMPARED, "policies")} | {"policies": list(self.policies)}


@dataclass(frozen=True)
class Replayed:
    request_id: str
    facility: str
    at: str
    actual: Answer
    whatif: Answer
    differs: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "facility": self.facility, "at": self.at,
                "actual": self.actual.as_dict(), "whatif": self.whatif.as_dict(), "differs": list(self.differs)}


@dataclass
class WhatIfResult:
    chain: str
    start: date | None
    end: date | None
    jurisdiction: str | None
    requests: list[Replayed] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        n = len(self.requests)
        holds_a = Counter(r.actual.hold for r in self.requests)
        holds_w = Counter(r.whatif.hold for r in self.requests)
        tr_a = Counter(r.actual.transfer for r in self.requests)
        tr_w = Counter(r.whatif.transfer for r in self.requests)
        return {
            "requests": n,
            "changed": sum(1 for r in self.requests if r.differs),
            "notify": {"actual": sum(r.actual.notify for r in self.requests),
                       "whatif": sum(r.whatif.notify for r in self.requests)},
            "hold": {v: {"actual": holds_a.get(v, 0), "whatif": holds_w.get(v, 0)}
                     for v in ("prohibited", "permitted", "required")},
            "transfer": {v: {"actual": tr_a.get(v, 0), "whatif": tr_w.get(v, 0)} for v in ("prohibited", "permitted")},
            "review": {"actual": sum(r.actual.review for r in self.requests),
                       "whatif": sum(r.whatif.review for r in self.requests)},
            "not_replayed": len(self.errors),
        }

    def as_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None, "jurisdiction": self.jurisdiction,
                "totals": self.totals(), "requests": [r.as_dict() for r in self.requests], "errors": self.errors}


def _answer(d: Any) -> Answer:
    return Answer(bool(d.notify), str(d.hold), str(d.transfer), bool(d.individual_notice), bool(d.attorney_notice),
                  bool(d.review), tuple(d.policies))


def replay(spec: ChainSpec, *, start: date | None = None, end: date | None = None,
           jurisdiction_fips: str | None = None, facilities: Iterable[int] | None = None,
           progress: Callable[[int, int], None] | None = None) -> WhatIfResult:
    """Every request received in [start, end] at the facilities in scope, its decision on record beside the
    chain's answer. `facilities`: a caller's scope (counsel's own jurisdiction); None = all in the FIPS."""
    from handoff.evidence.services import facility_ids_in

    if start and end and start > end:
        raise InvalidInput(f"--from {start} is after --to {end}", "from")
    reg = chain_registry(spec)
    in_fips = facility_ids_in(jurisdiction_fips)
    from handoff.evidence.counting import counted

    # the counted requests (handoff.evidence.counting), but not a jail export's own record of a hold: the law
    # never decided it, so there is no decision on record to compare, and replaying the place's law of today
    # as its "actual" answer would invent one (the users' review: "historical requests are decided under
    # today's law")
    qs = counted().filter(booking__isnull=False, historical=False).select_related(
        "facility__jurisdiction", "booking__person", "current_decision").order_by("received_at", "pk")
    if in_fips is not None:
        qs = qs.filter(facility_id__in=in_fips)
    if facilities is not None:
        qs = qs.filter(facility_id__in=list(facilities))
    if start:
        qs = qs.filter(received_at__gte=start_of(start).to_pydatetime())
    if end:
        qs = qs.filter(received_at__lt=end_of(end).to_pydatetime())
    result = WhatIfResult(spec.label, start, end, jurisdiction_fips)
    items = list(qs)
    base = _registry()
    real = {}  # a pinned version's own label instead of the re-dated one
    if spec.pinned is not None:
        for pid in spec.policies:
            v = base.policies[pid].version_at(spec.pinned)
            real[f"{pid}@{date.min.isoformat()}"] = f"{pid}@{v.label}" if v else pid
    chains: dict[int, list[str]] = {}
    for i, req in enumerate(items):
        if progress:
            progress(i, len(items))
        facility: Facility = req.facility
        decided = req.current_decision
        moment: datetime = decided.evaluated_at if decided is not None else req.received_at
        local = moment.astimezone(ZoneInfo(facility.timezone))
        try:
            facts = build_facts(req, req.booking)
            if decided is not None:
                actual = _answer(decided)
            else:
                if facility.pk not in chains:
                    from handoff.jurisdictions.services import policy_chain

                    chains[facility.pk] = policy_chain(facility)
                actual = _answer(base.evaluate(facts, local, chains[facility.pk]))
            whatif = _answer(reg.evaluate(facts, local, list(spec.policies)))
            if real:
                whatif = dataclasses.replace(whatif, policies=tuple(real.get(p, p) for p in whatif.policies))
        except (ValueError, KeyError, InvalidInput) as exc:
            result.errors.append({"request_id": req.request_id, "reason": str(exc)})
            continue
        differs = tuple(f for f in COMPARED if getattr(actual, f) != getattr(whatif, f))
        result.requests.append(Replayed(req.request_id, facility.code, local.date().isoformat(), actual, whatif,
                                        differs))
    return result
