"""Disclosure control for published counts: small-cell (primary) and complementary (secondary) suppression.

PURE Python (no Django): the rule that decides what the public may see is tested as plain functions.

Why this shape. A published table of counts (rows x columns) usually comes with totals, and totals are
equations: a row total minus the row's published cells gives back a hidden cell, and with several rows and
columns, sums of totals give back cells that no single line reveals. We model a table with its margins as
one (rows+1) x (cols+1) grid in which every line sums to zero once the totals are counted negative. The hidden
cells are then the edges of a bipartite graph (row vertices, column vertices; the total row and the total
column are vertices too). Linear algebra on that incidence matrix says: a hidden cell's value is fixed by the
published numbers exactly when its edge is a *bridge* (lies on no cycle). So the rule is:

1. primary: hide every count from 1 to `threshold` (totals included: a small total is a small count);
2. secondary: while the graph of hidden cells has a bridge, hide the cheapest further cells that close a
   cycle through it (cheapest = smallest counts, totals dearer, the grand total dearest).

Secondary cells are always non-zero, so every hidden cell is >= 1 and moving +1/-1 alternately around its
cycle gives another table, with no negative count, that agrees with everything published: a reader cannot
tell the true value from its neighbours, neither by solving the equations nor by bounding with non-negativity.
Zeros are published: a zero hides nobody.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)

DEFAULT_THRESHOLD = 10
Why = Literal["primary", "secondary", "withheld"]

# cost multipliers: prefer hiding interior cells, then margins, then the grand total
_MARGIN_COST = 4
_GRAND_COST = 64


@dataclass(frozen=True)
class ProtectedTable(Generic[R, C]):
    """What may be published. `None` means hidden; `why` says why a cell (or total) is hidden."""

    rows: tuple[R, ...]
    cols: tuple[C, ...]
    cells: dict[tuple[R, C], int | None]
    row_totals: dict[R, int | None]
    col_totals: dict[C, int | None]
    total: int | None
    why: dict[tuple[int, int], Why] = field(default_factory=dict)  # grid coordinates (n, m = the totals)

    def hidden_count(self) -> int:
        return sum(1 for w in self.why.values() if w != "withheld")


def is_small(value: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """A count that could single out a handful of people."""
    return 1 <= value <= threshold


def protect(
    values: Mapping[tuple[R, C], int],
    rows: Sequence[R],
    cols: Sequence[C],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    publish_row_totals: bool = True,
    publish_col_totals: bool = True,
    publish_total: bool = True,
) -> ProtectedTable[R, C]:
    """Protect one table of non-negative counts. Missing cells count as 0.

    Totals that the caller chooses not to publish are "withheld": they give a reader no equation.
    """
    row_list, col_list = tuple(rows), tuple(cols)
    n, m = len(row_list), len(col_list)
    if len(set(row_list)) != n or len(set(col_list)) != m:
        raise ValueError("row and column labels must be unique")
    grid: dict[tuple[int, int], int] = {}
    for i, r in enumerate(row_list):
        for j, c in enumerate(col_list):
            v = int(values.get((r, c), 0))
            if v < 0:
                raise ValueError(f"negative count at {(r, c)!r}")
            grid[(i, j)] = v
    for i in range(n):
        grid[(i, m)] = sum(grid[(i, j)] for j in range(m))
    for j in range(m):
        grid[(n, j)] = sum(grid[(i, j)] for i in range(n))
    grid[(n, m)] = sum(grid[(i, m)] for i in range(n))

    why: dict[tuple[int, int], Why] = {}
    if not publish_row_totals:
        why.update({(i, m): "withheld" for i in range(n)})
    if not publish_col_totals:
        why.update({(n, j): "withheld" for j in range(m)})
    if not publish_total:
        why[(n, m)] = "withheld"
    for key, v in grid.items():
        if key not in why and is_small(v, threshold):
            why[key] = "primary"

    _complete(grid, why, n, m)

    def shown(key: tuple[int, int]) -> int | None:
        return None if key in why else grid[key]

    return ProtectedTable(
        rows=row_list,
        cols=col_list,
        cells={(r, c): shown((i, j)) for i, r in enumerate(row_list) for j, c in enumerate(col_list)},
        row_totals={r: shown((i, m)) for i, r in enumerate(row_list)},
        col_totals={c: shown((n, j)) for j, c in enumerate(col_list)},
        total=shown((n, m)),
        why=why,
    )


def _vertex_row(i: int) -> int:
    return 2 * i


def _vertex_col(j: int) -> int:
    return 2 * j + 1


def _cost(key: tuple[int, int], value: int, n: int, m: int) -> int:
    i, j = key
    if i == n and j == m:
        return value * _GRAND_COST + 1
    if i == n or j == m:
        return value * _MARGIN_COST + 1
    return value + 1


def _complete(grid: dict[tuple[int, int], int], why: dict[tuple[int, int], Why], n: int, m: int) -> None:
    """Secondary suppression: add hidden cells until no hidden cell is a bridge."""
    while True:
        bridge = _find_bridge(why, n, m)
        if bridge is None:
            return
        path = _cheapest_cycle_path(grid, why, bridge, n, m)
        if path is None:  # cannot happen for a non-zero cell (see module docstring); be safe: hide everything
            for key, v in grid.items():
                if v > 0 and key not in why:
                    why[key] = "secondary"
            return
        for key in path:
            if key not in why:
                why[key] = "secondary"


def _find_bridge(why: Mapping[tuple[int, int], Why], n: int, m: int) -> tuple[int, int] | None:
    """The first hidden cell that lies on no cycle of hidden cells, or None (Tarjan, iterative).

    Withheld totals are edges too: a withheld total is unknown to the reader, so it can close a cycle, and
    a withheld total that is itself a bridge reveals nothing (nobody needs its value protected), so only
    non-withheld bridges are returned.
    """
    adjacency: dict[int, list[tuple[int, int]]] = {}
    edges: list[tuple[int, int]] = sorted(why)
    for eid, (i, j) in enumerate(edges):
        a, b = _vertex_row(i), _vertex_col(j)
        adjacency.setdefault(a, []).append((b, eid))
        adjacency.setdefault(b, []).append((a, eid))
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: set[int] = set()
    counter = 0
    for root in sorted(adjacency):
        if root in disc:
            continue
        disc[root] = low[root] = counter
        counter += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # vertex, edge used to enter, next neighbour index
        while stack:
            v, parent_edge, idx = stack[-1]
            neighbours = adjacency[v]
            if idx < len(neighbours):
                stack[-1] = (v, parent_edge, idx + 1)
                w, eid = neighbours[idx]
                if eid == parent_edge:
                    continue
                if w in disc:
                    low[v] = min(low[v], disc[w])
                else:
                    disc[w] = low[w] = counter
                    counter += 1
                    stack.append((w, eid, 0))
            else:
                stack.pop()
                if stack:
                    u = stack[-1][0]
                    low[u] = min(low[u], low[v])
                    if low[v] > disc[u]:
                        bridges.add(parent_edge)
    for eid in sorted(bridges):
        if why[edges[eid]] != "withheld":
            return edges[eid]
    return None


def _cheapest_cycle_path(
    grid: Mapping[tuple[int, int], int],
    why: Mapping[tuple[int, int], Why],
    bridge: tuple[int, int],
    n: int,
    m: int,
) -> list[tuple[int, int]] | None:
    """Cheapest path between the bridge's two ends that avoids the bridge, over non-zero cells (hidden ones
    cost nothing). Hiding its cells puts the bridge on a cycle."""
    start, goal = _vertex_row(bridge[0]), _vertex_col(bridge[1])
    best: dict[int, int] = {start: 0}
    back: dict[int, tuple[int, tuple[int, int]]] = {}
    heap: list[tuple[int, int]] = [(0, start)]
    while heap:
        dist, v = heapq.heappop(heap)
        if v == goal:
            break
        if dist > best.get(v, 1 << 62):
            continue
        is_row = v % 2 == 0
        index = v // 2
        candidates = [(index, j) for j in range(m + 1)] if is_row else [(i, index) for i in range(n + 1)]
        for key in candidates:
            if key == bridge:
                continue
            hidden = key in why
            if not hidden and grid[key] == 0:
                continue
            w = _vertex_col(key[1]) if is_row else _vertex_row(key[0])
            nd = dist + (0 if hidden else _cost(key, grid[key], n, m))
            if nd < best.get(w, 1 << 62):
                best[w] = nd
                back[w] = (v, key)
                heapq.heappush(heap, (nd, w))
    if goal not in best:
        return None
    path: list[tuple[int, int]] = []
    node = goal
    while node != start:
        prev, key = back[node]
        path.append(key)
        node = prev
    return path
