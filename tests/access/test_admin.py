"""The Django admin: admins with a verified second factor only; every change made there is audited."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client

from handoff.audit.models import AuditEvent
from tests.access import world as W


def test_it_opens_the_admin_to_admins_only_and_audits_their_changes(db: None) -> None:
    w = W.World()
    W.build_places(w)
    W.build_accounts(w)
    clerk, admin = Client(), Client()
    W.verified_login(clerk, w.users["jail_clerk"])
    assert clerk.get("/admin/").status_code == 403
    assert Client().get("/admin/")["Location"].startswith("/login/")
    W.verified_login(admin, w.users["admin"])
    assert admin.get("/admin/").status_code == 200
    response = admin.post("/admin/auth/group/add/", {"name": "night shift"})
    assert response.status_code == 302, response.content[:500]
    group = Group.objects.get(name="night shift")
    entry = AuditEvent.objects.filter(action="admin.add").last()
    assert entry is not None and entry.actor == "admin" and entry.object_type == "auth.group"
    assert [str(i) for i in entry.object_ids] == [str(group.pk)]
    # the audit log itself cannot be edited there
    assert admin.get(f"/admin/audit/auditevent/{entry.pk}/delete/").status_code == 403
