"""The national view of the law (issue 10 item 5): each state's stance on a date, a tile map of them, the local
policies in force, the number of places by stance over time, and the most recent changes.

Why here and from `policy.history.changes`: the "recent changes" list, the trend and the transparency page's
"days since the last policy change" read one answer from the same documents, so they cannot disagree.

Confidentiality (security finding M1): a local policy of a place whose cooperation is confidential (`hidden`)
is never drawn, listed or named here. It is counted in the per-year totals only when at least
`POOL_MINIMUM` such places exist (as /transparency pools them); otherwise it is left out of every figure.
The view never maps a label to a place: hidden places get no label at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from handoff.core.places import places
from handoff.policy.documents import PolicyDocument
from handoff.policy.history import Change, changes

STANCES = ("prohibition", "limit", "neutral", "mandate", "none")
STANCE_LABELS = {
    "prohibition": "Prohibits holds",
    "limit": "Limits cooperation",
    "neutral": "No law either way",
    "mandate": "Requires cooperation",
    "none": "No policy on file",
}
STANCE_LETTERS = {"prohibition": "P", "limit": "L", "neutral": "N", "mandate": "M", "none": "—"}
POOL_MINIMUM = 3
FIRST_YEAR = 2010
RECENT = 15
# A tile grid of the 50 states and D.C.: (column, row), one square each (no map data vendored).
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (10, 0),
    "VT": (9, 1), "NH": (10, 1),
    "WA": (0, 2), "ID": (1, 2), "MT": (2, 2), "ND": (3, 2), "MN": (4, 2), "IL": (5, 2), "WI": (6, 2), "MI": (7, 2),
    "NY": (8, 2), "RI": (9, 2), "MA": (10, 2),
    "OR": (0, 3), "NV": (1, 3), "WY": (2, 3), "SD": (3, 3), "IA": (4, 3), "IN": (5, 3), "OH": (6, 3), "PA": (7, 3),
    "NJ": (8, 3), "CT": (9, 3),
    "CA": (0, 4), "UT": (1, 4), "CO": (2, 4), "NE": (3, 4), "MO": (4, 4), "KY": (5, 4), "WV": (6, 4), "VA": (7, 4),
    "MD": (8, 4), "DE": (9, 4),
    "AZ": (1, 5), "NM": (2, 5), "KS": (3, 5), "AR": (4, 5), "TN": (5, 5), "NC": (6, 5), "SC": (7, 5), "DC": (8, 5),
    "OK": (3, 6), "LA": (4, 6), "MS": (5, 6), "AL": (6, 6), "GA": (7, 6),
    "HI": (0, 7), "TX": (3, 7), "FL": (8, 7),
}
TILE = 44  # px per grid step in the SVG's own units


@dataclass(frozen=True)
class StateRow:
    fips: str
    postal: str
    name: str
    stance: str
    policy: str | None
    since: date | None
    x: int
    y: int

    @property
    def label(self) -> str:
        return STANCE_LABELS[self.stance]

    @property
    def letter(self) -> str:
        return STANCE_LETTERS[self.stance]


@dataclass(frozen=True)
class LocalRow:
    policy: str
    title: str
    stance: str
    since: date

    @property
    def label(self) -> str:
        return STANCE_LABELS[self.stance]


@dataclass
class NationalView:
    as_of: date
    states: list[StateRow]
    local: list[LocalRow]
    counts: dict[str, int]  # states and D.C. by stance on as_of
    trend: list[tuple[str, dict[str, int]]]  # (label, places by stance)
    recent: list[Change]
    pooled: int  # confidential local policies counted in the trend (0: left out)
    left_out: bool  # confidential local policies exist but too few to pool
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # (stance, letter, label)
    # (day, how many states' first version starts that day): where the library starts for most states, so a
    # reader does not take the "No policy on file" before it for a change of law
    common_start: tuple[date, int] | None = None

    @property
    def width(self) -> int:
        return 11 * TILE

    @property
    def height(self) -> int:
        return 8 * TILE


def _stance(doc: PolicyDocument, day: date) -> tuple[str, date | None]:
    v = doc.version_at(day)
    if v is None:
        return "none", None
    return (v.stance or "neutral"), v.effective_from


def _count_places(states: Sequence[PolicyDocument | None], local: Iterable[PolicyDocument], day: date) -> dict[str, int]:
    out = dict.fromkeys(STANCES, 0)
    for doc in states:
        out[_stance(doc, day)[0] if doc is not None else "none"] += 1
    for doc in local:
        stance, _ = _stance(doc, day)
        if stance != "none":  # a local policy not yet (or no longer) in force is not a place with a policy
            out[stance] += 1
    return out


def _split_local(docs: Sequence[PolicyDocument], hidden: frozenset[str]) -> tuple[list[PolicyDocument], list[PolicyDocument], list[PolicyDocument]]:
    """(visible local policies, confidential ones pooled into totals, all confidential ones)."""
    local_all = [d for d in docs if d.level in ("county", "city")]
    visible = [d for d in local_all if d.id not in hidden]
    secret = [d for d in local_all if d.id in hidden]
    return visible, (secret if len(secret) >= POOL_MINIMUM else []), secret


def _state_docs(docs: Sequence[PolicyDocument]) -> list[PolicyDocument | None]:
    """The state-level policy of each of the 50 states and D.C., by postal code (None: none on file)."""
    by_fips = {f: d for d in docs if d.level == "state" for f in d.jurisdictions}
    return [by_fips.get(p.fips) for p in sorted((p for p in places().values() if p.kind == "state" and p.postal in TILES),
                                                key=lambda p: p.postal)]


@dataclass(frozen=True)
class StanceTally:
    """Places by stance on `as_of` and one year earlier: the 50 states and D.C. (a state without a version in
    force counts as "none") plus every local policy in force (confidential ones only when pooled)."""

    as_of: date
    year_ago: date
    now: dict[str, int]
    then: dict[str, int]
    pooled: int
    left_out: bool

    def rows(self) -> list[tuple[str, str, int, int, str]]:
        """(stance, label, places now, places a year earlier, the change in words: "+2", "-1", "no change"),
        in STANCES order."""
        return [(s, STANCE_LABELS[s], self.now[s], self.then[s], _signed(self.now[s] - self.then[s])) for s in STANCES]

    @property
    def changes(self) -> dict[str, str]:
        """stance -> the change in words since a year earlier."""
        return {s: _signed(self.now[s] - self.then[s]) for s in STANCES}

    @property
    def total(self) -> int:
        return sum(self.now.values())


def _signed(n: int) -> str:
    return "no change" if n == 0 else f"{n:+d}"


def places_by_stance(docs: Iterable[PolicyDocument], hidden: frozenset[str], as_of: date) -> StanceTally:
    """The transparency page's "places by stance" counter: the same count the national view's trend draws,
    on `as_of` and on the same day a year before (29 February falls back to 28 February)."""
    docs = list(docs)
    visible, pooled, secret = _split_local(docs, hidden)
    states = _state_docs(docs)
    try:
        year_ago = as_of.replace(year=as_of.year - 1)
    except ValueError:
        year_ago = as_of.replace(year=as_of.year - 1, day=28)
    return StanceTally(
        as_of=as_of, year_ago=year_ago,
        now=_count_places(states, [*visible, *pooled], as_of),
        then=_count_places(states, [*visible, *pooled], year_ago),
        pooled=len(pooled), left_out=bool(secret) and not pooled,
    )


def national_view(docs: Iterable[PolicyDocument], hidden: frozenset[str], as_of: date) -> NationalView:
    """`docs`: the library; `hidden`: ids of local policies of confidential places the reader may not see."""
    docs = list(docs)
    state_docs = {f: d for d in docs if d.level == "state" for f in d.jurisdictions}
    states: list[StateRow] = []
    per_state: list[PolicyDocument | None] = []
    for p in sorted((p for p in places().values() if p.kind == "state" and p.postal in TILES), key=lambda p: p.postal):
        doc = state_docs.get(p.fips)
        stance, since = _stance(doc, as_of) if doc is not None else ("none", None)
        x, y = TILES[p.postal]
        states.append(StateRow(p.fips, p.postal, p.name, stance, doc.id if doc else None, since, x * TILE, y * TILE))
        per_state.append(doc)
    visible, pooled, secret = _split_local(docs, hidden)
    local_rows = []
    for d in sorted(visible, key=lambda d: d.title):
        stance, since = _stance(d, as_of)
        if since is not None:
            local_rows.append(LocalRow(d.id, d.title, stance, since))
    years = [date(y, 1, 1) for y in range(FIRST_YEAR, as_of.year + 1) if date(y, 1, 1) <= as_of]
    trend = [(str(day.year), _count_places(per_state, [*visible, *pooled], day)) for day in years]
    trend.append((f"As of {as_of.isoformat()}", _count_places(per_state, [*visible, *pooled], as_of)))
    shown = [d for d in docs if d.id not in hidden]
    recent = sorted((c for c in changes(shown) if c.date <= as_of), key=lambda c: (c.date, c.policy), reverse=True)
    counts = dict.fromkeys(STANCES, 0)
    for s in states:
        counts[s.stance] += 1
    firsts = Counter(min(v.effective_from for v in d.versions) for d in per_state if d is not None and d.versions)
    common = firsts.most_common(1)[0] if firsts else None
    return NationalView(
        common_start=common,
        as_of=as_of, states=states, local=local_rows, counts=counts, trend=trend, recent=recent[:RECENT],
        pooled=len(pooled), left_out=bool(secret) and not pooled,
        legend=[(s, STANCE_LETTERS[s], STANCE_LABELS[s]) for s in STANCES],
    )


def last_change(docs: Iterable[PolicyDocument], ids: Iterable[str], today: date) -> Change | None:
    """The latest change, up to today, of the policies `ids` (the transparency counters use it). On a day two
    of them changed, the one named first in `ids` (the chain's order: the state before its county) wins."""
    order = {pid: i for i, pid in enumerate(dict.fromkeys(ids))}
    found = [c for c in changes([d for d in docs if d.id in order]) if c.date <= today]
    return max(found, key=lambda c: (c.date, -order[c.policy]), default=None)
