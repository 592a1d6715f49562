"""Webhooks signed per Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id` is the delivery's
idempotency key, the same on every retry; `webhook-timestamp` is this attempt's time; `webhook-signature` is
`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the office's secret. Any 2xx is delivery.

Why one httpx client per worker thread: keep-alive to the office's receiver, which is most of a webhook's cost.
"""

from __future__ import annotations

import functools
import threading
import time
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

from handoff.jurisdictions.webhooks import WebhookRefused, pinned_target
from handoff.notices import conf
from handoff.notices.channels import Result

_local = threading.local()

#: statuses that refuse this one message: it backs off alone and the office's other notices go on
MESSAGE_REFUSED = frozenset({400, 409, 413, 415, 422})


def client(name: str = "") -> httpx.Client:
    """This thread's client for one webhook host name. Why one per name: the connection goes to a checked
    address (`pinned_target`) and keep-alive pools by address, so two offices whose names share an address
    would otherwise share a TLS connection whose certificate was checked for the other name."""
    clients: dict[str, httpx.Client] | None = getattr(_local, "clients", None)
    if clients is None:
        clients = _local.clients = {}
    c = clients.get(name)
    if c is None:
        c = httpx.Client(timeout=conf.webhook_timeout(), follow_redirects=False,
                         headers={"user-agent": "handoff-notices/1"})
        clients[name] = c
    return c


def close() -> None:
    clients: dict[str, httpx.Client] = getattr(_local, "clients", None) or {}
    for c in clients.values():
        c.close()
    _local.clients = {}


@functools.lru_cache(maxsize=64)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def sign_headers(secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    signature = _signer(secret).sign(msg_id=msg_id, timestamp=at, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def send(url: str, secret: str, msg_id: str, at: datetime, body: str) -> Result:
    if not url:
        return Result(False, error="office has no webhook URL", endpoint_down=True)
    if not secret:
        return Result(False, error="office has no webhook secret; refusing to send unsigned", target=url,
                      endpoint_down=True)
    try:
        headers = sign_headers(secret, msg_id, at, body)
    except Exception as exc:  # a malformed secret is a configuration error of this endpoint
        return Result(False, error=f"cannot sign with the office's secret: {exc}", target=url, endpoint_down=True)
    try:  # resolve once, check every address, connect to the one checked (review L7, DNS rebinding)
        target, host, extensions = pinned_target(url)
    except WebhookRefused as exc:
        return Result(False, error=str(exc)[:500], target=url, endpoint_down=True)
    started = time.perf_counter()
    try:
        response = client(host["host"]).post(target, content=body.encode(), headers={**headers, **host},
                                             extensions=extensions)
    except httpx.HTTPError as exc:
        latency = int((time.perf_counter() - started) * 1000)
        return Result(False, error=f"{type(exc).__name__}: {exc}"[:500], latency_ms=latency, target=url,
                      endpoint_down=True)
    latency = int((time.perf_counter() - started) * 1000)
    code = response.status_code
    if 200 <= code < 300:
        return Result(True, status_code=code, latency_ms=latency, target=url)
    # only a refusal of this message's content is the message's problem; anything else (5xx, 429, 401/403
    # from a secret mismatch, 404 from a moved URL, a redirect) is the endpoint's, and pauses it
    down = code not in MESSAGE_REFUSED
    return Result(False, status_code=code, error=f"HTTP {code}: {response.text[:200]}", latency_ms=latency,
                  target=url, endpoint_down=down)
