"""Fixtures for the notices tests: a real webhook receiver, a real SMTP server, frozen time that tests move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests.notices.support import Receiver, SmtpSink

T0 = datetime(2025, 6, 2, 16, 0, tzinfo=UTC)  # a Monday, 09:00 in Los Angeles


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def travel() -> Iterator[Any]:
    """Time stands still at T0 until the test moves it (`travel.move_to(...)`, `travel.shift(...)`)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker(db: None) -> Any:
    from handoff.notices.worker import Worker

    return Worker(owner="test-worker")
