"""Column maps turn a foreign export into our rows; their mistakes are reported before any row is read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from handoff.core.errors import InvalidInput
from handoff.custody.models import Booking, Charge
from handoff.ingest.mapping import load_mapping

from .conftest import Run
from .helpers import write_csv

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]

FOREIGN = ["BOOK_NO", "BOOK_DT", "NAME_L", "NAME_F", "DOB", "GENDER", "CHG_SEQ", "CHG", "CLASS", "STATUS"]
MAP = """
delimiter: "|"
bookings:
  passthrough: false
  repeated_rows: merge
  columns: {booking_number: BOOK_NO, booked_at: BOOK_DT, last_name: NAME_L, first_name: NAME_F, date_of_birth: DOB,
            sex: GENDER}
  constants: {facility: HARRIS, ice_hold: true}
  formats: {booked_at: "%m/%d/%Y %H:%M", date_of_birth: "%m/%d/%Y"}
  values:
    sex: {map: {male: M, female: F}, default: U, ignore_case: true}
charges:
  passthrough: false
  skip_if: {CLASS: [HOLD]}
  columns: {booking_number: BOOK_NO, statute: CHG, level: CLASS, disposition: STATUS}
  constants: {facility: HARRIS}
  derive:
    seq: {sequence_within: [BOOK_NO]}
    description: {template: "{CHG} ({CLASS:.3})"}
  values:
    level: {F1: felony, F2: felony, M: misdemeanor}
    disposition: {map: {OPEN: pending, GUILTY: convicted}, default: pending}
"""


def _export(tmp_path: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    mapping = tmp_path / "harris.yaml"
    mapping.write_text(MAP)
    return write_csv(tmp_path / "harris.txt", FOREIGN, rows, delimiter="|"), mapping


ROWS = [
    ["H1", "07/04/2024 21:15", "DOE", "JO", "02/29/1988", "Female", "1", "TX PC 22.01", "M", "OPEN"],
    ["H1", "07/04/2024 21:15", "DOE", "JO", "02/29/1988", "Female", "2", "TX PC 29.02", "F2", "GUILTY"],
    ["H1", "07/04/2024 21:15", "DOE", "JO", "02/29/1988", "Female", "3", "ICE DETAINER", "HOLD", ""],
    ["H2", "07/05/2024 01:00", "ROE", "AL", "12/01/1970", "", "1", "TX HSC 481.115", "F1", ""],
]


def test_it_maps_a_foreign_export_onto_bookings_and_charges(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path, mapping = _export(tmp_path, ROWS)
    bookings = ingest("bookings", path, "--mapping", str(mapping))
    assert bookings.code == 0, bookings.rejects()
    assert (bookings.report["accepted"], bookings.report["repeated"]) == (2, 2)
    h1 = Booking.objects.get(booking_number="H1")
    assert h1.booked_at == datetime(2024, 7, 5, 2, 15, tzinfo=UTC)  # 21:15 CDT
    assert (h1.person.sex, h1.person.date_of_birth, h1.ice_hold) == ("F", date(1988, 2, 29), True)
    assert Booking.objects.get(booking_number="H2").person.sex == "U"

    charges = ingest("charges", path, "--mapping", str(mapping))
    assert charges.code == 0, charges.rejects()
    assert (charges.report["accepted"], charges.report["skipped"]) == (3, 1)
    got = list(Charge.objects.order_by("booking__booking_number", "seq").values_list(
        "booking__booking_number", "seq", "level", "disposition", "description"))
    assert got == [("H1", 1, "misdemeanor", "pending", "TX PC 22.01 (M)"),
                   ("H1", 2, "felony", "convicted", "TX PC 29.02 (F2)"),
                   ("H2", 1, "felony", "pending", "TX HSC 481.115 (F1)")]


def test_it_rejects_a_repeated_booking_that_disagrees_with_its_first_row(jails: dict, ingest: Ingest,
                                                                         tmp_path: Path) -> None:
    rows = [*ROWS[:2], ["H1", "07/04/2024 22:15", "DOE", "JO", "02/29/1988", "Female", "3", "X", "M", "OPEN"]]
    path, mapping = _export(tmp_path, rows)
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.code == 1
    assert run.rejects() == [{"row": "4", "field": "booking_number", "value": "H1",
                              "reason": "duplicate of row 2 with different values"}]


def test_it_rejects_a_value_that_does_not_match_the_mappings_format(jails: dict, ingest: Ingest,
                                                                   tmp_path: Path) -> None:
    path, mapping = _export(tmp_path, [["H9", "2024-07-04 21:15", "DOE", "JO", "02/29/1988", "", "", "", "", ""],
                                       ROWS[3]])
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.rejects() == [{"row": "2", "field": "booked_at", "value": "2024-07-04 21:15",
                              "reason": "does not match the mapping's format '%m/%d/%Y %H:%M'"}]
    assert Booking.objects.get().booking_number == "H2"


@pytest.mark.parametrize("text,message", [
    ("- a list\n", "must be a YAML mapping"),
    ("format: xml\n", "format must be csv or jsonl"),
    ("encoding: klingon\n", "unknown encoding"),
    ("delimiter: '||'\n", "delimiter must be one character"),
    ("bookings: {derive: {seq: {magic: X}}}\n", "needs one of template, hex_int, sequence_within"),
    ("bookings: {derive: {seq: {hex_int: X, digits: 12}}}\n", "digits must be 1-7"),
    ("bookings: {repeated_rows: sometimes}\n", "repeated_rows must be reject or merge"),
    ("bookings: [1, 2]\n", "must be a YAML mapping"),
    ("bookings: {columns: {a: b}\n", "not valid YAML"),
])
def test_it_explains_a_broken_mapping(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message):
        load_mapping(path)


def test_it_reads_yaml_typed_keys_as_the_text_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("values: {ice_hold: {1: true, 0: false}}\nconstants: {date_of_birth: 1900-01-01}\n")
    section = load_mapping(path).section("bookings")
    assert section is not None
    out, problems = section.apply({"ice_hold": "1"})
    assert problems == [] and out == {"ice_hold": "true", "date_of_birth": "1900-01-01"}
