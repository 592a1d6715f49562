"""NYC Admin. Code 9-131 counts its five years back from the *instant arrest* (law review us-ny-nyc 1): a jail's
export or API call may now carry the arrest time, and a New York City decision counts from it; without it the
decision says that it counted from the day of the decision instead (which can only leave a conviction out).

Why end to end: the arrest time crosses four layers (a column map, the booking row, the facts the engine is
given, the NYC rule) and a break in any one silently brings back the old count."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from handoff.custody.models import Booking

from .conftest import Run
from .helpers import write_csv

pytestmark = pytest.mark.django_db
Ingest = Callable[..., Run]
NOW = datetime(2025, 6, 1, 16, 0, tzinfo=UTC)
# A robbery in the first degree (N.Y. Penal Law 160.15, a 9-131(a)(7) violent felony) on 2020-03-01: inside the
# five years before an arrest on 2025-01-15, outside the five years before the decision on 2025-06-01.
ROBBERY = {"statute": "NY PL 160.15", "level": "felony", "convicted_on": date(2020, 3, 1), "state": "NY"}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def nyc(db: None) -> dict[str, Any]:
    """A Manhattan jail under the shipped library (chain us-federal, us-ny, us-ny-nyc) and an ICE office."""
    from handoff.jurisdictions.models import Facility, FederalOffice, Jurisdiction
    from handoff.jurisdictions.services import assign_shipped_policies
    from handoff.policy.registry import registry

    us = Jurisdiction.objects.create(fips="us", name="United States", kind="nation")
    ny = Jurisdiction.objects.create(fips="36", name="New York", kind="state", parent=us, postal="NY",
                                     default_timezone="America/New_York")
    manhattan = Jurisdiction.objects.create(fips="36061", name="New York County", kind="county", parent=ny,
                                            postal="NY", default_timezone="America/New_York")
    assign_shipped_policies((doc.id, doc.jurisdictions) for doc in registry().policies.values())
    facility = Facility.objects.create(code="NYC-MDC", name="Manhattan Detention Complex", jurisdiction=manhattan,
                                       timezone="America/New_York")
    office = FederalOffice.objects.create(code="NYC", name="ICE ERO New York", email="ero-nyc@example.gov")
    office.covers.set([manhattan])
    return {"facility": facility, "office": office}


MAP = """
bookings:
  passthrough: false
  columns: {booking_number: BOOK_NO, booked_at: BOOK_DT, arrested_at: ARREST_DT, last_name: NAME_L,
            first_name: NAME_F, date_of_birth: DOB}
  constants: {facility: NYC-MDC}
  formats: {booked_at: "%m/%d/%Y %H:%M", arrested_at: "%m/%d/%Y %H:%M", date_of_birth: "%m/%d/%Y"}
