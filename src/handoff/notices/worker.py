"""Placeholder until the outbox worker lands (issue 4)."""

from __future__ import annotations

import threading


def run_forever(stop: threading.Event) -> None:
    stop.wait()
