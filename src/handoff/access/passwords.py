"""The published demo password, and what keeps it off a real installation (security review L10).

Why here and not in ops.demo: the log-on view and the password validators sit in access, below the
composition root; ops.demo imports the constant from here.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

DEMO_PASSWORD = "handoff-demo-only-2026"
#: the accounts `serve --demo` creates in debug mode
DEMO_ACCOUNT_NAMES = ("clerk", "supervisor", "officer", "counsel", "auditor", "admin")


def is_demo_password(password: str) -> bool:
    return hmac.compare_digest(password.encode("utf-8", "replace"), DEMO_PASSWORD.encode())


def demo_password_refused(password: str) -> bool:
    """True when this password must not log anyone on: the published demo password outside debug mode."""
    return not settings.DEBUG and is_demo_password(password)


class DemoPasswordValidator:
    """Refuses the published demo password for any account outside debug mode (AUTH_PASSWORD_VALIDATORS)."""

    def validate(self, password: str, user: Any = None) -> None:
        if demo_password_refused(password):
            raise ValidationError("This password is published with Handoff's demo and cannot be used.",
                                  code="password_demo")

    def get_help_text(self) -> str:
        return "Your password cannot be the published demo password."
