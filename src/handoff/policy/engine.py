"""The policy engine: which law governs a request, and what it says.

Pure Python (no Django; a test asserts it). The Django side builds a `Facts` and calls:

    registry = load_library()                      # cached; the shipped library/ directory
    decision = registry.evaluate(facts, at, ["us-federal", "us-ca"])
    decision.to_dict()                             # INTERFACES.md "Decisions"

`at` is a timezone-aware datetime (its own calendar date picks the policy versions and anchors lookbacks:
pass it in the facility's zone) or a plain date.

Composition across the chain (the README text is in COMPOSITION.md next to this file):
- the chain runs from the most general policy to the most specific; a policy with no version in force is
  skipped and named in a reason; every consulted one is listed as "id@effective_from";
- each policy decides the outcome fields its `defaults` name or its holding rules set, and replaces them;
- below a state whose stance is `prohibition`, a county or city may only move notify/hold/transfer to a more
  restrictive value; below a state `mandate`, only to more cooperation. Every clamp adds a reason;
- individual_notice, attorney_notice and review are OR-ed over the chain; lead_time_hours, calendar and
  answer_declined come from the most specific policy that sets them;
- a withdrawn request yields notify=false, hold=prohibited, transfer=prohibited, no notices.

Public surface: `Registry`, `load_library()`, `UnknownPolicy`, `LIBRARY_DIR`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import cel

from handoff.policy import celcheck
from handoff.policy.documents import PolicyDocument, PolicyError, Problem, Version, load_policy, load_table
from handoff.policy.facts import Charge, Conviction, Decision, Facts, Reason
from handoff.policy.offences import OffenceTable, TableEntry

LIBRARY_DIR = Path(__file__).resolve().parent / "library"

BASE_OUTCOME: dict[str, Any] = {
    "notify": False,
    "hold": "prohibited",
    "transfer": "prohibited",
    "individual_notice": False,
    "attorney_notice": False,
    "review": False,
    "lead_time_hours": 48,
    "calendar": "clock",
    "answer_declined": False,
}
# How much cooperation each value means (higher = more).
COOPERATION: dict[str, dict[Any, int]] = {
    "notify": {False: 0, True: 1},
    "hold": {"prohibited": 0, "permitted": 1, "required": 2},
    "transfer": {"prohibited": 0, "permitted": 1},
}
OR_FIELDS = ("individual_notice", "attorney_notice", "review")
SPECIFIC_FIELDS = ("lead_time_hours", "calendar", "answer_declined")
ENGINE = "*"  # the `policy` of reasons the engine itself gives (withdrawal, composition bookkeeping)


class UnknownPolicy(KeyError):
    """A chain names a policy the registry does not have."""

    def __str__(self) -> str:
        return f"unknown policy {self.args[0]!r}"


# ---------------------------------------------------------------------------------- derived facts


def anniversary(day: date, years: int) -> date:
    """`day` plus whole calendar years; Feb 29 lands on Feb 28 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def completed_years(since: date, as_of: date) -> int:
    years = as_of.year - since.year
    if years > 0 and anniversary(since, years) > as_of:
        years -= 1
    return max(years, 0)


def conviction_fields(c: Conviction, as_of: date) -> dict[str, Any]:
    """The CEL view of one conviction, without categories (they depend on the policy's tables).

    Lookbacks are inclusive: convicted exactly 5 (15) calendar years before `as_of` still counts.
    """
    ann5 = anniversary(c.convicted_on, 5)
    return {
        "statute": c.statute,
        "level": c.level,
        "wobbler": c.wobbler,
        "convicted_on": c.convicted_on.isoformat(),
        "state": c.state,
        "state_prison": c.state_prison,
        "prop47_reduced": c.prop47_reduced,
        "years_before": completed_years(c.convicted_on, as_of),
        "within_5y": as_of <= ann5,
        "within_15y": as_of <= anniversary(c.convicted_on, 15),
        "custody_days_since": c.custody_days_since,
        "within_5y_excluding_custody": as_of <= ann5 + timedelta(days=c.custody_days_since),
    }


