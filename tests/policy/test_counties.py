"""The 25 largest jail jurisdictions (issue 10 item 2): each a dated, sourced local policy assigned to its FIPS,
with its 287(g) agreements, and at least three scenarios naming their law."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handoff.policy.chain import chain_at
from handoff.policy.documents import VERSION_STANCES, PolicyError, load_policy
from handoff.policy.engine import load_library
from handoff.policy.scenarios import run_file

from .helpers import policy_yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# policy id -> the FIPS codes it is assigned to (setup assigns a library policy to the places it lists)
COUNTIES: dict[str, tuple[str, ...]] = {
    "us-ca-los-angeles": ("06037",),
    "us-ny-nyc": ("36005", "36047", "36061", "36081", "36085"),
    "us-ca-san-bernardino": ("06071",),
    "us-ca-riverside": ("06065",),
    "us-ca-orange": ("06059",),
    "us-ca-san-diego": ("06073",),
    "us-ca-sacramento": ("06067",),
    "us-ca-santa-clara": ("06085",),
    "us-tx-harris": ("48201",),
    "us-tx-dallas": ("48113",),
    "us-tx-tarrant": ("48439",),
    "us-tx-bexar": ("48029",),
    "us-tx-travis": ("48453",),
    "us-fl-miami-dade": ("12086",),
    "us-fl-broward": ("12011",),
    "us-fl-orange": ("12095",),
    "us-fl-duval": ("12031",),
    "us-fl-hillsborough": ("12057",),
    "us-il-cook": ("17031",),
    "us-az-maricopa": ("04013",),
    "us-pa-philadelphia": ("42101",),
    "us-tn-shelby": ("47157",),
    "us-ga-fulton": ("13121",),
    "us-nv-clark": ("32003",),
    "us-wa-king": ("53033",),
}
REG = load_library()


@pytest.mark.parametrize("pid", sorted(COUNTIES))
def test_it_assigns_each_large_jurisdiction_its_policy_at_county_level(pid: str) -> None:
    doc = REG.policies[pid]
    assert doc.level in ("county", "city")
    assert set(doc.jurisdictions) == set(COUNTIES[pid])
    for fips in COUNTIES[pid]:
        chain = chain_at(fips, REG.policies)
        assert chain[-1] == pid
        assert REG.policies[chain[1]].level == "state"  # composed under its state's policy


@pytest.mark.parametrize("pid", sorted(COUNTIES))
def test_it_dates_and_sources_every_version_and_287g_agreement(pid: str) -> None:
    doc = REG.policies[pid]
    ids = {s.id for s in doc.sources}
    assert doc.sources and all(s.checked_on <= date(2026, 12, 5) for s in doc.sources)
    for v in doc.versions:
        assert v.stance in VERSION_STANCES
        assert v.source_ids and set(v.source_ids) <= ids
        assert all(r.cite for r in v.rules)
        assert v.rules or v.notes or doc.notes  # a version that decides nothing says so
    for a in doc.agreements_287g:
        assert a.source in ids
        assert a.signed_on is not None or (a.uncertain and a.note)
        assert a.model is not None or (a.uncertain and a.note)
    if not doc.agreements_287g:  # "no 287(g)" rests on a search that found none (or a state ban)
        assert any(s.kind == "none_found" for s in doc.sources), pid


@pytest.mark.parametrize("pid", sorted(COUNTIES))
def test_it_runs_at_least_three_scenarios_naming_their_law(pid: str) -> None:
    result = run_file(SCENARIOS / f"{pid}.yaml", REG, strict=True)
    assert len(result.results) >= 3
    assert all(r.ok for r in result.results), [r.name for r in result.results if not r.ok]
    assert all(r.statute for r in result.results)


def test_it_lets_santa_clara_give_less_than_sb_54_allows_but_never_more() -> None:
    from handoff.policy.facts import Facts

    facts = Facts.from_dict({
        "request": {"kind": "notification", "warrant": "none"},
        "convictions": [{"statute": "CA PC 211", "level": "felony", "convicted_on": "2019-04-02", "state": "CA"}],
    })
    kern = REG.evaluate(facts, date(2025, 6, 1), chain_at("06029", REG.policies))
    santa_clara = REG.evaluate(facts, date(2025, 6, 1), chain_at("06085", REG.policies))
    assert kern.notify is True and santa_clara.notify is False


def test_it_accepts_an_unverified_287g_model_only_when_marked_uncertain(tmp_path: Path) -> None:
    def agreement(uncertain: str) -> str:
        return (f"agreements_287g:\n  - {{agency: \"Test County Sheriff\", model: null, signed_on: null, ended_on: null, "
                f"source: t-act, {uncertain}}}\n")
    good = tmp_path / "x-good.yaml"
    good.write_text(policy_yaml("x-good", level="county", extra_top=agreement("uncertain: true, note: \"model not verified\"")))
    doc = load_policy(good)
    assert doc.agreements_287g[0].model is None
    bad = tmp_path / "x-bad.yaml"
    bad.write_text(policy_yaml("x-bad", level="county", extra_top=agreement("uncertain: false, note: null")))
    with pytest.raises(PolicyError, match="no model"):
        load_policy(bad)


def test_it_records_miami_dades_reversal_as_a_change_of_stance_on_26_january_2017() -> None:
    doc = REG.policies["us-fl-miami-dade"]
    assert doc.stance_at(date(2017, 1, 25)) == "limit"
    assert doc.stance_at(date(2017, 1, 26)) == "mandate"
    assert [(v.effective_from, v.stance) for v in doc.versions] == [
        (date(2013, 12, 3), "limit"), (date(2017, 1, 26), "mandate")]


def test_it_names_all_25_largest_jail_jurisdictions() -> None:
    assert len(COUNTIES) == 25
    assert all(pid in REG.policies for pid in COUNTIES)


def test_it_holds_back_a_county_no_hold_rule_under_a_state_mandate_and_says_why() -> None:
    from handoff.policy.facts import Facts

    facts = Facts.from_dict({"request": {"kind": "detainer", "basis": ["biometric_match"],
                                         "warrant": {"type": "administrative", "form": "I-200"}}})
    d = REG.evaluate(facts, date(2025, 6, 1), chain_at("04013", REG.policies))
    assert d.hold == "permitted"
    clamp = [r for r in d.reasons if r.rule == "composition"]
    assert clamp and "Maricopa" in clamp[0].detail
