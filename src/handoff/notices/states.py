"""The notice's states and the moves between them: the one place a notice's status changes.

    pending_review -> scheduled (a supervisor confirmed) / cancelled (declined)
    scheduled -> sending -> sent -> acknowledged
         \\          \\        (letters: scheduled -> sent when handed over)
          +-> failed <-+     failed -> sending / sent (a retry went through) / cancelled
          +-> cancelled      (anything not yet delivered can be cancelled)

Why a table: DESIGN describes the lifecycle in prose, and the status used to be set in eight places and in
a SQL string, so nothing stopped an illegal move (e.g. a cancelled notice becoming sent). Every change goes
through `move` (an object in hand), `update` (a queryset, compare-and-set on the allowed source states) or
`sql_case` (the worker's raw UPDATE, generated from the same table). A test walks the code and fails when
anything else sets a notice's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handoff.core.vocab import NOTICE_STATUSES

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from handoff.notices.models import Notice

SCHEDULED, SENDING, SENT, ACKNOWLEDGED, CANCELLED, FAILED, PENDING_REVIEW = (
    "scheduled", "sending", "sent", "acknowledged", "cancelled", "failed", "pending_review",
)
#: the states a notice may be created in (a missed notice is recorded already cancelled)
INITIAL = frozenset({SCHEDULED, CANCELLED, PENDING_REVIEW})
#: from -> the states it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({SENDING, SENT, FAILED, CANCELLED, ACKNOWLEDGED, PENDING_REVIEW}),
    SENDING: frozenset({SCHEDULED, SENT, FAILED, CANCELLED, ACKNOWLEDGED, PENDING_REVIEW}),
    # a decision awaiting review: the notice waits in the outbox; a supervisor's answer releases or cancels it
    PENDING_REVIEW: frozenset({SCHEDULED, CANCELLED}),
    FAILED: frozenset({SCHEDULED, SENDING, SENT, CANCELLED, ACKNOWLEDGED}),
    SENT: frozenset({ACKNOWLEDGED}),
    ACKNOWLEDGED: frozenset(),
    CANCELLED: frozenset(),
}
if set(TRANSITIONS) != set(NOTICE_STATUSES):  # the table must cover every status vocab allows
    raise ImportError("notices.states.TRANSITIONS does not match core.vocab.NOTICE_STATUSES")


class IllegalTransition(ValueError):
    """A notice asked to move where the table does not allow: a bug in the caller, never bad input."""


def allowed(old: str, new: str) -> bool:
    return new in TRANSITIONS[old]


def sources(new: str) -> tuple[str, ...]:
    """Every state a notice may move to `new` from, in table order."""
    return tuple(old for old, targets in TRANSITIONS.items() if new in targets)


def initial(status: str) -> str:
    """The status a new notice is created with (checked)."""
    if status not in INITIAL:
        raise IllegalTransition(f"a notice cannot start as {status!r}")
    return status


def move(notice: Notice, new: str) -> bool:
    """Set `notice.status` (not saved: the caller saves it with its other fields). False when it already
    is `new`; IllegalTransition when the table forbids the move."""
    old = str(notice.status)
    if old == new:
        return False
    if not allowed(old, new):
        raise IllegalTransition(f"notice {notice.uid}: {old} -> {new} is not allowed")
    notice.status = new
    return True


def update(qs: QuerySet[Notice], new: str, *, only_from: tuple[str, ...] | None = None, **fields: Any) -> int:
    """Move every notice of `qs` that may move to `new` (and, if given, is in one of `only_from`), setting
    `fields` too. Compare-and-set: a notice that another process moved meanwhile is left alone."""
    froms = [s for s in sources(new) if only_from is None or s in only_from]
    return qs.filter(status__in=froms).update(status=new, **fields)


def sql_case(column: str, new: str) -> str:
    """`CASE WHEN <column> IN (<sources of new>) THEN '<new>' ELSE <column> END`, for raw SQL that moves
    notices to `new` (the worker's batched UPDATE)."""
    froms = ", ".join(f"'{s}'" for s in sources(new) if s != new)
    return f"CASE WHEN {column} IN ({froms}) THEN '{new}' ELSE {column} END"
