from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _audit_admin_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Changes made through the Django admin (users, accounts, memberships, places) go to the audit log
    in the same transaction as the change. Why a signal: the admin's own views are not ours to edit."""
    if not created:
        return
    from handoff.access.actor import Actor
    from handoff.audit import record

    actor = Actor(kind="user", role="admin", user_id=instance.user_id,
                  username=getattr(instance.user, "username", str(instance.user_id)), ip="admin")
    flag = {1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, str(instance.action_flag))
    ct = instance.content_type
    record(actor, f"admin.{flag}", object_type=f"{ct.app_label}.{ct.model}" if ct else "",
           object_ids=[instance.object_id or ""], detail={"fields": str(instance.change_message)[:500]})


class AccessConfig(AppConfig):
    name = "handoff.access"
    label = "access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        post_save.connect(_audit_admin_change, sender=LogEntry, dispatch_uid="handoff_audit_admin")
