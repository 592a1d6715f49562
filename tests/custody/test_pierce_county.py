"""The shipped Pierce County map imports the real export: counts checked against the raw files."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from handoff.custody.models import Booking, Charge, Person

from .conftest import Run

pytestmark = pytest.mark.django_db
MAPPING = Path(__file__).resolve().parents[2] / "examples" / "mappings" / "pierce-county-wa.yaml"
FILES = ("allholds.csv.gz", "no_charges.csv", "max_charge_other.csv")


def _raw_rows(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with gzip.open(folder / "allholds.csv.gz", "rt", newline="", encoding="utf-8") as fh:
        rows += list(csv.DictReader(fh, delimiter="|"))
    for name in FILES[1:]:
        with (folder / name).open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


@pytest.mark.slow
def test_it_imports_all_three_pierce_county_files(jails: dict, ingest: Callable[..., Run], shared_data: Path) -> None:
    folder = shared_data / "pierce-county-wa"
    raw = _raw_rows(folder)
    expected_bookings = {r["booking_id"] for r in raw}
    expected_holds = {r["booking_id"] for r in raw if r["imm_hold"] == "1"}
    expected_charges = {(r["booking_id"], r["hash_id"]) for r in raw if r["category"].strip() != "other"}
    long_country = {r["booking_id"] for r in raw if len(r["country_of_birth"]) > 60}

    for name in FILES:
        for kind in ("bookings", "charges"):
            run = ingest(kind, folder / name, "--mapping", str(MAPPING))
            assert run.code == 0, (name, kind, run.rejects()[:5], run.stderr)

    assert Booking.objects.count() == len(expected_bookings) == 9126  # 46 + 16 bookings appear in two files
    assert set(Booking.objects.values_list("booking_number", flat=True)) == expected_bookings
    assert Booking.objects.filter(ice_hold=True).count() == len(expected_holds)
    assert set(Booking.objects.filter(ice_hold=True).values_list("booking_number", flat=True)) == expected_holds
    assert Charge.objects.count() == len(expected_charges)
    assert Person.objects.count() == len(expected_bookings)  # de-identified: one placeholder person per booking
    assert long_country and Booking.objects.filter(booking_number__in=long_country,
                                                   person__country_of_birth="WEST INDIES").count() == len(long_country)

    sample = next(r for r in raw if r["booking_id"] in expected_holds and r["final_release_disp"] == "Immigration")
    b = Booking.objects.get(booking_number=sample["booking_id"])
    assert b.release_reason == "transferred_to_ice" and b.facility.code == "WA-PIERCE"
    assert b.person.first_name == f"PIERCE-{sample['booking_id']}"

    again = ingest("bookings", folder / "allholds.csv.gz", "--mapping", str(MAPPING))
    assert (again.report["accepted"], again.report["updated"]) == (0, 0)
    assert again.report["unchanged"] == len({r["booking_id"] for r in raw[:691]})
