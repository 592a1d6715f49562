"""The engine as a counsel would check it: derived lookbacks, offence tables, composition, withdrawal, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from handoff.policy.engine import UnknownPolicy, conviction_fields, load_library
from handoff.policy.facts import Conviction, Decision, Facts, FactsError
from handoff.policy.offences import OffenceTable

from .helpers import policy_yaml, registry_with

AT = date(2025, 6, 1)
CA = ["us-federal", "us-ca"]


def facts(**data: object) -> Facts:
    data.setdefault("request", {"kind": "detainer", "warrant": {"type": "administrative", "form": "I-200"}})
    return Facts.from_dict(data)


def test_it_imports_no_django_module() -> None:
    code = (
        "import sys; import handoff.policy.engine, handoff.policy.scenarios, handoff.core.calendar; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("convicted_on", "as_of", "within_5y", "within_15y", "years"),
    [
        (date(2020, 6, 1), date(2025, 6, 1), True, True, 5),  # exactly 5 years: inclusive
        (date(2020, 5, 31), date(2025, 6, 1), False, True, 5),  # one day outside
        (date(2010, 6, 1), date(2025, 6, 1), False, True, 15),  # exactly 15 years
        (date(2010, 5, 31), date(2025, 6, 1), False, False, 15),
        (date(2020, 2, 29), date(2025, 2, 28), True, True, 5),  # Feb 29: anniversary is Feb 28
        (date(2020, 2, 29), date(2025, 3, 1), False, True, 5),
        (date(2019, 2, 28), date(2024, 2, 29), False, True, 5),  # leap as_of: 5 years and a day
        (date(2025, 5, 31), date(2025, 6, 1), True, True, 0),
    ],
)
def test_it_counts_lookbacks_inclusively_in_calendar_years(
    convicted_on: date, as_of: date, within_5y: bool, within_15y: bool, years: int
) -> None:
    row = conviction_fields(Conviction(statute="X 1", convicted_on=convicted_on), as_of)
    assert (row["within_5y"], row["within_15y"], row["years_before"]) == (within_5y, within_15y, years)


def test_it_excludes_time_in_custody_from_the_five_years() -> None:
    c = Conviction(statute="X 1", convicted_on=date(2019, 1, 1), custody_days_since=200)
    row = conviction_fields(c, date(2024, 7, 19))  # 5 years + 200 days
    assert row["within_5y"] is False
    assert row["within_5y_excluding_custody"] is True
    assert conviction_fields(c, date(2024, 7, 20))["within_5y_excluding_custody"] is False


def test_it_ignores_convictions_dated_after_the_evaluation() -> None:
    reg = load_library()
    later = facts(convictions=[{"statute": "CA PC 211", "level": "felony", "convicted_on": "2026-01-01", "state": "CA"}])
    assert reg.evaluate(later, AT, CA).notify is False
    assert reg.evaluate(later, date(2026, 1, 2), CA).notify is True


@pytest.mark.parametrize(
    ("statute", "expected"),
    [
        ("CA PC 211", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("Cal. Penal Code 211", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("Cal. Penal Code § 211(a)", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("PC 211(a)", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("pc 211", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("Penal Code section 211", {"serious_felony", "violent_felony", "theft_burglary_robbery_fraud"}),
        ("CA PC 2110", set()),  # token boundary: not section 211
        ("NY PL 211", set()),  # another state's code
        ("211", set()),  # no code: ambiguous
        ("CA PC 245(a)(4)", {"assault_battery"}),  # (a)(4) is not on 1192.7(c)(31)
        ("CA PC 245(a)(1)", {"assault_battery", "serious_felony"}),
        ("CA HS 11351", {"controlled_substance_felony"}),
        ("CA HS 11351.5", {"controlled_substance_felony"}),
        ("CA HS 11352.1", set()),  # not HS 11352
        ("Cal. Veh. Code 23153(a)", {"dui_felony"}),
    ],
)
def test_it_maps_statute_spellings_to_categories(statute: str, expected: set[str]) -> None:
    reg = load_library()
    tables: list[OffenceTable] = [reg.tables[t] for t in reg.policies["us-ca"].offence_tables]
    found = set().union(*(t.categories(statute, AT) for t in tables))
    assert found == expected


def test_it_explains_each_table_inference_with_its_citation() -> None:
    d = load_library().evaluate(
        facts(convictions=[{"statute": "Cal. Penal Code 211", "level": "felony", "convicted_on": "2019-04-02", "state": "CA"}]),
        AT, CA,
    )
    cites = {r.cite for r in d.reasons if r.rule.startswith("offence-table:")}
    assert "Cal. Penal Code 1192.7(c)(19) (robbery)" in cites
    assert "Cal. Penal Code 667.5(c)(9) (any robbery)" in cites
    assert d.notify and d.attorney_notice and d.hold == "prohibited"


def test_it_lists_every_policy_consulted_and_every_rule_with_its_cite() -> None:
    reg = load_library()
    d = reg.evaluate(facts(), datetime(2025, 6, 1, 12, tzinfo=UTC), CA)
    assert d.policies == ("us-federal@2017-04-02", "us-ca@2018-01-01")
    rule_ids = [r.rule for r in d.reasons if r.policy in ("us-federal", "us-ca")]
    shipped = [r.id for p in CA for r in reg.version_at(p, AT).rules]  # type: ignore[union-attr]
    assert rule_ids == shipped
    assert all(r.cite for r in d.reasons)


def test_it_skips_a_policy_with_no_version_in_force_and_says_so() -> None:
    d = load_library().evaluate(facts(), date(2013, 6, 1), CA)
    assert d.policies == ()
    assert d.review is True
    assert [r.rule for r in d.reasons] == ["not-in-force", "not-in-force", "no-policy"]


def test_it_answers_a_withdrawn_request_with_nothing_to_do() -> None:
    data = {"request": {"kind": "detainer", "warrant": "administrative", "withdrawn": True},
            "convictions": [{"statute": "CA PC 211", "level": "felony", "convicted_on": "2019-04-02", "state": "CA"}]}
    d = load_library().evaluate(Facts.from_dict(data), AT, ["us-federal"])
    assert (d.notify, d.hold, d.transfer, d.individual_notice) == (False, "prohibited", "prohibited", False)
    assert d.reasons[-1].rule == "request-withdrawn"


def test_it_refuses_an_unknown_policy_and_a_naive_time() -> None:
    reg = load_library()
    with pytest.raises(UnknownPolicy):
        reg.evaluate(facts(), AT, ["us-federal", "us-atlantis"])
    with pytest.raises(ValueError, match="timezone-aware"):
        reg.evaluate(facts(), datetime(2025, 6, 1, 12), CA)


def test_it_refuses_facts_that_cannot_be_right() -> None:
    with pytest.raises(FactsError, match=r"request.warrant.type"):
        Facts.from_dict({"request": {"warrant": "judical"}})
    with pytest.raises(FactsError, match=r"convictions\[1\].convicted_on"):
        Facts.from_dict({"convictions": [{"statute": "A", "convicted_on": "2020-01-01"}, {"statute": "B", "convicted_on": "last year"}]})
    with pytest.raises(FactsError, match=r"charges\[0\].disposition"):
        Facts.from_dict({"charges": [{"statute": "A", "disposition": "guilty"}]})


def test_it_round_trips_a_decision_through_json() -> None:
    d = load_library().evaluate(facts(request_id="R-1"), datetime(2025, 6, 1, 9, tzinfo=UTC), CA)
    data = json.loads(d.to_json())
    assert data["request_id"] == "R-1"
    assert data["evaluated_at"] == "2025-06-01T09:00:00+00:00"
    assert set(data) >= {"policies", "notify", "hold", "transfer", "individual_notice", "attorney_notice",
                         "lead_time_hours", "calendar", "review", "answer_declined", "reasons"}
    assert set(data["reasons"][0]) == {"policy", "rule", "cite", "holds", "detail", "uncertain"}
    assert Decision.from_dict(data) == d


# --------------------------------------------------------------------------- composition

LOOSE_COUNTY = """
      - id: county-cooperate
        cite: "County Ordinance 1"
        when: "true"
        then: {notify: true, hold: required, transfer: permitted, lead_time_hours: 72, calendar: business}
