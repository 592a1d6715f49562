"""Policy documents and offence tables: YAML in, validated and compiled objects out.

Why every error carries file AND line: the people who fix a policy file are counsel and clerks reading a
report from `handoff policy check`, not a traceback. The loader therefore works on PyYAML's node tree
(`yaml.compose`), which keeps each node's position, and collects every problem it finds before failing.

Why compile at load: a rule's CEL `when` is compiled once into a `cel.Program` and reused for every
request; a syntax error, an unknown variable or an unknown field is a load error, never an evaluation error.

Public surface:
- `load_policy(path, tables) -> PolicyDocument`, `load_table(path) -> OffenceTable`
- `PolicyDocument` (.id .title .level .jurisdictions .stance .offence_tables .versions .version_at(d)
  .stance_at(d) .sources .agreements_287g), `Version` (.stance .source_ids), `Rule`, `Source`, `Agreement287g`
- `PolicyError` (a ValueError whose `.problems` are `Problem(file, line, message)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import cel
import yaml

from handoff.core.vocab import CALENDARS, HOLD_VALUES, OFFENCE_CATEGORIES, TRANSFER_VALUES
from handoff.policy import celcheck, duties
from handoff.policy.offences import OffenceTable, TableEntry, entry_key

LEVELS = ("federal", "state", "county", "city")
# What a version of a state or local law does to cooperation on civil immigration detainers (README "Policy
# format"). prohibition: holds on civil detainers are barred (notice usually limited); limit: some cooperation
# restricted, not all; neutral: no statute, directive or controlling case either way; mandate: the law
# requires honouring detainers, 287(g) or cooperation (or forbids local limits on it).
VERSION_STANCES = ("prohibition", "limit", "neutral", "mandate")
# The policy-level `stance` is legacy and optional: when absent it is the stance of the latest version
# ("baseline" for the federal policy). `conditional` is the old word for `limit`.
STANCES = ("baseline", "prohibition", "mandate", "conditional", "limit", "neutral")
SOURCE_KINDS = (
    "statute", "constitution", "attorney_general_directive", "attorney_general_opinion", "executive_order",
    "case_law", "ordinance", "resolution", "sheriff_policy", "agreement_287g", "regulation", "news_report",
    "none_found",
)
MODELS_287G = ("jail_enforcement", "task_force", "warrant_service_officer")
# Levels whose documents must name their sources (and give every version a stance and its source ids).
SOURCED_LEVELS = ("state", "county", "city")
OUTCOME_VALUES: dict[str, tuple[Any, ...]] = {
    "notify": (True, False),
    "hold": HOLD_VALUES,
    "transfer": TRANSFER_VALUES,
    "individual_notice": (True, False),
    "attorney_notice": (True, False),
    "review": (True, False),
}
THEN_EXTRA = ("lead_time_hours", "calendar", "answer_declined")
CATEGORIES = frozenset(OFFENCE_CATEGORIES)
POLICY_KEYS = {
    "id", "title", "level", "jurisdictions", "stance", "offence_tables", "notes", "versions", "composition_cite",
    "sources", "agreements_287g",
}
VERSION_KEYS = {"effective_from", "effective_to", "stance", "sources", "source", "settings", "defaults", "rules", "notes"}
SOURCE_KEYS = {"id", "kind", "cite", "url", "checked_on", "note"}
AGREEMENT_KEYS = {"agency", "model", "signed_on", "ended_on", "source", "uncertain", "note"}
RULE_KEYS = {"id", "title", "cite", "when", "then", "because", "otherwise", "uncertain", "note", "task"}
TABLE_KEYS = {"id", "title", "state", "codes", "source", "notes", "entries"}
ENTRY_KEYS = {"statute", "categories", "cite", "effective_from", "effective_to", "uncertain", "note"}


# ----------------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PolicyError(ValueError):
    """A document that cannot be loaded; str() lists every problem as ``file:line: message``."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# ------------------------------------------------------------------- YAML with positions


class YMap(dict[str, Any]):
    """A mapping that remembers where it and each of its keys were written (1-based lines)."""

    line: int = 0
    key_lines: dict[str, int]


class YList(list[Any]):
    line: int = 0
    item_lines: list[int]


