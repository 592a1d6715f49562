"""The blocks that decide which pairs of people are scored at all: small enough for a state, and still
comparing the pairs a clerk's typo makes.

Why it matters to a user: a block that compares every person in a big postcode with every other makes a state's
link run take hours (the 1,000,000-booking benchmark took over ten minutes); a block split too hard stops
comparing two records of one human, who then counts as two people in every re-arrest figure. Speed itself
is measured in bench/linkage_dedupe.py, never here; these tests count pairs, which do not depend on the machine.
"""

from __future__ import annotations

import pandas as pd

from handoff.linkage import engine


def _people(n: int) -> pd.DataFrame:
    """n people in ONE postcode, sharing few birthdays and surnames (a crowded block), with distinct names."""
    rows = []
    for i in range(n):
        rows.append({"unique_id": i, "first_name": f"{'ABCDEFGHIJ'[i % 10]}name{i % 37}",
                     "last_name": f"{'KLMNOPQRST'[(i // 10) % 10]}surname{i % 5}",
                     "dob": f"19{60 + i % 3}-0{1 + i % 2}-1{i % 2}", "sex": "M",
                     "street": f"{i} Main St", "city": "Tacoma", "postcode": "98402", "state": "WA"})
    return engine.normalise(pd.DataFrame(rows))


def _covered(keys: list[tuple[engine.Key, ...]], data: pd.DataFrame, a: int, b: int) -> bool:
    ra, rb = data.set_index("unique_id").loc[a], data.set_index("unique_id").loc[b]
    one = pd.DataFrame([ra, rb]).reset_index(drop=True)
    return any(all(pd.notna(k.values(one)[0]) and k.values(one)[0] == k.values(one)[1] for k in rule)
               for rule in keys)


def test_it_splits_every_crowded_block_until_it_fits_the_budget() -> None:
    data = _people(3000)
    budget = engine.BLOCK_BUDGET_PER_RECORD * len(data)
    whole_postcode = engine._block_pairs(data, (engine.POSTCODE,))
    assert whole_postcode > budget  # one postcode for everyone: 4.5 million pairs unsplit

    rules = engine.block_keys(data)
    assert (engine.POSTCODE,) not in rules and (engine.DOB,) not in rules
    for rule in rules:
        assert engine._block_pairs(data, rule) <= budget, [k.sql for k in rule]
    # every rule is a Splink blocking rule on the same keys
    assert len(engine.blocking_rules(data)) == len(rules)


def test_it_still_compares_two_records_of_one_person_with_a_typo_in_either_name() -> None:
    data = _people(3000)
    typo_first = data.iloc[[0]].assign(unique_id=10_000, first_name="anamx0")  # first name mistyped
    typo_last = data.iloc[[1]].assign(unique_id=10_001, last_name="ksurnamx1", street="9 Other Rd")  # moved too
    both = pd.concat([data, typo_first, typo_last], ignore_index=True)
    rules = engine.block_keys(both)
    assert _covered(rules, both, 0, 10_000)
    assert _covered(rules, both, 1, 10_001)


def test_it_keeps_small_blocks_whole() -> None:
    """A county's few hundred people in many postcodes: a one-field block stays whole (it compares more)."""
    data = _people(300)
    data["postcode"] = [f"984{i % 40:02d}" for i in range(300)]  # a county: a few people per postcode
    data["dob"] = [f"19{60 + i % 30}-0{1 + i % 9}-1{i % 7}" for i in range(300)]
    rules = engine.block_keys(data)
    assert (engine.DOB,) in rules and (engine.POSTCODE,) in rules
