"""One Person per human across the bookings of one county, matched deterministically; never across counties
(security review H4: the linkage layer joins counties)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from handoff.custody.models import Booking, Person

from .conftest import Run
from .helpers import BOOKING_HEADER, booking, booking_rows, write_csv

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]


def _load(ingest: Ingest, tmp_path: Path, name: str, *rows: dict) -> Run:
    run = ingest("bookings", write_csv(tmp_path / name, BOOKING_HEADER, booking_rows(list(rows))))
    assert run.code == 0, run.rejects()
    return run


def _person_of(number: str, facility: str = "LA-MCJ") -> int:
    return Booking.objects.get(booking_number=number, facility__code=facility).person_id


def test_it_matches_one_person_across_a_countys_jails_by_fbi_number(jails: dict, ingest: Ingest,
                                                                     tmp_path: Path) -> None:
    _load(ingest, tmp_path, "la.csv", booking(1, last_name="GARCIA", first_name="ANA", fbi_number="111AA1"))
    _load(ingest, tmp_path, "ttcf.csv", booking(7, facility="LA-TTCF", last_name="GARCIA-LOPEZ", first_name="ANA M",
                                                date_of_birth="1991-01-01", fbi_number="111AA1",
                                                a_number="A012345678"))
    assert _person_of("B00001") == _person_of("B00007", "LA-TTCF")
    person = Person.objects.get()
    assert person.last_name == "GARCIA"  # another booking's row fills blanks, never overwrites
    assert person.a_number == "A012345678"
    assert person.jurisdiction.fips == "06037"


def test_h4_it_never_matches_a_person_of_another_county(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    _load(ingest, tmp_path, "la.csv", booking(1, last_name="GARCIA", first_name="ANA", fbi_number="111AA1"))
    _load(ingest, tmp_path, "harris.csv", booking(7, facility="HARRIS", last_name="GARCIA", first_name="ANA",
                                                  fbi_number="111AA1"))
    la, harris = Person.objects.get(jurisdiction__fips="06037"), Person.objects.get(jurisdiction__fips="48201")
    assert _person_of("B00001") == la.pk and _person_of("B00007", "HARRIS") == harris.pk


@pytest.mark.parametrize("field,value", [("state_id", "CA1234567"), ("a_number", "A123456789")])
def test_it_matches_by_state_id_or_a_number(jails: dict, ingest: Ingest, tmp_path: Path, field: str,
                                            value: str) -> None:
    _load(ingest, tmp_path, "a.csv", booking(1, **{field: value}),
          booking(2, facility="LA-TTCF", last_name="X", first_name="Y", **{field: value}))
    assert _person_of("B00001") == _person_of("B00002", "LA-TTCF")
    assert Person.objects.count() == 1


def test_it_matches_by_exact_name_and_date_of_birth_in_one_batch(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    _load(ingest, tmp_path, "a.csv", booking(1, last_name="LEE", first_name="KIM"),
          booking(2, last_name="LEE", first_name="KIM", facility="LA-TTCF"),
          booking(3, last_name="LEE", first_name="KIM", date_of_birth="1990-05-18"),
          booking(4, last_name="LEE", first_name="KIM", facility="HARRIS"))
    assert _person_of("B00001") == _person_of("B00002", "LA-TTCF") != _person_of("B00003")
    assert _person_of("B00004", "HARRIS") not in (_person_of("B00001"), _person_of("B00003"))


def test_it_never_matches_on_an_unknown_date_of_birth(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    _load(ingest, tmp_path, "a.csv", booking(1, last_name="LEE", first_name="KIM", date_of_birth=""),
          booking(2, last_name="LEE", first_name="KIM", date_of_birth=""))
    assert _person_of("B00001") != _person_of("B00002")
    assert set(Person.objects.values_list("date_of_birth", flat=True)) == {None}


def test_it_never_merges_people_whose_identifiers_conflict(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    _load(ingest, tmp_path, "a.csv", booking(1, last_name="LEE", first_name="KIM", fbi_number="111AA1"))
    _load(ingest, tmp_path, "b.csv", booking(2, last_name="LEE", first_name="KIM", fbi_number="222BB2"),
          booking(3, last_name="LEE", first_name="KIM"))
    assert _person_of("B00001") != _person_of("B00002")
    assert _person_of("B00003") == _person_of("B00001")  # no identifier given: name + date of birth, oldest first


def test_it_prefers_the_fbi_number_over_a_state_id(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    _load(ingest, tmp_path, "a.csv", booking(1, fbi_number="111AA1"), booking(2, state_id="S1"))
    _load(ingest, tmp_path, "b.csv", booking(3, fbi_number="111AA1", state_id="S1"))
    assert _person_of("B00003") == _person_of("B00001") != _person_of("B00002")


def test_it_keeps_a_shared_person_stable_when_their_bookings_disagree(jails: dict, ingest: Ingest,
                                                                    tmp_path: Path) -> None:
    rows = [booking(1, fbi_number="111AA1", sex="M", middle_name="", country_of_birth="MEXICO"),
            booking(2, facility="LA-TTCF", fbi_number="111AA1", sex="F", middle_name="JO",
                    country_of_birth="GUATEMALA")]
    header = [*BOOKING_HEADER, "middle_name", "country_of_birth"]
    path = write_csv(tmp_path / "a.csv", header, [[r.get(h, "") for h in header] for r in rows])
    assert ingest("bookings", path).report["accepted"] == 2
    person = Person.objects.get()
    assert (person.sex, person.middle_name, person.country_of_birth) == ("M", "JO", "MEXICO")  # blanks filled
    for _ in range(2):
        again = ingest("bookings", path)
        assert (again.report["unchanged"], again.report["updated"]) == (2, 0)
    person.refresh_from_db()
    assert (person.sex, person.country_of_birth) == ("M", "MEXICO")