def _value(node: yaml.Node, file: str, problems: list[Problem], constructor: yaml.constructor.SafeConstructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = _value(key_node, file, problems, constructor)
            line = key_node.start_mark.line + 1
            if isinstance(key, YMap | YList):
                problems.append(Problem(file, line, "a mapping key must be a plain value"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                problems.append(Problem(file, line, f"duplicate key '{key}' (first on line {out.key_lines[key]})"))
                continue
            out[key] = _value(value_node, file, problems, constructor)
            out.key_lines[key] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList()
        seq.line = node.start_mark.line + 1
        seq.item_lines = []
        for item in node.value:
            seq.append(_value(item, file, problems, constructor))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    return constructor.construct_object(node, deep=True)


def _item_line(seq: Any, index: int) -> int:
    lines = getattr(seq, "item_lines", None)
    return lines[index] if lines and index < len(lines) else getattr(seq, "line", 0)


# libyaml's composer when PyYAML was built with it: about 10x faster than the pure-Python one, same nodes and
# marks (lines). Loading the library of 80+ policies is dominated by composing YAML (bench/library_load.py).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: str | Path) -> tuple[Any, list[Problem]]:
    """Parse one YAML file keeping line numbers; syntax errors come back as problems."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(file, 0, f"cannot read: {exc}")]
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        return None, [Problem(file, line, f"YAML syntax: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 0, f"YAML syntax: {exc}")]
    if node is None:
        return None, [Problem(file, 1, "the file is empty")]
    problems: list[Problem] = []
    try:
        value = _value(node, file, problems, yaml.constructor.SafeConstructor())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        return None, [Problem(file, mark.line + 1 if mark else 0, f"YAML value: {exc.problem}")]
    return value, problems


# ------------------------------------------------------------------------------ documents


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    cite: str
    when: str
    then: Mapping[str, Any]
    because: str
    otherwise: str
    uncertain: bool
    note: str | None
    line: int
    program: Any = field(repr=False, compare=False)  # cel.Program
    #: a duty the law puts on the jail whenever the rule holds (e.g. Fla. Stat. 908.105(1)(a)-(b): tell the
    #: bail judge, record the detainer): shown as a task on the jail dashboard and in the decision's reason
    task: str = ""
    variables: frozenset[str] = frozenset()
    needs: Mapping[str, celcheck.Need] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the law of a policy comes from, and when someone last checked that it says what we encode."""

    id: str
    kind: str
    cite: str
    url: str | None
    checked_on: date
    note: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Agreement287g:
    """A 287(g) agreement of one agency. In force on D when signed_on <= D < ended_on (open end: None);
    an unknown signing date (None) is only allowed with uncertain: true and a note."""

    agency: str
    model: str | None  # None: the model is not verified (only with uncertain: true and a note)
    signed_on: date | None
    ended_on: date | None
    source: str
    uncertain: bool
    note: str | None
    line: int

    def in_force(self, on: date) -> bool | None:
        """True/False, or None when the signing date is unknown (a person must look)."""
        if self.signed_on is None:
            return None if self.ended_on is None or on < self.ended_on else False
        return self.signed_on <= on and (self.ended_on is None or on < self.ended_on)


@dataclass(frozen=True)
class Version:
    effective_from: date
    effective_to: date | None
    source: str
    settings: Mapping[str, Any]
    defaults: Mapping[str, Any]
    rules: tuple[Rule, ...]
    notes: str
    line: int
    needs: Mapping[str, celcheck.Need] = field(default_factory=dict, repr=False, compare=False)
    stance: str | None = None  # prohibition | limit | neutral | mandate (None only for the federal baseline)
    source_ids: tuple[str, ...] = ()

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    @property
    def label(self) -> str:
        return self.effective_from.isoformat()


@dataclass(frozen=True)
class PolicyDocument:
    id: str
    title: str
    level: str
    jurisdictions: tuple[str, ...]
    stance: str
    offence_tables: tuple[str, ...]
    notes: str
    versions: tuple[Version, ...]
    composition_cite: str
    path: str
    sources: tuple[Source, ...] = ()
    agreements_287g: tuple[Agreement287g, ...] = ()

    def source(self, source_id: str) -> Source | None:
        for s in self.sources:
            if s.id == source_id:
                return s
        return None

    def stance_at(self, on: date | datetime) -> str | None:
        """The stance of the version in force on `on` (None when no version is, or it names none)."""
        v = self.version_at(on)
        return v.stance if v is not None else None

    def version_at(self, on: date | datetime) -> Version | None:
        """The version in force on `on` (a datetime counts by its own calendar date), or None."""
        day = on.date() if isinstance(on, datetime) else on
        for v in self.versions:
            if v.in_force(day):
                return v
        return None


# ------------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def keys(self, m: YMap, allowed: set[str], required: Iterable[str], what: str) -> None:
        for key in m:
            if key not in allowed:
                self.add(m.key_lines.get(key, m.line), f"unknown key '{key}' in {what}; allowed: {', '.join(sorted(allowed))}")
        for key in required:
            if key not in m or m[key] is None:
                self.add(m.line, f"{what} has no '{key}'")

    def line_of(self, m: YMap, key: str) -> int:
        return m.key_lines.get(key, m.line)

    def text(self, m: YMap, key: str, what: str, required: bool = False) -> str:
        value = m.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(self.line_of(m, key), f"'{key}' of {what} must be a non-empty string")
            return ""
        return value

    def day(self, m: YMap, key: str, what: str) -> date | None:
        value = m.get(key)
        if value is None:
            return None
        day = duties.as_day(value)
        if day is not None:
            return day
        self.add(self.line_of(m, key), f"'{key}' of {what} must be a date YYYY-MM-DD, not {value!r}")
        return None

    def mappings(self, parent: YMap, key: str, what: str, each: str) -> Iterator[tuple[int, YMap]]:
        """The items of the list `parent[key]` that are mappings, numbered from 0; anything else is a
        problem on its own line (rules of a version, entries of a table)."""
        items = parent.get(key) or []
        if not isinstance(items, list):
            self.add(self.line_of(parent, key), f"'{key}' of {what} must be a list")
            return
        for index, item in enumerate(items):
            if isinstance(item, YMap):
                yield index, item
            else:
                self.add(_item_line(items, index), f"{each} {index + 1} of {what} must be a mapping")

    def uncertainty(self, m: YMap, what: str) -> tuple[bool, str | None]:
        """`uncertain: true` must come with a `note` saying why: counsel reads it."""
        uncertain = self.flag(m, "uncertain", what)
        note = self.text(m, "note", what) or None
        if uncertain and not note:
            self.add(self.line_of(m, "uncertain"), f"{what} is uncertain: true but has no 'note' explaining why")
        return uncertain, note

    def flag(self, m: YMap, key: str, what: str) -> bool:
        value = m.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(self.line_of(m, key), f"'{key}' of {what} must be true or false")
            return False
        return value

    def outcome(self, m: Any, line: int, what: str, extra: Iterable[str] = ()) -> dict[str, Any]:
        if not isinstance(m, YMap):
            self.add(line, f"{what} must be a mapping of outcome fields")
            return {}
        allowed = {*OUTCOME_VALUES, *extra}
        out: dict[str, Any] = {}
        for key, value in m.items():
            kl = m.key_lines.get(key, m.line)
            if key not in allowed:
                self.add(kl, f"unknown outcome field '{key}' in {what}; allowed: {', '.join(sorted(allowed))}")
            elif key in OUTCOME_VALUES and (
                value not in OUTCOME_VALUES[key] or (isinstance(value, bool) != isinstance(OUTCOME_VALUES[key][0], bool))
            ):
                shown = ", ".join(str(v).lower() for v in OUTCOME_VALUES[key])
                self.add(kl, f"'{key}: {value}' in {what} is not one of {shown}")
            elif key == "lead_time_hours" and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                self.add(kl, f"'lead_time_hours' in {what} must be a whole number of hours above 0")
            elif key == "calendar" and value not in CALENDARS:
                self.add(kl, f"'calendar: {value}' in {what} is not one of {', '.join(CALENDARS)}")
            elif key == "answer_declined" and not isinstance(value, bool):
                self.add(kl, f"'answer_declined' in {what} must be true or false")
            else:
                out[key] = value
        return out


def _plain(value: Any) -> Any:
    """YMap/YList/date -> plain values a CEL context accepts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_settings(c: _Checker, settings: Any, line: int, what: str) -> dict[str, Any]:
    if settings is None:
        return {}
    if not isinstance(settings, YMap):
        c.add(line, f"'settings' of {what} must be a mapping")
        return {}
    checks = {
        "lead_time_hours": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "calendar": lambda v: v in CALENDARS,
        "answer_declined": lambda v: isinstance(v, bool),
        "review_uncertain": lambda v: isinstance(v, bool),
    }
    hint = {
        "lead_time_hours": "a whole number of hours above 0",
        "calendar": "clock or business",
        "answer_declined": "true or false",
        "review_uncertain": "true or false",
    }
    for key, check in checks.items():
        if key in settings and not check(settings[key]):
            c.add(settings.key_lines.get(key, settings.line), f"setting '{key}' must be {hint[key]}, not {settings[key]!r}")
    for key, problems_of in (("interview_consent", duties.interview_problems),
                             ("collection_limits", duties.limits_problems)):
        if key in settings:
            for problem in problems_of(_plain(settings[key])):
                c.add(settings.key_lines.get(key, settings.line), f"setting '{key}': {problem}")
    return _plain(settings)  # type: ignore[no-any-return]


def _compile_rule(c: _Checker, r: YMap, settings: Mapping[str, Any], what: str) -> tuple[Any, celcheck.Analysis | None]:
    when = r.get("when")
    line = c.line_of(r, "when")
    if not isinstance(when, str) or not when.strip():
        c.add(line, f"'when' of {what} must be a CEL expression (a string)")
        return None, None
    try:
        program = cel.compile(when)
    except Exception as exc:  # the binding raises ValueError with CEL's own message
        msg = " ".join(str(exc).split())
        c.add(line, f"CEL syntax error in {what}: {msg}")
        return None, None
    analysis = celcheck.analyse(when, settings)
    binders = analysis.binders
    for name in program.variables():
        if name not in celcheck.VARIABLES and name not in binders:
            msg = f"unknown variable '{name}' in {what}; a rule may read only {', '.join(sorted(celcheck.VARIABLES))}"
            if msg not in (p.message for p in c.problems):
                c.add(line, msg)
    for problem in analysis.problems:
        if problem.startswith("unknown variable"):
            continue  # reported above from the compiled program, which is the authority on names
        c.add(line, f"{problem} (in {what})")
    return program, analysis


def load_policy(path: str | Path, tables: Mapping[str, OffenceTable] | None = None) -> PolicyDocument:
    """Load, validate and compile one policy file. Raises PolicyError listing every problem with its line.

    `tables`: the offence tables a policy may name (unknown ids are errors); None skips that check.
    """
    data, problems = read_yaml(path)
    file = str(path)
    c = _Checker(file)
    c.problems.extend(problems)
    if data is None:
        raise PolicyError(c.problems)
    if not isinstance(data, YMap):
        c.add(1, "a policy document must be a mapping with id, title, level, jurisdictions, stance, versions")
        raise PolicyError(c.problems)
    c.keys(data, POLICY_KEYS, ("id", "title", "level", "jurisdictions", "versions"), "the policy")
    pid = c.text(data, "id", "the policy", required=True)
    title = c.text(data, "title", "the policy", required=True)
    level = data.get("level")
    if level is not None and level not in LEVELS:
        c.add(c.line_of(data, "level"), f"level '{level}' is not one of {', '.join(LEVELS)}")
    stance = data.get("stance")
    if stance is not None and stance not in STANCES:
        c.add(c.line_of(data, "stance"), f"stance '{stance}' is not one of {', '.join(STANCES)}")
    sourced = level in SOURCED_LEVELS
    source_ids: set[str] = set()  # every id written, valid entry or not: one mistake, one report
    sources = _load_sources(c, data, sourced, source_ids)
    agreements = _load_agreements(c, data, source_ids)
    juris = data.get("jurisdictions")
    jurisdictions: tuple[str, ...] = ()
    if juris is not None:
        if not isinstance(juris, list) or not juris or not all(isinstance(j, str) for j in juris):
            c.add(c.line_of(data, "jurisdictions"), "jurisdictions must be a non-empty list of quoted FIPS codes, e.g. [\"06\"]")
        else:
            jurisdictions = tuple(juris)
    table_ids = data.get("offence_tables") or []
    if not isinstance(table_ids, list) or not all(isinstance(t, str) for t in table_ids):
        c.add(c.line_of(data, "offence_tables"), "offence_tables must be a list of table ids")
        table_ids = []
    elif tables is not None:
        for i, tid in enumerate(table_ids):
            if tid not in tables:
                known = ", ".join(sorted(tables)) or "none"
                c.add(_item_line(table_ids, i), f"unknown offence table '{tid}' (known: {known})")
    notes = c.text(data, "notes", "the policy")
    versions: list[Version] = []
    raw_versions = data.get("versions")
    if raw_versions is not None and (not isinstance(raw_versions, list) or not raw_versions):
        c.add(c.line_of(data, "versions"), "versions must be a non-empty list")
        raw_versions = []
    for vi, raw in enumerate(raw_versions or []):
        vline = _item_line(raw_versions, vi)
        if not isinstance(raw, YMap):
            c.add(vline, f"version {vi + 1} must be a mapping")
            continue
        version = _load_version(c, raw, vi, source_ids if sourced or "sources" in data else None, sourced)
        if version is not None:
            versions.append(version)
    ordered = sorted(versions, key=lambda v: v.effective_from)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.effective_to is None or a.effective_to > b.effective_from:
            c.add(
                b.line,
                f"version from {b.effective_from} overlaps the version from {a.effective_from} (line {a.line}), "
                f"which runs to {a.effective_to or 'open end'}",
            )
    composition_cite = c.text(data, "composition_cite", "the policy")
    if c.problems:
        raise PolicyError(c.problems)
    if stance is None:  # derived: the stance of the latest version (the federal baseline has none)
        stance = next((v.stance for v in reversed(ordered) if v.stance), "baseline")
    return PolicyDocument(
        id=pid,
        title=title,
        level=str(level),
        jurisdictions=jurisdictions,
        stance=str(stance),
        offence_tables=tuple(table_ids),
        notes=notes,
        versions=tuple(ordered),
        composition_cite=composition_cite,
        path=file,
        sources=tuple(sources),
        agreements_287g=tuple(agreements),
    )


def _load_sources(c: _Checker, data: YMap, required: bool, ids: set[str]) -> list[Source]:
    """`sources:` - every entry with a unique id, a known kind, a citation and the date it was checked."""
    if "sources" not in data or data.get("sources") is None:
        if required:
            c.add(data.line, f"a {data.get('level')} policy has no 'sources' (statutes, directives, cases or a "
                             "none_found entry naming what was searched, each with checked_on)")
        return []
    raw = data.get("sources")
    if not isinstance(raw, list) or (required and not raw):
        c.add(c.line_of(data, "sources"), "sources must be a non-empty list of {id, kind, cite, checked_on}")
        return []
    out: list[Source] = []
    seen: dict[str, int] = {}
    for si, s in c.mappings(data, "sources", "the policy", "source"):
        sid = s.get("id")
        what = f"source '{sid}'" if isinstance(sid, str) else f"source {si + 1}"
        c.keys(s, SOURCE_KEYS, ("id", "kind", "cite", "checked_on"), what)
        sid = c.text(s, "id", what, required=True)
        if sid:
            ids.add(sid)
            if sid in seen:
                c.add(c.line_of(s, "id"), f"duplicate source id '{sid}' (first on line {seen[sid]})")
            seen.setdefault(sid, c.line_of(s, "id"))
        kind = s.get("kind")
        if kind is not None and kind not in SOURCE_KINDS:
            c.add(c.line_of(s, "kind"), f"{what}: kind '{kind}' is not one of {', '.join(SOURCE_KINDS)}")
        cite = c.text(s, "cite", what, required=True)
        url = c.text(s, "url", what) or None
        checked = c.day(s, "checked_on", what)
        note = c.text(s, "note", what) or None
        if sid and cite and checked is not None and kind in SOURCE_KINDS:
            out.append(Source(sid, str(kind), cite, url, checked, note, s.line))
    return out


def _load_agreements(c: _Checker, data: YMap, source_ids: set[str]) -> list[Agreement287g]:
    """`agreements_287g:` - entries, not versions: several per agency allowed, no contiguity needed."""
    if data.get("agreements_287g") is None:
        return []
    if not isinstance(data.get("agreements_287g"), list):
        c.add(c.line_of(data, "agreements_287g"), "agreements_287g must be a list (or [] when none)")
        return []
    out: list[Agreement287g] = []
    for ai, a in c.mappings(data, "agreements_287g", "the policy", "agreement"):
        what = f"287(g) agreement {ai + 1}"
        c.keys(a, AGREEMENT_KEYS, ("agency", "source"), what)
        if "model" not in a:
            c.add(a.line, f"{what} has no 'model' (one of {', '.join(MODELS_287G)}, or null with uncertain: true and a note)")
        if "uncertain" not in a:
            c.add(a.line, f"{what} has no 'uncertain' (true or false)")
        agency = c.text(a, "agency", what, required=True)
        model = a.get("model")
        if model is not None and model not in MODELS_287G:
            c.add(c.line_of(a, "model"), f"{what}: model '{model}' is not one of {', '.join(MODELS_287G)}")
        signed = c.day(a, "signed_on", what)
        ended = c.day(a, "ended_on", what)
        if model is None and "model" in a and not a.get("uncertain"):
            c.add(c.line_of(a, "model"), f"{what} has no model: allowed only with uncertain: true and a note")
        if signed is not None and ended is not None and ended < signed:
            c.add(c.line_of(a, "ended_on"), f"{what} ends ({ended}) before it was signed ({signed})")
        source = c.text(a, "source", what, required=True)
        if source and source not in source_ids:
            c.add(c.line_of(a, "source"), f"{what} names source '{source}', which is not in this policy's sources")
        uncertain, note = c.uncertainty(a, what)
        if a.get("signed_on") is None and "signed_on" in a and not uncertain:
            c.add(c.line_of(a, "signed_on"), f"{what} has no signing date: allowed only with uncertain: true and a note")
        if "signed_on" not in a:
            c.add(a.line, f"{what} has no 'signed_on' (a date, or null with uncertain: true and a note)")
        if agency and (model is None or model in MODELS_287G) and source:
            out.append(Agreement287g(agency, None if model is None else str(model), signed, ended, source,
                                     uncertain, note, a.line))
    return out


def _load_version(c: _Checker, raw: YMap, vi: int, source_ids: set[str] | None, sourced: bool) -> Version | None:
    """source_ids: the ids a version may cite (None: the policy has no `sources` and need not).
    sourced: the version must carry a stance and cite at least one source (state, county, city)."""
    what = f"version {vi + 1}"
    c.keys(raw, VERSION_KEYS, ("effective_from", "source", *(("stance", "sources") if sourced else ())), what)
    start = c.day(raw, "effective_from", what)
    end = c.day(raw, "effective_to", what)
    if start is not None and end is not None and end <= start:
        c.add(c.line_of(raw, "effective_to"), f"{what} ends ({end}) on or before it starts ({start})")
    source = c.text(raw, "source", what, required=True)
    stance = raw.get("stance")
    if stance is not None and stance not in VERSION_STANCES:
        c.add(c.line_of(raw, "stance"), f"stance '{stance}' of {what} is not one of {', '.join(VERSION_STANCES)}")
        stance = None
    cited: tuple[str, ...] = ()
    if raw.get("sources") is not None:
        ids = raw["sources"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            c.add(c.line_of(raw, "sources"), f"sources of {what} must be a non-empty list of source ids, e.g. [nj-itd]")
        else:
            cited = tuple(ids)
            for i, sid in enumerate(ids):
                if source_ids is None or sid not in source_ids:
                    known = ", ".join(sorted(source_ids or ())) or "none"
                    c.add(_item_line(ids, i), f"{what} cites source '{sid}', which is not defined in 'sources' (defined: {known})")
    settings = _check_settings(c, raw.get("settings"), c.line_of(raw, "settings"), what)
    defaults = c.outcome(raw.get("defaults", YMap()) or YMap(), c.line_of(raw, "defaults"), f"the defaults of {what}")
    rules: list[Rule] = []
    needs: dict[str, celcheck.Need] = {}
    opaque_vars: set[str] = set()
    seen: dict[str, int] = {}
    for ri, r in c.mappings(raw, "rules", what, "rule"):
        rid = r.get("id")
        rwhat = f"rule '{rid}'" if isinstance(rid, str) else f"rule {ri + 1} of {what}"
        c.keys(r, RULE_KEYS, ("id", "cite", "when", "then"), rwhat)
        rid = c.text(r, "id", rwhat, required=True)
        if rid:
            if rid in seen:
                c.add(c.line_of(r, "id"), f"duplicate rule id '{rid}' in {what} (first on line {seen[rid]})")
            seen.setdefault(rid, c.line_of(r, "id"))
        cite = c.text(r, "cite", rwhat, required=True)
        title = c.text(r, "title", rwhat) or rid
        because = c.text(r, "because", rwhat)
        otherwise = c.text(r, "otherwise", rwhat)
        uncertain, note = c.uncertainty(r, rwhat)
        task = c.text(r, "task", rwhat)
        then = c.outcome(r.get("then"), c.line_of(r, "then"), f"'then' of {rwhat}", THEN_EXTRA) if "then" in r else {}
        before = len(c.problems)
        program, analysis = _compile_rule(c, r, settings, rwhat)
        if program is None or analysis is None or len(c.problems) > before:
            continue  # a rule with a static problem is not run on samples: one report per mistake
        for var, need in analysis.needs.items():
            needs[var] = celcheck.merge(needs.get(var), need)
        if analysis.opaque:
            opaque_vars.update(v for v in program.variables() if v in celcheck.VARIABLES)
        probe_problem = _probe(program, settings)
        if probe_problem:
            c.add(c.line_of(r, "when"), f"'when' of {rwhat} {probe_problem}")
        rules.append(
            Rule(
                id=rid,
                title=title,
                cite=cite,
                when=r["when"],
                then=then,
                because=because,
                otherwise=otherwise,
                uncertain=uncertain,
                note=note,
                line=r.line,
                program=program,
                task=task,
                variables=frozenset(v for v in program.variables() if v in celcheck.VARIABLES),
                needs=(
                    {v: celcheck.Need(whole=True) for v in program.variables() if v in celcheck.VARIABLES}
                    if analysis.opaque else dict(analysis.needs)
                ),
            )
        )
    for var in opaque_vars:
        needs[var] = celcheck.Need(whole=True)
    if start is None:
        return None
    return Version(
        effective_from=start,
        effective_to=end,
        source=source,
        settings=settings,
        defaults=defaults,
        rules=tuple(rules),
        notes=c.text(raw, "notes", what),
        line=raw.line,
        needs=needs,
        stance=stance,
        source_ids=cited,
    )


def _probe_contexts(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    charge = {"statute": "X 1", "level": "felony", "wobbler": True, "disposition": "pending",
              "probable_cause_found": True, "categories": ["serious_felony"]}
    conviction = {"statute": "X 1", "level": "felony", "wobbler": True, "convicted_on": "2020-01-01",
                  "state": "CA", "categories": ["serious_felony"], "state_prison": True, "prop47_reduced": False,
                  "years_before": 3, "within_5y": True, "within_15y": True, "custody_days_since": 0,
                  "within_5y_excluding_custody": True, "within_5y_of_arrest_excluding_custody": True,
                  "adjudication": ""}
    full = {
        "request": {"kind": "detainer", "form": "I-247A", "basis": ["biometric_match"],
                    "warrant": {"type": "administrative", "form": "I-200"}, "lead_time_hours": 48,
                    "withdrawn": False, "judicial_probable_cause": True},
        "booking": {"release_type": "scheduled", "released": False, "arrest_date_known": True},
        "charges": [charge],
        "convictions": [conviction],
        "registrant": {"sex_offender": True, "arson": True},
        "federal": {"aggravated_felony_conviction": True, "outstanding_federal_felony_warrant": True,
                    "terrorist_screening_match": True},
        "person": {"lawful_status_proven": True},
        "settings": dict(settings),
    }
    empty = {
        "request": {"kind": "notification", "form": "", "basis": [], "warrant": {"type": "none", "form": ""},
                    "lead_time_hours": 48, "withdrawn": False, "judicial_probable_cause": False},
        "booking": {"release_type": "", "released": False, "arrest_date_known": False},
        "charges": [],
        "convictions": [],
        "registrant": {"sex_offender": False, "arson": False},
        "federal": {"aggravated_felony_conviction": False, "outstanding_federal_felony_warrant": False,
                    "terrorist_screening_match": False},
        "person": {"lawful_status_proven": False},
        "settings": dict(settings),
    }
    return [full, empty]


def _probe(program: Any, settings: Mapping[str, Any]) -> str | None:
    """Run the rule on two made-up requests: it must give true or false, not an error or a number."""
    for ctx in _probe_contexts(settings):
        try:
            result = program.execute(ctx)
        except Exception as exc:
            return f"fails on a sample request: {' '.join(str(exc).split())}"
        if not isinstance(result, bool):
            return f"must give true or false, but gives {result!r}"
    return None


# ------------------------------------------------------------------------------ offence tables


def load_table(path: str | Path) -> OffenceTable:
    """Load and validate one offence table file. Raises PolicyError listing every problem with its line."""
    data, problems = read_yaml(path)
    file = str(path)
    c = _Checker(file)
    c.problems.extend(problems)
    if data is None:
        raise PolicyError(c.problems)
    if not isinstance(data, YMap):
        c.add(1, "an offence table must be a mapping with id, title, state, codes, entries")
        raise PolicyError(c.problems)
    c.keys(data, TABLE_KEYS, ("id", "title", "state", "codes", "entries"), "the offence table")
    tid = c.text(data, "id", "the offence table", required=True)
    title = c.text(data, "title", "the offence table", required=True)
    state = c.text(data, "state", "the offence table", required=True).upper()
    codes_raw = data.get("codes")
    codes: dict[str, list[str]] = {}
    if codes_raw is not None:
        if not isinstance(codes_raw, YMap) or not codes_raw:
            c.add(c.line_of(data, "codes"), "codes must map each canonical code to its aliases, e.g. PC: [\"Penal Code\"]")
        else:
            for code, aliases in codes_raw.items():
                if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                    c.add(codes_raw.key_lines[code], f"aliases of code '{code}' must be a list of strings")
                    continue
                codes[code.upper()] = list(aliases)
    entries: list[TableEntry] = []
    for ei, e in c.mappings(data, "entries", "the table", "entry"):
        statute = e.get("statute")
        what = f"entry '{statute}'" if isinstance(statute, str) else f"entry {ei + 1}"
        c.keys(e, ENTRY_KEYS, ("statute", "categories", "cite", "effective_from"), what)
        statute = c.text(e, "statute", what, required=True)
        cite = c.text(e, "cite", what, required=True)
        start = c.day(e, "effective_from", what)
        end = c.day(e, "effective_to", what)
        if start is not None and end is not None and end <= start:
            c.add(c.line_of(e, "effective_to"), f"{what} ends ({end}) on or before it starts ({start})")
        uncertain, note = c.uncertainty(e, what)
        cats = e.get("categories")
        if not isinstance(cats, list) or not cats or not all(isinstance(x, str) for x in cats):
            c.add(c.line_of(e, "categories"), f"categories of {what} must be a non-empty list")
            cats = []
        for ci, cat in enumerate(cats):
            if cat not in CATEGORIES:
                c.add(_item_line(cats, ci), f"unknown category '{cat}' in {what}; known: {', '.join(sorted(CATEGORIES))}")
        key = entry_key(statute, codes) if statute else None
        if statute and codes and key is None:
            c.add(c.line_of(e, "statute"), f"statute '{statute}' must start with a code of this table ({', '.join(codes)}) and a section number")
        if key is not None and start is not None:
            entries.append(TableEntry(statute=statute, key=key, categories=tuple(cats), cite=cite,
                                      effective_from=start, effective_to=end, uncertain=uncertain, note=note, line=e.line))
    if c.problems:
        raise PolicyError(c.problems)
    return OffenceTable(
        id=tid, title=title, state=state, codes=codes, entries=tuple(entries),
        source=c.text(data, "source", "the offence table"), notes=c.text(data, "notes", "the offence table"),
        path=file,
    )