"""


def test_it_never_lets_a_county_loosen_a_state_prohibition(tmp_path: Path) -> None:
    county = policy_yaml("x-county", level="county", stance="conditional", rules=LOOSE_COUNTY, defaults="{}")
    reg = registry_with(tmp_path, {"x-county": county})
    d = reg.evaluate(facts(), AT, ["us-federal", "us-ca", "x-county"])
    assert (d.notify, d.hold, d.transfer) == (False, "prohibited", "prohibited")
    clamps = [r for r in d.reasons if r.rule == "composition"]
    assert {r.detail.split(" would set ")[1].split(",")[0] for r in clamps} == {"notify=true", "hold=required", "transfer=permitted"}
    assert all(r.cite.startswith("Cal. Gov. Code 7282.5(a)") for r in clamps)
    # the county still sets what it may: the lead time and the calendar
    assert (d.lead_time_hours, d.calendar) == (72, "business")
    assert d.policies == ("us-federal@2017-04-02", "us-ca@2018-01-01", "x-county@2020-01-01")


def test_it_never_lets_a_county_drop_a_prohibition_states_duty_to_answer_declined_requests(tmp_path: Path) -> None:
    silent = """
      - id: county-silent
        cite: "County Ordinance 3"
        when: "true"
        then: {answer_declined: false}
