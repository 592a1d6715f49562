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
    policies = set(load_library().policies)
    assert {p.stem for p in SCENARIOS} >= SHIPPED
    assert {p.stem for p in SCENARIOS} <= policies
    states = {pid for pid, doc in load_library().policies.items() if doc.level == "state"}
    assert states <= {p.stem for p in SCENARIOS}, "every state policy has its scenario file"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_it_passes_every_shipped_scenario(path: Path) -> None:
    result = run_file(path, load_library(), strict=True)
    failures = [f"{r.name}: {r.error or {k: (r.expected[k], r.actual[k]) for k in r.mismatches()}}"
                for r in result.results if not r.ok]
    assert not failures, "\n".join(failures)
    assert len(result.results) >= (8 if path.stem in SHIPPED else 3)  # issue 10: at least 3 per new policy
    assert all(r.statute for r in result.results)  # each names its law
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
jurisdiction: "02"
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
    assert not bad.ok and "request.warrant.type" in bad.error and f"{path}:7" in bad.error
    assert not unnamed.ok and "statute" in unnamed.error
    assert run_file(path, load_library()).results[1].ok  # not strict: a user's own file may omit it


def test_it_refuses_a_file_that_is_not_a_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="not a known policy"):
        run_file(write(tmp_path / "a.yaml", "policy: us-atlantis\nscenarios: []\n"), load_library())
    with pytest.raises(ScenarioFileError, match="YAML syntax"):
        run_file(write(tmp_path / "b.yaml", "policy: [\n"), load_library())
    with pytest.raises(ScenarioFileError, match="scenarios"):
        run_file(write(tmp_path / "c.yaml", "policy: us-ca\n"), load_library())


def test_it_runs_a_scenario_by_place_with_the_chain_setup_assigns_there(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """policy: us-ma
scenarios:
  - name: Suffolk County after Lunn
    statute: "Lunn v. Commonwealth, 477 Mass. 517 (2017)"
    jurisdiction: "25025"
    as_of: 2024-01-10
    request: {kind: detainer, warrant: {type: administrative, form: I-200}}
    expect: {hold: prohibited, notify: true}
""")
    [r] = run_file(path, load_library(), strict=True).results
    assert r.ok, r.error or r.mismatches()
    assert {reason["policy"] for reason in r.reasons} >= {"us-federal", "us-ma"}


def test_it_fails_a_scenario_naming_an_unknown_fips_code_with_that_reason(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """policy: us-ma
scenarios:
  - name: nowhere
    statute: "none"
    jurisdiction: "25999"
    as_of: 2024-01-10
    request: {kind: detainer}
    expect: {hold: prohibited}
  - name: a number, not a code
    statute: "none"
    jurisdiction: 6037
    as_of: 2024-01-10
    request: {kind: detainer}
    expect: {hold: prohibited}
  - name: both
    statute: "none"
    jurisdiction: "25025"
    chain: [us-federal, us-ma]
    as_of: 2024-01-10
    request: {kind: detainer}
    expect: {hold: prohibited}
""")
    unknown, number, both = run_file(path, load_library(), strict=True).results
    assert not unknown.ok and f"{path}:5: unknown FIPS code '25999'" in unknown.error
    assert not number.ok and "FIPS code in quotes" in number.error
    assert not both.ok and "either `chain` or `jurisdiction`" in both.error


def test_it_refuses_a_file_whose_jurisdiction_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match="2: unknown FIPS code '00'"):
        run_file(write(tmp_path / "a.yaml", 'policy: us-ma\njurisdiction: "00"\nscenarios: []\n'), load_library())
