"""The state policies NE-WY (issue 10): one per state, dated, sourced, with a stance per version and at least
three scenarios that name their law. A state with no law either way says so with a none_found source."""

from __future__ import annotations

from pathlib import Path

import yaml

from handoff.policy.engine import load_library

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FIPS = {
    "ne": "31", "nv": "32", "nh": "33", "nj": "34", "nm": "35", "ny": "36", "nc": "37", "nd": "38", "oh": "39",
    "ok": "40", "or": "41", "pa": "42", "ri": "44", "sc": "45", "sd": "46", "tn": "47", "tx": "48", "ut": "49",
    "vt": "50", "va": "51", "wa": "53", "wv": "54", "wi": "55", "wy": "56",
}


def test_it_has_a_sourced_state_policy_for_each_state() -> None:
    policies = load_library().policies
    for st, fips in FIPS.items():
        doc = policies[f"us-{st}"]
        assert doc.level == "state" and doc.jurisdictions == (fips,), st
        assert doc.sources and all(s.checked_on for s in doc.sources), st
        ids = {s.id for s in doc.sources}
        for v in doc.versions:
            assert v.stance in ("prohibition", "limit", "neutral", "mandate"), (st, v.label)
            assert v.source_ids and set(v.source_ids) <= ids, (st, v.label)
            if v.stance == "neutral" and any(s.kind == "none_found" for s in doc.sources):
                continue
        if all(v.stance == "neutral" for v in doc.versions):
            assert any(s.kind == "none_found" for s in doc.sources), f"{st}: a state with no law says what was searched"


def test_it_ships_three_scenarios_naming_their_law_for_each_state() -> None:
    for st in FIPS:
        data = yaml.safe_load((SCENARIOS / f"us-{st}.yaml").read_text(encoding="utf-8"))
        assert data["policy"] == f"us-{st}"
        named = [s for s in data["scenarios"] if str(s.get("statute", "")).strip()]
        assert len(named) >= 3, st


def test_it_sends_unsettled_holds_to_review_with_the_case_cited() -> None:
    """Where arrest authority for a civil-detainer hold is unsettled, the hold goes to review, with a citation."""
    policies = load_library().policies
    for st in ("oh", "pa", "ut", "wi", "nv", "va", "sc"):
        v = policies[f"us-{st}"].versions[-1]
        rule = next(r for r in v.rules if r.id == f"{st}-hold-authority-unsettled")
        assert rule.uncertain and rule.note and rule.then.get("review") is True, st
        assert rule.cite.strip(), st
