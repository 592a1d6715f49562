"""Lead times and hold ends, in clock hours or business hours, in the facility's time zone.

Why this module exists: a notice that is due "48 hours before release" or a hold that ends "48 hours after"
is the product's deadline, and the law counts it two ways. The I-247A counts clock hours; 8 CFR 287.7(d)
counts "48 hours, excluding Saturdays, Sundays, and holidays". A policy chooses with its `calendar` setting:

- ``clock``: real elapsed hours. Arithmetic is done on UTC instants, so a daylight-saving change in between
  neither adds nor loses an hour.
- ``business``: only time that falls on a business day counts - a local calendar day (in the facility's
  IANA zone) that is not a Saturday, Sunday or U.S. federal holiday (the `holidays` package, including the
  weekday a holiday is observed on). Every hour of such a day counts, as in 8 CFR 287.7(d); weekends and
  holidays are skipped whole. Elapsed time is still measured in UTC, so a 23- or 25-hour day counts as the
  hours it really has.

Every input and output is timezone-aware; a naive datetime is an error (it would silently mean the
server's zone). Results are returned in UTC.

Public surface: `advance_notice_due()`, `hold_expires()`, `business_hours_between()`, `is_business_day()`,
`CALENDARS`, `NaiveDatetimeError`.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

CALENDARS = ("clock", "business")
_DAY = timedelta(days=1)


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone: refuse it rather than guess the zone."""


def _aware(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{name} ({value.isoformat()}) has no time zone; give an offset or a zone")
    return value.astimezone(UTC)


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
    return tz


def _hours(name: str, value: float) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number of hours, 0 or more (got {value!r})")
    return timedelta(hours=value)


def _calendar(calendar: str) -> str:
    if calendar not in CALENDARS:
        raise ValueError(f"calendar must be one of {', '.join(CALENDARS)}, not {calendar!r}")
    return calendar


@functools.lru_cache(maxsize=256)
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year, observed=True).keys())


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a U.S. federal holiday (nor the weekday one is observed on)."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The UTC instant at which local `day` begins in `zone`."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def advance_notice_due(release_at: datetime, lead_hours: float, calendar: str, tz: str | tzinfo) -> datetime:
    """The latest instant at which a notice still gives `lead_hours` of lead time before `release_at`.

    clock: release_at minus lead_hours of real time. business: walk back from the release through the
    facility's local days, counting only business-day time, until lead_hours have been counted.
    """
    release = _aware("release_at", release_at)
    remaining = _hours("lead_hours", lead_hours)
    zone = _zone(tz)
    if _calendar(calendar) == "clock":
        return release - remaining
    cursor = release
    day = cursor.astimezone(zone).date()
    while True:
        start = _day_start(day, zone)
        if is_business_day(day):
            available = cursor - start
            if available >= remaining:
                return cursor - remaining
            remaining -= available
        cursor = start
        day -= _DAY


def hold_expires(release_at: datetime, hours: float, calendar: str, tz: str | tzinfo) -> datetime:
    """When a hold of `hours` past `release_at` ends (8 CFR 287.7(d) style when calendar is business).

    clock: release_at plus hours of real time. business: the earliest instant by which `hours` of
    business-day time have passed since release_at.
    """
    release = _aware("release_at", release_at)
    remaining = _hours("hours", hours)
    zone = _zone(tz)
    if _calendar(calendar) == "clock":
        return release + remaining
    cursor = release
    day = cursor.astimezone(zone).date()
    while True:
        end = _day_start(day + _DAY, zone)
        if is_business_day(day):
            available = end - cursor
            if available >= remaining:
                return cursor + remaining
            remaining -= available
        cursor = end
        day += _DAY


def business_hours_between(a: datetime, b: datetime, tz: str | tzinfo) -> float:
    """Hours of business-day time between a and b (negative when b is before a)."""
    start = _aware("a", a)
    end = _aware("b", b)
    zone = _zone(tz)
    if end < start:
        return -business_hours_between(b, a, zone)
    total = timedelta()
    day = start.astimezone(zone).date()
    cursor = start
    while cursor < end:
        day_end = _day_start(day + _DAY, zone)
        piece_end = min(day_end, end)
        if is_business_day(day):
            total += piece_end - cursor
        cursor = piece_end
        day += _DAY
    return total / timedelta(hours=1)


#: Form I-247A: custody "for a period NOT TO EXCEED 48 HOURS beyond the time when he/she would otherwise have
#: been released"; 8 CFR 287.7(d): "not to exceed a period of 48 hours, excluding Saturdays, Sundays, and
#: holidays". Both texts govern a hold on an I-247A; the shorter period binds.
HOLD_CEILING_HOURS = 48


def hold_until(release_at: datetime, tz: str | tzinfo, *, hours: float = HOLD_CEILING_HOURS) -> datetime:
    """When a hold past `release_at` must end: the shortest period any governing text allows.

    Why the minimum of the two readings: 8 CFR 287.7(d) counts 48 hours excluding weekends and holidays (over a
    holiday weekend, up to 120 clock hours), but the I-247A itself asks for no more than 48 hours, so the form
    binds even where the regulation would stretch. The business-hours reading is never shorter than the clock
    reading, so this is always `release_at` + 48 clock hours; computing both keeps the reason visible and
    guards against a future calendar where it is not."""
    clock_end = hold_expires(release_at, hours, "clock", tz)
    business_end = hold_expires(release_at, hours, "business", tz)
    return min(clock_end, business_end)
