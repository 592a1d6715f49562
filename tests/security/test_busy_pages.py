"""Review M11 for pages: when SQLite's write lock outlasts the busy timeout (a long import), a page answers
503 with Retry-After and says what is happening, as the API does, instead of a 500 that looks like a bug."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from handoff.access import scoping
from tests.access import world as W
from tests.security.conftest import page


def _locked(*args: object, **kwargs: object) -> None:
    raise OperationalError("database is locked")


def test_m11_a_page_answers_503_with_retry_after_while_the_database_is_locked(
        world: W.World, monkeypatch: pytest.MonkeyPatch) -> None:
    clerk = page(world.users["jail_clerk"])
    assert clerk.get("/jail/").status_code == 200
    monkeypatch.setattr(scoping, "requests_for", _locked)
    busy = clerk.get("/jail/")
    assert busy.status_code == 503 and busy["Retry-After"] == "5"
    assert "Handoff is busy" in busy.content.decode() and "Traceback" not in busy.content.decode()
    monkeypatch.undo()
    assert clerk.get("/jail/").status_code == 200  # and the next look works


def test_m11_other_database_errors_are_still_errors(world: W.World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a lock is a moment to wait; a broken database must not hide behind "busy"."""
    clerk = page(world.users["jail_clerk"])

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("no such table: requests_immigrationrequest")

    monkeypatch.setattr(scoping, "requests_for", broken)
    with pytest.raises(OperationalError):
        clerk.get("/jail/")
