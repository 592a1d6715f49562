"""The audit log: append-only, hash-chained.

Why a chain: an auditor must be able to show that no entry was changed, removed or slipped in after the
fact. Each entry stores the SHA-256 of its own canonical content plus the previous entry's hash; the head
row remembers the last sequence number and hash, so removing or adding entries at the end shows too.
Why no update or delete path: the model refuses both, the queryset refuses bulk update and delete, and
the admin is read-only. Retention: entries are never deleted by the application (CJIS asks for at least one
year); archiving older entries is an operator's job with the chain verified before and after.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("audit entries cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries cannot be updated")


class AuditEvent(models.Model):
    """One auditable event, with the content CJIS Security Policy AU-3 asks for: what happened, when,
    where (from which address), the source, the outcome, and the identity of who did it, plus the ids of
    the objects concerned. Never names or dates of birth of the people in custody."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10)
    actor_user_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, help_text="account name, token prefix or system name")
    role = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=80, help_text="where from: IP address, or cli@host")
    action = models.CharField(max_length=60)
    outcome = models.CharField(max_length=12)
    object_type = models.CharField(max_length=40, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        # few indexes on purpose: every read of personal data appends here, and each index is another page
        # to write and sync. seq (unique) orders the log in time; the auditor's usual question is "who".
        indexes = [models.Index(fields=["actor", "at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("audit entries cannot be deleted")


class ChainHead(models.Model):
    """One row (pk=1): the last sequence number and hash. Appends lock it (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), so concurrent writers line up."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"
