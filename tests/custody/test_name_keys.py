"""A name search reads indexed name keys, and finds exactly what comparing every booking's names would (issue 12).

Why these tests: the keys are a second copy of each person's names. If any write path (a file import, a
re-import that corrects a name, a clerk's correction, the migration's backfill) left them stale, a clerk
searching for a person named in a detainer would find nobody while the person sits in the jail. Each test
writes names the way a user does and searches the way a clerk does; the reference is the search without keys.
"""

from __future__ import annotations

import importlib
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.casework import flow
from handoff.custody import search
from handoff.custody.models import Booking, NameKey
from tests.custody.helpers import BOOKING_HEADER, booking, booking_rows, write_csv

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("García-López", "José Luis", "A100000001"),
    ("GARCIA", "JOSE", "A100000002"),
    ("O'Brien", "Seán", "A100000003"),
    ("Nguyễn", "Thị Minh", "A100000004"),
    ("Lopez Garcia", "Maria", "A100000005"),
    ("Smith", "Christopher", "A100000006"),
    ("Smithers", "Chris", "A100000007"),
    ("Łukasz", "Ångström", "A100000008"),
]


def _book(n: int, last: str, first: str, a_number: str, **over: str) -> Booking:
    row = {"facility": "LA-MCJ", "booking_number": f"NK-{n}", "booked_at": "2024-03-01T08:00:00-08:00",
           "last_name": last, "first_name": first, "date_of_birth": "1985-03-04", "a_number": a_number, **over}
    return flow.upsert_booking(row, source="test import").obj


def _found(query: str, *, indexed: bool = True) -> list[str]:
    return sorted(h.booking.booking_number for h in search.search(Booking.objects.all(), query, indexed=indexed,
                                                                  limit=500).hits)


@pytest.fixture
def people(jails: dict) -> list[Booking]:
    return [_book(n, last, first, a) for n, (last, first, a) in enumerate(PEOPLE)]


def test_it_finds_a_person_by_any_word_of_their_names(people: list[Booking]) -> None:
    """A clerk types the family name, a part of a compound one, the given name first, or a start of it."""
    assert _found("lopez") == ["NK-0", "NK-4"]
    assert _found("jose garcia") == ["NK-0", "NK-1"]
    assert _found("JOSÉ LUIS") == ["NK-0"]
    assert _found("garc lop") == ["NK-0", "NK-4"]
    assert _found("obrien") == [] and _found("o brien") == ["NK-2"]  # an apostrophe folds to a space
    assert _found("nguyen minh") == ["NK-3"]
    assert _found("chris smith") == ["NK-5", "NK-6"]
    assert _found("lukasz") == []  # "Ł" has no decomposition: it stays a letter of its own...
    assert _found("łukasz angstrom") == ["NK-7"]  # ...typed as written, accents on the Å aside
    assert _found("nobody") == []
    assert _found("lopez 1985-03-04") == ["NK-0", "NK-4"]  # with a date of birth: its index, then the names
    assert _found("lopez 1985-03-05") == ["NK-0", "NK-4"]  # a day off is still found (and marked so)
    assert _found("lopez 1999-03-04") == []


def test_it_keeps_the_keys_when_a_clerk_corrects_a_name(people: list[Booking]) -> None:
    flow.correct_booking(people[5], "last_name", "Smyth-Jones", reason="spelt wrong at booking", source="clerk")
    assert _found("smith christopher") == []
    assert _found("jones christopher") == ["NK-5"] == _found("smyth")


def test_it_keeps_the_keys_when_a_reimport_changes_a_name(people: list[Booking]) -> None:
    """The jail's next export spells the person (same A-number) with a middle name added."""
    _book(2, "O'Brien", "Seán", "A100000003", middle_name="Padraig")
    assert _found("padraig") == ["NK-2"]


def test_it_finds_people_a_new_import_brings_in_one_batch(jails: dict, tmp_path: Path) -> None:
    """A file import writes its people with raw multi-row inserts: their keys are written with them."""
    path = write_csv(tmp_path / "b.csv", BOOKING_HEADER,
                     booking_rows([booking(1, last_name="Ramírez", first_name="Ana"),
                                   booking(2, last_name="Ramirez Soto", first_name="Ana María")]))
    call_command("ingest", "bookings", str(path), "--json", stdout=StringIO())
    assert _found("ramirez ana") == ["B00001", "B00002"]
    assert _found("maria") == ["B00002"]


def test_it_backfills_the_keys_of_people_saved_before_the_keys_existed(people: list[Booking]) -> None:
    """The migration fills the keys of every person already in the database, with the same folding."""
    NameKey.objects.all().delete()
    assert _found("garcia") == []
    migration = importlib.import_module("handoff.custody.migrations.0007_person_name_keys")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert _found("garcia") == ["NK-0", "NK-1", "NK-4"] == _found("garcia", indexed=False)


QUERY_WORDS = st.sampled_from(["garcia", "garc", "g", "lopez", "jose", "josé", "luis", "o", "brien", "smith",
                               "chris", "christopher", "maria", "thi", "minh", "nguyen", "łukasz", "ångström",
                               "zzz", "l", "s"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(QUERY_WORDS, min_size=1, max_size=3))
def test_it_finds_with_the_keys_exactly_what_comparing_every_name_finds(people: list[Booking],
                                                                          words: list[str]) -> None:
    """The keys are a speed-up, never a different answer: any query finds the same people both ways."""
    query = " ".join(words)
    assert _found(query) == _found(query, indexed=False)
