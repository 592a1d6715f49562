"""One settings module for every environment, read from HANDOFF_* environment variables.

Why environment variables: the same build runs on a county's single server (SQLite) and on a state's
PostgreSQL cluster; only the environment differs. Outside debug mode we refuse to start without a real
secret key, because a default key would let anyone forge sessions and one-click acknowledgement links.

Why every variable is read here and only here: one place holds each variable's type and default, a bad
value stops start-up naming the variable (not a ValueError deep in the worker), and the README's
"Configuration" table can be checked against `VARIABLES` (tests/house/test_settings_table.py). The rest
of the code reads `django.conf.settings`, never `os.environ`.
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

#: every HANDOFF_* variable read below: name -> (type, default as the README states it)
VARIABLES: dict[str, tuple[str, str]] = {}


def _raw(name: str, kind: str, default: object) -> str | None:
    VARIABLES[name] = (kind, "none" if default in (None, "") else str(default))
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _text(name: str, default: str = "") -> str:
    value = _raw(name, "text", default)
    return default if value is None else value


def _flag(name: str, default: bool = False) -> bool:
    value = _raw(name, "flag", "1" if default else "0")
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {value!r}")


def _number(name: str, default: float) -> float:
    value = _raw(name, "number", f"{default:g}")
    try:
        return default if value is None else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def _integer(name: str, default: int) -> int:
    value = _raw(name, "integer", default)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


BASE_DIR = Path(__file__).resolve().parent
WORK_DIR = Path(_text("HANDOFF_HOME", "") or os.getcwd()).resolve()
VARIABLES["HANDOFF_HOME"] = ("path", "the current directory")
VAR_DIR = WORK_DIR / "var"

DEBUG = _flag("HANDOFF_DEBUG")
# Why also pytest: a bare `pytest` run (no Makefile) must not need a production key; no server imports pytest.
#: running under pytest itself (not merely HANDOFF_TESTING in the environment)
UNDER_PYTEST = "pytest" in sys.modules
TESTING = _flag("HANDOFF_TESTING") or UNDER_PYTEST

DEBUG_ONLY_KEY = "handoff-debug-only-key-not-for-production-use-0123456789abcdef"
_INSECURE_KEYS = {"", "change-me", "changeme", "secret", "django-insecure", "password", "x"}
#: at least this many characters outside debug mode (Django's own W009 threshold)
MIN_SECRET_KEY_LENGTH = 50


def secret_key_weakness(key: str) -> str:
    """Why `key` may not sign sessions, acknowledgement links and confidential labels, or "" when it may.
    Why more than a deny-list (security review M13): the key also keys the C-xxxx label HMAC, so a guessable
    key maps every confidential label to its county and forges one-click acknowledgements. Needs 50+
    characters, 12+ distinct ones, at least 3 bits of Shannon entropy per character and 200 in all, and no
    repetition of a shorter string; the key printed in this file is refused whatever its shape."""
    text = key.strip()
    if text.lower() in _INSECURE_KEYS or text.lower().startswith("django-insecure") or DEBUG_ONLY_KEY in text:
        return "a known default"
    if len(text) < MIN_SECRET_KEY_LENGTH:
        return f"shorter than {MIN_SECRET_KEY_LENGTH} characters"
    counts = Counter(text)
    per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    if len(counts) < 12 or per_char < 3.0 or per_char * len(text) < 200 or text in (text + text)[1:-1]:
        return "too predictable (too few distinct characters, or a repeated pattern)"
    return ""


SECRET_KEY = _text("HANDOFF_SECRET_KEY")
VARIABLES["HANDOFF_SECRET_KEY"] = ("text", "none (required unless HANDOFF_DEBUG=1)")
_weakness = secret_key_weakness(SECRET_KEY)
#: True when the public debug key signs everything: `serve` refuses to start outside debug mode with it
USING_DEBUG_KEY = bool(_weakness)
if _weakness:
    if DEBUG or TESTING:
        SECRET_KEY = DEBUG_ONLY_KEY
    else:
        raise ImproperlyConfigured(
            f"HANDOFF_SECRET_KEY is missing or {_weakness}. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set HANDOFF_DEBUG=1 "
            "for local development."
        )
#: keys the people-search labels (access/scoping.py); a separate key lets it rotate without the session key
HANDOFF_LABEL_KEY = _text("HANDOFF_LABEL_KEY")
VARIABLES["HANDOFF_LABEL_KEY"] = ("text", "the secret key")

ALLOWED_HOSTS = [
    h.strip()
    for h in _text("HANDOFF_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "").split(",")
    if h.strip()
]
VARIABLES["HANDOFF_ALLOWED_HOSTS"] = ("text", "none (127.0.0.1,localhost in debug mode)")
if DEBUG or TESTING:
    ALLOWED_HOSTS += ["testserver", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "ninja",
    "handoff.core",
    "handoff.jurisdictions",
    "handoff.custody",
    "handoff.policy",
    "handoff.requests",
    "handoff.notices",
    "handoff.access",
    "handoff.audit",
    "handoff.api",
    "handoff.web",
    "handoff.reports",
    "handoff.casework",
    "handoff.ingest",
    "handoff.ops",
    "handoff.linkage",
    "handoff.evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "handoff.api.middleware.ApiErrorMiddleware",  # every non-2xx answer under /api/v1/ as JSON {"error", "detail"}
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "handoff.access.middleware.SessionTimeoutMiddleware",
    "handoff.access.middleware.PermissionMiddleware",
    "handoff.web.ambiguous.AmbiguousRequestMiddleware",  # one id seen on two requests: choose (review M8)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # a page during a database lock timeout: 503 with Retry-After, not a 500 (review M11, pages)
    "handoff.web.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "handoff.urls"
WSGI_APPLICATION = "handoff.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


#: tests only: a fixed file for the SQLite test database (the test processes share it); default in memory
TEST_SQLITE_NAME = _text("HANDOFF_TEST_SQLITE_NAME")


def _database(url: str) -> dict[str, Any]:
    """SQLite gets the pragmas that make it safe for several worker processes: WAL so readers never
    block the writer, FULL sync so an acknowledged write survives power loss, a busy timeout so a
    briefly locked database waits instead of failing, and IMMEDIATE transactions so a claim takes the
    write lock up front (no upgrade deadlocks)."""
    if url.startswith("sqlite"):
        parsed = urlparse(url)
        # sqlite:///relative/path or sqlite:////absolute/path, as dj-database-url and SQLAlchemy spell them
        path = "/" + parsed.path.lstrip("/") if url.startswith("sqlite:////") else parsed.path.lstrip("/")
        name: str | Path = path if path and path != "/" else VAR_DIR / "handoff.sqlite3"
        if name != ":memory:" and not Path(name).is_absolute():
            name = WORK_DIR / name
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": TEST_SQLITE_NAME or None},
        }
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"HANDOFF_DATABASE_URL is not a database URL Handoff can use ({exc}); "
                                   "write sqlite:///path or postgresql://user@host:port/name") from None
    query = parse_qs(urlparse(url).query)
    if "test_name" in query:
        config["TEST"] = {"NAME": query["test_name"][0]}
    return config


DATABASE_URL = _text("HANDOFF_DATABASE_URL")
VARIABLES["HANDOFF_DATABASE_URL"] = ("URL", "sqlite:///var/handoff.sqlite3")
DATABASES = {"default": _database(DATABASE_URL or "sqlite:///" + str(VAR_DIR / "handoff.sqlite3"))}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # the published demo password, refused outside debug mode (security review L10)
    {"NAME": "handoff.access.passwords.DemoPasswordValidator"},
    # repeated characters, the account name, keyboard runs, dressed-up common passwords (security review L2)
    {"NAME": "handoff.access.passwords.GuessablePasswordValidator"},
]
LOGIN_URL = "/login/"

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [p for p in [BASE_DIR / "web" / "static", WORK_DIR / "node_modules" / "@uswds" / "uswds" / "dist"] if p.exists()]
# htmx from npm, served under /static/htmx/ like USWDS: never a committed copy.
if (WORK_DIR / "node_modules" / "htmx.org" / "dist").exists():
    STATICFILES_DIRS.append(("htmx", WORK_DIR / "node_modules" / "htmx.org" / "dist"))  # type: ignore[arg-type]

# CJIS-style log-on controls: 5 failures in 15 minutes lock the account *from that address* (security review
# L1: a lock by name alone let anyone lock out an on-call officer from anywhere, for good). The lock ends by
# itself after HANDOFF_LOCKOUT_MINUTES, or when an admin unlocks it (`handoff user unlock NAME`, or "Unlock
# log-on" on the account in /admin/).
AXES_FAILURE_LIMIT = 5
HANDOFF_LOCKOUT_MINUTES = _integer("HANDOFF_LOCKOUT_MINUTES", 30)
AXES_COOLOFF_TIME = timedelta(minutes=HANDOFF_LOCKOUT_MINUTES) if HANDOFF_LOCKOUT_MINUTES > 0 else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# axes has no failure window of its own; this handler counts only the last 15 minutes (access/axes_handler.py)
AXES_HANDLER = "handoff.access.axes_handler.WindowedAxesHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "handoff.access.views.lockout_response"
HANDOFF_LOCKOUT_WINDOW_MINUTES = _integer("HANDOFF_LOCKOUT_WINDOW_MINUTES", 15)
SILENCED_SYSTEM_CHECKS: list[str] = []
HANDOFF_INACTIVE_DAYS = _integer("HANDOFF_INACTIVE_DAYS", 90)
HANDOFF_LOGON_BANNER = _text("HANDOFF_LOGON_BANNER")
VARIABLES["HANDOFF_LOGON_BANNER"] = ("text", "the CJIS-style warning in access/views.py")
OTP_TOTP_ISSUER = "Handoff"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind a TLS-terminating proxy (security review M12): the proxy's address as `serve` sees it (e.g. 127.0.0.1),
# or "*" for any (only when nothing else can reach the port). `serve` hands it to waitress, which then takes
# scheme, client address and host from that peer's X-Forwarded-Proto/-For/-Host/-Port (and drops them from
# anyone else), so HTTPS redirect, HSTS and CSRF see the browser's https:// origin.
HANDOFF_TRUSTED_PROXY = _text("HANDOFF_TRUSTED_PROXY")
# extra origins a form may be posted from; HANDOFF_BASE_URL's origin is added below when it is https
HANDOFF_CSRF_TRUSTED_ORIGINS = _text("HANDOFF_CSRF_TRUSTED_ORIGINS")

_SSL_REDIRECT = _flag("HANDOFF_SSL_REDIRECT", True)
# Why only DEBUG (or pytest itself) turns these off, never HANDOFF_TESTING from the environment: a switch
# meant for tests must not weaken a production start (security review M13).
if not DEBUG and not UNDER_PYTEST:
    SECURE_SSL_REDIRECT = _SSL_REDIRECT
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if HANDOFF_TRUSTED_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}


def _email(url: str) -> dict[str, Any]:
    """Notices carry personal data, so SMTP is encrypted by default (security review L7): `smtp://` and
    `submission://` use STARTTLS (the server must offer it, or sending fails), `smtps://` implicit TLS. Only
    `?starttls=off` on `smtp://` sends in clear, for a relay on the same machine."""
    if not url:
        if DEBUG:
            return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_USE_TLS": True,
                "EMAIL_TIMEOUT": 10}
    parsed = urlparse(url)
    if parsed.scheme in {"console", "locmem", "dummy"}:
        return {"EMAIL_BACKEND": f"django.core.mail.backends.{parsed.scheme}.EmailBackend"}
    if parsed.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured(f"HANDOFF_EMAIL_URL: unsupported scheme {parsed.scheme!r}")
    starttls = parse_qs(parsed.query).get("starttls", ["on"])[-1].strip().lower()
    if starttls not in {"on", "off"}:
        raise ImproperlyConfigured("HANDOFF_EMAIL_URL: starttls must be on or off")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "127.0.0.1",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 587 if parsed.scheme == "submission" else 25),
        "EMAIL_HOST_USER": parsed.username or "",
        "EMAIL_HOST_PASSWORD": parsed.password or "",
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": parsed.scheme == "submission" or (parsed.scheme == "smtp" and starttls == "on"),
        "EMAIL_TIMEOUT": 10,
    }


EMAIL_URL = _text("HANDOFF_EMAIL_URL")
VARIABLES["HANDOFF_EMAIL_URL"] = ("URL", "none (console in debug mode, else SMTP with STARTTLS on localhost:25)")
globals().update(_email(EMAIL_URL))
DEFAULT_FROM_EMAIL = _text("HANDOFF_FROM_EMAIL", "handoff@localhost")
# Links in e-mails (acknowledge, review) start here. Why required outside debug mode: a default pointed the
# acknowledgement link at 127.0.0.1:8000 on a server reached by another name (users review).
HANDOFF_BASE_URL = _text("HANDOFF_BASE_URL").rstrip("/")
BASE_URL_GIVEN = bool(HANDOFF_BASE_URL)  # else `handoff serve` in debug mode links to its own --host/--port
VARIABLES["HANDOFF_BASE_URL"] = ("URL", "none (required unless HANDOFF_DEBUG=1; http://127.0.0.1:8000 in debug mode)")
if not HANDOFF_BASE_URL:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "HANDOFF_BASE_URL is not set: set it to the address people reach Handoff at, e.g. "
            "https://handoff.county.example (links in e-mails start with it), or set HANDOFF_DEBUG=1.")
    HANDOFF_BASE_URL = "http://127.0.0.1:8000"
if urlparse(HANDOFF_BASE_URL).scheme not in {"http", "https"} or not urlparse(HANDOFF_BASE_URL).hostname:
    raise ImproperlyConfigured(f"HANDOFF_BASE_URL must be an http(s) address such as https://handoff.county.example, "
                               f"not {HANDOFF_BASE_URL!r}")
CSRF_TRUSTED_ORIGINS = [o.strip().rstrip("/") for o in HANDOFF_CSRF_TRUSTED_ORIGINS.split(",") if o.strip()]
if HANDOFF_BASE_URL.startswith("https://"):
    CSRF_TRUSTED_ORIGINS.append(f"https://{urlparse(HANDOFF_BASE_URL).netloc}")

# Notice delivery: see notices/conf.py for why each default is what it is.
HANDOFF_ESCALATE_UNACKED_HOURS = _number("HANDOFF_ESCALATE_UNACKED_HOURS", 24)
HANDOFF_ESCALATE_GRACE_MINUTES = _number("HANDOFF_ESCALATE_GRACE_MINUTES", 15)
HANDOFF_ESCALATE_AFTER_FAILURES = _integer("HANDOFF_ESCALATE_AFTER_FAILURES", 3)
HANDOFF_ESCALATE_OVERDUE_MINUTES = _number("HANDOFF_ESCALATE_OVERDUE_MINUTES", 10)
HANDOFF_REVIEW_MARGIN_HOURS = _number("HANDOFF_REVIEW_MARGIN_HOURS", 12)
HANDOFF_HOLD_WARNING_HOURS = _number("HANDOFF_HOLD_WARNING_HOURS", 4)
HANDOFF_MATCH_ESCALATION_HOURS = _number("HANDOFF_MATCH_ESCALATION_HOURS", 24)
HANDOFF_WEBHOOK_TIMEOUT = _number("HANDOFF_WEBHOOK_TIMEOUT", 10)
# let an office's webhook point at loopback or link-local addresses (security review L7); https:// outside
# debug mode regardless
HANDOFF_WEBHOOK_ALLOW_LOCAL = _flag("HANDOFF_WEBHOOK_ALLOW_LOCAL")
# seconds one ingest write transaction aims to last (chunks of at most 2,000 rows adapt to it); on SQLite the
# import lets go of the write lock between them, so audited reads do not wait behind it (security review M11)
HANDOFF_INGEST_TX_SECONDS = _number("HANDOFF_INGEST_TX_SECONDS", 0.1)

HANDOFF_LEASE_SECONDS = _number("HANDOFF_LEASE_SECONDS", 60)
HANDOFF_RETRY_BASE_SECONDS = _number("HANDOFF_RETRY_BASE_SECONDS", 1)
HANDOFF_RETRY_CAP_SECONDS = _number("HANDOFF_RETRY_CAP_SECONDS", 60)
HANDOFF_GIVE_UP_HOURS = _number("HANDOFF_GIVE_UP_HOURS", 72)
HANDOFF_ACK_LINK_DAYS = _number("HANDOFF_ACK_LINK_DAYS", 30)
HANDOFF_WORKER_POLL_SECONDS = _number("HANDOFF_WORKER_POLL_SECONDS", 0.5)
HANDOFF_WORKER_BATCH = _integer("HANDOFF_WORKER_BATCH", 200)
HANDOFF_WORKER_ENDPOINTS_PER_CLAIM = _integer("HANDOFF_WORKER_ENDPOINTS_PER_CLAIM", 4)
HANDOFF_WORKER_THREADS = _integer("HANDOFF_WORKER_THREADS", 2)
# /metrics gives exact counts over every place, confidential ones included (security review M2): only a
# scraper holding this bearer token may read it; unset, nobody may.
HANDOFF_METRICS_TOKEN = _text("HANDOFF_METRICS_TOKEN")

# The audit chain's head, witnessed outside the database after every commit and each minute by the worker
# (security review M3). str: a file path; default var/audit-witness.log; "off" disables it.
HANDOFF_AUDIT_WITNESS: str = _text("HANDOFF_AUDIT_WITNESS", str(VAR_DIR / "audit-witness.log"))
VARIABLES["HANDOFF_AUDIT_WITNESS"] = ("path", "var/audit-witness.log")
# str: also send each witnessed head to syslog: a socket path (/dev/log) or host:port (UDP); default none.
HANDOFF_AUDIT_SYSLOG: str = _text("HANDOFF_AUDIT_SYSLOG")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _text("HANDOFF_LOG_LEVEL", "WARNING")},
}

# In development and tests serve static files straight from the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
