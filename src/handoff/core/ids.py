"""The one shape of an identifier: request ids, booking numbers, facility and office codes, A-numbers.

Why one module: these strings become URL path segments (`/requests/<id>/`), e-mail headers, file names and
webhook fields. The API refused a slash in a request id but `handoff ingest` did not, and one such id took
the jail dashboard down for a whole county (security review H5); control characters in a request id made the
e-mail channel fail forever (L3). Every door (ingest, the API's Pydantic types, the web forms, the CLI that
registers facilities and offices) now asks this module, so the rule is written once.

The rule is a deny-list, not an allow-list, because real jail exports use many shapes (`LA-MCJ-2025-000123`,
`2019 000123`, `B#123`): no slash or backslash (path separators), no control character (C0, DEL, C1), no
Unicode line separator or bidirectional override (they reorder or split what a reader sees), no leading or
trailing space, not starting with a dot (`.` and `..` are path segments a browser resolves), and a length
limit per kind (the database column's). Pure Python, no Django.
"""

from __future__ import annotations

import json
import re
from typing import Final

#: characters an identifier never contains (a regular-expression character class body; valid in Python's
#: `re` and in the Rust regex Pydantic uses)
FORBIDDEN_CHARS: Final = r"\x00-\x1f\x7f-\x9f/\\\u2028\u2029\u202a-\u202e\u2066-\u2069"

#: the pattern of every identifier (the length is checked separately, per kind)
ID_PATTERN: Final = rf"^[^{FORBIDDEN_CHARS}\s.](?:[^{FORBIDDEN_CHARS}]*[^{FORBIDDEN_CHARS}\s])?$"
ID_RE: Final = re.compile(ID_PATTERN)
#: the same, or empty (an optional identifier, e.g. the booking number a request may name)
OPTIONAL_ID_PATTERN: Final = rf"^(?:[^{FORBIDDEN_CHARS}\s.](?:[^{FORBIDDEN_CHARS}]*[^{FORBIDDEN_CHARS}\s])?)?$"

#: control characters in free text (names, notes): refused at every door, like in identifiers
CONTROL_CHARS: Final = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
CONTROL_RE: Final = re.compile(rf"[{CONTROL_CHARS}]")
#: the same, with tab, line feed and carriage return also refused (single-line fields)
LINE_CONTROL_RE: Final = re.compile(rf"[\t\n\r{CONTROL_CHARS}]")
#: a single-line text field with no control character (Pydantic pattern)
NO_CONTROL_PATTERN: Final = rf"^[^\t\n\r{CONTROL_CHARS}]*$"

# the longest each kind may be (the database columns)
REQUEST_ID_MAX: Final = 80
BOOKING_NUMBER_MAX: Final = 60
CODE_MAX: Final = 40  # facility and federal office codes

#: an A-number (Alien Registration Number) as stored: "A" and 8 or 9 digits
A_NUMBER_PATTERN: Final = r"^A\d{8,9}$"
A_NUMBER_RE: Final = re.compile(A_NUMBER_PATTERN)


def id_problem(value: str, max_length: int) -> str | None:
    """Why `value` is not a usable identifier, in words a person fixing a file understands; None when it is."""
    if not value:
        return "is empty"
    if len(value) > max_length:
        return f"is longer than {max_length} characters"
    if ID_RE.fullmatch(value):
        return None
    if "/" in value or "\\" in value:
        return "contains a slash (identifiers become parts of web addresses)"
    if CONTROL_RE.search(value) or LINE_CONTROL_RE.search(value):
        return "contains a control character"
    if value != value.strip():
        return "starts or ends with a space"
    if value.startswith("."):
        return "starts with a dot"
    return "contains a character identifiers may not have"


def is_id(value: str, max_length: int) -> bool:
    return id_problem(value, max_length) is None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why a free-text value is refused (a control character), or None. Fast path: printable text."""
    if value.isprintable():
        return None
    if (CONTROL_RE if multiline else LINE_CONTROL_RE).search(value):
        return "contains a control character"
    return None


def is_a_number(value: str) -> bool:
    return bool(A_NUMBER_RE.fullmatch(value))


# --- JSON documents at the doors ----------------------------------------------------------------------
# Why here: ingest and the API read the same JSON objects; a line nested 50,000 deep crashed `handoff ingest`
# with a RecursionError and lost the good rows around it (review M10), and the API took duplicate keys
# last-wins (L5). One reader with the same limits for both.

#: the deepest nesting a request or booking ever needs is 3 (request > subject > value); allow some room
MAX_JSON_DEPTH: Final = 16
_STRING_RE: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE: Final = re.compile(r"[\[\]{}]")


class JsonProblem(ValueError):
    """A JSON text that is not taken: malformed, nested too deep, or naming a key twice."""


def json_depth_exceeds(text: str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the text nests arrays/objects deeper than `max_depth`, read without parsing (so a deep
    document never reaches the recursive parser). Fast path: fewer brackets than the limit."""
    if text.count("{") + text.count("[") <= max_depth:
        return False
    depth = 0
    for m in _BRACKET_RE.finditer(_STRING_RE.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise JsonProblem(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, unique_keys: bool = False) -> object:
    """json.loads within the limits: JsonProblem (a ValueError) instead of a RecursionError or a silent
    last-wins on a repeated key (when `unique_keys`)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonProblem(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if json_depth_exceeds(text, max_depth):
        raise JsonProblem(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates if unique_keys else None)
    except RecursionError:
        raise JsonProblem(f"nested deeper than {max_depth} levels") from None
    except JsonProblem:
        raise
    except ValueError as exc:
        raise JsonProblem(f"not valid JSON: {exc}") from None
