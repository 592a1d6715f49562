"""Property tests for the reader and validation: valid rows survive CSV and JSON Lines unchanged; garbage
never escapes as anything but a reported reject (or, for an unreadable file, exit 2)."""

from __future__ import annotations

import csv
import json
import string
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from handoff.custody import services
from handoff.custody.models import Booking, Person, RecordChange, ReleaseScheduleChange
from handoff.ingest.handlers import BookingHandler, ChargeHandler, ConvictionHandler
from handoff.ingest.runner import run_ingest

from .helpers import BOOKING_HEADER

pytestmark = pytest.mark.django_db
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ZONES = {"LA-MCJ": ZoneInfo("America/Los_Angeles"), "HARRIS": ZoneInfo("America/Chicago")}

# Names with the characters that break naive CSV writers and readers: commas, quotes, semicolons, accents.
name_text = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs", "Pd", "Po"), include_characters=",;'\"|ÉñØ"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)
local_minute = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2023, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))


@st.composite
def booking_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=6))
    numbers = draw(st.lists(st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=20),
                            min_size=n, max_size=n, unique=True))
    rows = []
    for number in numbers:
        booked = draw(local_minute)
        row: dict[str, Any] = {
            "facility": draw(st.sampled_from(sorted(ZONES))),
            "booking_number": number,
            "booked_at": booked.isoformat(sep=" "),
            "last_name": draw(name_text),
            "first_name": draw(name_text),
            "date_of_birth": draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 12, 31))).isoformat(),
            "sex": draw(st.sampled_from(["", "M", "F", "X", "U"])),
            "fbi_number": "",
            "state_id": "",
            "a_number": draw(st.one_of(st.just(""), st.from_regex(r"\AA[0-9]{8,9}\Z"))),
            "scheduled_release_at": "",
            "release_type": draw(st.sampled_from(["", "scheduled", "courtroom", "bail", "other"])),
            "released_at": "",
            "release_reason": draw(st.sampled_from(["", "bail_posted", "sentence_served", "other"])),
        }
        if draw(st.booleans()):
            later = booked + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 400)))
            row["scheduled_release_at"] = later.isoformat()
        if draw(st.booleans()):
            delta = timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 30)))
            if draw(st.booleans()):  # an explicit offset: the instant itself
                instant = booked.replace(tzinfo=ZONES[row["facility"]]).astimezone(UTC) + delta
                row["released_at"] = instant.isoformat()
            else:
                row["released_at"] = (booked + delta).isoformat()
        rows.append(row)
    # Different people (same name + date of birth, or the same A-number, is the same person by design).
    assume(len({(r["last_name"], r["first_name"], r["date_of_birth"]) for r in rows}) == len(rows))
    a_numbers = [r["a_number"] for r in rows if r["a_number"]]
    assume(len(set(a_numbers)) == len(a_numbers))
    return rows


def _instant(value: str, facility: str) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZONES[facility])
    return dt.astimezone(UTC)


def _stored() -> dict[str, tuple[Any, ...]]:
    return {
        b.booking_number: (b.facility.code, b.booked_at, b.scheduled_release_at, b.released_at, b.release_type,
                           b.release_reason, b.person.last_name, b.person.first_name, b.person.date_of_birth,
                           b.person.sex, b.person.a_number)
        for b in Booking.objects.select_related("facility", "person")
    }


def _expected(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        r["booking_number"]: (r["facility"], _instant(r["booked_at"], r["facility"]),
                              _instant(r["scheduled_release_at"], r["facility"]),
                              _instant(r["released_at"], r["facility"]), r["release_type"], r["release_reason"],
                              r["last_name"], r["first_name"], date.fromisoformat(r["date_of_birth"]), r["sex"],
                              r["a_number"])
        for r in rows
    }


def _wipe() -> None:
    RecordChange.objects.all().delete()
    ReleaseScheduleChange.objects.all().delete()
    Booking.objects.all().delete()
    Person.objects.all().delete()


