"""Finding people and their bookings the way a clerk asks: a name, a date of birth, a booking number, an
A-number or an FBI number, or a name with a date of birth ("garcia jose 1985-03-04").

Why it takes a queryset: who may see which bookings is the access layer's answer (custody sits below it); the
caller passes the bookings its actor may read and this module only narrows them. Names are compared as
`custody.names` folds them (case, accents, punctuation), so "garcia" finds "García López"; a date of birth
also finds the dates matching would call near (a day off, day and month swapped), marked as such.

How a name is found: each word of the query must start a word of the person's family, given or middle names.
The folded words are stored and indexed (custody.models.NameKey), so each query word is one index range and
the database intersects them; the bookings of a county are never read whole (issue 12: a second per search
at 100,000 bookings when they were).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connections
from django.db.models import F, QuerySet

from handoff.custody import names
from handoff.custody.models import Booking, NameKey

LIMIT = 50
#: how many bookings a name is compared against at most: keeps one search bounded
NAME_SCAN = 200_000
_DATE_FORMATS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("m", "d", "y")),
)
_A_NUMBER = re.compile(r"^A?-?(\d[\d-]{7,11})$", re.IGNORECASE)


@dataclass
class Hit:
    booking: Booking
    #: how the booking was found, in words ("booking number", "name", "date of birth one day apart", ...)
    why: list[str] = field(default_factory=list)

    @property
    def near(self) -> bool:
        return any("apart" in w or "swapped" in w for w in self.why)


@dataclass
class Found:
    hits: list[Hit]
    total: int
    #: which kinds of search the query was read as (for the audit log: never the query itself, which may
    #: be a name)
    kinds: list[str]


def parse_date(text: str) -> date | None:
    for pattern, order in _DATE_FORMATS:
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def a_number_spellings(text: str) -> list[str]:
    """"A-012-345-678", "12345678" -> the stored spellings of that A-number (8 digits, or 9 zero-padded)."""
    m = _A_NUMBER.match(text.strip())
    if not m:
        return []
    digits = m.group(1).replace("-", "")
    if len(digits) not in (8, 9):
        return []
    out = {"A" + digits}
    if len(digits) == 8:
        out.add("A0" + digits)
    elif digits.startswith("0"):
        out.add("A" + digits[1:])
    return sorted(out)


def _name_fits(words: list[str], last: str, first: str, middle: str) -> bool:
    """Every word of the query starts a word of the person's names. Why the first check: a name without
    accents that does not even contain a query word cannot fit, and most names are told apart that way
    without folding them."""
    text = f"{last} {first} {middle}"
    if text.isascii():
        low = text.lower()
        if any(w not in low for w in words):
            return False
    have = names.tokens(text)
    return all(any(h.startswith(w) for h in have) for w in words)


def _keys_starting(word: str, db: str) -> QuerySet[NameKey]:
    """The name keys that start with `word`, as a range the key's index serves. Why two spellings: PostgreSQL
    serves LIKE 'word%' from the varchar_pattern_ops index Django adds beside the key's own (a range under a
    linguistic collation would not be a prefix); SQLite compares text byte by byte, so [word, word+1) is exactly
    the keys starting with it, and LIKE there ignores the index."""
    keys = NameKey.objects.using(db)
    last = ord(word[-1])
    if connections[db].vendor == "postgresql" or last >= 0x10FFFF or 0xD7FF <= last < 0xE000:
        return keys.filter(key__startswith=word)
    return keys.filter(key__gte=word, key__lt=word[:-1] + chr(last + 1))


def search(bookings: QuerySet[Booking], query: str, *, limit: int = LIMIT, indexed: bool = True) -> Found:
    """The bookings among `bookings` the query finds, those still in custody first, then the newest.
    `indexed=False` compares the names of every booking in scope instead of using the name keys: the
    reference the tests hold the index to, and the benchmark's baseline."""
    text = (query or "").strip()
    if not text:
        return Found([], 0, [])
    why: dict[int, list[str]] = {}
    kinds: list[str] = []

    def add(pks: Any, reason: str) -> None:
        for pk in pks:
            why.setdefault(pk, [])
            if reason not in why[pk]:
                why[pk].append(reason)

    # one whole identifier
    ident = text.replace(" ", "")
    if len(text.split()) == 1:
        spelt = sorted({ident, ident.upper(), ident.lower()})  # exact spellings: the indexes serve them
        by_number = list(bookings.filter(booking_number__in=spelt).values_list("pk", flat=True))
        if by_number:
            kinds.append("booking_number")
            add(by_number, "booking number")
        spellings = a_number_spellings(ident)
        if spellings:
            kinds.append("a_number")
            add(bookings.filter(person__a_number__in=spellings).values_list("pk", flat=True), "A-number")
        by_fbi = list(bookings.filter(person__fbi_number__in=spelt).values_list("pk", flat=True))
        if by_fbi:
            kinds.append("fbi_number")
            add(by_fbi, "FBI number")
        if why:
            return _found(bookings, why, kinds, limit)

    # a name, a date of birth, or both
    dob: date | None = None
    words: list[str] = []
    for part in re.split(r"[\s,]+", text):
        when = parse_date(part)
        if when is not None and dob is None:
            dob = when
        elif part:
            words.extend(names.tokens(part))
    scope = bookings
    if dob is not None:
        kinds.append("date_of_birth")
        scope = scope.filter(person__date_of_birth__in=names.dob_variants(dob))
    if words:
        kinds.append("name")
    if dob is None and not words:
        return Found([], 0, kinds)
    # With a date of birth its index already narrows the bookings to a handful, which are compared in Python;
    # the name keys would only make the database choose between two indexes (and it chose the slower one).
    # The longest word (the likeliest to be rare) is one index range; any other word is checked in Python on
    # those few people. Why not one range per word: the database then reads every key of a common given name
    # to intersect the lists, which took longer than reading the rare word's people.
    keys = bool(words) and indexed and dob is None
    if keys:
        longest = max(words, key=len)[:names.KEY_LENGTH]
        scope = scope.filter(person_id__in=_keys_starting(longest, scope.db).values("person_id"))
    rest = words if not keys else [w for w in words if not longest.startswith(w)]
    rows = scope.order_by().values_list(
        "pk", "person__last_name", "person__first_name", "person__middle_name", "person__date_of_birth")[:NAME_SCAN]
    for pk, last, first, middle, born in rows:
        if rest and not _name_fits(rest, last, first, middle):
            continue
        reasons = ["name"] if words else []
        if dob is not None:
            relation = names.dob_relation(dob, born)
            reasons.append({"same": "date of birth", "dob_one_day": "date of birth one day apart",
                            "dob_swapped": "date of birth with day and month swapped"}.get(relation or "", ""))
        for r in reasons:
            if r:
                add([pk], r)
    return _found(bookings, why, kinds, limit)


def _found(bookings: QuerySet[Booking], why: dict[int, list[str]], kinds: list[str], limit: int) -> Found:
    """Those still in custody first, then the newest booking. Why ordered in two steps: a common name can
    find thousands of bookings; only the first `limit` are read whole."""
    order = (F("released_at").asc(nulls_first=True), "-booked_at", "-pk")
    keys = list(bookings.filter(pk__in=list(why)[:NAME_SCAN]).order_by(*order).values_list("pk", flat=True)[:limit]) \
        if len(why) <= 10_000 else sorted(why, reverse=True)[:limit]
    shown = {b.pk: b for b in bookings.filter(pk__in=keys).select_related("person", "facility")}
    return Found([Hit(shown[pk], why[pk]) for pk in keys if pk in shown], len(why), kinds)
