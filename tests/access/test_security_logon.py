"""Security review, log-on and tokens (issue 14 item 6) and audit of every door (item 5): one regression test
per finding, named after it."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from handoff.access import services
from handoff.access.actor import SYSTEM
from handoff.access.models import Account, Membership
from handoff.access.passwords import DEMO_PASSWORD
from handoff.audit.models import AuditEvent
from handoff.core.errors import InvalidInput
from handoff.jurisdictions.models import Jurisdiction
from tests.access import world as W
from tests.access.test_logon import START, is_logged_on, password_step

LOCAL_A = {"REMOTE_ADDR": "10.1.1.1"}
LOCAL_B = {"REMOTE_ADDR": "10.2.2.2"}


@pytest.fixture
def clerk(db: None) -> Any:
    w = W.World()
    W.build_places(w)
    return services.create_user(SYSTEM, "alice", "jail_clerk", facilities=[W.OWN_FACILITY], password=W.PASSWORD)


# --- M5: the TOTP enrolment secret is new per attempt ----------------------------------------------------

def test_m5_two_log_on_attempts_never_see_the_same_totp_secret(clerk: Any) -> None:
    attacker, owner = Client(), Client()
    assert password_step(attacker)["Location"] == "/login/enrol/"
    attacker.get("/login/enrol/")
    attacker_device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    assert password_step(owner)["Location"] == "/login/enrol/"
    owner.get("/login/enrol/")
    owner_device = TOTPDevice.objects.filter(user=clerk, confirmed=False).exclude(pk=attacker_device.pk).get()
    assert owner_device.key != attacker_device.key
    assert attacker_device.key not in owner.get("/login/enrol/").content.decode()
    # reloading the page is a new attempt: a new secret again
    owner.get("/login/enrol/")
    newest = TOTPDevice.objects.filter(user=clerk, confirmed=False).order_by("-pk")[0]
    assert newest.key not in (owner_device.key, attacker_device.key)


def test_m5_the_owner_confirms_their_own_secret_and_the_attempt_seen_by_another_is_worthless(clerk: Any) -> None:
    from django_otp.oath import TOTP

    attacker, owner = Client(), Client()
    password_step(attacker)
    attacker.get("/login/enrol/")
    seen = TOTPDevice.objects.get(user=clerk, confirmed=False)
    password_step(owner)
    owner.get("/login/enrol/")
    mine = TOTPDevice.objects.filter(user=clerk, confirmed=False).exclude(pk=seen.pk).get()
    code = f"{TOTP(mine.bin_key, mine.step, mine.t0, mine.digits, mine.drift).token():06d}"
    assert owner.post("/login/enrol/", {"code": code}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=clerk).values_list("pk", "confirmed")) == [(mine.pk, True)]
    # the attacker's secret no longer exists, so no code from it will ever pass
    seen_code = f"{TOTP(seen.bin_key, seen.step, seen.t0, seen.digits, seen.drift).token():06d}"
    response = attacker.post("/login/enrol/", {"code": seen_code})
    assert response.status_code == 302 and response["Location"] != "/"


# --- M6: tokens are checked against the account at every use ---------------------------------------------

def _me(token: str) -> Any:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_m6_a_token_follows_its_accounts_places_when_they_change(db: None) -> None:
    w = W.build()
    token = w.tokens["county_counsel"]
    assert _me(token).json()["jurisdictions"][:1] == [W.OWN_FIPS]
    own = w.requests["own"].request_id
    assert Client().get(f"/api/v1/requests/{own}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    # an admin moves the account to the other county (as in /admin/)
    account = Account.objects.get(user=w.users["county_counsel"])
    Membership.objects.filter(account=account).update(jurisdiction=Jurisdiction.objects.get(fips=W.OTHER_FIPS))
    assert W.OWN_FIPS not in _me(token).json()["jurisdictions"]
    assert Client().get(f"/api/v1/requests/{own}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404


def test_m6_a_token_dies_when_its_accounts_role_changes(db: None) -> None:
    w = W.build()
    token = w.tokens["admin"]
    assert _me(token).status_code == 200
    Account.objects.filter(user=w.users["admin"]).update(role="auditor")  # demoted in /admin/
    assert _me(token).status_code == 401


def test_m6_a_narrowed_token_never_reaches_more_than_the_account_now_has(db: None) -> None:
    w = W.build()
    _, raw = services.create_token(SYSTEM, "county_counsel", jurisdictions=[W.OWN_FIPS])
    assert W.OWN_FIPS in _me(raw).json()["jurisdictions"]
    Membership.objects.filter(account__user=w.users["county_counsel"]).delete()
    assert _me(raw).json()["jurisdictions"] == []


# --- M7: background polls do not count as activity -------------------------------------------------------

def test_m7_the_dashboards_background_poll_does_not_keep_the_session_alive(client: Client, clerk: Any) -> None:
    with time_machine.travel(START, tick=False):
        W.verified_login(client, clerk)
        page = client.get("/jail/")
        assert page.status_code == 200 and b"data-background-poll" in page.content
    for minutes in (10, 20, 29):
        with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
            poll = client.get("/jail/", HTTP_HX_REQUEST="true", HTTP_X_HANDOFF_POLL="1")
            assert poll.status_code == 200
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert not is_logged_on(client)
    assert AuditEvent.objects.filter(action="session.expired", detail__reason="idle").exists()


def test_m7_a_click_still_counts_as_activity(client: Client, clerk: Any) -> None:
    with time_machine.travel(START, tick=False):
        W.verified_login(client, clerk)
        client.get("/jail/")
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        client.get("/jail/", HTTP_HX_REQUEST="true")  # a user-driven htmx request, no poll header
    with time_machine.travel(START + timedelta(minutes=45), tick=False):
        assert is_logged_on(client)


# --- L1: lockout keyed by account and address, expiring, with an admin unlock -----------------------------

def test_l1_guesses_from_one_address_do_not_lock_the_owner_out_from_another(clerk: Any) -> None:
    attacker, owner = Client(**LOCAL_A), Client(**LOCAL_B)
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            last = password_step(attacker, "wrong password here")
        assert last.status_code == 403
        assert password_step(attacker).status_code == 403  # locked from the guessing address
        assert password_step(owner)["Location"] == "/login/enrol/"  # the owner's desk still logs on


def test_l1_a_lockout_expires_by_itself_after_the_configured_period(clerk: Any, settings: Any) -> None:
    client = Client(**LOCAL_A)
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            password_step(client, "wrong password here")
        assert password_step(client).status_code == 403
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        assert password_step(client).status_code == 403
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        assert password_step(client)["Location"] == "/login/enrol/"


def test_l1_an_admin_unlocks_an_account_from_the_admin_site(clerk: Any) -> None:
    client = Client(**LOCAL_A)
    for _ in range(5):
        password_step(client, "wrong password here")
    assert password_step(client).status_code == 403
    admin = Client()
    admin_user = services.create_user(SYSTEM, "root1", "admin", password=W.PASSWORD)
    W.verified_login(admin, admin_user)
    account = Account.objects.get(user=clerk)
    response = admin.post("/admin/access/account/", {"action": "unlock_logon", "_selected_action": [account.pk]})
    assert response.status_code == 302
    assert password_step(client)["Location"] == "/login/enrol/"
    assert AuditEvent.objects.filter(action="permission.account_unlock", actor="root1").exists()
    bulk = AuditEvent.objects.filter(action="admin.action").last()
    assert bulk is not None and bulk.detail["bulk_action"] == "unlock_logon" and bulk.object_ids == [str(account.pk)]


# --- L8: failed log-on names are not stored verbatim -----------------------------------------------------

def test_l8_a_password_typed_into_the_name_field_never_reaches_the_audit_log(clerk: Any) -> None:
    secretish = "Tr0ub4dor&3-my-real-password"
    client = Client()
    client.post("/login/", {"username": secretish, "password": "whatever it was"})
    client.post("/login/", {"username": secretish, "password": "again"})
    entries = list(AuditEvent.objects.filter(action="login.failure").order_by("seq"))
    assert len(entries) == 2
    assert all(secretish not in str(e.detail) and secretish not in str(e.object_ids) for e in entries)
    # the same string twice can still be counted together
    assert entries[0].detail["unknown_account"] == entries[1].detail["unknown_account"]
    # a real account's name is kept, it is no secret
    password_step(client, "wrong password here")
    assert AuditEvent.objects.filter(action="login.failure", detail__account="alice").exists()


# --- L10: outside debug mode the demo accounts never exist and the demo password is refused ---------------

def _demo_clerk(settings: Any) -> Any:
    w = W.World()
    W.build_places(w)
    settings.DEBUG = True
    return services.create_user(SYSTEM, "clerk", "jail_clerk", facilities=[W.OWN_FACILITY], password=DEMO_PASSWORD)


def test_l10_the_demo_password_logs_nobody_on_outside_debug_mode(db: None, settings: Any) -> None:
    user = _demo_clerk(settings)
    settings.DEBUG = False
    response = Client().post("/login/", {"username": "clerk", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="login.failure", detail__account="clerk").exists()
    with pytest.raises(InvalidInput):
        services.set_password(SYSTEM, "clerk", DEMO_PASSWORD)
    assert services.retire_demo_accounts() == ["clerk"]
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert Account.objects.get(user=user).disabled_reason == "demo account outside debug mode"
    assert services.retire_demo_accounts() == []  # nothing left to retire


def test_l10_in_debug_mode_the_demo_accounts_still_work(db: None, settings: Any) -> None:
    _demo_clerk(settings)
    assert Client().post("/login/", {"username": "clerk", "password": DEMO_PASSWORD}).status_code == 302


# --- M4: every door is audited ---------------------------------------------------------------------------

def test_m4_admin_views_of_a_person_are_audited(db: None) -> None:
    w = W.build()
    admin = Client()
    W.verified_login(admin, w.users["admin"])
    person = w.requests["own"].booking.person if w.requests["own"].booking else None
    assert person is not None
    before = AuditEvent.objects.count()
    assert admin.get(f"/admin/custody/person/{person.pk}/change/").status_code == 200
    entry = AuditEvent.objects.filter(action="admin.read").last()
    assert entry is not None and AuditEvent.objects.count() > before
    assert entry.actor == "admin" and entry.object_ids == [str(person.pk)]
    assert entry.detail["view"] == "custody_person_change"
    admin.get("/admin/custody/person/")
    assert AuditEvent.objects.filter(action="admin.read", detail__view="custody_person_changelist").exists()


def _run(*args: str) -> str:
    out = StringIO()
    with contextlib.suppress(SystemExit, CommandError):
        call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_m4_cli_reads_of_decisions_and_notices_are_audited(db: None) -> None:
    w = W.build()
    req = w.requests["own"]
    _run("decision", "show", req.request_id, "--json")
    entry = AuditEvent.objects.filter(action="decision.read").last()
    assert entry is not None and entry.object_ids == [req.pk] and entry.actor.startswith("system:")
    assert entry.detail == {"request_id": req.request_id, "door": "cli"}
    _run("decision", "show", "NO-SUCH-REQ")
    assert AuditEvent.objects.filter(action="decision.read", outcome="not_found").exists()
    _run("notices", "--json")
    listing = AuditEvent.objects.filter(action="notice.list").last()
    assert listing is not None and listing.detail["door"] == "cli" and "shown" in listing.detail


def test_m4_office_and_facility_changes_from_the_cli_are_audited(db: None) -> None:
    W.build(accounts=False)
    _run("office", "add", "NEWO", "--name", "ERO New", "--covers", W.OWN_FIPS)
    entry = AuditEvent.objects.filter(action="permission.office_set").last()
    assert entry is not None and entry.detail["covers"] == [W.OWN_FIPS] and entry.detail["created"] is True
    _run("office", "add", "NEWO", "--name", "ERO New", "--covers", W.OTHER_FIPS)
    entry = AuditEvent.objects.filter(action="permission.office_set").last()
    assert entry is not None and entry.detail["covers"] == sorted([W.OWN_FIPS, W.OTHER_FIPS])
    _run("facility", "add", "NEW-JAIL", "--jurisdiction", W.OWN_FIPS, "--name", "New Jail")
    assert AuditEvent.objects.filter(action="facility.set", detail__code="NEW-JAIL").exists()


def test_m4_each_import_leaves_one_audit_entry_with_its_counts(db: None, tmp_path: Any) -> None:
    W.build(accounts=False)
    path = tmp_path / "bookings.csv"
    path.write_text("facility,booking_number,booked_at,last_name,first_name,date_of_birth\n"
                    f"{W.OWN_FACILITY},AUD-1,2025-03-01T10:00:00Z,Doe,Jan,1980-01-01\n"
                    f"{W.OWN_FACILITY},,2025-03-01T10:00:00Z,Doe,Jan,1980-01-01\n")
    before = AuditEvent.objects.filter(action="ingest.bookings").count()
    _run("ingest", "bookings", str(path), "--json")
    entries = list(AuditEvent.objects.filter(action="ingest.bookings"))
    assert len(entries) == before + 1
    detail = entries[-1].detail
    assert detail["file"] == "bookings.csv" and detail["rows"] == 2 and detail["rejected"] >= 1
    assert "Doe" not in str(detail)


def test_m4_failed_names_and_reads_keep_no_personal_data(db: None) -> None:
    # guard: the log still refuses names and dates of birth whatever the door
    from handoff.audit import record

    with pytest.raises(ValueError):
        record(SYSTEM, "x", detail={"last_name": "Doe"})

