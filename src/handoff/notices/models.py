"""The outbox: notices, the deliveries that carry them, every attempt, and what happened at release.

Why an outbox in the database rather than a task queue: the decision and the notices it causes are written in
one transaction, so a crash cannot leave a decision without its notice; and both sides of a dispute ("we never
received it") can be answered from rows that record every attempt with its time, status code and latency.

Why an `Endpoint` row per office and channel: an office's notices must arrive in due order, also after an
outage. Only the worker holding an endpoint's lease sends to it, oldest due first, and an endpoint that is down
is paused as a whole (circuit breaker), so a backlog drains in order when it comes back.

Portable SQL only: partial indexes and plain columns that SQLite and PostgreSQL both support.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q


class NoticeKind(models.TextChoices):
    ADVANCE = "release.advance_notice", "Advance release notice"
    SHORT = "release.short_notice", "Short release notice"
    OCCURRED = "release.occurred", "Release occurred"
    DECLINED = "request.declined", "Request declined"
    LETTER_INDIVIDUAL = "letter.individual", "Letter to the person"
    LETTER_ATTORNEY = "letter.attorney", "Letter to the attorney or designee"
    LETTER_REQUEST_COPY = "letter.request_copy", "Copy of the request to the person"
    #: the release-date notice e-mailed to the attorney or designee (Cal. Gov. Code 7283.1(b), second sentence)
    EMAIL_ATTORNEY = "email.attorney", "E-mail to the attorney or designee"


RELEASE_KINDS = (NoticeKind.ADVANCE, NoticeKind.SHORT)
OFFICE_KINDS = (NoticeKind.ADVANCE, NoticeKind.SHORT, NoticeKind.OCCURRED, NoticeKind.DECLINED)
LETTER_KINDS = (NoticeKind.LETTER_INDIVIDUAL, NoticeKind.LETTER_ATTORNEY, NoticeKind.LETTER_REQUEST_COPY)
#: what the person and their attorney or designee are sent: never shown to a federal office on any channel
PERSON_KINDS = (*LETTER_KINDS, NoticeKind.EMAIL_ATTORNEY)


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    #: the notice the law would send once a person clears the review: held in the outbox, never delivered
    #: until a supervisor confirms (issue 9 item 3: a review never silences a deadline)
    PENDING_REVIEW = "pending_review", "Pending review"


OPEN_STATUSES = (NoticeStatus.SCHEDULED, NoticeStatus.SENDING)
DELIVERED_STATUSES = (NoticeStatus.SENT, NoticeStatus.ACKNOWLEDGED)


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "E-mail"
    ESCALATION = "escalation", "Escalation (second contact)"
    ATTORNEY = "attorney", "E-mail to the attorney or designee"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OutcomeKind(models.TextChoices):
    """How a request ended. Every request has exactly one: the one recorded for its booking (by staff, the
    API or an import), else the one derived from the record (see handoff.evidence.outcomes); "still in
    custody" is only ever derived."""

    TRANSFERRED_TO_ICE = "transferred_to_ice", "Transferred to ICE at release"
    RELEASED_ICE_NOT_PRESENT = "released_ice_not_present", "Released, ICE did not come"
    RELEASED_BEFORE_NOTICE = "released_before_notice", "Released before notice"
    DETAINER_CANCELLED = "detainer_cancelled", "Detainer cancelled"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TRANSFERRED_OTHER = "transferred_other", "Sent to prison or another agency"
    STILL_IN_CUSTODY = "still_in_custody", "Still in custody"


#: an open notice due this soon whose channel already failed an attempt is at risk
AT_RISK_HOURS = 6


