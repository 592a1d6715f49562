"""Re-imports: the same file changes nothing; a changed row is updated and the change is recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handoff.custody.models import Booking, Charge, Conviction, Person, RecordChange, ReleaseScheduleChange

from .conftest import Run
from .helpers import BOOKING_HEADER, booking, booking_rows, write_csv, write_jsonl

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]

CHARGE_HEADER = ["facility", "booking_number", "seq", "statute", "description", "level", "wobbler", "disposition",
                 "disposition_date", "probable_cause_found", "categories"]


def _bookings(tmp_path: Path, rows: list[dict], name: str = "bookings.csv") -> Path:
    return write_csv(tmp_path / name, BOOKING_HEADER, booking_rows(rows))


def test_it_reports_everything_unchanged_on_a_rerun_and_writes_nothing(jails: dict, ingest: Ingest,
                                                                       tmp_path: Path) -> None:
    rows = [booking(i, scheduled_release_at="2024-04-01 09:00") for i in range(1, 21)]
    path = _bookings(tmp_path, rows)
    first = ingest("bookings", path)
    assert (first.code, first.report["accepted"]) == (0, 20)
    stamps = dict(Booking.objects.values_list("pk", "updated_at"))
    history = ReleaseScheduleChange.objects.count()
    second = ingest("bookings", path)
    assert second.code == 0
    assert {k: second.report[k] for k in ("accepted", "updated", "unchanged", "rejected")} == {
        "accepted": 0, "updated": 0, "unchanged": 20, "rejected": 0}
    assert dict(Booking.objects.values_list("pk", "updated_at")) == stamps
    assert RecordChange.objects.count() == 0
    assert ReleaseScheduleChange.objects.count() == history == 20


def test_it_updates_a_changed_row_and_records_old_and_new(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    ingest("bookings", _bookings(tmp_path, [booking(1, scheduled_release_at="2024-04-01 09:00"), booking(2)]))
    run = ingest("bookings", _bookings(tmp_path, [
        booking(1, scheduled_release_at="2024-04-03 09:00"), booking(2, released_at="2024-03-05 10:30",
                                                                     release_reason="bail_posted")]))
    assert (run.report["updated"], run.report["unchanged"]) == (2, 0)
    b1 = Booking.objects.get(booking_number="B00001")
    assert b1.scheduled_release_at == datetime(2024, 4, 3, 16, 0, tzinfo=UTC)  # 09:00 PDT
    change = RecordChange.objects.get(model="Booking", object_id=b1.pk)
    assert change.changes == {"scheduled_release_at": ["2024-04-01T16:00:00+00:00", "2024-04-03T16:00:00+00:00"]}
    assert "bookings.csv" in change.source
    assert list(ReleaseScheduleChange.objects.filter(booking=b1).values_list("previous", "scheduled_release_at")) == [
        (None, datetime(2024, 4, 1, 16, tzinfo=UTC)),
        (datetime(2024, 4, 1, 16, tzinfo=UTC), datetime(2024, 4, 3, 16, tzinfo=UTC)),
    ]
    b2 = RecordChange.objects.get(model="Booking", object_id=Booking.objects.get(booking_number="B00002").pk)
    assert b2.changes == {"released_at": [None, "2024-03-05T18:30:00+00:00"], "release_reason": ["", "bail_posted"]}


def test_it_records_a_corrected_name_on_the_person(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    ingest("bookings", _bookings(tmp_path, [booking(1, last_name="SMTIH")]))
    run = ingest("bookings", _bookings(tmp_path, [booking(1, last_name="SMITH")]))
    assert run.report["updated"] == 1
    person = Person.objects.get()
    assert person.last_name == "SMITH"
    assert RecordChange.objects.get(model="Person", object_id=person.pk).changes == {"last_name": ["SMTIH", "SMITH"]}


def test_it_reads_local_times_in_the_facilitys_zone_and_keeps_offsets(jails: dict, ingest: Ingest,
                                                                     tmp_path: Path) -> None:
    ingest("bookings", _bookings(tmp_path, [
        booking(1, booked_at="2024-01-15 08:00"),                          # PST, UTC-8
        booking(2, booked_at="2024-07-15T08:00:00"),                        # PDT, UTC-7
        booking(3, booked_at="2024-07-15T08:00:00+00:00"),                  # explicit offset wins
        booking(4, facility="HARRIS", booked_at="2024-07-15 08:00"),        # CDT, UTC-5
        booking(5, booked_at="2024-03-10 02:30"),                           # does not exist in LA (spring forward)
    ]))
    got = dict(Booking.objects.values_list("booking_number", "booked_at"))
    assert got["B00001"] == datetime(2024, 1, 15, 16, 0, tzinfo=UTC)
    assert got["B00002"] == datetime(2024, 7, 15, 15, 0, tzinfo=UTC)
    assert got["B00003"] == datetime(2024, 7, 15, 8, 0, tzinfo=UTC)
    assert got["B00004"] == datetime(2024, 7, 15, 13, 0, tzinfo=UTC)
    assert got["B00005"] == datetime(2024, 3, 10, 10, 30, tzinfo=UTC)


def test_it_imports_json_lines_the_same_as_csv(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    rows = [booking(i, fbi_number=f"FBI{i}", ice_hold=(i % 2 == 0)) for i in range(1, 4)]
    first = ingest("bookings", write_jsonl(tmp_path / "b.jsonl", rows))
    assert first.report["accepted"] == 3
    assert sorted(Booking.objects.values_list("booking_number", "ice_hold")) == [
        ("B00001", False), ("B00002", True), ("B00003", False)]
    csv_rows = [{**r, "ice_hold": "true" if r["ice_hold"] else "false"} for r in rows]
    again = ingest("bookings", write_csv(tmp_path / "b.csv", [*BOOKING_HEADER, "ice_hold"],
                                         [[r[h] for h in [*BOOKING_HEADER, "ice_hold"]] for r in csv_rows]))
    assert again.report["unchanged"] == 3


def test_it_updates_charges_and_records_a_disposition(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    ingest("bookings", _bookings(tmp_path, [booking(1), booking(2)]))
    rows = [["LA-MCJ", "B00001", 1, "CA PC 211", "robbery", "felony", "false", "pending", "", "true",
             "serious_felony;violent_felony"],
            ["LA-MCJ", "B00001", 2, "CA PC 459.5", "shoplifting", "misdemeanor", "", "pending", "", "", ""],
            ["LA-MCJ", "B00002", 1, "CA VC 23152", "DUI", "misdemeanor", "true", "pending", "", "", ""],
            ["LA-MCJ", "NOPE", 1, "CA VC 23152", "DUI", "misdemeanor", "", "pending", "", "", ""],
            ["LA-MCJ", "B00002", 2, "CA VC 23152", "DUI", "petty", "", "maybe", "", "", "speeding"]]
    first = ingest("charges", write_csv(tmp_path / "c.csv", CHARGE_HEADER, rows))
    assert (first.code, first.report["accepted"], first.report["rejected"]) == (1, 3, 2)
    reasons = {(r["row"], r["field"]): r["reason"] for r in first.rejects()}
    assert "no booking NOPE at facility LA-MCJ" in reasons[("5", "booking_number")]
    assert reasons[("6", "level")].startswith("not one of")
    assert reasons[("6", "disposition")].startswith("not one of")
    assert reasons[("6", "categories")] == "unknown offence category: speeding"
    robbery = Charge.objects.get(booking__booking_number="B00001", seq=1)
    assert robbery.categories == ["serious_felony", "violent_felony"] and robbery.probable_cause_found

    rows[1][7], rows[1][8] = "convicted", "2024-05-02"
    second = ingest("charges", write_csv(tmp_path / "c.csv", CHARGE_HEADER, rows))
    assert (second.report["updated"], second.report["unchanged"]) == (1, 2)
    shoplifting = Charge.objects.get(booking__booking_number="B00001", seq=2)
    assert RecordChange.objects.get(model="Charge", object_id=shoplifting.pk).changes == {
        "disposition": ["pending", "convicted"], "disposition_date": [None, "2024-05-02"]}
    assert ingest("charges", write_csv(tmp_path / "c.csv", CHARGE_HEADER, rows)).report["updated"] == 0


def test_it_imports_convictions_once_and_records_a_changed_level(jails: dict, ingest: Ingest,
                                                                 tmp_path: Path) -> None:
    ingest("bookings", _bookings(tmp_path, [booking(1, fbi_number="123456AB1")]))
    header = ["fbi_number", "last_name", "first_name", "date_of_birth", "statute", "level", "convicted_on", "state",
              "categories", "wobbler"]
    rows = [["123456AB1", "", "", "", "CA PC 211", "felony", "2019-04-02", "CA", "serious_felony", ""],
            ["", "NEW", "PERSON", "1980-01-01", "CA PC 245", "misdemeanor", "2022-01-05", "CA", "assault_battery",
             "true"],
            ["999999XX9", "", "", "", "CA PC 211", "felony", "2019-04-02", "CA", "", ""],
            ["", "", "", "", "CA PC 211", "felony", "2019-04-02", "CA", "", ""],
            ["123456AB1", "", "", "", "CA PC 211", "felony", "2999-04-02", "CA", "", ""]]
    path = write_csv(tmp_path / "conv.csv", header, rows)
    first = ingest("convictions", path)
    assert (first.report["accepted"], first.report["rejected"]) == (2, 3)
    reasons = {r["row"]: r["reason"] for r in first.rejects()}
    assert "no person with these identifiers" in reasons["4"]
    assert "no person identifiers" in reasons["5"]
    assert reasons["6"] == "conviction date is in the future"
    booked = Person.objects.get(fbi_number="123456AB1")
    assert booked.convictions.get().statute == "CA PC 211"
    assert Person.objects.get(last_name="NEW").convictions.get().wobbler is True

    assert ingest("convictions", path).report["unchanged"] == 2
    rows[1][5] = "felony"
    third = ingest("convictions", write_csv(tmp_path / "conv.csv", header, rows))
    assert (third.report["updated"], third.report["accepted"]) == (1, 0)
    conviction = Conviction.objects.get(statute="CA PC 245")
    assert conviction.level == "felony"
    assert RecordChange.objects.get(model="Conviction").changes == {"level": ["misdemeanor", "felony"]}
