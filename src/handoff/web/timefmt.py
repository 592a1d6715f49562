"""How times read on the pages. Why one module: the countdown JavaScript mirrors `duration_words` exactly,
so the server-rendered text and the live text never disagree."""

from __future__ import annotations

from datetime import datetime, timedelta

from handoff.core import clock


def duration_words(seconds: float) -> str:
    s = abs(round(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days > 0:
        return f"{days} d {hours} h"
    if hours > 0:
        return f"{hours} h {minutes} min"
    if minutes > 0:
        return f"{minutes} min"
    return "under a minute"


def countdown_words(due: datetime, now: datetime) -> str:
    left = (due - now).total_seconds()
    return f"in {duration_words(left)}" if left >= 0 else f"overdue by {duration_words(left)}"


def local(dt: datetime | None, tz: str | None) -> str:
    """A facility-local time with its zone abbreviation, e.g. "Tue 3 Jun 2025 14:00 PDT" (core.clock)."""
    return clock.local_text(dt, tz)


def hours(td: timedelta) -> float:
    return td.total_seconds() / 3600