class NoticeQuerySet(models.QuerySet["Notice"]):
    """The outbox's shared questions, asked the same way by every caller (the jail dashboard, /healthz,
    /metrics, `handoff notices --at-risk`): before this there were three meanings of "at risk", and the
    dashboard and the command line disagreed about the same notice (house review d4)."""

    @staticmethod
    def at_risk_q(now: datetime) -> Q:
        """A release notice whose release is still ahead and that may not reach the office in time:
        (a) due and not delivered (scheduled, sending, pending review); (b) failed (every channel gave up);
        (c) due within AT_RISK_HOURS on a channel that already failed an attempt; (d) delivered but not
        acknowledged with the release within HANDOFF_ESCALATE_UNACKED_HOURS. A release already past is no
        longer at risk: it is missed or done (`missed`)."""
        unacked_until = now + timedelta(hours=settings.HANDOFF_ESCALATE_UNACKED_HOURS)
        attempted = Exists(Delivery.objects.filter(notice=OuterRef("pk"), attempts__gt=0))
        due_undelivered = Q(status__in=[*OPEN_STATUSES, NoticeStatus.PENDING_REVIEW], due_at__lte=now)
        failing_soon = Q(status__in=OPEN_STATUSES, due_at__gt=now,
                         due_at__lte=now + timedelta(hours=AT_RISK_HOURS)) & attempted
        unanswered = Q(status=NoticeStatus.SENT, acknowledged_at__isnull=True, release_at__lte=unacked_until)
        return Q(kind__in=RELEASE_KINDS, release_at__gt=now) & (
            due_undelivered | Q(status=NoticeStatus.FAILED) | failing_soon | unanswered)

    @staticmethod
    def overdue_q(now: datetime) -> Q:
        """Due and still waiting to go out (any notice to an office, not only release notices)."""
        return Q(status__in=OPEN_STATUSES, due_at__lt=now)

    def at_risk(self, now: datetime) -> NoticeQuerySet:
        return self.filter(self.at_risk_q(now))

    def overdue(self, now: datetime) -> NoticeQuerySet:
        return self.filter(self.overdue_q(now))

    def with_at_risk(self, now: datetime) -> NoticeQuerySet:
        """Each row with `is_at_risk`, for listings that show the flag beside every notice."""
        return self.annotate(is_at_risk=ExpressionWrapper(self.at_risk_q(now), output_field=BooleanField()))


class Notice(models.Model):
    """A message the jail owes because of a decision. The ones to the office travel as deliveries; the
    letters to the person and the attorney are handed over by staff (LetterHandover)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="public notice_id")
    kind = models.CharField(max_length=32, choices=NoticeKind.choices)
    request = models.ForeignKey("requests.ImmigrationRequest", on_delete=models.PROTECT, related_name="notices")
    decision = models.ForeignKey(
        "requests.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    office = models.ForeignKey("jurisdictions.FederalOffice", on_delete=models.PROTECT, related_name="notices")
    booking = models.ForeignKey(
        "custody.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    status = models.CharField(max_length=14, choices=NoticeStatus.choices, default=NoticeStatus.SCHEDULED)
    short_notice = models.BooleanField(default=False, help_text="the release came inside the lead time")
    missed = models.BooleanField(default=False, help_text="the release happened and no notice had gone out")
    due_at = models.DateTimeField(null=True, blank=True)
    release_at = models.DateTimeField(null=True, blank=True, help_text="the release time as known for this notice")
    lead_time_hours = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.CharField(max_length=10, blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by",
        help_text="an earlier notice that this one corrects (the release time changed after it went out)",
    )
    trigger = models.CharField(max_length=120, blank=True, help_text="what caused this notice")
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=200, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="first 2xx or SMTP acceptance")
    lag_ms = models.BigIntegerField(null=True, blank=True, help_text="sent_at - due_at, milliseconds")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_via = models.CharField(max_length=20, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["request", "kind"], name="notice_request_kind"),
            models.Index(fields=["status", "due_at"], name="notice_status_due"),
            models.Index(
                fields=["escalate_at"], name="notice_escalate_due",
                condition=Q(escalated_at__isnull=True, escalate_at__isnull=False),
            ),
            # The jail dashboard's at-risk and missed panels (bench/pages.py: 7.5 ms -> 1.3 ms per pass).
            models.Index(fields=["release_at"], name="notice_missed_release", condition=Q(missed=True)),
            models.Index(fields=["status", "release_at"], name="notice_status_release"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"

    @property
    def delivered(self) -> bool:
        return self.status in DELIVERED_STATUSES

    @property
    def is_letter(self) -> bool:
        return self.kind in LETTER_KINDS


class Endpoint(models.Model):
    """One office's channel. Its lease makes one worker at a time the sender (due order); `blocked_until` pauses
    it after a failure (exponential backoff with jitter), so a dead receiver costs one probe per backoff step
    instead of one attempt per queued notice."""

    office = models.ForeignKey("jurisdictions.FederalOffice", on_delete=models.CASCADE, related_name="endpoints")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "channel"], name="uniq_endpoint")]

    def __str__(self) -> str:
        return f"{self.office_id}:{self.channel}"


class Delivery(models.Model):
    """The outbox row: one notice on one channel. `webhook_id` is the idempotency key the receiver
    deduplicates on; it never changes across retries. `next_attempt_at` is the due column (NULL unless
    pending), indexed only over pending rows so the claim costs the same at ten thousand or a million rows."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    webhook_id = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=40, blank=True, help_text="for escalations: why")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_pending_due",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["endpoint", "next_attempt_at"], name="delivery_ep_next",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["endpoint", "due_at", "id"], name="delivery_ep_order",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["due_at"], name="delivery_pending_overdue", condition=Q(status="pending")),
            models.Index(fields=["give_up_at"], name="delivery_pending_giveup", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.webhook_id}"