@SETTINGS
@given(rows=booking_rows())
def test_it_stores_any_valid_booking_row_the_same_from_csv_and_json_lines(jails: dict, rows: list[dict]) -> None:
    _wipe()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        with (folder / "b.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, BOOKING_HEADER)
            w.writeheader()
            w.writerows(rows)
        (folder / "b.jsonl").write_text(
            "".join(json.dumps({k: v for k, v in r.items() if v}, ensure_ascii=False) + "\n" for r in rows),
            encoding="utf-8")
        from_csv = run_ingest(folder / "b.csv", BookingHandler(source="prop"), rejects_path=folder / "r1.csv")
        assert (from_csv.exit_code, from_csv.accepted) == (0, len(rows)), (folder / "r1.csv").read_text()
        assert _stored() == _expected(rows)
        from_jsonl = run_ingest(folder / "b.jsonl", BookingHandler(source="prop"), rejects_path=folder / "r2.csv")
        assert (from_jsonl.exit_code, from_jsonl.unchanged) == (0, len(rows)), (folder / "r2.csv").read_text()
        assert _stored() == _expected(rows)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
field_names = st.sampled_from(sorted(services.BOOKING_KNOWN | services.CHARGE_KNOWN | services.CONVICTION_KNOWN))
plausible = st.one_of(json_value, st.sampled_from(["LA-MCJ", "2024-01-01", "2024-02-30T10:00", "A123456789",
                                                   "felony", "true", "M", "9" * 30, "=cmd()", "\x00"]))


@SETTINGS
@given(records=st.lists(st.dictionaries(field_names, plausible, max_size=12), min_size=1, max_size=8))
def test_it_turns_any_json_garbage_into_rejects_never_an_exception(jails: dict, records: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "g.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        for handler in (BookingHandler(source="g"), ChargeHandler(source="g"), ConvictionHandler(source="g")):
            report = run_ingest(path, handler, rejects_path=Path(d) / "r.csv")
            assert report.error is None
            assert report.accepted + report.updated + report.unchanged + report.rejected == len(records)
            with (Path(d) / "r.csv").open(newline="", encoding="utf-8") as fh:
                rejected_rows = {r["row"] for r in csv.DictReader(fh)}
            assert len(rejected_rows) == report.rejected


@SETTINGS
@given(data=st.binary(max_size=400), gz=st.booleans())
def test_it_reads_any_bytes_without_raising(jails: dict, data: bytes, gz: bool) -> None:
    import gzip

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "g.csv"
        payload = ",".join(BOOKING_HEADER).encode() + b"\n" + data
        if gz:
            whole = gzip.compress(payload)
            payload = whole[: len(whole) * 3 // 4]  # and truncated
        path.write_bytes(payload)
        report = run_ingest(path, BookingHandler(source="g"), rejects_path=Path(d) / "r.csv")
        assert report.exit_code in (0, 1, 2)
        if gz:
            assert report.exit_code == 2 and report.error and "line" in report.error


@st.composite
def overlapping_people(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Bookings of few people with few names and identifiers, so matching merges and conflicts happen."""
    n = draw(st.integers(min_value=2, max_value=10))
    rows = []
    for i in range(n):
        rows.append({
            "facility": draw(st.sampled_from(sorted(ZONES))), "booking_number": f"B{i}",
            "booked_at": "2020-01-01 10:00", "last_name": draw(st.sampled_from(["LEE", "KIM"])),
            "first_name": "ANN", "date_of_birth": draw(st.sampled_from(["1990-01-01", "1991-01-01"])),
            "sex": draw(st.sampled_from(["", "M", "F"])), "fbi_number": draw(st.sampled_from(["", "F1", "F2"])),
            "state_id": draw(st.sampled_from(["", "S1"])), "a_number": draw(st.sampled_from(["", "A000000001"])),
            "scheduled_release_at": "", "release_type": "", "released_at": "", "release_reason": "",
        })
    return rows


@SETTINGS
@given(rows=overlapping_people())
def test_it_changes_nothing_on_any_rerun_however_people_overlap(jails: dict, rows: list[dict]) -> None:
    _wipe()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "b.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, BOOKING_HEADER)
            w.writeheader()
            w.writerows(rows)
        first = run_ingest(path, BookingHandler(source="p"), rejects_path=Path(d) / "r.csv")
        assert first.accepted == len(rows)
        for _ in range(2):
            again = run_ingest(path, BookingHandler(source="p"), rejects_path=Path(d) / "r.csv")
            assert (again.unchanged, again.updated, again.accepted) == (len(rows), 0, 0)
