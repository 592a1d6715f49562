"""Review L7 (and the worker as a way into the county's network): a webhook's host name is resolved at each
delivery, every address it resolves to is checked, and the connection goes to the address that was checked,
so a name re-pointed at 169.254.169.254, at a private address or at this machine after it was registered,
or answering differently to a second lookup (DNS rebinding), receives nothing."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from handoff.jurisdictions import webhooks
from handoff.notices.channels import webhook as channel

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


class Hits:
    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.port = 0


@pytest.fixture
def receiver() -> Iterator[Hits]:
    """A receiver on 127.0.0.1 that records the Host header of every POST it gets."""
    hits = Hits()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            hits.hosts.append(self.headers.get("host", ""))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hits.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield hits
    server.shutdown()
    server.server_close()
    channel.close()


def _resolver(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> list[str]:
    """Answer the n-th lookup with answers[n] (the last answer repeats); returns the names looked up."""
    asked: list[str] = []

    def fake(host: str, port: int) -> list[Any]:
        answer = answers[min(len(asked), len(answers) - 1)]
        asked.append(host)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answer]

    monkeypatch.setattr(webhooks, "_getaddrinfo", fake)
    return asked


def _send(url: str) -> Any:
    return channel.send(url, SECRET, "msg_l7", AT, '{"type": "test"}')


@pytest.mark.parametrize("addresses,why", [
    (["127.0.0.1"], "this machine"),
    (["169.254.169.254"], "link-local"),
    (["10.1.2.3"], "private"),
    (["fd12::1"], "private"),
    (["93.184.215.14", "192.168.0.7"], "192.168.0.7"),  # every address is checked, not only the first
])
def test_l7_a_webhook_name_resolving_to_a_local_address_receives_nothing(
        receiver: Hits, monkeypatch: pytest.MonkeyPatch, settings: Any, addresses: list[str], why: str) -> None:
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    _resolver(monkeypatch, addresses)
    result = _send(f"http://hooks.ero.example.gov:{receiver.port}/hook")
    assert not result.delivered and result.endpoint_down  # the office's endpoint pauses and retries later
    assert why in result.error and "hooks.ero.example.gov" in result.error
    assert receiver.hosts == []


def test_l7_the_connection_goes_to_the_checked_address_with_the_name_as_host(
        receiver: Hits, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """DNS rebinding: the first lookup answers this machine (the receiver), any later one 127.0.0.2, where
    nothing listens. The notice arrives, and the name was looked up once: the client did not ask again."""
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = True  # the checked address is this machine's receiver
    asked = _resolver(monkeypatch, ["127.0.0.1"], ["127.0.0.2"])
    result = _send(f"http://hooks.ero.example.gov:{receiver.port}/hook")
    assert result.delivered, result.error
    assert asked == ["hooks.ero.example.gov"]
    assert receiver.hosts == [f"hooks.ero.example.gov:{receiver.port}"]


def test_l7_a_local_webhook_is_refused_at_delivery_unless_allowed(receiver: Hits, settings: Any) -> None:
    """An address stored before the rule (or written straight into the database) is checked again at delivery."""
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    refused = _send(f"http://127.0.0.1:{receiver.port}/hook")
    assert not refused.delivered and "this machine" in refused.error and receiver.hosts == []
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = True
    assert _send(f"http://127.0.0.1:{receiver.port}/hook").delivered
    assert receiver.hosts == [f"127.0.0.1:{receiver.port}"]


def test_l7_https_keeps_the_name_for_tls(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Connecting to an address must not turn off certificate checking: TLS still names and verifies the host."""
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = False
    _resolver(monkeypatch, ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    target, headers, extensions = webhooks.pinned_target("https://hooks.ero.example.gov/hook?x=1")
    assert target == "https://93.184.215.14/hook?x=1"
    assert headers == {"host": "hooks.ero.example.gov"} and extensions == {"sni_hostname": "hooks.ero.example.gov"}


def test_l7_two_offices_sharing_an_address_never_share_a_connection(
        receiver: Hits, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Keep-alive pools by address; with names pinned to addresses, a connection opened (and its certificate
    checked) for one office's name must not carry the next office's notice. One client per name and thread."""
    settings.HANDOFF_WEBHOOK_ALLOW_LOCAL = True
    _resolver(monkeypatch, ["127.0.0.1"])
    for name in ("a.ero.example.gov", "b.ero.example.gov", "a.ero.example.gov"):
        assert _send(f"http://{name}:{receiver.port}/hook").delivered
    assert receiver.hosts == [f"{n}.ero.example.gov:{receiver.port}" for n in "aba"]
    assert sorted(channel._local.clients) == [f"a.ero.example.gov:{receiver.port}", f"b.ero.example.gov:{receiver.port}"]
