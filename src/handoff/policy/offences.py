"""Offence tables: which statute carries which offence categories, with the citation that says so.

Why tables at all: jail exports name statutes ("CA PC 211", "Cal. Penal Code 245(a)(1)"), while the law speaks
in categories ("a serious felony as defined in Penal Code 1192.7(c)"). A table entry is the cited bridge
between the two; a conviction's explicit categories are added to whatever the tables infer.

Matching: a leading prefix naming the table's own
state is dropped, a code alias ("Cal. Penal Code", "Penal Code", "PC") becomes its canonical code, and the
section and each parenthesised subdivision become tokens. The longest entry whose tokens are a prefix of the
statute's tokens wins, so "PC 245" matches "PC 245(a)(1)" but never "PC 2450", and "HS 11351" never matches
"HS 11351.5". A statute with no recognised code at its start matches nothing: a bare "211" could be any code.

Public surface: `OffenceTable`, `TableEntry`, `statute_key()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

# Prefixes by which statute strings name a state, beyond the two-letter code.
STATE_NAMES: dict[str, tuple[str, ...]] = {
    "CA": ("CALIFORNIA", "CALIF", "CAL"),
    "IL": ("ILLINOIS", "ILL"),
    "NY": ("NEW YORK", "N Y"),
    "TX": ("TEXAS", "TEX"),
    "FL": ("FLORIDA", "FLA"),
    "OR": ("OREGON", "ORE"),
    "WA": ("WASHINGTON", "WASH"),
    "MD": ("MARYLAND",),
    "US": ("UNITED STATES", "U S", "FEDERAL", "FED"),
}

_TOKEN = re.compile(r"[0-9A-Z]+(?:\.[0-9A-Z]+)*")
_SECTION_WORDS = re.compile(r"^(?:§+|SECTIONS?\b|SECS?\b\.?|S\b\.?)[\s.]*")


def _alias_pattern(alias: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s.]+", alias.upper()) if p]
    return r"[\s.]*".join(parts) + r"(?![A-Z])[\s.,:]*"


@dataclass(frozen=True, slots=True)
class TableEntry:
    statute: str
    key: tuple[str, ...]
    categories: tuple[str, ...]
    cite: str
    effective_from: date
    effective_to: date | None = None
    uncertain: bool = False
    note: str | None = None
    line: int = 0

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


@dataclass
class OffenceTable:
    """One table (one file). `lookup()` is cached per statute string: jail data repeats statutes endlessly."""

    id: str
    title: str
    state: str
    codes: Mapping[str, Sequence[str]]
    entries: tuple[TableEntry, ...] = ()
    source: str = ""
    notes: str = ""
    path: str = ""
    _index: dict[tuple[str, ...], list[TableEntry]] = field(default_factory=dict, repr=False)
    _keys: dict[str, tuple[str, ...] | None] = field(default_factory=dict, repr=False)
    _lookups: dict[tuple[str, date], tuple[TableEntry, ...]] = field(default_factory=dict, repr=False)
    _code_re: re.Pattern[str] | None = field(default=None, repr=False)
    _canon: dict[str, str] = field(default_factory=dict, repr=False)
    _state_re: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        aliases: list[tuple[str, str]] = []
        for canonical, names in self.codes.items():
            for name in {canonical, *names}:
                aliases.append((name, canonical))
        aliases.sort(key=lambda a: -len(a[0]))
        self._code_re = re.compile(
            "|".join(f"(?P<c{i}>{_alias_pattern(a)})" for i, (a, _) in enumerate(aliases)) or r"(?!x)x"
        )
        self._canon = {f"c{i}": canonical.upper() for i, (_, canonical) in enumerate(aliases)}
        names = sorted({self.state.upper(), *STATE_NAMES.get(self.state.upper(), ())}, key=len, reverse=True)
        self._state_re = re.compile(r"^(?:" + "|".join(_alias_pattern(n) for n in names) + r")")
        self._index = {}
        for entry in self.entries:
            self._index.setdefault(entry.key, []).append(entry)

    def key(self, statute: str) -> tuple[str, ...] | None:
        """The canonical token tuple of a statute string, or None when it names no code of this table."""
        cached = self._keys.get(statute, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        result = statute_key(statute, self)
        if len(self._keys) > 100_000:
            self._keys.clear()
        self._keys[statute] = result
        return result

    def lookup(self, statute: str, on: date) -> tuple[TableEntry, ...]:
        """Entries (in force on `on`) of the longest statute in this table that `statute` falls under."""
        memo = (statute, on)
        hit = self._lookups.get(memo)
        if hit is not None:
            return hit
        found: tuple[TableEntry, ...] = ()
        key = self.key(statute)
        if key is not None:
            for n in range(len(key), 1, -1):
                candidates = self._index.get(key[:n])
                if candidates:
                    live = tuple(e for e in candidates if e.in_force(on))
                    if live:
                        found = live
                        break
        if len(self._lookups) > 100_000:
            self._lookups.clear()
        self._lookups[memo] = found
        return found

    def categories(self, statute: str, on: date) -> frozenset[str]:
        return frozenset(c for e in self.lookup(statute, on) for c in e.categories)


def statute_key(statute: str, table: OffenceTable) -> tuple[str, ...] | None:
    """Normalise "Cal. Penal Code § 245(a)(1)" to ("PC", "245", "A", "1") for `table`'s codes."""
    text = " ".join(statute.upper().replace("§", " § ").split())
    assert table._code_re is not None and table._state_re is not None
    m = table._code_re.match(text)
    if m is None:
        s = table._state_re.match(text)
        if s is None or s.end() == 0:
            return None
        text = text[s.end():]
        m = table._code_re.match(text)
        if m is None:
            return None
    canonical = table._canon[m.lastgroup or ""]
    rest = _SECTION_WORDS.sub("", text[m.end():].lstrip(" .,:"))
    tokens = _TOKEN.findall(rest)
    if not tokens or not tokens[0][0].isdigit():
        return None
    return (canonical, *tokens)


def entry_key(statute: str, codes: Iterable[str]) -> tuple[str, ...] | None:
    """The key of a table entry's own `statute:` ("PC 245(a)(1)"), which must start with a canonical code."""
    text = " ".join(statute.upper().split())
    for code in sorted((c.upper() for c in codes), key=len, reverse=True):
        if text.startswith(code) and (len(text) == len(code) or not text[len(code)].isalpha()):
            tokens = _TOKEN.findall(text[len(code):])
            if tokens and tokens[0][0].isdigit():
                return (code, *tokens)
    return None
