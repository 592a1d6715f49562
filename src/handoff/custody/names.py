"""Comparing the name and date of birth on a federal request with a booked person's, the way a clerk would.

Why this module: a detainer for "GARCIA, JOSE" against a booking for "García López, José" is the same person
written by two systems. Exact comparison left such requests *waiting*, unseen, and the person could walk out
with no notice and no decision (users review, December 2026). This module says how close two names and two
dates of birth are, and in what ways they differ, so matching can send every near miss to a person.

It never decides that two records are one person: a near miss only ever sends a request to review, with the
differences listed side by side. Pure functions, no database.

What counts as near (and nothing else does):
- names: letter case, accents, punctuation; hyphens and spaces inside compound family names ("García-López",
  "GARCIA LOPEZ", "GARCIALOPEZ"); one family name of a compound one ("GARCIA" for "García López"); a given
  name that is the start of the other ("JOSE" for "José Luis", "CHRIS" for "Christopher"); given and family
  names written the wrong way round;
- dates of birth: the same date, one day apart, or day and month swapped (03/04 for 04/03).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

# How much each kind of difference lowers the score (out of 100). Why multiplied, not added: two small
# differences together are less likely to be chance than either alone, but never drop the score below zero.
SCORES: dict[str, float] = {
    "spelling": 0.97,  # case, accents, punctuation only
    "spacing": 0.95,  # hyphens or spaces inside a name
    "compound": 0.85,  # one family name of a compound one
    "prefix": 0.85,  # a given name that is the start of the other
    "given_part": 0.8,  # one of several given names
    "transposed": 0.8,  # given and family names the wrong way round
    "dob_one_day": 0.9,
    "dob_swapped": 0.9,
}

#: what a clerk reads for each kind of difference
WORDS: dict[str, str] = {
    "spelling": "{part}: differs only in letter case, accents or punctuation",
    "spacing": "{part}: differs only in hyphens or spaces",
    "compound": "family name: one is part of the other's compound family name",
    "prefix": "given name: one is the start of the other",
    "given_part": "given names: one is one of the other's given names",
    "transposed": "given and family names are the wrong way round",
    "dob_one_day": "date of birth: one day apart",
    "dob_swapped": "date of birth: day and month swapped",
}


_ASCII_PUNCT = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def fold(text: str | None) -> str:
    """Lower case, no accents, punctuation and hyphens as spaces, runs of spaces as one.
    "García-López, José" -> "garcia lopez jose"."""
    if not text:
        return ""
    if text.isascii():  # most names: no accents to take off (the same answer, many times faster)
        return " ".join(text.lower().translate(_ASCII_PUNCT).split())
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = letters.casefold()
    cleaned = "".join(c if c.isalnum() else " " for c in letters)
    return " ".join(cleaned.split())


def tokens(text: str | None) -> tuple[str, ...]:
    return tuple(fold(text).split())


#: the longest name key stored (custody.models.NameKey.key); a name field holds at most 100 characters
KEY_LENGTH = 100


def name_keys(last: str | None, first: str | None, middle: str | None = "") -> set[str]:
    """The words a person is found by in a name search: every folded word of their family, given and middle
    names ("García-López", "José" -> {"garcia", "lopez", "jose"}). Why this is the one place: the stored keys
    (custody.models.NameKey) and the words of a query are folded by the same function, so what a clerk types
    finds what the jail wrote however either spelt accents, case or hyphens."""
    return {w[:KEY_LENGTH] for w in tokens(f"{last or ''} {first or ''} {middle or ''}")}


@dataclass(frozen=True)
class Comparison:
    """How a request's subject compares with a booked person. `kinds` lists the differences (keys of SCORES);
    `fits` is False when the two are not near under any rule above."""

    fits: bool
    kinds: tuple[str, ...] = ()
    score: int = 0
    differences: tuple[str, ...] = field(default=())

    @property
    def exact(self) -> bool:
        return self.fits and not self.kinds


NO_FIT = Comparison(False)


def _part(a: tuple[str, ...], b: tuple[str, ...], raw_a: str, raw_b: str, *, given: bool) -> str | None:
    """How two family names (given=False) or two sets of given names compare: "" same as written,
    a kind of difference, or None when they are not near."""
    if not a or not b:
        return None
    if a == b:
        return "" if raw_a.strip().casefold() == raw_b.strip().casefold() else "spelling"
    if "".join(a) == "".join(b):
        return "spacing"
    if given:
        ja, jb = " ".join(a), " ".join(b)
        if ja.startswith(jb) or jb.startswith(ja):
            return "prefix"
        if _part_of(a, b):
            return "given_part"
        return None
    if _part_of(a, b):
        return "compound"
    return None


def _part_of(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One name's words are some of the other's ("garcia" of "garcia lopez"; "aa" of "aa aa")."""
    ca, cb = Counter(a), Counter(b)
    return ca != cb and (ca <= cb or cb <= ca)


