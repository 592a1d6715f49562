"""Properties of the engine over generated facts and generated county policies (hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.policy.composition import COOPERATION
from handoff.policy.documents import load_policy
from handoff.policy.engine import Registry, load_library
from handoff.policy.facts import Facts

from .helpers import policy_yaml

STATUTES = [
    ("CA PC 211", "CA"), ("Cal. Penal Code 245(a)(1)", "CA"), ("CA PC 459", "CA"), ("CA PC 487(a)", "CA"),
    ("CA PC 243(d)", "CA"), ("CA VC 23153(a)", "CA"), ("CA HS 11351", "CA"), ("CA PC 286(b)(1)", "CA"),
    ("CA PC 422", "CA"), ("CA PC 496(a)", "CA"), ("NY PL 160.15", "NY"), ("NY PL 120.05", "NY"),
    ("TX PC 22.02", "TX"), ("8 USC 1326", ""),
]
CATEGORIES = ["serious_felony", "violent_felony", "assault_battery", "weapons", "domestic_violence",
              "sex_offense_registrable", "aggravated_felony_federal", "state_prison_felony"]
AS_OF = date(2025, 6, 1)
CHAINS = [["us-federal"], ["us-federal", "us-ca"], ["us-federal", "us-il"], ["us-federal", "us-ny-nyc"],
          ["us-federal", "us-tx"], ["us-federal", "us-fl"], ["us-federal", "us-or"], ["us-federal", "us-wa"],
          ["us-federal", "us-md-montgomery"]]


@st.composite
def conviction(draw: st.DrawFn) -> dict[str, Any]:
    statute, state = draw(st.sampled_from(STATUTES))
    return {
        "statute": statute,
        "state": state,
        "level": draw(st.sampled_from(["felony", "misdemeanor", ""])),
        "wobbler": draw(st.booleans()),
        "convicted_on": AS_OF - timedelta(days=draw(st.integers(-30, 365 * 30))),
        "categories": draw(st.lists(st.sampled_from(CATEGORIES), max_size=2)),
        "state_prison": draw(st.booleans()),
        "prop47_reduced": draw(st.booleans()),
        "custody_days_since": draw(st.sampled_from([0, 0, 90, 400])),
    }


@st.composite
def facts_data(draw: st.DrawFn) -> dict[str, Any]:
    wtype = draw(st.sampled_from(["none", "administrative", "judicial"]))
    return {
        "request": {
            "kind": draw(st.sampled_from(["detainer", "notification", "transfer"])),
            "warrant": {"type": wtype, "form": draw(st.sampled_from(["I-200", "I-205", "", "I-203"]))},
            "withdrawn": draw(st.integers(0, 9)) == 0,
            "judicial_probable_cause": draw(st.booleans()),
            "lead_time_hours": draw(st.sampled_from([24, 48])),
        },
        "booking": {"release_type": draw(st.sampled_from(["scheduled", "courtroom", "bail", "other", ""])),
                    "arrested_on": draw(st.one_of(st.none(), st.builds(
                        lambda d: AS_OF - timedelta(days=d), st.integers(0, 800))))},
        "charges": draw(st.lists(st.fixed_dictionaries({
            "statute": st.sampled_from([s for s, _ in STATUTES]),
            "level": st.sampled_from(["felony", "misdemeanor"]),
            "disposition": st.sampled_from(["pending", "dismissed", "convicted"]),
            "probable_cause_found": st.booleans(),
            "categories": st.lists(st.sampled_from(CATEGORIES), max_size=1),
        }), max_size=3)),
        "convictions": draw(st.lists(conviction(), max_size=4)),
        "registrant": {"sex_offender": draw(st.booleans()), "arson": draw(st.booleans())},
        "federal": {"aggravated_felony_conviction": draw(st.booleans()),
                    "outstanding_federal_felony_warrant": draw(st.booleans()),
                    "terrorist_screening_match": draw(st.booleans())},
        "person": {"lawful_status_proven": draw(st.booleans())},
    }


def reference() -> Registry:
    """The same library evaluated the plain way: every rule whole, on the whole input, nothing remembered."""
    reg = load_library()
    return Registry(reg.policies, reg.tables, memo_size=0, decompose=False)


REFERENCE = reference()
SECOND = Registry(load_library().policies, load_library().tables)  # same documents, its own memo and contexts


@settings(max_examples=300, deadline=None)
@given(data=facts_data(), chain=st.sampled_from(CHAINS))
def test_it_decides_exactly_as_running_every_rule_whole(data: dict[str, Any], chain: list[str]) -> None:
    facts = Facts.from_dict(data)
    assert load_library().evaluate(facts, AS_OF, chain) == REFERENCE.evaluate(facts, AS_OF, chain)


@settings(max_examples=150, deadline=None)
@given(data=facts_data(), chain=st.sampled_from(CHAINS))
def test_it_is_deterministic(data: dict[str, Any], chain: list[str]) -> None:
    facts = Facts.from_dict(data)
    reg = load_library()
    first = reg.evaluate(facts, AS_OF, chain)
    assert reg.evaluate(facts, AS_OF, chain) == first
    assert SECOND.evaluate(facts, AS_OF, chain) == first


@settings(max_examples=200, deadline=None)
@given(data=facts_data(), extra=st.sampled_from([
    {"statute": "CA PC 211", "level": "felony", "state": "CA", "convicted_on": date(2019, 4, 2)},
    {"statute": "CA PC 246.3(a)", "level": "felony", "state": "CA", "state_prison": True, "convicted_on": date(1990, 1, 1)},
    {"statute": "CA PC 243(d)", "level": "misdemeanor", "wobbler": True, "state": "CA", "convicted_on": date(2023, 1, 1)},
]))
def test_it_never_withdraws_california_notice_when_a_qualifying_conviction_is_added(data: dict[str, Any], extra: dict[str, Any]) -> None:
    reg = load_library()
    before = reg.evaluate(Facts.from_dict(data), AS_OF, ["us-federal", "us-ca"])
    data = {**data, "convictions": [*data["convictions"], extra]}
    after = reg.evaluate(Facts.from_dict(data), AS_OF, ["us-federal", "us-ca"])
    assert not (before.notify and not after.notify)
    if not data["request"]["withdrawn"]:
        assert after.notify and after.hold == "prohibited"


WHENS = ["true", "false", "request.kind == 'detainer'", "request.warrant.type == 'judicial'",
         "convictions.exists(c, c.level == 'felony')", "booking.release_type == 'courtroom'",
         "charges.size() > 0", "!person.lawful_status_proven"]
THEN_VALUES = {"notify": ["true", "false"], "hold": ["permitted", "required", "prohibited"],
               "transfer": ["permitted", "prohibited"], "individual_notice": ["true", "false"]}


@st.composite
def county_policy(draw: st.DrawFn) -> str:
    rules = ""
    for i in range(draw(st.integers(1, 4))):
        fields = draw(st.lists(st.sampled_from(sorted(THEN_VALUES)), min_size=1, max_size=4, unique=True))
        then = ", ".join(f"{f}: {draw(st.sampled_from(THEN_VALUES[f]))}" for f in fields)
        rules += f"""
      - id: c{i}
        cite: "County Ordinance {i}"
        when: "{draw(st.sampled_from(WHENS))}"
        then: {{{then}}}
