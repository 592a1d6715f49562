"""The one source of "now".

Why: deadlines are the product. Every due time, lease and lookback window reads the clock here, so tests
can travel in time (time-machine patches the standard library underneath) and nothing reads a clock of
its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The current instant, always timezone-aware UTC."""
    return datetime.now(tz=UTC)


def zone(tz: str | None) -> ZoneInfo:
    """A facility's zone by name; UTC when it has none or an unknown one (UTC is always honest)."""
    try:
        return ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_text(dt: datetime | None, tz: str | None, missing: str = "—", *, seconds: bool = False) -> str:
    """A time as a person at the facility reads it: its local time with the zone, e.g. "Tue 3 Jun 2025 14:00
    PDT". Why one function: e-mails, the acknowledgement page, letters, the audit log and the pages all said
    UTC, or a local time with no zone; everything a person reads goes through here (or the `localtime_in`
    template filter, which calls it)."""
    if dt is None:
        return missing
    value = dt.astimezone(zone(tz))
    return value.strftime("%a %-d %b %Y %H:%M:%S " if seconds else "%a %-d %b %Y %H:%M ") + (value.tzname() or "")
