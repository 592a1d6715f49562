"""One chain function for places: what `handoff setup` assigns there, used by scenarios and facilities alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.core.places import place_path, places
from handoff.policy.chain import UnknownPlace, chain_at, chain_for
from handoff.policy.engine import load_library


def test_it_orders_policies_from_the_nation_down_and_by_level_within_a_place() -> None:
    assigned = {"us": ["us-federal"], "36": ["us-ny"], "36061": ["us-ny-nyc", "us-ny-county"]}
    levels = {"us-federal": "federal", "us-ny": "state", "us-ny-nyc": "city", "us-ny-county": "county"}
    assert chain_for(["us", "36", "36061"], assigned, levels.get) == ["us-federal", "us-ny", "us-ny-county", "us-ny-nyc"]
    assert chain_for(["us", "36"], assigned, levels.get) == ["us-federal", "us-ny"]


def test_it_gives_a_county_its_states_policy_from_the_library() -> None:
    policies = load_library().policies
    assert chain_at("13121", policies)[:2] == ["us-federal", "us-ga"]  # Fulton County, Georgia
    assert chain_at("24031", policies)[:3] == ["us-federal", "us-md", "us-md-montgomery"]
    assert chain_at("11", policies) == chain_at("11001", policies)[:2] == ["us-federal", "us-dc"]


def test_it_refuses_an_unknown_fips_code() -> None:
    with pytest.raises(UnknownPlace, match="unknown FIPS code '99999'"):
        chain_at("99999", load_library().policies)
    with pytest.raises(UnknownPlace):
        chain_at("6", load_library().policies)  # a state code without its leading zero


def test_it_knows_every_state_dc_and_territory() -> None:
    known = places()
    assert {p.postal for p in known.values() if p.kind == "state"} >= {"AL", "DC", "PR", "GU", "WY"}
    assert place_path("06037") == ("us", "06", "06037")
    assert place_path("06999") is None


@given(st.sampled_from(sorted(f for f, p in places().items() if p.kind == "county")))
def test_it_puts_the_federal_baseline_first_and_every_listed_policy_once(fips: str) -> None:
    policies = load_library().policies
    chain = chain_at(fips, policies)
    assert chain[0] == "us-federal" and len(chain) == len(set(chain))
    path = place_path(fips)
    assert path is not None
    for pid in chain:
        assert set(policies[pid].jurisdictions) & set(path), pid
