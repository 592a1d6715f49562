"""The reference list of places: the nation, every state, D.C. and territory, and every county (U.S. Census
FIPS codes, `data/SOURCE.md`).

Why it lives in `core` and is pure: the jurisdictions app loads it into the database, and the policy engine
needs the same list without a database - to know which chain of law a FIPS code gets (`policy.chain`) and to
refuse a scenario that names a place that does not exist.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
NATION_FIPS = "us"


@dataclass(frozen=True, slots=True)
class Place:
    fips: str
    name: str
    kind: str  # nation | state | county
    postal: str
    parent: str | None


@functools.cache
def places(data_dir: Path = DATA_DIR) -> dict[str, Place]:
    """Every known place by FIPS code (first name wins where the list repeats a code)."""
    out: dict[str, Place] = {NATION_FIPS: Place(NATION_FIPS, "United States", "nation", "", None)}
    with (data_dir / "states.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            fips = row["fips"].strip().zfill(2)
            out.setdefault(fips, Place(fips, row["name"].strip(), "state", row["postal"].strip(), NATION_FIPS))
    with (data_dir / "counties_2020.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            state = row["statefp"].strip().zfill(2)
            fips = state + row["countyfp"].strip().zfill(3)
            if state in out and fips not in out:
                out[fips] = Place(fips, row["name"].strip(), "county", out[state].postal, state)
    return out


def place_path(fips: str, data_dir: Path = DATA_DIR) -> tuple[str, ...] | None:
    """("us", state, county) down to `fips`, or None when the code is not a known place."""
    known = places(data_dir)
    node = known.get(fips.strip())
    if node is None:
        return None
    path = [node.fips]
    while node.parent is not None:
        node = known[node.parent]
        path.append(node.fips)
    return tuple(reversed(path))