"""
    county = policy_yaml("x-county", level="county", stance="conditional", rules=silent, defaults="{}")
    reg = registry_with(tmp_path, {"x-county": county}, copy=("us-federal", "us-or"))
    assert reg.evaluate(facts(), AT, ["us-federal", "us-or"]).answer_declined is True
    d = reg.evaluate(facts(), AT, ["us-federal", "us-or", "x-county"])
    assert d.answer_declined is True
    assert [r.policy for r in d.reasons if r.rule == "composition"] == ["x-county"]
    # without the state above it, the county's choice stands
    assert reg.evaluate(facts(), AT, ["us-federal", "x-county"]).answer_declined is False


def test_it_lets_a_county_be_stricter_than_a_state_prohibition(tmp_path: Path) -> None:
    strict = """
      - id: county-never
        cite: "County Ordinance 2"
        when: "true"
        then: {notify: false, transfer: prohibited}
"""
    county = policy_yaml("x-county", level="county", stance="prohibition", rules=strict, defaults="{}")
    reg = registry_with(tmp_path, {"x-county": county})
    robbery = facts(convictions=[{"statute": "CA PC 211", "level": "felony", "convicted_on": "2019-04-02", "state": "CA"}])
    assert reg.evaluate(robbery, AT, ["us-federal", "us-ca"]).notify is True
    d = reg.evaluate(robbery, AT, ["us-federal", "us-ca", "x-county"])
    assert (d.notify, d.transfer) == (False, "prohibited")
    assert not [r for r in d.reasons if r.rule == "composition"]


def test_it_never_lets_a_county_restrict_a_state_mandate(tmp_path: Path) -> None:
    mandate = policy_yaml("x-state", level="state", stance="mandate", rules="""
      - id: must-honor
        cite: "State Code 9"
        when: "request.kind == 'detainer'"
        then: {notify: true, hold: required, transfer: permitted}
""")
    county = policy_yaml("x-county", level="county", stance="prohibition", rules="""
      - id: county-refuses
        cite: "County Ordinance 3"
        when: "true"
        then: {notify: false, hold: prohibited, transfer: prohibited, individual_notice: true}
""", defaults="{}")
    reg = registry_with(tmp_path, {"x-state": mandate, "x-county": county}, copy=("us-federal",))
    d = reg.evaluate(facts(), AT, ["us-federal", "x-state", "x-county"])
    assert (d.notify, d.hold, d.transfer) == (True, "required", "permitted")
    assert len([r for r in d.reasons if r.rule == "composition"]) == 3
    assert d.individual_notice is True  # a protective duty is OR-ed, not clamped


def test_it_lets_the_most_specific_policy_decide_without_a_state_regime(tmp_path: Path) -> None:
    state = policy_yaml("x-state", level="state", stance="conditional", rules="""
      - id: state-holds
        cite: "State Code 10"
        when: "true"
        then: {notify: true, hold: permitted}
