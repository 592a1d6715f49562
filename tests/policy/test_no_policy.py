"""No policy, no permission (issue 10 item 3; law review X2): wherever and whenever Handoff holds no
state-level law, a person decides and nothing is permitted meanwhile - never the federal baseline's
"hold permitted"."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.core.places import places
from handoff.policy.chain import chain_at
from handoff.policy.composition import NO_POLICY
from handoff.policy.engine import Registry, load_library
from handoff.policy.facts import Decision, Facts

DETAINER = {"kind": "detainer", "form": "I-247A", "basis": ["biometric_match"],
            "warrant": {"type": "administrative", "form": "I-200"}}
REG = load_library()


def decide(fips: str, day: date, request: dict[str, object] | None = None, reg: Registry = REG) -> Decision:
    return reg.evaluate(Facts.from_dict({"request": request or DETAINER}), day, chain_at(fips, reg.policies))


def no_policy(d: Decision) -> bool:
    return (d.review is True and (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")
            and any(r.rule == "no-policy" and r.detail == NO_POLICY and r.holds for r in d.reasons))


def test_it_gives_the_exact_reason_when_only_the_federal_baseline_is_in_force() -> None:
    d = REG.evaluate(Facts.from_dict({"request": DETAINER}), date(2025, 6, 1), ["us-federal"])
    assert no_policy(d)
    assert NO_POLICY == "no policy on file for this place and date"
    assert d.policies == ("us-federal@2017-04-02",)  # the baseline was consulted, and still decides nothing


def test_it_decides_review_in_suffolk_county_before_massachusetts_first_version_and_lunn_after() -> None:
    before = decide("25025", date(2017, 4, 1))
    assert no_policy(before)
    after = decide("25025", date(2018, 1, 1))  # Lunn v. Commonwealth (2017-07-24): no hold
    assert not any(r.rule == "no-policy" for r in after.reasons)
    assert after.hold == "prohibited"


def test_it_sends_every_request_in_a_territory_to_review() -> None:
    for fips in ("72", "72127", "66", "66010"):  # Puerto Rico, San Juan, Guam, Guam's county equivalent
        for request in (DETAINER, {"kind": "notification", "warrant": "none"}, {"kind": "transfer", "warrant": "none"}):
            assert no_policy(decide(fips, date(2025, 6, 1), request)), (fips, request)


def test_it_still_answers_a_withdrawn_request_with_nothing_to_do_where_a_state_version_is_in_force() -> None:
    d = decide("06037", date(2025, 6, 1), {**DETAINER, "withdrawn": True})
    assert (d.notify, d.hold, d.transfer, d.review) == (False, "prohibited", "prohibited", False)
    assert d.reasons[-1].rule == "request-withdrawn"


def test_it_keeps_a_withdrawn_request_in_a_territory_from_being_permitted() -> None:
    d = decide("72", date(2025, 6, 1), {**DETAINER, "withdrawn": True})
    assert (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")


def test_it_switches_from_review_to_the_state_law_on_the_first_day_of_iowas_first_version() -> None:
    first = REG.policies["us-ia"].versions[0].effective_from
    assert no_policy(decide("19153", first - timedelta(days=1)))
    on_the_day = decide("19153", first)
    assert not any(r.rule == "no-policy" for r in on_the_day.reasons)
    assert any(p.startswith("us-ia@") for p in on_the_day.policies)


def test_it_does_not_let_a_county_policy_stand_in_for_a_missing_state_policy() -> None:
    chain = ["us-federal", "us-md-montgomery"]  # Maryland's state policy left out of the chain
    d = REG.evaluate(Facts.from_dict({"request": DETAINER}), date(2024, 6, 1), chain)
    assert no_policy(d)


STATE_FIPS = sorted(p.fips for p in places().values() if p.kind == "state")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fips=st.sampled_from(STATE_FIPS),
    day=st.dates(min_value=date(2005, 1, 1), max_value=date(2027, 12, 31)),
    kind=st.sampled_from(["detainer", "notification", "transfer"]),
    warrant=st.sampled_from(["none", "judicial", "administrative"]),
)
def test_it_never_permits_anything_where_no_state_level_version_is_in_force(
    fips: str, day: date, kind: str, warrant: str
) -> None:
    chain = chain_at(fips, REG.policies)
    request = {"kind": kind, "basis": ["biometric_match"], "warrant": warrant}
    d = REG.evaluate(Facts.from_dict({"request": request}), day, chain)
    state_in_force = any(REG.policies[p].level == "state" and REG.policies[p].version_at(day) is not None
                         for p in chain)
    if not state_in_force:
        assert no_policy(d), (fips, day)
    else:
        assert not any(r.rule == "no-policy" for r in d.reasons), (fips, day)
