"""Every report counts the same requests as the public page, each once (handoff.evidence.counting).

Why: a county signs its statutory filing while the public reads /transparency; if the two disagree about the
same jail's year, one of them is wrong in public. These tests put the awkward cases in one jail (a jail
export's hold and ICE's own detainer for the same booking, a hold a corrected export took back, a withdrawn
detainer followed by a new one that ended in a transfer) and fail when any report counts differently from the
page. The page's figures are read before suppression (the counts behind the page), so small test numbers can
be compared; suppression itself is tested in tests/web/test_public_data.py.
"""

# ruff: noqa: F811  (`world` is the statutory tests' fixture, imported for pytest and named as a parameter)
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from handoff.core import clock
from tests.reports.test_statutory import _release, world  # noqa: F401 (the statutory tests' world)
from tests.web.world import World, add_booking, send_request

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _june() -> Iterator[None]:
    """A fixed day well inside the year, so the year's filing and the page's year are the same requests."""
    with time_machine.travel(NOW, tick=False):
        yield


def _page_value(data: Any, *key: str) -> int:
    """A page figure as counted (before disclosure control hides small counts)."""
    return int(data.pub.value(data.pub.index(key)))


def _hold(booking: Any) -> Any:
    """A jail export's own record of an ICE hold on this booking, made the way ingest makes it."""
    from handoff.requests.models import ImmigrationRequest
    from handoff.requests.services import HeldBooking, historical_requests

    historical_requests([HeldBooking(booking.pk, booking.facility_id, booking.facility.code, booking.booking_number,
                                     booking.booked_at)])
    return ImmigrationRequest.objects.get(booking=booking, historical=True)


def _withdraw(req: Any, at: datetime) -> None:
    from handoff.requests.models import ImmigrationRequest

    ImmigrationRequest.objects.filter(pk=req.pk).update(status="withdrawn", withdrawn_at=at)


def _booking(world: World, code: str, n: int) -> Any:
    return add_booking(world.facilities[code], last=f"Count{n}", first="Ann", dob=date(1980, 1, 1 + n),
                       release_in=timedelta(days=5))


def _awkward_cases(world: World, code: str, office: str) -> int:
    """The cases that used to be counted twice or not at all, in one jail; returns how many requests count."""
    from handoff.notices.services import record_outcome

    now = clock.now()
    send_request(f"{code}-1", _booking(world, code, 1), office)  # an ordinary detainer: 1
    both = _booking(world, code, 2)  # the export's hold and ICE's detainer for it: 1, the detainer
    _hold(both)
    send_request(f"{code}-2", both, office)
    _hold(_booking(world, code, 3))  # a hold only the export records: 1
    taken_back = _hold(_booking(world, code, 4))  # a corrected export says no hold: 0
    from handoff.requests.services import withdraw_historical_requests

    withdraw_historical_requests([taken_back.booking_id], now)
    gone = send_request(f"{code}-5", _booking(world, code, 5), office)  # withdrawn by ICE: still received, 1
    _withdraw(gone, now - timedelta(hours=3))
    again = _booking(world, code, 6)  # withdrawn, then a new detainer, then the transfer: 2 (withdrawn + transfer)
    first = send_request(f"{code}-6a", again, office, at=now - timedelta(days=2))
    _withdraw(first, now - timedelta(days=1))
    second = send_request(f"{code}-6b", again, office)
    _release(again, reason="transferred_to_ice", at=now - timedelta(hours=1))
    record_outcome(again, "transferred_to_ice", request=second)
    return 6


@pytest.mark.django_db
def test_it_counts_each_request_once_the_same_way_on_the_page_in_the_illinois_filing_and_the_outcome_report(
        world: World) -> None:
    from handoff.evidence.counting import counted
    from handoff.evidence.services import outcome_counts
    from handoff.reports.public import build_public_data
    from handoff.reports.statutory import build

    expected = _awkward_cases(world, "CK-JAIL", "ERO-IL")
    year = str(NOW.year)
    data = build_public_data(now=NOW)
    page_received = _page_value(data, "received", "17031", year, "")
    filing = build("il-trust", NOW.year, "17031")
    outcomes = outcome_counts(jurisdiction_fips="17031")

    assert page_received == expected
    assert len(filing.records) == expected
    assert sum(outcomes.values()) == expected
    assert counted().filter(facility=world.facilities["CK-JAIL"]).count() == expected
    # the page's outcome figures are the outcome report's, kind by kind
    for kind, n in outcomes.items():
        figure = ("outcome", "17031", year, kind)
        assert (_page_value(data, *figure) if data.has(*figure) else 0) == n, kind
    # the withdrawn detainer and the one that followed are a withdrawal and ONE transfer, not two transfers
    assert outcomes["withdrawn"] == 2 and outcomes["transferred_to_ice"] == 1
    # the export's only-hold is listed in the filing, and says where it came from
    assert sum("jail's own record" in r["type"] for r in filing.records) == 1


