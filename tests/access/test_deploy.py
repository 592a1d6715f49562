"""Production settings pass Django's deployment checklist: HSTS, secure cookies, CSP, frame denial."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client


def _run(code_or_args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    # a production environment: none of the switches tests (or Playwright's, DJANGO_ALLOW_ASYNC_UNSAFE) set
    dropped = {"HANDOFF_DEBUG", "HANDOFF_TESTING", "HANDOFF_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "handoff.settings"
    return subprocess.run([sys.executable, *code_or_args], env=clean, capture_output=True, text=True, timeout=120)


PRODUCTION = {"HANDOFF_SECRET_KEY": secrets.token_urlsafe(50), "HANDOFF_ALLOWED_HOSTS": "handoff.example.gov",
              "HANDOFF_BASE_URL": "https://handoff.example.gov"}
# Django's own `check` is a developer command, not on the `handoff` front (handoff.cli)
CHECK = ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"]


@pytest.mark.slow
def test_it_passes_the_deployment_checklist_in_production() -> None:
    result = _run(CHECK, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = _run(["-c", (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'ssl': s.SECURE_SSL_REDIRECT, 'session': s.SESSION_COOKIE_SECURE, "
        "'csrf': s.CSRF_COOKIE_SECURE, 'frame': s.X_FRAME_OPTIONS, 'debug': s.DEBUG, "
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors']}))")], **PRODUCTION)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout.strip().splitlines()[-1]) == {
        "hsts": 31536000, "ssl": True, "session": True, "csrf": True, "frame": "DENY", "debug": False,
        "csp": ["'none'"]}


@pytest.mark.slow
def test_it_fails_the_checklist_in_debug_mode_and_refuses_to_start_without_a_key() -> None:
    assert _run(CHECK, HANDOFF_DEBUG="1", HANDOFF_ALLOWED_HOSTS="x").returncode != 0
    no_key = _run(CHECK, HANDOFF_ALLOWED_HOSTS="handoff.example.gov")
    assert no_key.returncode != 0 and "HANDOFF_SECRET_KEY" in no_key.stderr


def test_it_sends_the_security_headers(client: Client, db: None) -> None:
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
