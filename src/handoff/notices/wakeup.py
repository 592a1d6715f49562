"""The in-process worker's doorbell. Its own tiny module so that ringing it (after every commit that makes
something due now) never imports the worker and its HTTP client into a process that only writes data."""

from __future__ import annotations

import threading

event = threading.Event()


def ring() -> None:
    event.set()
