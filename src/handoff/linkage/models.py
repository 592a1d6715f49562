"""Who is the same human across counties: identities, the people linked to them, and the pairs people review.

Why a layer apart from custody: a Person belongs to the county that booked them (security review H4), so one
county's clerk can never reach another county's record through a shared identifier. That two counties' records
are one human is itself personal data about both; it lives here, is written only by the linkage run (a system
actor) or by a reviewer cleared for both records, and is read only by the roles the permission map clears
(`handoff.linkage.permissions`).
"""

from __future__ import annotations

from django.db import models


class Method(models.TextChoices):
    DETERMINISTIC = "deterministic", "Deterministic (FBI number, state ID or A-number)"
    PROBABILISTIC = "probabilistic", "Probabilistic (Splink match weight above the threshold)"
    MANUAL = "manual", "Manual (a reviewer confirmed the pair)"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed: the same person"
    REJECTED = "rejected", "Rejected: different people"


class LinkRun(models.Model):
    """One run of `handoff people link`: what it was given, what it decided, and the model it used."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    threshold = models.FloatField(help_text="match weight at or above which two people join one identity")
    review_floor = models.FloatField(help_text="match weight at or above which a pair below the threshold is reviewed")
    people = models.PositiveIntegerField(default=0)
    pairs_scored = models.PositiveIntegerField(default=0)
    identities = models.PositiveIntegerField(default=0)
    linked_people = models.PositiveIntegerField(default=0)
    review_pairs = models.PositiveIntegerField(default=0)
    trained = models.BooleanField(default=False, help_text="m and u re-estimated on this data (else the shipped model)")
    model = models.JSONField(default=dict, blank=True, help_text="the Splink settings and parameters used")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Link run #{self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class Identity(models.Model):
    """One human as far as linkage can tell. Its key (`I<id>`) is what analyses across jails count by."""

    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"Identity I{self.pk}"

    @property
    def key(self) -> str:
        return f"I{self.pk}"


class PersonIdentity(models.Model):
    """A county's Person joined to an Identity, with how (method) and how strongly (match weight).

    Why one row per person: a person is one human, so at most one identity; people that stand alone have no
    row and count by their own key (`P<id>`)."""

    person = models.OneToOneField("custody.Person", on_delete=models.CASCADE, related_name="identity_link")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="members")
    method = models.CharField(max_length=16, choices=Method.choices)
    match_weight = models.FloatField(
        null=True, blank=True,
        help_text="Splink match weight (log2 Bayes factor) of the strongest probabilistic link that joined this "
                  "person; empty when joined by identifier or by a reviewer")
    run = models.ForeignKey(LinkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["identity"], name="personidentity_identity")]

    def __str__(self) -> str:
        return f"Person #{self.person_id} -> I{self.identity_id} ({self.method})"


class ReviewPair(models.Model):
    """Two people whose match weight fell in the review band: jail staff decide whether they are one human.

    Why kept after the decision: a rejected pair is never proposed again, and a confirmed pair is a manual link
    every later run keeps."""

    person_a = models.ForeignKey("custody.Person", on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey("custody.Person", on_delete=models.CASCADE, related_name="+")
    match_weight = models.FloatField()
    match_probability = models.FloatField()
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    run = models.ForeignKey(LinkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="uniq_review_pair"),
            models.CheckConstraint(condition=models.Q(person_a__lt=models.F("person_b")), name="review_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-match_weight"], name="reviewpair_status")]
        ordering = ["-match_weight", "pk"]

    def __str__(self) -> str:
        return f"Review pair #{self.pk}: person #{self.person_a_id} ~ #{self.person_b_id} ({self.status})"