@pytest.mark.django_db
def test_it_logs_each_oregon_request_once_as_the_page_counts_it(world: World) -> None:
    from handoff.reports.public import build_public_data
    from handoff.reports.statutory import build

    expected = _awkward_cases(world, "MC-DET", "ERO-OR")
    data = build_public_data(now=NOW)
    log = build("or-declined", NOW.year, "41051")
    assert len(log.records) == expected == _page_value(data, "received", "41051", str(NOW.year), "")
    responses = [r["response"] for r in log.records]
    # the export's hold was never decided by Handoff: the log says so instead of "not yet decided"
    assert sum(r.startswith("not decided in Handoff") for r in responses) == 1
    assert "not yet decided" not in responses


@pytest.mark.django_db
def test_it_counts_californias_transfers_as_the_page_does_including_those_only_the_release_reason_records(
        world: World) -> None:
    """A transfer the jail's release reason records (nobody typed an outcome) is a transfer on the page, so it
    is one in the Department of Justice report and the TRUTH Act records too; a transfer is counted once per
    person handed over."""
    from handoff.reports.public import build_public_data
    from handoff.reports.statutory import build

    now = clock.now()
    _release(world.requests["notify"].booking, reason="transferred_to_ice", at=now - timedelta(hours=2))
    _awkward_cases(world, "LA-MCJ", "LOS")  # one recorded transfer after a withdrawn detainer
    data = build_public_data(now=NOW)
    page = _page_value(data, "outcome", "06037", str(NOW.year), "transferred_to_ice")
    filing = build("ca-transfers", NOW.year, "06037")
    truth = build("ca-truth", NOW.year, "06037", public=False)
    assert page == 2
    assert filing.total("transfers") == page
    assert sum(r["individuals"] for r in truth.records if r["access"] == "transfer") == page


@pytest.mark.django_db
def test_it_puts_every_release_in_the_same_rearrest_group_on_the_page_and_in_the_report(world: World) -> None:
    """The page's re-booking counts and `handoff report rearrest` read one frame: a release after a jail
    export's hold is `historical_hold` in both, a withdrawn detainer is no request in both."""
    from handoff.custody.models import Booking
    from handoff.evidence.services import rearrest_figures
    from handoff.reports.public import REARREST_GROUPS, build_public_data

    long_ago = NOW - timedelta(days=500)
    made = []
    for i in range(4):
        b = add_booking(world.facilities["CK-JAIL"], last=f"Old{i}", first="Bo", dob=date(1970, 2, 1 + i),
                        release_in=None, now=long_ago)
        Booking.objects.filter(pk=b.pk).update(released_at=long_ago + timedelta(days=2),
                                               release_reason="sentence_served")
        b.refresh_from_db()
        made.append(b)
    send_request("OLD-1", made[0], "ERO-IL", at=long_ago - timedelta(days=19))
    _hold(made[1])
    gone = send_request("OLD-3", made[2], "ERO-IL", at=long_ago - timedelta(days=19))
    _withdraw(gone, long_ago - timedelta(days=18))
    data = build_public_data(now=NOW)
    report = rearrest_figures(as_of=(NOW - timedelta(days=366)).date(), jurisdiction_fips="17031")
    by_group = {g["group"]: g["released"] for g in report["groups"]}
    assert by_group["historical_hold"] == 1 and by_group["request_declined"] == 1
    for group in REARREST_GROUPS:
        figure = ("released", "all", "all", group)
        page = _page_value(data, *figure) if data.has(*figure) else 0
        # the page covers every published place; the world's other jails released nobody that long ago
        assert page == by_group[group], group
