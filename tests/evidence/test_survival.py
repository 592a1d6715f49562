"""Re-arrest estimates recover a known truth, and the BJS cohort rules hold, on generated data."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from handoff.core.errors import InvalidInput
from handoff.evidence import rearrest
from handoff.evidence.survival import kaplan_meier, logrank

from .synthetic import AS_OF_DAYS, HAZARDS, START, frame, truth

AS_OF = (START + timedelta(days=AS_OF_DAYS)).date()


def test_it_recovers_the_known_rearrest_rate_per_group_at_one_two_and_three_years() -> None:
    result = rearrest.compute(frame(4000), as_of=AS_OF)
    assert [g.group for g in result.groups] == list(rearrest.GROUPS)
    for g in result.groups:
        if g.group not in HAZARDS:  # historical_hold: no jail export's hold in generated data
            assert g.released == 0
            continue
        assert g.released == 4000
        for p in g.km:
            expected = truth(g.group, p.days)
            assert p.rearrest_rate is not None and p.ci_low is not None and p.ci_high is not None
            assert abs(p.rearrest_rate - expected) < 0.025, (g.group, p.days, p.rearrest_rate, expected)
            assert p.ci_low <= expected <= p.ci_high, (g.group, p.days, p)
            assert p.ci_high - p.ci_low < 0.06
    assert result.logrank.p_value is not None and result.logrank.p_value < 1e-6  # the hazards differ
    assert result.logrank.degrees_of_freedom == 2


def test_it_censors_at_the_as_of_date_instead_of_counting_later_bookings() -> None:
    """Cut the follow-up at 400 days after the last release: a naive share would count only re-arrests seen
    so far; Kaplan-Meier still recovers the one-year truth, and the three-year point is not estimable."""
    data = frame(4000, seed=3)
    as_of = (START + timedelta(days=400 + 730)).date()
    result = rearrest.compute(data, as_of=as_of)
    g = result.groups[0]
    one_year = g.km[0]
    assert one_year.rearrest_rate is not None
    assert abs(one_year.rearrest_rate - truth(g.group, 365)) < 0.025
    naive = g.rearrested / g.released
    assert g.km[2].days == 1095
    # followed at most ~1,160 days: 1095 is estimable only for the earliest releases, never extrapolated
    later = rearrest.end_of(as_of)
    assert (data["booked_at"] >= later).any()  # there ARE bookings after as-of, and they are not events
    assert naive < truth(g.group, 1095)


def test_it_leaves_transfers_out_of_the_cohort_and_counts_them() -> None:
    data = frame(300)
    first = data.index[data["released_at"].notna()][:7]
    data.loc[first[:4], "exit"] = "transferred_to_ice"
    data.loc[first[4:], "exit"] = "transferred_other"
    result = rearrest.compute(data, as_of=AS_OF)
    assert result.excluded == {"transferred_to_ice": 4, "transferred_other": 3}
    assert sum(g.released for g in result.groups) == 900 - 7


def test_it_counts_the_next_booking_only_when_it_is_strictly_after_the_release() -> None:
    t0 = pd.Timestamp("2020-01-01T12:00:00Z")
    rows = pd.DataFrame({
        "identity": ["a", "a", "a", "b"],
        "booked_at": [t0, t0 + pd.Timedelta(days=2), t0 + pd.Timedelta(days=40), t0],
        "released_at": [t0 + pd.Timedelta(days=10), pd.NaT, pd.NaT, t0 + pd.Timedelta(days=1)],
        "exit": "community", "group": "no_request", "in_scope": True,
    })
    rows["released_at"] = pd.to_datetime(rows["released_at"], utc=True)
    result = rearrest.compute(rows, as_of=date(2021, 6, 1))
    g = result.groups[0]
    # a's booking on day 2 overlaps the release (another jail while still held): the event is day 40
    assert (g.released, g.rearrested) == (2, 1)


def test_it_refuses_an_as_of_before_the_first_release_with_the_reason() -> None:
    with pytest.raises(InvalidInput, match="before the first release on record"):
        rearrest.compute(frame(10), as_of=date(2018, 1, 1))


def test_it_gives_zeros_for_an_empty_period() -> None:
    result = rearrest.compute(rearrest.empty_frame(), as_of=date(2024, 1, 1))
    assert result.as_json() == {
        "as_of": "2024-01-01",
        "groups": [{"group": g, "released": 0, "rearrested": 0,
                    "km": [{"days": d, "rearrest_rate": None, "ci_low": None, "ci_high": None}
                           for d in (365, 730, 1095)]} for g in rearrest.GROUPS],
        "excluded": {"transferred_to_ice": 0, "transferred_other": 0},
    }
    window = rearrest.compute(frame(50), as_of=AS_OF, start=date(2030, 1, 1), end=date(2030, 12, 31))
    assert all(g.released == 0 for g in window.groups)


def test_it_does_not_test_a_single_group() -> None:
    d, e = np.array([10.0, 20.0]), np.array([True, False])
    assert logrank(d, e, np.array(["x", "x"])).p_value is None
    assert kaplan_meier(np.array([], dtype=float), np.array([], dtype=bool))[0].rearrest_rate is None
    assert set(HAZARDS) == set(rearrest.GROUPS) - {"historical_hold"}
