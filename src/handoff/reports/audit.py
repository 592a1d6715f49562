"""Disclosure control proved by linear programming: what a reader can work out from EVERYTHING published.

PURE Python + scipy (no Django), so the rule that decides what the public may see is tested as plain
functions, with hypothesis, on random tables.

Why a linear program. The old suppression (``disclosure.protect``) protected one table at a time, but the
public figures are linked: "declined" is part of "received", a year is the sum of its months, the pooled row
is what the national total leaves after the named places (security review M2). A reader who holds every
published figure can solve for a hidden one, or bound it, by linear programming over all of them at once.
So we model what is published the way that reader does:

* **atoms**: the finest counts behind the figures (requests received in one place and month; declined
  requests of one place, year and reason; ...). Their true values are known to us, unknown to the reader,
  who knows only that they are whole numbers >= 0;
* **figures**: each published number is the sum of some atoms;
* **links**: facts the reader knows without a number, as "sum of these atoms = sum of those" (a year's
  requests by outcome add up to its requests by month);
* **floors**: facts that say "at least k" (a "days since the last missed notice" counter says that month had
  at least one miss; and since zeros are always published, every hidden figure is at least 1). Whether a
  figure was hidden as small (primary) or to protect another (secondary) is never published: with that flag
  a reader would know a primary cell lies in 1..10.

For a hidden figure the reader's best knowledge is the interval [min, max] of its value over every
non-negative solution consistent with the rest. The audit computes both ends with
``scipy.optimize.linprog`` (HiGHS) and requires the interval to be at least ``MIN_WIDTH`` (15) wide: a
hidden count of 3 must be indistinguishable from at least 0..15. (The LP relaxes integrality, which can only
widen an interval by less than one; the width rule has that slack.)

Suppression is the audit run as a loop: hide the small counts (1..10), then while some hidden figure's
interval is too narrow, hide the published figure that binds it (a non-zero dual value of the LP, the
smallest such count first). Hiding only removes equations, so intervals only widen: a figure that passed
stays passed, and the loop ends (at worst with every non-zero figure hidden, when every interval is
unbounded).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

THRESHOLD = 10
MIN_WIDTH = 15.0
_EPS = 1e-7


@dataclass(frozen=True)
class Figure:
    """One number: the sum of `atoms`. `published=False` marks a count that is never printed but can be
    derived (the requests NOT declined, say): it is audited like a hidden figure when it is small."""

    key: Hashable
    atoms: tuple[int, ...]
    published: bool = True


@dataclass
class Publication:
    """What a reader could know: atoms (true values), figures over them, links and floors."""

    values: list[int] = field(default_factory=list)
    names: list[Hashable] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    links: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    floors: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    _atom_index: dict[Hashable, int] = field(default_factory=dict)
    _figure_index: dict[Hashable, int] = field(default_factory=dict)

    # building -------------------------------------------------------------------------------------------
    def atom(self, name: Hashable, value: int = 0) -> int:
        """The atom called `name` (created at 0 the first time); adds `value` to it."""
        if value < 0:
            raise ValueError(f"negative count for {name!r}")
        i = self._atom_index.get(name)
        if i is None:
            i = len(self.values)
            self._atom_index[name] = i
            self.values.append(0)
            self.names.append(name)
        self.values[i] += int(value)
        return i

    def has_atom(self, name: Hashable) -> bool:
        return name in self._atom_index

    def figure(self, key: Hashable, atoms: Iterable[int], *, published: bool = True) -> int:
        if key in self._figure_index:
            raise ValueError(f"figure {key!r} defined twice")
        self._figure_index[key] = len(self.figures)
        self.figures.append(Figure(key, tuple(sorted(set(atoms))), published))
        return self._figure_index[key]

    def link(self, left: Iterable[int], right: Iterable[int]) -> None:
        self.links.append((tuple(left), tuple(right)))

    def floor(self, atoms: Iterable[int], at_least: int) -> None:
        self.floors.append((tuple(atoms), int(at_least)))

    # reading --------------------------------------------------------------------------------------------
    def index(self, key: Hashable) -> int:
        return self._figure_index[key]

    def value(self, i: int) -> int:
        return sum(self.values[a] for a in self.figures[i].atoms)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float  # math.inf when unbounded

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class AuditResult:
    intervals: dict[int, Interval]
    failures: list[int]  # figure indices whose interval is narrower than the minimum
    min_width: float
    lps: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def narrowest(self) -> float:
        return min((iv.width for iv in self.intervals.values()), default=math.inf)


class _Solver:
    """The reader's linear program for one set of hidden figures, reused across objectives."""

    def __init__(self, pub: Publication, hidden: set[int]) -> None:
        self.pub = pub
        n = len(pub.values)
        published = [i for i, f in enumerate(pub.figures) if f.published and i not in hidden]
        zero = np.zeros(n, dtype=bool)
        for i in published:
            if pub.value(i) == 0:
                zero[list(pub.figures[i].atoms)] = True
        # connected components of atoms under the published equations, links and floors
        parent = list(range(n))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        def union(group: Sequence[int]) -> None:
            live = [a for a in group if not zero[a]]
            for a in live[1:]:
                ra, rb = find(live[0]), find(a)
                if ra != rb:
                    parent[rb] = ra

        rows: list[tuple[tuple[int, ...], tuple[int, ...], float, int | None]] = []  # plus, minus, rhs, figure
        for i in published:
            atoms = pub.figures[i].atoms
            if pub.value(i) == 0:
                continue
            union(atoms)
            rows.append((atoms, (), float(pub.value(i)), i))
        for left, right in pub.links:
            union(left + right)
            rows.append((left, right, 0.0, None))
        self.floor_rows: list[tuple[tuple[int, ...], float]] = []
        # zeros are always published, so a reader knows that every hidden published figure is at least 1
        floors = list(pub.floors) + [(pub.figures[i].atoms, 1) for i in sorted(hidden) if pub.figures[i].published]
        for atoms, k in floors:
            union(atoms)
            self.floor_rows.append((atoms, float(k)))
        self.zero = zero
        self.find = find
        self.rows = rows
        self._systems: dict[frozenset[int], tuple[Any, ...]] = {}
        self._by_comp: dict[int, list[int]] | None = None

    def _system(self, comps: frozenset[int]) -> tuple[Any, ...]:
        """The equations and floors of the atoms in these components, built once per solver."""
        if self._by_comp is None:
            by_comp: dict[int, list[int]] = {}
            for a in range(len(self.pub.values)):
                if not self.zero[a]:
                    by_comp.setdefault(self.find(a), []).append(a)
            self._by_comp = by_comp
        live = sorted(a for c in comps for a in self._by_comp.get(c, []))
        col = {a: j for j, a in enumerate(live)}

        def matrix(specs: Sequence[tuple[tuple[int, ...], tuple[int, ...]]]) -> csr_matrix:
            data: list[float] = []
            ri: list[int] = []
            ci: list[int] = []
            for r, (plus, minus) in enumerate(specs):
                for sign, group in ((1.0, plus), (-1.0, minus)):
                    for a in group:
                        if a in col:
                            data.append(sign)
                            ri.append(r)
                            ci.append(col[a])
            return csr_matrix((data, (ri, ci)), shape=(len(specs), len(live)))

        eq = [(p, m, rhs, fig) for p, m, rhs, fig in self.rows if any(a in col for a in p + m)]
        a_eq = matrix([(p, m) for p, m, _, _ in eq]) if eq else None
        b_eq = np.array([rhs for _, _, rhs, _ in eq]) if eq else None
        ub = [(atoms, k) for atoms, k in self.floor_rows if any(a in col for a in atoms)]
        a_ub = -matrix([(atoms, ()) for atoms, _ in ub]) if ub else None
        b_ub = np.array([-k for _, k in ub]) if ub else None
        return live, col, eq, a_eq, b_eq, a_ub, b_ub

    def interval(self, f: int) -> tuple[Interval, list[int], int]:
        """The interval of figure f, the published figures that bind it, and the number of LPs solved."""
        atoms = [a for a in self.pub.figures[f].atoms if not self.zero[a]]
        if not atoms:
            return Interval(0.0, 0.0), [], 0
        comps = frozenset(self.find(a) for a in atoms)
        if comps not in self._systems:
            self._systems[comps] = self._system(comps)
        live, col, eq, a_eq, b_eq, a_ub, b_ub = self._systems[comps]
        c = np.zeros(len(live))
        for a in atoms:
            c[col[a]] = 1.0
        binding: list[int] = []
        ends: list[float] = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded: the reader cannot bound it from above
                ends.append(math.inf if sign < 0 else 0.0)
                continue
            if res.status != 0:
                raise RuntimeError(f"disclosure audit LP failed for {self.pub.figures[f].key!r}: {res.message}")
            ends.append(float(sign * res.fun))
            marg = getattr(res.eqlin, "marginals", None)
            if marg is not None:
                for (_, _, _, fig), m in zip(eq, marg, strict=True):
                    if fig is not None and abs(m) > _EPS:
                        binding.append(fig)
        return Interval(max(0.0, ends[0]), ends[1]), binding, 2