""")
    county = policy_yaml("x-county", level="county", stance="conditional", rules="""
      - id: county-no-hold
        cite: "County Ordinance 4"
        when: "true"
        then: {hold: prohibited}
""", defaults="{}")
    reg = registry_with(tmp_path, {"x-state": state, "x-county": county}, copy=("us-federal",))
    d = reg.evaluate(facts(), AT, ["us-federal", "x-state", "x-county"])
    assert (d.notify, d.hold) == (True, "prohibited")  # notify not decided by the county: inherited


def test_it_sends_a_rule_that_fails_at_run_time_to_review(tmp_path: Path) -> None:
    broken = policy_yaml("x-state", rules="""
      - id: divides
        cite: "Test Code 5"
        when: "request.lead_time_hours == 47 && 1 / (request.lead_time_hours - 47) == 1"
        then: {notify: true}
""")
    reg = registry_with(tmp_path, {"x-state": broken}, copy=("us-federal",))
    ok = reg.evaluate(facts(), AT, ["x-state"])
    assert ok.review is False
    d = reg.evaluate(Facts.from_dict({"request": {"lead_time_hours": 47}}), AT, ["x-state"])
    assert d.review is True and d.notify is False
    assert "Could not be evaluated" in next(r.detail for r in d.reasons if r.rule == "divides")


def test_it_reviews_only_when_the_outcome_rests_on_an_uncertain_table_entry() -> None:
    reg = load_library()
    sodomy = {"statute": "CA PC 286(b)(1)", "level": "felony", "convicted_on": "2005-01-01", "state": "CA"}
    robbery = {"statute": "CA PC 211", "level": "felony", "convicted_on": "2001-01-01", "state": "CA"}
    alone = reg.evaluate(facts(convictions=[sodomy]), AT, CA)
    assert alone.notify and alone.review
    both = reg.evaluate(facts(convictions=[sodomy, robbery]), AT, CA)
    assert both.notify and not both.review  # the robbery alone already permits notice


def test_it_reloads_nothing_when_asked_twice() -> None:
    assert load_library() is load_library()


def test_it_gives_the_same_decision_for_the_same_facts_on_any_path(tmp_path: Path) -> None:
    reg = load_library()
    f = facts(convictions=[{"statute": "CA PC 245(a)(1)", "level": "misdemeanor", "wobbler": True,
                            "convicted_on": str(AT - timedelta(days=100)), "state": "CA"}])
    first = reg.evaluate(f, AT, CA)
    again = reg.evaluate(f, AT, CA)  # from the memo
    reg.clear_memo()
    fresh = reg.evaluate(f, AT, CA)
    assert first == again == fresh


def test_it_stays_correct_when_its_memory_overflows_and_across_threads() -> None:
    import threading

    from handoff.policy.engine import Registry

    base = load_library()
    small = Registry(base.policies, base.tables, memo_size=8)
    reference = Registry(base.policies, base.tables, memo_size=0, decompose=False)
    cases = [
        facts(convictions=[{"statute": s, "level": lvl, "wobbler": True, "convicted_on": str(AT - timedelta(days=d)), "state": "CA"}])
        for s in ("CA PC 211", "CA PC 243(d)", "CA PC 487(a)", "CA VC 23153(a)")
        for lvl in ("felony", "misdemeanor")
        for d in (100, 2000, 6000)
    ]
    expected = [reference.evaluate(f, AT, CA) for f in cases]
    errors: list[str] = []

    def work() -> None:
        for _ in range(5):
            for f, want in zip(cases, expected, strict=True):
                if small.evaluate(f, AT, CA) != want:
                    errors.append(str(f))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(small._memo) <= 8 + len(threads)  # a thread may insert between another's check and insert
