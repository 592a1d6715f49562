"""Delivery figures for /healthz, /metrics and `handoff notices`: aggregates only, no personal data.

Why the oldest overdue delivery is the health number: every other failure (a dead worker, a dead receiver, a
stuck lease, a full disk) shows up as a notice that should have left and has not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Min, Q, Sum
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

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


class _Figures:
    """A prometheus_client collector over the outbox, built fresh for each scrape.

    Why a custom collector and not module-level Counter objects: the figures live in the database, which
    every worker process writes; a process-local counter would count only its own deliveries. Each scrape
    reads them once, with the same queries as before, and prometheus_client writes the exposition text."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now
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
        at_risk = Notice.objects.at_risk(now).count()
        attempts = dict(DeliveryAttempt.objects.values_list("delivered").annotate(n=Count("id"))
                        .values_list("delivered", "n"))
        down = Endpoint.objects.filter(blocked_until__gt=now).count()

        yield GaugeMetricFamily("handoff_deliveries_due", "Deliveries due now and not yet delivered.", value=due_now)
        yield GaugeMetricFamily("handoff_deliveries_overdue", "Pending deliveries past their due time.",
                                value=overdue)
        yield GaugeMetricFamily("handoff_oldest_overdue_delivery_seconds",
                                "Age of the oldest pending delivery past its due time.", value=round(age, 3))
        statuses = GaugeMetricFamily("handoff_notices", "Notices to federal offices by status.", labels=["status"])
        for status in NoticeStatus.values:
            statuses.add_metric([status], by_status.get(status, 0))
        yield statuses
        yield GaugeMetricFamily("handoff_notices_at_risk", "Release notices that may not reach the office in time "
                                "(Notice.objects.at_risk, as on the jail dashboard).", value=at_risk)
        yield CounterMetricFamily("handoff_notices_sent_total", "Notices delivered (2xx or SMTP acceptance).",
                                  value=agg["sent"])
        yield CounterMetricFamily("handoff_notices_late_total",
                                  f"Notices delivered more than {LATE_SECONDS} s after due.", value=agg["late"])
        # A failed notice can later be cancelled (withdrawn, released), so this is a gauge, not a counter.
        yield GaugeMetricFamily("handoff_notices_failed", "Notices whose deliveries all gave up and are still open.",
                                value=agg["failed"])
        yield CounterMetricFamily("handoff_notices_acknowledged_total", "Notices acknowledged by the office.",
                                  value=agg["acknowledged"])
        yield CounterMetricFamily("handoff_notices_missed_total",
                                  "Releases that happened before any notice went out.", value=agg["missed"])
        yield CounterMetricFamily("handoff_notices_short_total", "Releases that fell inside the lead time.",
                                  value=agg["short"])
        yield CounterMetricFamily("handoff_notices_escalated_total",
                                  "Notices escalated to the office's second contact.", value=agg["escalated"])
        tries = CounterMetricFamily("handoff_delivery_attempts_total", "Delivery attempts by result.",
                                    labels=["result"])
        tries.add_metric(["delivered"], attempts.get(True, 0))
        tries.add_metric(["failed"], attempts.get(False, 0))
        yield tries
        yield GaugeMetricFamily("handoff_endpoints_paused", "Office endpoints paused after a failure.", value=down)
        buckets = [(f"{b}", agg[f"le_{i}"]) for i, b in enumerate(LAG_BUCKETS)] + [("+Inf", agg["lag_count"])]
        yield HistogramMetricFamily("handoff_delivery_lag_seconds", "Due time to first delivery.", buckets=buckets,
                                    sum_value=round((agg["lag_sum"] or 0) / 1000, 3))


def prometheus(now: datetime | None = None) -> str:
    """The Prometheus text exposition (format 0.0.4) of the outbox's figures, aggregates only."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(now or clock.now()))
    return generate_latest(registry).decode()
