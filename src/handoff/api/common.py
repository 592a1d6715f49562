"""What every route shares: the actor, and writes that are audited whether they succeed or fail."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.http import HttpRequest

from handoff.access.actor import Actor
from handoff.access.errors import Forbidden
from handoff.audit import record
from handoff.core.errors import HandoffError, NotFound

T = TypeVar("T")


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):  # pragma: no cover - every route has TokenAuth
        raise Forbidden("not authenticated")
    return actor


def _outcome(exc: HandoffError) -> str:
    if isinstance(exc, Forbidden):
        return "denied"
    if isinstance(exc, NotFound):
        return "not_found"
    return "failure"


def audited(
    actor: Actor,
    action: str,
    object_type: str,
    run: Callable[[], tuple[T, Iterable[int | str], Mapping[str, Any]]],
    *,
    target: Iterable[int | str] = (),
) -> T:
    """Run `run` and its audit entry in one transaction. A refused or failed attempt rolls back and is then
    audited on its own (a failed attempt is an auditable event, too)."""
    try:
        with transaction.atomic():
            result, ids, detail = run()
            record(actor, action, object_type=object_type, object_ids=ids, detail=detail)
            return result
    except HandoffError as exc:
        with transaction.atomic():
            record(actor, action, outcome=_outcome(exc), object_type=object_type, object_ids=list(target),
                   detail={"error": exc.code})
        raise


def source(actor: Actor) -> str:
    return f"api:{actor.who}"[:200]
