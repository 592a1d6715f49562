"""Access errors: the API answers 403, pages answer 403, commands exit 2."""

from __future__ import annotations

from handoff.core.errors import HandoffError


class Forbidden(HandoffError):
    """The actor's role or scope does not allow this. Deliberately vague about why (no existence leaks)."""

    code = "forbidden"


class NotAuthenticated(HandoffError):
    code = "unauthenticated"
