"""Delivery figures for /healthz, /metrics and `handoff notices`: aggregates only, no personal data.

Why the oldest overdue delivery is the health number: every other failure (a dead worker, a dead receiver, a
stuck lease, a full disk) shows up as a notice that should have left and has not.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q, Sum

from handoff.core import clock
from handoff.notices.models import (
    OFFICE_KINDS,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    Notice,
    NoticeStatus,
)

#: a notice delivered more than this after its due time counts as late
LATE_SECONDS = 60
LAG_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)


def oldest_overdue(now: datetime | None = None) -> tuple[float, int]:
    """(age in seconds of the oldest pending delivery past its due time, how many are past due)."""
    now = now or clock.now()
    agg = Delivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lte=now).aggregate(
        oldest=Min("due_at"), n=Count("id"))
    oldest = agg["oldest"]
    return (max(0.0, (now - oldest).total_seconds()) if oldest else 0.0), int(agg["n"] or 0)


def prometheus(now: datetime | None = None) -> str:
    now = now or clock.now()
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            number = int(value) if float(value).is_integer() else round(float(value), 3)
            lines.append(f"{name}{labels} {number}")

    age, overdue = oldest_overdue(now)
    due_now = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).count()
    office = Notice.objects.filter(kind__in=OFFICE_KINDS)
    by_status = dict(office.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    agg = office.aggregate(
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        late=Count("id", filter=Q(lag_ms__gt=LATE_SECONDS * 1000)),
        failed=Count("id", filter=Q(status=NoticeStatus.FAILED)),
        acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
        missed=Count("id", filter=Q(missed=True)),
        short=Count("id", filter=Q(short_notice=True)),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        lag_count=Count("id", filter=Q(lag_ms__isnull=False)),
        lag_sum=Sum("lag_ms"),
        **{f"le_{i}": Count("id", filter=Q(lag_ms__lte=int(b * 1000))) for i, b in enumerate(LAG_BUCKETS)},
    )
    attempts = dict(DeliveryAttempt.objects.values_list("delivered").annotate(n=Count("id"))
                    .values_list("delivered", "n"))
    down = Endpoint.objects.filter(blocked_until__gt=now).count()

    metric("handoff_deliveries_due", "gauge", "Deliveries due now and not yet delivered.", [("", due_now)])
    metric("handoff_deliveries_overdue", "gauge", "Pending deliveries past their due time.", [("", overdue)])
    metric("handoff_oldest_overdue_delivery_seconds", "gauge",
           "Age of the oldest pending delivery past its due time.", [("", age)])
    metric("handoff_notices", "gauge", "Notices to federal offices by status.",
           [(f'{{status="{s}"}}', by_status.get(s, 0)) for s in NoticeStatus.values])
    metric("handoff_notices_sent_total", "counter", "Notices delivered (2xx or SMTP acceptance).",
           [("", agg["sent"])])
    metric("handoff_notices_late_total", "counter", f"Notices delivered more than {LATE_SECONDS} s after due.",
           [("", agg["late"])])
    # A failed notice can later be cancelled (withdrawn, released), so this is a gauge, not a counter.
    metric("handoff_notices_failed", "gauge", "Notices whose deliveries all gave up and are still open.",
           [("", agg["failed"])])
    metric("handoff_notices_acknowledged_total", "counter", "Notices acknowledged by the office.",
           [("", agg["acknowledged"])])
    metric("handoff_notices_missed_total", "counter", "Releases that happened before any notice went out.",
           [("", agg["missed"])])
    metric("handoff_notices_short_total", "counter", "Releases that fell inside the lead time.",
           [("", agg["short"])])
    metric("handoff_notices_escalated_total", "counter", "Notices escalated to the office's second contact.",
           [("", agg["escalated"])])
    metric("handoff_delivery_attempts_total", "counter", "Delivery attempts by result.",
           [('{result="delivered"}', attempts.get(True, 0)), ('{result="failed"}', attempts.get(False, 0))])
    metric("handoff_endpoints_paused", "gauge", "Office endpoints paused after a failure.", [("", down)])
    lines.append("# HELP handoff_delivery_lag_seconds Due time to first delivery.")
    lines.append("# TYPE handoff_delivery_lag_seconds histogram")
    for i, b in enumerate(LAG_BUCKETS):
        lines.append(f'handoff_delivery_lag_seconds_bucket{{le="{b}"}} {agg[f"le_{i}"]}')
    lines.append(f'handoff_delivery_lag_seconds_bucket{{le="+Inf"}} {agg["lag_count"]}')
    lines.append(f"handoff_delivery_lag_seconds_sum {round((agg['lag_sum'] or 0) / 1000, 3)}")
    lines.append(f"handoff_delivery_lag_seconds_count {agg['lag_count']}")
    return "\n".join(lines) + "\n"
