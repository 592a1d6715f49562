"""`handoff report rearrest` and `handoff report custody-time` against a real database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from handoff.custody.models import Booking, Charge, Person
from handoff.evidence import services
from handoff.evidence.rearrest import GROUPS
from handoff.notices.models import Outcome
from handoff.requests.models import ImmigrationRequest

from .conftest import make_request, put_frame
from .synthetic import AS_OF_DAYS, START, frame, truth

pytestmark = pytest.mark.django_db
AS_OF = (START + timedelta(days=AS_OF_DAYS)).date()


def report(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("report", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def _give_requests(office: Any) -> None:
    """Declined: a request and no notice. Notified: a request whose outcome says ICE did not come."""
    n = 0
    for group in ("request_declined", "request_notified_released"):
        releases = Booking.objects.filter(person__first_name__startswith=group, released_at__isnull=False)
        reqs = []
        for b in releases:
            n += 1
            reqs.append(ImmigrationRequest(request_id=f"R-{n}", kind="detainer", issued_at=b.booked_at,
                                           received_at=b.booked_at, office=office, facility=b.facility, booking=b,
                                           booking_number=b.booking_number, status="matched"))
        ImmigrationRequest.objects.bulk_create(reqs)
        if group == "request_notified_released":
            Outcome.objects.bulk_create(Outcome(booking=r.booking, request=r, kind="released_ice_not_present",
                                                recorded_at=timezone.now(), source="system") for r in reqs)


def test_it_recovers_a_known_rearrest_rate_through_the_database_and_the_command(jails: dict, office: Any) -> None:
    put_frame(frame(500, seed=5), list(jails.values()))
    _give_requests(office)
    code, out, _ = report("rearrest", "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"as_of", "groups", "excluded"}
    assert [g["group"] for g in data["groups"]] == list(GROUPS)
    for g in data["groups"]:
        assert set(g) == {"group", "released", "rearrested", "km"}
        if g["group"] == "historical_hold":  # no jail export's hold in this data: the group is there, empty
            assert g["released"] == 0 and g["rearrested"] == 0
            continue
        assert g["released"] == 500
        for p in g["km"]:
            assert set(p) == {"days", "rearrest_rate", "ci_low", "ci_high"}
            assert abs(p["rearrest_rate"] - truth(g["group"], p["days"])) < 0.07, (g["group"], p)
            assert p["ci_low"] < p["rearrest_rate"] < p["ci_high"]


def test_it_follows_a_release_to_a_booking_in_another_state_but_keeps_the_cohort_in_the_jurisdiction(
        jails: dict) -> None:
    p = Person.objects.create(last_name="A", first_name="B", date_of_birth="1990-01-01")
    t = datetime(2021, 3, 1, 12, tzinfo=UTC)
    Booking.objects.create(facility=jails["PIERCE"], booking_number="1", person=p, booked_at=t,
                           released_at=t + timedelta(days=3), release_reason="bail_posted")
    Booking.objects.create(facility=jails["HARRIS"], booking_number="2", person=p, booked_at=t + timedelta(days=100),
                           released_at=t + timedelta(days=101), release_reason="bail_posted")
    Booking.objects.create(facility=jails["KING"], booking_number="3", person=p, booked_at=t + timedelta(days=200),
                           released_at=t + timedelta(days=201), release_reason="transferred_to_ice")
    code, out, _ = report("rearrest", "--as-of", "2024-01-01", "--jurisdiction", "53053", "--json")
    pierce = json.loads(out)
    assert code == 0
    assert pierce["groups"][0]["released"] == 1 and pierce["groups"][0]["rearrested"] == 1
    assert pierce["groups"][0]["km"][0]["rearrest_rate"] == 1.0
    wa = json.loads(report("rearrest", "--as-of", "2024-01-01", "--jurisdiction", "53", "--json")[1])
    assert wa["excluded"] == {"transferred_to_ice": 1, "transferred_other": 0}
    assert wa["groups"][0]["released"] == 1
    everywhere = json.loads(report("rearrest", "--as-of", "2024-01-01", "--json")[1])
    assert everywhere["groups"][0]["released"] == 2 and everywhere["groups"][0]["rearrested"] == 2


def test_it_groups_by_the_request_at_release(jails: dict, office: Any) -> None:
    t = datetime(2021, 3, 1, 12, tzinfo=UTC)
    made = []
    for i in range(6):
        p = Person.objects.create(last_name="A", first_name=f"P{i}", date_of_birth="1990-01-01")
        made.append(Booking.objects.create(facility=jails["PIERCE"], booking_number=f"X{i}", person=p, booked_at=t,
                                           released_at=t + timedelta(days=3), release_reason="bail_posted"))
    make_request(made[0], office, 1)  # no notice before release: declined (or too late)
    make_request(made[1], office, 2)
    Outcome.objects.create(booking=made[1], kind="released_ice_not_present", recorded_at=t, source="staff")
    make_request(made[2], office, 3, withdrawn_at=t + timedelta(days=1), status="withdrawn")  # gone before release
    make_request(made[4], office, 4, historical=True)  # only the jail's own record of a hold: its own group
    make_request(made[5], office, 5, historical=True)  # the jail's record AND the federal request: declined
    make_request(made[5], office, 6)
    out = json.loads(report("rearrest", "--as-of", "2022-01-01", "--json")[1])
    assert {g["group"]: g["released"] for g in out["groups"]} == {
        "no_request": 2, "request_declined": 2, "request_notified_released": 1, "historical_hold": 1}


def test_it_refuses_an_as_of_before_the_first_release_and_gives_zeros_for_nothing(jails: dict) -> None:
    code, _, err = report("rearrest", "--as-of", "2019-01-01", "--json")
    assert code == 0  # nothing recorded at all: zeros, not a refusal
    p = Person.objects.create(last_name="A", first_name="B", date_of_birth="1990-01-01")
    t = datetime(2021, 3, 1, 12, tzinfo=UTC)
    Booking.objects.create(facility=jails["PIERCE"], booking_number="1", person=p, booked_at=t,
                           released_at=t + timedelta(days=3), release_reason="bail_posted")
    code, _, err = report("rearrest", "--as-of", "2020-06-01", "--json")
    assert code == 2 and "before the first release on record (2021-03-04)" in err
    code, out, _ = report("rearrest", "--as-of", "2024-01-01", "--from", "2023-01-01", "--to", "2023-12-31", "--json")
    assert code == 0 and all(g["released"] == 0 and g["km"][0]["rearrest_rate"] is None
                             for g in json.loads(out)["groups"])
    code, _, err = report("rearrest", "--as-of", "2024-01-01", "--jurisdiction", "99999", "--json")
    assert code == 2 and "unknown jurisdiction" in err


def test_it_writes_the_csv_and_an_html_page_with_the_chart_and_its_table(jails: dict, tmp_path: Path) -> None:
    put_frame(frame(40, seed=2), [jails["PIERCE"], jails["KING"]])
    assert report("rearrest", "--as-of", AS_OF.isoformat(), "--csv", "--out", str(tmp_path))[0] == 0
    text = (tmp_path / "rearrest.csv").read_text()
    assert text.splitlines()[0] == "as_of,group,released,rearrested,days,rearrest_rate,ci_low,ci_high"
    assert "logrank_groups" in text
    assert report("rearrest", "--as-of", AS_OF.isoformat(), "--html", "--out", str(tmp_path))[0] == 0
    html = (tmp_path / "rearrest.html").read_text()
    assert 'role="img"' in html and "<polyline" in html and "<table>" in html and "Log-rank test" in html
    assert report("rearrest", "--as-of", AS_OF.isoformat(), "--html")[0] == 2


def _booking(facility: Any, n: int, days: float, **kw: Any) -> Booking:
    p = Person.objects.create(last_name="A", first_name=f"C{n}", date_of_birth="1990-01-01")
    t = datetime(2021, 3, 1, 12, tzinfo=UTC)
    return Booking.objects.create(facility=facility, booking_number=f"C{n}", person=p, booked_at=t,
                                  released_at=t + timedelta(days=days), **kw)


def test_it_reports_time_in_custody_with_and_without_a_hold(jails: dict, office: Any) -> None:
    pierce = jails["PIERCE"]
    a = _booking(pierce, 1, 10, ice_hold=True, release_reason="transferred_to_ice")
    b = _booking(pierce, 2, 30, ice_hold=True, release_reason="court_order")
    Outcome.objects.create(booking=b, kind="transferred_to_ice", recorded_at=b.released_at, source="import")
    c = _booking(pierce, 3, 50, release_reason="bail_posted")
    make_request(c, office, 9)  # a request makes it a hold booking too
    hold_only = _booking(pierce, 4, 100, ice_hold=True, release_reason="court_order")
    Charge.objects.create(booking=hold_only, seq=1, statute="HOLD IMMIGRAT", level="", offence=False)
    Charge.objects.create(booking=a, seq=1, statute="THEFT 3", level="misdemeanor")
    Charge.objects.create(booking=a, seq=2, statute="HOLD IMMIGRAT", level="", offence=False)
    for n, d in enumerate((1, 2, 3), start=10):
        _booking(pierce, n, d, release_reason="bail_posted")
    _booking(jails["KING"], 20, 999, ice_hold=True)  # another facility
    Booking.objects.create(facility=pierce, booking_number="open", person=a.person, booked_at=a.booked_at)

    code, out, _ = report("custody-time", "--facility", "WA-PIERCE", "--json")
    assert code == 0
    assert json.loads(out) == {"groups": [
        {"group": "ice_hold", "bookings": 4, "mean_days": 47.5, "median_days": 40.0, "released_to_ice": 2},
        {"group": "no_hold", "bookings": 3, "mean_days": 2.0, "median_days": 2.0, "released_to_ice": 0},
    ]}
    only = json.loads(report("custody-time", "--facility", "WA-PIERCE", "--offence-bookings-only", "--json")[1])
    assert only["groups"][0] == {"group": "ice_hold", "bookings": 3, "mean_days": 30.0, "median_days": 30.0,
                                 "released_to_ice": 2}
    assert report("custody-time", "--facility", "NOPE", "--json")[0] == 2


def test_it_counts_every_request_under_exactly_one_outcome(jails: dict, office: Any) -> None:
    t = datetime(2021, 3, 1, 12, tzinfo=UTC)
    still = _booking(jails["PIERCE"], 1, 1)
    Booking.objects.filter(pk=still.pk).update(released_at=None)
    make_request(Booking.objects.get(pk=still.pk), office, 1)
    make_request(_booking(jails["PIERCE"], 2, 1), office, 2)
    make_request(_booking(jails["PIERCE"], 3, 1, release_reason="transferred_other"), office, 3)
    make_request(_booking(jails["PIERCE"], 4, 5), office, 4, withdrawn_at=t, status="withdrawn")
    cancelled = _booking(jails["PIERCE"], 5, 5)
    make_request(cancelled, office, 5)
    Outcome.objects.create(booking=cancelled, kind="detainer_cancelled", recorded_at=t, source="staff")
    counts = services.outcome_counts()
    assert counts == {"transferred_to_ice": 0, "released_ice_not_present": 0, "released_before_notice": 1,
                      "detainer_cancelled": 1, "withdrawn": 1, "transferred_other": 1, "still_in_custody": 1}
    assert sum(services.outcome_counts(jurisdiction_fips="48").values()) == 0


def test_it_gives_zeros_not_a_crash_for_custody_time_and_outcomes_with_nothing_recorded(jails: dict) -> None:
    from handoff.evidence.services import outcome_counts

    code, out, _ = report("custody-time", "--facility", "WA-KING", "--offence-bookings-only", "--json")
    assert code == 0
    assert json.loads(out)["groups"] == [
        {"group": "ice_hold", "bookings": 0, "mean_days": None, "median_days": None, "released_to_ice": 0},
        {"group": "no_hold", "bookings": 0, "mean_days": None, "median_days": None, "released_to_ice": 0}]
    assert set(outcome_counts(start=date(2030, 1, 1), end=date(2030, 12, 31)).values()) == {0}
    code, _, err = report("custody-time", "--facility", "NOWHERE", "--json")
    assert code == 2 and "NOWHERE" in err