def _names(last_a: str, first_a: str, last_b: str, first_b: str) -> list[str] | None:
    family = _part(tokens(last_a), tokens(last_b), last_a, last_b, given=False)
    given = _part(tokens(first_a), tokens(first_b), first_a, first_b, given=True)
    if family is None or given is None:
        return None
    kinds = []
    if family:
        kinds.append(("family", family))
    if given:
        kinds.append(("given", given))
    return [f"{where}:{kind}" for where, kind in kinds]


def compare_names(last_a: str, first_a: str, last_b: str, first_b: str) -> list[str] | None:
    """The differences between two names as "family:<kind>" / "given:<kind>" / "transposed", [] when they
    are the same as written, None when they are not near. Tried as written first, then the wrong way round."""
    direct = _names(last_a, first_a, last_b, first_b)
    if direct is not None:
        return direct
    swapped = _names(last_a, first_a, first_b, last_b)
    if swapped is not None:
        return ["transposed", *swapped]
    return None


def dob_relation(a: date | None, b: date | None) -> str | None:
    """"same", "dob_one_day", "dob_swapped", or None (unknown on either side, or further apart)."""
    if a is None or b is None:
        return None
    if a == b:
        return "same"
    if abs((a - b).days) == 1:
        return "dob_one_day"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return "dob_swapped"
    return None


def dob_variants(d: date | None) -> list[date]:
    """Every date of birth `dob_relation` accepts for `d`: for a query that finds the candidates."""
    if d is None:
        return []
    out = [d, d - timedelta(days=1), d + timedelta(days=1)]
    if d.day <= 12 and d.day != d.month:  # the day is a month, and the month (<= 12) a day of any month
        out.append(date(d.year, d.day, d.month))
    return sorted(set(out))


def _words(kind: str) -> str:
    if ":" in kind:
        where, what = kind.split(":", 1)
        part = "family name" if where == "family" else "given names"
        return WORDS[what].format(part=part)
    return WORDS[kind].format(part="name")


def compare(last_a: str, first_a: str, dob_a: date | None, last_b: str, first_b: str,
            dob_b: date | None) -> Comparison:
    """A request's subject (a) against a booked person (b): both names and a date of birth on each side are
    needed; without them nothing is near (a name alone is too common to put a request to anyone)."""
    if not (last_a and first_a and last_b and first_b):
        return NO_FIT
    dob = dob_relation(dob_a, dob_b)
    if dob is None:
        return NO_FIT
    name_kinds = compare_names(last_a, first_a, last_b, first_b)
    if name_kinds is None:
        return NO_FIT
    kinds = list(name_kinds) + ([] if dob == "same" else [dob])
    score = 100.0
    for kind in kinds:
        score *= SCORES[kind.split(":", 1)[-1]]
    return Comparison(True, tuple(kinds), round(score), tuple(_words(k) for k in kinds))