"""
    default_fields = draw(st.lists(st.sampled_from(["notify", "hold", "transfer"]), max_size=3, unique=True))
    defaults = "{" + ", ".join(f"{f}: {draw(st.sampled_from(THEN_VALUES[f]))}" for f in default_fields) + "}"
    stance = draw(st.sampled_from(["conditional", "prohibition", "mandate", "baseline"]))
    return policy_yaml("x-county", level=draw(st.sampled_from(["county", "city"])), stance=stance, rules=rules,
                       defaults=defaults)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=county_policy(), data=facts_data(), state=st.sampled_from(["us-ca", "us-il", "us-or", "us-wa"]))
def test_it_never_loosens_a_state_prohibition_whatever_the_county_says(text: str, data: dict[str, Any], state: str) -> None:
    reg = load_library()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x-county.yaml"
        path.write_text(text, encoding="utf-8")
        county = load_policy(path, reg.tables)
    combined = Registry({**reg.policies, "x-county": county}, reg.tables)
    facts = Facts.from_dict(data)
    state_only = combined.evaluate(facts, AS_OF, ["us-federal", state])
    with_county = combined.evaluate(facts, AS_OF, ["us-federal", state, "x-county"])
    for name in ("notify", "hold", "transfer"):
        assert COOPERATION[name][getattr(with_county, name)] <= COOPERATION[name][getattr(state_only, name)], name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=county_policy(), data=facts_data())
def test_it_never_restricts_a_state_mandate_whatever_the_county_says(text: str, data: dict[str, Any]) -> None:
    reg = load_library()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x-county.yaml"
        path.write_text(text, encoding="utf-8")
        county = load_policy(path, reg.tables)
    combined = Registry({**reg.policies, "x-county": county}, reg.tables)
    facts = Facts.from_dict(data)
    for state in ("us-tx", "us-fl"):
        state_only = combined.evaluate(facts, AS_OF, ["us-federal", state])
        with_county = combined.evaluate(facts, AS_OF, ["us-federal", state, "x-county"])
        if facts.request.withdrawn:
            continue
        for name in ("notify", "hold", "transfer"):
            assert COOPERATION[name][getattr(with_county, name)] >= COOPERATION[name][getattr(state_only, name)], name
