"""Column maps for foreign exports (`handoff ingest ... --mapping FILE`).

Why a declarative YAML map and not code per jail: the person who knows a jail's export is usually not a
programmer, and a map can be reviewed line by line against the export's documentation. A map turns one
source row into one of our rows; it never reaches the database.

```yaml
format: csv            # csv | jsonl (default: from the file)
encoding: utf-8        # default: UTF-8, falling back per line to Latin-1 with a warning
delimiter: auto        # "," "|" "\\t" ";" or auto (sniffed from the header line)
gzip: auto             # auto (magic bytes) | true | false
bookings:              # one section per kind; or put the keys at the top level for a one-kind map
  passthrough: true    # source columns named like ours pass through unless renamed (default true)
  columns: {booking_number: BOOKING_ID, booked_at: BOOK_DT}      # ours: source column
  constants: {facility: WA-PIERCE}                               # ours: fixed value
  derive:                                                        # ours: computed from the source row
    first_name: {template: "P-{BOOKING_ID:.12}"}                 #   str.format over source columns
    seq: {hex_int: HASH, digits: 7}                              #   leading hex digits as a number
    n: {sequence_within: [BOOKING_ID]}                           #   1, 2, 3... per group in file order
  values:                                                        # ours: source value -> our value
    sex: {MALE: M, FEMALE: F}                                    #   shorthand: unmapped values pass
    release_reason: {map: {Bail Bond: bail_posted}, default: other, ignore_case: true}
  formats: {booked_at: "%m/%d/%Y %H:%M"}                         # strptime formats -> ISO
  skip_if: {category: [other]}                                   # source column: values -> skip row
  repeated_rows: reject                                          # reject | merge (see below)
  unknown_if_invalid: [date_of_birth]                            # see below
  outcomes:                                                      # flag column -> outcome (bookings)
    release_to_imm: transferred_to_ice                           #   first flag set (1/true/yes) wins
    cancel_detainer: detainer_cancelled
```
`outcomes` (bookings only) records how the request on a booking ended from the export's own flags, as
staff would on the outcome page: each source column is a yes/no flag, and the first one set, in the map's
order, gives the booking's `outcome` (so list the stronger fact first: a detainer cancelled and then a
release to ICE is a transfer). An outcome can also come from a column (`columns: {outcome: DISPO}` with a
`values` map). Every outcome a map names must be one of core.vocab.RECORDABLE_OUTCOMES; a map naming any
other is refused with its file and line before a row is read.
`unknown_if_invalid` lists fields (optional ones, such as date_of_birth) whose value, when the map's format
cannot read it (19650231), is taken as unknown instead of rejecting the row; the import's warnings count them.
Why: jail systems hold impossible birth dates (00/00/0000, a 31 February) for people they did book, and a row
dropped for one loses the booking itself.
`repeated_rows: merge` is for exports with one row per charge that repeat the booking on every row: a
repeat of a key whose mapped values are identical to its first row is counted as `repeated` instead of
being rejected as a duplicate; a repeat with different values is still rejected.
"""

from __future__ import annotations

from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from handoff.core.errors import InvalidInput
from handoff.core.vocab import RECORDABLE_OUTCOMES
from handoff.ingest.contract import Problem

#: what a set flag column holds (anything else, blank included, is "not set")
TRUE_FLAGS = frozenset({"1", "true", "t", "yes", "y"})
KINDS = ("bookings", "charges", "convictions", "requests", "withdrawals")
_SECTION_KEYS = {"passthrough", "columns", "constants", "derive", "values", "formats", "skip_if", "repeated_rows",
                 "unknown_if_invalid", "outcomes"}
_TOP_KEYS = {"format", "encoding", "delimiter", "gzip", "description", *KINDS, *_SECTION_KEYS}


