"""Value parsers shared by every ingest handler (and the REST API's single-record services).

Why one module: the same field must be judged by the same rule whether it came from a CSV file, a JSON
Lines file or an API call, and the reason a person reads in the rejects file must be the same too.
Each parser accepts the string form (CSV) and the native JSON form, and raises FieldError(reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from handoff.core import ids

MISSING = "missing required field"
A_NUMBER = ids.A_NUMBER_RE  # the one A-number pattern (core.ids)
# The ISO 8601 forms we accept: a date, optionally a time to the minute, second or microsecond, optionally
# an offset. (Python's fromisoformat alone also takes week dates and hour-only times, which no export means.)
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}


class FieldError(ValueError):
    """A value that cannot be used; the message is the reason shown to the person fixing the file."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any, *, max_length: int | None = None) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, dict | list):
        raise FieldError("expected text, got a nested object or list")
    if isinstance(value, bool):
        raise FieldError("expected text, got true/false")
    s = str(value).strip()
    if max_length is not None and len(s) > max_length:
        raise FieldError(f"longer than {max_length} characters")
    if "\x00" in s:
        raise FieldError("contains a NUL character")
    problem = ids.text_problem(s)
    if problem:
        raise FieldError(problem)
    return s


def identifier(value: Any, max_length: int) -> str:
    """A request id, booking number or code: the one shape of core.ids (no slash, no control character)."""
    s = text(value)
    problem = ids.id_problem(s, max_length) if s else None
    if problem:
        raise FieldError(problem)
    return s


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise FieldError("not a boolean (use true or false)")


def parse_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise FieldError("not a whole number")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        s = str(value).strip()
        if not re.fullmatch(r"[+-]?\d{1,18}", s):
            raise FieldError("not a whole number")
        n = int(s)
    if minimum is not None and n < minimum:
        raise FieldError(f"must be at least {minimum}")
    if maximum is not None and n > maximum:
        raise FieldError(f"must be at most {maximum}")
    return n


def parse_date(value: Any, fmt: str | None = None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = text(value)
    try:
        if fmt:
            return datetime.strptime(s, fmt).date()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            raise ValueError
        return date.fromisoformat(s)
    except ValueError:
        raise FieldError(f"not a date (expected {_describe(fmt) if fmt else 'YYYY-MM-DD'})") from None


def parse_datetime(value: Any, tz: tzinfo, fmt: str | None = None) -> datetime:
    """An instant in UTC. A time without an offset is local time in `tz` (the facility's zone): a
    nonexistent local time (spring forward) is read with the offset before the change, an ambiguous one
    (fall back) as the first occurrence (fold=0), which is what a jail clock that printed it meant."""
    if isinstance(value, datetime):
        dt = value
    else:
        s = text(value)
        try:
            if fmt:
                dt = datetime.strptime(s, fmt)
            else:
                if not ISO_DATETIME.fullmatch(s):
                    raise ValueError
                dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            raise FieldError(
                f"not a date and time (expected {_describe(fmt) if fmt else 'YYYY-MM-DDTHH:MM[:SS][+HH:MM]'})"
            ) from None
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=tz)
    try:
        return in_range(dt.astimezone(UTC))
    except (OverflowError, ValueError):
        raise FieldError("date and time out of range") from None


#: the years any door takes (the API's MIN_YEAR/MAX_YEAR); checked on the instant in UTC, after the offset
#: or the facility's zone is applied (review L3/L5: `0001-01-01T00:00:00` was stored as 0001-01-01 07:52:58,
#: and `1880-01-01T00:00:00+23:59` as 1879)
MIN_YEAR, MAX_YEAR = 1880, 2199


def in_range(instant: datetime) -> datetime:
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise FieldError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return instant


def parse_enum(value: Any, allowed: Iterable[str]) -> str:
    s = text(value)
    options = list(allowed)
    if s in options:
        return s
    low = s.lower()
    for option in options:
        if option.lower() == low:
            return option
    raise FieldError(f"not one of {', '.join(options)}")


def parse_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.split(";")
    else:
        raise FieldError("expected a list (';'-separated in CSV)")
    out: list[str] = []
    for item in items:
        if isinstance(item, dict | list):
            raise FieldError("expected a list of words")
        s = str(item).strip()
        if s and s not in out:
            out.append(s)
    return out


def parse_a_number(value: Any) -> str:
    s = text(value).upper().replace("-", "").replace(" ", "")
    if not s:
        return ""
    if not A_NUMBER.fullmatch(s):
        raise FieldError("not an A-number (A followed by 8 or 9 digits)")
    return s


def _describe(fmt: str) -> str:
    return (fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%H", "HH")
            .replace("%M", "MM").replace("%S", "SS").replace("%y", "YY"))
