"""The one policy library a process decides with.

Why here and not in the app that decides: setup, the pages that show the law in force, the reports and the
deciding code must all look at the same library; before, requests kept its own copy beside the engine's
cache, and after a swap the two could differ. `load_library` caches per directory; this module holds which
library is *the* one.
"""

from __future__ import annotations

from handoff.policy.engine import Registry, load_library

_registry: Registry | None = None


def registry() -> Registry:
    """The shipped policy library (or the one `use_registry` set), loaded and compiled once per process."""
    global _registry
    if _registry is None:
        _registry = load_library()
    return _registry


def use_registry(reg: Registry | None) -> None:
    """Swap the library (tests with a temporary policy library; a reload after policies were updated).
    None forgets it, so the next caller loads the shipped library again."""
    global _registry
    _registry = reg
