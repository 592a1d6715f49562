"""Errors that carry enough context for a person to fix the input."""

from __future__ import annotations

from dataclasses import dataclass, field


class HandoffError(Exception):
    """Base class: a failure the user can act on; the CLI prints it and exits 2, the API answers 4xx."""

    code = "error"


class NotFound(HandoffError):
    code = "not_found"


class Conflict(HandoffError):
    code = "conflict"


class InvalidInput(HandoffError):
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input row: which field, the value given, and why it was refused."""

    field: str
    value: str
    reason: str


@dataclass(slots=True)
class BatchResult:
    """What a batch of input rows did: counts, and the rows refused with their problems."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, Problem]] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.problems.extend(other.problems)
