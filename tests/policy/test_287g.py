"""287(g) agreements in composition (issue 9 item 6; law review X2, X9): a jail-model agreement in force answers
the state arrest-authority question a neutral state leaves open; it never permits what the law prohibits."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handoff.policy.engine import Registry
from handoff.policy.facts import Decision, Facts

from .helpers import policy_yaml, registry_with

DETAINER = {"kind": "detainer", "form": "I-247A", "basis": ["biometric_match"],
            "warrant": {"type": "administrative", "form": "I-200"}}
CHAIN = ["us-federal", "us-ak", "x-county"]


def county(agreement: str) -> str:
    return policy_yaml("x-county", level="county", stance="neutral", defaults="{}", rules=" []",
                       settings="{}", extra_top=f"agreements_287g:\n{agreement}")


def reg_with(tmp_path: Path, agreement: str) -> Registry:
    return registry_with(tmp_path, {"x-county": county(agreement)}, copy=("us-federal", "us-ak"))


def decide(reg: Registry, day: date = date(2025, 6, 1), request: dict[str, object] | None = None) -> Decision:
    return reg.evaluate(Facts.from_dict({"request": request or DETAINER}), day, CHAIN)


JAIL = ('  - {agency: "Test County Sheriff", model: jail_enforcement, signed_on: 2021-01-01, ended_on: 2024-12-31, '
        'source: t-act, uncertain: false, note: null}\n')


def test_it_answers_the_arrest_authority_review_while_a_jail_agreement_is_in_force(tmp_path: Path) -> None:
    reg = reg_with(tmp_path, JAIL)
    during = decide(reg, date(2022, 6, 1))
    assert (during.hold, during.review) == ("permitted", False)
    assert [r.rule for r in during.reasons if r.rule.startswith("287g")] == ["287g-agreement", "287g-arrest-authority"]
    after = decide(reg, date(2025, 6, 1))  # ended 2024-12-31: Alaska's open question is back
    assert (after.hold, after.review) == ("permitted", True)
    assert not any(r.rule.startswith("287g") for r in after.reasons)


def test_it_keeps_review_when_the_agreement_record_is_uncertain(tmp_path: Path) -> None:
    reg = reg_with(tmp_path, JAIL.replace("uncertain: false, note: null", 'uncertain: true, note: "date not verified"'))
    d = decide(reg, date(2022, 6, 1))
    assert d.review is True
    assert any(r.rule == "287g-agreement" and r.uncertain and "a person checks" in r.detail for r in d.reasons)


def test_it_never_turns_a_prohibited_hold_into_a_permitted_one(tmp_path: Path) -> None:
    reg = reg_with(tmp_path, JAIL)
    no_warrant = {**DETAINER, "warrant": "none"}
    d = decide(reg, date(2022, 6, 1), no_warrant)
    assert d.hold == "prohibited"
    assert not any(r.rule == "287g-arrest-authority" for r in d.reasons)


def test_it_does_not_read_a_task_force_agreement_as_jail_authority(tmp_path: Path) -> None:
    reg = reg_with(tmp_path, JAIL.replace("jail_enforcement", "task_force"))
    d = decide(reg, date(2022, 6, 1))
    assert d.review is True and not any(r.rule.startswith("287g") for r in d.reasons)


def test_it_names_the_shipped_warrant_service_officer_agreement_in_clark_county() -> None:
    from handoff.policy.chain import chain_at
    from handoff.policy.engine import load_library

    reg = load_library()
    d = reg.evaluate(Facts.from_dict({"request": DETAINER}), date(2025, 9, 1), chain_at("32003", reg.policies))
    named = [r for r in d.reasons if r.rule == "287g-agreement"]
    assert named and "warrant service officer" in named[0].detail
    assert d.review is True  # its record is uncertain (signature date), so a person still checks
