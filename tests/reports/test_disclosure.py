"""Disclosure control: no hidden count can be worked back out from what is published.

The attacker here is written independently of the module's graph reasoning: it solves the published
equations exactly (rational Gaussian elimination) and tightens bounds with non-negativity, the two attacks a
reader with a spreadsheet would try.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.reports.disclosure import ProtectedTable, protect

Key = tuple[int, int]


def _equations(n: int, m: int) -> list[dict[Key, int]]:
    """Each line of the grid with its total counted negative sums to zero."""
    eqs: list[dict[Key, int]] = []
    for i in range(n + 1):
        eq = {(i, j): 1 for j in range(m)}
        eq[(i, m)] = -1
        eqs.append(eq)
    for j in range(m + 1):
        eq = {(i, j): 1 for i in range(n)}
        eq[(n, j)] = -1
        eqs.append(eq)
    return eqs


def _published_grid(t: ProtectedTable[int, int]) -> dict[Key, int | None]:
    n, m = len(t.rows), len(t.cols)
    g: dict[Key, int | None] = {}
    for (r, c), v in t.cells.items():
        g[(r, c)] = v
    for r, v in t.row_totals.items():
        g[(r, m)] = v
    for c, v in t.col_totals.items():
        g[(n, c)] = v
    g[(n, m)] = t.total
    return g


def _linearly_determined(published: dict[Key, int | None], n: int, m: int) -> set[Key]:
    unknowns = sorted(k for k, v in published.items() if v is None)
    index = {k: x for x, k in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for eq in _equations(n, m):
        coeffs = [Fraction(0)] * len(unknowns)
        for k, a in eq.items():
            if k in index:
                coeffs[index[k]] += a
        if any(coeffs):
            rows.append(coeffs)
    # reduced row echelon form
    pivots: list[int] = []
    r = 0
    for col in range(len(unknowns)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][col]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(col)
        r += 1
    determined: set[Key] = set()
    for i, col in enumerate(pivots):
        if all(x == 0 for k, x in enumerate(rows[i]) if k != col):
            determined.add(unknowns[col])
    return determined


def _bounds(published: dict[Key, int | None], n: int, m: int) -> dict[Key, tuple[int, float]]:
    lo: dict[Key, int] = {k: 0 for k, v in published.items() if v is None}
    hi: dict[Key, float] = {k: float("inf") for k in lo}
    for _ in range(4 * (n + m + 2)):
        changed = False
        for eq in _equations(n, m):
            const = sum(a * published[k] for k, a in eq.items() if published[k] is not None)  # type: ignore[operator]
            unknown = [(k, a) for k, a in eq.items() if published[k] is None]
            for k, a in unknown:
                # a*x_k = -const - sum(other a*x)
                others_min = sum(b * (lo[o] if b > 0 else hi[o]) for o, b in unknown if o != k)
                others_max = sum(b * (hi[o] if b > 0 else lo[o]) for o, b in unknown if o != k)
                if a > 0:
                    new_hi, new_lo = -const - others_min, -const - others_max
                else:
                    new_hi, new_lo = const + others_max, const + others_min
                if new_hi < hi[k]:
                    hi[k], changed = new_hi, True
                if new_lo > lo[k]:
                    lo[k], changed = int(new_lo), True
        if not changed:
            break
    return {k: (lo[k], hi[k]) for k in lo}


def _truth(values: dict[Key, int], n: int, m: int) -> dict[Key, int]:
    g = {(i, j): values.get((i, j), 0) for i in range(n) for j in range(m)}
    for i in range(n):
        g[(i, m)] = sum(g[(i, j)] for j in range(m))
    for j in range(m):
        g[(n, j)] = sum(g[(i, j)] for i in range(n))
    g[(n, m)] = sum(g[(i, m)] for i in range(n))
    return g


counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60))


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, int, dict[Key, int]]:
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 5))
    values = {(i, j): draw(counts) for i in range(n) for j in range(m)}
    return n, m, values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans(), st.booleans())
def test_it_never_lets_a_hidden_count_be_worked_back_out(
    table: tuple[int, int, dict[Key, int]], row_totals: bool, col_totals: bool
) -> None:
    n, m, values = table
    t = protect(values, range(n), range(m), publish_row_totals=row_totals, publish_col_totals=col_totals)
    published = _published_grid(t)
    truth = _truth(values, n, m)

    # everything shown is true, and every small count (cells and totals) is hidden
    for k, v in published.items():
        if v is not None:
            assert v == truth[k]
            assert not 1 <= v <= 10, f"small count {v} published at {k}"

    protected = {k for k, w in t.why.items() if w != "withheld"}
    assert not protected & _linearly_determined(published, n, m)
    for k, (lo, hi) in _bounds(published, n, m).items():
        if k in protected:
            assert lo < hi, f"hidden cell {k} pinned to {lo} by non-negativity"
            assert lo <= truth[k] <= hi


def test_it_hides_a_lone_small_cell_and_enough_others_that_the_row_total_gives_nothing_away() -> None:
    t = protect({("Alameda", "2025-01"): 4, ("Alameda", "2025-02"): 30, ("Kern", "2025-01"): 25,
                 ("Kern", "2025-02"): 40}, ["Alameda", "Kern"], ["2025-01", "2025-02"])
    assert t.cells[("Alameda", "2025-01")] is None
    hidden = [k for k, v in t.cells.items() if v is None]
    assert len(hidden) >= 2
    # the row total and the other cells of the row no longer add up to the hidden cell
    row = [t.cells[("Alameda", c)] for c in t.cols]
    assert t.row_totals["Alameda"] is None or None in [v for v in row if v is not None] or row.count(None) >= 2


def test_it_publishes_zeros_and_large_counts_untouched() -> None:
    t = protect({(0, 0): 0, (0, 1): 11, (1, 0): 250, (1, 1): 0}, [0, 1], [0, 1])
    assert t.cells == {(0, 0): 0, (0, 1): 11, (1, 0): 250, (1, 1): 0}
    assert t.total == 261 and t.hidden_count() == 0


def test_it_hides_small_totals_too() -> None:
    t = protect({(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 0, (2, 0): 12, (2, 1): 0}, [0, 1, 2], [0, 1])
    assert t.total == 12
    t = protect({(0, 0): 3, (1, 0): 4}, [0, 1], [0])
    assert t.total is None and t.col_totals[0] is None


@pytest.mark.parametrize("bad", [{(0, 0): -1}])
def test_it_refuses_negative_counts(bad: dict[Key, int]) -> None:
    with pytest.raises(ValueError):
        protect(bad, [0], [0])
