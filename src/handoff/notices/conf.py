"""Delivery settings, read from django.conf.settings (settings.py reads the environment, once) at call time,
so `override_settings` in tests reaches them.

Why these defaults: a lease of a minute outlives any single webhook timeout (10 s) with room for the write
that follows; retries start at a second and cap at a minute, so a receiver back from an outage is found again
within a minute while a dead one costs one probe a minute; unacknowledged advance notices escalate a day
before release (HANDOFF_ESCALATE_UNACKED_HOURS), failing ones after three attempts or ten minutes overdue.
"""

from __future__ import annotations

from django.conf import settings


def lease_seconds() -> float:
    return float(settings.HANDOFF_LEASE_SECONDS)


def webhook_timeout() -> float:
    return float(settings.HANDOFF_WEBHOOK_TIMEOUT)


def escalate_unacked_hours() -> float:
    return float(settings.HANDOFF_ESCALATE_UNACKED_HOURS)


def escalate_grace_minutes() -> float:
    """An office gets at least this long to acknowledge before an unacknowledged notice escalates."""
    return float(settings.HANDOFF_ESCALATE_GRACE_MINUTES)


def escalate_after_failures() -> int:
    return int(settings.HANDOFF_ESCALATE_AFTER_FAILURES)


def escalate_overdue_minutes() -> float:
    return float(settings.HANDOFF_ESCALATE_OVERDUE_MINUTES)


def retry_base_seconds() -> float:
    return float(settings.HANDOFF_RETRY_BASE_SECONDS)


def retry_cap_seconds() -> float:
    return float(settings.HANDOFF_RETRY_CAP_SECONDS)


def give_up_hours() -> float:
    """For notices without a release deadline (release.occurred, request.declined)."""
    return float(settings.HANDOFF_GIVE_UP_HOURS)


def poll_seconds() -> float:
    return float(settings.HANDOFF_WORKER_POLL_SECONDS)


def batch_size() -> int:
    return int(settings.HANDOFF_WORKER_BATCH)


def endpoints_per_claim() -> int:
    return int(settings.HANDOFF_WORKER_ENDPOINTS_PER_CLAIM)


def ack_link_days() -> float:
    return float(settings.HANDOFF_ACK_LINK_DAYS)


def review_margin_hours() -> float:
    """A review is due this long before the first notice it holds back would be due."""
    return float(settings.HANDOFF_REVIEW_MARGIN_HOURS)


def match_escalation_hours() -> float:
    """A request not matched to a booking (waiting, or in match review) this long after it was received
    escalates to the facility's supervisors."""
    return float(settings.HANDOFF_MATCH_ESCALATION_HOURS)


def hold_warning_hours() -> float:
    """A hold's warning goes out this long before the hold ends."""
    return float(settings.HANDOFF_HOLD_WARNING_HOURS)
