"""The service refuses unsafe configuration and runs SQLite the way several workers need it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _start(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**env, "DJANGO_SETTINGS_MODULE": "handoff.settings"}, capture_output=True, text=True, cwd=ROOT,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_outside_debug() -> None:
    result = _start({})
    assert result.returncode != 0
    assert "HANDOFF_SECRET_KEY" in result.stderr


def test_it_refuses_a_default_secret_key() -> None:
    result = _start({"HANDOFF_SECRET_KEY": "change-me"})
    assert result.returncode != 0
    assert "HANDOFF_SECRET_KEY" in result.stderr


def test_it_starts_with_a_real_key_or_in_debug() -> None:
    key = "gr0t48Bu1W1TojAl4zO7muc66zPhMPxSaxKLIsR7IZZPLdVxa_ckhO2Cb40lf2BPhZw"  # secrets.token_urlsafe(50)
    assert "started" in _start({"HANDOFF_SECRET_KEY": key, "HANDOFF_ALLOWED_HOSTS": "handoff.example",
                                "HANDOFF_BASE_URL": "https://handoff.example"}).stdout
    assert "started" in _start({"HANDOFF_DEBUG": "1"}).stdout


def test_it_reads_postgres_from_the_database_url() -> None:
    code = ("from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env.update({"HANDOFF_DEBUG": "1", "HANDOFF_DATABASE_URL": "postgresql://alice@db.example:5433/handoff",
                "DJANGO_SETTINGS_MODULE": "handoff.settings"})
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["django.db.backends.postgresql", "handoff", "db.example", "5433"]


@pytest.mark.django_db
def test_it_runs_sqlite_with_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    if settings.IS_POSTGRES:
        pytest.skip("SQLite pragmas")
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "for p in ('journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout'):\n"
        "    print(c.execute('PRAGMA ' + p).fetchone()[0])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env.update({"HANDOFF_DEBUG": "1", "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "handoff.settings"})
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["wal", "2", "1", "30000"], out.stderr
    assert connection.vendor == "sqlite"
