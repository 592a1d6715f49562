"""Requests from the federal side and the decisions the law gives on them.

Why decisions are immutable rows: county counsel and auditors must be able to see what the law said at
each moment, and why it changed. A request points at its one current decision; nothing is overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RequestKind(models.TextChoices):
    DETAINER = "detainer", "Detainer"
    NOTIFICATION = "notification", "Notification request"
    TRANSFER = "transfer", "Transfer request"


class WarrantType(models.TextChoices):
    NONE = "none", "None"
    ADMINISTRATIVE = "administrative", "Administrative (I-200 / I-205)"
    JUDICIAL = "judicial", "Judicial"


class RequestStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for booking"
    REVIEW = "review", "Match needs review"
    MATCHED = "matched", "Matched"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ImmigrationRequest(models.Model):
    """A request as one federal office sent it to one facility.

    Why its id is unique per (office, facility) and not system-wide (security review M8): with one system-wide
    namespace, filing an id another county already holds answered differently from filing a free one, so any
    writer could learn which ids exist elsewhere. Everyone who may file into one (office, facility) namespace
    (that office's officers, that facility's clerks) sees all of it, so no answer about an id in it tells
    them anything they cannot read. An I-247A/N is addressed to one law-enforcement agency; the same number
    sent to another jail is that jail's request. Lookups by id are scoped by the reader
    (access.scoping.get_request); one a reader sees twice is told apart by office and facility."""

    request_id = models.CharField(max_length=80, db_index=True)
    kind = models.CharField(max_length=12, choices=RequestKind.choices)
    form = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField()
    received_at = models.DateTimeField()
    office = models.ForeignKey("jurisdictions.FederalOffice", on_delete=models.PROTECT, related_name="requests")
    facility = models.ForeignKey("jurisdictions.Facility", on_delete=models.PROTECT, related_name="requests")
    booking_number = models.CharField(max_length=60, blank=True)
    booking = models.ForeignKey(
        "custody.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    # The subject as the federal side describes them (personal data: read only through access.scoping).
    subject_last_name = models.CharField(max_length=100, blank=True)
    subject_first_name = models.CharField(max_length=100, blank=True)
    subject_date_of_birth = models.DateField(null=True, blank=True)
    subject_sex = models.CharField(max_length=1, blank=True)
    subject_a_number = models.CharField(max_length=10, blank=True)
    subject_fbi_number = models.CharField(max_length=20, blank=True)
    subject_citizenship = models.CharField(max_length=60, blank=True)
    basis = models.JSONField(default=list, blank=True)
    warrant_type = models.CharField(max_length=16, choices=WarrantType.choices, default=WarrantType.NONE)
    warrant_form = models.CharField(max_length=20, blank=True)
    judicial_probable_cause = models.BooleanField(default=False)
    lead_time_hours = models.PositiveIntegerField(default=48)
    federal_aggravated_felony_conviction = models.BooleanField(default=False)
    federal_outstanding_felony_warrant = models.BooleanField(default=False)
    federal_terrorist_screening_match = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.WAITING)
    match_candidates = models.JSONField(default=list, blank=True, help_text="booking ids when the match is ambiguous")
    match_note = models.CharField(max_length=300, blank=True)
    match_details = models.JSONField(
        default=list, blank=True,
        help_text="per candidate in review: booking id, score (0-100) and the differences a clerk reads "
                  "side by side (requests.matching)")
    match_rejected = models.JSONField(
        default=list, blank=True,
        help_text="booking ids a clerk ruled out for this request ('none of these'); never proposed again")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    historical = models.BooleanField(
        default=False,
        help_text="Made from a jail export's record of an ICE hold, not received from the federal side: it "
        "counts in reports and shows on pages, but it is never decided and never gives rise to a notice.",
    )
    current_decision = models.ForeignKey(
        "requests.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "facility", "request_id"], name="request_id_per_office_place"),
        ]
        indexes = [
            models.Index(fields=["facility", "status"], name="request_fac_status"),
            models.Index(fields=["office", "status"], name="request_office_status"),
        ]

    def __str__(self) -> str:
        return f"Request {self.request_id}"


class RequestAttachment(models.Model):
    """The scanned form a request arrived on (a faxed or e-mailed I-247A / I-247N), kept with the request.

    Why in the database rather than on disk: it is personal data under the same scoping, backup and audit as
    the request, and a deployment then needs no writable media directory. Only PDF, PNG and JPEG up to
    10 MB are accepted, judged by their first bytes (handoff.web.clerk_forms)."""

    request = models.ForeignKey(ImmigrationRequest, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.content_type}) for request #{self.request_id}"


class Decision(models.Model):
    """One evaluation of the law for one request at one moment. Never updated after it is written."""

    request = models.ForeignKey(ImmigrationRequest, on_delete=models.PROTECT, related_name="decisions")
    evaluated_at = models.DateTimeField()
    trigger = models.CharField(max_length=80, help_text="what caused this evaluation")
    policies = models.JSONField(default=list)
    notify = models.BooleanField()
    hold = models.CharField(max_length=12)
    transfer = models.CharField(max_length=12)
    individual_notice = models.BooleanField()
    attorney_notice = models.BooleanField()
    lead_time_hours = models.PositiveIntegerField()
    calendar = models.CharField(max_length=10, default="clock")
    review = models.BooleanField()
    answer_declined = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)
    facts = models.JSONField(
        default=dict, blank=True,
        help_text="the facts the law was applied to, as they stood when this answer was first given",
    )
    answer_digest = models.CharField(
        max_length=64, blank=True,
        help_text="SHA-256 of the engine's answer (policies, outcome, reasons) this row stands on; an override "
                  "carries the digest of the answer it overrode. Lets a re-evaluation see 'nothing changed' "
                  "without reading the stored reasons.",
    )
    overrides = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="overridden_by",
        help_text="the decision a supervisor overrode to make this one",
    )
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["request", "evaluated_at", "pk"]
        indexes = [
            models.Index(fields=["review", "evaluated_at"], name="decision_review"),
            # the newest decisions first (dashboards' "recent decisions"), read until enough are in scope
            models.Index(fields=["evaluated_at", "id"], name="decision_evaluated"),
        ]

    def __str__(self) -> str:
        return f"Decision #{self.pk} for {self.request_id}"
