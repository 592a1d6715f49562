"""Static checks of a rule's CEL `when`: which variables and fields it reads.

Why our own pass over the source: `cel.Program.variables()` names the top-level identifiers (including the
`c` bound by `convictions.exists(c, ...)`), but not the fields. Two things need the fields:
- validation: `request.warant.type` or `c.within5y` must be a load error naming the line, not a rule that is
  silently false at 3 a.m.;
- speed: converting Python values into CEL values costs about a microsecond per string, so the engine hands
  each policy only the fields its rules read (`Need`), measured in bench/evaluate.py.

When the pass cannot follow an expression (a macro on the result of another macro, say), it gives up on
that expression (`opaque`): the engine then passes those variables whole, which is always correct, only
slower. Public surface: `analyse()`, `Need`, `WHOLE`, `merge()`, `project()`, `FACT_SCHEMA`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# ---- schema of the CEL input (policy-spec.md "CEL variables")


class Leaf:
    """A scalar, or a list of scalars (basis, categories)."""

    def __repr__(self) -> str:
        return "LEAF"


LEAF = Leaf()


class _Unknown:
    """Below a field already reported as unknown: report nothing more about this path."""


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class ListOf:
    element: Any


_CHARGE = {
    "statute": LEAF,
    "level": LEAF,
    "wobbler": LEAF,
    "disposition": LEAF,
    "probable_cause_found": LEAF,
    "categories": LEAF,
}
_CONVICTION = {
    "statute": LEAF,
    "level": LEAF,
    "wobbler": LEAF,
    "convicted_on": LEAF,
    "state": LEAF,
    "categories": LEAF,
    "state_prison": LEAF,
    "prop47_reduced": LEAF,
    "years_before": LEAF,
    "within_5y": LEAF,
    "within_15y": LEAF,
    "custody_days_since": LEAF,
    "within_5y_excluding_custody": LEAF,
    "within_5y_of_arrest_excluding_custody": LEAF,
    "adjudication": LEAF,
}
FACT_SCHEMA: dict[str, Any] = {
    "request": {
        "kind": LEAF,
        "form": LEAF,
        "basis": LEAF,
        "warrant": {"type": LEAF, "form": LEAF},
        "lead_time_hours": LEAF,
        "withdrawn": LEAF,
        "judicial_probable_cause": LEAF,
    },
    "booking": {"release_type": LEAF, "released": LEAF, "arrest_date_known": LEAF},
    "charges": ListOf(_CHARGE),
    "convictions": ListOf(_CONVICTION),
    "registrant": {"sex_offender": LEAF, "arson": LEAF},
    "federal": {
        "aggravated_felony_conviction": LEAF,
        "outstanding_federal_felony_warrant": LEAF,
        "terrorist_screening_match": LEAF,
    },
    "person": {"lawful_status_proven": LEAF},
}
VARIABLES = frozenset({*FACT_SCHEMA, "settings"})

# ---- what an expression needs


@dataclass
class Need:
    """What an expression reads below one node: all of it (`whole`), some `fields` of a map, or the
    `element` of a list of maps."""

    whole: bool = False
    fields: dict[str, Need] = field(default_factory=dict)
    element: Need | None = None


def merge(a: Need | None, b: Need | None) -> Need:
    if a is None or b is None:
        out = a or b
        assert out is not None
        return out
    if a.whole or b.whole:
        return Need(whole=True)
    fields = dict(a.fields)
    for k, v in b.fields.items():
        fields[k] = merge(fields.get(k), v)
    element = merge(a.element, b.element) if (a.element or b.element) else None
    return Need(fields=fields, element=element)


def project(value: Any, need: Need) -> Any:
    """`value` cut down to what `need` reads."""
    if need.whole:
        return value
    if isinstance(value, Mapping):
        return {k: project(value[k], n) for k, n in need.fields.items() if k in value}
    if isinstance(value, list | tuple):
        element = need.element or Need()
        return [project(v, element) for v in value]
    return value


# ---- the pass

_TOKENS = re.compile(
    r"""(?P<ws>\s+)
    |(?P<str>[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    |(?P<num>0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?)
    |(?P<id>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    |(?P<bad>.)""",
    re.VERBOSE,
)
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
KEYWORDS = frozenset(
    {"true", "false", "null", "in", "int", "uint", "double", "bool", "string", "bytes", "list", "map",
     "null_type", "type", "dyn"}
)


@dataclass
class Analysis:
    needs: dict[str, Need] = field(default_factory=dict)  # top-level variable -> what is read
    problems: list[str] = field(default_factory=list)
    opaque: bool = False  # the pass could not follow everything: pass `needs`' variables whole
    binders: set[str] = field(default_factory=set)


@dataclass
class _Scope:
    name: str
    schema: Any  # None: the element of something the pass cannot follow
    sink: Need | None
    depth: int


def analyse(source: str, settings: Mapping[str, Any]) -> Analysis:
    """Variables, fields and problems of one CEL expression. Problems are sentences for a person."""
    schema = dict(FACT_SCHEMA)
    schema["settings"] = settings_schema(settings)
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKENS.finditer(source) if m.lastgroup != "ws"]
    out = Analysis()
    scopes: list[_Scope] = []
    depth = 0
    n = len(tokens)

    def text(j: int) -> str:
        return tokens[j][1] if 0 <= j < n else ""

    def is_id(j: int) -> bool:
        return 0 <= j < n and tokens[j][0] == "id"

    def macro_at(j: int) -> bool:
        """tokens j.. are `. macro ( binder ,`"""
        return (
            text(j) == "."
            and is_id(j + 1)
            and text(j + 1) in MACROS
            and text(j + 2) == "("
            and is_id(j + 3)
            and text(j + 4) == ","
        )

    i = 0
    while i < n:
        kind, tx = tokens[i]
        if kind == "op":
            if macro_at(i):  # a macro on the result of a call: its binder is beyond this pass
                depth += 1
                out.binders.add(text(i + 3))
                scopes.append(_Scope(text(i + 3), None, None, depth))
                i += 5
                continue
            if tx in "([{":
                depth += 1
            elif tx in ")]}":
                depth -= 1
                while scopes and scopes[-1].depth > depth:
                    scopes.pop()
            i += 1
            continue
        if kind != "id" or text(i - 1) == "." or tx in KEYWORDS or text(i + 1) == "(":
            i += 1  # literal, a field name handled below, or a global function such as has() / size()
            continue
        # a path starts here: root [. field]* [. macro(binder, ...) | . method(...) | [index]]
        scope = next((s for s in reversed(scopes) if s.name == tx), None)
        sink: Need | None
        if scope is not None:
            if scope.schema is None:
                out.opaque = True
                i += 1
                continue
            node: Any = scope.schema
            sink = scope.sink
        elif tx in schema:
            node = schema[tx]
            sink = out.needs.setdefault(tx, Need())
        else:
            out.problems.append(
                f"unknown variable '{tx}'; a rule may read only {', '.join(sorted(VARIABLES))}"
            )
            i += 1
            continue
        path = tx
        j = i + 1
        used_whole = True  # unless the path ends on a leaf or hands its element to a macro
        while text(j) == "." and is_id(j + 1):
            name = text(j + 1)
            if text(j + 2) == "(":
                if macro_at(j):
                    binder = text(j + 3)
                    out.binders.add(binder)
                    depth += 1
                    if isinstance(node, ListOf):
                        elem_sink: Need | None = None
                        if sink is not None:
                            sink.element = sink.element or Need()
                            elem_sink = sink.element
                        scopes.append(_Scope(binder, node.element, elem_sink, depth))
                        used_whole = False
                    elif node is LEAF:  # a list of scalars: the binder is a scalar
                        scopes.append(_Scope(binder, LEAF, None, depth))
                    else:
                        out.problems.append(f"'{path}' is a map; {name}() needs a list")
                        scopes.append(_Scope(binder, LEAF, None, depth))
                    j += 5
                # any other method (size, contains, startsWith...) reads its receiver whole
                break
            if isinstance(node, dict):
                if name not in node:
                    fields = ", ".join(sorted(node)) or "no fields"
                    out.problems.append(f"unknown field '{path}.{name}'; '{path}' has {fields}")
                    node, sink = UNKNOWN, None
                else:
                    node = node[name]
                    if sink is not None:
                        sink = sink.fields.setdefault(name, Need(whole=node is LEAF))
                        if sink.whole:
                            sink = None
            else:
                what = "a list" if isinstance(node, ListOf) else "not a map"
                out.problems.append(f"'{path}' is {what}; it has no field '{name}'")
                node, sink = UNKNOWN, None
            path = f"{path}.{name}"
            j += 2
            if node is UNKNOWN:
                while text(j) == "." and is_id(j + 1) and text(j + 2) != "(":
                    j += 2
                break
        else:
            if text(j) != "[" and node is LEAF:
                used_whole = False
        if used_whole and sink is not None:
            sink.whole = True
        i = j
    out.needs = {k: _simplify(v) for k, v in out.needs.items()}
    return out


def settings_schema(value: Any) -> Any:
    """A version's settings as a schema: nested maps stay maps, everything else is a leaf."""
    if isinstance(value, Mapping):
        return {str(k): settings_schema(v) for k, v in value.items()}
    return LEAF


def _simplify(need: Need) -> Need:
    if need.whole:
        return Need(whole=True)
    return Need(
        fields={k: _simplify(v) for k, v in need.fields.items()},
        element=_simplify(need.element) if need.element is not None else None,
    )


def split_exists(source: str) -> tuple[str, str, str] | None:
    """`convictions.exists(c, BODY)` -> ("convictions", "c", "BODY"); None for any other shape.

    Why: such a rule is true exactly when BODY holds for some record, so the engine can run BODY once per
    distinct record (and remember it) instead of converting the whole list for every request.
    """
    spans = [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKENS.finditer(source) if m.lastgroup != "ws"]
    if len(spans) < 8:
        return None
    (k0, t0, _, _), (_, t1, _, _), (_, t2, _, _), (_, t3, _, _), (k4, t4, _, _), (_, t5, _, body_start) = spans[:6]
    if not (k0 == "id" and t0 in ("convictions", "charges") and t1 == "." and t2 == "exists" and t3 == "("
            and k4 == "id" and t5 == ","):
        return None
    depth = 0
    for i, (kind, text, start, _end) in enumerate(spans[3:], start=3):
        if kind == "op" and text in "([{":
            depth += 1
        elif kind == "op" and text in ")]}":
            depth -= 1
            if depth == 0:
                if i != len(spans) - 1:
                    return None  # something follows the closing parenthesis: `... ) && x`
                return t0, t4, source[body_start:start]
    return None


def bool_tree(source: str) -> Any:
    """Split a `when` at its top-level `||`, `&&`, `!` and parentheses: ("or"|"and", [trees]), ("not", tree)
    or ("leaf", source). A conditional (`?:`) anywhere at the top stays one leaf.

    Why: CEL's `&&` and `||` are commutative with respect to errors (`false && error` is false, `true ||
    error` is true), so the parts can be evaluated - and remembered - apart, each on only the facts it reads.
    """
    spans = [(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKENS.finditer(source) if m.lastgroup != "ws"]
    return _tree(source, spans)


def _tree(source: str, spans: list[tuple[str, str, int, int]]) -> Any:
    if not spans:
        return ("leaf", "")
    text = source[spans[0][2]:spans[-1][3]]
    depth = 0
    ors: list[int] = []
    ands: list[int] = []
    ternary = False
    closes_at_end = False
    for i, (kind, tx, _s, _e) in enumerate(spans):
        if kind == "op" and tx in "([{":
            depth += 1
        elif kind == "op" and tx in ")]}":
            depth -= 1
            if depth == 0 and i == len(spans) - 1 and spans[0][1] == "(":
                closes_at_end = True
        elif depth == 0 and kind == "op":
            if tx == "||":
                ors.append(i)
            elif tx == "&&":
                ands.append(i)
            elif tx in "?:":
                ternary = True
    if ternary:
        return ("leaf", text)
    for op, cuts in (("or", ors), ("and", ands)):
        if cuts:
            parts = []
            start = 0
            for cut in [*cuts, len(spans)]:
                parts.append(_tree(source, spans[start:cut]))
                start = cut + 1
            return (op, parts)
    if closes_at_end and _balanced_group(spans):
        return _tree(source, spans[1:-1])
    if spans[0][1] == "!" and len(spans) > 1:
        rest = spans[1:]
        rest_text = source[rest[0][2]:rest[-1][3]]
        if (rest[0][1] == "(" and _balanced_group(rest)) or split_exists(rest_text) is not None:
            return ("not", _tree(source, rest))
    return ("leaf", text)


def _balanced_group(spans: list[tuple[str, str, int, int]]) -> bool:
    """True when spans[0] is "(" and its matching ")" is the last span."""
    depth = 0
    for i, (kind, tx, _s, _e) in enumerate(spans):
        if kind == "op" and tx in "([{":
            depth += 1
        elif kind == "op" and tx in ")]}":
            depth -= 1
            if depth == 0:
                return i == len(spans) - 1
    return False
