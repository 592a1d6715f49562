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

How it runs fast (measured in bench/evaluate.py): handing CEL a Python value costs about a microsecond per
string, far more than running a rule, so the engine (1) converts each version's settings once into a
long-lived per-thread `cel.Context`; (2) splits each `when` at its top-level `&&`, `||`, `!` (CEL's logical
operators are commutative with respect to errors, so the parts are independent) and runs each part on only
the fields it reads, a `convictions.exists(c, body)` part once per distinct conviction; (3) remembers every
part's result, and each version's whole outcome, keyed by exactly the values CEL would see (derived
booleans such as within_5y, never raw dates unless a rule reads them). `Registry(memo_size=0,
decompose=False)` runs every rule whole on the whole input instead; a property test checks both agree.

Public surface: `Registry`, `load_library()`, `clear_cache()`, `UnknownPolicy`, `LIBRARY_DIR`; helpers
`conviction_fields()` (the derived lookback fields) and `anniversary()`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import cel

from handoff.policy import celcheck
from handoff.policy.composition import (
    AUTHORITY_RULE_SUFFIX,
    BASE_OUTCOME,
    SPECIFIC_FIELDS,
    Regime,
    agreements_in_force,
    apply_287g,
    compose,
    no_policy_in_force,
    regime_after,
    source_of,
    withdraw,
)
from handoff.policy.documents import PolicyDocument, PolicyError, Problem, Version, load_policy, load_table
from handoff.policy.facts import Charge, Conviction, Decision, Facts, Reason
from handoff.policy.offences import OffenceTable, TableEntry

LIBRARY_DIR = Path(__file__).resolve().parent / "library"

_PLAIN_ZONES = (timezone, ZoneInfo)  # zones whose utcoffset() is never None


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


CONVICTION_FIELDS = tuple(celcheck.FACT_SCHEMA["convictions"].element)


def conviction_fields(c: Conviction, as_of: date, fields: frozenset[str] | None = None,
                      arrested_on: date | None = None) -> dict[str, Any]:
    """The CEL view of one conviction, without categories (they depend on the policy's tables).

    Lookbacks are inclusive: convicted exactly 5 (15) calendar years before `as_of` still counts; the n-year
    anniversary of a Feb 29 conviction is Feb 28 in a common year. `fields`: compute only these (speed).
    `within_5y_of_arrest_excluding_custody` counts the five years back from `arrested_on` (the instant
    arrest, NYC 9-131) when it is known, else from `as_of`; counting from the later date can only leave a
    conviction out, never bring one in.
    """
    want = fields if fields is not None else _ALL_CONVICTION_FIELDS
    row: dict[str, Any] = {
        "statute": c.statute,
        "level": c.level,
        "wobbler": c.wobbler,
        "state": c.state,
        "state_prison": c.state_prison,
        "prop47_reduced": c.prop47_reduced,
        "custody_days_since": c.custody_days_since,
        "adjudication": c.adjudication,
    }
    if "convicted_on" in want:
        row["convicted_on"] = c.convicted_on.isoformat()
    if "years_before" in want:
        row["years_before"] = completed_years(c.convicted_on, as_of)
    if "within_5y" in want or "within_5y_excluding_custody" in want:
        ann5 = anniversary(c.convicted_on, 5)
        row["within_5y"] = as_of <= ann5
        row["within_5y_excluding_custody"] = as_of <= ann5 + timedelta(days=c.custody_days_since)
    if "within_5y_of_arrest_excluding_custody" in want:
        anchor = as_of if arrested_on is None else min(arrested_on, as_of)
        row["within_5y_of_arrest_excluding_custody"] = (
            anchor <= anniversary(c.convicted_on, 5) + timedelta(days=c.custody_days_since)
        )
    if "within_15y" in want:
        row["within_15y"] = as_of <= anniversary(c.convicted_on, 15)
    return row


_ALL_CONVICTION_FIELDS = frozenset(CONVICTION_FIELDS)


def charge_fields(c: Charge) -> dict[str, Any]:
    return {
        "statute": c.statute,
        "level": c.level,
        "wobbler": c.wobbler,
        "disposition": c.disposition,
        "probable_cause_found": c.probable_cause_found,
    }


class _Inferred(NamedTuple):
    """Categories one record gets under one policy's tables, and which entries gave them."""

    categories: tuple[str, ...]
    uncertain_only: frozenset[str]  # categories that came only from uncertain entries
    entries: tuple[TableEntry, ...]  # entries that added something beyond the explicit categories


def infer(statute: str, explicit: Sequence[str], tables: Sequence[OffenceTable], on: date, state: str = "") -> _Inferred:
    """A record's categories: its explicit ones plus every table's (a table skips another state's records)."""
    if not tables:
        return _Inferred(tuple(sorted(set(explicit))), frozenset(), ())
    cats = set(explicit)
    certain = set(explicit)
    used: list[TableEntry] = []
    for table in tables:
        if state and state != table.state:
            continue  # another state's conviction: its statute numbers mean something else
        for entry in table.lookup(statute, on):
            if any(c not in explicit for c in entry.categories):
                used.append(entry)
            cats.update(entry.categories)
            if not entry.uncertain:
                certain.update(entry.categories)
    return _Inferred(tuple(sorted(cats)), frozenset(cats - certain), tuple(used))


