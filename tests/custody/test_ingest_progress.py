"""A long import shows a progress bar on a terminal and nothing else anywhere: under --json, into a pipe or a
file, stdout carries only the result (issue: "Long imports ... show a progress bar on a terminal and stay
quiet under --json")."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.custody.helpers import BOOKING_HEADER, booking, booking_rows, write_csv


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as an operator's is."""

    def isatty(self) -> bool:
        return True


def _file(tmp_path: Path, n: int) -> Path:
    return write_csv(tmp_path / "bookings.csv", BOOKING_HEADER, booking_rows([booking(i) for i in range(n)]))


def _run(monkeypatch: pytest.MonkeyPatch, stderr: io.StringIO, *args: str) -> str:
    monkeypatch.setattr(sys, "stderr", stderr)
    out = io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_it_draws_a_progress_bar_on_a_terminal(jails: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    out = _run(monkeypatch, terminal, "bookings", str(_file(tmp_path, 30)), "--batch-size", "10")
    assert "importing bookings" in terminal.getvalue()
    assert "30 rows read" in out and "importing" not in out


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["json on a terminal", "a pipe"])
def test_it_stays_quiet_under_json_or_off_a_terminal(jails: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     where: str) -> None:
    stderr = Terminal() if where == "json on a terminal" else io.StringIO()
    args = ["bookings", str(_file(tmp_path, 30)), "--batch-size", "10"]
    out = _run(monkeypatch, stderr, *args, *(["--json"] if where.startswith("json") else []))
    assert stderr.getvalue() == ""
    if where.startswith("json"):
        assert json.loads(out)["accepted"] == 30