"""
HEADER = ["BOOK_NO", "BOOK_DT", "ARREST_DT", "NAME_L", "NAME_F", "DOB"]


def _import(tmp_path: Path, ingest: Ingest, rows: list[list[str]]) -> Run:
    mapping = tmp_path / "doc.yaml"
    mapping.write_text(MAP)
    path = write_csv(tmp_path / "doc.csv", HEADER, rows)
    return ingest("bookings", path, "--mapping", str(mapping))


def _detainer(booking: Booking, request_id: str) -> Any:
    from tests.web.world import send_request

    return send_request(request_id, booking, "NYC", warrant="judicial")


def _reason(decision: Any, rule: str) -> dict[str, Any]:
    return next(r for r in decision.reasons if r["rule"] == rule)


def test_it_reads_the_arrest_time_from_a_mapped_export_in_the_jails_zone(nyc: dict, ingest: Ingest,
                                                                          tmp_path: Path) -> None:
    run = _import(tmp_path, ingest, [["M1", "01/16/2025 02:10", "01/15/2025 23:40", "ROE", "ANA", "04/04/1990"],
                                     ["M2", "01/16/2025 03:00", "", "POE", "ED", "05/05/1985"]])
    assert run.code == 0, run.rejects()
    # 23:40 on Jan 15 in New York is 04:40 UTC on Jan 16; the decision's facts keep the local date, Jan 15
    assert Booking.objects.get(booking_number="M1").arrested_at == datetime(2025, 1, 16, 4, 40, tzinfo=UTC)
    assert Booking.objects.get(booking_number="M2").arrested_at is None


def test_it_refuses_an_arrest_recorded_after_the_booking(nyc: dict, ingest: Ingest, tmp_path: Path) -> None:
    run = _import(tmp_path, ingest, [["M3", "01/16/2025 02:10", "01/17/2025 09:00", "ROE", "ANA", "04/04/1990"]])
    assert run.report["rejected"] == 1
    [reject] = run.rejects()
    assert "arrested after the booking" in str(reject)
    assert not Booking.objects.filter(booking_number="M3").exists()


def test_it_keeps_a_known_arrest_time_when_a_later_export_leaves_it_blank(nyc: dict, ingest: Ingest,
                                                                           tmp_path: Path) -> None:
    _import(tmp_path, ingest, [["M4", "01/16/2025 02:10", "01/15/2025 23:40", "ROE", "ANA", "04/04/1990"]])
    again = _import(tmp_path, ingest, [["M4", "01/16/2025 02:10", "", "ROE", "ANA", "04/04/1990"]])
    assert again.code == 0
    assert Booking.objects.get(booking_number="M4").arrested_at == datetime(2025, 1, 16, 4, 40, tzinfo=UTC)


def test_it_counts_the_nyc_five_years_back_from_the_arrest(nyc: dict, ingest: Ingest, tmp_path: Path) -> None:
    from handoff.custody.models import Conviction

    _import(tmp_path, ingest, [["M5", "01/16/2025 02:10", "01/15/2025 23:40", "ROE", "ANA", "04/04/1990"]])
    booking = Booking.objects.get(booking_number="M5")
    Booking.objects.filter(pk=booking.pk).update(scheduled_release_at=NOW + timedelta(days=5))
    Conviction.objects.create(person=booking.person, source_key="k-m5", **ROBBERY)
    req = _detainer(booking, "NYC-2025-0001")
    d = req.current_decision
    assert d.facts["booking"]["arrested_on"] == "2025-01-15"
    assert (d.notify, d.hold, d.transfer) == (True, "permitted", "permitted")
    assert _reason(d, "nyc-9-131-b-conviction")["holds"] is True
    assert _reason(d, "nyc-9-131-lookback-anchor")["holds"] is False


def test_it_says_the_count_started_today_when_the_arrest_is_unknown(nyc: dict, ingest: Ingest,
                                                                     tmp_path: Path) -> None:
    from handoff.custody.models import Conviction

    _import(tmp_path, ingest, [["M6", "01/16/2025 02:10", "", "ROE", "ANA", "04/04/1990"]])
    booking = Booking.objects.get(booking_number="M6")
    Conviction.objects.create(person=booking.person, source_key="k-m6", **ROBBERY)
    d = _detainer(booking, "NYC-2025-0002").current_decision
    assert "arrested_on" not in d.facts["booking"]
    # the same robbery, counted from 2025-06-01, is more than five years old: nothing is honoured or shared
    assert (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")
    anchor = _reason(d, "nyc-9-131-lookback-anchor")
    assert anchor["holds"] is True
    assert "counted back from the date of this decision" in anchor["detail"]
    assert anchor["cite"].startswith("N.Y.C. Admin. Code 9-131")


def test_it_redecides_when_the_arrest_time_arrives_later(nyc: dict, ingest: Ingest, tmp_path: Path) -> None:
    """A jail that adds the arrest time on a later export gets the count from the arrest, not a stale decline."""
    from handoff.custody.models import Conviction

    _import(tmp_path, ingest, [["M7", "01/16/2025 02:10", "", "ROE", "ANA", "04/04/1990"]])
    booking = Booking.objects.get(booking_number="M7")
    Conviction.objects.create(person=booking.person, source_key="k-m7", **ROBBERY)
    req = _detainer(booking, "NYC-2025-0003")
    assert req.current_decision.hold == "prohibited"
    _import(tmp_path, ingest, [["M7", "01/16/2025 02:10", "01/15/2025 23:40", "ROE", "ANA", "04/04/1990"]])
    req.refresh_from_db()
    assert req.current_decision.hold == "permitted"
    assert req.current_decision.facts["booking"]["arrested_on"] == "2025-01-15"


# --- youthful-offender and juvenile-delinquency adjudications (law review us-ny-nyc 6) -----------------------

HISTORY = ["facility", "last_name", "first_name", "date_of_birth", "statute", "level", "convicted_on", "state",
           "adjudication"]


def test_it_never_counts_a_youthful_offender_adjudication_as_a_nyc_conviction(nyc: dict, ingest: Ingest,
                                                                              tmp_path: Path) -> None:
    """The jail's history export marks the adjudication; the decision declines and names the rule, for a person
    to confirm (the rule is flagged uncertain)."""
    _import(tmp_path, ingest, [["M8", "05/01/2025 02:10", "04/30/2025 22:00", "ROE", "ANA", "04/04/1990"]])
    history = write_csv(tmp_path / "history.csv", HISTORY,
                        [["NYC-MDC", "ROE", "ANA", "1990-04-04", "NY PL 160.15", "felony", "2023-02-01", "NY",
                          "youthful_offender"]])
    run = ingest("convictions", history)
    assert run.code == 0, run.rejects()
    booking = Booking.objects.get(booking_number="M8")
    assert booking.person.convictions.get().adjudication == "youthful_offender"
    d = _detainer(booking, "NYC-2025-0004").current_decision
    assert (d.notify, d.hold, d.review) == (False, "prohibited", True)
    assert d.facts["convictions"][0]["adjudication"] == "youthful_offender"
    yo = _reason(d, "nyc-9-131-a-yo-jd-not-conviction")
    assert yo["holds"] is True and yo["uncertain"] is True and "720.35(1)" in yo["cite"]
    assert _reason(d, "nyc-9-131-b-conviction")["holds"] is False


def test_it_refuses_an_adjudication_it_does_not_know(nyc: dict, ingest: Ingest, tmp_path: Path) -> None:
    _import(tmp_path, ingest, [["M9", "05/01/2025 02:10", "", "ROE", "ANA", "04/04/1990"]])
    history = write_csv(tmp_path / "history.csv", HISTORY,
                        [["NYC-MDC", "ROE", "ANA", "1990-04-04", "NY PL 160.15", "felony", "2023-02-01", "NY",
                          "sealed"]])
    run = ingest("convictions", history)
    assert run.report["rejected"] == 1 and "adjudication" in str(run.rejects())


def test_it_takes_custody_days_from_a_history_export_and_leaves_them_out_of_the_five_years(
        nyc: dict, ingest: Ingest, tmp_path: Path) -> None:
    """A 2019-12-01 robbery is 5 years and 45 days before a 2025-01-15 arrest; 60 days in custody after it
    (which 9-131 does not count) bring it back inside. Before this, ingest could not carry custody days at all."""
    from handoff.custody.models import Conviction

    _import(tmp_path, ingest, [["M10", "01/16/2025 02:10", "01/15/2025 23:40", "ROE", "ANA", "04/04/1990"]])
    booking = Booking.objects.get(booking_number="M10")
    Booking.objects.filter(pk=booking.pk).update(scheduled_release_at=NOW + timedelta(days=5))
    header = [*HISTORY[:-1], "custody_days_since"]
    history = write_csv(tmp_path / "history.csv", header,
                        [["NYC-MDC", "ROE", "ANA", "1990-04-04", "NY PL 160.15", "felony", "2019-12-01", "NY", "60"]])
    assert ingest("convictions", history).code == 0
    assert Conviction.objects.get(person=booking.person).custody_days_since == 60
    d = _detainer(booking, "NYC-2025-0005").current_decision
    assert d.facts["convictions"][0]["custody_days_since"] == 60
    assert (d.notify, d.hold) == (True, "permitted")
    bad = write_csv(tmp_path / "bad.csv", header,
                    [["NYC-MDC", "ROE", "ANA", "1990-04-04", "NY PL 160.10", "felony", "2019-12-02", "NY", "-3"]])
    assert ingest("convictions", bad).report["rejected"] == 1
