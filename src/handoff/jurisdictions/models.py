"""Places, the jails in them, and the federal offices that cover them.

Why FIPS codes as keys: every party (Census, DOJ reports, ICE area-of-responsibility lists) already speaks
them, and they let a facility's chain of governing law (nation -> state -> county -> city) be derived from
the code itself.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from handoff.jurisdictions.webhooks import webhook_url_problem


class Jurisdiction(models.Model):
    class Kind(models.TextChoices):
        NATION = "nation", "Nation"
        STATE = "state", "State"
        COUNTY = "county", "County"
        CITY = "city", "City"

    fips = models.CharField(max_length=10, unique=True, help_text='"us", 2-digit state or 5-digit county code')
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    postal = models.CharField(max_length=2, blank=True, help_text="two-letter state code")
    default_timezone = models.CharField(max_length=64, blank=True)
    confidential = models.BooleanField(
        default=False,
        help_text="Cooperation is confidential: outsiders see a neutral label instead of the name.",
    )
    confidential_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fips"]

    def __str__(self) -> str:
        return f"{self.name} ({self.fips})"

    def chain(self) -> list[Jurisdiction]:
        """From the nation down to this place: the order in which law is composed."""
        chain: list[Jurisdiction] = []
        node: Jurisdiction | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Facility(models.Model):
    """A jail. It belongs to a county; its time zone turns local release times into instants."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="facilities")
    city = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="city_facilities",
        help_text="A city whose own law also governs this jail (e.g. New York City's Department of Correction).",
    )
    timezone = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """The admin form checks webhook addresses as `office add` does (jurisdictions/webhooks.py)."""
        errors = {f: webhook_url_problem(getattr(self, f)) for f in ("webhook_url", "escalation_webhook_url")}
        errors = {f: e for f, e in errors.items() if e}
        if errors:
            raise ValidationError(errors)

    def jurisdiction_chain(self) -> list[Jurisdiction]:
        chain = self.jurisdiction.chain()
        if self.city_id is not None and self.city is not None:
            chain.append(self.city)
        return chain


class FederalOffice(models.Model):
    """An ICE field office (or the LESC). Notices go to its primary contact; escalations to its second."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    covers = models.ManyToManyField(Jurisdiction, related_name="offices", blank=True)
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Standard Webhooks secret (whsec_... base64) shared with the office."
    )
    email = models.EmailField(blank=True)
    escalation_email = models.EmailField(blank=True, help_text="Second contact: unacknowledged or failing notices.")
    escalation_webhook_url = models.URLField(blank=True, max_length=500)
    escalation_webhook_secret = models.CharField(
        max_length=200, blank=True,
        help_text="Standard Webhooks secret of the second contact's receiver; empty: the primary secret.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PolicyAssignment(models.Model):
    """Which shipped policy document governs a jurisdiction. Loaded from the policy library's
    `jurisdictions:` lists by `handoff setup`; kept as rows so counsel can see (and audit) the assignment."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="policy_assignments")
    policy_id = models.CharField(max_length=64)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "policy_id"], name="uniq_policy_assignment")]
        ordering = ["jurisdiction__fips", "policy_id"]

    def __str__(self) -> str:
        return f"{self.policy_id} -> {self.jurisdiction.fips}"