def audit(pub: Publication, hidden: Iterable[int], *, min_width: float = MIN_WIDTH,
          threshold: int = THRESHOLD) -> AuditResult:
    """Every hidden published figure, and every unpublished figure of 1..threshold, must have an interval at
    least `min_width` wide given all the published figures, links and floors together."""
    hidden_set = set(hidden)
    solver = _Solver(pub, hidden_set)
    targets = sorted(hidden_set | {i for i, f in enumerate(pub.figures)
                                   if not f.published and 1 <= pub.value(i) <= threshold})
    intervals: dict[int, Interval] = {}
    failures: list[int] = []
    lps = 0
    for f in targets:
        iv, _, n = solver.interval(f)
        lps += n
        intervals[f] = iv
        if iv.width < min_width - 1e-6:
            failures.append(f)
    return AuditResult(intervals, failures, min_width, lps)


@dataclass
class Suppression:
    hidden: set[int]
    primary: set[int]
    audit: AuditResult

    def why(self, i: int) -> str:
        if i in self.primary:
            return "primary"
        return "secondary" if i in self.hidden else ""


def suppress(pub: Publication, *, threshold: int = THRESHOLD, min_width: float = MIN_WIDTH,
             also_hide: Iterable[int] = ()) -> Suppression:
    """Hide counts 1..threshold, then as much more as the audit needs. Returns what to hide and the final
    audit (which the caller may publish as proof)."""
    primary = {i for i, f in enumerate(pub.figures) if f.published and 1 <= pub.value(i) <= threshold}
    primary |= set(also_hide)
    hidden = set(primary)
    pending = sorted(hidden | {i for i, f in enumerate(pub.figures)
                               if not f.published and 1 <= pub.value(i) <= threshold})
    while pending:
        # solve pending figures until one is too narrow; hide the figure that binds it, rebuild the equations
        # (only then do they change) and go on from there. A figure that passed stays passed.
        solver = _Solver(pub, hidden)
        retry: list[int] = []
        for n, f in enumerate(pending):
            iv, binding, _ = solver.interval(f)
            if iv.width >= min_width - 1e-6:
                continue
            choice = _choose(pub, hidden, binding, f)
            if choice is None:
                continue  # nothing left to hide: the final audit reports it
            hidden.add(choice)
            retry = sorted({f, choice} | set(pending[n + 1:]))
            break
        pending = retry
    result = audit(pub, hidden, min_width=min_width, threshold=threshold)
    return Suppression(hidden, primary, result)