# ---------------------------------------------------------------------------------- CEL input layout

SCALAR_VARS = ("request", "booking", "registrant", "federal", "person")


def _leaf_paths(schema: Any, need: celcheck.Need | None) -> list[tuple[str, ...]]:
    """The leaves below a schema node that `need` reads (all of them when it reads the node whole)."""
    out: list[tuple[str, ...]] = []
    if need is None or need.whole:
        for name, child in schema.items():
            if isinstance(child, dict):
                out.extend((name, *p) for p in _leaf_paths(child, None))
            else:
                out.append((name,))
        return out
    for name, sub in need.fields.items():
        child = schema[name]
        if isinstance(child, dict):
            out.extend((name, *p) for p in _leaf_paths(child, sub))
        else:
            out.append((name,))
    return out


def _nest(paths: Sequence[tuple[str, ...]]) -> list[tuple[str, Any]]:
    """Leaf paths -> [(key, None | nested)] in order, to rebuild dicts from a flat tuple of values."""
    spec: list[tuple[str, Any]] = []
    index: dict[str, int] = {}
    for path in paths:
        head, rest = path[0], path[1:]
        if not rest:
            spec.append((head, None))
            continue
        if head not in index:
            index[head] = len(spec)
            spec.append((head, []))
        spec[index[head]][1].append(rest)
    return [(k, _nest(v) if v is not None else None) for k, v in spec]


def _build(spec: list[tuple[str, Any]], values: Any) -> dict[str, Any]:
    return {k: next(values) if sub is None else _build(sub, values) for k, sub in spec}


def _tuple_getter(getter: Callable[[Any], Any], n: int) -> Callable[[Any], tuple[Any, ...]]:
    """attrgetter/itemgetter return a bare value for one name; make them always return a tuple."""
    if n == 0:
        return lambda _obj: ()
    if n == 1:
        return lambda obj: (getter(obj),)
    return getter  # type: ignore[return-value]


# `x.convicted_on < '2011-10-01'` (any comparison, either side): the only use of a conviction date that lets the
# memo key hold the date's place among the literals instead of the date itself
_DATE = r"""(['"])(\d{4}-\d{2}-\d{2})\1"""
_OP = r"\s*(?:<=|>=|<|>|==|!=)\s*"
_DATE_CMP = re.compile(
    rf"\b[A-Za-z_][A-Za-z0-9_]*\.convicted_on\b{_OP}{_DATE}|{_DATE.replace('1', '3')}{_OP}[A-Za-z_][A-Za-z0-9_]*\.convicted_on\b"
)


def _date_cuts(sources: Iterable[str]) -> tuple[str, ...] | None:
    """The sorted date literals `convicted_on` is compared with in `sources`, or None when any source uses
    `convicted_on` any other way (or writes a date the pattern does not read): then the memo keeps raw dates.

    Why sound: ISO dates compare as strings the way they compare as dates, and a value compared only with
    literals gives the same answers as any other value with the same position among them (`_cut_getter`)."""
    cuts: set[str] = set()
    for source in sources:
        found = _DATE_CMP.findall(source)
        if len(found) != source.count("convicted_on"):
            return None
        cuts.update(m[1] or m[3] for m in found)
    return tuple(sorted(cuts))


