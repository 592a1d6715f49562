"""The one source of "now".

Why: deadlines are the product. Every due time, lease and lookback window reads the clock here, so tests
can travel in time (time-machine patches the standard library underneath) and nothing reads a clock of
its own.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, always timezone-aware UTC."""
    return datetime.now(tz=UTC)
