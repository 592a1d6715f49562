"""`handoff policy list|show|check|test`: output, --json and exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .helpers import policy_yaml, write

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


def test_it_lists_the_shipped_policies_as_json() -> None:
    data = json.loads(run("list", "--json"))
    ids = {p["id"] for p in data["policies"]}
    assert {"us-federal", "us-ca"} <= ids
    ca = next(p for p in data["policies"] if p["id"] == "us-ca")
    assert ca["stance"] == "prohibition" and ca["jurisdictions"] == ["06"]


def test_it_shows_a_policy_with_its_rules_and_cites() -> None:
    text = run("show", "us-ca", "--at", "2025-06-01")
    assert "ca-7282.5-a-1" in text and "Cal. Gov. Code 7282.5(a)(1)" in text
    data = json.loads(run("show", "us-federal", "--json"))
    assert data["versions"][0]["rules"][0]["cite"]
    with pytest.raises(CommandError) as info:
        run("show", "us-atlantis")
    assert info.value.returncode == 2


def test_it_checks_a_file_and_names_file_and_line_of_each_problem(tmp_path: Path) -> None:
    good = write(tmp_path / "x-good.yaml", policy_yaml("x-good"))
    assert "ok (policy x-good)" in run("check", str(good))
    bad = write(tmp_path / "x-bad.yaml", policy_yaml("x-bad").replace("cite: \"Test Code 1\"", "kite: x"))
    with pytest.raises(CommandError) as info:
        run("check", str(bad), "--json")
    assert info.value.returncode == 1
    with pytest.raises(CommandError) as missing:
        run("check", str(tmp_path / "nope.yaml"))
    assert missing.value.returncode == 2


def test_it_prints_problems_as_file_line_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from io import StringIO

    text = policy_yaml("x-bad").replace("request.kind == 'detainer'", "inmate.x")
    bad = write(tmp_path / "x-bad.yaml", text)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("policy", "check", str(bad), stdout=out)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "inmate.x" in t)
    assert f"{bad}:{line}: unknown variable 'inmate'" in out.getvalue()


def test_it_checks_the_shipped_library_clean() -> None:
    from handoff.policy.engine import LIBRARY_DIR

    files = [str(p) for p in sorted(LIBRARY_DIR.glob("*.yaml"))] + [str(p) for p in sorted((LIBRARY_DIR / "offences").glob("*.yaml"))]
    data = json.loads(run("check", *files, "--json"))
    assert data["ok"] is True, [p for f in data["files"] for p in f["problems"]]


def test_it_runs_scenario_files_and_exits_1_on_a_failure(tmp_path: Path) -> None:
    data = json.loads(run("test", str(SCENARIOS / "us-ca.yaml"), str(SCENARIOS / "us-federal.yaml"), "--json", "--strict"))
    assert data["failed"] == 0 and data["passed"] >= 20
    assert set(data["results"][0]) >= {"name", "ok", "expected", "actual", "reasons"}
    wrong = write(tmp_path / "w.yaml", "policy: us-ca\nscenarios:\n  - name: w\n    as_of: 2025-06-01\n"
                                        "    request: {kind: detainer}\n    expect: {hold: required}\n")
    with pytest.raises(CommandError) as info:
        run("test", str(wrong))
    assert info.value.returncode == 1
    unreadable = write(tmp_path / "u.yaml", "scenarios: [\n")
    with pytest.raises(CommandError) as info2:
        run("test", str(unreadable))
    assert info2.value.returncode == 2


def test_it_gives_every_subcommand_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from handoff.policy.management.commands.policy import Command

    parser = Command().create_parser("handoff", "policy")
    assert "handoff policy test" in parser.format_help()
    sub = next(a for a in parser._actions if a.dest == "action")
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        assert "example" in p.format_help(), name
