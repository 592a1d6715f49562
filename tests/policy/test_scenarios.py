"""Every scenario file shipped in tests/scenarios/ passes, and the runner reports failures usefully."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.policy.engine import load_library
from handoff.policy.scenarios import ScenarioFileError, run_file

from .helpers import write

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
SHIPPED = {"us-federal", "us-ca", "us-il", "us-ny-nyc", "us-tx", "us-fl", "us-or", "us-wa", "us-md-montgomery"}


def test_it_ships_a_scenario_file_for_every_policy() -> None:
    assert {p.stem for p in SCENARIOS} >= {"us-federal", "us-ca"}
    assert {p.stem for p in SCENARIOS} <= SHIPPED


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_it_passes_every_shipped_scenario(path: Path) -> None:
    result = run_file(path, load_library(), strict=True)
    failures = [f"{r.name}: {r.error or {k: (r.expected[k], r.actual[k]) for k in r.mismatches()}}"
                for r in result.results if not r.ok]
    assert not failures, "\n".join(failures)
    assert len(result.results) >= 8
    assert result.policy == path.stem


def test_it_covers_the_edges_issue_3_names_for_california() -> None:
    names = " ".join(r.name for r in run_file(SCENARIOS[0].parent / "us-ca.yaml", load_library()).results).lower()
    for edge in ("exactly 5 years", "exactly 15 years", "one day", "proposition 47", "probable-cause finding",
                 "without a probable-cause", "judicial", "administrative", "courtroom", "withdrawn", "county"):
        assert edge in names, edge


def test_it_reports_a_wrong_expectation_with_expected_and_actual(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """policy: us-ca
scenarios:
  - name: wrong on purpose
    statute: "Cal. Gov. Code 7284.6(a)(1)(B)"
    as_of: 2025-06-01
    request: {kind: detainer, warrant: administrative}
    expect: {hold: permitted, notify: false}
""")
    result = run_file(path, load_library(), strict=True)
    [r] = result.results
    assert not r.ok
    assert r.mismatches() == ["hold"]
    assert r.expected == {"hold": "permitted", "notify": False}
    assert r.actual["hold"] == "prohibited"
    assert r.line == 3
    assert any(reason["rule"] == "ca-7284.6-a-1-B-no-hold" for reason in r.reasons)


def test_it_fails_a_scenario_with_bad_facts_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """policy: us-federal
scenarios:
  - name: bad warrant
    statute: "8 CFR 287.7"
    as_of: 2025-06-01
    request: {kind: detainer, warrant: judical}
    expect: {hold: permitted}
  - name: no statute
    as_of: 2025-06-01
    request: {kind: detainer}
    expect: {notify: true}
""")
    bad, unnamed = run_file(path, load_library(), strict=True).results
    assert not bad.ok and "request.warrant.type" in bad.error and f"{path}:6" in bad.error
    assert not unnamed.ok and "statute" in unnamed.error
    assert run_file(path, load_library()).results[1].ok  # not strict: a user's own file may omit it


def test_it_refuses_a_file_that_is_not_a_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="not a known policy"):
        run_file(write(tmp_path / "a.yaml", "policy: us-atlantis\nscenarios: []\n"), load_library())
    with pytest.raises(ScenarioFileError, match="YAML syntax"):
        run_file(write(tmp_path / "b.yaml", "policy: [\n"), load_library())
    with pytest.raises(ScenarioFileError, match="scenarios"):
        run_file(write(tmp_path / "c.yaml", "policy: us-ca\n"), load_library())
