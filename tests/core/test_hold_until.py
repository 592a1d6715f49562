"""The hold clock (law review X3; issue 9 item 2): the I-247A's "not to exceed 48 hours" binds even where
8 CFR 287.7(d)'s business hours would stretch the hold across a holiday weekend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handoff.core.calendar import hold_expires, hold_until

CHICAGO = "America/Chicago"


def test_it_ends_a_hold_48_clock_hours_after_release_over_a_holiday_weekend() -> None:
    # Friday 2025-11-28 17:00 CST (the day after Thanksgiving); 287.7(d) would run into Wednesday
    release = datetime(2025, 11, 28, 23, 0, tzinfo=UTC)
    assert hold_expires(release, 48, "business", CHICAGO) - release > timedelta(hours=72)
    assert hold_until(release, CHICAGO) == release + timedelta(hours=48)


@given(st.datetimes(min_value=datetime(2017, 4, 2), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_it_never_allows_more_than_48_clock_hours_nor_less_than_the_shorter_reading(release: datetime) -> None:
    end = hold_until(release, CHICAGO)
    assert end == release + timedelta(hours=48)
    assert end <= hold_expires(release, 48, "business", CHICAGO)
