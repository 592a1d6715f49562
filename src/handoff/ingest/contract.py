"""The shape every ingest handler follows (custody's records and the federal requests alike).

Why a protocol and not a base class: the runner only needs these four members, and a handler for a new kind
of record is a small class beside the others. `Problem` and `BatchResult` live in core.errors because the
services that validate and write batches (custody) sit below ingest and return them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from handoff.core.errors import BatchResult, Problem

__all__ = ["BatchResult", "Handler", "Problem", "Row"]


@dataclass(frozen=True, slots=True)
class Row:
    """One input record after the column mapping: our field names, values as read (str for CSV)."""

    number: int
    values: dict[str, Any]


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
