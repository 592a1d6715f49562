"""Linkage across jails on small generated bookings: obvious duplicates join, distinct people stay apart, the
review band is a list jail staff act on, and the export names every booking's cross-jail person."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from handoff.access.actor import Actor, build_actor
from handoff.audit.models import AuditEvent
from handoff.core.errors import NotFound
from handoff.custody.models import Booking, Person
from handoff.linkage import services
from handoff.linkage.models import PersonIdentity, ReviewPair
from tests.custody.conftest import Run
from tests.custody.helpers import write_csv

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]
SYSTEM = Actor.system("test")
HEADER = ["facility", "booking_number", "booked_at", "last_name", "first_name", "date_of_birth", "sex", "fbi_number",
          "address_street", "address_city", "address_postcode", "address_state"]


def row(facility: str, number: str, last: str, first: str, dob: str, sex: str = "M", fbi: str = "",
        street: str = "", city: str = "", postcode: str = "", state: str = "") -> list[str]:
    return [facility, number, "2024-03-01 08:00", last, first, dob, sex, fbi, street, city, postcode, state]


def load(ingest: Ingest, tmp_path: Path, rows: list[list[str]]) -> None:
    run = ingest("bookings", write_csv(tmp_path / "b.csv", HEADER, rows))
    assert run.code == 0, run.rejects()


def person(facility: str, number: str) -> int:
    return Booking.objects.get(facility__code=facility, booking_number=number).person_id


PEOPLE = [  # LA (06037) and Harris (48201): the same three humans with a clerk's typos, and two others
    row("LA-MCJ", "L1", "HERNANDEZ", "MARIA", "1985-03-14", "F", street="1200 W 7th St", city="Los Angeles",
        postcode="90017", state="CA"),
    row("HARRIS", "H1", "HERNANDES", "MARIA", "1985-03-14", "F", street="1200 W 7th Street", city="Los Angeles",
        postcode="90017", state="CA"),
    row("LA-MCJ", "L2", "NGUYEN", "THANH", "1979-11-02", street="88 Elm Ave", city="Pasadena", postcode="91101",
        state="CA"),
    row("HARRIS", "H2", "NGUYEN", "THANH", "1979-11-20", street="88 Elm Ave", city="Pasadena", postcode="91101",
        state="CA"),
    row("LA-MCJ", "L3", "OKAFOR", "CHIDI", "1990-07-30", street="5 Bay Rd", city="Houston", postcode="77002",
        state="TX"),
    row("HARRIS", "H3", "OKAFOR", "CHIDI", "", street="5 Bay Rd", city="Houston", postcode="77002", state="TX"),
    row("LA-MCJ", "L4", "SMITH", "JOHN", "1970-01-01", street="1 Main St", city="Long Beach", postcode="90802",
        state="CA"),
    row("HARRIS", "H4", "SMITH", "JANE", "1992-06-15", "F", street="77 Oak Dr", city="Katy", postcode="77494",
        state="TX"),
    row("HARRIS", "H5", "BROWN", "ROBERT", "1966-09-09", street="300 Pine St", city="Austin", postcode="73301",
        state="TX"),
]


def test_it_joins_obvious_duplicates_across_two_facilities_and_leaves_distinct_people_apart(
        jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    load(ingest, tmp_path, PEOPLE)
    assert Person.objects.count() == 9  # no deterministic match across counties
    report = services.link(actor=SYSTEM)
    keys = services.identity_keys()
    for n in (1, 2, 3):
        assert keys[person("LA-MCJ", f"L{n}")] == keys[person("HARRIS", f"H{n}")], n
    apart = {keys[person("LA-MCJ", "L4")], keys[person("HARRIS", "H4")], keys[person("HARRIS", "H5")],
             keys[person("LA-MCJ", "L1")]}
    assert len(apart) == 4
    assert keys[person("HARRIS", "H5")] == f"P{person('HARRIS', 'H5')}"
    assert report.identities == 3 and report.linked_people == 6 and not report.trained
    weights = PersonIdentity.objects.values_list("match_weight", flat=True)
    assert all(w is not None and w >= report.threshold for w in weights)
    assert AuditEvent.objects.filter(action="linkage.run").count() == 1


def test_it_keeps_identity_keys_when_run_again(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    load(ingest, tmp_path, PEOPLE)
    services.link(actor=SYSTEM)
    first = services.identity_keys()
    rows = list(PersonIdentity.objects.order_by("person_id").values_list("person_id", "identity_id", "linked_at"))
    again = services.link(actor=SYSTEM)
    assert services.identity_keys() == first
    assert list(PersonIdentity.objects.order_by("person_id").values_list("person_id", "identity_id",
                                                                         "linked_at")) == rows
    assert again.identities == 3


def test_it_links_across_counties_by_identifier_but_never_across_conflicting_fbi_numbers(
        jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    load(ingest, tmp_path, [row("LA-MCJ", "L1", "ALPHA", "ONE", "1980-01-01", fbi="111AA1"),
                            row("HARRIS", "H1", "BETA", "TWO", "1999-09-09", fbi="111AA1"),
                            row("WA-PIERCE", "P1", "ALPHA", "ONE", "1980-01-01", fbi="999ZZ9")])
    services.link(actor=SYSTEM)
    keys = services.identity_keys()
    assert keys[person("LA-MCJ", "L1")] == keys[person("HARRIS", "H1")]
    assert PersonIdentity.objects.get(person_id=person("HARRIS", "H1")).method == "deterministic"
    assert keys[person("WA-PIERCE", "P1")] not in (keys[person("LA-MCJ", "L1")],)


def _band(jails: dict, ingest: Ingest, tmp_path: Path) -> ReviewPair:
    # Same name and date of birth, nothing else shared: in the review band at the default settings
    load(ingest, tmp_path, [row("LA-MCJ", "L1", "GARCIA", "JOSE", "1988-04-04", street="1 A St", city="Fresno",
                                postcode="93650", state="CA"),
                            row("HARRIS", "H1", "GARCIA", "JOSE", "1988-04-04", street="9 Z Rd", city="Tyler",
                                postcode="75701", state="TX")])
    report = services.link(actor=SYSTEM, threshold=30, review_floor=-5)
    assert report.identities == 0 and report.review_open == 1
    return ReviewPair.objects.get()


def test_it_lists_the_review_band_and_a_confirmed_pair_joins_at_the_next_run(jails: dict, ingest: Ingest,
                                                                            tmp_path: Path) -> None:
    pair = _band(jails, ingest, tmp_path)
    out = StringIO()
    call_command("people", "review", "--json", stdout=out)
    listed = json.loads(out.getvalue())["pairs"]
    assert [p["pair"] for p in listed] == [pair.pk]
    assert {b for p in listed[0]["people"] for b in p["bookings"]} == {"LA-MCJ/L1", "HARRIS/H1"}
    call_command("people", "confirm", str(pair.pk), "--reason", "same booking photo", stdout=StringIO())
    assert AuditEvent.objects.filter(action="linkage.review.confirm", object_ids=[pair.pk]).exists()
    services.link(actor=SYSTEM, threshold=30, review_floor=-5)
    keys = services.identity_keys()
    assert keys[person("LA-MCJ", "L1")] == keys[person("HARRIS", "H1")]
    assert set(PersonIdentity.objects.values_list("method", flat=True)) == {"manual"}


def test_it_never_joins_a_rejected_pair_whatever_its_weight(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    pair = _band(jails, ingest, tmp_path)
    services.decide(SYSTEM, pair.pk, confirm=False, reason="twins")
    report = services.link(actor=SYSTEM, threshold=-5, review_floor=-10)  # now far above the threshold
    assert report.identities == 0 and report.review_open == 0
    assert not PersonIdentity.objects.exists()


def test_it_shows_a_pair_across_counties_only_to_those_cleared_for_both(jails: dict, ingest: Ingest,
                                                                        tmp_path: Path) -> None:
    pair = _band(jails, ingest, tmp_path)
    la_clerk = build_actor(kind="user", role="jail_clerk", user_id=None, username="la",
                           facility_ids=[jails["LA"].pk])
    auditor = build_actor(kind="user", role="auditor", user_id=None, username="aud")
    assert services.review_list(la_clerk) == []
    with pytest.raises(NotFound):
        services.decide(la_clerk, pair.pk, confirm=True, reason="looks the same")
    assert [p["pair"] for p in services.review_list(auditor)] == [pair.pk]
    assert ReviewPair.objects.get().status == "open"


def test_it_sends_a_pair_inside_one_county_to_that_countys_staff(jails: dict, ingest: Ingest,
                                                                 tmp_path: Path) -> None:
    load(ingest, tmp_path, [row("LA-MCJ", "L1", "PARK", "MIN", "1975-02-02", street="3 C St", postcode="90001"),
                            row("LA-TTCF", "T1", "PARK", "MIN", "1975-02-03", street="8 D St", postcode="90210")])
    services.link(actor=SYSTEM, threshold=30, review_floor=-10)
    staff = build_actor(kind="user", role="jail_supervisor", user_id=None, username="sup",
                        jurisdiction_ids=[jails["LA"].jurisdiction_id])
    listed = services.review_list(staff)
    assert len(listed) == 1
    services.decide(staff, listed[0]["pair"], confirm=True, reason="same person, DOB typo")
    assert ReviewPair.objects.get().decided_by == "sup"


def test_it_exports_every_booking_with_its_cross_jail_person(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    load(ingest, tmp_path, PEOPLE)
    call_command("people", "link", "--json", stdout=StringIO())
    out = tmp_path / "people.csv"
    stdout = StringIO()
    call_command("people", "export", "--out", str(out), "--json", stdout=stdout)
    assert json.loads(stdout.getvalue()) == {"rows": 9, "out": str(out)}
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["facility", "booking_number", "person_id", "match_weight"]
    by = {(r["facility"], r["booking_number"]): r for r in rows}
    assert by[("LA-MCJ", "L1")]["person_id"] == by[("HARRIS", "H1")]["person_id"]
    assert by[("LA-MCJ", "L1")]["person_id"].startswith("I") and float(by[("LA-MCJ", "L1")]["match_weight"]) >= 6
    assert by[("HARRIS", "H5")]["person_id"].startswith("P") and by[("HARRIS", "H5")]["match_weight"] == ""


def test_it_prints_one_json_object_and_no_progress_under_json(jails: dict, ingest: Ingest, tmp_path: Path,
                                                              capsys: Any) -> None:
    load(ingest, tmp_path, PEOPLE)
    out = StringIO()
    call_command("people", "link", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["people"] == 9 and report["identities"] == 3
    assert capsys.readouterr().err == ""


def test_it_refuses_a_review_floor_above_the_threshold(jails: dict) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError) as exc:
        call_command("people", "link", "--threshold", "1", "--review-floor", "2", stdout=StringIO())
    assert "review floor" in str(exc.value)


FIXTURES = Path(__file__).with_name("fixtures")
FEBRL_MAP = Path(__file__).resolve().parents[2] / "examples" / "mappings" / "febrl.yaml"


def test_it_links_febrl_style_files_through_the_shipped_map(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    """Five FEBRL-shaped rows per file (a space after every comma, a 31 September and a 14th month, a missing surname, typos)."""
    for name, facility in (("febrl_a.csv", "LA-MCJ"), ("febrl_b.csv", "HARRIS")):
        mapping = tmp_path / f"{facility}.yaml"
        mapping.write_text(FEBRL_MAP.read_text().replace("facility: FEBRL-A", f"facility: {facility}"))
        run = ingest("bookings", FIXTURES / name, "--mapping", str(mapping))
        assert (run.code, run.report["accepted"]) == (0, 5), run.rejects()
    assert run.report["warnings"] == ["2 row(s): date_of_birth unreadable with the map's format, taken as unknown "
                                      "(unknown_if_invalid)"]
    b3 = Booking.objects.get(booking_number="rec-3-dup-0")
    assert b3.person.date_of_birth is None and b3.address_street == "38 salkauskas cresent"
    services.link(actor=SYSTEM)
    keys = services.identity_keys()
    for n in (1, 2, 3, 5):
        assert keys[person("LA-MCJ", f"rec-{n}-org")] == keys[person("HARRIS", f"rec-{n}-dup-0")], n
    assert len({keys[person("LA-MCJ", "rec-4-org")], keys[person("HARRIS", "rec-9-org")],
                keys[person("LA-MCJ", "rec-1-org")]}) == 3
