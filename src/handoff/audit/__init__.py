"""The audit log. `from handoff.audit import record` appends an entry (see audit.services.record)."""

from __future__ import annotations

from typing import Any


def record(*args: Any, **kwargs: Any) -> Any:
    """Append one audit entry inside the caller's transaction (lazy import: apps load before models)."""
    from handoff.audit.services import record as _record

    return _record(*args, **kwargs)