def charge_fields(c: Charge) -> dict[str, Any]:
    return {
        "statute": c.statute,
        "level": c.level,
        "wobbler": c.wobbler,
        "disposition": c.disposition,
        "probable_cause_found": c.probable_cause_found,
    }


def fact_inputs(facts: Facts) -> dict[str, Any]:
    """The CEL view of the scalar facts (everything but charges and convictions)."""
    r = facts.request
    return {
        "request": {
            "kind": r.kind,
            "form": r.form,
            "basis": list(r.basis),
            "warrant": {"type": r.warrant.type, "form": r.warrant.form},
            "lead_time_hours": r.lead_time_hours,
            "withdrawn": r.withdrawn,
            "judicial_probable_cause": r.judicial_probable_cause,
        },
        "booking": {"release_type": facts.booking.release_type, "released": facts.booking.released},
        "registrant": {"sex_offender": facts.registrant.sex_offender, "arson": facts.registrant.arson},
        "federal": {
            "aggravated_felony_conviction": facts.federal.aggravated_felony_conviction,
            "outstanding_federal_felony_warrant": facts.federal.outstanding_federal_felony_warrant,
            "terrorist_screening_match": facts.federal.terrorist_screening_match,
        },
        "person": {"lawful_status_proven": facts.person.lawful_status_proven},
    }


@dataclass(frozen=True, slots=True)
class _Inferred:
    """Categories one record gets under one policy's tables, and which entries gave them."""

    categories: list[str]
    uncertain_only: frozenset[str]  # categories that came only from uncertain entries
    entries: tuple[TableEntry, ...]  # entries that added something beyond the explicit categories


_NO_TABLES = _Inferred([], frozenset(), ())


def infer(statute: str, explicit: Sequence[str], tables: Sequence[OffenceTable], on: date, state: str = "") -> _Inferred:
    if not tables:
        return _Inferred(sorted(set(explicit)), frozenset(), ())
    cats = set(explicit)
    certain = set(explicit)
    used: list[TableEntry] = []
    for table in tables:
        if state and state != table.state:
            continue  # another state's conviction: its statute numbers mean something else
        for entry in table.lookup(statute, on):
            new = [c for c in entry.categories if c not in explicit]
            if new:
                used.append(entry)
            cats.update(entry.categories)
            if not entry.uncertain:
                certain.update(entry.categories)
    return _Inferred(sorted(cats), frozenset(cats - certain), tuple(used))


# ---------------------------------------------------------------------------------- the registry


@dataclass
class _PolicyRun:
    decided: dict[str, Any]
    reasons: list[Reason]
    label: str


