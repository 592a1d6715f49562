"""Errors that carry enough context for a person to fix the input."""

from __future__ import annotations


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