def _cut_getter(getter: Callable[[Any], tuple[Any, ...]], slot: int, cuts: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """`getter` with the value at `slot` (an ISO date) replaced by (literals before it, whether it is one)."""
    exact = frozenset(cuts)
    left = bisect.bisect_left

    def get(row: Any) -> tuple[Any, ...]:
        values = getter(row)
        day = values[slot]
        return (*values[:slot], (left(cuts, day), day in exact), *values[slot + 1:])

    return get


class _Layout:
    """Which facts one policy version's rules read, flattened: the memo key, and the CEL input built from it.

    The key is a tuple of plain values (scalars in path order, then one tuple per conviction and charge with
    their categories), so equal keys are exactly equal CEL inputs.
    """

    def __init__(self, needs: Mapping[str, celcheck.Need], cuts: tuple[str, ...] | None = None) -> None:
        """`cuts`: the date literals the rules compare `convicted_on` with, when that is all they do with it
        (`_date_cuts`); the memo key then holds where a conviction date falls among them, not the date."""
        self.scalars: list[tuple[str, list[tuple[str, Any]], int]] = []
        dotted: list[str] = []
        for var in SCALAR_VARS:
            if var in needs:
                paths = _leaf_paths(celcheck.FACT_SCHEMA[var], needs[var])
                self.scalars.append((var, _nest(paths), len(paths)))
                dotted.extend(".".join((var, *p)) for p in paths)
        self.scalar_key = _tuple_getter(attrgetter(*dotted) if dotted else (lambda _f: ()), len(dotted))
        self.records: dict[str, tuple[tuple[str, ...], bool, Callable[[Any], tuple[Any, ...]]]] = {}
        for var in ("convictions", "charges"):
            if var not in needs:
                continue
            element_schema = celcheck.FACT_SCHEMA[var].element
            need = needs[var]
            if need.whole:
                fields = tuple(element_schema)
            elif need.element is None:
                fields = ()
            else:
                fields = tuple(f for f, _ in _nest(_leaf_paths(element_schema, need.element)))
            plain = tuple(f for f in fields if f != "categories")
            getter = _tuple_getter(itemgetter(*plain) if plain else (lambda _r: ()), len(plain))
            self.records[var] = (plain, "categories" in fields, getter)
        # the memo key's getters: the same, except a conviction date the rules only compare with literals
        self.memo_records = dict(self.records)
        # only where the rules name their fields (a rule reading whole records, e.g. comparing them or looping
        # over their keys, could depend on a date without writing `convicted_on`)
        conv_need = needs.get("convictions")
        names_fields = (conv_need is not None and not conv_need.whole and conv_need.element is not None
                        and not conv_need.element.whole)
        if cuts is not None and names_fields and "convicted_on" in self.records["convictions"][0]:
            plain, with_cats, getter = self.records["convictions"]
            self.memo_records["convictions"] = (plain, with_cats, _cut_getter(getter, plain.index("convicted_on"), cuts))
        self.cut = self.memo_records != self.records

    def key(self, req: _Request, conv_inf: Sequence[_Inferred], charge_inf: Sequence[_Inferred], drop: frozenset[str],
            records: Mapping[str, tuple[tuple[str, ...], bool, Callable[[Any], tuple[Any, ...]]]] | None = None) -> tuple[Any, ...]:
        """The values the rules read, flattened (`build` turns it back into the CEL input)."""
        parts: list[Any] = [self.scalar_key(req.facts)]
        for var, (_plain, with_cats, getter) in (records or self.records).items():
            rows, infs = (req.conv_rows, conv_inf) if var == "convictions" else (req.charge_rows, charge_inf)
            if with_cats:
                if drop:
                    parts.append(tuple((getter(r), tuple(c for c in i.categories if c not in drop)) for r, i in zip(rows, infs, strict=True)))
                else:
                    parts.append(tuple((getter(r), i.categories) for r, i in zip(rows, infs, strict=True)))
            else:
                parts.append(tuple((getter(r), ()) for r in rows))
        return tuple(parts)

    def memo_key(self, req: _Request, conv_inf: Sequence[_Inferred], charge_inf: Sequence[_Inferred],
                 drop: frozenset[str]) -> tuple[Any, ...]:
        """`key`, but with each conviction date replaced by where it falls among the cuts: equal memo keys
        give equal results (the rules compare the date only with those literals). Never passed to `build`."""
        return self.key(req, conv_inf, charge_inf, drop, self.memo_records if self.cut else None)

    def build(self, key: tuple[Any, ...]) -> dict[str, Any]:
        """The CEL input (without settings) that `key` stands for."""
        out: dict[str, Any] = {}
        values = iter(key[0])
        for var, spec, _n in self.scalars:
            out[var] = _build(spec, values)
        for i, (var, (plain, with_cats, _getter)) in enumerate(self.records.items(), start=1):
            recs = []
            for vals, cats in key[i]:
                rec = dict(zip(plain, vals, strict=True))
                if with_cats:
                    rec["categories"] = list(cats)
                recs.append(rec)
            out[var] = recs
        return out


# ---------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class _CompiledRule:
    """A rule ready to run, with the two reasons it can give precomputed (they never change)."""

    rule: Any  # documents.Rule
    program: Any
    constant: bool | None  # the result, when the rule reads no fact at all
    holds: Reason
    fails: Reason
    tree: Any  # the `when` split into parts (_Op/_Not/_Records/_Leaf) evaluated and remembered apart


@dataclass(frozen=True)
class _CompiledVersion:
    version: Version
    label: str  # "id@effective_from", as listed in Decision.policies
    layout: _Layout
    rules: tuple[_CompiledRule, ...]
    settings_input: Any
    review_uncertain: bool
    start: tuple[tuple[str, Any], ...]  # defaults, then the outcome fields its settings set


@dataclass(frozen=True)
class _Leaf:
    """A part of a `when` run in CEL on only the facts it reads (or answered at load when it reads none)."""

    program: Any
    layout: _Layout
    constant: Any  # True / False / _Failed when the part reads no fact; None otherwise


@dataclass(frozen=True)
class _Records:
    """`records.exists(binder, body)` whose body reads only the record: body run per distinct record."""

    var: str
    binder: str
    body: Any
    layout: _Layout


@dataclass(frozen=True)
class _Op:
    op: str  # "and" | "or"
    children: tuple[Any, ...]


@dataclass(frozen=True)
class _Not:
    child: Any


def _compile_tree(tree: Any, settings: Mapping[str, Any], settings_input: Any) -> Any:
    """bool_tree() output -> nodes; raises ValueError when a part cannot stand alone (then the rule runs whole)."""
    kind = tree[0]
    if kind in ("and", "or"):
        return _Op(kind, tuple(_compile_tree(t, settings, settings_input) for t in tree[1]))
    if kind == "not":
        return _Not(_compile_tree(tree[1], settings, settings_input))
    source = tree[1]
    try:
        program = cel.compile(source)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(source) from exc
    analysis = celcheck.analyse(source, settings)
    if analysis.problems:
        raise ValueError(source)
    fact_vars = {v for v in program.variables() if v in celcheck.VARIABLES and v != "settings"}
    needs = {v: celcheck.Need(whole=True) for v in fact_vars} if analysis.opaque else {
        k: n for k, n in analysis.needs.items() if k != "settings"
    }
    split = celcheck.split_exists(source)
    if split is not None and not analysis.opaque:
        var, binder, body = split
        if binder not in celcheck.VARIABLES and var in needs and not needs[var].whole:
            try:
                body_program = cel.compile(body)
            except Exception:  # noqa: BLE001
                body_program = None
            if body_program is not None and set(body_program.variables()) <= {binder, "settings"} | analysis.binders:
                return _Records(var, binder, body_program, _Layout({var: needs[var]}, _date_cuts([body])))
    constant = None
    if not fact_vars:
        constant = _execute(program, {"settings": settings_input} if settings_input is not None else {})
    return _Leaf(program, _Layout(needs, _date_cuts([source])), constant)


def _review_only_for_authority(compiled: _CompiledVersion, reasons: Sequence[Reason]) -> bool:
    """Whether every reason of this version that asks for review is a state's "arrest authority unsettled"
    rule (so a 287(g) agreement in force answers it)."""
    review_rules = {cr.rule.id for cr in compiled.rules if cr.rule.uncertain or cr.rule.then.get("review")}
    asking = [r for r in reasons if (r.holds and (r.uncertain or r.rule in review_rules))
              or (not r.holds and r.detail.startswith("Could not be evaluated"))]
    return bool(asking) and all(r.rule.endswith(AUTHORITY_RULE_SUFFIX) for r in asking)


class _Plan(NamedTuple):
    steps: tuple[tuple[PolicyDocument, _CompiledVersion | None, Regime | None], ...]
    consulted: tuple[str, ...]
    state_in_force: bool
    agreements: list[tuple[PolicyDocument, Any]] | None


class Registry:
    """Loaded policies and offence tables; evaluation. Safe across threads (each keeps its own CEL contexts)."""

    def __init__(
        self,
        policies: Mapping[str, PolicyDocument],
        tables: Mapping[str, OffenceTable],
        memo_size: int = 65_536,
        decompose: bool = True,
    ) -> None:
        """memo_size: how many distinct CEL inputs to remember the rule results of (0: none).
        decompose: run `records.exists(c, body)` rules one distinct record at a time, and every other rule on
        only the facts it reads, each remembered (False: every rule on the whole input, as written).

        Why a memo is sound: CEL is pure and a version's rules see only the projected input (derived
        booleans such as within_5y, categories, levels - never raw dates unless a rule reads them), so equal
        inputs give equal results; and real requests repeat those inputs endlessly (the same request
        re-decided after an unrelated fact changed; people with similar records). Bounded: when full, the older
        half is forgotten.
        """
        self.memo_size = memo_size
        self.decompose = decompose
        self._memo: dict[Any, tuple[dict[str, Any], tuple[Reason, ...]]] = {}
        self._rule_memo: dict[Any, Any] = {}
        self.policies: dict[str, PolicyDocument] = dict(policies)
        self.tables: dict[str, OffenceTable] = dict(tables)
        self._tables_of: dict[str, tuple[OffenceTable, ...]] = {
            pid: tuple(self.tables[t] for t in doc.offence_tables if t in self.tables)
            for pid, doc in self.policies.items()
        }
        self._compiled: dict[int, _CompiledVersion] = {}
        self._local = threading.local()
        self._infer_memo: dict[Any, _Inferred] = {}
        # per chain: the days its plan can change and the plan of each period between them (_periods, _plan)
        self._plans: dict[tuple[str, ...], tuple[list[date], list[_Plan | None]]] = {}
        # per policy: (effective_from, effective_to or date.max, compiled) for a quick version lookup
        self._timeline: dict[str, tuple[tuple[date, date, _CompiledVersion], ...]] = {}
        for doc in self.policies.values():
            for v in doc.versions:
                self._compiled[id(v)] = self._compile(doc, v)
            self._timeline[doc.id] = tuple(
                (v.effective_from, v.effective_to or date.max, self._compiled[id(v)]) for v in doc.versions
            )
        # dates on which some offence-table entry starts or stops: between two of them, lookups do not change
        self._table_bounds = sorted({d for t in self.tables.values() for e in t.entries
                                     for d in (e.effective_from, e.effective_to) if d is not None})
        self._conviction_fields = frozenset(
            f for c in self._compiled.values() if "convictions" in c.layout.records
            for f in c.layout.records["convictions"][0]
        )

    @staticmethod
    def _compile(doc: PolicyDocument, v: Version) -> _CompiledVersion:
        need = v.needs.get("settings")
        settings_input = celcheck.project(dict(v.settings), need) if need is not None else None
        compiled = []
        for rule in v.rules:
            constant = None
            if not (set(rule.variables) - {"settings"}):
                try:
                    constant = rule.program.execute({"settings": settings_input} if settings_input is not None else {}) is True
                except Exception:  # noqa: BLE001 - left to evaluation, which reports it for review
                    constant = None
            try:
                tree = _compile_tree(celcheck.bool_tree(rule.when), v.settings, settings_input)
            except ValueError:
                tree = _Leaf(rule.program, _Layout({k: n for k, n in rule.needs.items() if k != "settings"},
                                                   _date_cuts([rule.when])), None)
            because = rule.because or rule.title
            if rule.uncertain and rule.note:
                because = f"{because} (uncertain: {rule.note})"
            compiled.append(_CompiledRule(
                rule=rule,
                program=rule.program,
                constant=constant,
                holds=Reason(doc.id, rule.id, rule.cite, True, because, rule.uncertain, rule.task),
                fails=Reason(doc.id, rule.id, rule.cite, False, rule.otherwise or f"Does not apply: {rule.title}.",
                             rule.uncertain),
                tree=tree,
            ))
        start = dict(v.defaults)
        for name in SPECIFIC_FIELDS:
            if name in v.settings:
                start[name] = v.settings[name]
        return _CompiledVersion(
            version=v,
            label=f"{doc.id}@{v.label}",
            layout=_Layout({k: n for k, n in v.needs.items() if k != "settings"}, _date_cuts(r.when for r in v.rules)),
            rules=tuple(compiled),
            settings_input=settings_input,
            review_uncertain=bool(v.settings.get("review_uncertain", True)),
            start=tuple(start.items()),
        )

    def _context(self, compiled: _CompiledVersion) -> Any:
        """This thread's CEL context for a version, with its settings converted once."""
        contexts = getattr(self._local, "contexts", None)
        if contexts is None:
            contexts = self._local.contexts = {}
        ctx = contexts.get(id(compiled))
        if ctx is None:
            ctx = cel.Context({"settings": compiled.settings_input} if compiled.settings_input is not None else {})
            contexts[id(compiled)] = ctx
        return ctx

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
            tz = at.tzinfo
            if tz is None or (type(tz) not in _PLAIN_ZONES and at.utcoffset() is None):
                raise ValueError("evaluate(): `at` must be timezone-aware (or a plain date)")
            day = at.date()
        else:
            day = at
        periods = self._plans.get(chain_key := tuple(chain))
        if periods is None:
            periods = self._periods(chain_key)
        epoch = bisect.bisect_right(periods[0], day)
        plan = periods[1][epoch]
        if plan is None:
            plan = periods[1][epoch] = self._plan(chain_key, day)
        req = _Request(facts, day, self._conviction_fields)
        composed = dict(BASE_OUTCOME)
        reasons: list[Reason] = []
        has_287g = plan.agreements is not None
        authority_only = True  # every policy that asked for review asked only about state arrest authority
        for doc, compiled, regime in plan.steps:
            if compiled is None:
                reasons.append(Reason(doc.id, "not-in-force", source_of(doc), False,
                                      f"{doc.title}: no version in force on {day.isoformat()}; not applied."))
                continue
            mark = len(reasons)
            decided = self._run(doc, compiled, req, reasons)
            if has_287g and authority_only and decided.get("review"):
                authority_only = _review_only_for_authority(compiled, reasons[mark:])
            compose(composed, decided, doc, regime, reasons)
        if plan.agreements:
            r = facts.request
            proper = (r.kind == "detainer" and bool(r.basis) and r.warrant.type == "administrative"
                      and r.warrant.form in ("I-200", "I-205"))
            apply_287g(composed, reasons, plan.agreements, day, proper, authority_only)
        consulted = plan.consulted
        state_in_force = plan.state_in_force
        if facts.request.withdrawn:
            withdraw(composed, reasons)
        if not state_in_force and (not consulted or not facts.request.withdrawn):
            # a withdrawn request under some law in force still means nothing to do
            no_policy_in_force(composed, reasons, chain, day)
        return Decision(
            request_id=facts.request_id if request_id is None else request_id,
            policies=consulted,
            evaluated_at=at.isoformat(),
            reasons=tuple(reasons),
            **composed,  # exactly the outcome fields of BASE_OUTCOME
        )

    def _periods(self, chain: tuple[str, ...]) -> tuple[list[date], list[_Plan | None]]:
        """The days on which anything a plan holds can change along `chain` (a version's start or end, a 287(g)
        agreement's signing or end), sorted, and one plan slot per period between them (filled when first
        needed). Between two such days every day has the same plan."""
        policies = self.policies
        try:
            docs = [policies[pid] for pid in chain]
        except KeyError as exc:
            raise UnknownPolicy(exc.args[0]) from None
        bounds: set[date] = set()
        for doc in docs:
            for start, end, _compiled in self._timeline[doc.id]:
                bounds.update((start, end))
            for a in doc.agreements_287g:
                for d in (a.signed_on, a.ended_on):
                    if d is not None:
                        bounds.update((d, d + timedelta(days=1)))  # in_force may treat either end inclusively
        bounds.discard(date.max)
        periods: tuple[list[date], list[_Plan | None]] = (sorted(bounds), [None] * (len(bounds) + 1))
        if len(self._plans) >= 10_000:
            _evict(self._plans)
        self._plans[chain] = periods
        return periods

    def _plan(self, chain: tuple[str, ...], day: date) -> _Plan:
        """What evaluating along `chain` on `day` does before any fact is read, worked out once per period
        (`_periods`): each policy's version in force (None: skipped), the state regime each one answers to,
        the labels consulted, whether a state-level version is in force, and the 287(g) agreements that may
        be in force (None when no policy of the chain records any)."""
        docs = [self.policies[pid] for pid in chain]
        steps: list[tuple[PolicyDocument, _CompiledVersion | None, Regime | None]] = []
        consulted: list[str] = []
        regime: Regime | None = None  # the nearest state prohibition or mandate above, with its stance that day
        state_in_force = False  # no state-level version in force: no policy, no permission
        for doc in docs:
            compiled = None
            for start, end, candidate in self._timeline[doc.id]:
                if start <= day < end:
                    compiled = candidate
                    break
            if compiled is None:
                steps.append((doc, None, regime))
                continue
            steps.append((doc, compiled, regime))
            consulted.append(compiled.label)
            if doc.level == "state":
                state_in_force = True
            regime = regime_after(doc, regime, compiled.version.stance)
        agreements = agreements_in_force(docs, day) if any(doc.agreements_287g for doc in docs) else None
        return _Plan(tuple(steps), tuple(consulted), state_in_force, agreements)

    def cel_inputs(self, facts: Facts, at: date | datetime, chain: Sequence[str]) -> list[tuple[Version, dict[str, Any]]]:
        """The exact CEL input (settings included) of every policy version the chain consults."""
        day = at.date() if isinstance(at, datetime) else at
        req = _Request(facts, day, self._conviction_fields)
        out = []
        for pid in chain:
            doc = self.document(pid)
            version = doc.version_at(day)
            if version is None:
                continue
            compiled = self._compiled[id(version)]
            conv_inf, charge_inf = self._infer(doc, req)
            inp = compiled.layout.build(compiled.layout.key(req, conv_inf, charge_inf, frozenset()))
            if compiled.settings_input is not None:
                inp["settings"] = compiled.settings_input
            out.append((version, inp))
        return out

    def clear_memo(self) -> None:
        self._memo.clear()
        self._rule_memo.clear()

    # ---- one policy

    def _infer(self, doc: PolicyDocument, req: _Request) -> tuple[Sequence[_Inferred], Sequence[_Inferred]]:
        tables = self._tables_of[doc.id]
        if not tables:
            return req.conv_explicit, req.charge_explicit
        day = req.day
        epoch = bisect.bisect_right(self._table_bounds, day)  # same epoch, same table answers
        memo = self._infer_memo
        if len(memo) > 200_000:
            _evict(memo)
        conv_inf: list[_Inferred] = []
        for c in req.convictions:
            key = (doc.id, c.statute, c.categories, c.state, epoch)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = infer(c.statute, c.categories, tables, day, c.state)
            conv_inf.append(hit)
        charge_inf: list[_Inferred] = []
        for ch in req.facts.charges:
            key = (doc.id, ch.statute, ch.categories, "", epoch)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = infer(ch.statute, ch.categories, tables, day)
            charge_inf.append(hit)
        return conv_inf, charge_inf

    def _run(self, doc: PolicyDocument, compiled: _CompiledVersion, req: _Request, reasons: list[Reason]) -> dict[str, Any]:
        """One policy's outcome (the fields it decides); its reasons are appended to `reasons`."""
        conv_inf, charge_inf = self._infer(doc, req)
        uncertain: frozenset[str] = frozenset()
        if self._tables_of[doc.id]:
            for i, inf in enumerate(conv_inf):
                if inf.entries or inf.uncertain_only:
                    c = req.convictions[i]
                    uncertain = uncertain | inf.uncertain_only
                    label = f"Conviction {c.statute} of {c.convicted_on.isoformat()}"
                    reasons.extend(Reason(doc.id, rule, cite, True, label + tail, flag)
                                   for rule, cite, tail, flag in map(_entry_reason, inf.entries))
            for i, inf in enumerate(charge_inf):
                if inf.entries or inf.uncertain_only:
                    uncertain = uncertain | inf.uncertain_only
                    label = f"Charge {req.facts.charges[i].statute}"
                    reasons.extend(Reason(doc.id, rule, cite, True, label + tail, flag)
                                   for rule, cite, tail, flag in map(_entry_reason, inf.entries))
        decided, rule_reasons = self._rules(compiled, req, conv_inf, charge_inf, frozenset())
        reasons.extend(rule_reasons)
        if uncertain:
            alt, _ = self._rules(compiled, req, conv_inf, charge_inf, uncertain)
            if {k: v for k, v in alt.items() if k != "review"} != {k: v for k, v in decided.items() if k != "review"}:
                decided = {**decided, "review": True}  # a copy: the memo keeps the original
                cites = sorted({e.cite for i in (*conv_inf, *charge_inf) for e in i.entries if e.uncertain})
                reasons.append(Reason(
                    doc.id, "uncertain-offence-table", "; ".join(cites), True,
                    f"The outcome depends on offence categories ({', '.join(sorted(uncertain))}) that only an "
                    "uncertain offence-table entry gives: a person must check the statute.",
                    True,
                ))
        return decided

    def _rules(
        self,
        compiled: _CompiledVersion,
        req: _Request,
        conv_inf: Sequence[_Inferred],
        charge_inf: Sequence[_Inferred],
        drop: frozenset[str],
    ) -> tuple[dict[str, Any], tuple[Reason, ...]]:
        """Defaults, then every rule in order; a later holding rule overrides an earlier one field by field.

        Remembered per version on the version's flattened input (`_Layout.key`). On a miss, with `decompose`
        each rule runs as parts, each on only the facts it reads and remembered too (`_node`); without, the
        thread's context for the version gets the whole input and every rule runs as written.
        """
        key = None
        if self.memo_size:
            key = (id(compiled), compiled.layout.memo_key(req, conv_inf, charge_inf, drop))
            hit = self._memo.get(key)
            if hit is not None:
                return hit  # callers never change it (see _run)
            if len(self._rule_memo) >= self.memo_size:
                _evict(self._rule_memo)
        decided = dict(compiled.start)
        context = None
        reasons = []
        for cr in compiled.rules:
            if cr.constant is not None:
                holds: Any = cr.constant
            elif self.decompose:
                holds = self._node(compiled, cr.tree, req, conv_inf, charge_inf, drop)
            else:
                if context is None:
                    context = self._context(compiled)
                    context.update(compiled.layout.build(compiled.layout.key(req, conv_inf, charge_inf, drop)))
                holds = _execute(cr.program, context)
            if isinstance(holds, _Failed):  # a runtime error must not decide anything: a person looks at it
                decided["review"] = True
                reasons.append(Reason(cr.holds.policy, cr.rule.id, cr.rule.cite, False,
                                      f"Could not be evaluated ({holds.message}); a person must decide.",
                                      cr.rule.uncertain))
                continue
            if holds is True:
                decided.update(cr.rule.then)
                if cr.rule.uncertain and compiled.review_uncertain:
                    decided["review"] = True
                reasons.append(cr.holds)
            else:
                reasons.append(cr.fails)
        result = tuple(reasons)
        if key is not None:
            if len(self._memo) >= self.memo_size:
                _evict(self._memo)
            self._memo[key] = (decided, result)
        return decided, result

    def _node(
        self,
        compiled: _CompiledVersion,
        node: Any,
        req: _Request,
        conv_inf: Sequence[_Inferred],
        charge_inf: Sequence[_Inferred],
        drop: frozenset[str],
    ) -> Any:
        """CEL semantics: `&&` is false if any part is false, else an error if any part errs, else true;
        `||` the mirror image; `exists` is true if any record's body is true, else an error if any errs."""
        kind = type(node)
        if kind is _Op:
            decisive = node.op == "or"  # the value that settles the operator whatever the others give
            failed = None
            for child in node.children:
                value = self._node(compiled, child, req, conv_inf, charge_inf, drop)
                if value is decisive:
                    return decisive
                if isinstance(value, _Failed):
                    failed = value
            return failed or (not decisive)
        if kind is _Not:
            value = self._node(compiled, node.child, req, conv_inf, charge_inf, drop)
            return value if isinstance(value, _Failed) else (not value)
        memo = self._rule_memo
        if kind is _Records:
            plain, with_cats, getter = node.layout.records[node.var]
            memo_getter = node.layout.memo_records[node.var][2]
            rows, infs = (req.conv_rows, conv_inf) if node.var == "convictions" else (req.charge_rows, charge_inf)
            failed = None
            for row, inf in zip(rows, infs, strict=True):
                cats = (tuple(c for c in inf.categories if c not in drop) if drop else inf.categories) if with_cats else ()
                rkey = (id(node), memo_getter(row), cats)
                value = memo.get(rkey)
                if value is None:
                    record = dict(zip(plain, getter(row), strict=True))
                    if with_cats:
                        record["categories"] = list(cats)
                    context = self._context(compiled)
                    context.update({node.binder: record})
                    value = _execute(node.body, context)
                    if self.memo_size:
                        memo[rkey] = value
                if value is True:
                    return True
                if isinstance(value, _Failed):
                    failed = value
            return failed or False
        if node.constant is not None:
            return node.constant
        layout = node.layout
        key = (id(node), layout.memo_key(req, conv_inf, charge_inf, drop))
        value = memo.get(key)
        if value is None:
            context = self._context(compiled)
            context.update(layout.build(layout.key(req, conv_inf, charge_inf, drop) if layout.cut else key[1]))
            value = _execute(node.program, context)
            if self.memo_size:
                memo[key] = value
        return value


@dataclass(frozen=True, slots=True)
class _Failed:
    """A CEL runtime error (kept in the memo like a result, so it is reported the same way every time)."""

    message: str


def _execute(program: Any, context: Any) -> Any:
    try:
        value = program.execute(context)
    except Exception as exc:  # noqa: BLE001 - any CEL runtime error
        return _Failed(" ".join(str(exc).split()))
    if not isinstance(value, bool):
        return _Failed(f"gave {value!r}, not true or false")
    return value


class _Request:
    """Per-evaluation view of the facts, computed once (and only as far as a policy asks) for the chain."""

    __slots__ = ("facts", "day", "fields", "convictions", "_conv_rows", "_charge_rows", "_conv_explicit",
                 "_charge_explicit")

    def __init__(self, facts: Facts, day: date, fields: frozenset[str] | None = None) -> None:
        self.facts = facts
        self.day = day
        self.fields = fields
        convictions = facts.convictions
        if convictions and any(c.convicted_on > day for c in convictions):
            convictions = tuple(c for c in convictions if c.convicted_on <= day)  # not yet convicted then
        self.convictions = convictions
        self._conv_rows: list[dict[str, Any]] | None = None
        self._charge_rows: list[dict[str, Any]] | None = None
        self._conv_explicit: list[_Inferred] | None = None
        self._charge_explicit: list[_Inferred] | None = None

    @property
    def conv_rows(self) -> list[dict[str, Any]]:
        if self._conv_rows is None:
            arrested_on = self.facts.booking.arrested_on
            self._conv_rows = [conviction_fields(c, self.day, self.fields, arrested_on) for c in self.convictions]
        return self._conv_rows

    @property
    def charge_rows(self) -> list[dict[str, Any]]:
        if self._charge_rows is None:
            self._charge_rows = [charge_fields(c) for c in self.facts.charges]
        return self._charge_rows

    @property
    def conv_explicit(self) -> list[_Inferred]:
        if self._conv_explicit is None:
            self._conv_explicit = [_explicit(c.categories) for c in self.convictions]
        return self._conv_explicit

    @property
    def charge_explicit(self) -> list[_Inferred]:
        if self._charge_explicit is None:
            self._charge_explicit = [_explicit(c.categories) for c in self.facts.charges]
        return self._charge_explicit


_EXPLICIT: dict[tuple[str, ...], _Inferred] = {}


def _explicit(categories: tuple[str, ...]) -> _Inferred:
    hit = _EXPLICIT.get(categories)
    if hit is None:
        if len(_EXPLICIT) > 10_000:
            _EXPLICIT.clear()
        hit = _EXPLICIT[categories] = _Inferred(tuple(sorted(set(categories))), frozenset(), ())
    return hit


_ENTRY_REASONS: dict[int, tuple[TableEntry, tuple[str, str, str, bool]]] = {}


def _entry_reason(entry: TableEntry) -> tuple[str, str, str, bool]:
    """(rule, cite, detail after the record's label, uncertain) of an offence-table inference."""
    hit = _ENTRY_REASONS.get(id(entry))
    if hit is not None and hit[0] is entry:
        return hit[1]
    tail = f" counts as {', '.join(entry.categories)}" + (f" (uncertain: {entry.note})" if entry.uncertain else "") + "."
    value = (f"offence-table:{entry.statute}", entry.cite, tail, entry.uncertain)
    _ENTRY_REASONS[id(entry)] = (entry, value)  # keeps the entry alive, so its id is never reused
    return value


def _evict(memo: dict[Any, Any]) -> None:
    """Forget the older half (dicts keep insertion order): recent inputs are the likeliest to come again."""
    for key in list(itertools.islice(memo, len(memo) // 2)):
        memo.pop(key, None)  # another thread may be evicting too


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
