"""The shape every ingest handler follows (custody's own, and the requests app's).

Why a protocol and not a base class: the requests app implements handlers for its own records without
importing custody internals; the runner only needs these four members. See /work/notes/ingest-contract.md.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Row:
    """One input record after the column mapping: our field names, values as read (str for CSV)."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    value: str
    reason: str


@dataclass(slots=True)
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, Problem]] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.problems.extend(other.problems)


@runtime_checkable
class Handler(Protocol):
    kind: str
    known_fields: frozenset[str]

    def validate(self, row: Row) -> Any:
        """A cleaned record, or a non-empty list[Problem]. Must not write."""
        ...

    def key(self, cleaned: Any) -> Hashable | None:
        """Identity inside one file; a repeat is rejected as a duplicate. None: no check."""
        ...

    def apply_batch(self, items: list[tuple[Row, Any]]) -> BatchResult:
        """Write validated rows; runs inside the runner's transaction.atomic()."""
        ...
