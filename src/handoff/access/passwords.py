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


#: keyboard rows (also run together, as people type them) and the alphabet and digits, both directions
_SEQUENCES = ("qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz", "01234567890", "azertyuiopqsdfghjklmwxcvbn",
              "qwertzuiopasdfghjklyxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
#: shorter than this, a password needs letters, digits and another kind of character (a passphrase does not)
PASSPHRASE_LENGTH = 16
_PUBLISHED = ("correcthorse", "trustno", "letmein", "iloveyou", "handoff")


def _strip_runs(text: str) -> str:
    """`text` without its runs of 4+ characters that follow a keyboard row, the alphabet or the digits."""
    kept, i = [], 0
    while i < len(text):
        best = 1
        for seq in _SEQUENCES:
            for s in (seq, seq[::-1]):
                j = i
                while j < len(text) and text[i:j + 1] in s:
                    j += 1
                best = max(best, j - i)
        if best >= 4:
            i += best
        else:
            kept.append(text[i])
            i += 1
    return "".join(kept)


def password_weakness(password: str, username: str = "") -> str:
    """Why `password` is too easy to guess, or "" (security review L2: `aaaaaaaaaaaa`, `lock3lock3lock3` for
    user lock3, `qwertyuiopas`, twelve spaces, `Summer2026!!` and `correcthorse1` were all accepted).

    Why these rules and not a score: each refuses a pattern guessing tools try first: too few distinct
    characters, a repeated chunk, the account name, keyboard or alphabet runs, a common password or published
    phrase dressed with digits and punctuation, and (below 16 characters) a single kind of character."""
    text = password.lower()
    if len(set(text.replace(" ", ""))) < 6:
        return "it uses too few different characters"
    if text in (text + text)[1:-1]:
        return "it repeats a shorter password"
    name = username.lower().strip()
    if len(name) >= 3 and name in text:
        return "it contains the account name"
    if len(_strip_runs(text)) < 8:
        return "it is mostly a run of keys, letters or digits in order"
    core = "".join(ch for ch in text if ch.isalpha())
    if core in _common_passwords() or any(core.startswith(p) and len(core) <= len(p) + 4 for p in _PUBLISHED):
        return "it is a common password with digits or punctuation added"
    kinds = sum((any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if len(password) < PASSPHRASE_LENGTH and kinds < 3:
        return (f"shorter than {PASSPHRASE_LENGTH} characters, it needs letters, digits and another character "
                "(or use a longer passphrase)")
    return ""


def _common_passwords() -> frozenset[str]:
    global _COMMON
    if _COMMON is None:
        from django.contrib.auth.password_validation import CommonPasswordValidator

        _COMMON = frozenset(CommonPasswordValidator().passwords)
    return _COMMON


_COMMON: frozenset[str] | None = None


class GuessablePasswordValidator:
    """Refuses passwords that guessing tools try early (see `password_weakness`); AUTH_PASSWORD_VALIDATORS."""

    def validate(self, password: str, user: Any = None) -> None:
        problem = password_weakness(password, getattr(user, "username", "") or "")
        if problem:
            raise ValidationError(f"This password is too easy to guess: {problem}.", code="password_guessable")

    def get_help_text(self) -> str:
        return ("Your password cannot be mostly one character, a repeated word, your account name, a run of keys "
                f"or a common password with digits added; under {PASSPHRASE_LENGTH} characters it needs letters, "
                "digits and another character.")
