"""Which webhook addresses an office may be given (security review L7).

Why: a webhook carries personal data of people in custody. Outside debug mode it must be https://, so it is
encrypted on the way; and it may not point at this machine (loopback) or at link-local addresses such as the
cloud metadata service 169.254.169.254, which would turn the notice worker into a way to reach them, unless
HANDOFF_WEBHOOK_ALLOW_LOCAL is set (a receiver on the same host, a test bed). Literal addresses and the
names `localhost` / `*.localhost` are checked when the URL is saved.

At every delivery (`pinned_target`) the host name is resolved, every address it resolves to is checked
(no loopback, private, shared, link-local, multicast, reserved or unspecified address: only global unicast),
and the connection is made to the address that was checked, with the name kept for the Host header and
for TLS (SNI and certificate). Why at delivery and pinned: a public name can be pointed at 169.254.169.254
or at a county's internal network after it was registered, or answer differently to a second lookup
(DNS rebinding); checking one answer and letting the HTTP client look the name up again would check nothing.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from typing import Any
from urllib.parse import urlparse, urlsplit, urlunsplit

from django.conf import settings


def webhook_url_problem(url: str) -> str:
    """Why `url` may not receive notices, or "" when it may."""
    if not url:
        return ""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        return "a webhook URL must be an absolute https:// address"
    if parsed.scheme != "https" and not settings.DEBUG:
        return "a webhook URL must use https:// (notices carry personal data); http:// only in debug mode"
    if getattr(settings, "HANDOFF_WEBHOOK_ALLOW_LOCAL", False):
        return ""
    host = parsed.hostname.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "a webhook URL may not point at this machine (set HANDOFF_WEBHOOK_ALLOW_LOCAL=1 to allow it)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""  # a name: resolved and checked at every delivery (pinned_target)
    problem = address_problem(address)
    if problem:
        return f"a webhook URL may not point at {problem} (set HANDOFF_WEBHOOK_ALLOW_LOCAL=1 to allow it)"
    return ""


#: the shortest key a webhook secret may decode to (Standard Webhooks suggests 24 to 64 bytes)
MIN_SECRET_BYTES = 16


def webhook_secret_problem(secret: str) -> str:
    """Why `secret` cannot sign notices, or "" (review L7: `notbase64!!` was accepted by `office add`, and
    every delivery to the office then failed on signing, only in the worker's log)."""
    if not secret:
        return ""
    key = secret.strip()
    key = key[len("whsec_"):] if key.startswith("whsec_") else key
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return "a webhook secret must be whsec_ followed by base64 (Standard Webhooks)"
    if len(raw) < MIN_SECRET_BYTES:
        return f"a webhook secret must decode to at least {MIN_SECRET_BYTES} bytes (it signs every notice)"
    return ""


class WebhookRefused(Exception):
    """This delivery may not be made to the address the webhook's host name resolves to (the message says why)."""


def _getaddrinfo(host: str, port: int) -> list[Any]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why a notice may not be sent to `address`, or "": only global unicast addresses receive notices."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return "this machine"
    if address.is_link_local:
        return "a link-local address (such as the cloud metadata service)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private or not address.is_global:
        return "a private, shared or reserved address"
    return ""


def pinned_target(url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Resolve the webhook URL's host once and check every address (unless HANDOFF_WEBHOOK_ALLOW_LOCAL).
    Returns the URL to connect to (the host replaced by the checked address), the Host header and the request
    extensions (the TLS server name), so the client connects where we checked and never looks the name up
    again. Raises WebhookRefused."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").strip("[]")
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookRefused("a webhook URL must be an absolute https:// address")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = _getaddrinfo(host, port)
        except (OSError, UnicodeError) as exc:
            raise WebhookRefused(f"cannot resolve the webhook host {host}: {exc}") from None
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise WebhookRefused(f"the webhook host {host} resolves to no address")
    if not getattr(settings, "HANDOFF_WEBHOOK_ALLOW_LOCAL", False):
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise WebhookRefused(f"the webhook host {host} resolves to {address}, {problem}; notices are sent "
                                     "only to public addresses (HANDOFF_WEBHOOK_ALLOW_LOCAL=1 allows local ones)")
    chosen = addresses[0]
    netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    if parts.port:
        netloc += f":{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = f"[{host}]" if literal is not None and literal.version == 6 else host
    if parts.port:
        host_header += f":{parts.port}"
    extensions: dict[str, Any] = {}
    if parts.scheme == "https" and literal is None:
        extensions["sni_hostname"] = host  # TLS names and verifies the host, not the address
    return target, {"host": host_header}, extensions