class Registry:
    """Loaded policies and offence tables; evaluation. Immutable after construction, safe across threads."""

    def __init__(self, policies: Mapping[str, PolicyDocument], tables: Mapping[str, OffenceTable]) -> None:
        self.policies: dict[str, PolicyDocument] = dict(policies)
        self.tables: dict[str, OffenceTable] = dict(tables)
        self._tables_of: dict[str, tuple[OffenceTable, ...]] = {
            pid: tuple(self.tables[t] for t in doc.offence_tables if t in self.tables)
            for pid, doc in self.policies.items()
        }
        # per version: settings cut to what its rules read (a constant, so computed once)
        self._settings_input: dict[int, Any] = {}
        for doc in self.policies.values():
            for v in doc.versions:
                need = v.needs.get("settings")
                if need is not None:
                    self._settings_input[id(v)] = celcheck.project(dict(v.settings), need)

    @classmethod
    def from_paths(cls, policy_paths: Iterable[str | Path], table_paths: Iterable[str | Path] = ()) -> Registry:
        """Load named files (all problems of all files are reported together in one PolicyError)."""
        problems: list[Problem] = []
        tables: dict[str, OffenceTable] = {}
        for p in sorted(table_paths, key=str):
            try:
                t = load_table(p)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            if Path(p).stem != t.id:
                problems.append(Problem(str(p), 1, f"offence table id '{t.id}' must match the file name '{Path(p).stem}'"))
            if t.id in tables:
                problems.append(Problem(str(p), 1, f"offence table '{t.id}' is also defined in {tables[t.id].path}"))
            tables[t.id] = t
        policies: dict[str, PolicyDocument] = {}
        for p in sorted(policy_paths, key=str):
            try:
                doc = load_policy(p, tables)
            except PolicyError as exc:
                problems.extend(exc.problems)
                continue
            if Path(p).stem != doc.id:
                problems.append(Problem(str(p), 1, f"policy id '{doc.id}' must match the file name '{Path(p).stem}'"))
            if doc.id in policies:
                problems.append(Problem(str(p), 1, f"policy '{doc.id}' is also defined in {policies[doc.id].path}"))
            policies[doc.id] = doc
        if problems:
            raise PolicyError(problems)
        return cls(policies, tables)

    @classmethod
    def from_directory(cls, path: str | Path) -> Registry:
        """A library directory: `<id>.yaml` policies and `offences/<id>.yaml` tables."""
        root = Path(path)
        return cls.from_paths(sorted(root.glob("*.yaml")), sorted((root / "offences").glob("*.yaml")))

    # ---- queries

    def document(self, policy_id: str) -> PolicyDocument:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise UnknownPolicy(policy_id) from None

    def version_at(self, policy_id: str, at: date | datetime) -> Version | None:
        """The version of `policy_id` in force at `at` (None if none is)."""
        return self.document(policy_id).version_at(at)

    # ---- evaluation

    def evaluate(self, facts: Facts, at: date | datetime, chain: Sequence[str], request_id: str | None = None) -> Decision:
        """The decision of the law along `chain` (general -> specific) for `facts` at `at`."""
        if isinstance(at, datetime):
            if at.tzinfo is None or at.utcoffset() is None:
                raise ValueError("evaluate(): `at` must be timezone-aware (or a plain date)")
            day = at.date()
        else:
            day = at
        docs = [self.document(pid) for pid in chain]
        scalars = fact_inputs(facts)
        convictions = [c for c in facts.convictions if c.convicted_on <= day]
        conv_base = [conviction_fields(c, day) for c in convictions]
        charge_base = [charge_fields(c) for c in facts.charges]
        composed = dict(BASE_OUTCOME)
        consulted: list[str] = []
        reasons: list[Reason] = []
        regime: PolicyDocument | None = None  # the nearest state prohibition or mandate above
        for doc in docs:
            version = doc.version_at(day)
            if version is None:
                reasons.append(Reason(doc.id, "not-in-force", _source_of(doc), False,
                                      f"{doc.title}: no version in force on {day.isoformat()}; not applied."))
                continue
            run = self._run(doc, version, facts, day, scalars, convictions, conv_base, charge_base)
            consulted.append(run.label)
            reasons.extend(run.reasons)
            clamp_by = regime if doc.level in ("county", "city") else None
            for name in ("notify", "hold", "transfer"):
                if name not in run.decided:
                    continue
                wanted = run.decided[name]
                current = composed[name]
                if clamp_by is not None:
                    more = COOPERATION[name][wanted] > COOPERATION[name][current]
                    less = COOPERATION[name][wanted] < COOPERATION[name][current]
                    if (clamp_by.stance == "prohibition" and more) or (clamp_by.stance == "mandate" and less):
                        verb = "loosen" if clamp_by.stance == "prohibition" else "restrict"
                        reasons.append(Reason(
                            doc.id, "composition", clamp_by.composition_cite or _source_of(clamp_by), True,
                            f"{doc.title} would set {name}={_show(wanted)}, but a {doc.level} may not {verb} "
                            f"{clamp_by.title} ({clamp_by.stance}): {name} stays {_show(current)}.",
                        ))
                        continue
                composed[name] = wanted
            for name in OR_FIELDS:
                composed[name] = composed[name] or bool(run.decided.get(name, False))
            for name in SPECIFIC_FIELDS:
                if name in run.decided:
                    composed[name] = run.decided[name]
            if doc.level == "state" and doc.stance in ("prohibition", "mandate"):
                regime = doc
        if facts.request.withdrawn:
            composed.update(notify=False, hold="prohibited", transfer="prohibited", individual_notice=False,
                            attorney_notice=False, review=False)
            reasons.append(Reason(ENGINE, "request-withdrawn", "Withdrawal by the issuing DHS office", True,
                                  "The request was withdrawn: nothing may be sent, held or transferred on it."))
        if not consulted:
            composed["review"] = True
            reasons.append(Reason(ENGINE, "no-policy", "-", True,
                                  f"No policy of the chain {list(chain)} is in force on {day.isoformat()}: a person must decide."))
        return Decision(
            request_id=facts.request_id if request_id is None else request_id,
            policies=tuple(consulted),
            evaluated_at=at.isoformat(),
            notify=composed["notify"],
            hold=composed["hold"],
            transfer=composed["transfer"],
            individual_notice=composed["individual_notice"],
            attorney_notice=composed["attorney_notice"],
            lead_time_hours=composed["lead_time_hours"],
            calendar=composed["calendar"],
            review=composed["review"],
            answer_declined=composed["answer_declined"],
            reasons=tuple(reasons),
        )

    def cel_inputs(self, facts: Facts, at: date | datetime, chain: Sequence[str]) -> list[tuple[Version, dict[str, Any]]]:
        """The exact CEL inputs `evaluate` hands each policy version (for the benchmark and for debugging)."""
        day = at.date() if isinstance(at, datetime) else at
        scalars = fact_inputs(facts)
        convictions = [c for c in facts.convictions if c.convicted_on <= day]
        conv_base = [conviction_fields(c, day) for c in convictions]
        charge_base = [charge_fields(c) for c in facts.charges]
        out = []
        for pid in chain:
            doc = self.document(pid)
            version = doc.version_at(day)
            if version is None:
                continue
            tables = self._tables_of[doc.id]
            conv_inf = [infer(c.statute, c.categories, tables, day, c.state) for c in convictions]
            charge_inf = [infer(c.statute, c.categories, tables, day) for c in facts.charges]
            out.append((version, self._input(version, scalars, conv_base, conv_inf, charge_base, charge_inf, frozenset())))
        return out

    # ---- one policy

    def _input(
        self,
        version: Version,
        scalars: Mapping[str, Any],
        conv_base: Sequence[dict[str, Any]],
        conv_inf: Sequence[_Inferred],
        charge_base: Sequence[dict[str, Any]],
        charge_inf: Sequence[_Inferred],
        drop: frozenset[str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for var, need in version.needs.items():
            if var == "settings":
                out[var] = self._settings_input[id(version)]
            elif var == "convictions":
                out[var] = _records(conv_base, conv_inf, need, drop)
            elif var == "charges":
                out[var] = _records(charge_base, charge_inf, need, drop)
            else:
                out[var] = celcheck.project(scalars[var], need)
        return out

    def _run(
        self,
        doc: PolicyDocument,
        version: Version,
        facts: Facts,
        day: date,
        scalars: Mapping[str, Any],
        convictions: Sequence[Conviction],
        conv_base: Sequence[dict[str, Any]],
        charge_base: Sequence[dict[str, Any]],
    ) -> _PolicyRun:
        tables = self._tables_of[doc.id]
        reasons: list[Reason] = []
        if tables:
            conv_inf = [infer(c.statute, c.categories, tables, day, c.state) for c in convictions]
            charge_inf = [infer(c.statute, c.categories, tables, day) for c in facts.charges]
            for what, records, infs in (("Conviction", convictions, conv_inf), ("Charge", facts.charges, charge_inf)):
                for rec, inf in zip(records, infs, strict=True):
                    for e in inf.entries:
                        when = f" of {rec.convicted_on.isoformat()}" if isinstance(rec, Conviction) else ""
                        reasons.append(Reason(
                            doc.id, f"offence-table:{e.statute}", e.cite, True,
                            f"{what} {rec.statute}{when} counts as {', '.join(e.categories)}"
                            + (f" (uncertain: {e.note})" if e.uncertain else "") + ".",
                            e.uncertain,
                        ))
        else:
            conv_inf = [_Inferred(list(c.categories), frozenset(), ()) for c in convictions]
            charge_inf = [_Inferred(list(c.categories), frozenset(), ()) for c in facts.charges]
        ctx_input = self._input(version, scalars, conv_base, conv_inf, charge_base, charge_inf, frozenset())
        decided, rule_reasons = _apply_rules(doc, version, ctx_input)
        reasons.extend(rule_reasons)
        uncertain = frozenset().union(*(i.uncertain_only for i in (*conv_inf, *charge_inf)))
        if uncertain:
            alt_input = self._input(version, scalars, conv_base, conv_inf, charge_base, charge_inf, uncertain)
            alt, _ = _apply_rules(doc, version, alt_input)
            if {k: v for k, v in alt.items() if k != "review"} != {k: v for k, v in decided.items() if k != "review"}:
                decided["review"] = True
                reasons.append(Reason(
                    doc.id, "uncertain-offence-table", "; ".join(sorted({e.cite for i in (*conv_inf, *charge_inf) for e in i.entries if e.uncertain})),
                    True,
                    f"The outcome depends on offence categories ({', '.join(sorted(uncertain))}) that only an "
                    "uncertain offence-table entry gives: a person must check the statute.",
                    True,
                ))
        return _PolicyRun(decided, reasons, f"{doc.id}@{version.label}")


def _records(base: Sequence[dict[str, Any]], inferred: Sequence[_Inferred], need: celcheck.Need, drop: frozenset[str]) -> list[Any]:
    if need.whole:
        elem = None
    else:
        elem = need.element
        if elem is None:
            return [{} for _ in base]
    out = []
    for b, inf in zip(base, inferred, strict=True):
        cats = [c for c in inf.categories if c not in drop] if drop else inf.categories
        if elem is None or elem.whole:
            rec = dict(b)
            rec["categories"] = cats
        else:
            rec = {}
            for k, n in elem.fields.items():
                rec[k] = cats if k == "categories" else celcheck.project(b[k], n)
        out.append(rec)
    return out


def _apply_rules(doc: PolicyDocument, version: Version, ctx_input: Mapping[str, Any]) -> tuple[dict[str, Any], list[Reason]]:
    """Defaults, then every rule in order; a later holding rule overrides an earlier one field by field."""
    decided = dict(version.defaults)
    settings = version.settings
    for name in ("lead_time_hours", "calendar", "answer_declined"):
        if name in settings:
            decided[name] = settings[name]
    review_uncertain = settings.get("review_uncertain", True)
    context = cel.Context(ctx_input)
    reasons = []
    for rule in version.rules:
        try:
            holds = rule.program.execute(context)
            failed = None
        except Exception as exc:  # a runtime error must not decide anything: a person looks at it
            holds, failed = False, " ".join(str(exc).split())
        if failed is not None:
            decided["review"] = True
            detail = f"Could not be evaluated ({failed}); a person must decide."
        elif holds is True:
            decided.update(rule.then)
            if rule.uncertain and review_uncertain:
                decided["review"] = True
            detail = rule.because or rule.title
        else:
            holds = False
            detail = rule.otherwise or f"Does not apply: {rule.title}."
        if rule.uncertain and holds and rule.note:
            detail = f"{detail} (uncertain: {rule.note})"
        reasons.append(Reason(doc.id, rule.id, rule.cite, bool(holds), detail, rule.uncertain))
    return decided, reasons


def _source_of(doc: PolicyDocument) -> str:
    return doc.versions[-1].source if doc.versions else doc.title


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Registry:
    return Registry.from_directory(path)


def load_library(path: str | Path | None = None) -> Registry:
    """The registry of a library directory (default: the shipped one). Cached: load once per process.

    Raises PolicyError (every problem of every file, with file and line) when anything is wrong.
    """
    return _load_cached(str(Path(path).resolve() if path is not None else LIBRARY_DIR))


def clear_cache() -> None:
    """Forget loaded libraries (tests that edit a library directory; a long-running process after an edit)."""
    _load_cached.cache_clear()
