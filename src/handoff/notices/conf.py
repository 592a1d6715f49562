"""Delivery settings, read at call time so tests and worker processes can tune them by environment.

Why these defaults: a lease of a minute outlives any single webhook timeout (10 s) with room for the write
that follows; retries start at a second and cap at a minute, so a receiver back from an outage is found again
within a minute while a dead one costs one probe a minute; unacknowledged advance notices escalate a day
before release (HANDOFF_ESCALATE_UNACKED_HOURS), failing ones after three attempts or ten minutes overdue.
"""

from __future__ import annotations

import os

from django.conf import settings


def _num(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return float(value)


def lease_seconds() -> float:
    return _num("HANDOFF_LEASE_SECONDS", 60)


def webhook_timeout() -> float:
    return _num("HANDOFF_WEBHOOK_TIMEOUT", 10)


def escalate_unacked_hours() -> float:
    return _num("HANDOFF_ESCALATE_UNACKED_HOURS", 24)


def escalate_grace_minutes() -> float:
    """An office gets at least this long to acknowledge before an unacknowledged notice escalates."""
    return _num("HANDOFF_ESCALATE_GRACE_MINUTES", 15)


def escalate_after_failures() -> int:
    return int(_num("HANDOFF_ESCALATE_AFTER_FAILURES", 3))


def escalate_overdue_minutes() -> float:
    return _num("HANDOFF_ESCALATE_OVERDUE_MINUTES", 10)


def retry_base_seconds() -> float:
    return _num("HANDOFF_RETRY_BASE_SECONDS", 1)


def retry_cap_seconds() -> float:
    return _num("HANDOFF_RETRY_CAP_SECONDS", 60)


def give_up_hours() -> float:
    """For notices without a release deadline (release.occurred, request.declined)."""
    return _num("HANDOFF_GIVE_UP_HOURS", 72)


def poll_seconds() -> float:
    return _num("HANDOFF_WORKER_POLL_SECONDS", 0.5)


def batch_size() -> int:
    return int(_num("HANDOFF_WORKER_BATCH", 200))


def endpoints_per_claim() -> int:
    return int(_num("HANDOFF_WORKER_ENDPOINTS_PER_CLAIM", 4))


def ack_link_days() -> float:
    return _num("HANDOFF_ACK_LINK_DAYS", 30)


def review_margin_hours() -> float:
    """A review is due this long before the first notice it holds back would be due (issue 9 item 3)."""
    return _num("HANDOFF_REVIEW_MARGIN_HOURS", 12)


def hold_warning_hours() -> float:
    """A hold's warning goes out this long before the hold ends (issue 9 item 2)."""
    return _num("HANDOFF_HOLD_WARNING_HOURS", 4)
