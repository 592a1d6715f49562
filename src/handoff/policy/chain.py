"""Which policies govern a place: the ONE function that turns a place into its chain of law.

Why one pure function: `handoff setup` assigns each library policy to the FIPS codes it lists
(`jurisdictions`), a facility's chain is read from those assignments, and a scenario that names
`jurisdiction: <FIPS>` must get exactly what a real jail there gets. Both call `chain_for`; the database
side only supplies its assignment rows, the scenario side the library's own lists (`library_assignments`).

Order: from the nation down (the place path), and within one place by level (federal, state, county,
city), then by id - so a city policy assigned to its county's code (New York City's 9-131 on the five
borough codes) comes after a county policy on the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from handoff.core.places import place_path
from handoff.policy.documents import PolicyDocument

LEVEL_RANK = {"federal": 0, "state": 1, "county": 2, "city": 3}
K = TypeVar("K", bound=Hashable)  # a place: its FIPS code here, its database id in jurisdictions.services


class UnknownPlace(ValueError):
    """A FIPS code that is not in the reference list of places."""

    def __init__(self, fips: str) -> None:
        self.fips = fips
        super().__init__(f"unknown FIPS code {fips!r}: not a state, D.C., territory or county of the Census list")


def chain_for(
    path: Sequence[K],
    assigned: Mapping[K, Iterable[str]],
    level_of: Callable[[str], str | None] | None = None,
) -> list[str]:
    """The policy ids governing the last place of `path` (places from the nation down, e.g. the FIPS codes
    ["us", "06", "06037"]), given which policy ids are assigned to which place."""
    def rank(pid: str) -> tuple[int, str]:
        level = level_of(pid) if level_of is not None else None
        return (LEVEL_RANK.get(level or "", 2), pid)

    ids: list[str] = []
    for fips in path:
        for pid in sorted(set(assigned.get(fips, ())), key=rank):
            if pid not in ids:
                ids.append(pid)
    return ids


def library_assignments(policies: Iterable[PolicyDocument]) -> dict[str, list[str]]:
    """FIPS code -> the ids of the library policies that list it (what `handoff setup` assigns)."""
    out: dict[str, list[str]] = {}
    for doc in policies:
        for fips in doc.jurisdictions:
            out.setdefault(fips, []).append(doc.id)
    return out


def chain_at(fips: str, policies: Mapping[str, PolicyDocument]) -> list[str]:
    """The chain a jail in `fips` gets from this library. Raises UnknownPlace for a code not in the list."""
    path = place_path(fips)
    if path is None:
        raise UnknownPlace(fips)
    return chain_for(path, library_assignments(policies.values()), lambda pid: _level(policies, pid))


def _level(policies: Mapping[str, PolicyDocument], pid: str) -> str | None:
    doc = policies.get(pid)
    return doc.level if doc is not None else None
