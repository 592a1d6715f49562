"""Log-on controls: the use notification, password then TOTP, a code works once, lockout after 5 failures in
15 minutes until an admin unlocks, sessions end after 30 minutes idle or 12 hours, inactive accounts are
disabled, passwords are strong and hashed with argon2, every log-on is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from handoff.access import services
from handoff.access.actor import SYSTEM
from handoff.audit.models import AuditEvent
from handoff.core.errors import InvalidInput
from tests.access import world as W

START = datetime(2025, 3, 3, 15, 0, 7, tzinfo=UTC)


@pytest.fixture
def clerk(db: None) -> Any:
    w = W.World()
    W.build_places(w)
    return services.create_user(SYSTEM, "alice", "jail_clerk", facilities=[W.OWN_FACILITY], password=W.PASSWORD)


def code_for(user: Any) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def password_step(client: Client, password: str = W.PASSWORD, username: str = "alice") -> Any:
    return client.post("/login/", {"username": username, "password": password})


def enrol(client: Client, user: Any) -> Any:
    assert password_step(client)["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    return client.post("/login/enrol/", {"code": code})


def is_logged_on(client: Client) -> bool:
    response = client.get("/session/keepalive")
    return response.status_code not in (302, 403)


def test_it_shows_the_use_notification_before_log_on(client: Client, db: None) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    assert b"System use notification" in page.content
    assert b"monitored, recorded and subject to audit" in page.content


@time_machine.travel(START, tick=False)
def test_it_enrols_a_totp_device_on_first_log_on_and_then_asks_for_a_code(client: Client, clerk: Any) -> None:
    response = enrol(client, clerk)
    assert response.status_code == 302 and response["Location"] == "/"
    assert is_logged_on(client)
    client.post("/logout/")
    assert not is_logged_on(client)
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        assert password_step(client)["Location"] == "/login/verify/"
        assert client.post("/login/verify/", {"code": code_for(clerk)})["Location"] == "/"
    events = list(AuditEvent.objects.filter(action__startswith="login").values_list("action", "outcome", "actor"))
    assert events.count(("login.success", "success", "alice")) == 2


@time_machine.travel(START, tick=False)
def test_it_accepts_a_totp_code_once_only(client: Client, clerk: Any) -> None:
    enrol(client, clerk)
    client.post("/logout/")
    with time_machine.travel(START + timedelta(seconds=30), tick=False):
        code = code_for(clerk)
        password_step(client)
        assert client.post("/login/verify/", {"code": code})["Location"] == "/"
        client.post("/logout/")
        # the same code, still inside its 30-second step, a second time: refused
        password_step(client)
        again = client.post("/login/verify/", {"code": code})
        assert again.status_code == 401
        assert b"already used" in again.content
        assert not is_logged_on(client)
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        assert client.post("/login/verify/", {"code": code_for(clerk)})["Location"] == "/"


def test_it_never_logs_on_without_the_second_factor(client: Client, clerk: Any) -> None:
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    assert password_step(client)["Location"] == "/login/verify/"
    assert not is_logged_on(client)
    assert client.get("/session/keepalive")["Location"].startswith("/login/")


@time_machine.travel(START, tick=False)
def test_it_locks_the_account_after_5_failures_until_an_admin_unlocks_it(client: Client, clerk: Any) -> None:
    for _ in range(4):
        assert password_step(client, "wrong password here").status_code == 401
    fifth = password_step(client, "wrong password here")
    assert fifth.status_code == 403
    assert b"locked" in fifth.content and b"administrator" in fifth.content
    # the right password no longer helps, 20 minutes later either (the lock lasts HANDOFF_LOCKOUT_MINUTES = 30)
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        assert password_step(client).status_code == 403
        call_command("user", "unlock", "alice")
        assert password_step(client)["Location"] == "/login/enrol/"
    failures = AuditEvent.objects.filter(action="login.failure", detail__account="alice").count()
    assert failures >= 6
    assert AuditEvent.objects.filter(action="permission.account_unlock").exists()


def test_it_counts_only_failures_within_15_minutes(client: Client, clerk: Any) -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            assert password_step(client, "wrong password here").status_code == 401
    with time_machine.travel(START + timedelta(minutes=16), tick=False):
        for _ in range(4):  # 8 failures in all, but only 4 in the last 15 minutes
            assert password_step(client, "wrong password here").status_code == 401
    with time_machine.travel(START + timedelta(minutes=17), tick=False):
        assert password_step(client, "wrong password here").status_code == 403  # the 5th within 15 minutes
        assert password_step(client).status_code == 403


@time_machine.travel(START, tick=False)
def test_it_counts_wrong_codes_as_failed_log_ons(client: Client, clerk: Any) -> None:
    enrol(client, clerk)
    client.post("/logout/")
    password_step(client)
    good = code_for(clerk)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    statuses = [client.post("/login/verify/", {"code": wrong}).status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4 and statuses[4] == 403
    assert password_step(client).status_code == 403


def test_it_ends_a_session_after_30_minutes_idle(client: Client, clerk: Any) -> None:
    with time_machine.travel(START, tick=False):
        W.verified_login(client, clerk)
        assert is_logged_on(client)
    with time_machine.travel(START + timedelta(minutes=29), tick=False):
        assert is_logged_on(client)
    with time_machine.travel(START + timedelta(minutes=60), tick=False):
        assert not is_logged_on(client)
        page = client.get("/login/")
        assert b"30 minutes without activity" in page.content
    assert AuditEvent.objects.filter(action="session.expired", detail__reason="idle").exists()


def test_it_ends_a_session_after_12_hours_however_active(client: Client, clerk: Any) -> None:
    with time_machine.travel(START, tick=False):
        W.verified_login(client, clerk)
        client.get("/session/keepalive")
    at = START
    while at < START + timedelta(hours=11, minutes=50):
        at += timedelta(minutes=20)
        with time_machine.travel(at, tick=False):
            assert is_logged_on(client), at
    with time_machine.travel(START + timedelta(hours=12, minutes=5), tick=False):
        assert not is_logged_on(client)
    assert AuditEvent.objects.filter(action="session.expired", detail__reason="maximum").exists()


def test_it_disables_an_account_unused_for_90_days_at_log_on(client: Client, clerk: Any) -> None:
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=91), tick=False):
        response = password_step(client)
        assert response.status_code == 401
        assert b"90 days" in response.content
    clerk.refresh_from_db()
    assert not clerk.is_active


def test_it_disables_inactive_accounts_in_bulk_and_can_enable_them_again(clerk: Any) -> None:
    from io import StringIO

    out = StringIO()
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=89), tick=False):
        call_command("user", "disable-inactive", "--json", stdout=out)
    assert '"disabled": []' in out.getvalue()
    out = StringIO()
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=91), tick=False):
        call_command("user", "disable-inactive", "--json", stdout=out)
        assert '"disabled": ["alice"]' in out.getvalue()
        call_command("user", "enable", "alice")
    clerk.refresh_from_db()
    assert clerk.is_active


def test_it_requires_long_uncommon_passwords_hashed_with_argon2(clerk: Any) -> None:
    assert clerk.password.startswith("argon2")
    for weak in ("short pass", "password1234", "123456789012"):
        with pytest.raises(InvalidInput):
            services.create_user(SYSTEM, f"bob{len(weak)}", "auditor", password=weak)


def test_it_sends_open_redirects_home(client: Client, clerk: Any) -> None:
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    client.post("/login/", {"username": "alice", "password": W.PASSWORD, "next": "https://evil.example/"})
    device = TOTPDevice.objects.get(user=clerk)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    assert client.post("/login/verify/", {"code": code})["Location"] == "/"


def test_it_shows_auditors_the_audit_log_and_records_that_they_read_it(client: Client, db: None) -> None:
    from handoff.access.actor import SYSTEM

    w = W.World()
    W.build_places(w)
    auditor = services.create_user(SYSTEM, "audrey", "auditor")
    clerk = services.create_user(SYSTEM, "carl", "jail_clerk", facilities=[W.OWN_FACILITY])
    W.verified_login(client, clerk)
    assert client.get("/audit/").status_code == 403
    W.verified_login(client, auditor)
    page = client.get("/audit/?verify=1")
    assert page.status_code == 200
    assert b"permission.account_create" in page.content and b"Chain intact" in page.content
    assert client.get(f"/audit/?object_id={clerk.pk}&action=permission").status_code == 200
    assert AuditEvent.objects.filter(action="audit.read", actor="audrey").count() == 2


def test_it_starts_counting_afresh_after_an_unlock_from_the_admin_site(client: Client, clerk: Any) -> None:
    from axes.models import AccessAttempt

    with time_machine.travel(START, tick=False):
        for _ in range(5):
            password_step(client, "wrong password here")
        assert password_step(client).status_code == 403
        AccessAttempt.objects.filter(username="alice").delete()  # what the admin site's delete does
        assert password_step(client, "wrong password here").status_code == 401  # one failure, not six
        assert password_step(client)["Location"] == "/login/enrol/"


def _html(response: Any) -> str:
    return response.content.decode()


@time_machine.travel(START, tick=False)
def test_it_says_plainly_how_a_locked_account_is_unlocked(client: Client, clerk: Any) -> None:
    for _ in range(5):
        page = password_step(client, "wrong password here")
    assert page.status_code == 403
    html = " ".join(_html(page).split())
    alert = html.split('id="locked"')[1].split("</div>")[0]
    assert 'role="alert"' in html.split('id="locked"')[0][-80:] and "usa-alert--error" in html.split('id="locked"')[0][-80:]
    assert ("Your account is locked from this computer after 5 failed log-ons in 15 minutes. The lock ends by "
            "itself after 30 minutes, or an administrator can unlock it now." in alert)
    # the same words on the page a bookmarked link shows
    assert "or an administrator can unlock it now." in _html(Client().get("/login/locked/"))


def test_it_lays_out_the_log_on_pages_with_the_design_system(client: Client, clerk: Any) -> None:
    """USWDS form markup, as base.html's other pages: a refused log-on marks the fields and says why in an
    error alert the fields point to, without saying which of the two was wrong."""
    page = _html(client.get("/login/"))
    assert '<form class="usa-form' in page and 'class="usa-label"' in page and 'class="usa-button"' in page
    assert page.count('class="usa-input"') == 2 and "usa-alert--info" in page  # the use notification
    refused = password_step(client, "wrong password here")
    html = _html(refused)
    assert refused.status_code == 401
    assert 'class="usa-alert usa-alert--error usa-alert--slim margin-y-2" role="alert" id="form-error"' in html
    assert html.count('usa-input usa-input--error') == 2 and html.count('aria-describedby="form-error"') == 2
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    password_step(client)
    wrong = _html(client.post("/login/verify/", {"code": "000000"}))
    assert "usa-input usa-input--medium usa-input--error" in wrong and "usa-alert--error" in wrong
    assert 'class="usa-hint"' in wrong


def test_it_lays_out_the_audit_log_with_the_design_system(client: Client, db: None) -> None:
    auditor = services.create_user(SYSTEM, "audrey", "auditor")
    W.verified_login(client, auditor)
    html = _html(client.get("/audit/?verify=1"))
    # 3 filters + the export's 2 dates
    assert 'class="usa-table' in html and 'class="usa-select"' in html and html.count('class="usa-input"') == 5
    assert 'usa-alert--success' in html and "Chain intact" in html
