"""Security review, deployment (issue 14 item 9): one regression test per finding, named after it."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from handoff.jurisdictions.webhooks import webhook_url_problem
from handoff.ops.management.commands.serve import waitress_options
from handoff.settings import secret_key_weakness

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A process with a production environment: none of the switches tests set, then `env`."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("HANDOFF_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean.update({"HANDOFF_BASE_URL": "https://h.example", **env}, DJANGO_SETTINGS_MODULE="handoff.settings")
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


# --- M13: secret key strength; the testing switch cannot weaken a production start -------------------------

@pytest.mark.parametrize("key", ["x", "password", "PASSWORD", "CHANGE-ME", "x" * 60, "ab" * 30,
                                 "handoff-debug-only-key-not-for-production-use-0123456789abcdef",
                                 "0123456789" * 5, "short-but-random-" + secrets.token_hex(8)])
def test_m13_weak_secret_keys_are_refused(key: str) -> None:
    assert secret_key_weakness(key)


def test_m13_random_keys_pass() -> None:
    for _ in range(20):
        assert secret_key_weakness(secrets.token_urlsafe(50)) == ""
        assert secret_key_weakness(secrets.token_hex(32)) == ""


@pytest.mark.slow
def test_m13_a_weak_key_stops_a_production_start() -> None:
    for key in ("x", "CHANGE-ME", "handoff-debug-only-key-not-for-production-use-0123456789abcdef"):
        result = _python("import django; django.setup(); print('started')", HANDOFF_SECRET_KEY=key,
                         HANDOFF_ALLOWED_HOSTS="h.example")
        assert result.returncode != 0 and "HANDOFF_SECRET_KEY" in result.stderr, key


@pytest.mark.slow
def test_m13_the_testing_switch_keeps_https_settings_and_cannot_serve() -> None:
    probe = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
             "'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'ssl': getattr(s, 'SECURE_SSL_REDIRECT', False), "
             "'cookie': s.SESSION_COOKIE_SECURE, 'debug_key': s.USING_DEBUG_KEY}))")
    result = _python(probe, HANDOFF_TESTING="1", HANDOFF_ALLOWED_HOSTS="h.example")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "hsts": 31536000, "ssl": True, "cookie": True, "debug_key": True}
    serve = subprocess.run([sys.executable, "-c", "from handoff.cli import main; main()", "serve", "--port", "0",
                            "--no-worker"], env={**{k: v for k, v in os.environ.items()
                                                    if not k.startswith("HANDOFF_")},
                                                 "HANDOFF_TESTING": "1", "HANDOFF_ALLOWED_HOSTS": "h.example",
                                                 "HANDOFF_BASE_URL": "https://h.example",
                                                 "DJANGO_SETTINGS_MODULE": "handoff.settings"},
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert serve.returncode != 0 and "HANDOFF_TESTING does not allow serving" in serve.stderr


@pytest.mark.slow
def test_m13_the_worker_refuses_the_debug_key_outside_debug_mode(tmp_path: Path) -> None:
    """The worker signs acknowledgement links and keys confidential labels in every payload it sends, so a
    worker started by mistake with HANDOFF_TESTING and no key must not run on the key printed in the source."""
    db = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    worker = ("from handoff.cli import main; import sys; sys.argv=['handoff', 'worker', '--once']; main()")
    refused = _python(worker, HANDOFF_TESTING="1", HANDOFF_ALLOWED_HOSTS="h.example", HANDOFF_DATABASE_URL=db)
    assert refused.returncode != 0
    assert "HANDOFF_SECRET_KEY is missing or weak" in refused.stderr
    assert "Delivered" not in refused.stdout


# --- M12: serve behind a TLS-terminating proxy ------------------------------------------------------------

@pytest.fixture
def served(settings: Any, transactional_db: None) -> Iterator[Any]:
    """`serve`'s waitress configuration on a real socket, with production's HTTPS settings."""
    from django.core.handlers.wsgi import WSGIHandler
    from waitress.server import create_server  # type: ignore[import-untyped]

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["handoff.county.example", "127.0.0.1"]
    servers = []

    def start(proxy: str) -> int:
        settings.HANDOFF_TRUSTED_PROXY = proxy
        # a fresh handler: middleware reads the HTTPS settings when it is built
        server = create_server(WSGIHandler(), **waitress_options("127.0.0.1", 0, 2))
        servers.append(server)
        threading.Thread(target=server.run, daemon=True).start()
        return int(server.effective_port)

    yield start
    for server in servers:
        server.close()


def _get(port: int, path: str, headers: dict[str, str], method: str = "GET", body: str = "") -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


PROXIED = {"Host": "handoff.county.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
           "X-Forwarded-Host": "handoff.county.example"}


def test_m12_behind_the_trusted_proxy_requests_are_https_with_hsts_and_no_redirect_loop(served: Any) -> None:
    port = served("127.0.0.1")
    response = _get(port, "/login/", PROXIED)
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    # plain http through the proxy is still sent to https
    plain = _get(port, "/login/", {**PROXIED, "X-Forwarded-Proto": "http"})
    assert plain.status == 301 and plain.getheader("Location", "").startswith("https://handoff.county.example/")


def test_m12_a_log_on_form_posted_through_the_proxy_passes_csrf(served: Any) -> None:
    port = served("127.0.0.1")
    page = _get(port, "/login/", PROXIED)
    cookie = page.getheader("Set-Cookie", "")
    token = re.search(r"csrftoken=([^;]+)", cookie)
    assert token is not None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", "/login/", headers={**PROXIED, "Cookie": f"csrftoken={token[1]}"})
    html = conn.getresponse().read().decode()
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert form_token is not None
    body = f"csrfmiddlewaretoken={form_token[1]}&username=nobody&password=wrong-password-123"
    response = _get(port, "/login/", {**PROXIED, "Cookie": f"csrftoken={token[1]}",
                                      "Origin": "https://handoff.county.example",
                                      "Referer": "https://handoff.county.example/login/",
                                      "Content-Type": "application/x-www-form-urlencoded"}, "POST", body)
    assert response.status == 401  # the password was wrong, but CSRF let the form through (not 403)


def test_m12_proxy_headers_from_anyone_else_are_ignored(served: Any) -> None:
    port = served("10.9.9.9")  # the proxy is elsewhere: our client is not it
    response = _get(port, "/login/", PROXIED)
    assert response.status == 301  # not treated as https


# --- L6: /healthz shows no database error text ------------------------------------------------------------

def test_l6_healthz_hides_the_database_error(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from handoff.ops import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError('could not connect to server at "db.internal" (10.0.0.5) as user "handoff_admin"')

    monkeypatch.setattr(views, "oldest_overdue", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert b"db.internal" not in response.content and b"handoff_admin" not in response.content


# --- L7: webhook addresses and SMTP encryption ------------------------------------------------------------

@pytest.mark.parametrize("url,problem", [
    ("http://ero.example.gov/hook", "https://"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://127.0.0.1:8321/hook", "this machine"),
    ("https://[::1]/hook", "this machine"),
    ("https://localhost/hook", "this machine"),
    ("https://[::ffff:127.0.0.1]/hook", "this machine"),
    ("https://10.20.30.40/hook", "private"),
    ("https://100.64.1.2/hook", "private, shared or reserved"),
    ("https://[fd00::1]/hook", "private"),
    ("https://224.0.0.1/hook", "multicast"),
    ("ftp://ero.example.gov/hook", "https://"),
])
def test_l7_unsafe_webhook_urls_are_refused(url: str, problem: str, settings: Any) -> None:
    settings.DEBUG = False
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    assert problem in webhook_url_problem(url)


def test_l7_safe_webhook_urls_and_the_local_switch(settings: Any) -> None:
    settings.DEBUG = False
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    assert webhook_url_problem("https://ero.example.gov/hook") == ""
    assert webhook_url_problem("https://93.184.215.14/hook") == ""  # a public address
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = True
    assert webhook_url_problem("https://127.0.0.1:8321/hook") == ""
    assert "https://" in webhook_url_problem("http://127.0.0.1:8321/hook")  # still https outside debug
    settings.DEBUG = True
    assert webhook_url_problem("http://127.0.0.1:8321/hook") == ""


def test_l7_office_add_refuses_a_link_local_webhook(db: None, settings: Any) -> None:
    settings.DEBUG = False
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    with pytest.raises(CommandError, match="link-local"):
        call_command("office", "add", "META", "--name", "x", "--webhook", "https://169.254.169.254/x",
                     "--secret", "whsec_c2VjcmV0")


@pytest.mark.slow
def test_l7_smtp_uses_starttls_by_default() -> None:
    probe = ("import django, json; django.setup(); from django.conf import settings as s; "
             "print(json.dumps([s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_PORT]))")
    key = secrets.token_urlsafe(50)
    cases = {"": [True, False, 25], "smtp://relay.example": [True, False, 25],
             "submission://relay.example": [True, False, 587], "smtps://relay.example": [False, True, 465],
             "smtp://127.0.0.1:1025?starttls=off": [False, False, 1025]}
    for url, expected in cases.items():
        env = {"HANDOFF_SECRET_KEY": key, "HANDOFF_ALLOWED_HOSTS": "h.example"}
        if url:
            env["HANDOFF_EMAIL_URL"] = url
        result = _python(probe, **env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1]) == expected, url