def _scalar(v: Any) -> Any:
    """YAML reads `true`, `1` and `2019-01-01` as typed values; the files we map hold text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime | date):
        return v.isoformat()
    if v is None:
        return ""
    if isinstance(v, int | float):
        return str(v)
    return v


@dataclass(frozen=True)
class ValueMap:
    table: dict[str, Any]
    default: Any = None
    has_default: bool = False
    ignore_case: bool = False

    def apply(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return value
        key = "" if value is None else str(value).strip()
        if self.ignore_case:
            key = key.casefold()
        if key in self.table:
            return self.table[key]
        return self.default if self.has_default else value


@dataclass(frozen=True)
class Derivation:
    kind: str
    arg: Any
    digits: int = 8


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass
class Section:
    passthrough: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    derive: dict[str, Derivation] = field(default_factory=dict)
    values: dict[str, ValueMap] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    skip_if: dict[str, frozenset[str]] = field(default_factory=dict)
    repeated_rows: str = "reject"
    unknown_if_invalid: frozenset[str] = frozenset()
    #: source flag column -> the outcome it records, in the map's order (the first flag set wins)
    outcomes: dict[str, str] = field(default_factory=dict)
    unknowns: dict[str, int] = field(default_factory=dict, repr=False)
    _counters: dict[tuple[str, tuple[Any, ...]], int] = field(default_factory=dict, repr=False)

    def skip(self, source: AbcMapping[str, Any]) -> str | None:
        """The reason a row is skipped by this map, or None."""
        for col, values in self.skip_if.items():
            v = source.get(col)
            if v is not None and str(v).strip() in values:
                return f"{col}={str(v).strip()}"
        return None

    def apply(self, source: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        if self.passthrough:
            consumed = set(self.columns.values())
            out = {k: v for k, v in source.items() if k not in consumed}
        else:
            out = {}
        for ours, theirs in self.columns.items():
            out[ours] = source.get(theirs)
        for ours, value in self.constants.items():
            out[ours] = value
        for ours, d in self.derive.items():
            try:
                out[ours] = self._derive(d, source)
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                problems.append(Problem(ours, "", f"mapping could not derive {ours}: {exc}"))
        for ours, vm in self.values.items():
            if ours in out:
                out[ours] = vm.apply(out[ours])
        for ours, fmt in self.formats.items():
            v = out.get(ours)
            if v is None or isinstance(v, dict | list) or not str(v).strip():
                continue
            try:
                parsed = datetime.strptime(str(v).strip(), fmt)
            except ValueError:
                if ours in self.unknown_if_invalid:
                    out[ours] = ""
                    self.unknowns[ours] = self.unknowns.get(ours, 0) + 1
                    continue
                problems.append(Problem(ours, str(v), f"does not match the mapping's format {fmt!r}"))
                out.pop(ours, None)
                continue
            has_time = any(t in fmt for t in ("%H", "%I", "%M", "%S", "%z"))
            out[ours] = parsed.isoformat() if has_time else parsed.date().isoformat()
        for col, kind in self.outcomes.items():
            if str(source.get(col) or "").strip().casefold() in TRUE_FLAGS:
                out["outcome"] = kind
                break
        return out, problems

    def _derive(self, d: Derivation, source: AbcMapping[str, Any]) -> Any:
        if d.kind == "template":
            return str(d.arg).format_map(_Blank({k: ("" if v is None else v) for k, v in source.items()}))
        if d.kind == "hex_int":
            raw = str(source.get(d.arg) or "").strip()
            if not raw:
                return ""
            return str(int(raw[: d.digits], 16))
        if d.kind == "sequence_within":
            key = tuple(source.get(c) for c in d.arg)
            n = self._counters.get((d.kind, key), 0) + 1
            self._counters[(d.kind, key)] = n
            return str(n)
        raise ValueError(f"unknown derivation {d.kind}")


@dataclass
class Mapping:
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    gzip: bool | None = None
    sections: dict[str, Section] = field(default_factory=dict)
    default: Section | None = None
    path: str = ""

    def section(self, kind: str) -> Section | None:
        return self.sections.get(kind, self.default)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a map. Every mistake is reported with where it is, before any row is read."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except OSError as exc:
        raise InvalidInput(f"cannot read mapping {p}: {exc.strerror or exc}", "mapping") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"mapping {p} is not valid YAML: {exc}", "mapping") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"mapping {p} must be a YAML mapping of keys", "mapping")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise InvalidInput(f"mapping {p}: unknown keys {', '.join(sorted(map(str, unknown)))}", "mapping")
    fmt = doc.get("format")
    if fmt is not None and fmt not in ("csv", "jsonl"):
        raise InvalidInput(f"mapping {p}: format must be csv or jsonl", "mapping")
    enc = doc.get("encoding")
    if enc is not None:
        import codecs

        try:
            codecs.lookup(str(enc))
        except LookupError:
            raise InvalidInput(f"mapping {p}: unknown encoding {enc!r}", "mapping") from None
    delim = doc.get("delimiter")
    if delim is not None:
        delim = {"\\t": "\t", "tab": "\t"}.get(str(delim), str(delim))
        if delim != "auto" and len(delim) != 1:
            raise InvalidInput(f"mapping {p}: delimiter must be one character or auto", "mapping")
    gz = doc.get("gzip", "auto")
    if gz not in ("auto", True, False):
        raise InvalidInput(f"mapping {p}: gzip must be auto, true or false", "mapping")
    m = Mapping(format=fmt, encoding=str(enc) if enc else None, delimiter=None if delim in (None, "auto") else delim,
                gzip=None if gz == "auto" else bool(gz), path=str(p))
    root = yaml.compose(text)
    for kind in KINDS:
        if kind in doc:
            m.sections[kind] = _section(doc[kind], f"{p}: {kind}", _Lines(p, root, (kind,)))
            if kind != "bookings" and m.sections[kind].outcomes:
                raise InvalidInput(f"{_Lines(p, root, (kind,)).where('outcomes')}: outcomes belong to the "
                                   "bookings section (an outcome is recorded for a booking)", "mapping")
    top = {k: v for k, v in doc.items() if k in _SECTION_KEYS}
    if top:
        m.default = _section(top, str(p), _Lines(p, root, ()))
    return m


@dataclass(frozen=True)
class _Lines:
    """Where a key of the map is written (file and line), for errors a person must find and fix."""

    path: Path
    root: Any
    prefix: tuple[str, ...]

    def where(self, *keys: str) -> str:
        node, line = self.root, None
        for key in (*self.prefix, *keys):
            if not isinstance(node, yaml.MappingNode):
                break
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    node, line = v, v.start_mark.line + 1
                    break
            else:
                break
        dotted = ".".join((*self.prefix, *keys))
        return f"mapping {self.path}, line {line}: {dotted}" if line else f"mapping {self.path}: {dotted}"

    def check_outcome(self, value: Any, *keys: str) -> None:
        if str(value) not in RECORDABLE_OUTCOMES:
            raise InvalidInput(f"{self.where(*keys)}: unknown outcome {value!r}; one of "
                               f"{', '.join(RECORDABLE_OUTCOMES)}", "mapping")


def _section(doc: Any, where: str, lines: _Lines) -> Section:
    if not isinstance(doc, dict):
        raise InvalidInput(f"mapping {where} must be a YAML mapping", "mapping")
    unknown = set(doc) - _SECTION_KEYS
    if unknown:
        raise InvalidInput(f"mapping {where}: unknown keys {', '.join(sorted(map(str, unknown)))}", "mapping")
    s = Section()
    s.passthrough = bool(doc.get("passthrough", True))
    s.columns = {str(k): str(v) for k, v in _dict(doc, "columns", where).items()}
    s.constants = {str(k): _scalar(v) for k, v in _dict(doc, "constants", where).items()}
    for ours, spec in _dict(doc, "derive", where).items():
        if not isinstance(spec, dict) or len({"template", "hex_int", "sequence_within"} & set(spec)) != 1:
            raise InvalidInput(f"mapping {where}: derive.{ours} needs one of template, hex_int, sequence_within",
                               "mapping")
        if "template" in spec:
            s.derive[str(ours)] = Derivation("template", str(spec["template"]))
        elif "hex_int" in spec:
            digits = int(spec.get("digits", 7))
            if not 1 <= digits <= 7:
                raise InvalidInput(f"mapping {where}: derive.{ours}.digits must be 1-7 (fits a 32-bit number)",
                                   "mapping")
            s.derive[str(ours)] = Derivation("hex_int", str(spec["hex_int"]), digits)
        else:
            cols = spec["sequence_within"]
            s.derive[str(ours)] = Derivation("sequence_within", tuple([cols] if isinstance(cols, str) else cols))
    for ours, spec in _dict(doc, "values", where).items():
        if isinstance(spec, dict) and "map" in spec:
            table, ignore_case = spec["map"] or {}, bool(spec.get("ignore_case", False))
            has_default, default = "default" in spec, _scalar(spec.get("default"))
        elif isinstance(spec, dict):
            table, ignore_case, has_default, default = spec, False, False, None
        else:
            raise InvalidInput(f"mapping {where}: values.{ours} must map source values to ours", "mapping")
        norm = {}
        for k, v in table.items():
            key = str(_scalar(k)).strip()
            norm[key.casefold() if ignore_case else key] = _scalar(v)
        s.values[str(ours)] = ValueMap(norm, default, has_default, ignore_case)
    s.formats = {str(k): str(v) for k, v in _dict(doc, "formats", where).items()}
    for col, values in _dict(doc, "skip_if", where).items():
        vals = values if isinstance(values, list) else [values]
        s.skip_if[str(col)] = frozenset(str(_scalar(v)).strip() for v in vals)
    rr = doc.get("repeated_rows", "reject")
    if rr not in ("reject", "merge"):
        raise InvalidInput(f"mapping {where}: repeated_rows must be reject or merge", "mapping")
    s.repeated_rows = rr
    listed: Any = doc.get("unknown_if_invalid") or []
    if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
        raise InvalidInput(f"mapping {where}: unknown_if_invalid must be a list of field names", "mapping")
    if {"booked_at", "booking_number", "facility"} & set(listed):
        raise InvalidInput(f"mapping {where}: unknown_if_invalid may not name a required field", "mapping")
    s.unknown_if_invalid = frozenset(listed)
    flags = _dict(doc, "outcomes", where)
    for col, kind in flags.items():
        lines.check_outcome(_scalar(kind), "outcomes", str(col))
        s.outcomes[str(col)] = str(_scalar(kind))
    if "outcome" in s.constants:
        lines.check_outcome(s.constants["outcome"], "constants", "outcome")
    spec = _dict(doc, "values", where).get("outcome")
    if isinstance(spec, dict):
        inner = "map" in spec
        table = (spec.get("map") or {}) if inner else spec
        for source, ours in table.items():
            lines.check_outcome(_scalar(ours), "values", "outcome", *(["map"] if inner else []), str(_scalar(source)))
        if inner and spec.get("default") not in (None, ""):
            lines.check_outcome(_scalar(spec["default"]), "values", "outcome", "default")
    return s


def _dict(doc: dict[str, Any], key: str, where: str) -> dict[Any, Any]:
    v = doc.get(key) or {}
    if not isinstance(v, dict):
        raise InvalidInput(f"mapping {where}: {key} must be a YAML mapping", "mapping")
    return v
