"""A jail export's own history: its ICE holds become historical requests and its outcome flags are recorded
(issue 11 items 1 and 2), so they count in reports and show on pages; re-importing changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from handoff.core.errors import InvalidInput
from handoff.custody.models import Booking
from handoff.evidence.services import outcome_counts
from handoff.ingest.mapping import load_mapping
from handoff.notices.models import Notice, Outcome
from handoff.requests.models import Decision, ImmigrationRequest

from .conftest import Run
from .helpers import write_csv

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]

HEADER = ["booking_id", "booking_dt", "release_dt", "imm_hold", "release_to_imm", "cancel_detainer", "charge"]
MAP = """\
bookings:
  passthrough: false
  repeated_rows: merge
  columns: {booking_number: booking_id, booked_at: booking_dt, released_at: release_dt, ice_hold: imm_hold}
  constants: {facility: WA-PIERCE, last_name: UNKNOWN}
  derive:
    first_name: {template: "P-{booking_id}"}
  values:
    ice_hold: {map: {"1": "true"}, default: "false"}
  outcomes:
    release_to_imm: transferred_to_ice
    cancel_detainer: {cancel}
"""
ROWS = [
    # one row per charge: the booking's columns repeat on each
    ["B1", "2017-01-02 10:00:00", "2017-02-01 08:00:00", "1", "1", "0", "THEFT 1"],
    ["B1", "2017-01-02 10:00:00", "2017-02-01 08:00:00", "1", "1", "0", "HOLD IMMIGRAT"],
    ["B2", "2017-01-05 10:00:00", "2017-01-20 08:00:00", "1", "0", "1", "ASSAULT 4"],
    ["B3", "2017-01-06 10:00:00", "2017-03-01 08:00:00", "1", "1", "1", "DUI"],  # both flags: went to ICE
    ["B4", "2017-01-07 10:00:00", "2017-01-09 08:00:00", "1", "0", "0", "DWLS 3"],  # a hold, no outcome flag
    ["B5", "2017-01-08 10:00:00", "2017-01-10 08:00:00", "0", "0", "0", "THEFT 3"],  # no hold
]


def _files(tmp_path: Path, rows: list[list[str]], cancel: str = "detainer_cancelled") -> tuple[Path, Path]:
    mapping = tmp_path / "jail.yaml"
    mapping.write_text(MAP.replace("{cancel}", cancel))
    return write_csv(tmp_path / "export.csv", HEADER, rows), mapping


def test_it_makes_a_historical_request_per_hold_and_records_the_exports_outcomes(
        jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, ROWS)
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.code == 0, run.rejects()

    held = ImmigrationRequest.objects.filter(historical=True).order_by("booking_number")
    assert [r.booking_number for r in held] == ["B1", "B2", "B3", "B4"]
    assert all(r.booking is not None and r.booking.booking_number == r.booking_number for r in held)
    assert held[0].office.code == "JAIL-RECORD"  # the export does not say which office asked
    assert held[0].received_at == Booking.objects.get(booking_number="B1").booked_at
    outcomes = dict(Outcome.objects.values_list("booking__booking_number", "kind"))
    assert outcomes == {"B1": "transferred_to_ice", "B2": "detainer_cancelled", "B3": "transferred_to_ice"}
    assert set(Outcome.objects.values_list("source", flat=True)) == {"import"}
    assert Outcome.objects.get(booking__booking_number="B1").request == held[0]
    # history: never decided, never notified
    assert not Decision.objects.exists() and not Notice.objects.exists()
    # they count: every held booking has its one outcome (B4: released, no notice had gone out)
    counts = outcome_counts()
    assert (counts["transferred_to_ice"], counts["detainer_cancelled"], counts["released_before_notice"]) == (2, 1, 1)
    assert sum(counts.values()) == 4


def test_it_changes_nothing_when_the_same_export_is_imported_again(jails: dict, ingest: Ingest,
                                                                   tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, ROWS)
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    before = (list(ImmigrationRequest.objects.order_by("pk").values_list("pk", "request_id", "updated_at")),
              list(Outcome.objects.order_by("pk").values_list("pk", "kind", "recorded_at")))
    again = ingest("bookings", path, "--mapping", str(mapping))
    assert (again.report["accepted"], again.report["updated"], again.report["unchanged"]) == (0, 0, 5)
    after = (list(ImmigrationRequest.objects.order_by("pk").values_list("pk", "request_id", "updated_at")),
             list(Outcome.objects.order_by("pk").values_list("pk", "kind", "recorded_at")))
    assert after == before


def test_it_keeps_an_outcome_staff_recorded_over_the_exports(jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, ROWS)
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    Outcome.objects.filter(booking__booking_number="B2").update(kind="released_ice_not_present", source="staff")
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    assert Outcome.objects.get(booking__booking_number="B2").kind == "released_ice_not_present"


def test_it_refuses_a_map_that_names_an_unknown_outcome_with_its_file_and_line(jails: dict, ingest: Ingest,
                                                                                tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, ROWS, cancel="cancelled")
    line = next(i for i, text in enumerate(mapping.read_text().splitlines(), 1) if "cancel_detainer:" in text)
    with pytest.raises(InvalidInput) as exc:
        load_mapping(mapping)
    message = str(exc.value)
    assert f"mapping {mapping}, line {line}: bookings.outcomes.cancel_detainer: unknown outcome 'cancelled'" in message
    assert "detainer_cancelled" in message  # says what it may be
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.code == 2 and f"line {line}" in (run.stderr + str(run.report))
    assert not Booking.objects.exists()


def test_it_refuses_an_unknown_outcome_in_a_value_map_with_its_line(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("bookings:\n  columns: {outcome: DISPO}\n  values:\n    outcome:\n"
                       "      map:\n        ICE: transferred_to_ice\n        GONE: left\n")
    with pytest.raises(InvalidInput, match=r"line 7: bookings\.values\.outcome\.map\.GONE: unknown outcome 'left'"):
        load_mapping(mapping)


def test_it_rejects_a_row_whose_outcome_needs_a_release_that_has_not_happened(jails: dict, ingest: Ingest,
                                                                              tmp_path: Path) -> None:
    path, mapping = _files(tmp_path, ROWS)
    mapping.write_text(mapping.read_text().replace("release_to_imm: transferred_to_ice",
                                                   "release_to_imm: released_ice_not_present"))
    rows = [["B9", "2017-01-02 10:00:00", "", "1", "1", "0", "THEFT 1"]]
    path = write_csv(tmp_path / "open.csv", HEADER, rows)
    run = ingest("bookings", path, "--mapping", str(mapping))
    assert run.code == 1
    (reject,) = run.rejects()
    assert (reject["row"], reject["field"], reject["value"]) == ("2", "outcome", "released_ice_not_present")
    assert "no release" in reject["reason"]


def test_it_withdraws_the_historical_request_when_a_later_export_says_there_was_no_hold(
        jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    """A jail corrects its export: B4 never had an ICE hold. The request made from the first export must stop
    counting everywhere (it stood for nothing but that flag), and come back if the flag comes back."""
    from handoff.evidence.counting import counted
    from handoff.evidence.services import custody_time_figures

    path, mapping = _files(tmp_path, ROWS)
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    assert sum(outcome_counts().values()) == 4
    corrected = [[*r[:3], "0", *r[4:]] if r[0] == "B4" else r for r in ROWS]
    fixed = ingest("bookings", write_csv(tmp_path / "corrected.csv", HEADER, corrected), "--mapping", str(mapping))
    assert fixed.code == 0, fixed.rejects()

    b4 = ImmigrationRequest.objects.get(booking_number="B4")
    assert b4.status == "withdrawn" and b4.withdrawn_at is not None and "no longer records" in b4.match_note
    assert not counted().filter(pk=b4.pk).exists()
    assert sum(outcome_counts().values()) == 3  # B1, B2, B3 only
    held = next(g for g in custody_time_figures(facility_code="WA-PIERCE")["groups"] if g["group"] == "ice_hold")
    assert held["bookings"] == 3
    # the same corrected export again changes nothing; the original export brings the hold back
    assert ingest("bookings", tmp_path / "corrected.csv", "--mapping", str(mapping)).code == 0
    assert ImmigrationRequest.objects.filter(historical=True).count() == 4
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    b4.refresh_from_db()
    assert b4.status == "matched" and b4.withdrawn_at is None and counted().filter(pk=b4.pk).exists()
    assert sum(outcome_counts().values()) == 4


def test_it_counts_a_hold_once_when_the_federal_request_for_the_same_booking_is_on_file(
        jails: dict, ingest: Ingest, tmp_path: Path) -> None:
    """The export's hold and ICE's own detainer for that booking are one hold: counted once, as the real one."""
    from handoff.evidence.counting import counted

    path, mapping = _files(tmp_path, ROWS)
    assert ingest("bookings", path, "--mapping", str(mapping)).code == 0
    hist = ImmigrationRequest.objects.get(booking_number="B4")
    real = ImmigrationRequest.objects.create(
        request_id="SEA-2017-1", kind="detainer", issued_at=hist.received_at, received_at=hist.received_at,
        office=hist.office, facility=hist.facility, booking=hist.booking, booking_number="B4", status="matched")
    assert set(counted().filter(booking_number="B4")) == {real}
    assert sum(outcome_counts().values()) == 4