def _choose(pub: Publication, hidden: set[int], binding: list[int], f: int) -> int | None:
    """The published figure to hide next for f: a binding one if the LP named any, else one that shares
    atoms with f's hidden neighbourhood, else any; the smallest count first, finer figures before totals."""

    def candidates(pool: Iterable[int]) -> list[int]:
        return [i for i in pool if i not in hidden and pub.figures[i].published and pub.value(i) > 0]

    def best(pool: list[int]) -> int | None:
        return min(pool, key=lambda i: (pub.value(i), len(pub.figures[i].atoms), i)) if pool else None

    pick = best(candidates(set(binding)))
    if pick is not None:
        return pick
    reach = set(pub.figures[f].atoms)
    for _ in range(4):
        near = candidates(i for i, fig in enumerate(pub.figures) if reach & set(fig.atoms))
        pick = best(near)
        if pick is not None:
            return pick
        for i in hidden:
            if reach & set(pub.figures[i].atoms):
                reach |= set(pub.figures[i].atoms)
    return best(candidates(range(len(pub.figures))))


def table_publication(cells: dict[tuple[int, int], int], n_rows: int, n_cols: int,
                      *, totals: bool = True) -> Publication:
    """A rows x cols table with row, column and grand totals, as a Publication (used by tests and bench)."""
    pub = Publication()
    for r in range(n_rows):
        for c in range(n_cols):
            pub.atom(("cell", r, c), cells.get((r, c), 0))
    for r in range(n_rows):
        for c in range(n_cols):
            pub.figure(("cell", r, c), [pub.atom(("cell", r, c))])
    if totals:
        for r in range(n_rows):
            pub.figure(("row", r), [pub.atom(("cell", r, c)) for c in range(n_cols)])
        for c in range(n_cols):
            pub.figure(("col", c), [pub.atom(("cell", r, c)) for r in range(n_rows)])
        pub.figure(("all",), [pub.atom(("cell", r, c)) for r in range(n_rows) for c in range(n_cols)])
    return pub