class DeliveryAttempt(models.Model):
    """Evidence: one try to hand a delivery over, whatever came of it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    target = models.CharField(max_length=500, blank=True, help_text="URL or address tried")
    delivered = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status or SMTP reply code")
    error = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="attempt_delivery_time")]

    def __str__(self) -> str:
        return f"{self.channel} attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S} ({'ok' if self.delivered else 'failed'})"


class Outcome(models.Model):
    """What happened at a booking's release. Reports (annual transfer reports, missed-notice figures) read it."""

    booking = models.OneToOneField("custody.Booking", on_delete=models.PROTECT, related_name="notice_outcome")
    request = models.ForeignKey(
        "requests.ImmigrationRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    kind = models.CharField(max_length=28, choices=OutcomeKind.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, default="staff", help_text="staff, api or system")
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.kind} for booking {self.booking_id}"


class LetterHandover(models.Model):
    """Staff record that a letter was handed to the person or the attorney (TRUTH Act, Cal. Gov. Code 7283.1)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="handovers")
    language = models.CharField(max_length=5, default="en")
    handed_over_at = models.DateTimeField()
    recipient = models.CharField(max_length=200, blank=True, help_text="who received it")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["handed_over_at", "pk"]

    def __str__(self) -> str:
        return f"letter {self.notice_id} handed over {self.handed_over_at:%Y-%m-%d %H:%M}"


class Alarm(models.Model):
    """A warning the jail itself must see, raised once: a review that reached its due time, a hold about to
    end or ended, stale release data, a release after the hold's end (over-detention). Issue 9 items 2-3.

    Why stored: each fires exactly once (unique on kind, request and the time it is about), is e-mailed to
    the facility's supervisors and listed on the jail dashboard until someone resolves it."""

    KINDS = (
        ("review.due", "Review due: the notice deadline is near"),
        ("hold.warning", "Hold ends soon"),
        ("hold.expired", "Hold expired: release now"),
        ("release.stale", "Scheduled release passed, person still booked (stale data)"),
        ("hold.over_detention", "Released after the hold's end (over-detention)"),
        ("match.overdue", "Not matched to a booking for too long (waiting or in match review)"),
        ("attorney.failed", "The copy to the attorney or designee could not be e-mailed"),
    )
    kind = models.CharField(max_length=24, choices=KINDS)
    request = models.ForeignKey("requests.ImmigrationRequest", on_delete=models.PROTECT, related_name="alarms")
    booking = models.ForeignKey("custody.Booking", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="alarms")
    about_at = models.DateTimeField(help_text="the deadline the alarm is about (review due, hold end, release)")
    raised_at = models.DateTimeField()
    message = models.CharField(max_length=300)
    mailed_to = models.TextField(blank=True, help_text="supervisors' addresses the alarm was e-mailed to")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "request", "about_at"], name="uniq_alarm")]
        indexes = [models.Index(fields=["resolved_at", "raised_at"], name="alarm_open")]

    def __str__(self) -> str:
        return f"{self.kind} for request {self.request_id}"
