"""The one policy library a process decides with.

Why here and not in the app that decides: setup, the pages that show the law in force, the reports and the
deciding code must all look at the same library; before, requests kept its own copy beside the engine's
cache, and after a swap the two could differ. `load_library` caches per directory; this module holds which
library is *the* one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from handoff.policy.engine import Registry, load_library

_registry: Registry | None = None


def registry() -> Registry:
    """The shipped policy library (or the one `use_registry` set), loaded and compiled once per process."""
    global _registry
    if _registry is None:
        _registry = load_library()
    return _registry


def chain_for_policy(policy_id: str, reg: Registry | None = None) -> list[str]:
    """The chain a policy document is evaluated under when no facility is given (the "try it" page, a
    scenario file without `chain:`): the policies of the places above the ones it names, nation first, as a
    facility there would be governed (jurisdictions.services.policy_chain). A place is above another when
    its FIPS code is a prefix of the other's ("us" is above every place)."""
    reg = reg if reg is not None else registry()
    doc = reg.policies[policy_id]
    places = set(doc.jurisdictions)
    levels = {"federal": 0, "state": 1, "county": 2, "city": 3}
    above = [
        other for other in reg.policies.values()
        if other.id != policy_id and levels.get(other.level, 9) < levels.get(doc.level, 9)
        and any(_covers(theirs, mine) for theirs in other.jurisdictions for mine in places)
    ]
    above.sort(key=lambda d: (levels.get(d.level, 9), d.id))
    return [d.id for d in above] + [policy_id]


def _covers(above: str, place: str) -> bool:
    return above == "us" or (above != place and place.startswith(above))


def use_registry(reg: Registry | None) -> None:
    """Swap the library (tests with a temporary policy library; a reload after policies were updated).
    None forgets it, so the next caller loads the shipped library again."""
    global _registry
    _registry = reg


def setting_in_force(policies: Iterable[str], at: date | datetime, name: str, reg: Registry | None = None) -> Any:
    """The value of the version setting `name` in the most specific of `policies` (chain order, general first;
    entries are "id" or "id@since", as a decision records them) whose version in force at `at` sets it; None
    when none does.

    Why a setting and not an outcome field: some duties of the law are not part of what the jail answers ICE
    (the TRUTH Act copy of the request, the fields a jail may not collect, the interview consent form). They are
    law all the same, so they live in the policy file with their citation, and the app that performs the duty
    asks here rather than hard-coding a state."""
    reg = reg if reg is not None else registry()
    found: Any = None
    for entry in policies:
        pid = str(entry).partition("@")[0]
        doc = reg.policies.get(pid)
        if doc is None:
            continue
        version = doc.version_at(at)
        if version is None:
            continue
        value = version.settings.get(name)
        if value not in (None, "", [], {}):
            found = value
    return found
