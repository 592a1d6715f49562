"""Which webhook addresses an office may be given (security review L7).

Why: a webhook carries personal data of people in custody. Outside debug mode it must be https://, so it is
encrypted on the way; and it may not point at this machine (loopback) or at link-local addresses such as the
cloud metadata service 169.254.169.254, which would turn the notice worker into a way to reach them, unless
HANDOFF_WEBHOOK_ALLOW_LOCAL is set (a receiver on the same host, a test bed). Literal addresses and the
names `localhost` / `*.localhost` are checked; a public name that resolves to such an address is not (the
worker does not follow redirects, and the address is set only by an administrator).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

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
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return "a webhook URL may not point at this machine (set HANDOFF_WEBHOOK_ALLOW_LOCAL=1 to allow it)"
    if address.is_link_local or address.is_multicast:
        return "a webhook URL may not point at a link-local or multicast address (such as 169.254.169.254)"
    return ""
