"""The `handoff` command line: only Handoff's commands, each with help that needs no configuration, and
one plain line (exit 2) when the environment is wrong, never a traceback.

Why subprocesses of the real console script: what an operator sees is the entry point's output with
whatever environment they have, not what `call_command` does inside a configured test process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from handoff import cli

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "handoff"
SCRIPT = Path(sys.executable).parent / "handoff"
#: Django's and third parties' commands an operator must never reach through `handoff`
FORBIDDEN = ["flush", "sqlflush", "shell", "dbshell", "loaddata", "dumpdata", "createsuperuser", "changepassword",
             "axes_reset", "axes_reset_username", "migrate", "runserver", "testserver", "squashmigrations"]


def _handoff_commands() -> set[str]:
    return {p.stem for p in SRC.glob("*/management/commands/*.py") if not p.stem.startswith("_")}


def _bare_env(**extra: str) -> dict[str, str]:
    """The environment of an operator who configured nothing (no key, no database, no debug)."""
    dropped = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_") and k not in dropped}
    return {**env, **extra}


def handoff(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "handoff.cli"]
    return subprocess.run([*command, *args], env=_bare_env(**env), capture_output=True, text=True, cwd=ROOT,
                          timeout=180)


def test_it_lists_every_handoff_command_in_a_group_and_nothing_else() -> None:
    assert _handoff_commands() == cli.COMMANDS, "add a new command to handoff.cli.GROUPS (or remove a stale one)"


def test_it_lists_only_handoffs_commands_in_help() -> None:
    for args in (["help"], [], ["--help"]):
        result = handoff(*args)
        assert result.returncode == 0, result.stderr
        listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
        assert listed == _handoff_commands()
        assert not set(FORBIDDEN) & set(result.stdout.split())


@pytest.mark.parametrize("name", ["flush", "shell", "dbshell", "createsuperuser", "axes_reset"])
def test_it_refuses_djangos_commands(name: str, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    result = handoff(name, "--no-input", HANDOFF_DEBUG="1", HANDOFF_DATABASE_URL=f"sqlite:///{db}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"handoff: unknown command {name!r}; `handoff help` lists the commands"
    assert not db.exists()  # refused before anything opened the database


def test_it_prints_help_for_every_command_without_any_configuration() -> None:
    """One fresh interpreter with no HANDOFF_* set asks every command for its help, through cli.main."""
    code = (
        "import sys\nfrom handoff import cli\nbad = []\n"
        "for name in sorted(cli.COMMANDS):\n"
        "    try:\n        cli.main([name, '--help'])\n"
        "    except SystemExit as exc:\n"
        "        if exc.code not in (0, None): bad.append(name)\n"
        "print('BAD', bad, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=_bare_env(), capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert "BAD []" in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for name in cli.COMMANDS:
        assert f"usage: handoff {name}" in result.stdout
    assert result.stdout.count("Example") >= len(cli.COMMANDS)


def test_it_prints_serve_help_from_the_console_script_without_any_configuration() -> None:
    result = handoff("serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: handoff serve" in result.stdout and result.stderr == ""
    again = handoff("help", "serve")
    assert again.returncode == 0 and again.stdout == result.stdout


def _one_plain_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handoff: "), result.stderr
    for word in words:
        assert word in lines[0]


def test_it_says_in_one_line_that_the_secret_key_is_missing() -> None:
    _one_plain_line(handoff("holds"), "HANDOFF_SECRET_KEY")


def test_it_says_in_one_line_that_the_database_url_is_bad() -> None:
    _one_plain_line(handoff("holds", HANDOFF_DEBUG="1", HANDOFF_DATABASE_URL="nosuchdb://x/y"),
                    "HANDOFF_DATABASE_URL")


def test_it_says_in_one_line_that_a_number_setting_is_not_a_number() -> None:
    _one_plain_line(handoff("holds", HANDOFF_DEBUG="1", HANDOFF_LEASE_SECONDS="a minute"), "HANDOFF_LEASE_SECONDS")


def test_it_says_in_one_line_that_the_database_is_unreachable() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://postgres@127.0.0.1:{port}/handoff"
    _one_plain_line(handoff("holds", HANDOFF_DEBUG="1", HANDOFF_DATABASE_URL=url), "cannot reach the database")


def test_it_says_in_one_line_that_the_port_is_busy(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = handoff("serve", "--port", str(port), "--no-worker", HANDOFF_DEBUG="1",
                         HANDOFF_DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}")
    _one_plain_line(result, str(port), "--port")


def test_it_says_in_one_line_that_the_base_url_is_missing_outside_debug_mode() -> None:
    _one_plain_line(handoff("holds", HANDOFF_SECRET_KEY="gr0t48Bu1W1TojAl4zO7muc66zPhMPxSaxKLIsR7IZZPLdVxa_ckhO2Cb40lf2BPhZw"), "HANDOFF_BASE_URL")
