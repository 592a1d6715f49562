"""The duties beside the answer (policy.duties): the interview consent rule and the collection limits are
policy settings with a citation and an effective date each; a malformed one is refused with the file's line,
and a county's limits add to its state's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handoff.policy.documents import PolicyError, load_policy
from handoff.policy.duties import collection_limits, interview_rule

from .helpers import policy_yaml, write


def test_it_refuses_a_duty_setting_without_citation_date_or_known_field(tmp_path: Path) -> None:
    settings = ("{interview_consent: {rule: maybe, cite: ''}, collection_limits: [{field: eye_colour, "
                "effective_from: 2020-01-01, cite: X}]}")
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path / "x-test.yaml", policy_yaml(settings=settings)), {})
    messages = " ".join(p.message for p in info.value.problems)
    assert "rule must be one of consent_form, no_access" in messages
    assert "effective_from must be a date" in messages and "cite is required" in messages
    assert "field must be one of place_of_birth, citizenship" in messages


def test_it_reads_the_shipped_duties_along_a_chain_by_their_own_dates() -> None:
    ca = interview_rule(["us-federal", "us-ca", "us-ca-los-angeles"], date(2025, 1, 1))
    assert (ca.rule, ca.uncertain, ca.policy) == ("consent_form", False, "us-ca@2018-01-01")
    assert interview_rule(["us-federal", "us-ca"], date(2016, 12, 31)).rule == "none", "TRUTH Act from 2017"
    assert interview_rule(["us-federal", "us-ca"], date(2017, 6, 1)).policy == "us-ca@2014-01-01"
    wa = collection_limits(["us-federal", "us-wa", "us-wa-king"], date(2024, 1, 1))
    assert {(lim.field, lim.enforced) for lim in wa} == {("place_of_birth", True), ("citizenship", False)}
    assert all(lim.cite.startswith("RCW 10.93.160") for lim in wa)
    assert collection_limits(["us-federal", "us-tx"], date(2024, 1, 1)) == []
