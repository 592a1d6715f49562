"""Who may do what, and where: accounts with one role, memberships that place them, and API tokens.

Why one role per account: least privilege is easier to reason about (and to audit) when a person's rights do
not depend on which of several hats they happen to wear; someone with two jobs gets two accounts.
Why memberships as rows and not Django groups: the scope is a place (a jail, a county, a federal office),
which groups cannot express, and the scoping layer needs it as plain ids.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    JAIL_CLERK = "jail_clerk", "Jail clerk"
    JAIL_SUPERVISOR = "jail_supervisor", "Jail supervisor"
    FEDERAL_OFFICER = "federal_officer", "Federal officer"
    COUNTY_COUNSEL = "county_counsel", "County counsel"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


#: roles whose rights are not limited to places
GLOBAL_ROLES = frozenset({Role.AUDITOR.value, Role.ADMIN.value})
#: roles placed by facility or jurisdiction memberships
PLACE_ROLES = frozenset({Role.JAIL_CLERK.value, Role.JAIL_SUPERVISOR.value, Role.COUNTY_COUNSEL.value})


class Account(models.Model):
    """The access profile of one Django user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_account")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField()
    unlocked_at = models.DateTimeField(
        null=True, blank=True, help_text="last admin unlock: failures before it no longer count"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class Membership(models.Model):
    """Places one account at one facility, jurisdiction or federal office."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        "jurisdictions.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(
        "jurisdictions.FederalOffice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_exactly_one_place",
                condition=(
                    models.Q(jurisdiction__isnull=False, facility__isnull=True, office__isnull=True)
                    | models.Q(jurisdiction__isnull=True, facility__isnull=False, office__isnull=True)
                    | models.Q(jurisdiction__isnull=True, facility__isnull=True, office__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        place = self.jurisdiction or self.facility or self.office
        return f"{self.account} @ {place}"


class ApiToken(models.Model):
    """A bearer token for another system (a jail management system, a federal office).

    Why only a digest is stored: a copy of the database must not let anyone call the API. The prefix is kept
    in clear so a person can tell tokens apart and revoke the right one. The scope is copied from the owner
    at creation (and may be narrower), so later membership changes do not silently widen a token.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the whole token")
    role = models.CharField(max_length=20, choices=Role.choices)
    facility_ids = models.JSONField(default=list, blank=True)
    jurisdiction_ids = models.JSONField(default=list, blank=True)
    office_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix} ({self.role})"
