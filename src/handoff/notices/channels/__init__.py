"""How a delivery leaves: a signed webhook or an e-mail. Each channel returns a Result and never raises for a
failure of the peer, so the worker records every attempt the same way.

Why `endpoint_down`: a connection error, a timeout or a 5xx/429 says the office's receiver is unwell, so the
whole endpoint pauses (its queue keeps its order); a 4xx says this one message was refused, so only it backs off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    delivered: bool
    status_code: int | None = None
    error: str = ""
    latency_ms: int = 0
    target: str = ""
    endpoint_down: bool = False
