"""The linear-program audit and the suppression it drives, as a reader with every published figure would
attack them: hypothesis draws random tables (and linked pairs of tables), suppression runs, and an
independent audit re-solves every hidden figure's interval."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.reports.audit import (
    MIN_WIDTH,
    THRESHOLD,
    Publication,
    audit,
    suppress,
    table_publication,
)

SMALLISH = st.sampled_from([0, 0, 0, 1, 2, 3, 4, 7, 10, 11, 12, 15, 25, 40, 90])


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[int, int], int], int, int]:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 6))
    cells = {(r, c): draw(SMALLISH) for r in range(rows) for c in range(cols)}
    return cells, rows, cols


def _published_values_are_true_and_not_small(pub: Publication, hidden: set[int]) -> None:
    for i, fig in enumerate(pub.figures):
        if fig.published and i not in hidden:
            assert not 1 <= pub.value(i) <= THRESHOLD, (fig.key, pub.value(i))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_it_leaves_every_hidden_cell_at_least_15_wide_on_random_tables(
    drawn: tuple[dict[tuple[int, int], int], int, int],
) -> None:
    cells, rows, cols = drawn
    pub = table_publication(cells, rows, cols)
    result = suppress(pub)
    _published_values_are_true_and_not_small(pub, result.hidden)
    again = audit(pub, result.hidden)  # an independent re-run, from the hidden set alone
    assert again.ok, [(pub.figures[f].key, again.intervals[f]) for f in again.failures]
    for f, iv in again.intervals.items():
        assert iv.low <= pub.value(f) + 1e-6 <= iv.high + 2e-6, "the truth lies inside the reader's interval"
        assert iv.width >= MIN_WIDTH - 1e-6


@st.composite
def linked(draw: st.DrawFn) -> Publication:
    """Received by place x month, declined by place x reason: declined is part of received (review M2)."""
    places = draw(st.integers(1, 4))
    months = draw(st.integers(1, 4))
    reasons = draw(st.integers(1, 3))
    pub = Publication()
    for p in range(places):
        declined = [draw(SMALLISH) for _ in range(reasons)]
        received = [draw(SMALLISH) for _ in range(months)]
        extra = max(0, sum(declined) - sum(received))
        received[0] += extra  # every declined request was received
        for m, v in enumerate(received):
            pub.atom(("rec", p, m), v)
        for k, v in enumerate(declined):
            pub.atom(("dec", p, k), v)
        pub.atom(("not-declined", p), sum(received) - sum(declined))
    for p in range(places):
        rec = [pub.atom(("rec", p, m)) for m in range(months)]
        dec = [pub.atom(("dec", p, k)) for k in range(reasons)]
        pub.link(rec, dec + [pub.atom(("not-declined", p))])
        for m, a in enumerate(rec):
            pub.figure(("rec", p, m), [a])
        pub.figure(("rec", p), rec)
        for k, a in enumerate(dec):
            pub.figure(("dec", p, k), [a])
        pub.figure(("not-declined", p), [pub.atom(("not-declined", p))], published=False)
    for m in range(months):
        pub.figure(("rec", "all", m), [pub.atom(("rec", p, m)) for p in range(places)])
    pub.figure(("rec", "all"), [pub.atom(("rec", p, m)) for p in range(places) for m in range(months)])
    return pub


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked())
def test_it_protects_linked_tables_as_one_publication(pub: Publication) -> None:
    result = suppress(pub)
    _published_values_are_true_and_not_small(pub, result.hidden)
    again = audit(pub, result.hidden)
    assert again.ok, [(pub.figures[f].key, again.intervals[f]) for f in again.failures]


def test_it_catches_the_m2_attack_that_table_by_table_suppression_missed() -> None:
    """The review's page: received 52 in all, Harris 28, Los Angeles hidden, pool hidden, while Los Angeles'
    declines (16 of its 16) are published: pool received <= 52 - 28 - 16 = 8. Suppressing each table on its own
    lets that through; the audit over both tables refuses it, and suppression over both fixes it."""
    pub = Publication()
    truth = {"harris": (28, 0), "la": (16, 16), "pool": (8, 0)}
    for place, (received, declined) in truth.items():
        pub.atom(("rec", place), received)
        pub.atom(("dec", place), declined)
        pub.atom(("nd", place), received - declined)
        pub.link([pub.atom(("rec", place))], [pub.atom(("dec", place)), pub.atom(("nd", place))])
        pub.figure(("rec", place), [pub.atom(("rec", place))])
        pub.figure(("dec", place), [pub.atom(("dec", place))])
    pub.figure(("rec", "all"), [pub.atom(("rec", p)) for p in truth])
    pub.figure(("dec", "all"), [pub.atom(("dec", p)) for p in truth])
    # table by table: hide the pool's 8 and (to protect it) Los Angeles' received; publish the declines
    naive = {pub.index(("rec", "pool")), pub.index(("rec", "la"))}
    attacked = audit(pub, naive)
    assert not attacked.ok
    pool = attacked.intervals[pub.index(("rec", "pool"))]
    assert pool.high <= 8 + 1e-6, pool
    fixed = suppress(pub)
    assert audit(pub, fixed.hidden).ok
    assert pub.index(("rec", "pool")) in fixed.hidden


def test_it_counts_a_days_since_counter_as_a_floor() -> None:
    """A hidden count of 1 beside a hidden 30 under a published total of 31 is open (1..30: zeros are always
    published, so a hidden figure is at least 1) until a published fact says "at least 30 in the second
    month": then the first is pinned and the audit objects."""
    pub = table_publication({(0, 0): 1, (0, 1): 30, (1, 0): 0, (1, 1): 0}, 2, 2, totals=False)
    pub.figure(("row", 0), [pub.atom(("cell", 0, 0)), pub.atom(("cell", 0, 1))])
    hidden = {pub.index(("cell", 0, 0)), pub.index(("cell", 0, 1))}
    assert audit(pub, hidden).ok
    pub.floor([pub.atom(("cell", 0, 1))], 30)
    result = audit(pub, hidden)
    assert not result.ok
    assert result.intervals[pub.index(("cell", 0, 0))].width < 1e-6


def test_it_calls_an_interval_unbounded_when_nothing_caps_it() -> None:
    pub = table_publication({(0, 0): 3}, 1, 1, totals=False)
    result = audit(pub, {0})
    assert result.ok and math.isinf(result.intervals[0].high)
