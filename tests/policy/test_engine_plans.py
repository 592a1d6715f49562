"""What the engine remembers between decisions must never change a decision (bench/evaluate.py's speed rests on
it): the per-chain plan of which versions are in force, and a conviction date held in the memo only as its
place among the dates a rule compares it with (California's pre-Realignment rule, `c.convicted_on <
'2011-10-01'`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from handoff.policy.engine import Registry, _date_cuts, load_library
from handoff.policy.facts import Facts

from .helpers import library_with, policy_yaml

REG = load_library()
FELONY = {"statute": "CA PC 459", "level": "felony", "state": "CA"}
DETAINER = {"kind": "detainer", "form": "I-247A", "basis": ["biometric_match"],
            "warrant": {"type": "administrative", "form": "I-200"}}


def _facts(convicted_on: date) -> Facts:
    return Facts.from_dict({"request": DETAINER,
                            "convictions": [{**FELONY, "convicted_on": convicted_on.isoformat()}]})


def test_it_flags_a_pre_realignment_felony_on_each_side_of_1_october_2011_as_if_nothing_were_remembered() -> None:
    """A clerk in Los Angeles re-decides people convicted just before, on and just after Realignment, in any
    order: the memo (which keys the date only by its side of 2011-10-01) answers as running every rule whole."""
    memo = Registry(REG.policies, REG.tables)
    whole = Registry(REG.policies, REG.tables, memo_size=0, decompose=False)
    days = [date(2011, 9, 30), date(2011, 10, 1), date(2011, 10, 2), date(1999, 1, 1), date(2011, 9, 29),
            date(2020, 5, 5), date(2011, 10, 1), date(2011, 9, 30)]
    flagged = []
    for day in days:
        got = memo.evaluate(_facts(day), date(2025, 6, 1), ["us-federal", "us-ca"])
        assert got == whole.evaluate(_facts(day), date(2025, 6, 1), ["us-federal", "us-ca"]), day
        flagged.append(any(r.rule == "ca-7282.5-a-2-pre-realignment" and r.holds for r in got.reasons))
    assert flagged == [True, False, False, True, True, False, False, True]


def test_it_keys_a_conviction_date_by_its_place_only_when_a_rule_does_nothing_else_with_it() -> None:
    assert _date_cuts(["convictions.exists(c, c.level == 'felony' && c.convicted_on < '2011-10-01')"]) == ("2011-10-01",)
    assert _date_cuts(["'2014-11-05' <= x.convicted_on", "c.convicted_on != \"2001-01-01\""]) == (
        "2001-01-01", "2014-11-05")
    assert _date_cuts(["request.kind == 'detainer'"]) == ()
    for other_use in ("c.convicted_on < settings.cutoff", "c.convicted_on.startsWith('2011')",
                      "c.convicted_on < c2.convicted_on", "has(c.convicted_on)", "c.convicted_on < '2011-10'"):
        assert _date_cuts([other_use]) is None, other_use


def test_it_follows_a_chain_across_each_version_boundary_with_a_remembered_plan() -> None:
    """The same chain on consecutive days around each version change of New Jersey (neutral, then the Immigrant
    Trust Directive) and of Miami-Dade (limit, then mandate): the remembered plan switches on the right day."""
    memo = Registry(REG.policies, REG.tables)
    whole = Registry(REG.policies, REG.tables, memo_size=0, decompose=False)
    facts = Facts.from_dict({"request": DETAINER})
    for chain in (["us-federal", "us-nj"], ["us-federal", "us-fl", "us-fl-miami-dade"]):
        edges = {v.effective_from for pid in chain for v in REG.policies[pid].versions}
        for edge in sorted(edges):
            for day in (edge - timedelta(days=1), edge, edge + timedelta(days=1), edge - timedelta(days=1)):
                assert memo.evaluate(facts, day, chain) == whole.evaluate(facts, day, chain), (chain, day)


def test_it_keeps_raw_dates_in_the_memo_when_a_rule_reads_whole_conviction_records(tmp_path: Path) -> None:
    """A rule comparing whole records never writes `convicted_on`, yet depends on it: two convictions for the
    same offence on two days before 2011-10-01 differ, and the memo must not fold the two dates together."""
    text = policy_yaml("x-whole", rules="""
      - id: r-whole
        cite: "Test Code 2"
        when: "convictions.exists(a, convictions.exists(b, a != b))"
        then: {notify: true}
""")
    reg = load_library(library_with(tmp_path, {"x-whole": text}, copy=("us-federal",)))
    assert not reg._compiled[id(reg.policies["x-whole"].versions[0])].layout.cut

    def twice(first: date, second: date) -> bool:
        facts = Facts.from_dict({"request": DETAINER, "convictions": [
            {**FELONY, "convicted_on": first.isoformat()}, {**FELONY, "convicted_on": second.isoformat()}]})
        return reg.evaluate(facts, date(2025, 6, 1), ["us-federal", "x-whole"]).notify

    assert [twice(date(2005, 1, 1), date(2005, 1, 1)), twice(date(2005, 1, 1), date(2006, 1, 1)),
            twice(date(2007, 1, 1), date(2007, 1, 1))] == [False, True, False]
