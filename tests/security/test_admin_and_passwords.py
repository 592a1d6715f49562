"""Review L7 (webhook secrets in the Django admin) and L2 (password policy): what an administrator sees
and what an account may choose."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from handoff.access import services
from handoff.access.actor import SYSTEM
from handoff.access.passwords import DEMO_PASSWORD
from handoff.core.errors import InvalidInput
from handoff.jurisdictions.models import FederalOffice
from tests.access import world as W
from tests.security.conftest import page

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ESCALATION_SECRET = "whsec_c2Vjb25kLXNlY3JldC1mb3ItZXNjYWxhdGlvbg=="


def test_l7_the_admin_never_shows_a_webhook_secret(world: W.World) -> None:
    """An admin page is screenshotted and shoulder-surfed; whoever holds the secret can forge notices to the
    office. The change page says a secret is set, never what it is, and saving the page keeps it."""
    office = world.offices[W.OWN_OFFICE]
    office.webhook_url, office.webhook_secret = "https://hooks.example.gov/los", SECRET
    office.escalation_webhook_secret = ESCALATION_SECRET
    office.save()
    admin = page(world.users["admin"])
    url = f"/admin/jurisdictions/federaloffice/{office.pk}/change/"
    html = admin.get(url).content.decode()
    assert "hooks.example.gov/los" in html  # the page is the office's page
    for secret in (SECRET, ESCALATION_SECRET, SECRET[6:20], ESCALATION_SECRET[6:20]):
        assert secret not in html
    assert html.count("set (hidden") == 2
    listing = admin.get("/admin/jurisdictions/federaloffice/").content.decode()
    assert SECRET not in listing and SECRET[6:20] not in listing
    saved = admin.post(url, {"code": office.code, "name": "ICE ERO Los Angeles (renamed)", "covers": [
        world.jurisdictions[W.OWN_FIPS].pk], "webhook_url": office.webhook_url, "email": office.email,
        "escalation_email": "", "escalation_webhook_url": ""})
    assert saved.status_code == 302, saved.content[:2000]
    office.refresh_from_db()
    assert office.name.endswith("(renamed)")
    assert (office.webhook_secret, office.escalation_webhook_secret) == (SECRET, ESCALATION_SECRET)


L2_ACCEPTED_BEFORE = ["aaaaaaaaaaaa", "lock3lock3lock3", "qwertyuiopas", " " * 12, "Summer2026!!", "correcthorse1",
                      "1qaz2wsx3edc4rfv", "Password2026?", "zxcvbnm12345"]


@pytest.mark.parametrize("password", L2_ACCEPTED_BEFORE)
def test_l2_guessable_passwords_are_refused_by_handoff_user_password(world: W.World, settings: Any,
                                                                     password: str) -> None:
    """The review's exact list (for user lock3) and a few of the same kinds. The command is how an admin sets a
    password, so it is where a person meets the rule: exit code 2 and a reason, and the old password works."""
    settings.DEBUG = False
    services.create_user(SYSTEM, "lock3", "auditor", password=W.PASSWORD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", StringIO(password + "\n"))
        with pytest.raises(CommandError) as refused:
            call_command("user", "password", "lock3", "--password-stdin", stdout=StringIO())
    assert refused.value.returncode == 2 and "password" in str(refused.value).lower()
    assert get_user_model().objects.get(username="lock3").check_password(W.PASSWORD)


@pytest.mark.parametrize("password", [W.PASSWORD, "correct-horse-battery-staple-9", "Tr0ub4dor&3xy",
                                      "my cat eats 7 socks", "xK9#mP2$vL5q"])
def test_l2_long_passphrases_and_mixed_passwords_are_accepted(world: W.World, password: str) -> None:
    """The policy must not push people to sticky notes: a passphrase needs no digits or symbols."""
    services.create_user(SYSTEM, "lock3", "auditor", password=W.PASSWORD)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", StringIO(password + "\n"))
        call_command("user", "password", "lock3", "--password-stdin", stdout=StringIO())
    assert get_user_model().objects.get(username="lock3").check_password(password)


def test_l2_the_demo_password_works_only_in_debug_mode(world: W.World, settings: Any) -> None:
    """`serve --demo` gives every demo account the published password in debug mode; nowhere else."""
    settings.DEBUG = True
    services.create_user(SYSTEM, "demo1", "auditor", password=DEMO_PASSWORD)
    settings.DEBUG = False
    with pytest.raises(InvalidInput):
        services.create_user(SYSTEM, "demo2", "auditor", password=DEMO_PASSWORD)


@pytest.mark.parametrize("secret,why", [("notbase64!!", "base64"), ("whsec_c2VjcmV0", "16 bytes")])
def test_l7_office_add_refuses_an_unusable_webhook_secret(world: W.World, secret: str, why: str) -> None:
    """`notbase64!!` was accepted, and every delivery to the office then failed on signing, seen only in the
    worker's log; a six-byte key signs nothing worth trusting."""
    with pytest.raises(CommandError, match=why):
        call_command("office", "add", "BADSEC", "--name", "ERO bad secret", "--webhook", "https://hooks.example.gov/x",
                     "--secret", secret, stdout=StringIO())
    assert not FederalOffice.objects.filter(code="BADSEC").exists()
    call_command("office", "add", "BADSEC", "--name", "ERO bad secret", "--webhook", "https://hooks.example.gov/x",
                 "--secret", SECRET, stdout=StringIO())
    assert FederalOffice.objects.get(code="BADSEC").webhook_secret == SECRET
