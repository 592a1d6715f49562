"""Every kind of bad input the issue names: a clear reason in the rejects file, every other row kept."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from handoff.custody.models import Booking, Person

from .conftest import Run
from .helpers import BOOKING_HEADER, booking, booking_rows, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

Ingest = Callable[..., Run]


def _file(tmp_path: Path, *rows: dict) -> Path:
    return write_csv(tmp_path / "bookings.csv", BOOKING_HEADER, booking_rows(list(rows)))


def _only_reject(run: Run) -> dict[str, str]:
    rejects = run.rejects()
    assert len(rejects) == 1, rejects
    return rejects[0]


def test_it_rejects_a_missing_required_field_and_keeps_the_other_rows(jails: dict, ingest: Ingest,
                                                                      tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1), booking(2, booked_at=""), booking(3)))
    assert run.code == 1
    assert run.report["accepted"] == 2 and run.report["rejected"] == 1
    assert _only_reject(run) == {"row": "3", "field": "booked_at", "value": "", "reason": "missing required field"}
    assert set(Booking.objects.values_list("booking_number", flat=True)) == {"B00001", "B00003"}


def test_it_books_someone_with_one_name_or_no_date_of_birth_but_not_nameless(jails: dict, ingest: Ingest,
                                                                             tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, first_name=""), booking(2, date_of_birth=""),
                                   booking(3, last_name="", first_name="")))
    assert run.report["accepted"] == 2
    assert _only_reject(run) == {"row": "4", "field": "last_name", "value": "",
                                 "reason": "give last_name or first_name (or both)"}
    assert Booking.objects.get(booking_number="B00002").person.date_of_birth is None


def test_it_rejects_an_unknown_facility(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, facility="NO-SUCH-JAIL"), booking(2)))
    reject = _only_reject(run)
    assert (reject["row"], reject["field"], reject["value"]) == ("2", "facility", "NO-SUCH-JAIL")
    assert "unknown facility" in reject["reason"]
    assert Booking.objects.get().booking_number == "B00002"


@pytest.mark.parametrize("field,value", [("booked_at", "2024-13-45 08:00"), ("booked_at", "yesterday"),
                                         ("date_of_birth", "05/17/1990"), ("released_at", "2024-03-01T25:00")])
def test_it_rejects_a_malformed_date(jails: dict, ingest: Ingest, tmp_path: Path, field: str, value: str) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1), booking(2, **{field: value})))
    reject = _only_reject(run)
    assert (reject["row"], reject["field"], reject["value"]) == ("3", field, value)
    assert reject["reason"].startswith("not a date")
    assert Booking.objects.count() == 1


def test_it_rejects_a_date_of_birth_in_the_future(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, date_of_birth="2999-01-01"), booking(2)))
    assert _only_reject(run)["reason"] == "date of birth is in the future"
    assert Booking.objects.count() == 1


def test_it_rejects_a_release_before_the_booking(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, booked_at="2024-03-02 08:00",
                                                     released_at="2024-03-01 08:00"), booking(2)))
    reject = _only_reject(run)
    assert (reject["field"], reject["reason"]) == ("released_at", "released before booked")
    assert Booking.objects.count() == 1


def test_it_rejects_the_second_copy_of_a_booking_as_a_duplicate(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1), booking(2), booking(1, last_name="OTHER")))
    assert _only_reject(run) == {"row": "4", "field": "booking_number", "value": "B00001",
                                 "reason": "duplicate of row 2"}
    assert Booking.objects.get(booking_number="B00001").person.last_name == "LAST1"
    assert Booking.objects.count() == 2


def test_it_finds_a_duplicate_in_a_later_batch(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    rows = [booking(i) for i in range(1, 8)] + [booking(3)]
    run = ingest("bookings", _file(tmp_path, *rows), "--batch-size", "3")
    assert _only_reject(run)["reason"] == "duplicate of row 4"
    assert run.report["accepted"] == 7


@pytest.mark.parametrize("value", ["12345678", "A1234567", "A1234567890", "B123456789", "A12345678X"])
def test_it_rejects_an_a_number_of_the_wrong_shape(jails: dict, ingest: Ingest, tmp_path: Path, value: str) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, a_number=value), booking(2, a_number="A123456789")))
    reject = _only_reject(run)
    assert (reject["field"], reject["value"]) == ("a_number", value)
    assert "A followed by 8 or 9 digits" in reject["reason"]
    assert Person.objects.get().a_number == "A123456789"


@pytest.mark.parametrize("field,value", [("sex", "male"), ("release_type", "parole"),
                                         ("release_reason", "escaped")])
def test_it_rejects_a_value_outside_the_list(jails: dict, ingest: Ingest, tmp_path: Path, field: str,
                                            value: str) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, **{field: value}), booking(2)))
    reject = _only_reject(run)
    assert (reject["field"], reject["value"]) == (field, value)
    assert reject["reason"].startswith("not one of")


def test_it_reports_every_problem_of_a_row(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", _file(tmp_path, booking(1, sex="Q", a_number="A1", date_of_birth="2999-01-01")))
    assert {r["field"] for r in run.rejects()} == {"sex", "a_number", "date_of_birth"}
    assert run.report["rejected"] == 1


def test_it_reads_a_latin1_file_with_a_warning(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    lines = [",".join(BOOKING_HEADER), ",".join(booking_rows([booking(1, last_name="MUÑOZ", first_name="JOSÉ")])[0])]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    run = ingest("bookings", path)
    assert run.code == 0, run.rejects()
    person = Person.objects.get()
    assert (person.last_name, person.first_name) == ("MUÑOZ", "JOSÉ")
    assert any("Latin-1" in w for w in run.report["warnings"])


def test_it_reads_latin1_when_the_mapping_says_so(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    lines = [";".join(BOOKING_HEADER), ";".join(booking_rows([booking(1, last_name="PEÑA")])[0])]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    mapping = tmp_path / "map.yaml"
    mapping.write_text("encoding: latin-1\ndelimiter: ';'\n")
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.code == 0 and run.report["warnings"] == []
    assert Person.objects.get().last_name == "PEÑA"


def test_it_refuses_an_empty_file(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    run = ingest("bookings", path)
    assert run.code == 2
    assert "empty file" in run.stderr
    assert Booking.objects.count() == 0


def test_it_refuses_an_empty_json_lines_file(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    run = ingest("bookings", path)
    assert run.code == 2 and "empty file" in run.stderr


def test_it_accepts_a_header_only_file_with_a_warning(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", write_csv(tmp_path / "header.csv", BOOKING_HEADER, []))
    assert run.code == 0
    assert run.report["rows"] == 0 and run.report["accepted"] == 0
    assert any("header only" in w for w in run.report["warnings"])


def test_it_ignores_unknown_columns_with_one_warning(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    header = [*BOOKING_HEADER, "shoe_size", "cell"]
    rows = [[*r, "44", "C-12"] for r in booking_rows([booking(i) for i in range(1, 6)])]
    run = ingest("bookings", write_csv(tmp_path / "extra.csv", header, rows))
    assert run.code == 0 and run.report["accepted"] == 5
    assert run.report["warnings"] == ["ignored unknown columns: cell, shoe_size"]
    assert run.stderr.count("warning:") == 1


def test_it_rejects_a_row_with_the_wrong_number_of_fields(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = _file(tmp_path, booking(1), booking(2))
    with path.open("a") as fh:
        fh.write("LA-MCJ,B9,2024-03-01\n")
    run = ingest("bookings", path)
    reject = _only_reject(run)
    assert reject["row"] == "4" and "fields but the header has" in reject["reason"]
    assert Booking.objects.count() == 2


def test_it_rejects_a_broken_json_line_and_keeps_the_rest(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [booking(1), booking(2)])
    with path.open("a") as fh:
        fh.write('{"facility": "LA-MCJ", "booking_number": \n[1, 2]\n')
    write_jsonl(tmp_path / "tail.jsonl", [booking(3)])
    path.write_text(path.read_text() + (tmp_path / "tail.jsonl").read_text())
    run = ingest("bookings", path)
    rejects = run.rejects()
    assert [(r["row"], r["reason"].split(":")[0]) for r in rejects] == [("3", "not valid JSON"),
                                                                         ("4", "expected a JSON object")]
    assert Booking.objects.count() == 3


def _gzip_rows(path: Path, n: int) -> bytes:
    rows = booking_rows([booking(i) for i in range(1, n + 1)])
    text = ",".join(BOOKING_HEADER) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    data = gzip.compress(text.encode(), mtime=0)
    path.write_bytes(data)
    return data


def test_it_stops_at_a_truncated_gzip_keeps_what_it_read_and_completes_on_rerun(
    jails: dict, ingest: Ingest, tmp_path: Path
) -> None:
    path = tmp_path / "bookings.csv.gz"
    whole = _gzip_rows(path, 3000)
    path.write_bytes(whole[: len(whole) // 2])
    run = ingest("bookings", path, "--batch-size", "500")
    assert run.code == 2
    assert "reading failed at line" in run.stderr and "truncated" in run.stderr
    kept = Booking.objects.count()
    assert 500 < kept < 3000
    assert run.report["accepted"] == kept and run.report["rejected"] == 0
    failed_at = run.report["error_line"]
    assert failed_at == kept + 2  # header + the complete rows before the break; no partial row was taken
    assert Booking.objects.filter(booking_number=f"B{kept:05d}").exists()

    path.write_bytes(whole)
    again = ingest("bookings", path)
    assert again.code == 0
    assert (again.report["accepted"], again.report["unchanged"]) == (3000 - kept, kept)
    assert Booking.objects.count() == 3000 and Person.objects.count() == 3000


def test_it_refuses_a_file_that_is_not_there(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = ingest("bookings", tmp_path / "missing.csv")
    assert run.code == 2 and "cannot open" in run.stderr


def test_it_refuses_a_bad_mapping_before_reading(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("bookings:\n  colums: {booking_number: ID}\n")
    run = ingest("bookings", _file(tmp_path, booking(1)), "--mapping", str(mapping))
    assert run.code == 2 and "unknown keys colums" in run.stderr
    assert Booking.objects.count() == 0
