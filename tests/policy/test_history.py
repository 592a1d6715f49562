"""`handoff policy changes` and `handoff policy stale`: the library's history and its freshness, as a user reads them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from handoff.policy import history
from handoff.policy.engine import load_library

from .helpers import library_with, policy_yaml

# A place that changed sides twice, with a gap: neutral (2018) -> prohibition (2020) -> nothing (2022-2023)
# -> mandate (2023). Its sources were checked on different days.
TURNCOAT = policy_yaml(
    "x-turncoat",
    stance="mandate",
    versions="""
  - effective_from: 2018-01-01
    effective_to: 2020-06-01
    stance: neutral
    sources: [t-none]
    source: "Nothing either way"
    rules: []
  - effective_from: 2020-06-01
    effective_to: 2022-01-01
    stance: prohibition
    sources: [t-act]
    source: "Trust Act"
    rules: []
  - effective_from: 2023-03-01
    effective_to: null
    stance: mandate
    sources: [t-act, t-old]
    source: "Compliance Act"
    rules: []""",
).replace(
    "sources:\n  - {id: t-act",
    "sources:\n  - {id: t-none, kind: none_found, cite: \"Nothing found\", url: null, checked_on: 2026-11-30, note: null}\n"
    "  - {id: t-old, kind: case_law, cite: \"Old v. Case\", url: null, checked_on: 2025-01-15, note: null}\n"
    "  - {id: t-act",
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return library_with(tmp_path, {"x-turncoat": TURNCOAT}, copy=("us-federal",))


def test_it_lists_every_change_of_version_with_stance_before_and_after(library: Path) -> None:
    data = json.loads(run("changes", "--library", str(library), "--json"))
    mine = [c for c in data["changes"] if c["policy"] == "x-turncoat"]
    assert [(c["date"], c["stance_before"], c["stance_after"]) for c in mine] == [
        ("2018-01-01", None, "neutral"),
        ("2020-06-01", "neutral", "prohibition"),
        ("2022-01-01", "prohibition", None),  # the lapse: no policy on file from here
        ("2023-03-01", None, "mandate"),
    ]
    last = mine[-1]
    assert last["stance_changed"] and last["source"] == "Compliance Act"
    assert last["sources"] == ["Test Act 1", "Old v. Case"]
    assert last["jurisdictions"] == ["99"] and last["version_after"] == "2023-03-01"


def test_it_keeps_only_changes_since_a_date_oldest_first(library: Path) -> None:
    data = json.loads(run("changes", "--library", str(library), "--since", "2020-06-01", "--json"))
    dates = [c["date"] for c in data["changes"]]
    assert dates == sorted(dates) and dates[0] == "2020-06-01"
    assert "2018-01-01" not in dates and data["since"] == "2020-06-01"
    text = run("changes", "--library", str(library), "--since", "2022-01-01")
    assert "x-turncoat" in text and "prohibition  -> (none)" in text and "Trust Act" in text
    with pytest.raises(CommandError) as bad:
        run("changes", "--since", "last tuesday")
    assert bad.value.returncode == 2


def test_it_shows_a_state_changing_sides_in_the_shipped_library() -> None:
    data = json.loads(run("changes", "--since", "2024-12-01", "--json"))
    nc = next(c for c in data["changes"] if c["policy"] == "us-nc" and c["date"] == "2024-12-01")
    assert (nc["stance_before"], nc["stance_after"]) == ("neutral", "mandate")
    assert any("H.B. 10" in cite for cite in nc["sources"])
    assert all(c["date"] >= "2024-12-01" for c in data["changes"])


def test_it_lists_sources_not_checked_within_the_days_given_and_exits_1(library: Path) -> None:
    with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
        with pytest.raises(CommandError) as found:
            run("stale", "--library", str(library), "--days", "180", "--json")
        assert found.value.returncode == 1
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("policy", "stale", "--library", str(library), "--days", "180", "--json", stdout=out)
        data = json.loads(out.getvalue())
        assert [(s["policy"], s["source"], s["days_since"]) for s in data["stale"]] == [("x-turncoat", "t-old", 689)]
        # every source checked within a year and a half: nothing stale, exit 0
        assert json.loads(run("stale", "--library", str(library), "--days", "700", "--json"))["stale"] == []
        with pytest.raises(CommandError) as negative:
            run("stale", "--days", "-1")
        assert negative.value.returncode == 2


def test_it_counts_a_source_checked_exactly_days_ago_as_fresh(library: Path) -> None:
    docs = load_library(library).policies.values()
    checked = date(2025, 1, 15)  # t-old
    assert [s.source_id for s in history.stale(docs, date(2025, 7, 14), 180)] == []  # 180 days: still fresh
    assert [s.source_id for s in history.stale(docs, date(2025, 7, 15), 180)] == ["t-old"]  # 181 days
    assert (date(2025, 7, 15) - checked).days == 181
