"""Lead times and hold ends: clock hours across DST, business hours skipping weekends and federal holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handoff.core.calendar import (
    NaiveDatetimeError,
    advance_notice_due,
    business_hours_between,
    hold_expires,
    is_business_day,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
ZONES = st.sampled_from(["America/Los_Angeles", "America/New_York", "America/Chicago", "America/Denver"])

# instants from 2018 to 2031, to the minute, biased towards the DST weekends of both zones
instants = st.datetimes(
    min_value=datetime(2018, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
dst_edges = st.sampled_from([
    datetime(2024, 3, 10, 10, 0, tzinfo=UTC),  # 02:00 PST -> 03:00 PDT (LA), 06:00 EDT (NY)
    datetime(2024, 11, 3, 9, 0, tzinfo=UTC),   # 02:00 PDT -> 01:00 PST (LA)
    datetime(2025, 3, 9, 7, 0, tzinfo=UTC),    # NY spring forward
    datetime(2025, 11, 2, 6, 0, tzinfo=UTC),   # NY fall back
]).flatmap(lambda base: st.integers(-100 * 60, 100 * 60).map(lambda m: base + timedelta(minutes=m)))
releases = st.one_of(instants, dst_edges)
leads = st.integers(min_value=0, max_value=24 * 14)
calendars = st.sampled_from(["clock", "business"])


def test_it_counts_clock_hours_as_real_elapsed_time_across_spring_forward() -> None:
    # Release Sunday 2024-03-10 at 12:00 in Los Angeles; 02:00-03:00 that morning did not exist.
    release = datetime(2024, 3, 10, 12, 0, tzinfo=LA)
    due = advance_notice_due(release, 48, "clock", "America/Los_Angeles")
    assert release - due == timedelta(hours=48)
    # On the wall clock that is 49 hours earlier: Friday 11:00 PST.
    assert due.astimezone(LA) == datetime(2024, 3, 8, 11, 0, tzinfo=LA)


def test_it_counts_clock_hours_as_real_elapsed_time_across_fall_back() -> None:
    release = datetime(2024, 11, 4, 12, 0, tzinfo=NY)
    due = advance_notice_due(release, 48, "clock", "America/New_York")
    assert due.astimezone(NY) == datetime(2024, 11, 2, 13, 0, tzinfo=NY)  # wall clock: 47 hours earlier


def test_it_skips_a_weekend_for_business_hours() -> None:
    # Release Monday 2025-06-09 10:00 in LA: 48 business hours back = Thursday 10:00.
    release = datetime(2025, 6, 9, 10, 0, tzinfo=LA)
    due = advance_notice_due(release, 48, "business", "America/Los_Angeles")
    assert due.astimezone(LA) == datetime(2025, 6, 5, 10, 0, tzinfo=LA)


def test_it_skips_federal_holidays_for_business_hours() -> None:
    # Friday 2025-07-04 is Independence Day. Release Monday 07-07 09:00 New York:
    # Monday 9 h, skip Sun/Sat/holiday Friday, Thursday 24 h, Wednesday 15 h -> Wednesday 09:00.
    release = datetime(2025, 7, 7, 9, 0, tzinfo=NY)
    due = advance_notice_due(release, 48, "business", "America/New_York")
    assert due.astimezone(NY) == datetime(2025, 7, 2, 9, 0, tzinfo=NY)
    assert not is_business_day(datetime(2025, 7, 4).date())
    # 2026-07-04 is a Saturday: observed Friday 07-03.
    assert not is_business_day(datetime(2026, 7, 3).date())


def test_it_ends_an_8_cfr_287_7_hold_after_48_business_hours() -> None:
    # Released Friday 20:00 before Labor Day (Monday 2025-09-01): Friday 4 h, Tuesday 24 h, Wednesday 20 h.
    release = datetime(2025, 8, 29, 20, 0, tzinfo=LA)
    assert hold_expires(release, 48, "business", "America/Los_Angeles").astimezone(LA) == datetime(
        2025, 9, 3, 20, 0, tzinfo=LA
    )
    assert hold_expires(release, 48, "clock", "America/Los_Angeles").astimezone(LA) == datetime(
        2025, 8, 31, 20, 0, tzinfo=LA
    )


def test_it_refuses_naive_datetimes_unknown_zones_and_calendars() -> None:
    with pytest.raises(NaiveDatetimeError):
        advance_notice_due(datetime(2025, 1, 1, 12), 48, "clock", "America/New_York")
    with pytest.raises(NaiveDatetimeError):
        business_hours_between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2), "America/New_York")
    with pytest.raises(ValueError, match="time zone"):
        hold_expires(datetime(2025, 1, 1, tzinfo=UTC), 48, "clock", "Mars/Olympus")
    with pytest.raises(ValueError, match="calendar"):
        hold_expires(datetime(2025, 1, 1, tzinfo=UTC), 48, "lunar", "America/New_York")
    with pytest.raises(ValueError, match="hours"):
        advance_notice_due(datetime(2025, 1, 1, tzinfo=UTC), -1, "clock", "America/New_York")


@settings(max_examples=300, deadline=None)
@given(release=releases, lead=leads, calendar=calendars, tz=ZONES)
def test_it_never_makes_a_notice_due_after_the_release(release: datetime, lead: int, calendar: str, tz: str) -> None:
    due = advance_notice_due(release, lead, calendar, tz)
    assert due.tzinfo is not None
    assert due <= release
    assert release - due >= timedelta(hours=lead)  # business hours are never more than real hours


@settings(max_examples=300, deadline=None)
@given(release=releases, lead=leads, tz=ZONES)
def test_it_gives_exactly_the_lead_in_business_hours(release: datetime, lead: int, tz: str) -> None:
    due = advance_notice_due(release, lead, "business", tz)
    assert business_hours_between(due, release, tz) == pytest.approx(lead)
    # the latest such instant: one minute later there is less than the lead
    if lead > 0:
        assert business_hours_between(due + timedelta(minutes=1), release, tz) < lead
    # a due time strictly inside a local day lies on a business day
    local = due.astimezone(ZoneInfo(tz))
    if (local.hour, local.minute) != (0, 0):
        assert is_business_day(local.date())


@settings(max_examples=300, deadline=None)
@given(release=releases, hours=leads, calendar=calendars, tz=ZONES)
def test_it_round_trips_hold_end_and_notice_due(release: datetime, hours: int, calendar: str, tz: str) -> None:
    end = hold_expires(release, hours, calendar, tz)
    assert end >= release
    if calendar == "clock":
        assert end - release == timedelta(hours=hours)
        assert advance_notice_due(end, hours, "clock", tz) == release
    else:
        assert business_hours_between(release, end, tz) == pytest.approx(hours)
        # going back the same business hours from the end never lands after where we started
        assert advance_notice_due(end, hours, "business", tz) >= release or hours == 0
        back = advance_notice_due(end, hours, "business", tz)
        assert business_hours_between(back, end, tz) == pytest.approx(hours)


@settings(max_examples=300, deadline=None)
@given(a=releases, b=releases, lead=leads, calendar=calendars, tz=ZONES)
def test_it_is_monotonic_in_the_release_time(a: datetime, b: datetime, lead: int, calendar: str, tz: str) -> None:
    assume(a <= b)
    assert advance_notice_due(a, lead, calendar, tz) <= advance_notice_due(b, lead, calendar, tz)
    assert hold_expires(a, lead, calendar, tz) <= hold_expires(b, lead, calendar, tz)


@settings(max_examples=200, deadline=None)
@given(release=releases, lead=leads, extra=st.integers(1, 100), calendar=calendars, tz=ZONES)
def test_it_asks_earlier_for_a_longer_lead(release: datetime, lead: int, extra: int, calendar: str, tz: str) -> None:
    assert advance_notice_due(release, lead + extra, calendar, tz) < advance_notice_due(release, lead, calendar, tz)


@settings(max_examples=200, deadline=None)
@given(a=releases, b=releases, tz=ZONES)
def test_it_counts_business_hours_antisymmetrically_and_never_above_clock_hours(a: datetime, b: datetime, tz: str) -> None:
    forward = business_hours_between(a, b, tz)
    assert forward == pytest.approx(-business_hours_between(b, a, tz))
    assert abs(forward) <= abs((b - a).total_seconds()) / 3600 + 1e-9


@given(day=st.dates(min_value=datetime(2018, 1, 1).date(), max_value=datetime(2031, 12, 31).date()))
def test_it_treats_every_weekend_day_as_non_business(day: object) -> None:
    from datetime import date

    assert isinstance(day, date)
    if day.weekday() >= 5:
        assert not is_business_day(day)
