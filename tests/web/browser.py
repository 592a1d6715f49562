"""Helpers for the browser tests: Debian's Chromium through Playwright, a local webhook receiver, log-on with
a real TOTP code, an axe-core scan, and screenshots for the README.

Never `playwright install`: the browser is Debian's /usr/bin/chromium (the Makefile's install-browser target).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DOC_MAX_BYTES = 300_000
# Playwright's sync API keeps an event loop in the test thread; the test talks to the database from that
# same thread (never concurrently with the loop), which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def need_browser() -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make install-browser)")
    if not AXE.exists():
        pytest.skip("node_modules/axe-core is missing (make install runs npm ci)")


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class Receiver:
    """A federal office's webhook endpoint on this machine: records every POST, answers 204."""

    url: str
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
            rec.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, raw))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.server = server
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/handoff"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # type: ignore[attr-defined]
    return page


def totp_now(bin_key: bytes) -> str:
    from django_otp.oath import totp

    return f"{totp(bin_key):06d}"


def log_on(page: Any, base_url: str, username: str, password: str) -> None:
    """Password, then the authenticator code, exactly as a person would; at first log-on the enrolment page
    shows the key, and the test computes the code from it (as the phone app would)."""
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/enrol/" in page.url:
        text = page.inner_text("figcaption")
        match = re.search(r"\b([A-Z2-7]{16,})\b", text)
        assert match, f"no key on the enrolment page: {text!r}"
        secret = match.group(1)
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    else:
        assert "/login/verify/" in page.url, page.url
        from django.contrib.auth import get_user_model
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = get_user_model().objects.get(username=username)
        key = TOTPDevice.objects.filter(user=user, confirmed=True).first().bin_key  # type: ignore[union-attr]
    page.fill("input[name=code]", totp_now(key))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"log-on did not complete: {page.url}\n{page.inner_text('main')[:500]}"


def axe_scan(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it stands. Evaluated through the DevTools
    protocol, which the page's Content-Security-Policy does not govern (the page itself stays strict)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def screenshot(page: Any, name: str, *, for_docs: bool = True) -> Path:
    """var/screenshots/<name>.png (full page) always and, with HANDOFF_DOC_SCREENSHOTS=1, the README's
    docs/screenshots/<name>.png (the first screen, palette-reduced to stay well under 300 KB). Why on demand:
    the committed pictures should change when the pages do, not on every test run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if for_docs and os.environ.get("HANDOFF_DOC_SCREENSHOTS"):  # refresh the README's pictures on demand
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        from PIL import Image

        shot = Image.open(BytesIO(page.screenshot(full_page=False)))
        shot = shot.convert("RGB").quantize(colors=64)
        out = DOC_SCREENSHOTS / f"{name}.png"
        shot.save(out, optimize=True)
        if out.stat().st_size > DOC_MAX_BYTES:
            shot.resize((shot.width * 3 // 4, shot.height * 3 // 4)).save(out, optimize=True)
    return path
